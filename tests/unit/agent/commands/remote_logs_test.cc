// Remote logs and commands on the agent: Docker's multiplexed log stream, tails, output caps and
// the command dispatch (issue 4).
#include "agent/commands/remote_logs.h"

#include <catch2/catch.hpp>
#include <string>

#include "agent/commands/runner.h"
#include "common/utf8.h"

namespace orcastra::agent {
namespace {

// One frame of Docker's multiplexed stream.
std::string Frame(char stream, const std::string& payload) {
  std::string out{stream, 0, 0, 0};
  const auto size = static_cast<std::uint32_t>(payload.size());
  out += static_cast<char>((size >> 24) & 0xff);
  out += static_cast<char>((size >> 16) & 0xff);
  out += static_cast<char>((size >> 8) & 0xff);
  out += static_cast<char>(size & 0xff);
  return out + payload;
}

TEST_CASE("remote logs: stdout and stderr frames are joined in order", "[remote_logs]") {
  const std::string bytes = Frame(1, "out 1\n") + Frame(2, "err 1\n") + Frame(1, "out 2\n");
  DemuxedLogs logs = DemuxDockerLogStream(bytes);
  CHECK(logs.text == "out 1\nerr 1\nout 2\n");
  CHECK_FALSE(logs.malformed);
}

TEST_CASE("remote logs: an empty stream and empty frames", "[remote_logs]") {
  CHECK(DemuxDockerLogStream("").text.empty());
  CHECK_FALSE(DemuxDockerLogStream("").malformed);
  DemuxedLogs logs = DemuxDockerLogStream(Frame(1, "") + Frame(2, "x"));
  CHECK(logs.text == "x");
  CHECK_FALSE(logs.malformed);
}

TEST_CASE("remote logs: a frame larger than 255 bytes uses every size byte", "[remote_logs]") {
  const std::string big(70000, 'a');
  DemuxedLogs logs = DemuxDockerLogStream(Frame(1, big) + Frame(2, "end"));
  CHECK(logs.text == big + "end");
  CHECK_FALSE(logs.malformed);
}

TEST_CASE("remote logs: payload bytes that look like headers are payload", "[remote_logs]") {
  const std::string tricky = std::string("\x01\x00\x00\x00\x00\x00\x00\x05", 8);
  CHECK(DemuxDockerLogStream(Frame(1, tricky)).text == tricky);
}

TEST_CASE("remote logs: raw text (a TTY stream) is kept as it is and flagged", "[remote_logs]") {
  DemuxedLogs logs = DemuxDockerLogStream("hello from a tty\n");
  CHECK(logs.text == "hello from a tty\n");
  CHECK(logs.malformed);
}

TEST_CASE("remote logs: a cut frame keeps what arrived", "[remote_logs]") {
  const std::string whole = Frame(1, "first\n") + Frame(1, "second line\n");
  SECTION("cut inside the payload") {
    DemuxedLogs logs = DemuxDockerLogStream(whole.substr(0, whole.size() - 3));
    CHECK(logs.malformed);
    CHECK_THAT(logs.text, Catch::StartsWith("first\n"));
  }
  SECTION("cut inside the header") {
    DemuxedLogs logs = DemuxDockerLogStream(whole.substr(0, 14 + 4));
    CHECK(logs.malformed);
    CHECK_THAT(logs.text, Catch::StartsWith("first\n"));
  }
}

TEST_CASE("remote logs: a bad stream byte or padding stops demultiplexing", "[remote_logs]") {
  std::string bad = Frame(1, "ok\n") + Frame(3, "?");
  DemuxedLogs logs = DemuxDockerLogStream(bad);
  CHECK(logs.malformed);
  CHECK_THAT(logs.text, Catch::StartsWith("ok\n"));
  std::string padded = Frame(1, "x");
  padded[2] = 1;
  CHECK(DemuxDockerLogStream(padded).malformed);
}

TEST_CASE("remote logs: LastLines", "[remote_logs]") {
  CHECK(LastLines("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(LastLines("a\nb\nc", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc\n", 3) == "a\nb\nc\n");
  CHECK(LastLines("a\nb\nc\n", 10) == "a\nb\nc\n");
  CHECK(LastLines("a\nb\nc\n", 0).empty());
  CHECK(LastLines("", 5).empty());
  CHECK(LastLines("\n\n", 1) == "\n");
}

TEST_CASE("remote logs: CapOutput keeps the end and says it cut", "[remote_logs]") {
  CHECK(CapOutput("short", 100) == "short");
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  const std::string capped = CapOutput(text, 200);
  CHECK(capped.size() <= 200);
  CHECK_THAT(capped, Catch::StartsWith("[truncated: the first "));
  CHECK_THAT(capped, Catch::EndsWith("line 999\n"));
  // The kept part starts at a line boundary.
  const std::string kept = capped.substr(capped.find('\n') + 1);
  CHECK_THAT(kept, Catch::StartsWith("line "));
  CHECK(text.size() - kept.size() == std::stoul(capped.substr(22, capped.find(' ', 22) - 22)));
}

TEST_CASE("agent commands: dispatch, arguments and failures", "[remote_logs]") {
  AgentCommandHandlers handlers;
  std::string asked_container;
  std::size_t asked_tail = 0;
  handlers.gc = []() -> Result<std::string> { return std::string("gc run started"); };
  handlers.rotate_logs = []() -> Result<std::string> {
    return Status::Unavailable("log rotation is disabled");
  };
  handlers.container_logs = [&](const std::string& c, std::size_t tail) -> Result<std::string> {
    asked_container = c;
    asked_tail = tail;
    return std::string("l1\nl2\n");
  };
  handlers.own_logs = [&](std::size_t tail) {
    asked_tail = tail;
    return std::string("agent line\n");
  };

  auto gc = ExecuteAgentCommand({7, "gc", {}}, handlers);
  CHECK(gc.id == 7);
  CHECK(gc.ok);
  CHECK(gc.output == "gc run started");

  auto rotate = ExecuteAgentCommand({8, "rotate_logs", {}}, handlers);
  CHECK_FALSE(rotate.ok);
  CHECK_THAT(rotate.error, Catch::Contains("disabled"));

  auto mods = ExecuteAgentCommand({9, "refresh_mods", {}}, handlers);
  CHECK_FALSE(mods.ok);
  CHECK_THAT(mods.error, Catch::Contains("not available"));

  auto own = ExecuteAgentCommand({10, "logs", {}}, handlers);
  CHECK(own.ok);
  CHECK(own.output == "agent line\n");
  CHECK(asked_tail == kDefaultLogTail);

  auto container =
      ExecuteAgentCommand({11, "logs", {{"container", "web"}, {"tail", "5"}}}, handlers);
  CHECK(container.ok);
  CHECK(asked_container == "web");
  CHECK(asked_tail == 5);

  for (const char* bad : {"0", "x", "-3", "10001"}) {
    auto result = ExecuteAgentCommand({12, "logs", {{"tail", bad}}}, handlers);
    INFO(bad);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("tail"));
  }

