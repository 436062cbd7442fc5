// The healing decision (leader/heal/plan.h) as a decision table on a simulated clock: every node
// state × role × reachability × availability × quorum × listed/unlisted × twin × grace, with the
// invariants that must hold in every cell; the manager count's steps (never an even count for
// longer than one promotion, demote before promote, never below a majority); phantoms, the
// operator's removals, backoff, and a simulated Swarm that carries the actions out.
#include "leader/heal/plan.h"

#include <catch2/catch.hpp>
#include <set>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
// The simulated clock starts here (tests/fakes/fake_clock.h).
const SteadyTime kT0 = testing::FakeClock().Now();

struct NodeDef {
  std::string hostname{};
  std::string role = "worker";  // Spec.Role
  std::string state = "ready";  // Status.State
  std::string reachability{};   // "" (no ManagerStatus), reachable, unreachable
  std::string availability = "active";
  bool leader = false;
  std::string id{};  // default "id-" + hostname
};

docker::Node MakeNode(const NodeDef& d) {
  docker::Node n;
  n.id = d.id.empty() ? "id-" + d.hostname : d.id;
  n.hostname = d.hostname;
  n.role = d.role;
  n.state = d.state;
  n.manager_reachability = d.reachability;
  n.availability = d.availability;
  n.manager_leader = d.leader;
  n.version = 10;
  n.spec = {{"Role", d.role}, {"Availability", d.availability}};
  return n;
}

NodeDef Manager(const std::string& h, bool leader = false) {
  return {.hostname = h, .role = "manager", .reachability = "reachable", .leader = leader};
}
NodeDef Worker(const std::string& h) { return {.hostname = h}; }

// A swarm of nodes, the configuration and the healer's memory, planned at a simulated time.
class World {
 public:
  World() {
    settings_.phantom_grace = 60s;
    settings_.manager_grace = 120s;
    settings_.self_node_id = "id-m1";
  }
  docker::Node& Add(const NodeDef& d) {
    nodes_.push_back(MakeNode(d));
    return nodes_.back();
  }
  docker::Node& Node(const std::string& id) {
    for (auto& n : nodes_)
      if (n.id == id) return n;
    FAIL("no node " << id);
    throw;
  }
  void List(const std::string& h, std::optional<config::NodeRole> role = std::nullopt) {
    config::NodeSpec spec;
    spec.hostname = h;
    spec.role = role;
    config_.nodes[h] = spec;
  }
  void Wanted(std::optional<int> n) { config_.managers = n; }
  HealPlan Run() {
    HealPlan plan = PlanHeal(config_, settings_, {nodes_, raft_write_age_}, memory_, clock_.Now());
    memory_ = plan.memory;
    return plan;
  }
  void Advance(std::chrono::milliseconds d) { clock_.Advance(d); }
  SteadyTime now() const { return clock_.Now(); }
  HealMemory& memory() { return memory_; }
  HealSettings& settings() { return settings_; }
  std::vector<docker::Node>& nodes() { return nodes_; }

  // Carries `plan`'s actions out as Swarm does: a removal deletes the node; a promotion sets the
  // role (the node becomes a reachable member on Settle()); a demotion sets the role (the member
  // leaves on Settle()).
  void Apply(const HealPlan& plan) {
    for (const auto& a : plan.actions) {
      for (auto it = nodes_.begin(); it != nodes_.end(); ++it) {
        if (it->id != a.node_id) continue;
        if (a.kind == HealActionKind::kRemove) {
          nodes_.erase(it);
        } else {
          it->role = a.kind == HealActionKind::kPromote ? "manager" : "worker";
        }
        break;
      }
    }
  }
  void Settle() {
    bool leader = false;
    for (auto& n : nodes_) leader = leader || (n.manager_leader && n.role == "manager");
    for (auto& n : nodes_) {
      if (n.role == "manager" && n.manager_reachability.empty() && n.state == "ready") {
        n.manager_reachability = "reachable";
      }
      if (n.role == "worker" && !n.manager_reachability.empty()) {
        n.manager_reachability.clear();
        n.manager_leader = false;
      }
    }
    // A demoted Raft leader: another reachable member is elected.
    for (auto& n : nodes_) {
      if (leader) break;
      if (n.manager_reachability == "reachable") n.manager_leader = leader = true;
    }
  }

 private:
  config::SwarmConfig config_;
  HealSettings settings_;
  std::vector<docker::Node> nodes_;
  HealMemory memory_;

