// The leader's endpoints without sockets, threads or real time: every message kind, every query,
// refusals and their wire codes, replies that cannot be sent, the bounds on what peers can make
// the leader keep, and plans made off the endpoints thread (issue 8).
#include "leader/endpoints/endpoints.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <msgpack.hpp>
#include <thread>

#include "common/utf8.h"
#include "leader/cli/cli.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_outbound.h"
#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Port = Outbound::Port;

docker::Node MakeNode(std::string id, std::string hostname, std::string role = "worker") {
  docker::Node n;
  n.id = std::move(id);
  n.hostname = std::move(hostname);
  n.role = std::move(role);
  n.state = "ready";
  n.availability = "active";
  return n;
}

protocol::Incoming Frame(const std::string& identity, const std::string& bytes) {
  protocol::Refusal refusal = protocol::Refusal::kBadMessage;
  auto decoded = protocol::Decode(bytes, "peer " + identity, protocol::kMaxMessageBytes, &refusal);
  return protocol::Incoming{identity, std::move(decoded), refusal};
}

protocol::Incoming Msg(const std::string& identity, protocol::Body body,
                       const std::string& node = "") {
  return Frame(identity, protocol::Encode({{protocol::kMajorVersion, node, 1, 1000}, body}));
}

protocol::Hello HelloFrom(const std::string& node_id, const std::string& hostname) {
  return {"0.1.0", node_id, hostname, 5000, "procfs"};
}

protocol::NodeReport ReportFrom(const std::string& node_id, const std::string& hostname) {
  protocol::NodeReport report;
  report.node_id = node_id;
  report.hostname = hostname;
  report.report_interval_ms = 5000;
  report.memory = {1000, 600, 400, "procfs"};
  return report;
}

// The core and everything it works with, all fake.
struct Harness {
  testing::FakeClock clock;
  SharedState shared;
  testing::FakeOutbound out;
  AgentCommandOutbox outbox;
  std::shared_ptr<testing::FakeSwarmApi> swarm = std::make_shared<testing::FakeSwarmApi>();
  PlanWorker plans{swarm, clock};
  LeaseView lease{true, 3, "id-m1", "m1"};
  std::function<void()> lease_hook;  // runs on every lease read (a test may throw from it)
  std::vector<std::string> submitted;
  Result<std::uint64_t> submit_result = std::uint64_t{42};
  int pokes = 0;
  EndpointsCore core{Context(), out};

  Harness() {
    std::lock_guard lock(shared.mutex);
    shared.cluster.SetIdentity({"id-m1", "m1"});
    shared.cluster.SetEventLogId("id-m1/1");
    shared.cluster.SetNodes(
        {MakeNode("id-m1", "m1", "manager"), MakeNode("id-w1", "w1"), MakeNode("id-w2", "w2")},
        clock.Now());
  }

  EndpointsContext Context() {
    EndpointsContext c;
    c.clock = &clock;
    c.shared = &shared;
    c.lease = [this] {
      if (lease_hook) lease_hook();
      return lease;
    };
    c.submit = [this](const std::string& text, const std::string& source) {
      submitted.push_back(text + " from " + source);
      return submit_result;
    };
    c.poke = [this] { ++pokes; };
    c.outbox = &outbox;
    c.plans = &plans;
    return c;
  }

  void Agent(const std::string& identity, protocol::Body body, const std::string& node = "") {
    core.OnAgentMessage(Msg(identity, std::move(body), node));
  }
  void Control(const std::string& identity, protocol::Body body) {
    core.OnControlMessage(Msg(identity, std::move(body)));
  }

  // Sends a query and returns the one reply it got at once.
  protocol::Reply Ask(const std::string& what, std::map<std::string, std::string> args = {},
                      const std::string& cli = "cli") {
    Control(cli, protocol::Query{what, std::move(args)});
    auto sent = out.Take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].port == Port::kControl);
    CHECK(sent[0].identity == cli);
    const auto* reply = std::get_if<protocol::Reply>(&sent[0].message.body);
    REQUIRE(reply != nullptr);
    return *reply;
  }
  json AskJson(const std::string& what, std::map<std::string, std::string> args = {}) {
    protocol::Reply reply = Ask(what, std::move(args));
    INFO(reply.error);
    REQUIRE(reply.ok);
    return json::parse(reply.result_json);
  }

  // Every message sent on `port`, of body type T.
  template <typename T>
  std::vector<std::pair<std::string, T>> Sent(Port port) {
    std::vector<std::pair<std::string, T>> found;
    for (const auto& s : out.sent) {
      if (s.port != port) continue;
      if (const auto* body = std::get_if<T>(&s.message.body)) found.emplace_back(s.identity, *body);
    }
    return found;
  }

  // The controller's last complete read of the service list found these images.
  void SetServiceImages(std::vector<std::string> refs) {
    std::lock_guard lock(shared.mutex);
    shared.view.service_images = std::move(refs);
  }

  // A connected agent on node `node_id` reachable as `identity`.
  void Connect(const std::string& identity, const std::string& node_id,
               const std::string& hostname) {
    Agent(identity, HelloFrom(node_id, hostname), node_id);
    out.Take();  // the welcome
  }
};

protocol::Error ErrorTo(Harness& h, const std::string& identity) {
  auto sent = h.out.Take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].identity == identity);
  const auto* error = std::get_if<protocol::Error>(&sent[0].message.body);
  REQUIRE(error != nullptr);
  return *error;
}

