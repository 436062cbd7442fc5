// Envelope codec: round trips, forward compatibility, versioning, limits and hostile input.
#include "protocol/protocol.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <msgpack.hpp>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "common/procfs.h"
#include "common/utf8.h"

namespace orcastra::protocol {
namespace {

Header SampleHeader() {
  return Header{.version = kMajorVersion,
                .node = "n0deid42",
                .seq = 1234567890123ULL,
                .ts_ms = 1767225600123};
}

ContainerReport SampleContainer(int i) {
  return ContainerReport{.id = "c0ffee" + std::to_string(i),
                         .name = "app_web.1." + std::to_string(i),
                         .image = "nginx:1.27@sha256:abc",
                         .state = "running",
                         .health = "unhealthy",
                         .restart_count = 7u + static_cast<std::uint32_t>(i),
                         .oom_killed = true,
                         .exit_code = -137,
                         .service_id = "svc" + std::to_string(i),
                         .service_name = "app_web",
                         .task_id = "task" + std::to_string(i),
                         .memory_bytes = 5'000'000'000ULL + static_cast<std::uint64_t>(i)};
}

// One message of every type, each field set to a non-default value.
std::vector<Message> SampleMessages() {
  std::vector<Message> out;
  out.push_back({SampleHeader(), Hello{.agent_version = "0.1.0",
                                       .node_id = "n0deid42",
                                       .hostname = "worker-1",
                                       .report_interval_ms = 5000,
                                       .memory_source = "cgroup:/sys/fs/cgroup"}});
  out.push_back(
      {SampleHeader(),
       NodeReport{.node_id = "n0deid42",
                  .hostname = "worker-1",
                  .report_interval_ms = 4000000000u,
                  .memory = {.total_bytes = 17'179'869'184ULL,
                             .available_bytes = 4'294'967'296ULL,
                             .used_bytes = 12'884'901'888ULL,
                             .source = "procfs"},
                  .load = {.avg1 = 0.25, .avg5 = 1.5, .avg15 = 3.125},
                  .cpu_percent = 42.42,
                  .psi = {.present = true, .some_avg10 = 12.5, .full_avg10 = 0.01},
                  .containers = {SampleContainer(0), SampleContainer(1), SampleContainer(2)}}});
  out.push_back({SampleHeader(),
                 Event{.kind = "container_oom",
                       .subject = "c0ffee0",
                       .message = "killed by the OOM killer \xe2\x9c\x9d",
                       .attrs = {{"exit_code", "137"}, {"image", "nginx"}, {"", "empty key"}}}});
  out.push_back(
      {SampleHeader(), Query{.what = "nodes", .args = {{"node", "worker-1"}, {"json", "true"}}}});
  out.push_back({SampleHeader(), Reply{.ok = true,
                                       .error = "partial: one agent silent",
                                       .result_json = R"({"nodes":[{"id":"n0deid42"}]})",
                                       .answered_by = "m4nager",
                                       .from_active_leader = true}});
  out.push_back(
      {SampleHeader(),
       Welcome{.leader_node_id = "m4nager", .leader_hostname = "manager-1", .active = true}});
  out.push_back(
      {SampleHeader(), Error{.code = "bad_message", .message = "field body.x: expected str"}});
  out.push_back({SampleHeader(), AgentCommand{.id = 18'446'744'073'709'551'615ULL,
                                              .name = "logs",
                                              .args = {{"container", "web"}, {"tail", "50"}}}});
  out.push_back(
      {SampleHeader(),
       AgentCommandResult{
           .id = 42, .ok = true, .error = "partial", .output = "line 1\nline 2\n\x01\x02"}});
  out.push_back({SampleHeader(),
                 ServiceImages{.refs = {"198.51.100.1:5000/app:1@sha256:abc", "nginx:1.25"}}});
  out.push_back({SampleHeader(), JoinRequest{.local_state = "inactive"}});
  out.push_back({SampleHeader(), JoinAnswer{.granted = true,
                                            .retry = false,
                                            .reason = "listed, down",
                                            .join_token = "SWMTKN-1-x-y",
                                            .manager_addrs = {"198.51.100.11:2377"},
                                            .answered_by = "m4nager"}});
  return out;
}

// Helpers to write frames by hand.
using Packer = msgpack::packer<msgpack::sbuffer>;

std::string Bytes(const msgpack::sbuffer& buffer) {
  return std::string(buffer.data(), buffer.size());
}

void PackEnvelopeStart(Packer& pk, std::uint32_t entries, std::string_view type) {
  pk.pack_map(entries);
  pk.pack("v");
  pk.pack(kMajorVersion);
  pk.pack("type");
  pk.pack(type);
}

template <typename Body>
std::string EnvelopeWithBody(std::string_view type, const Body& body) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  PackEnvelopeStart(pk, 3, type);
  pk.pack("body");
  pk.pack(body);
  return Bytes(buffer);
}

TEST_CASE("protocol: every message type round-trips with every field", "[protocol]") {
  const std::vector<Message> samples = SampleMessages();
  REQUIRE(samples.size() == std::variant_size_v<Body>);
  const std::vector<std::string_view> names = {
      "hello",          "node_report",   "event",
      "query",          "reply",         "welcome",
      "error",          "agent_command", "agent_command_result",
      "service_images", "join_request",  "join_answer"};
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Message& original = samples[i];
    CHECK(original.body.index() == i);
    CHECK(TypeName(original.body) == names[i]);
    const std::string frame = Encode(original);
    Result<Message> decoded = Decode(frame, "test-peer");
    INFO(names[i] << ": " << decoded.status().ToString());
    REQUIRE(decoded.ok());
    CHECK(decoded->header == original.header);
    CHECK(decoded->body == original.body);
    CHECK(*decoded == original);
  }
}

TEST_CASE("protocol: the worked example of doc/protocol.md", "[protocol]") {
  const Message hello{Header{.node = "qx3k", .seq = 1, .ts_ms = 1767225600000},
                      Hello{.agent_version = "0.1.0",
                            .node_id = "qx3k",
                            .hostname = "w1",
                            .report_interval_ms = 5000,
                            .memory_source = "procfs"}};
  const std::string expected_hex =
      "86a17601a474797065a568656c6c6fa46e6f6465a47178336ba373657101a274"
      "73cf0000019b76daa800a4626f647986ad6167656e745f76657273696f6ea530"
      "2e312e30a76e6f64655f6964a47178336ba8686f73746e616d65a27731b27265"
      "706f72745f696e74657276616c5f6d73cd1388ad6d656d6f72795f736f757263"
      "65a670726f636673ab6174746573746174696f6e88a66d6574686f64a0a86365"
      "72745f70656da0a574735f6d7300a56e6f6e6365a0aa6c65616465725f6b6579"
      "a0a96167656e745f6b6579a0a97369676e6174757265a0a56572726f72a0";
  const std::string frame = Encode(hello);
  std::string hex;
  for (unsigned char c : frame) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xf];
  }
  CHECK(frame.size() == 222);
  CHECK(hex == expected_hex);
}

