// The anchor/dependent/label decision table (leader/anchors/plan.h), over a fake swarm built in memory:
// every anchor state × every dependent placement, the backoff sequence and its reset, the grace
// period, static labels and pruning, manage_constraints.
#include "leader/anchors/plan.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
const SteadyTime kT0 = SteadyTime{} + 1h;

// A small swarm: nodes n1..n3 (ready), services and tasks added by the test.
class World {
 public:
  World() {
    for (const char* name : {"n1", "n2", "n3"}) AddNode(name);
    anchor_.name = "db";
    anchor_.services = {"app"};
    config_.dependencies = {anchor_};
    settings_.default_stack = "st";
    settings_.follow_window = 10s;  // the "following" rule; the default 0 is tested on its own
  }

  docker::Node& AddNode(const std::string& name, const std::string& state = "ready") {
    docker::Node node;
    node.id = "id-" + name;
    node.hostname = name;
    node.state = state;
    node.version = 10;
    snapshot_.nodes.push_back(node);
    return snapshot_.nodes.back();
  }
  docker::Node& NodeNamed(const std::string& name) {
    for (auto& node : snapshot_.nodes)
      if (node.hostname == name) return node;
    FAIL("no node " << name);
    throw;
  }
  docker::Service& AddService(const std::string& name, std::uint64_t replicas = 1,
                              bool constrained = true) {
    docker::Service service;
    service.id = "svc-" + name;
    service.name = "st_" + name;
    service.mode = "replicated";
    service.replicas = replicas;
    service.version = 7;
    if (constrained) service.constraints = {"node.labels.db == true"};
    snapshot_.services.push_back(service);
    return snapshot_.services.back();
  }
  void AddTask(const std::string& service, const std::string& node, const std::string& state,
               const std::string& desired = "running") {
    docker::Task task;
    task.id = "task-" + std::to_string(snapshot_.tasks.size());
    task.service_id = "svc-" + service;
    task.node_id = node.empty() ? "" : "id-" + node;
    task.state = state;
    task.desired_state = desired;
    snapshot_.tasks.push_back(task);
  }
  config::Anchor& anchor() { return config_.dependencies.front(); }
  config::SwarmConfig& config() { return config_; }
  ReconcileSettings& settings() { return settings_; }
  Snapshot& snapshot() { return snapshot_; }

  Plan Run(SteadyTime now = kT0) {
    Plan plan = PlanReconcile(config_, settings_, snapshot_, memory_, now);
    memory_ = plan.memory;
    return plan;
  }
  ReconcileMemory& memory() { return memory_; }

 private:
  config::Anchor anchor_;
  config::SwarmConfig config_;
  ReconcileSettings settings_;
  Snapshot snapshot_;
  ReconcileMemory memory_;
};

const DependentReport& App(const Plan& plan) { return plan.anchors.at(0).dependents.at(0); }

std::vector<std::string> Forced(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& a : plan.service_actions) out.push_back(a.service);
  return out;
}

bool RemovesAnything(const Plan& plan) {
  for (const auto& change : plan.node_changes)
    if (!change.remove.empty()) return true;
  return false;
}

TEST_CASE("anchor running, dependent beside it: label on its node, nothing else", "[anchors]") {
  World w;
  w.AddService("db");
  w.AddService("app");
  w.AddTask("db", "n1", "running");
  w.AddTask("app", "n1", "running");
  Plan plan = w.Run();
  REQUIRE(plan.anchors.at(0).state == AnchorState::kRunning);
  CHECK(plan.anchors[0].nodes == std::vector<std::string>{"n1"});
  REQUIRE(plan.node_changes.size() == 1);
  CHECK(plan.node_changes[0].hostname == "n1");
  CHECK(plan.node_changes[0].add == std::map<std::string, std::string>{{"db", "true"}});
  CHECK(plan.node_changes[0].version == 10);
  CHECK(App(plan).state == DependentState::kColocated);
  CHECK(plan.service_actions.empty());

  // Next cycle, the label is there: nothing to do, settled.
  w.NodeNamed("n1").labels["db"] = "true";
  Plan again = w.Run(kT0 + 1s);
  CHECK(again.empty());
  CHECK(again.settled);
}