TEST_CASE("endpoints: a hello is welcomed and the agent recorded", "[leader][endpoints]") {
  Harness h;
  h.Agent("agent-w1", HelloFrom("id-w1", "w1"), "id-w1");
  auto welcomes = h.Sent<protocol::Welcome>(Port::kAgents);
  REQUIRE(welcomes.size() == 1);
  CHECK(welcomes[0].first == "agent-w1");
  CHECK(welcomes[0].second.leader_node_id == "id-m1");
  CHECK(welcomes[0].second.leader_hostname == "m1");
  CHECK(welcomes[0].second.active);
  CHECK(h.core.peers().Find("w1", h.clock.Now()).ok());
  h.out.Take();
  json nodes = h.AskJson("nodes");
  CHECK(nodes[1]["hostname"] == "w1");
  CHECK(nodes[1]["agent"]["connected"] == true);
  CHECK(nodes[1]["agent"]["version"] == "0.1.0");
}

TEST_CASE("endpoints: a node report is stored and shown; nothing is answered",
          "[leader][endpoints]") {
  Harness h;
  protocol::NodeReport report = ReportFrom("id-w2", "w2");
  report.service_images_age_ms = 30'000;
  h.Agent("agent-w2", report, "id-w2");
  CHECK(h.out.sent.empty());
  h.clock.Advance(2s);
  json nodes = h.AskJson("nodes");
  const json& w2 = nodes[2];
  CHECK(w2["hostname"] == "w2");
  CHECK(w2["memory"]["used_bytes"] == 400);
  CHECK(w2["agent"]["last_seen_seconds"] == 2.0);
  CHECK(w2["agent"]["service_images_age_seconds"] == 32.0);
  CHECK(h.core.peers().Find("id-w2", h.clock.Now())->identity == "agent-w2");
}

TEST_CASE("endpoints: events are logged; container events wake the controller",
          "[leader][endpoints]") {
  Harness h;
  h.Agent("agent-w1", protocol::Event{"container_die", "c1", "exit 137", {{"exitCode", "137"}}},
          "id-w1");
  h.Agent("agent-w1", protocol::Event{"gc_done", "", "removed 3 images", {}}, "id-w1");
  CHECK(h.pokes == 1);  // only the container event
  CHECK(h.out.sent.empty());
  json page = h.AskJson("events");
  REQUIRE(page["events"].size() == 2);
  CHECK(page["events"][0]["kind"] == "container_die");
  CHECK(page["events"][0]["hostname"] == "w1");
  CHECK(page["events"][0]["ts_ms"] == 1000);
  CHECK(page["more"] == false);
  CHECK(page["cursor"] == 2);
  CHECK(page["log_id"] == "id-m1/1");
  json status = h.AskJson("status");
  CHECK(status["recent_events"].size() == 2);
}

TEST_CASE("endpoints: event_mode off, container events do not poke", "[leader][endpoints]") {
  Harness h;
  EndpointsContext context = h.Context();
  context.event_mode = false;
  EndpointsCore core(context, h.out);
  core.OnAgentMessage(Msg("a", protocol::Event{"container_oom", "c", "", {}}, "id-w1"));
  CHECK(h.pokes == 0);
}

TEST_CASE("endpoints: logs go to the node's agent and its result back to the CLI",
          "[leader][endpoints]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.Control("cli-1",
            protocol::Query{"logs", {{"node", "w1"}, {"tail", "5"}, {"container", "web"}}});
  auto commands = h.Sent<protocol::AgentCommand>(Port::kAgents);
  REQUIRE(commands.size() == 1);
  CHECK(commands[0].first == "agent-w1");
  CHECK(commands[0].second.name == "logs");
  CHECK(commands[0].second.args.at("tail") == "5");
  CHECK(commands[0].second.args.at("container") == "web");
  CHECK(h.Sent<protocol::Reply>(Port::kControl).empty());  // waits for the agent
  h.out.Take();
  const std::uint64_t id = commands[0].second.id;
  // From another node: ignored.
  h.Agent("agent-w2", protocol::AgentCommandResult{id, true, "", "not mine"}, "id-w2");
  CHECK(h.out.sent.empty());
  h.Agent("agent-w1", protocol::AgentCommandResult{id, true, "", "line 1\nline 2\n"}, "id-w1");
  auto replies = h.Sent<protocol::Reply>(Port::kControl);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].first == "cli-1");
  REQUIRE(replies[0].second.ok);
  json logs = json::parse(replies[0].second.result_json);
  CHECK(logs["node"] == "w1");
  CHECK(logs["output"] == "line 1\nline 2\n");
  CHECK(h.core.pending().size() == 0);
}

TEST_CASE("endpoints: logs of an unknown node, or with no node, are answered at once",
          "[leader][endpoints]") {
  Harness h;
  protocol::Reply unknown = h.Ask("logs", {{"node", "w9"}});
  CHECK_FALSE(unknown.ok);
  CHECK_THAT(unknown.error, Catch::Contains("'w9'"));
  CHECK(h.Ask("logs").error == "no node given");
}

