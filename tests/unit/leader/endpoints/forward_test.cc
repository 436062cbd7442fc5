// Every command from any manager (issue 13): the forwarding rule, and a standby's endpoints
// forwarding to the active instance (the request faked) and answering with who ran it.
#include "leader/endpoints/forward.h"

#include <catch2/catch.hpp>

#include "common/utf8.h"
#include "leader/endpoints/endpoints.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_outbound.h"
#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;
using Port = Outbound::Port;

protocol::Query Q(std::string what, std::map<std::string, std::string> args = {}) {
  return protocol::Query{std::move(what), std::move(args)};
}

docker::Node Manager(std::string id, std::string hostname, std::string addr) {
  docker::Node n;
  n.id = std::move(id);
  n.hostname = std::move(hostname);
  n.role = "manager";
  n.state = "ready";
  n.addr = std::move(addr);
  return n;
}

TEST_CASE("forward: which queries must run on the active instance", "[leader][forward]") {
  CHECK(RunsOnActive(Q("command")));
  CHECK(RunsOnActive(Q("config_apply")));
  CHECK(RunsOnActive(Q("events", {{"instance", "active"}})));
  for (const char* local : {"status", "nodes", "events", "anchors", "services", "plan", "logs",
                            "config_show", "config_get"}) {
    INFO(local);
    CHECK_FALSE(RunsOnActive(Q(local)));
  }
  CHECK_FALSE(RunsOnActive(Q("events", {{"instance", "here"}})));
}

TEST_CASE("forward: the route of a query", "[leader][forward]") {
  RouteInput in;
  in.runs_on_active = true;
  in.holder_node_id = "id-m1";
  in.holder_hostname = "m1";
  in.holder_address = "198.51.100.11";
  in.control_port = 7471;

  SECTION("answered here: a local query, or this instance is the active one") {
    RouteInput local = in;
    local.runs_on_active = false;
    CHECK(DecideRoute(local).kind == Route::Kind::kHere);
    RouteInput active = in;
    active.we_are_active = true;
    CHECK(DecideRoute(active).kind == Route::Kind::kHere);
    active.forwarded = true;  // forwarded to the right instance
    CHECK(DecideRoute(active).kind == Route::Kind::kHere);
  }
  SECTION("a standby forwards to the holder's address and port") {
    in.control_port = 17471;
    Route route = DecideRoute(in);
    CHECK(route.kind == Route::Kind::kForward);
    CHECK(route.endpoint == "tcp://198.51.100.11:17471");
  }
  SECTION("a forwarded query is never forwarded again") {
    in.forwarded = true;
    Route route = DecideRoute(in);
    CHECK(route.kind == Route::Kind::kNoActive);
    CHECK_THAT(route.reason, Catch::Contains("standby"));
  }
  SECTION("no holder: no instance is active") {
    in.holder_node_id.clear();
    in.holder_hostname.clear();
    Route route = DecideRoute(in);
    CHECK(route.kind == Route::Kind::kNoActive);
    CHECK_THAT(route.reason, Catch::StartsWith("no instance is active"));
  }
  SECTION("a holder without an address: said, never a placeholder") {
    in.holder_address.clear();
    Route route = DecideRoute(in);
    CHECK(route.kind == Route::Kind::kNoActive);
    CHECK_THAT(route.reason, Catch::Contains("'m1'") && Catch::Contains("no address"));
    CHECK_THAT(route.reason, !Catch::Contains("ITS_ADDRESS"));
  }
}

TEST_CASE("forward: a manager's address from the node list", "[leader][forward]") {
  docker::Node with_addr = Manager("a", "m1", "198.51.100.11");
  docker::Node only_manager = Manager("b", "m2", "");
  only_manager.manager_addr = "198.51.100.12:2377";
  docker::Node unspecified = Manager("c", "m3", "0.0.0.0");
  unspecified.manager_addr = "198.51.100.13:2377";
  std::vector<docker::Node> nodes = {with_addr, only_manager, unspecified};
  CHECK(NodeAddress(nodes, "a") == "198.51.100.11");
  CHECK(NodeAddress(nodes, "b") == "198.51.100.12");
  CHECK(NodeAddress(nodes, "c") == "198.51.100.13");
  CHECK(NodeAddress(nodes, "zzz") == "");
}

TEST_CASE("forward: the reply of a forwarded query", "[leader][forward]") {
  protocol::Reply base;
  base.answered_by = "id-m2";
  const std::string endpoint = "tcp://198.51.100.11:7471";
  SECTION("the active instance's reply, marked as forwarded") {
    protocol::Reply theirs{true, "", R"({"id":7})", "id-m1", true};
    protocol::Reply reply =
        ForwardedReply(protocol::Message{{}, theirs}, base, endpoint, "m1", "m2");
    CHECK(reply.ok);
    CHECK(reply.answered_by == "id-m1");
    CHECK(reply.from_active_leader);
    CHECK(json::parse(reply.result_json) == json({{"id", 7}, {"forwarded_by", "m2"}}));
  }
  SECTION("its error reply names it") {
    protocol::Reply theirs{false, "unknown command 'x'", "", "id-m1", true};
    protocol::Reply reply =
        ForwardedReply(protocol::Message{{}, theirs}, base, endpoint, "m1", "m2");
    CHECK_FALSE(reply.ok);
    CHECK_THAT(reply.error, Catch::StartsWith("unknown command 'x'") && Catch::Contains("'m1'"));
  }
  SECTION("no answer: retryable, naming the instance and its address") {
    protocol::Reply reply =
        ForwardedReply(Status::Timeout("no answer within 4000 ms"), base, endpoint, "m1", "m2");
    CHECK_FALSE(reply.ok);
    CHECK(reply.answered_by == "id-m2");
    CHECK_THAT(reply.error, Catch::Contains("'m1'") && Catch::Contains(endpoint));
    CHECK(json::parse(reply.result_json)["reason"] == kNoActiveReason);
  }
  SECTION("refused (a key the active instance does not admit): not retryable") {
    protocol::Reply reply =
        ForwardedReply(Status::PermissionDenied("handshake refused"), base, endpoint, "m1", "m2");
    CHECK_FALSE(reply.ok);
    CHECK(reply.result_json.empty());
    protocol::Reply error =
        ForwardedReply(protocol::Message{{}, protocol::Error{"forbidden", "read-only key"}}, base,
                       endpoint, "m1", "m2");
    CHECK_THAT(error.error, Catch::Contains("refused the forwarded query (forbidden)"));
  }
}