TEST_CASE("stale anchor label moves: removed where the anchor no longer runs", "[anchors]") {
  World w;
  w.AddService("db");
  w.AddService("app");
  w.NodeNamed("n2").labels["db"] = "true";
  w.NodeNamed("n2").labels["other"] = "x";
  w.AddTask("db", "n1", "running");
  w.AddTask("app", "n2", "running");
  Plan plan = w.Run();
  REQUIRE(plan.node_changes.size() == 2);
  CHECK(plan.node_changes[0].hostname == "n1");
  CHECK(plan.node_changes[1].hostname == "n2");
  CHECK(plan.node_changes[1].remove == std::vector<std::string>{"db"});
  CHECK(plan.node_changes[1].labels_after == std::map<std::string, std::string>{{"other", "x"}});
  // The label moves this cycle: the constrained dependent is left to Swarm, not forced.
  CHECK(App(plan).state == DependentState::kFollowing);
  CHECK(plan.service_actions.empty());
  CHECK_FALSE(plan.settled);

  // The label has moved; within the follow window Swarm is still given time.
  w.NodeNamed("n1").labels["db"] = "true";
  w.NodeNamed("n2").labels.erase("db");
  Plan soon = w.Run(kT0 + 5s);
  CHECK(App(soon).state == DependentState::kFollowing);
  CHECK(soon.service_actions.empty());
  // After it, the dependent still runs on n2: now it is forced.
  Plan next = w.Run(kT0 + 11s);
  CHECK(next.node_changes.empty());
  CHECK(App(next).state == DependentState::kMisplaced);
  REQUIRE(Forced(next) == std::vector<std::string>{"st_app"});
  CHECK(next.service_actions[0].kind == ServiceActionKind::kForceUpdate);
  CHECK(next.service_actions[0].version == 7);
  CHECK(next.service_actions[0].attempt == 1);
}

