// The endpoints with security on (doc/security.md), without sockets: roles checked on every
// message, agents bound to the node their Swarm certificate proves, refusals answered with their
// codes and recorded as events, per-connection rate limits, and what `status` shows.
#include <catch2/catch.hpp>
#include <chrono>

#include "leader/endpoints/endpoints.h"
#include "protocol/attestation.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_outbound.h"
#include "tests/fakes/fake_swarm_api.h"
#include "tests/support/test_pki.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Port = Outbound::Port;
using protocol::Role;

docker::Node MakeNode(std::string id, std::string hostname, std::string role = "worker") {
  docker::Node n;
  n.id = std::move(id);
  n.hostname = std::move(hostname);
  n.role = std::move(role);
  n.state = "ready";
  n.availability = "active";
  return n;
}

protocol::NodeReport ReportFrom(const std::string& node_id, const std::string& hostname) {
  protocol::NodeReport report;
  report.node_id = node_id;
  report.hostname = hostname;
  report.report_interval_ms = 5000;
  report.memory = {1000, 600, 400, "procfs"};
  return report;
}

struct Harness {
  testing::FakeClock clock;
  SharedState shared;
  testing::FakeOutbound out;
  AgentCommandOutbox outbox;
  std::shared_ptr<testing::FakeSwarmApi> swarm_api = std::make_shared<testing::FakeSwarmApi>();
  PlanWorker plans{swarm_api, clock};
  protocol::KeyFile leader = *protocol::NewKeyPair();
  protocol::KeyFile agent = *protocol::NewKeyPair();
  protocol::KeySet keys;
  testing::TestSwarm swarm{static_cast<std::time_t>(clock.WallMs() / 1000)};
  testing::TestKey w1_key, w2_key;
  std::vector<std::string> submitted;
  EndpointsCore core{Context(), out};

  Harness() {
    keys.clients = {{Role::kAgent, agent.public_key, "agents", 1},
                    {Role::kOperator, protocol::NewKeyPair()->public_key, "alice", 2},
                    {Role::kReadOnly, protocol::NewKeyPair()->public_key, "grafana", 3}};
    std::lock_guard lock(shared.mutex);
    shared.cluster.SetIdentity({"id-m1", "m1"});
    shared.cluster.SetEventLogId("id-m1/1");
    shared.cluster.SetNodes(
        {MakeNode("id-m1", "m1", "manager"), MakeNode("id-w1", "w1"), MakeNode("id-w2", "w2")},
        clock.Now());
    shared.cluster.SetLease({true, 3, "id-m1", "m1"});
    shared.trust = {swarm.cluster_id(), swarm.root_pem(), "SWMTKN-1-test"};
  }

  EndpointsContext Context() {
    EndpointsContext c;
    c.clock = &clock;
    c.shared = &shared;
    c.lease = [] { return LeaseView{true, 3, "id-m1", "m1"}; };
    c.submit = [this](const std::string& text, const std::string& source) {
      submitted.push_back(text + " from " + source);
      return Result<std::uint64_t>(std::uint64_t{7});
    };
    c.outbox = &outbox;
    c.plans = &plans;
    c.security.insecure = false;
    c.security.leader_public_key = leader.public_key;
    c.security.keys = &keys;
    return c;
  }

  // A message as the ROUTER hands it over: from connection `serial` of key `user`.
  static protocol::Incoming In(const std::string& identity, const std::string& user_id,
                               protocol::Body body, const std::string& node = "", int fd = -1) {
    const std::string frame =
        protocol::Encode({{protocol::kMajorVersion, node, 1, 1000}, std::move(body)});
    protocol::Refusal refusal = protocol::Refusal::kBadMessage;
    protocol::Incoming in{
        identity, protocol::Decode(frame, "peer", protocol::kMaxMessageBytes, &refusal), refusal};
    in.user_id = user_id;
    in.peer_address = "198.51.100.51";
    in.source_fd = fd;
    return in;
  }