TEST_CASE("protocol: the envelope carries the wire keys", "[protocol]") {
  const Message hello = SampleMessages()[0];
  const std::string frame = Encode(hello);
  msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  std::map<std::string, msgpack::object> envelope;
  handle.get().convert(envelope);
  REQUIRE(envelope.size() == 6);
  CHECK(envelope.at("v").as<std::uint32_t>() == 1);
  CHECK(envelope.at("type").as<std::string>() == "hello");
  CHECK(envelope.at("node").as<std::string>() == "n0deid42");
  CHECK(envelope.at("seq").as<std::uint64_t>() == 1234567890123ULL);
  CHECK(envelope.at("ts").as<std::int64_t>() == 1767225600123);
  std::map<std::string, msgpack::object> body;
  envelope.at("body").convert(body);
  CHECK(body.at("hostname").as<std::string>() == "worker-1");
  CHECK(body.at("report_interval_ms").as<std::uint32_t>() == 5000);
}

TEST_CASE("protocol: unknown keys are ignored in the envelope and in bodies", "[protocol]") {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  pk.pack_map(9);
  pk.pack("future_envelope_key");  // before the known keys, with a nested value
  pk.pack_array(2);
  pk.pack(1);
  pk.pack_map(1);
  pk.pack("deep");
  pk.pack(std::vector<int>{1, 2, 3});
  pk.pack("v");
  pk.pack(1);
  pk.pack("type");
  pk.pack("node_report");
  pk.pack("node");
  pk.pack("abc");
  pk.pack("seq");
  pk.pack(9);
  pk.pack("ts");
  pk.pack(-5);  // a clock before 1970 is odd but representable
  pk.pack("another");
  pk.pack_nil();
  pk.pack("bin_key");
  pk.pack_bin(3);
  pk.pack_bin_body("\x00\x01\x02", 3);
  pk.pack("body");
  pk.pack_map(4);
  pk.pack("hostname");
  pk.pack("worker-9");
  pk.pack("new_optional_field");
  pk.pack_map(1);
  pk.pack("x");
  pk.pack(3.5);
  pk.pack("memory");
  pk.pack_map(2);
  pk.pack("total_bytes");
  pk.pack(100);
  pk.pack("swap_bytes");  // unknown, nested one level down
  pk.pack(7);
  pk.pack("containers");
  pk.pack_array(1);
  pk.pack_map(3);
  pk.pack("id");
  pk.pack("c1");
  pk.pack("labels");  // unknown, inside an array element
  pk.pack(std::map<std::string, std::string>{{"a", "b"}});
  pk.pack("restart_count");
  pk.pack(2);

  Result<Message> decoded = Decode(Bytes(buffer), "future-agent");
  INFO(decoded.status().ToString());
  REQUIRE(decoded.ok());
  CHECK(decoded->header == Header{.version = 1, .node = "abc", .seq = 9, .ts_ms = -5});
  const auto* report = std::get_if<NodeReport>(&decoded->body);
  REQUIRE(report != nullptr);
  CHECK(report->hostname == "worker-9");
  CHECK(report->memory.total_bytes == 100);
  REQUIRE(report->containers.size() == 1);
  CHECK(report->containers[0].id == "c1");
  CHECK(report->containers[0].restart_count == 2);
}