TEST_CASE("endpoints: a logs request the agent never answers ends in an error reply",
          "[leader][endpoints]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.Control("cli", protocol::Query{"logs", {{"node", "w1"}}});
  h.out.Take();
  h.clock.Advance(kLogsDeadline);
  h.core.Tick();
  auto replies = h.Sent<protocol::Reply>(Port::kControl);
  REQUIRE(replies.size() == 1);
  CHECK_FALSE(replies[0].second.ok);
  CHECK_THAT(replies[0].second.error, Catch::Contains("no answer from the agent on 'w1'"));
}

TEST_CASE("endpoints: a send that fails is counted and, for logs, answered with the reason",
          "[leader][endpoints]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.out.unreachable.insert("agent-w1");
  protocol::Reply reply = h.Ask("logs", {{"node", "w1"}});
  CHECK_FALSE(reply.ok);
  CHECK_THAT(reply.error, Catch::Contains("cannot reach the agent on 'w1'"));
  CHECK(h.core.counters().send_failures == 1);
  CHECK(h.core.pending().size() == 0);
  // A CLI that is gone: its reply fails, is counted, nothing throws.
  h.out.unreachable.insert("gone-cli");
  h.Control("gone-cli", protocol::Query{"status", {}});
  CHECK(h.core.counters().send_failures == 2);
}

TEST_CASE("endpoints: every query kind is answered", "[leader][endpoints]") {
  Harness h;
  SECTION("status") {
    json status = h.AskJson("status");
    CHECK(status["answered_by"]["hostname"] == "m1");
    CHECK(status["leader"]["term"] == 3);
    CHECK(status["nodes"]["total"] == 3);
    CHECK(status["anchors"].is_null());
    CHECK(status["health"]["send_failures"] == 0);
  }
  SECTION("nodes") { CHECK(h.AskJson("nodes").size() == 3); }
  SECTION("events with bad arguments") {
    CHECK_THAT(h.Ask("events", {{"after", "x"}}).error, Catch::Contains("after 'x'"));
    CHECK_THAT(h.Ask("events", {{"limit", "0"}}).error, Catch::Contains("limit"));
    CHECK_THAT(h.Ask("events", {{"since_ms", "-1"}}).error, Catch::Contains("since_ms"));
  }
  SECTION("anchors and services before any configuration") {
    CHECK_THAT(h.Ask("anchors").error, Catch::StartsWith("no configuration in force"));
    CHECK_THAT(h.Ask("services").error, Catch::StartsWith("no configuration in force"));
  }
  SECTION("anchors and services after a cycle") {
    {
      std::lock_guard lock(h.shared.mutex);
      h.shared.view.has_config = true;
      h.shared.view.plan = {{"anchors", json::array({{{"name", "db"}}})},
                            {"actions", json::array()}};
      h.shared.view.services = json::array({{{"name", "st_db"}}});
      h.shared.view.acted = true;
    }
    json anchors = h.AskJson("anchors");
    CHECK(anchors["anchors"][0]["name"] == "db");
    CHECK(anchors["from_active_leader"] == true);
    CHECK(h.AskJson("services")["services"][0]["name"] == "st_db");
    // A plan document without anchors (never expected): an empty list, no crash.
    {
      std::lock_guard lock(h.shared.mutex);
      h.shared.view.plan = json::object();
    }
    CHECK(h.AskJson("anchors")["anchors"].empty());
  }
  SECTION("command on the active instance") {
    json accepted = h.AskJson("command", {{"command", "relabel_all"}});
    CHECK(accepted["id"] == 42);
    REQUIRE(h.submitted.size() == 1);
    CHECK(h.submitted[0] == "relabel_all from cli");
    h.submit_result = Status::InvalidArgument("unknown command 'x'");
    CHECK(h.Ask("command", {{"command", "x"}}).error == "unknown command 'x'");
    CHECK(h.Ask("command").error == "no command given");
  }
  SECTION("command on a standby that cannot forward names the active one and its address") {
    h.lease = {false, 3, "id-m2", "m2"};
    {
      std::lock_guard lock(h.shared.mutex);
      docker::Node m2 = MakeNode("id-m2", "m2", "manager");
      m2.addr = "198.51.100.12";
      h.shared.cluster.SetNodes({MakeNode("id-m1", "m1", "manager"), m2}, h.clock.Now());
    }
    protocol::Reply reply = h.Ask("command", {{"command", "relabel_all"}});
    CHECK_FALSE(reply.ok);
    CHECK_FALSE(reply.from_active_leader);
    CHECK_THAT(reply.error,
               Catch::Contains("'m2'") && Catch::Contains("--leader tcp://198.51.100.12:7471"));
    CHECK(h.submitted.empty());
  }
  SECTION("command on a standby while no instance is active: a retryable refusal") {
    h.lease = {false, 0, "", ""};
    protocol::Reply reply = h.Ask("command", {{"command", "relabel_all"}});
    CHECK_FALSE(reply.ok);
    CHECK_THAT(reply.error, Catch::StartsWith("no instance is active"));
    CHECK(json::parse(reply.result_json)["reason"] == kNoActiveReason);
    CHECK(h.submitted.empty());
  }
  SECTION("plan") {
    h.Control("cli", protocol::Query{"plan", {}});
    CHECK(h.out.sent.empty());  // made by the plan worker
    REQUIRE(h.plans.RunOne());
    h.core.Tick();
    auto replies = h.Sent<protocol::Reply>(Port::kControl);
    REQUIRE(replies.size() == 1);
    CHECK_THAT(replies[0].second.error, Catch::StartsWith("no configuration in force"));
  }
  SECTION("unknown") { CHECK(h.Ask("bogus").error == "unknown query 'bogus'"); }
}