  protocol::Hello ProvenHello(const std::string& node_id, const std::string& hostname,
                              const testing::TestKey& key, const std::string& cert_node = "") {
    protocol::Hello hello{"0.1.0", node_id, hostname, 5000, "procfs"};
    auto parsed = protocol::ParseSwarmNodeKey(key.Pkcs8Pem("kek-version: 0"));
    REQUIRE(parsed.ok());
    auto made = protocol::MakeCertAttestation(
        {node_id, clock.WallMs(), *protocol::NewNonce(), leader.public_key, agent.public_key},
        swarm.NodeCert(cert_node.empty() ? node_id : cert_node, key), *parsed);
    REQUIRE(made.ok());
    hello.attestation = *made;
    return hello;
  }

  // Agent on node `node_id` connected as `identity` (connection `serial`), proven and welcomed.
  void Connect(const std::string& identity, int serial, const std::string& node_id,
               const std::string& hostname, const testing::TestKey& key, int fd = -1) {
    core.OnAgentMessage(In(identity, "agent:agents:" + std::to_string(serial),
                           ProvenHello(node_id, hostname, key), node_id, fd));
    auto sent = out.Take();
    REQUIRE(sent.size() == 1);
    REQUIRE(std::holds_alternative<protocol::Welcome>(sent[0].message.body));
  }

  protocol::Error OneError(const std::string& identity) {
    auto sent = out.Take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].identity == identity);
    const auto* error = std::get_if<protocol::Error>(&sent[0].message.body);
    REQUIRE(error != nullptr);
    return *error;
  }

  // Every message not yet taken, of body type T, with the identity it went to.
  template <typename T>
  std::vector<std::pair<std::string, T>> Sent() {
    std::vector<std::pair<std::string, T>> found;
    for (const auto& s : out.sent) {
      if (const auto* body = std::get_if<T>(&s.message.body)) found.emplace_back(s.identity, *body);
    }
    return found;
  }

  json Nodes() {
    std::lock_guard lock(shared.mutex);
    return shared.cluster.NodesJson(clock.Now());
  }
  json NodeJson(const std::string& hostname) {
    for (const auto& node : Nodes()) {
      if (node["hostname"] == hostname) return node;
    }
    return json();
  }
  std::vector<json> EventsOfKind(const std::string& kind) {
    std::lock_guard lock(shared.mutex);
    EventsQuery query;
    query.kind = kind;
    auto page = shared.cluster.Events(query, 1 << 20);
    return {page.events.begin(), page.events.end()};
  }
  protocol::Reply Ask(const std::string& user_id, const std::string& what,
                      std::map<std::string, std::string> args = {}) {
    core.OnControlMessage(In("cli", user_id, protocol::Query{what, std::move(args)}));
    auto sent = out.Take();
    REQUIRE(sent.size() == 1);
    const auto* reply = std::get_if<protocol::Reply>(&sent[0].message.body);
    REQUIRE(reply != nullptr);
    return *reply;
  }
};

TEST_CASE("security: a proven hello binds the connection; its reports count", "[security]") {
  Harness h;
  h.Connect("a1", 1, "id-w1", "w1", h.w1_key);
  h.core.OnAgentMessage(Harness::In("a1", "agent:agents:1", ReportFrom("id-w1", "w1"), "id-w1"));
  CHECK(h.out.Take().empty());
  const json w1 = h.NodeJson("w1");
  CHECK(w1["agent"]["connected"] == true);
  CHECK(w1["agent"]["attestation"] == "swarm-cert");
  CHECK(w1["agent"]["attestation_error"].is_null());
  CHECK(w1["memory"]["total_bytes"] == 1000);
  CHECK(h.core.bindings().size() == 1);
}