TEST_CASE("protocol: missing optional keys take their defaults", "[protocol]") {
  SECTION("an envelope with only v and type") {
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    PackEnvelopeStart(pk, 2, "welcome");
    Result<Message> decoded = Decode(Bytes(buffer), "p");
    REQUIRE(decoded.ok());
    CHECK(decoded->header == Header{});
    CHECK(std::get<Welcome>(decoded->body) == Welcome{});
  }
  SECTION("a body with some fields") {
    const std::string frame =
        EnvelopeWithBody("hello", std::map<std::string, std::string>{{"hostname", "h1"}});
    Result<Message> decoded = Decode(frame, "p");
    REQUIRE(decoded.ok());
    CHECK(std::get<Hello>(decoded->body) == Hello{.hostname = "h1"});
  }
  SECTION("an empty body of every type") {
    for (std::string_view type :
         {"hello", "node_report", "event", "query", "reply", "welcome", "error"}) {
      const std::string frame = EnvelopeWithBody(type, std::map<std::string, int>{});
      Result<Message> decoded = Decode(frame, "p");
      INFO(type);
      REQUIRE(decoded.ok());
      CHECK(TypeName(decoded->body) == type);
    }
  }
}

TEST_CASE("protocol: another major version is refused and answered with unsupported_version",
          "[protocol]") {
  Message message = SampleMessages()[0];
  message.header.version = 2;
  Refusal refusal = Refusal::kBadMessage;
  Result<Message> decoded = Decode(Encode(message), "agent-7", kMaxMessageBytes, &refusal);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kUnsupported);
  CHECK(refusal == Refusal::kUnsupportedVersion);
  CHECK_THAT(decoded.status().message(), Catch::Contains("version 2") &&
                                             Catch::Contains("version 1") &&
                                             Catch::Contains("agent-7"));

  const Header own{.node = "leader-node", .seq = 77, .ts_ms = 1000};
  const Message reply = ErrorReplyFor(decoded.status(), refusal, own);
  CHECK(reply.header == own);
  const auto* error = std::get_if<Error>(&reply.body);
  REQUIRE(error != nullptr);
  CHECK(error->code == "unsupported_version");
  CHECK(error->message == decoded.status().message());

  // The reply itself is a valid version-1 message.
  Result<Message> round = Decode(Encode(reply), "leader");
  REQUIRE(round.ok());
  CHECK(*round == reply);
}