// The decision table: each anchor state against each dependent placement.
TEST_CASE("decision table: anchor state x dependent placement", "[anchors]") {
  enum class A {
    kRunning,
    kStarting,
    kRestartingInGrace,
    kDownAfterGrace,
    kFailed,
    kMissing,
    kMultiReplica,
    kOnDownNode
  };
  enum class D { kBeside, kElsewhere, kPending, kStartingBeside, kMissing };
  for (A a : {A::kRunning, A::kStarting, A::kRestartingInGrace, A::kDownAfterGrace, A::kFailed,
              A::kMissing, A::kMultiReplica, A::kOnDownNode}) {
    for (D d : {D::kBeside, D::kElsewhere, D::kPending, D::kStartingBeside, D::kMissing}) {
      DYNAMIC_SECTION("anchor " << int(a) << " dependent " << int(d)) {
        World w;
        w.NodeNamed("n1").labels["db"] = "true";  // where the anchor ran until now
        SteadyTime now = kT0;
        if (a != A::kMissing) w.AddService("db");
        switch (a) {
          case A::kRunning:
            w.AddTask("db", "n1", "running");
            break;
          case A::kStarting:
            w.AddTask("db", "n1", "starting");
            break;
          case A::kRestartingInGrace:
          case A::kDownAfterGrace:
            w.AddTask("db", "n1", "failed", "shutdown");
            w.AddTask("db", "", "pending");
            break;
          case A::kFailed:
            w.AddTask("db", "n1", "failed", "shutdown");
            break;
          case A::kMissing:
            break;
          case A::kMultiReplica:
            w.AddTask("db", "n1", "running");
            w.AddTask("db", "n3", "running");
            break;
          case A::kOnDownNode:
            w.NodeNamed("n1").state = "down";
            w.AddTask("db", "n1", "running");
            break;
        }
        if (a == A::kDownAfterGrace) {
          (void)w.Run(now);  // first sight of the anchor not running starts the grace period
          now += kDefaultAnchorGrace + 1s;
        }
        if (d != D::kMissing) w.AddService("app");
        switch (d) {
          case D::kBeside:
            w.AddTask("app", "n1", "running");
            break;
          case D::kElsewhere:
            w.AddTask("app", "n2", "running");
            break;
          case D::kPending:
            w.AddTask("app", "", "pending");
            break;
          case D::kStartingBeside:
            w.AddTask("app", "n1", "starting");
            break;
          case D::kMissing:
            break;
        }
        Plan plan = w.Run(now);
        const AnchorReport& anchor = plan.anchors.at(0);
        const DependentReport& dep = App(plan);

        // Whatever happens, a label is never removed unless the anchor runs somewhere else.
        bool anchor_runs = a == A::kRunning || a == A::kMultiReplica;
        if (!anchor_runs) CHECK_FALSE(RemovesAnything(plan));

        switch (a) {
          case A::kRunning:
          case A::kMultiReplica:
            CHECK(anchor.state == AnchorState::kRunning);
            break;
          case A::kMissing:
            CHECK(anchor.state == AnchorState::kMissing);
            break;
          case A::kDownAfterGrace:
            CHECK(anchor.state == AnchorState::kDown);
            break;
          default:
            CHECK(anchor.state == AnchorState::kRestarting);
            break;
        }
        if (!anchor_runs) {
          CHECK(plan.service_actions.empty());
          CHECK(plan.node_changes.empty());
          if (d != D::kMissing) CHECK(dep.state == DependentState::kWaitingForAnchor);
        }
        if (d == D::kMissing) {
          CHECK(dep.state == DependentState::kMissing);
          CHECK(plan.service_actions.empty());
          continue;
        }
        if (!anchor_runs) continue;
        if (a == A::kMultiReplica) {
          REQUIRE(plan.node_changes.size() == 1);
          CHECK(plan.node_changes[0].hostname == "n3");
          CHECK(anchor.nodes == std::vector<std::string>{"n1", "n3"});
        } else {
          CHECK(plan.node_changes.empty());
        }
        bool label_moves = !plan.node_changes.empty();
        switch (d) {
          case D::kBeside:
            CHECK(dep.state == DependentState::kColocated);
            CHECK(plan.service_actions.empty());
            break;
          case D::kStartingBeside:
            CHECK(dep.state == DependentState::kConverging);
            CHECK(plan.service_actions.empty());
            break;
          case D::kElsewhere:
          case D::kPending:
            if (label_moves) {
              CHECK(dep.state == DependentState::kFollowing);
              CHECK(plan.service_actions.empty());
            } else {
              CHECK(dep.state == DependentState::kMisplaced);
              CHECK(Forced(plan) == std::vector<std::string>{"st_app"});
            }
            break;
          case D::kMissing:
            break;
        }
      }
    }
  }
}

TEST_CASE("follow window 0: misplaced dependents are forced in the cycle that moves the label",
          "[anchors]") {
  World w;
  w.settings().follow_window = 0s;
  w.NodeNamed("n2").labels["db"] = "true";
  w.AddService("db");
  w.AddService("app");
  w.AddTask("db", "n1", "running");
  w.AddTask("app", "n2", "running");
  Plan plan = w.Run();
  CHECK(plan.node_changes.size() == 2);
  CHECK(App(plan).state == DependentState::kMisplaced);
  CHECK(Forced(plan) == std::vector<std::string>{"st_app"});
  CHECK(w.memory().anchors.count("st_db") == 0);
}