 public:
  // How long before the read the last lease renewal was committed (nullopt: none known).
  std::optional<std::chrono::milliseconds> raft_write_age_ = 0ms;

 private:
  testing::FakeClock clock_;
};

int Count(const HealPlan& plan, HealActionKind kind) {
  int n = 0;
  for (const auto& a : plan.actions) n += a.kind == kind;
  return n;
}
const HealNodeReport& ReportOf(const HealPlan& plan, const std::string& id) {
  for (const auto& r : plan.nodes)
    if (r.node_id == id) return r;
  FAIL("no report for " << id);
  throw;
}
std::string Actions(const HealPlan& plan) {
  std::string out;
  for (const auto& a : plan.actions) {
    out += std::string(out.empty() ? "" : " ") + HealActionKindName(a.kind) + ":" + a.hostname;
  }
  return out;
}

// Three reachable managers (m1 leads) and two workers.
void Base(World& w, bool list_all = true) {
  w.Add(Manager("m1", true));
  w.Add(Manager("m2"));
  w.Add(Manager("m3"));
  w.Add(Worker("w1"));
  w.Add(Worker("w2"));
  if (list_all) {
    for (const char* h : {"m1", "m2", "m3", "w1", "w2"}) w.List(h);
  }
}

// ---------------------------------------------------------------------------------------------
// The exhaustive table: one subject node "s" in every combination, beside the base swarm.

struct Cell {
  std::string state;
  bool manager;
  std::string reachability;  // for managers
  std::string availability;
  bool listed;
  bool twin;
  bool quorum;
  bool past_grace;
  std::optional<int> wanted;
};

std::string Describe(const Cell& c) {
  return "state=" + c.state + (c.manager ? " manager/" + c.reachability : " worker") + " " +
         c.availability + (c.listed ? " listed" : " unlisted") + (c.twin ? " twin" : "") +
         (c.quorum ? " quorum" : " no-quorum") + (c.past_grace ? " past-grace" : " in-grace") +
         " wanted=" + (c.wanted ? std::to_string(*c.wanted) : "-");
}