TEST_CASE("protocol: the version is checked before anything else in the envelope", "[protocol]") {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  pk.pack_map(3);
  pk.pack("v");
  pk.pack(3);
  pk.pack("type");
  pk.pack("hologram");  // a type that version 3 might have
  pk.pack("seq");
  pk.pack("not a number");
  Refusal refusal = Refusal::kBadMessage;
  Result<Message> decoded = Decode(Bytes(buffer), "p", kMaxMessageBytes, &refusal);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kUnsupported);
  CHECK(RefusalCode(refusal) == "unsupported_version");
}

TEST_CASE("protocol: an error of another version is still read, so refusals never ping-pong",
          "[protocol]") {
  SECTION("a well-formed error") {
    Message error{Header{.version = 2, .node = "new-leader", .seq = 8, .ts_ms = 99},
                  Error{.code = "unsupported_version", .message = "speak 2"}};
    Result<Message> decoded = Decode(Encode(error), "p");
    INFO(decoded.status().ToString());
    REQUIRE(decoded.ok());
    CHECK(*decoded == error);
    CHECK(decoded->header.version == 2);
  }
  SECTION("an error whose other fields changed shape") {
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    pk.pack_map(5);
    pk.pack("v");
    pk.pack(9);
    pk.pack("type");
    pk.pack("error");
    pk.pack("seq");
    pk.pack("a string in version 9");
    pk.pack("node");
    pk.pack("n9");
    pk.pack("body");
    pk.pack_map(3);
    pk.pack("code");
    pk.pack("unsupported_version");
    pk.pack("details");
    pk.pack_array(0);
    pk.pack("message");
    pk.pack(42);
    Result<Message> decoded = Decode(Bytes(buffer), "p");
    REQUIRE(decoded.ok());
    CHECK(decoded->header == Header{.version = 9, .node = "n9"});
    CHECK(std::get<Error>(decoded->body) == Error{.code = "unsupported_version"});
  }
}

TEST_CASE("protocol: a missing or mistyped version is a parse error", "[protocol]") {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  SECTION("missing") {
    pk.pack_map(1);
    pk.pack("type");
    pk.pack("hello");
  }
  SECTION("a string") {
    pk.pack_map(2);
    pk.pack("v");
    pk.pack("1");
    pk.pack("type");
    pk.pack("hello");
  }
  SECTION("negative") {
    pk.pack_map(2);
    pk.pack("v");
    pk.pack(-1);
    pk.pack("type");
    pk.pack("hello");
  }
  Refusal refusal = Refusal::kTooLarge;
  Result<Message> decoded = Decode(Bytes(buffer), "p", kMaxMessageBytes, &refusal);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kParseError);
  CHECK_THAT(decoded.status().message(), Catch::Contains("v"));
  CHECK(RefusalCode(refusal) == "bad_message");
}

TEST_CASE("protocol: an oversized frame is refused before decoding", "[protocol]") {
  SECTION("over the default limit, garbage that decoding would also refuse") {
    const std::string frame(kMaxMessageBytes + 1, '\xc1');  // 0xc1 is never valid MessagePack
    Refusal refusal = Refusal::kBadMessage;
    Result<Message> decoded = Decode(frame, "big-peer", kMaxMessageBytes, &refusal);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == Status::Code::kParseError);
    CHECK_THAT(decoded.status().message(),
               Catch::Contains("exceeds the size limit") && Catch::Contains("1048577") &&
                   Catch::Contains("big-peer") && !Catch::Contains("MessagePack"));
    const Message reply = ErrorReplyFor(decoded.status(), refusal, Header{});
    CHECK(std::get<Error>(reply.body).code == "too_large");
  }
  SECTION("a valid message over a custom limit") {
    const std::string frame = Encode(SampleMessages()[1]);
    REQUIRE(frame.size() > 64);
    Refusal refusal = Refusal::kBadMessage;
    Result<Message> decoded = Decode(frame, "p", 64, &refusal);
    REQUIRE_FALSE(decoded.ok());
    CHECK(refusal == Refusal::kTooLarge);
    CHECK(Decode(frame, "p", frame.size()).ok());  // the limit is inclusive
  }
}