  auto unknown = ExecuteAgentCommand({13, "reboot", {}}, handlers);
  CHECK_FALSE(unknown.ok);
  CHECK_THAT(unknown.error, Catch::Contains("unknown agent command 'reboot'"));
}

TEST_CASE("agent commands: a large output is capped under the limit", "[remote_logs]") {
  AgentCommandHandlers handlers;
  handlers.own_logs = [](std::size_t) {
    return std::string(protocol::kMaxCommandOutputBytes * 2, 'x');
  };
  auto result = ExecuteAgentCommand({1, "logs", {}}, handlers);
  CHECK(result.ok);
  CHECK(result.output.size() <= protocol::kMaxCommandOutputBytes);
  CHECK_THAT(result.output, Catch::StartsWith("[truncated"));
}

// Issue 8 (fuzz_remote_logs): a container may write any bytes, and the result travels to the leader
// as a MessagePack str that the leader refuses when it is not UTF-8, so `logs` answered nothing.
// The text sent is valid UTF-8, and CapOutput never starts inside a sequence.
TEST_CASE("remote logs: the text sent is valid UTF-8 and never cut inside a character",
          "[remote_logs]") {
  const std::string body = Frame(1, "ok \xe2\x82\xac\n") + Frame(2, "bad \xff\xfe\n");
  CHECK(ContainerLogText(body, /*tty=*/false, 10) ==
        "ok \xe2\x82\xac\nbad \xef\xbf\xbd\xef\xbf\xbd\n");
  CHECK(ContainerLogText("a\nb\xc3\n", /*tty=*/true, 1) == "b\xef\xbf\xbd\n");
  CHECK(ContainerLogText("", /*tty=*/false, 5).empty());

  // 300 two-byte characters cut to 100 bytes: the cut falls inside one.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "\xc3\xa9";
  for (std::size_t cap = 60; cap < 70; ++cap) {
    INFO(cap);
    const std::string capped = CapOutput(text, cap);
    CHECK(capped.size() <= cap);
    CHECK(IsValidUtf8(capped));
  }
}

}  // namespace
}  // namespace orcastra::agent
