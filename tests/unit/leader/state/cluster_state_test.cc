#include "leader/state/cluster_state.h"

#include <catch2/catch.hpp>

#include "common/utf8.h"
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

TEST_CASE("Figures carry the values NodesJson shows, node for node", "[leader][state][metrics]") {
  Fixture f;
  auto report = MakeReport("id-w1", 1000, 250);
  report.psi = {true, 12.5, 3.25};
  f.state.RecordReport(report, f.clock.Now());
  f.state.RecordHello({"0.1.0", "id-m2", "m2", 2000, "procfs"}, f.clock.Now());
  f.clock.Advance(7s);  // m2's hello is past three of its 2 s intervals: disconnected
  const json nodes = f.state.NodesJson(f.clock.Now());
  const std::vector<NodeFigures> figures = f.state.Figures(f.clock.Now());
  REQUIRE(figures.size() == nodes.size());
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const NodeFigures& n = figures[i];
    const json& j = nodes[i];
    CHECK(n.id == j["id"]);
    CHECK(n.hostname == j["hostname"]);
    CHECK(n.connected == j["agent"]["connected"].get<bool>());
    CHECK(n.has_report == !j["memory"]["total_bytes"].is_null());
    CHECK(n.psi_present == j["pressure"]["present"].get<bool>());
    if (n.has_report) {
      CHECK(n.total_bytes == j["memory"]["total_bytes"]);
      CHECK(n.used_bytes == j["memory"]["used_bytes"]);
      CHECK(n.available_bytes == j["memory"]["available_bytes"]);
    }
    if (n.psi_present) {
      CHECK(n.psi_some_avg10 == j["pressure"]["some_avg10"]);
      CHECK(n.psi_full_avg10 == j["pressure"]["full_avg10"]);
    }
  }
  const NodeFigures& w1 = figures[2];  // sorted by hostname: m1, m2, w1
  CHECK(w1.hostname == "w1");
  CHECK(w1.connected);
  CHECK(w1.used_bytes == 250);
  CHECK(w1.psi_some_avg10 == 12.5);
  CHECK_FALSE(figures[1].connected);
  CHECK_FALSE(figures[1].has_report);
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

// All matching events, through the pages.
json AllEvents(const ClusterState& state, EventsQuery query, std::size_t page_bytes = 1 << 20) {
  json all = json::array();
  for (int pages = 0; pages < 10000; ++pages) {
    EventsPage page = state.Events(query, page_bytes);
    for (auto& e : page.events) all.push_back(e);
    if (!page.more) return all;
    REQUIRE(page.cursor > query.after);
    query.after = page.cursor;
  }
  FAIL("paging did not end");
  return all;
}

TEST_CASE("events: newer than since, filtered by node (id or hostname) and kind",
          "[leader][state]") {
  Fixture f;
  f.state.RecordEvent("id-w1", {"container_die", "c1", "die", {{"exitCode", "3"}}}, 1000);
  f.state.RecordEvent("id-m2", {"autoheal_restart", "c2", "restarted", {}}, 2000);
  f.state.RecordEvent("id-w1", {"autoheal_restart", "c3", "restarted", {}}, 3000);
  json all = AllEvents(f.state, {});
  REQUIRE(all.size() == 3);
  CHECK(all[0]["hostname"] == "w1");
  CHECK(all[0]["attrs"]["exitCode"] == "3");
  CHECK(all[0]["seq"] == 1);
  CHECK(all[2]["seq"] == 3);
  CHECK(AllEvents(f.state, {.since_ms = 1000}).size() == 2);  // exclusive
  CHECK(AllEvents(f.state, {.node = "w1"}).size() == 2);
  CHECK(AllEvents(f.state, {.node = "id-w1"}).size() == 2);
  json restarts_on_w1 = AllEvents(f.state, {.node = "w1", .kind = "autoheal_restart"});
  REQUIRE(restarts_on_w1.size() == 1);
  CHECK(restarts_on_w1[0]["subject"] == "c3");
  CHECK(AllEvents(f.state, {.node = "nowhere"}).empty());
  std::string table = RenderEvents(all);
  CHECK(table.find("1970-01-01T00:00:01Z   w1   container_die") != std::string::npos);
}