TEST_CASE("protocol: garbage never decodes and never crashes", "[protocol]") {
  const std::vector<std::string> frames = {
      "",
      std::string("\xc1", 1),
      "hello world",
      std::string("\xff\xff\xff\xff", 4),
      std::string("\x00", 1),
      std::string("\xc0", 1),
      std::string("\xdf\xff\xff\xff\xff", 5),  // map32 with 4G pairs
      std::string("\xdb\xff\xff\xff\xff", 5),  // str32 of 4 GiB, absent
      std::string("\xc6\x7f\xff\xff\xff", 5),  // bin32 of 2 GiB, absent
  };
  for (const std::string& frame : frames) {
    Result<Message> decoded = Decode(frame, "junk");
    INFO("frame of " << frame.size() << " bytes");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == Status::Code::kParseError);
    CHECK_THAT(decoded.status().message(), Catch::Contains("junk"));
  }
}

TEST_CASE("protocol: every truncation of a valid frame is refused", "[protocol]") {
  for (const Message& message : SampleMessages()) {
    const std::string frame = Encode(message);
    for (std::size_t length = 0; length < frame.size(); ++length) {
      Result<Message> decoded = Decode(std::string_view(frame).substr(0, length), "cut");
      INFO(TypeName(message.body) << " cut to " << length << " of " << frame.size() << " bytes");
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.status().code() == Status::Code::kParseError);
    }
  }
}

TEST_CASE("protocol: trailing bytes after the envelope are refused", "[protocol]") {
  const std::string frame = Encode(SampleMessages()[0]) + std::string("\x01", 1);
  Result<Message> decoded = Decode(frame, "p");
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kParseError);
  CHECK_THAT(decoded.status().message(), Catch::Contains("1 bytes after the envelope"));
}

TEST_CASE("protocol: a top level that is not a map is refused", "[protocol]") {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  std::string expected;
  SECTION("array") {
    pk.pack(std::vector<int>{1, 2});
    expected = "array";
  }
  SECTION("string") {
    pk.pack("hello");
    expected = "str";
  }
  SECTION("integer") {
    pk.pack(1);
    expected = "uint";
  }
  SECTION("nil") {
    pk.pack_nil();
    expected = "nil";
  }
  Result<Message> decoded = Decode(Bytes(buffer), "p");
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kParseError);
  CHECK_THAT(decoded.status().message(), Catch::Contains("not a map") && Catch::Contains(expected));
}

TEST_CASE("protocol: a field of the wrong type is named in the error", "[protocol]") {
  std::string frame;
  std::string field;
  SECTION("string where a uint is expected in a body") {
    frame =
        EnvelopeWithBody("hello", std::map<std::string, std::string>{{"report_interval_ms", "5s"}});
    field = "field body.report_interval_ms: expected uint32, got str";
  }
  SECTION("a uint too big for uint32") {
    frame = EnvelopeWithBody(
        "hello", std::map<std::string, std::uint64_t>{{"report_interval_ms", 1ULL << 40}});
    field = "field body.report_interval_ms: value out of range for uint32";
  }
  SECTION("int where a bool is expected") {
    frame = EnvelopeWithBody("welcome", std::map<std::string, int>{{"active", 1}});
    field = "field body.active: expected bool, got uint";
  }
  SECTION("inside an array element of a nested struct") {
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    PackEnvelopeStart(pk, 3, "node_report");
    pk.pack("body");
    pk.pack_map(1);
    pk.pack("containers");
    pk.pack_array(2);
    pk.pack(SampleContainer(0));
    pk.pack_map(1);
    pk.pack("restart_count");
    pk.pack("three");
    frame = Bytes(buffer);
    field = "field body.containers[1].restart_count: expected uint32, got str";
  }
  SECTION("a nested struct that is not a map") {
    frame = EnvelopeWithBody("node_report", std::map<std::string, int>{{"memory", 3}});
    field = "field body.memory: expected map, got uint";
  }
  SECTION("a map of strings holding a number") {
    frame = EnvelopeWithBody(
        "event", std::map<std::string, std::map<std::string, int>>{{"attrs", {{"a", 1}}}});
    field = "field body.attrs: expected map of str to str, got map";
  }
  SECTION("an envelope field") {
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    PackEnvelopeStart(pk, 3, "hello");
    pk.pack("seq");
    pk.pack("12");
    frame = Bytes(buffer);
    field = "field seq: expected uint64, got str";
  }
  SECTION("the type") {
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    pk.pack_map(2);
    pk.pack("v");
    pk.pack(1);
    pk.pack("type");
    pk.pack(5);
    frame = Bytes(buffer);
    field = "field type: expected str, got uint";
  }
  SECTION("a body that is not a map") {
    frame = EnvelopeWithBody("query", std::vector<std::string>{"status"});
    field = "field body: expected map, got array";
  }
  SECTION("a non-string key in a body") {
    frame = EnvelopeWithBody("query", std::map<int, int>{{1, 2}});
    field = "keys must be str";
  }
  Refusal refusal = Refusal::kTooLarge;
  Result<Message> decoded = Decode(frame, "agent-x", kMaxMessageBytes, &refusal);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kParseError);
  CHECK_THAT(decoded.status().message(), Catch::Contains(field) && Catch::Contains("agent-x"));
  CHECK(refusal == Refusal::kBadMessage);
}