TEST_CASE("heal: every node state x role x quorum x listed x twin x grace keeps the invariants",
          "[heal][plan]") {
  int cells = 0, removed = 0, demoted = 0, promoted = 0;
  for (std::string state : {"ready", "down", "unknown", "disconnected"})
    for (bool manager : {false, true})
      for (std::string reach : {"reachable", "unreachable"})
        for (std::string avail : {"active", "drain", "pause"})
          for (bool listed : {false, true})
            for (bool twin : {false, true})
              for (bool quorum : {false, true})
                for (bool past : {false, true})
                  for (std::optional<int> wanted :
                       {std::optional<int>(), std::optional<int>(3), std::optional<int>(5)}) {
                    if (!manager && reach == "unreachable") continue;  // one worker row
                    Cell c{state, manager, reach, avail, listed, twin, quorum, past, wanted};
                    INFO(Describe(c));
                    ++cells;
                    World w;
                    w.Add(Manager("m1", true));
                    NodeDef m2 = Manager("m2"), m3 = Manager("m3");
                    if (!quorum) {
                      // Three of four managers down: 1 of 4 (or 2 of 5) reachable.
                      w.Add({.hostname = "m2x",
                             .role = "manager",
                             .state = "down",
                             .reachability = "unreachable"});
                      for (NodeDef* d : {&m2, &m3}) {
                        d->state = "down";
                        d->reachability = "unreachable";
                      }
                    }
                    w.Add(m2);
                    w.Add(m3);
                    w.Add(Worker("w1"));
                    for (const char* h : {"m1", "m2", "m3", "m2x", "w1"}) w.List(h);
                    NodeDef s{.hostname = "s", .state = state, .availability = avail};
                    if (manager) {
                      s.role = "manager";
                      s.reachability = state == "ready" ? reach : "unreachable";
                    }
                    w.Add(s);
                    if (twin) w.Add({.hostname = "s", .id = "id-s-new"});
                    if (listed) w.List("s");
                    w.Wanted(wanted);
                    w.Run();  // first sight: starts the graces
                    if (past) w.Advance(10min);
                    HealPlan plan = w.Run();

                    // Quorum lost: nothing at all, and it says so.
                    if (!quorum) {
                      CHECK(plan.actions.empty());
                      CHECK_FALSE(plan.blocked.empty());
                      continue;
                    }
                    // A recently unreachable manager blocks everything.
                    const bool fresh_unreachable =
                        manager && s.reachability == "unreachable" && !past;
                    if (fresh_unreachable) {
                      CHECK(plan.actions.empty());
                      CHECK_THAT(plan.blocked, Catch::Contains("grace"));
                      continue;
                    }
                    CHECK(plan.blocked.empty());
                    int role_changes = 0;
                    for (const auto& a : plan.actions) {
                      const docker::Node& n = w.Node(a.node_id);
                      if (a.kind == HealActionKind::kRemove) {
                        ++removed;
                        // Only a listed, down, non-manager phantom past its grace.
                        CHECK(n.state == "down");
                        CHECK(n.role == "worker");
                        CHECK(n.manager_reachability.empty());
                        CHECK(a.node_id == "id-s");
                        CHECK(listed);
                        CHECK(twin);
                        CHECK(past);
                      } else {
                        ++role_changes;
                        if (a.kind == HealActionKind::kDemote) {
                          ++demoted;
                          CHECK(n.role == "manager");
                          // Never below a majority of the reachable members.
                          const int left = plan.counts.reachable -
                                           (n.manager_reachability == "reachable" ? 1 : 0);
                          CHECK(2 * left > plan.counts.members - 1);
                        } else {
                          ++promoted;
                          CHECK(n.role == "worker");
                          CHECK(n.state == "ready");
                          CHECK(n.availability == "active");
                          CHECK(wanted.has_value());
                        }
                      }
                      // Never an unlisted node without the operator.
                      CHECK(a.cause != "operator");
                      CHECK((a.hostname != "s" || listed));
                    }
                    CHECK(role_changes <= 1);
                    // A down node without a twin is never removed; a phantom is reported.
                    const auto& r = ReportOf(plan, "id-s");
                    if (state == "down" && twin) CHECK(r.heal == HealNodeState::kPhantom);
                    if (state == "down" && !twin && !manager) {
                      CHECK(r.heal == HealNodeState::kDownNoTwin);
                    }
                    // Drained or paused: never promoted, and never demoted unless a phantom.
                    for (const auto& a : plan.actions) {
                      if (a.node_id != "id-s" || avail == "active") continue;
                      CHECK(a.kind != HealActionKind::kPromote);
                      if (a.kind == HealActionKind::kDemote) CHECK(twin);
                    }
                  }
  // The table reached every kind of outcome.
  CHECK(cells > 1000);
  CHECK(removed > 0);
  CHECK(demoted > 0);
  CHECK(promoted > 0);
}

// ---------------------------------------------------------------------------------------------
// Phantoms.

TEST_CASE("heal: a listed phantom worker is removed after its grace, not before", "[heal][plan]") {
  World w;
  Base(w);
  w.Node("id-w2").state = "down";
  w.Add({.hostname = "w2", .id = "id-w2-new"});  // re-joined under a new id
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(ReportOf(plan, "id-w2").heal == HealNodeState::kPhantom);
  CHECK(plan.counts.phantoms == 1);
  REQUIRE(plan.recheck_in);
  CHECK(*plan.recheck_in == 60s);
  w.Advance(59s);
  CHECK(w.Run().actions.empty());
  w.Advance(1s);
  plan = w.Run();
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0].kind == HealActionKind::kRemove);
  CHECK(plan.actions[0].node_id == "id-w2");
  CHECK(plan.actions[0].cause == "phantom");
  CHECK(plan.actions[0].version == 10);
  CHECK_THAT(plan.actions[0].reason, Catch::Contains("Ready under another id"));
}

TEST_CASE("heal: nothing is done unless a recent write to Swarm proves quorum", "[heal][plan]") {
  // A manager that lost quorum serves a stale node list that looks healthy (seen on the lab): only
  // a committed write (the lease renewal) shortly before the read proves the list is current.
  World w;
  Base(w);
  w.Node("id-w2").state = "down";
  w.Add({.hostname = "w2", .id = "id-w2-new"});
  w.Run();         // first seen down now
  w.Advance(61s);  // past the phantom grace
  const std::vector<std::optional<std::chrono::milliseconds>> stale = {std::nullopt, 13s, 60s};
  for (const auto& age : stale) {
    w.raft_write_age_ = age;
    HealPlan plan = w.Run();
    CHECK(plan.actions.empty());
    CHECK_THAT(plan.blocked, Catch::Contains("quorum unproven"));
    CHECK(plan.counts.phantoms == 1);  // still reported
  }
  w.raft_write_age_ = 12s;  // the limit: renewals every 5 s, one missed
  HealPlan plan = w.Run();
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0].node_id == "id-w2");
  CHECK(plan.blocked.empty());
}