TEST_CASE("security: reports before a proven hello are refused as not_attested", "[security]") {
  Harness h;
  h.core.OnAgentMessage(Harness::In("a1", "agent:agents:1", ReportFrom("id-w1", "w1"), "id-w1"));
  const protocol::Error error = h.OneError("a1");
  CHECK(error.code == "not_attested");
  CHECK_THAT(error.message, Catch::Contains("say hello with an attestation"));
  CHECK(h.NodeJson("w1")["agent"]["connected"] == false);
  CHECK(h.core.counters().not_attested == 1);
  // The same with a hello whose attestation is missing: refused, shown on the node's row.
  protocol::Hello hello{"0.1.0", "id-w1", "w1", 5000, "procfs"};
  hello.attestation = protocol::NoAttestation("the node's key is encrypted (autolock)");
  h.core.OnAgentMessage(Harness::In("a1", "agent:agents:1", hello, "id-w1"));
  CHECK(h.OneError("a1").code == "forbidden");
  CHECK_THAT(h.NodeJson("w1")["agent"]["attestation_error"].get<std::string>(),
             Catch::Contains("autolock"));
  CHECK(h.core.counters().attestation_refused == 1);
  json status;
  {
    std::lock_guard lock(h.shared.mutex);
    status = h.shared.cluster.StatusJson(h.clock.Now());
  }
  CHECK(status["agents"]["unattested"] == 1);
}

TEST_CASE("security: an agent cannot report for, or claim, another node", "[security]") {
  Harness h;
  h.Connect("a1", 1, "id-w1", "w1", h.w1_key);
  // A proven w1 connection reporting for w2: refused, nothing recorded for w2.
  h.core.OnAgentMessage(Harness::In("a1", "agent:agents:1", ReportFrom("id-w2", "w2"), "id-w2"));
  const protocol::Error error = h.OneError("a1");
  CHECK(error.code == "forbidden");
  CHECK_THAT(error.message, Catch::Contains("node 'id-w1' may not speak for node 'id-w2'"));
  CHECK(h.NodeJson("w2")["agent"]["connected"] == false);
  CHECK(h.NodeJson("w2")["memory"]["total_bytes"].is_null());
  // An event naming the peer.
  auto forbidden = h.EventsOfKind("forbidden");
  REQUIRE(forbidden.size() == 1);
  CHECK(forbidden[0]["attrs"]["address"] == "198.51.100.51");
  CHECK(forbidden[0]["attrs"]["key"] == "agents");
  CHECK(forbidden[0]["node_id"] == "id-m1");  // recorded by this leader instance
  // A hello claiming w2 with w1's own (valid) certificate: refused, and w2 is not bound.
  h.core.OnAgentMessage(Harness::In("a9", "agent:agents:9",
                                    h.ProvenHello("id-w2", "w2", h.w1_key, "id-w1"), "id-w2"));
  CHECK_THAT(h.OneError("a9").message, Catch::Contains("the certificate is for node 'id-w1'"));
  h.core.OnAgentMessage(Harness::In("a9", "agent:agents:9", ReportFrom("id-w2", "w2"), "id-w2"));
  CHECK(h.OneError("a9").code == "not_attested");
  CHECK(h.NodeJson("w2")["memory"]["total_bytes"].is_null());
  // Events are recorded under the proven node, and a header claiming another is refused.
  h.core.OnAgentMessage(
      Harness::In("a1", "agent:agents:1", protocol::Event{"container_die", "c1", "died", {}}, ""));
  CHECK(h.out.Take().empty());
  auto died = h.EventsOfKind("container_die");
  REQUIRE(died.size() == 1);
  CHECK(died[0]["node_id"] == "id-w1");
  h.core.OnAgentMessage(Harness::In("a1", "agent:agents:1",
                                    protocol::Event{"container_die", "c2", "died", {}}, "id-w2"));
  CHECK(h.OneError("a1").code == "forbidden");
  CHECK(h.EventsOfKind("container_die").size() == 1);
}