TEST_CASE("protocol: the error names the message type", "[protocol]") {
  const std::string frame =
      EnvelopeWithBody("node_report", std::map<std::string, std::string>{{"cpu_percent", "high"}});
  Result<Message> decoded = Decode(frame, "agent-x");
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().message() ==
        "node_report from 'agent-x': field body.cpu_percent: expected float, got str");
}

TEST_CASE("protocol: unpack limits refuse small frames that declare huge containers",
          "[protocol]") {
  SECTION("an array32 of 4G items in 5 bytes") {
    Result<Message> decoded = Decode(std::string("\xdd\xff\xff\xff\xff", 5), "p");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("decoder limits"));
  }
  SECTION("a huge array as the value of an envelope key") {
    const std::string frame("\x81\xa1v\xdd\x7f\xff\xff\xff", 8);
    Result<Message> decoded = Decode(frame, "p");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("array size overflow"));
  }
  SECTION("more items than kMaxArrayItems, all present") {
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    pk.pack_map(3);
    pk.pack("v");
    pk.pack(1);
    pk.pack("type");
    pk.pack("hello");
    pk.pack("padding");
    pk.pack_array(kMaxArrayItems + 1);
    for (std::size_t i = 0; i <= kMaxArrayItems; ++i) pk.pack_nil();
    Result<Message> decoded = Decode(Bytes(buffer), "p");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("array size overflow"));
  }
  SECTION("a map32 of 4G pairs") {
    Result<Message> decoded = Decode(std::string("\xdf\xff\xff\xff\xff\x00", 6), "p");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("map size overflow"));
  }
  SECTION("nesting deeper than kMaxNestingDepth") {
    std::string frame(100, '\x91');  // fixarray of one item, 100 levels deep
    frame += '\xc0';
    Result<Message> decoded = Decode(frame, "p");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("depth size overflow"));
  }
}

TEST_CASE("protocol: an unknown type is refused with unknown_type", "[protocol]") {
  const std::string frame = EnvelopeWithBody("teleport", std::map<std::string, int>{});
  Refusal refusal = Refusal::kBadMessage;
  Result<Message> decoded = Decode(frame, "p", kMaxMessageBytes, &refusal);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kUnsupported);
  CHECK_THAT(decoded.status().message(), Catch::Contains("unknown message type \"teleport\""));
  const Message reply = ErrorReplyFor(decoded.status(), refusal, Header{.node = "me"});
  CHECK(std::get<Error>(reply.body).code == "unknown_type");
  CHECK(reply.header.node == "me");
}

TEST_CASE("protocol: a non-string envelope key is refused", "[protocol]") {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  PackEnvelopeStart(pk, 3, "hello");
  pk.pack(7);
  pk.pack(8);
  Result<Message> decoded = Decode(Bytes(buffer), "p");
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("keys must be str"));
}

TEST_CASE("protocol: duplicate keys take the first value", "[protocol]") {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  PackEnvelopeStart(pk, 4, "query");
  pk.pack("type");
  pk.pack("hello");
  pk.pack("body");
  pk.pack_map(2);
  pk.pack("what");
  pk.pack("status");
  pk.pack("what");
  pk.pack("nodes");
  Result<Message> decoded = Decode(Bytes(buffer), "p");
  REQUIRE(decoded.ok());
  CHECK(std::get<Query>(decoded->body).what == "status");
}