TEST_CASE("backoff: retry_intervals in order, capped at the last, reset only when colocated",
          "[anchors]") {
  World w;
  w.anchor().retry_intervals = {2s, 10s, 60s};
  w.NodeNamed("n1").labels["db"] = "true";
  w.AddService("db");
  w.AddService("app");
  w.AddTask("db", "n1", "running");
  w.AddTask("app", "n2", "running");

  SteadyTime t = kT0;
  auto forced_at = [&](SteadyTime now) { return !w.Run(now).service_actions.empty(); };
  CHECK(forced_at(t));              // attempt 1
  CHECK_FALSE(forced_at(t + 1s));   // waits 2 s
  CHECK(forced_at(t += 2s));        // attempt 2
  CHECK_FALSE(forced_at(t + 9s));   // waits 10 s
  CHECK(forced_at(t += 10s));       // attempt 3
  CHECK_FALSE(forced_at(t + 59s));  // waits 60 s
  CHECK(forced_at(t += 60s));       // attempt 4: the last interval repeats
  CHECK_FALSE(forced_at(t + 59s));
  Plan fifth = w.Run(t += 60s);
  REQUIRE(fifth.service_actions.size() == 1);
  CHECK(fifth.service_actions[0].attempt == 5);
  CHECK(App(w.Run(t + 1s)).retry_in == std::optional<std::chrono::milliseconds>(59s));

  // Starting beside the anchor does not reset the backoff...
  w.snapshot().tasks.back().node_id = "id-n1";
  w.snapshot().tasks.back().state = "starting";
  CHECK(App(w.Run(t += 1s)).state == DependentState::kConverging);
  CHECK(w.memory().dependents.at("st_app").attempts == 5);
  // ...running beside it does.
  w.snapshot().tasks.back().state = "running";
  CHECK(App(w.Run(t += 1s)).state == DependentState::kColocated);
  CHECK(w.memory().dependents.count("st_app") == 0);
  // Misplaced again later: the sequence starts over at attempt 1.
  w.snapshot().tasks.back().node_id = "id-n2";
  Plan again = w.Run(t += 1s);
  REQUIRE(again.service_actions.size() == 1);
  CHECK(again.service_actions[0].attempt == 1);
}

TEST_CASE("grace period: an anchor that restarts keeps its label and its dependents", "[anchors]") {
  World w;
  w.settings().anchor_grace = 30s;
  w.NodeNamed("n1").labels["db"] = "true";
  w.AddService("db");
  w.AddService("app");
  w.AddTask("db", "n1", "running");
  w.AddTask("app", "n1", "running");
  CHECK(w.Run(kT0).settled);

  w.snapshot().tasks[0].state = "failed";
  w.snapshot().tasks[0].desired_state = "shutdown";
  w.AddTask("db", "n1", "starting");
  Plan p1 = w.Run(kT0 + 1s);
  CHECK(p1.anchors[0].state == AnchorState::kRestarting);
  CHECK(p1.empty());
  CHECK_FALSE(p1.settled);  // polled fast until the anchor is back
  Plan p2 = w.Run(kT0 + 30s);
  CHECK(p2.anchors[0].state == AnchorState::kRestarting);  // 29 s since first seen down
  Plan p3 = w.Run(kT0 + 31s);
  CHECK(p3.anchors[0].state == AnchorState::kDown);
  CHECK(p3.empty());
  CHECK(p3.settled);

  // Back on another node: the label moves and the clock of the grace period is forgotten.
  w.snapshot().tasks.back().state = "running";
  w.snapshot().tasks.back().node_id = "id-n2";
  Plan back = w.Run(kT0 + 40s);
  CHECK(back.anchors[0].state == AnchorState::kRunning);
  CHECK(back.node_changes.size() == 2);
  CHECK_FALSE(w.memory().anchors.at("st_db").not_running_since.has_value());
  CHECK(w.memory().anchors.at("st_db").label_moved_at == kT0 + 40s);
}

TEST_CASE("no constraint: reported, never forced; manage_constraints adds it", "[anchors]") {
  World w;
  w.NodeNamed("n1").labels["db"] = "true";
  w.AddService("db");
  w.AddService("app", 1, /*constrained=*/false);
  w.AddTask("db", "n1", "running");
  w.AddTask("app", "n2", "running");
  Plan plan = w.Run();
  CHECK(App(plan).state == DependentState::kNoConstraint);
  CHECK(plan.service_actions.empty());
  CHECK_THAT(App(plan).detail, Catch::Contains("node.labels.db==true"));

  w.anchor().manage_constraints = true;
  Plan managed = w.Run(kT0 + 1s);
  REQUIRE(managed.service_actions.size() == 1);
  CHECK(managed.service_actions[0].kind == ServiceActionKind::kAddConstraint);
  CHECK(managed.service_actions[0].constraint == "node.labels.db==true");
}