TEST_CASE("events: pages by limit and size, the cursor continues after the last one looked at",
          "[leader][state][events]") {
  Fixture f;
  for (int i = 1; i <= 10; ++i) {
    f.state.RecordEvent(i % 2 == 0 ? "id-w1" : "id-m2", {"k", "s" + std::to_string(i), "m", {}}, i);
  }
  EventsPage first = f.state.Events({.limit = 4}, 1 << 20);
  REQUIRE(first.events.size() == 4);
  CHECK(first.more);
  CHECK(first.cursor == 4);
  EventsPage rest = f.state.Events({.after = first.cursor}, 1 << 20);
  REQUIRE(rest.events.size() == 6);
  CHECK(rest.events[0]["seq"] == 5);
  CHECK_FALSE(rest.more);
  CHECK(rest.cursor == 10);
  // Nothing new: an empty page that keeps the cursor.
  EventsPage none = f.state.Events({.after = 10}, 1 << 20);
  CHECK(none.events.empty());
  CHECK_FALSE(none.more);
  CHECK(none.cursor == 10);
  // A filter: the cursor moves over what did not match too.
  EventsPage w1 = f.state.Events({.node = "w1", .limit = 2}, 1 << 20);
  REQUIRE(w1.events.size() == 2);
  CHECK(w1.events[1]["seq"] == 4);
  CHECK(w1.more);
  CHECK(AllEvents(f.state, {.node = "w1"}).size() == 5);
  // A small byte budget: fewer per page, never none, all of them in the end.
  EventsPage small = f.state.Events({}, 1);
  CHECK(small.events.size() == 1);
  CHECK(small.more);
  CHECK(AllEvents(f.state, {}, 300).size() == 10);
}

TEST_CASE("the event log is bounded in bytes as well as count", "[leader][state][bounds]") {
  Fixture f;
  const std::string big(ClusterState::kMaxEventMessageBytes, 'x');
  for (int i = 0; i < 2000; ++i) {
    f.state.RecordEvent("id-w1", {"container_die", "c" + std::to_string(i), big, {}}, i);
  }
  CHECK(f.state.event_log_bytes() <= ClusterState::kMaxEventLogBytes);
  CHECK(f.state.event_count() < ClusterState::kMaxEvents);
  CHECK(f.state.event_count() >= ClusterState::kMaxEventLogBytes / (big.size() + 1024));
  // The newest are kept, and their seq numbers go on.
  json recent = f.state.StatusJson(f.clock.Now())["recent_events"];
  CHECK(recent.back()["subject"] == "c1999");
  EventsPage last = f.state.Events({.after = 1999}, 1 << 20);
  REQUIRE(last.events.size() == 1);
  CHECK(last.events[0]["seq"] == 2000);
  // Small events: the count bound.
  Fixture g;
  for (int i = 0; i < 5000; ++i) g.state.RecordEvent("id-w1", {"k", "s", "m", {}}, i);
  CHECK(g.state.event_count() == ClusterState::kMaxEvents);
}

TEST_CASE("an event's texts are cut to their limits at a character boundary",
          "[leader][state][bounds]") {
  Fixture f;
  protocol::Event event;
  event.kind = std::string(500, 'k');
  event.subject = std::string(5000, 's');
  std::string message;
  for (int i = 0; i < 10000; ++i) message += "\xc3\xa9";  // é, two bytes
  event.message = message;
  for (int i = 0; i < 100; ++i) {
    event.attrs["key" + std::to_string(i)] = std::string(5000, 'v');
  }
  event.attrs[std::string(500, 'K')] = "long key";
  f.state.RecordEvent(std::string(1000, 'n'), event, 1);
  json e = AllEvents(f.state, {})[0];
  CHECK(e["kind"].get<std::string>().size() <= ClusterState::kMaxEventKindBytes);
  CHECK(e["subject"].get<std::string>().size() <= ClusterState::kMaxEventSubjectBytes);
  const std::string cut = e["message"].get<std::string>();
  CHECK(cut.size() <= ClusterState::kMaxEventMessageBytes);
  CHECK(cut.size() > ClusterState::kMaxEventMessageBytes - 8);
  CHECK(IsValidUtf8(cut));
  CHECK_THAT(cut, Catch::EndsWith("\u2026"));
  CHECK(e["node_id"].get<std::string>().size() <= ClusterState::kMaxEventNodeIdBytes);
  // 32 attributes kept and one saying how many were dropped.
  CHECK(e["attrs"].size() == ClusterState::kMaxEventAttrs + 1);
  CHECK(e["attrs"]["attrs_dropped"] == "69");
  for (const auto& [key, value] : e["attrs"].items()) {
    CHECK(key.size() <= ClusterState::kMaxEventAttrKeyBytes);
    CHECK(value.get<std::string>().size() <= ClusterState::kMaxEventAttrValueBytes);
  }
  // Within the limits nothing changes.
  CHECK(CutText("short", 10) == "short");
  CHECK(CutText("abcdef", 5) == "ab\u2026");
}