TEST_CASE("heal: the write's age is taken at the read", "[heal][plan]") {
  const SteadyTime t0{std::chrono::seconds(1000)};
  CHECK_FALSE(RaftWriteAge(std::nullopt, t0));
  CHECK(RaftWriteAge(t0 - 3s, t0) == 3000ms);
  CHECK(RaftWriteAge(t0 + 1s, t0) == 0ms);  // a write after the read began: proven
}

TEST_CASE("heal: a down node without a twin is reported, never removed", "[heal][plan]") {
  World w;
  Base(w);
  w.Node("id-w2").state = "down";
  w.Run();
  w.Advance(24h);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(ReportOf(plan, "id-w2").heal == HealNodeState::kDownNoTwin);
  CHECK_THAT(ReportOf(plan, "id-w2").detail, Catch::Contains("remove_node:id-w2"));
  CHECK(plan.counts.down == 1);
  CHECK(plan.counts.missing == std::vector<std::string>{"w2"});
  CHECK(plan.counts.in_swarm == 4);
  CHECK(plan.counts.expected == 5);
}

TEST_CASE("heal: an unlisted phantom is reported, never removed", "[heal][plan]") {
  World w;
  Base(w);
  w.Add({.hostname = "x", .state = "down", .id = "id-x-old"});
  w.Add({.hostname = "x", .id = "id-x-new"});
  w.Run();
  w.Advance(1h);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(ReportOf(plan, "id-x-old").heal == HealNodeState::kPhantom);
  CHECK_THAT(ReportOf(plan, "id-x-old").detail, Catch::Contains("not in swarm.yml"));
}

TEST_CASE("heal: the twin must be Ready; two down nodes of a hostname are no phantoms",
          "[heal][plan]") {
  World w;
  Base(w);
  w.Node("id-w2").state = "down";
  w.Add({.hostname = "w2", .state = "down", .id = "id-w2-new"});
  w.Add({.hostname = "w1", .state = "unknown", .id = "id-w1-new"});
  w.Node("id-w1").state = "down";
  w.Run();
  w.Advance(1h);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(plan.counts.phantoms == 0);
}

TEST_CASE("heal: at most max_removals removals per pass, the rest next pass", "[heal][plan]") {
  World w;
  Base(w);
  for (int i = 0; i < 5; ++i) {
    std::string h = "p" + std::to_string(i);
    w.List(h);
    w.Add({.hostname = h, .state = "down", .id = "old-" + h});
    w.Add({.hostname = h, .id = "new-" + h});
  }
  w.Run();
  w.Advance(2min);
  HealPlan plan = w.Run();
  CHECK(Count(plan, HealActionKind::kRemove) == 3);
  w.Apply(plan);
  plan = w.Run();
  CHECK(Count(plan, HealActionKind::kRemove) == 2);
}

TEST_CASE("heal: a failed removal backs off, and the count resets only when it took effect",
          "[heal][plan]") {
  World w;
  Base(w);
  w.Node("id-w2").state = "down";
  w.Add({.hostname = "w2", .id = "id-w2-new"});
  w.Run();
  w.Advance(61s);
  HealPlan plan = w.Run();
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0].attempt == 1);
  // The write failed (nothing applied): held 10 s, then 30 s, then 60 s...
  std::vector<std::chrono::seconds> waits = {10s, 30s, 60s, 300s, 900s, 900s};
  for (std::size_t k = 0; k < waits.size(); ++k) {
    w.Advance(waits[k] - 1s);
    plan = w.Run();
    CHECK(plan.actions.empty());
    CHECK_THAT(ReportOf(plan, "id-w2").detail, Catch::Contains("backing off"));
    w.Advance(1s);
    plan = w.Run();
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].attempt == static_cast<int>(k) + 2);
  }
  w.Apply(plan);  // it worked this time: the node is gone, and so is its backoff
  plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(w.memory().nodes.count("id-w2") == 0);
}