TEST_CASE("endpoints: queries before the first node list are answered with why not",
          "[leader][endpoints]") {
  testing::FakeClock clock;
  SharedState shared;
  testing::FakeOutbound out;
  EndpointsContext context;
  context.clock = &clock;
  context.shared = &shared;
  EndpointsCore core(context, out);
  for (const char* what : {"status", "nodes", "events"}) {
    core.OnControlMessage(Msg("cli", protocol::Query{what, {}}));
    auto sent = out.Take();
    REQUIRE(sent.size() == 1);
    const auto& reply = std::get<protocol::Reply>(sent[0].message.body);
    CHECK_FALSE(reply.ok);
    CHECK_THAT(reply.error, Catch::Contains("has not read the node list yet"));
  }
  // No plan worker, no controller: still answered.
  core.OnControlMessage(Msg("cli", protocol::Query{"plan", {}}));
  core.OnControlMessage(Msg("cli", protocol::Query{"command", {{"command", "noop"}}}));
  CHECK(out.Take().size() == 2);
}

TEST_CASE("endpoints: refusals are answered with the right wire code", "[leader][endpoints]") {
  Harness h;
  SECTION("a query on the agent endpoint") {
    h.Agent("x", protocol::Query{"status", {}});
    protocol::Error error = ErrorTo(h, "x");
    CHECK(error.code == protocol::kErrorUnknownType);
    CHECK_THAT(error.message, Catch::Contains("not accepted on the agent endpoint"));
  }
  SECTION("a hello on the control endpoint") {
    h.Control("x", HelloFrom("id-w1", "w1"));
    protocol::Error error = ErrorTo(h, "x");
    CHECK(error.code == protocol::kErrorUnknownType);
    CHECK_THAT(error.message, Catch::Contains("only queries"));
    CHECK_FALSE(h.core.peers().Find("w1", h.clock.Now()).ok());
  }
  SECTION("garbage") {
    h.core.OnControlMessage(Frame("x", "\xc1garbage"));
    CHECK(ErrorTo(h, "x").code == protocol::kErrorBadMessage);
    h.core.OnAgentMessage(Frame("y", ""));
    CHECK(ErrorTo(h, "y").code == protocol::kErrorBadMessage);
  }
  SECTION("too large") {
    h.core.OnAgentMessage(Frame("x", std::string(protocol::kMaxMessageBytes + 1, '\x90')));
    CHECK(ErrorTo(h, "x").code == protocol::kErrorTooLarge);
  }
  SECTION("another version") {
    h.core.OnAgentMessage(Frame("x", protocol::Encode({{2, "", 1, 0}, HelloFrom("a", "b")})));
    CHECK(ErrorTo(h, "x").code == protocol::kErrorUnsupportedVersion);
  }
  SECTION("an unknown type") {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pack(buffer);
    pack.pack_map(2);
    pack.pack("v");
    pack.pack(1);
    pack.pack("type");
    pack.pack("teleport");
    h.core.OnControlMessage(Frame("x", std::string(buffer.data(), buffer.size())));
    CHECK(ErrorTo(h, "x").code == protocol::kErrorUnknownType);
  }
  SECTION("a hello whose node id is too long to be one") {
    h.Agent("x", HelloFrom(std::string(1000, 'n'), "w1"));
    protocol::Error error = ErrorTo(h, "x");
    CHECK(error.code == protocol::kErrorBadMessage);
    CHECK_THAT(error.message, Catch::Contains("body.node_id"));
    CHECK(h.core.peers().size() == 0);
    h.Agent("x", ReportFrom("id-w1", std::string(300, 'h')));
    CHECK_THAT(ErrorTo(h, "x").message, Catch::Contains("body.hostname"));
  }
  SECTION("an error is never answered, on either endpoint") {
    h.Agent("x", protocol::Error{"bad_message", "no"});
    h.Control("x", protocol::Error{"bad_message", "no"});
    CHECK(h.out.sent.empty());
  }
  SECTION("a socket error has nobody to answer") {
    h.core.OnAgentMessage(protocol::Incoming{"", Status::IoError("receiving: boom")});
    CHECK(h.out.sent.empty());
  }
  CHECK(h.out.undecodable == 0);
}

