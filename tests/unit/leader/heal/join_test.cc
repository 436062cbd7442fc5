// Whether the active leader hands a node's agent the worker join token (leader/heal/join.h): each
// rule of the header as a row, over a real PlanHeal of a 3-manager swarm on a simulated clock,
// and the invariants of every grant.
#include "leader/heal/join.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

docker::Node MakeNode(const std::string& id, const std::string& hostname, const std::string& role,
                      const std::string& state, const std::string& availability = "active") {
  docker::Node n;
  n.id = id;
  n.hostname = hostname;
  n.role = role;
  n.state = state;
  n.availability = availability;
  n.version = 7;
  if (role == "manager") {
    n.manager_reachability = state == "ready" ? "reachable" : "unreachable";
    n.manager_addr = "198.51.100.1" + id.substr(id.size() - 1) + ":2377";
    n.manager_leader = id == "m1";
  }
  n.spec = {{"Role", role}, {"Availability", availability}};
  return n;
}

// Three managers and w1, w2 listed; w2 (node "w2old") has left the swarm.
class JoinWorld {
 public:
  JoinWorld() {
    nodes.push_back(MakeNode("m1", "m1", "manager", "ready"));
    nodes.push_back(MakeNode("m2", "m2", "manager", "ready"));
    nodes.push_back(MakeNode("m3", "m3", "manager", "ready"));
    nodes.push_back(MakeNode("w1", "w1", "worker", "ready"));
    nodes.push_back(MakeNode("w2old", "w2", "worker", "down"));
    for (const char* h : {"m1", "m2", "m3", "w1", "w2"}) config.nodes[h].hostname = h;
    settings.self_node_id = "m1";
  }
  JoinDecision Ask(const std::string& node_id) {
    plan = PlanHeal(config, settings, {nodes, raft_write_age}, {}, clock.Now());
    JoinInputs in;
    in.node_id = node_id;
    in.active = active;
    in.active_hint = "m2 (node m2)";
    in.has_config = true;
    in.plan = &plan;
    in.nodes = &nodes;
    in.dry_run = dry_run;
    in.worker_token_known = token_known;
    in.last_grant = last_grant;
    in.now = clock.Now();
    return DecideJoin(in);
  }
  docker::Node& Node(const std::string& id) {
    for (auto& n : nodes)
      if (n.id == id) return n;
    throw std::logic_error("no node " + id);
  }

  std::vector<docker::Node> nodes;
  config::SwarmConfig config;
  HealSettings settings;
  HealPlan plan;
  testing::FakeClock clock;
  std::optional<std::chrono::milliseconds> raft_write_age = 1s;
  bool active = true;
  bool dry_run = false;
  bool token_known = true;
  std::optional<SteadyTime> last_grant;
};

TEST_CASE("join: a listed worker that left gets the worker token and the reachable managers",
          "[heal][join]") {
  JoinWorld w;
  const JoinDecision d = w.Ask("w2old");
  INFO(d.reason);
  CHECK(d.grant);
  CHECK_FALSE(d.retry);
  CHECK(d.hostname == "w2");
  CHECK(d.manager_addrs ==
        std::vector<std::string>{"198.51.100.11:2377", "198.51.100.12:2377", "198.51.100.13:2377"});
}

TEST_CASE("join: each refusal, and whether asking again may help", "[heal][join]") {
  struct Row {
    const char* name;
    std::function<void(JoinWorld&)> setup;
    std::string node = "w2old";
    bool retry;
    const char* says;
  };
  const std::vector<Row> rows = {
      {"a standby", [](JoinWorld& w) { w.active = false; }, "w2old", true, "standby"},
      {"quorum unproven", [](JoinWorld& w) { w.raft_write_age.reset(); }, "w2old", true,
       "healing is blocked"},
      {"quorum lost",
       [](JoinWorld& w) {
         w.Node("m2").state = "down";
         w.Node("m2").manager_reachability = "unreachable";
         w.Node("m3").state = "down";
         w.Node("m3").manager_reachability = "unreachable";
       },
       "w2old", true, "healing is blocked"},
      {"removed from Swarm", [](JoinWorld&) {}, "gone", false, "not in Swarm's node list"},
      {"still ready", [](JoinWorld&) {}, "w1", true, "not down"},
      {"unlisted", [](JoinWorld& w) { w.config.nodes.erase("w2"); }, "w2old", false,
       "not listed in swarm.yml"},
      {"already back under a new id",
       [](JoinWorld& w) { w.nodes.push_back(MakeNode("w2new", "w2", "worker", "ready")); }, "w2old",
       false, "is Ready"},
      {"drained by an operator",
       [](JoinWorld& w) {
         w.Node("w2old").availability = "drain";
         w.Node("w2old").spec["Availability"] = "drain";
       },
       "w2old", false, "drain"},
      {"paused by an operator", [](JoinWorld& w) { w.Node("w2old").availability = "pause"; },
       "w2old", false, "pause"},
      {"dry run", [](JoinWorld& w) { w.dry_run = true; }, "w2old", true, "DRY_RUN"},
      {"granted moments ago",
       [](JoinWorld& w) {
         w.last_grant = w.clock.Now();
         w.clock.Advance(kMinGrantInterval - 1ms);
       },
       "w2old", true, "moments ago"},
      {"no token read yet", [](JoinWorld& w) { w.token_known = false; }, "w2old", true,
       "worker join token is not known"},
  };
  for (const Row& row : rows) {
    JoinWorld w;
    row.setup(w);
    const JoinDecision d = w.Ask(row.node);
    INFO(row.name << ": " << d.reason);
    CHECK_FALSE(d.grant);
    CHECK(d.retry == row.retry);
    CHECK_THAT(d.reason, Catch::Contains(row.says));
    CHECK(d.manager_addrs.empty());
  }
}

TEST_CASE("join: a grant again once the interval has passed", "[heal][join]") {
  JoinWorld w;
  w.last_grant = w.clock.Now();
  w.clock.Advance(kMinGrantInterval);
  CHECK(w.Ask("w2old").grant);
}

TEST_CASE("join: a manager that left joins as a worker, only while no manager is in its grace",
          "[heal][join]") {
  JoinWorld w;
  w.config.managers = 3;
  w.Node("m3").state = "down";
  w.Node("m3").manager_reachability = "unreachable";
  // m3 has just become unreachable: healing waits for the manager grace, and so does the join.
  JoinDecision d = w.Ask("m3");
  INFO(d.reason);
  CHECK_FALSE(d.grant);
  CHECK(d.retry);
  CHECK_THAT(d.reason, Catch::Contains("healing is blocked"));
}

TEST_CASE("join: without a configuration or a node list, nothing is granted", "[heal][join]") {
  JoinInputs in;
  in.node_id = "w2old";
  in.active = true;
  in.worker_token_known = true;
  const JoinDecision d = DecideJoin(in);
  CHECK_FALSE(d.grant);
  CHECK(d.retry);
}

}  // namespace
}  // namespace orcastra::leader