// A standby's endpoints with the request to the active instance faked.
struct Standby {
  testing::FakeClock clock;
  SharedState shared;
  testing::FakeOutbound out;
  std::shared_ptr<testing::FakeSwarmApi> swarm = std::make_shared<testing::FakeSwarmApi>();
  PlanWorker plans{swarm, clock};
  PlanWorker forwards{nullptr, clock, 2, "forwarder"};
  LeaseView lease{false, 4, "id-m1", "m1"};
  std::vector<std::pair<std::string, protocol::Message>> requests;
  Result<protocol::Message> answer = Status::Timeout("no answer");
  EndpointsCore core{Context(), out};

  Standby() {
    std::lock_guard lock(shared.mutex);
    shared.cluster.SetIdentity({"id-m2", "m2"});
    shared.cluster.SetNodes(
        {Manager("id-m1", "m1", "198.51.100.11"), Manager("id-m2", "m2", "198.51.100.12")},
        clock.Now());
  }
  EndpointsContext Context() {
    EndpointsContext c;
    c.clock = &clock;
    c.shared = &shared;
    c.lease = [this] { return lease; };
    c.submit = [](const std::string&, const std::string&) -> Result<std::uint64_t> {
      return Status::Internal("a standby's controller must not be asked");
    };
    c.plans = &plans;
    c.forwards = &forwards;
    c.forward = [this](const std::string& endpoint, const protocol::Message& message) {
      requests.emplace_back(endpoint, message);
      return answer;
    };
    return c;
  }
  // Sends `query`, runs the forwarding job, and returns the reply the CLI got.
  protocol::Reply Ask(protocol::Query query) {
    core.OnControlMessage(protocol::Incoming{
        "cli", protocol::Message{{protocol::kMajorVersion, "", 1, 1000}, std::move(query)},
        protocol::Refusal::kBadMessage});
    forwards.RunOne();
    core.Tick();
    auto sent = out.Take();
    REQUIRE(sent.size() == 1);
    const auto* reply = std::get_if<protocol::Reply>(&sent[0].message.body);
    REQUIRE(reply != nullptr);
    return *reply;
  }
};

TEST_CASE("forward: a standby forwards a command and answers with the active's reply",
          "[leader][forward]") {
  Standby s;
  s.answer = protocol::Message{
      {},
      protocol::Reply{true, "",
                      R"({"id":3,"command":"noop","instance":{"hostname":"m1","active":true}})",
                      "id-m1", true}};
  protocol::Reply reply = s.Ask(Q("command", {{"command", "noop"}}));
  REQUIRE(s.requests.size() == 1);
  CHECK(s.requests[0].first == "tcp://198.51.100.11:7471");
  const auto* forwarded = std::get_if<protocol::Query>(&s.requests[0].second.body);
  REQUIRE(forwarded != nullptr);
  CHECK(forwarded->what == "command");
  CHECK(forwarded->args.at("command") == "noop");
  CHECK(forwarded->args.at(kArgForwardedBy) == "m2");
  CHECK(reply.ok);
  CHECK(reply.answered_by == "id-m1");
  json result = json::parse(reply.result_json);
  CHECK(result["instance"]["hostname"] == "m1");
  CHECK(result["forwarded_by"] == "m2");

  SECTION("events of the active instance are forwarded too; its own are answered here") {
    s.answer = protocol::Message{{}, protocol::Reply{true, "", R"({"events":[]})", "id-m1", true}};
    CHECK(s.Ask(Q("events", {{"instance", "active"}})).answered_by == "id-m1");
    CHECK(s.requests.size() == 2);
  }
  SECTION("the active instance does not answer: a retryable error naming it") {
    s.answer = Status::Timeout("no answer within 4000 ms");
    protocol::Reply failed = s.Ask(Q("command", {{"command", "noop"}}));
    CHECK_FALSE(failed.ok);
    CHECK_THAT(failed.error,
               Catch::Contains("'m1'") && Catch::Contains("tcp://198.51.100.11:7471"));
    CHECK(json::parse(failed.result_json)["reason"] == kNoActiveReason);
  }
}

TEST_CASE("forward: a query forwarded to a standby is refused, not forwarded again",
          "[leader][forward]") {
  Standby s;
  // Plain text: the forwarded_by argument marks a forwarded query (with CURVE: the leaders' key).
  s.core.OnControlMessage(protocol::Incoming{
      "peer",
      protocol::Message{{protocol::kMajorVersion, "", 1, 1000},
                        Q("command", {{"command", "noop"}, {kArgForwardedBy, "m3"}})},
      protocol::Refusal::kBadMessage});
  auto sent = s.out.Take();
  REQUIRE(sent.size() == 1);
  const auto* reply = std::get_if<protocol::Reply>(&sent[0].message.body);
  REQUIRE(reply != nullptr);
  CHECK_FALSE(reply->ok);
  CHECK(json::parse(reply->result_json)["reason"] == kNoActiveReason);
  CHECK(s.requests.empty());
}

}  // namespace
}  // namespace orcastra::leader