TEST_CASE("agent records exist only for listed nodes, others are capped",
          "[leader][state][bounds]") {
  Fixture f;
  // A peer claiming ever new node ids.
  for (int i = 0; i < 1000; ++i) {
    protocol::Hello hello;
    hello.node_id = "fake-" + std::to_string(i);
    f.state.RecordHello(hello, f.clock.Now() + std::chrono::milliseconds(i));
  }
  CHECK(f.state.agent_count() == ClusterState::kMaxUnlistedAgents);
  f.state.RecordReport(MakeReport("id-w1", 1000, 100), f.clock.Now());
  CHECK(f.state.agent_count() == ClusterState::kMaxUnlistedAgents + 1);  // listed: always kept
  // The next complete list drops every record of a node not in it.
  f.state.SetNodes({MakeNode("id-w1", "w1", "worker", "ready")}, f.clock.Now());
  CHECK(f.state.agent_count() == 1);
  CHECK(f.state.node_list_generation() == 2);
  CHECK(f.state.IsListed("id-w1"));
  CHECK_FALSE(f.state.IsListed("id-m1"));
  // A node that left the list loses its record (and is shown no more).
  f.state.SetNodes({MakeNode("id-m1", "m1", "manager", "ready", true)}, f.clock.Now());
  CHECK(f.state.agent_count() == 0);
}

TEST_CASE("a claimed report interval is clamped: no agent connected for ever or never",
          "[leader][state][bounds]") {
  Fixture f;
  protocol::NodeReport forever = MakeReport("id-w1", 1000, 100);
  forever.report_interval_ms = 0xFFFFFFFFu;
  f.state.RecordReport(forever, f.clock.Now());
  protocol::NodeReport never = MakeReport("id-m2", 1000, 100);
  never.report_interval_ms = 1;
  f.state.RecordReport(never, f.clock.Now());
  f.clock.Advance(300ms);
  json nodes = f.state.NodesJson(f.clock.Now());
  CHECK(ByHostname(nodes, "w1")["agent"]["report_interval_seconds"] == 300.0);
  CHECK(ByHostname(nodes, "m2")["agent"]["report_interval_seconds"] == 0.1);
  CHECK(ByHostname(nodes, "m2")["agent"]["connected"] == true);
  f.clock.Advance(15min);
  nodes = f.state.NodesJson(f.clock.Now());
  CHECK(ByHostname(nodes, "w1")["agent"]["connected"] == false);
  CHECK(ByHostname(nodes, "m2")["agent"]["connected"] == false);
  // 0 means "not said": what was known stays.
  protocol::Hello hello;
  hello.node_id = "id-w1";
  f.state.RecordHello(hello, f.clock.Now());
  CHECK(f.state.NodesJson(f.clock.Now())[2]["agent"]["report_interval_seconds"] == 300.0);
}

TEST_CASE("nodes show how old each agent's service image references are", "[leader][state]") {
  Fixture f;
  protocol::NodeReport with = MakeReport("id-w1", 1000, 100);
  with.service_images_age_ms = 12'000;
  f.state.RecordReport(with, f.clock.Now());
  f.state.RecordReport(MakeReport("id-m2", 1000, 100), f.clock.Now());  // holds none (-1)
  f.clock.Advance(3s);
  json nodes = f.state.NodesJson(f.clock.Now());
  CHECK(ByHostname(nodes, "w1")["agent"]["service_images_age_seconds"] == 15.0);
  CHECK(ByHostname(nodes, "m2")["agent"]["service_images_age_seconds"].is_null());
  CHECK(ByHostname(nodes, "m1")["agent"]["service_images_age_seconds"].is_null());
  std::string table = RenderNodesTable(nodes);
  CHECK(table.find("IMAGE REFS") != std::string::npos);
  CHECK(table.find("15s old") != std::string::npos);
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