TEST_CASE("heal: a phantom manager is demoted first, then removed", "[heal][plan]") {
  World w;
  Base(w);
  w.Wanted(3);
  // m3 lost its state and joined again as a worker under a new id.
  w.Node("id-m3").state = "down";
  w.Node("id-m3").manager_reachability = "unreachable";
  w.Add({.hostname = "m3", .id = "id-m3-new"});
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());  // unreachable for less than the manager grace
  w.Advance(2min);
  plan = w.Run();
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0].kind == HealActionKind::kDemote);
  CHECK(plan.actions[0].node_id == "id-m3");
  CHECK(plan.actions[0].cause == "phantom");
  w.Apply(plan);
  plan = w.Run();  // demotion in progress (still a Raft member)
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.count_status, Catch::Contains("demotion"));
  w.Settle();
  plan = w.Run();
  // The phantom goes, and the new m3 (listed, Ready) is promoted: 2 -> 3.
  CHECK(Actions(plan) == "remove:m3 promote:m3");
  CHECK(plan.actions[1].node_id == "id-m3-new");
}

// ---------------------------------------------------------------------------------------------
// The manager count.

TEST_CASE("heal: a manager killed for good is demoted after the grace, then a worker promoted",
          "[heal][plan]") {
  World w;
  Base(w);
  w.Wanted(3);
  auto& m3 = w.Node("id-m3");
  m3.manager_reachability = "unreachable";
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.blocked, Catch::Contains("m3"));
  w.Node("id-m3").state = "down";  // Swarm: Down ~10 s later
  w.Advance(119s);
  plan = w.Run();
  CHECK(plan.actions.empty());
  w.Advance(1s);
  plan = w.Run();
  REQUIRE(Actions(plan) == "demote:m3");
  CHECK(plan.actions[0].cause == "lost_manager");
  CHECK_THAT(plan.actions[0].reason, Catch::Contains("then a worker is promoted"));
  w.Apply(plan);
  w.Settle();
  plan = w.Run();
  // Out of Raft and still down: removed (issue 11: "demoted and removed"); w1 promoted, the first
  // by hostname.
  REQUIRE(Actions(plan) == "remove:m3 promote:w1");
  CHECK(plan.actions[0].cause == "lost_manager");
  w.Apply(plan);
  plan = w.Run();  // verified before anything else
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.count_status, Catch::Contains("waiting for the promotion of w1"));
  CHECK(plan.recheck_in == 2s);
  w.Settle();
  plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(plan.counts.managers == 3);
  CHECK(plan.counts.reachable == 3);
  for (const auto& n : w.nodes()) CHECK(n.id != "id-m3");
  CHECK(w.memory().nodes.empty());  // every backoff reset: the actions took effect
  CHECK(w.memory().demoted_lost.empty());
}

TEST_CASE("heal: role: manager candidates first, then by hostname; role: worker never",
          "[heal][plan]") {
  World w;
  w.Add(Manager("m1", true));
  w.Add(Worker("a"));
  w.Add(Worker("b"));
  w.Add(Worker("c"));
  w.Add(Worker("d"));
  w.List("m1");
  w.List("a", config::NodeRole::kWorker);
  w.List("b");
  w.List("c", config::NodeRole::kManager);
  w.List("d");
  w.Wanted(5);
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    HealPlan plan = w.Run();
    for (const auto& a : plan.actions) order.push_back(a.hostname);
    w.Apply(plan);
    w.Settle();
  }
  // c (role: manager) first, then b by hostname: 1 -> 2 -> 3; 3 -> 4 would need two more
  // candidates and only d is left, so the count stays odd.
  CHECK(order == std::vector<std::string>{"c", "b"});
  HealPlan plan = w.Run();
  CHECK(plan.counts.managers == 3);
  CHECK_THAT(plan.count_status, Catch::Contains("even"));
}

TEST_CASE("heal: from an odd count a promotion needs a second candidate", "[heal][plan]") {
  World w;
  w.Add(Manager("m1", true));
  w.Add(Worker("w1"));
  w.List("m1");
  w.List("w1");
  w.Wanted(3);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.count_status, Catch::Contains("2 would be an even count"));
  w.Add(Worker("w2"));
  w.List("w2");
  plan = w.Run();
  CHECK(Actions(plan) == "promote:w1");
}

