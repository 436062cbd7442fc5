#include "leader/state/cluster_state.h"

#include <catch2/catch.hpp>

#include "leader/cli/cli.h"
#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

docker::Node MakeNode(std::string id, std::string hostname, std::string role, std::string state,
                      bool leader = false) {
  docker::Node n;
  n.id = std::move(id);
  n.hostname = std::move(hostname);
  n.role = std::move(role);
  n.state = std::move(state);
  n.availability = "active";
  n.manager_leader = leader;
  if (n.role == "manager") n.manager_reachability = "reachable";
  return n;
}

protocol::NodeReport MakeReport(std::string node_id, std::uint64_t total, std::uint64_t used) {
  protocol::NodeReport r;
  r.node_id = std::move(node_id);
  r.report_interval_ms = 5000;
  r.memory = {total, total - used, used, "procfs"};
  r.containers = {{"c1", "a", "img", "running", "healthy", 0, false, 0, "", "", "", 0},
                  {"c2", "b", "img", "running", "unhealthy", 0, false, 0, "", "", "", 0},
                  {"c3", "c", "img", "exited", "", 0, false, 1, "", "", "", 0}};
  return r;
}

const json& ByHostname(const json& nodes, const std::string& hostname) {
  for (const auto& n : nodes) {
    if (n["hostname"] == hostname) return n;
  }
  FAIL("no node " << hostname);
  return nodes;
}

struct Fixture {
  testing::FakeClock clock;
  ClusterState state;
  Fixture() {
    state.SetIdentity({"id-m1", "m1"});
    state.SetNodes({MakeNode("id-w1", "w1", "worker", "ready"),
                    MakeNode("id-m1", "m1", "manager", "ready", true),
                    MakeNode("id-m2", "m2", "manager", "ready")},
                   clock.Now());
  }
};

TEST_CASE("nodes merge Docker's list with agent reports", "[leader][state]") {
  Fixture f;
  f.state.RecordReport(MakeReport("id-w1", 1000, 250), f.clock.Now());
  f.clock.Advance(2s);
  json nodes = f.state.NodesJson(f.clock.Now());
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0]["hostname"] == "m1");  // sorted by hostname
  const json& w1 = ByHostname(nodes, "w1");
  CHECK(w1["id"] == "id-w1");
  CHECK(w1["role"] == "worker");
  CHECK(w1["manager"].is_null());
  CHECK(w1["agent"]["connected"] == true);
  CHECK(w1["agent"]["last_seen_seconds"] == 2.0);
  CHECK(w1["memory"]["total_bytes"] == 1000);
  CHECK(w1["memory"]["available_bytes"] == 750);
  CHECK(w1["memory"]["used_percent"] == 25.0);
  CHECK(w1["containers"]["total"] == 3);
  CHECK(w1["containers"]["running"] == 2);
  CHECK(w1["containers"]["unhealthy"] == 1);
  const json& m2 = ByHostname(nodes, "m2");
  CHECK(m2["agent"]["connected"] == false);
  CHECK(m2["agent"]["last_seen_seconds"].is_null());
  CHECK(m2["memory"]["total_bytes"].is_null());
  CHECK(m2["manager"]["leader"] == false);
  CHECK(ByHostname(nodes, "m1")["manager"]["leader"] == true);
}

TEST_CASE("an agent is disconnected after three missed report intervals", "[leader][state]") {
  Fixture f;
  f.state.RecordReport(MakeReport("id-w1", 1000, 100), f.clock.Now());
  f.clock.Advance(15s);
  CHECK(ByHostname(f.state.NodesJson(f.clock.Now()), "w1")["agent"]["connected"] == true);
  f.clock.Advance(1ms);
  CHECK(ByHostname(f.state.NodesJson(f.clock.Now()), "w1")["agent"]["connected"] == false);
  // A shorter interval from the agent shortens the limit.
  auto fast = MakeReport("id-w1", 1000, 100);
  fast.report_interval_ms = 1000;
  f.state.RecordReport(fast, f.clock.Now());
  f.clock.Advance(3001ms);
  CHECK(ByHostname(f.state.NodesJson(f.clock.Now()), "w1")["agent"]["connected"] == false);
}

TEST_CASE("a hello alone counts as seen but carries no figures", "[leader][state]") {
  Fixture f;
  f.state.RecordHello({"0.1.0", "id-m2", "m2", 2000, "procfs"}, f.clock.Now());
  const json nodes = f.state.NodesJson(f.clock.Now());
  const json& m2 = ByHostname(nodes, "m2");
  CHECK(m2["agent"]["connected"] == true);
  CHECK(m2["agent"]["version"] == "0.1.0");
  CHECK(m2["agent"]["report_interval_seconds"] == 2.0);
  CHECK(m2["memory"]["total_bytes"].is_null());
}

TEST_CASE("a failed Docker read keeps the last good node list", "[leader][state][safety]") {
  Fixture f;
  f.clock.Advance(30s);
  f.state.RecordDockerFailure(Status::Unavailable("docker GET /nodes: connection refused"),
                              f.clock.Now());
  CHECK(f.state.NodesJson(f.clock.Now()).size() == 3);
  json status = f.state.StatusJson(f.clock.Now());
  CHECK(status["docker"]["ok"] == false);
  CHECK(status["docker"]["node_list_age_seconds"] == 30.0);
  CHECK(status["docker"]["error"] == "unavailable: docker GET /nodes: connection refused");
  f.state.SetNodes({MakeNode("id-m1", "m1", "manager", "ready", true)}, f.clock.Now());
  status = f.state.StatusJson(f.clock.Now());
  CHECK(status["docker"]["ok"] == true);
  CHECK(status["docker"]["error"].is_null());
  CHECK(status["nodes"]["total"] == 1);
}