TEST_CASE("security: roles decide which queries run", "[security]") {
  Harness h;
  h.Connect("a1", 1, "id-w1", "w1", h.w1_key);
  // Read-only: status yes, command and logs no (error with code forbidden, event, counted).
  CHECK(h.Ask("read-only:grafana:5", "status").ok);
  h.core.OnControlMessage(
      Harness::In("cli-r", "read-only:grafana:5", protocol::Query{"command", {{"command", "gc"}}}));
  const protocol::Error command = h.OneError("cli-r");
  CHECK(command.code == "forbidden");
  CHECK_THAT(command.message, Catch::Contains("read-only key 'grafana' may not ask 'command'"));
  CHECK(h.submitted.empty());  // nothing else changed
  // An agent key asking for logs: refused; the connection stays usable for what it may do.
  h.core.OnControlMessage(
      Harness::In("cli-a", "agent:agents:6", protocol::Query{"logs", {{"node", "w1"}}}));
  CHECK(h.OneError("cli-a").code == "forbidden");
  CHECK(h.Sent<protocol::AgentCommand>().empty());
  auto forbidden = h.EventsOfKind("forbidden");
  REQUIRE(forbidden.size() == 2);
  CHECK(forbidden[0]["attrs"]["role"] == "read-only");
  CHECK(forbidden[1]["attrs"]["role"] == "agent");
  CHECK(h.core.counters().forbidden == 2);
  // The operator may run commands and read logs (which go to w1's proven connection).
  CHECK(h.Ask("operator:alice:7", "command", {{"command", "noop"}}).ok);
  CHECK(h.submitted == std::vector<std::string>{"noop from cli"});
  h.core.OnControlMessage(
      Harness::In("cli-o", "operator:alice:7", protocol::Query{"logs", {{"node", "w1"}}}));
  auto commands = h.Sent<protocol::AgentCommand>();
  REQUIRE(commands.size() == 1);
  CHECK(commands[0].first == "a1");
  h.out.Take();
  // An operator key may not pretend to be an agent.
  h.core.OnAgentMessage(Harness::In("x", "operator:alice:8", ReportFrom("id-w2", "w2")));
  CHECK(h.OneError("x").code == "forbidden");
}

TEST_CASE("security: commands go only to a live proven connection", "[security]") {
  Harness h;
  h.Connect("a1", 1, "id-w1", "w1", h.w1_key, /*fd=*/17);
  h.core.OnAgentMessage(
      Harness::In("a1", "agent:agents:1", ReportFrom("id-w1", "w1"), "id-w1", 17));
  // The connection closes (socket monitor): its binding and routing id go at once.
  h.core.OnAgentConnectionClosed(17);
  CHECK(h.core.bindings().size() == 0);
  h.core.OnControlMessage(
      Harness::In("cli", "operator:alice:2", protocol::Query{"logs", {{"node", "w1"}}}));
  auto sent = h.out.Take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].identity == "cli");  // answered at once, nothing sent to "a1"
  CHECK_THAT(std::get<protocol::Reply>(sent[0].message.body).error,
             Catch::Contains("not connected"));
  // Whatever still comes on that connection is not trusted until it proves itself again.
  h.core.OnAgentMessage(
      Harness::In("a1", "agent:agents:1", ReportFrom("id-w1", "w1"), "id-w1", 17));
  CHECK(h.OneError("a1").code == "not_attested");
}

TEST_CASE("security: a result is taken only from the node that was asked", "[security]") {
  Harness h;
  h.Connect("a1", 1, "id-w1", "w1", h.w1_key);
  h.Connect("a2", 2, "id-w2", "w2", h.w2_key);
  h.core.OnControlMessage(
      Harness::In("cli", "operator:alice:3", protocol::Query{"logs", {{"node", "w1"}}}));
  auto commands = h.Sent<protocol::AgentCommand>();
  REQUIRE(commands.size() == 1);
  h.out.Take();
  // w2 answers w1's command, even claiming w1 in the body's header: ignored / refused.
  h.core.OnAgentMessage(Harness::In(
      "a2", "agent:agents:2",
      protocol::AgentCommandResult{commands[0].second.id, true, "", "forged lines"}, "id-w2"));
  CHECK(h.out.Take().empty());  // no reply to the CLI from w2's answer
  h.core.OnAgentMessage(Harness::In(
      "a1", "agent:agents:1",
      protocol::AgentCommandResult{commands[0].second.id, true, "", "real lines"}, "id-w1"));
  auto sent = h.out.Take();
  REQUIRE(sent.size() == 1);
  CHECK_THAT(std::get<protocol::Reply>(sent[0].message.body).result_json,
             Catch::Contains("real lines"));
}