TEST_CASE(
    "heal: extras are demoted, role: worker first, the leader's own node and the Raft "
    "leader last, never below a majority",
    "[heal][plan]") {
  World w;
  w.Add(Manager("m1", true));  // Raft leader
  w.Add(Manager("m2"));        // self
  w.Add(Manager("m3"));
  w.Add(Manager("m4"));
  w.Add(Manager("m5"));
  w.settings().self_node_id = "id-m2";
  w.List("m1");
  w.List("m2");
  w.List("m3", config::NodeRole::kManager);
  w.List("m4", config::NodeRole::kWorker);
  w.List("m5");
  w.Wanted(1);
  std::vector<std::string> order;
  for (int i = 0; i < 8; ++i) {
    HealPlan plan = w.Run();
    for (const auto& a : plan.actions) {
      CHECK(a.kind == HealActionKind::kDemote);
      order.push_back(a.hostname);
    }
    w.Apply(plan);
    w.Settle();
  }
  CHECK(order == std::vector<std::string>{"m4", "m5", "m2", "m1"});
  CHECK(w.Run().counts.managers == 1);
}

TEST_CASE("heal: drained and paused nodes are neither promoted nor demoted", "[heal][plan]") {
  World w;
  w.Add(Manager("m1", true));
  w.Add(
      {.hostname = "m2", .role = "manager", .reachability = "reachable", .availability = "drain"});
  w.Add(
      {.hostname = "m3", .role = "manager", .reachability = "reachable", .availability = "pause"});
  w.Add({.hostname = "w1", .availability = "drain"});
  w.Add({.hostname = "w2", .availability = "pause"});
  for (const char* h : {"m1", "m2", "m3", "w1", "w2"}) w.List(h);
  w.Wanted(1);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());  // m2, m3 are extras but left as they are; m1 is self and leader
  w.Wanted(5);
  plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.count_status, Catch::Contains("no Ready, active, listed worker"));
}

TEST_CASE("heal: unlisted nodes are never promoted or demoted", "[heal][plan]") {
  World w;
  Base(w, /*list_all=*/false);
  w.Wanted(5);
  CHECK(w.Run().actions.empty());
  w.Wanted(1);
  CHECK(w.Run().actions.empty());
}

TEST_CASE("heal: a lost manager with nobody to replace it stays (no even count)", "[heal][plan]") {
  World w;
  w.Add(Manager("m1", true));
  w.Add(Manager("m2"));
  w.Add({.hostname = "m3", .role = "manager", .state = "down", .reachability = "unreachable"});
  for (const char* h : {"m1", "m2", "m3"}) w.List(h);
  w.Wanted(3);
  w.Run();
  w.Advance(10min);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(ReportOf(plan, "id-m3").heal == HealNodeState::kLostManager);
  CHECK_THAT(ReportOf(plan, "id-m3").detail, Catch::Contains("even count"));
  // Without managers: the lost manager is left alone too.
  w.Wanted(std::nullopt);
  w.Add(Worker("w1"));
  w.List("w1");
  plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.count_status, Catch::Contains("not set"));
}

TEST_CASE("heal: a lost manager above the wanted count is demoted (the count goes odd)",
          "[heal][plan]") {
  World w;
  for (const char* h : {"m1", "m2", "m3"}) w.Add(Manager(h, std::string(h) == "m1"));
  w.Add({.hostname = "m4", .role = "manager", .state = "down", .reachability = "unreachable"});
  for (const char* h : {"m1", "m2", "m3", "m4"}) w.List(h);
  w.Wanted(3);
  w.Run();
  w.Advance(3min);
  HealPlan plan = w.Run();
  CHECK(Actions(plan) == "demote:m4");
}

TEST_CASE("heal: a stale list from a manager without quorum is no quorum", "[heal][plan]") {
  // Seen on the lab: m2 and w1 killed, m1's daemon still lists m2 reachable and itself unknown.
  World w;
  w.Add({.hostname = "m1",
         .role = "manager",
         .state = "unknown",
         .reachability = "reachable",
         .leader = true});
  w.Add(Manager("m2"));
  w.Add({.hostname = "w1", .role = "manager", .state = "down", .reachability = "unreachable"});
  w.Add(Worker("w2"));
  w.Add(Worker("w3"));
  for (const char* h : {"m1", "m2", "w1", "w2", "w3"}) w.List(h);
  w.Wanted(3);
  w.Run();
  w.Advance(10min);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_FALSE(plan.counts.quorum);
  CHECK_THAT(plan.blocked, Catch::Contains("quorum"));
}