TEST_CASE(
    "regression: a non-UTF-8 event from a peer without credentials cannot take the leader "
    "down (issue 8)",
    "[leader][endpoints][issue8]") {
  Harness h;
  // The message: an event whose text is not valid UTF-8, from nobody in particular.
  protocol::Event bad{"container_die", "c1", "exit \xff\xfe\xfd", {}};
  h.core.OnAgentMessage(
      Frame("stranger", protocol::Encode({{protocol::kMajorVersion, "", 1, 0}, bad})));
  protocol::Error error = ErrorTo(h, "stranger");
  CHECK(error.code == protocol::kErrorBadMessage);
  CHECK_THAT(error.message, Catch::Contains("body.message"));
  CHECK(IsValidUtf8(error.message));
  // Valid but awkward text passes decode, is kept and rendered.
  protocol::Event odd{"container_die",
                      std::string("c\0x", 3),
                      "\xef\xbf\xbd \xf0\x9f\x92\xa5 \x01\x7f \"quoted\" \\ \n",
                      {{"k\t", "\x02"}}};
  h.Agent("stranger", odd, "id-w1");
  // Text that never came through the decoder (the leader's own events, e.g. a Docker error).
  {
    std::lock_guard lock(h.shared.mutex);
    h.shared.cluster.RecordEvent("id-m1", {"reconcile_failed", "x", "docker said \xc3\x28", {}}, 5);
  }
  json status = h.AskJson("status");
  REQUIRE(status["recent_events"].size() == 2);
  CHECK(status["recent_events"][0]["message"] == odd.message);
  json page = h.AskJson("events");
  REQUIRE(page["events"].size() == 2);
  CHECK(page["events"][0]["subject"] == odd.subject);
  CHECK(page["events"][1]["message"] == "docker said \xef\xbf\xbd(");
  CHECK(!RenderStatus(status).empty());
  CHECK(!RenderEvents(page["events"]).empty());
  CHECK(h.out.undecodable == 0);
  CHECK(h.core.counters().handler_failures == 0);
}

TEST_CASE("endpoints: a reply too large for one frame becomes an error reply saying so",
          "[leader][endpoints][bounds]") {
  Harness h;
  std::vector<docker::Node> nodes;
  for (int i = 0; i < 300; ++i) {
    docker::Node node = MakeNode("id-" + std::to_string(i), "n" + std::to_string(i));
    node.labels["big"] = std::string(4096, 'x');
    nodes.push_back(node);
  }
  {
    std::lock_guard lock(h.shared.mutex);
    h.shared.cluster.SetNodes(nodes, h.clock.Now());
  }
  protocol::Reply reply = h.Ask("nodes");
  CHECK_FALSE(reply.ok);
  CHECK(reply.result_json.empty());
  CHECK_THAT(reply.error, Catch::Contains("the answer to 'nodes' is too large to send"));
  CHECK(h.core.counters().replies_too_large == 1);
  CHECK(h.core.counters().send_failures == 0);
}

TEST_CASE("endpoints: status and nodes stay answerable whatever agents send",
          "[leader][endpoints][bounds]") {
  Harness h;
  // Ten events of the largest size, in characters JSON escapes sixfold.
  protocol::Event big{"container_die",
                      std::string(1000, '\x02'),
                      std::string(ClusterState::kMaxEventMessageBytes * 2, '\x01'),
                      {}};
  for (int i = 0; i < 40; ++i) big.attrs["a" + std::to_string(i)] = std::string(2000, '\x03');
  for (int i = 0; i < 10; ++i) h.Agent("agent-w1", big, "id-w1");
  protocol::Hello hello = HelloFrom("id-w1", "w1");
  hello.agent_version = std::string(500'000, 'v');
  h.Agent("agent-w1", hello, "id-w1");
  protocol::NodeReport report = ReportFrom("id-w1", "w1");
  report.memory.source = std::string(900'000, 's');
  h.Agent("agent-w1", report, "id-w1");
  h.out.Take();
  json status = h.AskJson("status");
  CHECK(status["recent_events"].size() == 10);
  json nodes = h.AskJson("nodes");
  CHECK(nodes[1]["memory"]["source"].get<std::string>().size() <= ClusterState::kMaxShownTextBytes);
  CHECK(nodes[1]["agent"]["version"].get<std::string>().size() <= ClusterState::kMaxShownTextBytes);
  json events = h.AskJson("events", {{"limit", "1"}});
  CHECK(events["events"][0]["message"].get<std::string>().size() <=
        ClusterState::kMaxEventMessageBytes);
  CHECK(h.core.counters().replies_too_large == 0);
}

TEST_CASE("endpoints: more events than fit in one frame are read through pages",
          "[leader][endpoints][events][bounds]") {
  Harness h;
  // Events of the largest message size (escaping makes their JSON grow: control characters).
  const std::string message(ClusterState::kMaxEventMessageBytes, '\x01');
  std::size_t recorded = 0;
  {
    std::lock_guard lock(h.shared.mutex);
    for (int i = 0; i < 1500; ++i) {
      h.shared.cluster.RecordEvent("id-w1", {"k", "e" + std::to_string(i), message, {}}, i);
    }
    recorded = h.shared.cluster.event_count();
  }
  REQUIRE(recorded * message.size() * 6 > protocol::kMaxMessageBytes);  // far over one frame
  std::vector<std::string> subjects;
  std::uint64_t after = 0;
  int pages = 0;
  while (true) {
    h.Control("cli", protocol::Query{"events", {{"after", std::to_string(after)}}});
    auto sent = h.out.Take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].bytes <= protocol::kMaxMessageBytes);
    const auto& reply = std::get<protocol::Reply>(sent[0].message.body);
    REQUIRE(reply.ok);
    json page = json::parse(reply.result_json);
    for (const auto& e : page["events"]) subjects.push_back(e["subject"]);
    ++pages;
    after = page["cursor"];
    if (!page["more"].get<bool>()) break;
    REQUIRE(pages < 100);
  }
  CHECK(pages > 1);
  REQUIRE(subjects.size() == recorded);
  CHECK(subjects.back() == "e1499");
  for (std::size_t i = 1; i < subjects.size(); ++i) {
    CHECK(std::stoi(subjects[i].substr(1)) == std::stoi(subjects[i - 1].substr(1)) + 1);
  }
  // A limit is kept.
  json two = h.AskJson("events", {{"limit", "2"}});
  CHECK(two["events"].size() == 2);
  CHECK(two["more"] == true);
}