TEST_CASE("protocol: integral floats are accepted either way", "[protocol]") {
  // msgpack-c packs a double with an integral value as an integer; the decoder takes both.
  const std::string frame =
      EnvelopeWithBody("node_report", std::map<std::string, int>{{"cpu_percent", 50}});
  Result<Message> decoded = Decode(frame, "p");
  REQUIRE(decoded.ok());
  CHECK(std::get<NodeReport>(decoded->body).cpu_percent == 50.0);
}

TEST_CASE("protocol: random corruption of valid frames never crashes", "[protocol]") {
  std::mt19937 random(20261122);  // fixed seed: the same frames every run
  const std::vector<Message> samples = SampleMessages();
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string frame = Encode(samples[static_cast<std::size_t>(round) % samples.size()]);
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      frame[random() % frame.size()] = static_cast<char>(random() & 0xff);
    }
    Result<Message> decoded = Decode(frame, "fuzz");
    if (!decoded.ok()) ++refused;
  }
  CHECK(refused > 0);
}

TEST_CASE("protocol: agent commands keep unknown args and default missing fields", "[protocol]") {
  // An agent_command_result with only an id: ok defaults to false, so a peer that forgot the
  // outcome never reads as success.
  const std::string frame =
      EnvelopeWithBody("agent_command_result", std::map<std::string, int>{{"id", 7}});
  Result<Message> decoded = Decode(frame, "p");
  REQUIRE(decoded.ok());
  const auto& result = std::get<AgentCommandResult>(decoded->body);
  CHECK(result.id == 7);
  CHECK_FALSE(result.ok);
  CHECK(result.output.empty());
}

TEST_CASE("protocol: a result with the largest allowed output fits in one frame", "[protocol]") {
  const Message message{SampleHeader(),
                        AgentCommandResult{.id = 1,
                                           .ok = true,
                                           .error = std::string(1000, 'e'),
                                           .output = std::string(kMaxCommandOutputBytes, 'x')}};
  const std::string frame = Encode(message);
  CHECK(frame.size() < kMaxMessageBytes);
  Result<Message> decoded = Decode(frame, "p");
  REQUIRE(decoded.ok());
  CHECK(*decoded == message);
}

}  // namespace
}  // namespace orcastra::protocol

namespace orcastra::protocol {
namespace {

TEST_CASE("regression: a string that is not UTF-8 is refused naming its field",
          "[protocol][issue8]") {
  // The message of the issue: an event whose text is not valid UTF-8, from no particular peer.
  Message event{Header{.node = "n1"},
                Event{.kind = "container_die", .subject = "c1", .message = "bad \xC3\x28 text"}};
  Refusal refusal = Refusal::kTooLarge;
  Result<Message> decoded = Decode(Encode(event), "peer 0x00ab", kMaxMessageBytes, &refusal);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Status::Code::kParseError);
  CHECK(refusal == Refusal::kBadMessage);
  CHECK_THAT(decoded.status().message(),
             Catch::Contains("field body.message: not valid UTF-8 (at byte offset 4 of 11)") &&
                 Catch::Contains("peer 0x00ab"));

  Message report{Header{}, NodeReport{.node_id = "n1"}};
  std::get<NodeReport>(report.body).containers.push_back({.name = "ok"});
  std::get<NodeReport>(report.body).containers.push_back({.name = "\xFF"});
  decoded = Decode(Encode(report), "p");
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("field body.containers[1].name"));

  Message attrs{Header{}, Event{.kind = "k", .attrs = {{"\xC0", "x"}}}};
  decoded = Decode(Encode(attrs), "p");
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("a key of body.attrs is not valid UTF-8"));

  Message header{Header{.node = "\xED\xA0\x80"}, Query{.what = "status"}};
  decoded = Decode(Encode(header), "p");
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("field node: not valid UTF-8"));

  // A bin converts to a string member too: it is checked the same way.
  msgpack::sbuffer bin_buffer;
  Packer bin_packer(bin_buffer);
  PackEnvelopeStart(bin_packer, 3, "event");
  bin_packer.pack("body");
  bin_packer.pack_map(1);
  bin_packer.pack("message");
  bin_packer.pack_bin(2);
  bin_packer.pack_bin_body("\xFF\xFE", 2);
  decoded = Decode(Bytes(bin_buffer), "p");
  INFO(decoded.status().ToString());
  CHECK_FALSE(decoded.ok());

  // Well-formed text in any script passes untouched.
  Message fine{Header{}, Event{.kind = "k", .message = "Zürich \xF0\x9F\x90\xB3"}};
  decoded = Decode(Encode(fine), "p");
  REQUIRE(decoded.ok());
  CHECK(*decoded == fine);
}