TEST_CASE("heal: nothing at all while quorum is lost, whatever else is due", "[heal][plan]") {
  World w;
  w.Add(Manager("m1", true));
  w.Add({.hostname = "m2", .role = "manager", .state = "down", .reachability = "unreachable"});
  w.Add({.hostname = "m3", .role = "manager", .state = "down", .reachability = "unreachable"});
  w.Add({.hostname = "w1", .state = "down", .id = "id-w1-old"});
  w.Add(Worker("w1"));
  w.Add(Worker("w2"));
  for (const char* h : {"m1", "m2", "m3", "w1", "w2"}) w.List(h);
  w.Wanted(3);
  w.Run();
  w.Advance(1h);
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_FALSE(plan.counts.quorum);
  CHECK_THAT(plan.blocked, Catch::Contains("quorum"));
  CHECK_THAT(plan.count_status, Catch::Contains("quorum"));
  // A Raft leader is needed too: no member says it leads.
  World v;
  v.Add(Manager("m1"));
  v.List("m1");
  CHECK_FALSE(v.Run().counts.quorum);
}

TEST_CASE("heal: a role change in progress holds every other change of role", "[heal][plan]") {
  World w;
  Base(w);
  w.Wanted(5);
  HealPlan plan = w.Run();
  REQUIRE(Actions(plan) == "promote:w1");  // 3 -> 4 -> 5: two candidates
  w.Apply(plan);
  for (int i = 0; i < 5; ++i) {
    w.Advance(2s);
    plan = w.Run();
    CHECK(plan.actions.empty());
  }
  w.Settle();
  plan = w.Run();
  CHECK(Actions(plan) == "promote:w2");
}

TEST_CASE("heal: a promotion that does not become reachable is reported and holds the count",
          "[heal][plan]") {
  World w;
  Base(w);
  w.Wanted(5);
  HealPlan plan = w.Run();
  w.Apply(plan);
  w.Advance(61s);
  plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK_THAT(plan.count_status, Catch::Contains("promotion failed"));
  CHECK(plan.warnings.size() == 1);
}

TEST_CASE("heal: never an even count for longer than one promotion (simulated sequences)",
          "[heal][plan]") {
  // Start from every manager count 1..5 and wanted 1, 3, 5, with 0..4 candidates and maybe one
  // lost manager; run passes until nothing changes. Between two odd counts at most one promotion
  // happens, each pass changes at most one role, and the count ends odd.
  for (int managers = 1; managers <= 5; ++managers)
    for (int wanted : {1, 3, 5})
      for (int workers = 0; workers <= 4; ++workers)
        for (bool lost : {false, true}) {
          if (lost && managers < 3) continue;  // quorum would not hold
          INFO("managers " << managers << " wanted " << wanted << " workers " << workers
                           << (lost ? " lost" : ""));
          World w;
          for (int i = 1; i <= managers; ++i) {
            std::string h = "m" + std::to_string(i);
            NodeDef d = Manager(h, i == 1);
            if (lost && i == managers) {
              d.state = "down";
              d.reachability = "unreachable";
            }
            w.Add(d);
            w.List(h);
          }
          for (int i = 1; i <= workers; ++i) {
            std::string h = "w" + std::to_string(i);
            w.Add(Worker(h));
            w.List(h);
          }
          w.Wanted(wanted);
          w.Run();
          w.Advance(10min);
          int promotions_while_even = 0;
          bool changed = true;
          for (int pass = 0; pass < 30 && changed; ++pass) {
            HealPlan plan = w.Run();
            CHECK(plan.blocked.empty());
            int role_changes = 0;
            for (const auto& a : plan.actions) role_changes += a.kind != HealActionKind::kRemove;
            CHECK(role_changes <= 1);
            const bool even = plan.counts.managers % 2 == 0;
            if (!even) promotions_while_even = 0;
            for (const auto& a : plan.actions) {
              if (a.kind == HealActionKind::kDemote) {
                // Never below a majority of the reachable members.
                const bool dead = w.Node(a.node_id).state == "down";
                CHECK(2 * (plan.counts.reachable - (dead ? 0 : 1)) > plan.counts.members - 1);
              }
              if (a.kind == HealActionKind::kPromote && even) ++promotions_while_even;
            }
            CHECK(promotions_while_even <= 1);
            changed = !plan.actions.empty();
            w.Apply(plan);
            w.Settle();
          }
          HealPlan end = w.Run();
          CHECK(end.actions.empty());
          // Ends odd, unless it started even and nothing could be done about it.
          if (end.counts.managers % 2 == 0) {
            CHECK(managers % 2 == 0);
            CHECK_FALSE(lost);
            CHECK(end.counts.managers == managers);
          }
          if (lost && wanted >= 3 && workers >= 1) {
            // The lost manager was replaced.
            CHECK(end.counts.reachable == end.counts.managers);
          }
        }
}