TEST_CASE("endpoints: logs requests beyond the cap are answered busy",
          "[leader][endpoints][bounds]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  for (std::size_t i = 0; i < PendingCommands::kMaxCliRequests + 10; ++i) {
    h.Control("cli-" + std::to_string(i), protocol::Query{"logs", {{"node", "w1"}}});
  }
  CHECK(h.Sent<protocol::AgentCommand>(Port::kAgents).size() == PendingCommands::kMaxCliRequests);
  auto busy = h.Sent<protocol::Reply>(Port::kControl);
  REQUIRE(busy.size() == 10);
  for (const auto& [identity, reply] : busy) CHECK_THAT(reply.error, Catch::Contains("busy"));
  CHECK(h.core.counters().busy == 10);
  CHECK(h.core.pending().cli_size() == PendingCommands::kMaxCliRequests);
  h.out.Take();
  h.clock.Advance(kLogsDeadline);
  h.core.Tick();
  CHECK(h.Sent<protocol::Reply>(Port::kControl).size() == PendingCommands::kMaxCliRequests);
  CHECK(h.core.pending().size() == 0);
}

TEST_CASE("endpoints: the controller's agent commands go out and come back as an event",
          "[leader][endpoints]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.Connect("agent-w2", "id-w2", "w2");
  h.outbox.Push({7, "gc", "cli", "gc", std::nullopt});
  h.outbox.Push({8, "gc:w9", "file", "gc", "w9"});
  h.core.Tick();
  auto commands = h.Sent<protocol::AgentCommand>(Port::kAgents);
  REQUIRE(commands.size() == 2);
  h.out.Take();
  for (const auto& [identity, command] : commands) {
    const std::string node = identity == "agent-w1" ? "id-w1" : "id-w2";
    h.Agent(identity, protocol::AgentCommandResult{command.id, true, "", "gc run started"}, node);
  }
  json events = h.AskJson("events", {{"type", "command"}})["events"];
  REQUIRE(events.size() == 2);
  CHECK(events[0]["subject"] == "gc:w9");  // recorded at once: no such agent
  CHECK(events[0]["attrs"]["result"] == "failed");
  CHECK(events[1]["subject"] == "gc");
  CHECK(events[1]["attrs"]["result"] == "ok");
  CHECK(events[1]["message"] == "w1: gc run started\nw2: gc run started");
}

TEST_CASE("endpoints: agent commands over the outbox's bound are recorded as busy",
          "[leader][endpoints][bounds]") {
  Harness h;
  for (std::uint64_t i = 0; i < AgentCommandOutbox::kMaxRequests + 5; ++i) {
    h.outbox.Push({i, "gc", "cli", "gc", std::nullopt});
  }
  h.core.Tick();
  json events = h.AskJson("events", {{"type", "command"}})["events"];
  REQUIRE(events.size() == AgentCommandOutbox::kMaxRequests + 5);
  int busy = 0;
  for (const auto& e : events) busy += e["message"].get<std::string>().rfind("busy", 0) == 0;
  CHECK(busy == 5);
  CHECK(h.core.counters().busy == 5);
}

TEST_CASE("endpoints: service image references go to new agents at once and again every minute",
          "[leader][endpoints][service_images]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.core.Tick();
  CHECK(h.Sent<protocol::ServiceImages>(Port::kAgents).empty());  // none read yet: none sent
  h.SetServiceImages({"nginx:1", "redis:7"});
  h.core.Tick();
  auto sent = h.Sent<protocol::ServiceImages>(Port::kAgents);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].first == "agent-w1");
  CHECK(sent[0].second.refs == std::vector<std::string>{"nginx:1", "redis:7"});
  h.out.Take();
  // The agent keeps reporting; the references go again once a minute, not at every tick.
  int resent = 0;
  for (int i = 0; i < 24; ++i) {  // two minutes
    h.clock.Advance(5s);
    h.Agent("agent-w1", ReportFrom("id-w1", "w1"), "id-w1");
    h.core.Tick();
    resent += static_cast<int>(h.Sent<protocol::ServiceImages>(Port::kAgents).size());
    h.out.Take();
  }
  CHECK(resent == 2);
  // A change goes out at once.
  h.SetServiceImages({"nginx:2"});
  h.core.Tick();
  REQUIRE(h.Sent<protocol::ServiceImages>(Port::kAgents).size() == 1);
  h.out.Take();
  // A reconnect (a new identity) gets them at once; the old identity's entry goes.
  h.Connect("agent-w1-again", "id-w1", "w1");
  h.core.Tick();
  auto again = h.Sent<protocol::ServiceImages>(Port::kAgents);
  REQUIRE(again.size() == 1);
  CHECK(again[0].first == "agent-w1-again");
  CHECK(h.core.images_sent_size() == 1);
}

TEST_CASE("endpoints: a failed service images send is retried soon, not at every tick",
          "[leader][endpoints][service_images]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.SetServiceImages({"nginx:1"});
  h.out.unreachable.insert("agent-w1");
  h.core.Tick();
  h.core.Tick();
  CHECK(h.core.counters().send_failures == 1);
  h.out.unreachable.clear();
  h.clock.Advance(kServiceImagesRetry);
  h.Agent("agent-w1", ReportFrom("id-w1", "w1"), "id-w1");
  h.core.Tick();
  CHECK(h.Sent<protocol::ServiceImages>(Port::kAgents).size() == 1);
}