TEST_CASE("no action for scaled-to-zero, restart_dependents false, paused", "[anchors]") {
  World w;
  w.NodeNamed("n1").labels["db"] = "true";
  w.AddService("db");
  w.AddTask("db", "n1", "running");
  SECTION("scaled to zero") {
    w.AddService("app", 0);
    CHECK(App(w.Run()).state == DependentState::kScaledToZero);
    CHECK(w.Run().service_actions.empty());
  }
  SECTION("restart_dependents false") {
    w.anchor().restart_dependents = false;
    w.AddService("app");
    w.AddTask("app", "n2", "running");
    Plan plan = w.Run();
    CHECK(App(plan).state == DependentState::kMisplaced);
    CHECK(plan.service_actions.empty());
  }
  SECTION("paused") {
    w.settings().dependents_paused = true;
    w.AddService("app");
    w.AddTask("app", "", "pending");
    Plan plan = w.Run();
    CHECK(App(plan).state == DependentState::kMisplaced);
    CHECK_THAT(App(plan).detail, Catch::Contains("paused"));
    CHECK(plan.service_actions.empty());
  }
}

TEST_CASE("static labels: applied to named nodes, pruned only within the managed set",
          "[anchors]") {
  World w;
  config::NodeSpec n1{"n1", std::nullopt, {"zfs", "zone=eu"}, std::nullopt};
  config::NodeSpec n2{"n2", std::nullopt, {"ssd"}, std::nullopt};
  config::NodeSpec gone{"gone", std::nullopt, {"x"}, std::nullopt};
  w.config().nodes = {{"n1", n1}, {"n2", n2}, {"gone", gone}};
  w.NodeNamed("n1").labels = {{"zone", "us"}, {"ssd", "true"}, {"foreign", "1"}};
  w.NodeNamed("n3").labels = {{"zfs", "true"}};  // not named: never touched

  Plan plan = w.Run();
  REQUIRE(plan.node_changes.size() == 2);
  CHECK(plan.node_changes[0].hostname == "n1");
  CHECK(plan.node_changes[0].add ==
        std::map<std::string, std::string>{{"zfs", "true"}, {"zone", "eu"}});
  CHECK(plan.node_changes[0].remove.empty());  // no pruning unless asked
  CHECK(plan.node_changes[1].hostname == "n2");
  CHECK_THAT(plan.warnings.at(0), Catch::Contains("'gone'"));

  w.settings().prune_unknown_labels = true;
  Plan pruned = w.Run();
  CHECK(pruned.node_changes[0].remove == std::vector<std::string>{"ssd"});  // managed, not its
  CHECK(pruned.node_changes[0].labels_after ==
        std::map<std::string, std::string>{{"foreign", "1"}, {"zfs", "true"}, {"zone", "eu"}});
  for (const auto& c : pruned.node_changes) CHECK(c.hostname != "n3");
}

TEST_CASE("a static label named like an anchor label is ignored with a warning", "[anchors]") {
  World w;
  w.config().nodes = {{"n2", config::NodeSpec{"n2", std::nullopt, {"db"}, std::nullopt}}};
  w.AddService("db");
  w.AddTask("db", "n1", "running");
  Plan plan = w.Run();
  REQUIRE(plan.node_changes.size() == 1);
  CHECK(plan.node_changes[0].hostname == "n1");
  CHECK_THAT(plan.warnings.at(0), Catch::Contains("anchor label"));
}

TEST_CASE("anchor_label format and stacks name labels and services", "[anchors]") {
  World w;
  w.config().anchor_label = "anchor.{anchor}";
  w.anchor().stack = "other";
  docker::Service& db = w.AddService("db");
  db.name = "other_db";
  w.AddTask("db", "n2", "running");
  Plan plan = w.Run();
  CHECK(plan.anchors[0].service == "other_db");
  CHECK(plan.anchors[0].label_key == "anchor.db");
  REQUIRE(plan.node_changes.size() == 1);
  CHECK(plan.node_changes[0].add.count("anchor.db") == 1);
  CHECK(App(plan).service == "other_app");
}

TEST_CASE("constraint matching ignores spaces only", "[anchors]") {
  CHECK(HasAnchorConstraint({"node.labels.db==true"}, "db"));
  CHECK(HasAnchorConstraint({"node.role==manager", " node.labels.db == true "}, "db"));
  CHECK_FALSE(HasAnchorConstraint({"node.labels.db!=true"}, "db"));
  CHECK_FALSE(HasAnchorConstraint({"node.labels.dbx==true"}, "db"));
}

}  // namespace
}  // namespace orcastra::leader