// ---------------------------------------------------------------------------------------------
// The operator's removals.

TEST_CASE("heal: remove_node removes a down worker without a twin, even unlisted", "[heal][plan]") {
  World w;
  Base(w, /*list_all=*/false);
  w.Node("id-w2").state = "down";
  w.memory().removals["id-w2"] = {kT0, "cli (command 3)"};
  HealPlan plan = w.Run();
  REQUIRE(Actions(plan) == "remove:w2");
  CHECK(plan.actions[0].cause == "operator");
  CHECK_THAT(plan.actions[0].reason, Catch::Contains("cli (command 3)"));
  w.Apply(plan);
  plan = w.Run();
  CHECK(w.memory().removals.empty());  // done
}

TEST_CASE("heal: remove_node of a down manager demotes it first, while quorum holds",
          "[heal][plan]") {
  World w;
  Base(w);
  w.Node("id-m3").state = "down";
  w.Node("id-m3").manager_reachability = "unreachable";
  w.memory().removals["id-m3"] = {kT0, "file (command 1)"};
  HealPlan plan = w.Run();  // the operator named it: its own grace does not hold it
  REQUIRE(Actions(plan) == "demote:m3");
  CHECK(plan.actions[0].cause == "operator");
  w.Apply(plan);
  w.Settle();
  plan = w.Run();
  CHECK(Actions(plan) == "remove:m3");
}

TEST_CASE("heal: remove_node of a node that is not down is dropped; old requests expire",
          "[heal][plan]") {
  World w;
  Base(w);
  w.memory().removals["id-w1"] = {kT0, "cli (command 1)"};
  HealPlan plan = w.Run();
  CHECK(plan.actions.empty());
  CHECK(w.memory().removals.empty());
  CHECK_THAT(plan.warnings.at(0), Catch::Contains("not down"));

  // Quorum lost: a request waits, and is dropped after request_timeout.
  World v;
  v.Add(Manager("m1", true));
  v.Add({.hostname = "m2", .role = "manager", .state = "down", .reachability = "unreachable"});
  v.Add({.hostname = "m3", .role = "manager", .state = "down", .reachability = "unreachable"});
  v.Add({.hostname = "w1", .state = "down"});
  v.memory().removals["id-w1"] = {kT0, "cli (command 2)"};
  CHECK(v.Run().actions.empty());
  CHECK(v.memory().removals.size() == 1);
  v.Advance(10min);
  plan = v.Run();
  CHECK(v.memory().removals.empty());
  CHECK_THAT(plan.warnings.at(0), Catch::Contains("not carried out"));
}

TEST_CASE("heal: MatchNodeId takes an id or a unique prefix of at least 6 characters",
          "[heal][plan]") {
  std::vector<docker::Node> nodes = {MakeNode({.hostname = "a", .id = "abcdef123"}),
                                     MakeNode({.hostname = "b", .id = "abcdef456"}),
                                     MakeNode({.hostname = "c", .id = "zzz"})};
  CHECK(MatchNodeId(nodes, "zzz").node_id == "zzz");
  CHECK(MatchNodeId(nodes, "abcdef4").node_id == "abcdef456");
  CHECK_THAT(MatchNodeId(nodes, "abcdef").error, Catch::Contains("2 node ids"));
  CHECK_THAT(MatchNodeId(nodes, "abc").error, Catch::Contains("at least 6"));
  CHECK_THAT(MatchNodeId(nodes, "qqqqqqq").error, Catch::Contains("no node"));
  CHECK(MatchNodeId(nodes, "abcdef4").error.empty());
}

TEST_CASE("heal: counts for status", "[heal][plan]") {
  World w;
  Base(w);
  w.List("w3");
  w.Wanted(3);
  w.Node("id-w2").state = "down";
  w.Add({.hostname = "w2", .id = "id-w2-new"});
  HealPlan plan = w.Run();
  CHECK(plan.counts.expected == 6);
  CHECK(plan.counts.in_swarm == 5);
  CHECK(plan.counts.missing == std::vector<std::string>{"w3"});
  CHECK(plan.counts.phantoms == 1);
  CHECK(plan.counts.managers_wanted == 3);
  CHECK(plan.counts.managers == 3);
  CHECK(plan.counts.members == 3);
  CHECK(plan.counts.reachable == 3);
  CHECK(plan.counts.quorum);
  CHECK(plan.count_status == "3 managers, as wanted");
}

}  // namespace
}  // namespace orcastra::leader