TEST_CASE("status counts nodes and agents and names the lease holder", "[leader][state]") {
  Fixture f;
  f.state.SetNodes(
      {MakeNode("id-w1", "w1", "worker", "down"), MakeNode("id-m1", "m1", "manager", "ready"),
       MakeNode("id-m2", "m2", "manager", "ready", true)},
      f.clock.Now());
  f.state.RecordReport(MakeReport("id-m1", 1000, 100), f.clock.Now());
  f.state.RecordReport(MakeReport("id-unknown", 1000, 100), f.clock.Now());
  // The lease holder is m1 (term 7) while Swarm's Raft leader is m2: they are independent.
  f.state.SetLease({false, 7, "id-m1", "m1"});
  json status = f.state.StatusJson(f.clock.Now());
  CHECK(status["leader"]["hostname"] == "m1");
  CHECK(status["leader"]["node_id"] == "id-m1");
  CHECK(status["leader"]["term"] == 7);
  CHECK(status["swarm_raft_leader"] == "m2");
  CHECK(status["answered_by"]["hostname"] == "m1");
  CHECK(status["answered_by"]["active"] == false);
  CHECK(status["nodes"]["total"] == 3);
  CHECK(status["nodes"]["ready"] == 2);
  CHECK(status["nodes"]["down"] == 1);
  CHECK(status["managers"]["total"] == 2);
  CHECK(status["agents"]["connected"] == 1);  // reports from unknown nodes do not count
  CHECK(status["agents"]["expected"] == 3);
  CHECK_FALSE(f.state.IsActive());
  f.state.SetLease({true, 8, "id-m1", "m1"});
  CHECK(f.state.IsActive());
  CHECK(f.state.StatusJson(f.clock.Now())["answered_by"]["active"] == true);
}

TEST_CASE("no leader is named before the lease has been read", "[leader][state]") {
  ClusterState state;
  state.SetNodes({MakeNode("id-m1", "m1", "manager", "down", true)}, SteadyTime{});
  json status = state.StatusJson(SteadyTime{});
  CHECK(status["leader"].is_null());
  CHECK(status["swarm_raft_leader"] == "m1");
  CHECK_FALSE(state.IsActive());
}

TEST_CASE("the event log keeps the newest events, status shows the last ten", "[leader][state]") {
  Fixture f;
  for (int i = 0; i < 1005; ++i) {
    f.state.RecordEvent("id-w1", {"container_die", "c" + std::to_string(i), "die", {}}, i);
  }
  json recent = f.state.StatusJson(f.clock.Now())["recent_events"];
  REQUIRE(recent.size() == 10);
  CHECK(recent.front()["subject"] == "c995");
  CHECK(recent.back()["subject"] == "c1004");
}

TEST_CASE("events: newer than since, filtered by node (id or hostname) and kind",
          "[leader][state]") {
  Fixture f;
  f.state.RecordEvent("id-w1", {"container_die", "c1", "die", {{"exitCode", "3"}}}, 1000);
  f.state.RecordEvent("id-m2", {"autoheal_restart", "c2", "restarted", {}}, 2000);
  f.state.RecordEvent("id-w1", {"autoheal_restart", "c3", "restarted", {}}, 3000);
  json all = f.state.EventsJson(0, "", "");
  REQUIRE(all.size() == 3);
  CHECK(all[0]["hostname"] == "w1");
  CHECK(all[0]["attrs"]["exitCode"] == "3");
  CHECK(f.state.EventsJson(1000, "", "").size() == 2);  // exclusive
  CHECK(f.state.EventsJson(0, "w1", "").size() == 2);
  CHECK(f.state.EventsJson(0, "id-w1", "").size() == 2);
  json restarts_on_w1 = f.state.EventsJson(0, "w1", "autoheal_restart");
  REQUIRE(restarts_on_w1.size() == 1);
  CHECK(restarts_on_w1[0]["subject"] == "c3");
  CHECK(f.state.EventsJson(0, "nowhere", "").empty());
  std::string table = RenderEvents(all);
  CHECK(table.find("1970-01-01T00:00:01Z   w1   container_die") != std::string::npos);
}

TEST_CASE("the CLI renders nodes and status for people", "[leader][cli]") {
  Fixture f;
  f.state.RecordReport(MakeReport("id-w1", 2u << 30, 1u << 30), f.clock.Now());
  std::string table = RenderNodesTable(f.state.NodesJson(f.clock.Now()));
  CHECK(table.rfind("ID ", 0) == 0);
  CHECK(table.find("manager (leader)") != std::string::npos);
  CHECK(table.find("1.0GiB/2.0GiB (50.0%)") != std::string::npos);
  CHECK(table.find("never") != std::string::npos);  // m2's agent never reported
  f.state.SetLease({true, 3, "id-m1", "m1"});
  std::string status = RenderStatus(f.state.StatusJson(f.clock.Now()));
  CHECK(status.find("Leader:      m1 (id-m1), term 3") != std::string::npos);
  CHECK(status.find("Answered by: m1 (active)") != std::string::npos);
  CHECK(status.find("Agents:      1 of 3 connected") != std::string::npos);
  CHECK(HumanBytes(json(512)) == "512B");
  CHECK(HumanBytes(json(1536)) == "1.5KiB");
  CHECK(HumanBytes(json()) == "-");
}

}  // namespace
}  // namespace orcastra::leader