TEST_CASE("endpoints: per-peer bookkeeping is pruned to Swarm's node list and capped",
          "[leader][endpoints][bounds]") {
  Harness h;
  h.Connect("agent-w1", "id-w1", "w1");
  h.SetServiceImages({"nginx:1"});
  // A peer that claims a new node id, and reconnects, over and over.
  for (int i = 0; i < 500; ++i) {
    const std::string id = std::to_string(i);
    h.Agent("flood-" + id, HelloFrom("fake-" + id, "fake" + id), "fake-" + id);
    h.Agent("flood-" + id, ReportFrom("fake-" + id, "fake" + id), "fake-" + id);
    h.core.Tick();
    h.out.Take();
  }
  CHECK(h.core.peers().size() <= 1 + AgentPeers::kMaxUnlisted);
  CHECK(h.core.images_sent_size() <= 1 + AgentPeers::kMaxUnlisted);
  {
    std::lock_guard lock(h.shared.mutex);
    CHECK(h.shared.cluster.agent_count() <= 1 + ClusterState::kMaxUnlistedAgents);
  }
  CHECK(h.core.peers().Find("w1", h.clock.Now()).ok());  // the real one is kept
  // The next complete node list drops them all; a node that left goes too.
  {
    std::lock_guard lock(h.shared.mutex);
    h.shared.cluster.SetNodes({MakeNode("id-m1", "m1", "manager"), MakeNode("id-w1", "w1")},
                              h.clock.Now());
  }
  h.core.Tick();
  CHECK(h.core.peers().size() == 1);
  CHECK(h.core.images_sent_size() == 1);
  {
    std::lock_guard lock(h.shared.mutex);
    h.shared.cluster.SetNodes({MakeNode("id-m1", "m1", "manager")}, h.clock.Now());
  }
  h.core.Tick();
  CHECK(h.core.peers().size() == 0);
  CHECK(h.core.images_sent_size() == 0);
}

TEST_CASE("endpoints: no exception leaves a handler; a query still gets an answer",
          "[leader][endpoints]") {
  Harness h;
  h.lease_hook = [] { throw std::runtime_error("lease view broke"); };
  protocol::Reply reply = h.Ask("status");
  CHECK_FALSE(reply.ok);
  CHECK_THAT(reply.error, Catch::Contains("internal error answering 'status': lease view broke"));
  h.Agent("agent-w1", HelloFrom("id-w1", "w1"), "id-w1");  // the hello reads the lease too
  CHECK(h.core.counters().handler_failures == 2);
  h.lease_hook = nullptr;
  EndpointsContext context = h.Context();
  context.submit = [](const std::string&, const std::string&) -> Result<std::uint64_t> {
    throw std::logic_error("controller broke");
  };
  EndpointsCore core(context, h.out);
  core.OnControlMessage(Msg("cli", protocol::Query{"command", {{"command", "noop"}}}));
  auto sent = h.out.Take();
  REQUIRE_FALSE(sent.empty());
  CHECK_THAT(std::get<protocol::Reply>(sent.back().message.body).error,
             Catch::Contains("controller broke"));
  // Not even a std::exception.
  context.submit = [](const std::string&, const std::string&) -> Result<std::uint64_t> {
    throw 42;
  };
  EndpointsCore odd(context, h.out);
  odd.OnControlMessage(Msg("cli", protocol::Query{"command", {{"command", "noop"}}}));
  sent = h.out.Take();
  REQUIRE(sent.size() == 1);
  CHECK_THAT(std::get<protocol::Reply>(sent[0].message.body).error,
             Catch::Contains("not a std::exception"));
  CHECK(odd.counters().handler_failures == 1);
}

TEST_CASE("endpoints: plans are made off the endpoints thread; a slow daemon stalls nothing",
          "[leader][endpoints][plan]") {
  Harness h;
  {
    std::lock_guard lock(h.shared.mutex);
    h.shared.view.has_config = true;
    h.shared.view.config = std::make_shared<const config::Config>();
    h.shared.view.settings.default_stack = "st";
  }
  h.swarm->nodes = {MakeNode("id-m1", "m1", "manager")};
  h.swarm->Block();
  h.plans.Start();
  h.Control("cli-plan-1", protocol::Query{"plan", {}});
  REQUIRE(h.swarm->WaitUntilBlockedReader());
  // The daemon hangs. Agents and other queries are served meanwhile.
  h.Agent("agent-w1", HelloFrom("id-w1", "w1"), "id-w1");
  CHECK(h.Sent<protocol::Welcome>(Port::kAgents).size() == 1);
  h.out.Take();
  h.Agent("agent-w1", ReportFrom("id-w1", "w1"), "id-w1");
  CHECK(h.AskJson("status")["agents"]["connected"] == 1);
  // Further plans queue up to the bound; beyond it they are answered busy at once.
  for (std::size_t i = 2; i <= PlanWorker::kMaxPlanJobs; ++i) {
    h.Control("cli-plan-" + std::to_string(i), protocol::Query{"plan", {}});
  }
  CHECK(h.out.sent.empty());
  protocol::Reply busy = h.Ask("plan", {}, "cli-plan-late");
  CHECK_THAT(busy.error, Catch::Contains("busy"));
  // The daemon answers: every waiting CLI gets its plan.
  h.swarm->Release();
  std::set<std::string> answered;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (answered.size() < PlanWorker::kMaxPlanJobs &&
         std::chrono::steady_clock::now() < deadline) {
    h.core.Tick();
    for (const auto& [identity, reply] : h.Sent<protocol::Reply>(Port::kControl)) {
      CHECK(reply.ok);
      CHECK(json::parse(reply.result_json)["actions"].empty());
      answered.insert(identity);
    }
    h.out.Take();
    std::this_thread::sleep_for(1ms);  // the worker is a real thread
  }
  CHECK(answered.size() == PlanWorker::kMaxPlanJobs);
  h.plans.Stop();
}