TEST_CASE("security: peers without a ZAP identity or with their own routing id are refused",
          "[security]") {
  Harness h;
  h.core.OnControlMessage(Harness::In("cli", "", protocol::Query{"status", {}}));
  CHECK(h.OneError("cli").code == "forbidden");
  protocol::Incoming chosen =
      Harness::In(std::string("\0abcd", 5), "operator:alice:4", protocol::Query{"status", {}});
  chosen.declared_identity = std::string("\0abcd", 5);
  h.core.OnControlMessage(chosen);
  CHECK_THAT(h.OneError(chosen.peer_identity).message, Catch::Contains("its own routing id"));
}

TEST_CASE("security: a flood from one connection is held to its rate, not answered", "[security]") {
  Harness h;
  h.Connect("a1", 1, "id-w1", "w1", h.w1_key);
  int answered = 0;
  for (int i = 0; i < 1000; ++i) {
    h.core.OnControlMessage(
        Harness::In("cli", "read-only:grafana:9", protocol::Query{"nodes", {}}));
    answered += static_cast<int>(h.out.Take().size());
  }
  CHECK(answered == static_cast<int>(EndpointsCore::kControlLimits.burst));
  CHECK(h.core.counters().rate_limited == static_cast<std::uint64_t>(1000 - answered));
  // Another connection has its own budget; the limited one gets more as time passes.
  CHECK(h.Ask("read-only:grafana:10", "status").ok);
  h.clock.Advance(1s);
  CHECK(h.Ask("read-only:grafana:9", "status").ok);
  // The agent's reports on its own connection are not affected.
  h.core.OnAgentMessage(Harness::In("a1", "agent:agents:1", ReportFrom("id-w1", "w1"), "id-w1"));
  CHECK(h.out.Take().empty());
  CHECK(h.NodeJson("w1")["agent"]["connected"] == true);
}

TEST_CASE("security: status shows the mode, the keys and the refusals, never a key", "[security]") {
  Harness h;
  h.core.OnControlMessage(
      Harness::In("cli-r", "read-only:grafana:5", protocol::Query{"command", {{"command", "gc"}}}));
  h.out.Take();
  const protocol::Reply reply = h.Ask("operator:alice:6", "status");
  REQUIRE(reply.ok);
  const json status = json::parse(reply.result_json);
  CHECK(status["security"]["mode"] == "curve");
  CHECK(status["security"]["clients"] == json{{"agent", 1}, {"operator", 1}, {"read-only", 1}});
  CHECK(status["security"]["refused"]["forbidden"] == 1);
  for (const auto& client : h.keys.clients) {
    CHECK(reply.result_json.find(client.public_key) == std::string::npos);
  }
  CHECK(reply.result_json.find(h.leader.public_key) == std::string::npos);
  CHECK(reply.result_json.find("SWMTKN") == std::string::npos);
}

TEST_CASE("security: --insecure accepts anyone and says so", "[security]") {
  testing::FakeClock clock;
  SharedState shared;
  shared.cluster.SetIdentity({"id-m1", "m1"});
  shared.cluster.SetNodes({MakeNode("id-w1", "w1")}, clock.Now());
  testing::FakeOutbound out;
  EndpointsContext context;
  context.clock = &clock;
  context.shared = &shared;
  EndpointsCore core(context, out);
  protocol::Hello hello{"0.1.0", "id-w1", "w1", 5000, "procfs"};
  core.OnAgentMessage(Harness::In("a1", "", hello, "id-w1"));
  REQUIRE(out.Take().size() == 1);  // welcomed without attestation
  core.OnControlMessage(Harness::In("cli", "", protocol::Query{"status", {}}));
  auto sent = out.Take();
  REQUIRE(sent.size() == 1);
  const json status = json::parse(std::get<protocol::Reply>(sent[0].message.body).result_json);
  CHECK(status["security"]["mode"] == "insecure");
  std::lock_guard lock(shared.mutex);
  CHECK(shared.cluster.NodesJson(clock.Now())[0]["agent"]["attestation"] == "none");
}

}  // namespace
}  // namespace orcastra::leader