TEST_CASE("regression: the answer to a refusal is always valid UTF-8", "[protocol][issue8]") {
  const Message reply =
      ErrorReplyFor(Status::ParseError("type \"\xFF\" is odd"), Refusal::kUnknownType, Header{});
  const auto& error = std::get<Error>(reply.body);
  CHECK(error.code == "unknown_type");
  CHECK(IsValidUtf8(error.message));
  CHECK(Decode(Encode(reply), "p").ok());
}

// Found by the long run of fuzz_protocol_structured: the largest uint64 on the wire became the
// double 2^64 in a report's figure, and re-encoding it was undefined behaviour (msgpack-cxx's
// pack_double converts it to uint64). NaN and infinities passed as well.
TEST_CASE("regression: a report figure that is NaN, infinite or out of range is refused",
          "[protocol][issue8]") {
  const auto refusal = [](const std::string& frame) {
    Result<Message> decoded = Decode(frame, "agent-x");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == Status::Code::kParseError);
    return decoded.status().message();
  };
  CHECK(refusal(EnvelopeWithBody(
            "node_report", std::map<std::string, std::uint64_t>{{"cpu_percent", UINT64_MAX}})) ==
        "node_report from 'agent-x': field body.cpu_percent: 18446744073709551616 is not a number "
        "from 0 to 100");
  using Figures = std::map<std::string, std::map<std::string, double>>;
  CHECK(refusal(EnvelopeWithBody("node_report", Figures{{"load", {{"avg5", std::nan("")}}}})) ==
        "node_report from 'agent-x': field body.load.avg5: NaN is not a number from 0 to 4194304");
  CHECK_THAT(
      refusal(EnvelopeWithBody("node_report", Figures{{"psi", {{"full_avg10", -HUGE_VAL}}}})),
      Catch::Contains("field body.psi.full_avg10: -Inf is not a number from 0 to 100"));
  CHECK_THAT(refusal(EnvelopeWithBody("node_report", Figures{{"load", {{"avg15", -0.5}}}})),
             Catch::Contains("field body.load.avg15: -0.5 is not"));
  // The edges of each range decode and re-encode as they were.
  NodeReport edge{.node_id = "n1"};
  edge.load = {.avg1 = 0, .avg5 = 4194304, .avg15 = 0.01};
  edge.cpu_percent = 100;
  edge.psi = {.present = true, .some_avg10 = 100, .full_avg10 = 0};
  const Message message{Header{}, edge};
  Result<Message> decoded = Decode(Encode(message), "p");
  REQUIRE(decoded.ok());
  CHECK(*decoded == message);
  CHECK_THAT(refusal(EnvelopeWithBody(
                 "node_report", Figures{{"load", {{"avg5", std::nextafter(4194304.0, 1e7)}}}})),
             Catch::Contains("field body.load.avg5: 4194304"));
}

// Encode handed every figure to msgpack-cxx's pack_double: 2^64 passes its range check and is
// converted to uint64, undefined behaviour (clang's UBSan stops there), and a NaN or negative
// figure went out in a report its peer refuses.
TEST_CASE("regression: Encode clamps a report's figures into the ranges Decode accepts",
          "[protocol][issue8]") {
  NodeReport report{.node_id = "n1"};
  report.load = {.avg1 = 18446744073709551616.0, .avg5 = std::nan(""), .avg15 = -HUGE_VAL};
  report.cpu_percent = 100.5;
  report.psi = {.present = true, .some_avg10 = -0.25, .full_avg10 = 42.5};
  Result<Message> decoded = Decode(Encode(Message{Header{}, report}), "p");
  REQUIRE(decoded.ok());
  const auto& sent = std::get<NodeReport>(decoded->body);
  CHECK(sent.load.avg1 == procfs::kMaxLoadAverage);
  CHECK(sent.load.avg5 == 0);
  CHECK(sent.load.avg15 == 0);
  CHECK(sent.cpu_percent == 100);
  CHECK(sent.psi.some_avg10 == 0);
  CHECK(sent.psi.full_avg10 == 42.5);  // in range: unchanged
}

}  // namespace
}  // namespace orcastra::protocol