TEST_CASE("plan worker: no plan on partial data, and a job that throws is still answered",
          "[leader][endpoints][plan]") {
  testing::FakeClock clock;
  auto swarm = std::make_shared<testing::FakeSwarmApi>();
  PlanWorker worker(swarm, clock);
  ControllerView view;
  view.has_config = true;
  view.config = std::make_shared<const config::Config>();
  swarm->fail_services = true;
  REQUIRE(worker.Submit({"cli", view, {}}).ok());
  REQUIRE(worker.RunOne());
  auto answers = worker.TakeAnswers();
  REQUIRE(answers.size() == 1);
  CHECK_THAT(answers[0].reply.error, Catch::StartsWith("no plan on partial data"));
  CHECK_FALSE(worker.RunOne());
  // A ControllerView with a configuration but no config object is refused, not dereferenced.
  view.config.reset();
  REQUIRE(worker.Submit({"cli", view, {}}).ok());
  REQUIRE(worker.RunOne());
  CHECK_THAT(worker.TakeAnswers()[0].reply.error, Catch::StartsWith("no configuration"));
  // The bound counts answers not yet taken.
  PlanWorker small(swarm, clock, 1);
  REQUIRE(small.Submit({"a", view, {}}).ok());
  REQUIRE(small.RunOne());
  CHECK_FALSE(small.Submit({"b", view, {}}).ok());
  CHECK(small.TakeAnswers().size() == 1);
  CHECK(small.Submit({"b", view, {}}).ok());
}

TEST_CASE("endpoints service: the CLI pages through a log larger than one frame over ZeroMQ",
          "[leader][endpoints][events]") {
  testing::FakeClock clock;
  SharedState shared;
  shared.cluster.SetIdentity({"id-m1", "m1"});
  shared.cluster.SetEventLogId("id-m1/7");
  shared.cluster.SetNodes({MakeNode("id-w1", "w1")}, clock.Now());
  const std::string message(ClusterState::kMaxEventMessageBytes, '\x01');
  for (int i = 0; i < 1200; ++i) {
    shared.cluster.RecordEvent("id-w1", {"k", "e" + std::to_string(i), message, {}}, i);
  }
  const std::size_t kept = shared.cluster.event_count();
  zmq::context_t context(1);
  zmq::socket_t agents(context, zmq::socket_type::router);
  zmq::socket_t control(context, zmq::socket_type::router);
  protocol::ConfigureSocket(agents);
  protocol::ConfigureSocket(control);
  agents.bind("inproc://endpoints-test-agents");
  control.bind("inproc://endpoints-test-control");
  EndpointsContext wiring;
  wiring.clock = &clock;
  wiring.shared = &shared;
  Endpoints endpoints(wiring, {std::move(agents), std::move(control), std::nullopt, std::nullopt});
  endpoints.Start();
  protocol::ClientSecurity plain;
  plain.insecure = true;
  EventsCursor cursor;
  auto all =
      FetchEvents(context, {"inproc://endpoints-test-control", "test"}, plain, {}, cursor, 5s);
  REQUIRE(all.ok());
  CHECK(all->size() == kept);
  CHECK((*all)[0]["subject"] == "e" + std::to_string(1200 - kept));
  CHECK(all->back()["subject"] == "e1199");
  CHECK(cursor.after == 1200);
  CHECK(cursor.log_id == "id-m1/7");
  // Following: only what is new.
  {
    std::lock_guard lock(shared.mutex);
    shared.cluster.RecordEvent("id-w1", {"k", "new", "m", {}}, 2000);
  }
  auto next =
      FetchEvents(context, {"inproc://endpoints-test-control", "test"}, plain, {}, cursor, 5s);
  REQUIRE(next.ok());
  REQUIRE(next->size() == 1);
  CHECK((*next)[0]["subject"] == "new");
  // Another log (the leader restarted): read from its start.
  std::size_t now_kept = 0;
  {
    std::lock_guard lock(shared.mutex);
    shared.cluster.SetEventLogId("id-m1/8");
    now_kept = shared.cluster.event_count();
  }
  auto restarted = FetchEvents(context, {"inproc://endpoints-test-control", "test"}, plain,
                               {{"type", "k"}}, cursor, 5s);
  REQUIRE(restarted.ok());
  CHECK(restarted->size() == now_kept);  // the whole log of the "new" instance
  CHECK(cursor.log_id == "id-m1/8");
  endpoints.Stop();
}

}  // namespace
}  // namespace orcastra::leader
