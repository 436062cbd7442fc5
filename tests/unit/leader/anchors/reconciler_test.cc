// The reconcile cycle's I/O rules with a fake Swarm: partial data never leads to a write, every
// write carries the version read, a lost lease stops the cycle, dry run writes nothing.
#include "leader/anchors/reconciler.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_swarm_configs.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
const SteadyTime kT0 = SteadyTime{} + 1h;

struct Write {
  std::string what;  // "node" or "service"
  std::string id;
  std::uint64_t version;
  json spec;
};

class FakeSwarm final : public SwarmApi {
 public:
  FakeSwarm() {
    for (const char* name : {"n1", "n2"}) {
      docker::Node node;
      node.id = std::string("id-") + name;
      node.hostname = name;
      node.state = "ready";
      node.version = 40;
      node.spec = {{"Role", "worker"}, {"Availability", "active"}, {"Labels", json::object()}};
      nodes.push_back(node);
    }
    for (const char* name : {"db", "app"}) {
      docker::Service service;
      service.id = std::string("svc-") + name;
      service.name = std::string("st_") + name;
      service.mode = "replicated";
      service.replicas = 1;
      service.version = 77;
      service.constraints = {"node.labels.db==true"};
      service.spec = {{"Name", service.name},
                      {"TaskTemplate",
                       {{"ContainerSpec", {{"Image", "x"}}},
                        {"Placement", {{"Constraints", service.constraints}}}}}};
      services.push_back(service);
    }
    // db runs on n1 (label missing there), app runs on n2: one label write, and next cycle a
    // force-update.
    tasks = {Task("svc-db", "id-n1"), Task("svc-app", "id-n2")};
  }

  static docker::Task Task(const std::string& service, const std::string& node) {
    docker::Task task;
    task.id = service + "-" + node;
    task.service_id = service;
    task.node_id = node;
    task.state = "running";
    task.desired_state = "running";
    return task;
  }

  Result<std::vector<docker::Node>> Nodes() override {
    ++reads;
    if (fail_nodes) return Status::Unavailable("nodes: daemon restarting");
    return nodes;
  }
  Result<std::vector<docker::Service>> Services() override {
    ++reads;
    if (fail_services) return Status::Internal("services: HTTP 500");
    return services;
  }
  Result<std::vector<docker::Task>> Tasks(const json& filters) override {
    ++reads;
    last_task_filters = filters;
    if (fail_tasks) return Status::Timeout("tasks: timed out");
    return tasks;
  }
  Status UpdateNode(const std::string& id, std::uint64_t version, const json& spec) override {
    writes.push_back({"node", id, version, spec});
    return node_write_result;
  }
  Status UpdateService(const std::string& id, std::uint64_t version, const json& spec) override {
    writes.push_back({"service", id, version, spec});
    return Status::Ok();
  }
  Result<std::optional<ConfigObject>> ConfigNamed(const std::string& name) override {
    return configs.ConfigNamed(name);
  }
  Result<ConfigObject> InspectConfig(const std::string& id) override {
    return configs.InspectConfig(id);
  }
  Result<std::string> CreateConfig(const std::string& name, const Labels& labels,
                                   const std::string& data) override {
    return configs.CreateConfig(name, labels, data);
  }
  Status UpdateConfigLabels(const ConfigObject& current, const Labels& labels) override {
    return configs.UpdateConfigLabels(current, labels);
  }
  Result<std::vector<ConfigObject>> ConfigsLabelled(const std::string& key) override {
    return configs.ConfigsLabelled(key);
  }
  Status DeleteConfig(const std::string& id) override { return configs.DeleteConfig(id); }

  std::vector<docker::Node> nodes;
  std::vector<docker::Service> services;
  std::vector<docker::Task> tasks;
  bool fail_nodes = false, fail_services = false, fail_tasks = false;
  Status node_write_result = Status::Ok();
  std::vector<Write> writes;
  testing::FakeSwarmConfigs configs;
  json last_task_filters;
  int reads = 0;
};

config::SwarmConfig Config() {
  config::SwarmConfig config;
  config::Anchor anchor;
  anchor.name = "db";
  anchor.services = {"app", "ghost"};
  config.dependencies = {anchor};
  return config;
}

ReconcileSettings Settings() {
  ReconcileSettings settings;
  settings.default_stack = "st";
  return settings;
}

struct Harness {
  FakeSwarm swarm;
  std::vector<protocol::Event> events;
  Reconciler reconciler{swarm, [this](protocol::Event e) { events.push_back(std::move(e)); }};
  bool lease = true;

  CycleOutcome Cycle(bool dry_run = false, SteadyTime now = kT0) {
    return reconciler.RunCycle(
        Config(), Settings(), /*act=*/true, dry_run, [this] { return lease; }, now);
  }
  bool Saw(const std::string& kind) const {
    for (const auto& e : events)
      if (e.kind == kind) return true;
    return false;
  }
};

TEST_CASE("a failed read of any list skips the cycle: no write at all", "[reconciler]") {
  for (int failing = 0; failing < 3; ++failing) {
    DYNAMIC_SECTION("failing list " << failing) {
      Harness h;
      h.swarm.fail_nodes = failing == 0;
      h.swarm.fail_services = failing == 1;
      h.swarm.fail_tasks = failing == 2;
      // Even with a stale label somewhere that a full read would remove.
      h.swarm.nodes[1].labels["db"] = "true";
      CycleOutcome outcome = h.Cycle();
      CHECK_FALSE(outcome.read.ok());
      CHECK_FALSE(outcome.plan.has_value());
      CHECK(h.swarm.writes.empty());
      CHECK(h.Saw("reconcile_skipped"));
      CHECK(h.reconciler.memory() == ReconcileMemory{});
    }
  }
}

TEST_CASE("tasks are read only for configured services that exist", "[reconciler]") {
  Harness h;
  (void)h.Cycle();
  CHECK(h.swarm.last_task_filters["service"] == json::array({"svc-db", "svc-app"}));
  CHECK(h.swarm.last_task_filters["desired-state"] == json::array({"running"}));
  CHECK(h.swarm.reads == 3);
}

TEST_CASE("writes carry the version read and change only what they mean to", "[reconciler]") {
  Harness h;
  CycleOutcome first = h.Cycle();
  REQUIRE(first.read.ok());
  // The label first, then the dependent that must follow it.
  REQUIRE(h.swarm.writes.size() == 2);
  const Write& label = h.swarm.writes[0];
  CHECK(label.what == "node");
  CHECK(label.id == "id-n1");
  CHECK(label.version == 40);
  CHECK(label.spec["Labels"] == json{{"db", "true"}});
  CHECK(label.spec["Role"] == "worker");
  CHECK(h.Saw("labels_changed"));
  const Write& force = h.swarm.writes[1];
  CHECK(force.what == "service");
  CHECK(force.id == "svc-app");
  CHECK(force.version == 77);
  CHECK(force.spec["TaskTemplate"]["ForceUpdate"] == 1);
  CHECK(force.spec["TaskTemplate"]["ContainerSpec"]["Image"] == "x");
  CHECK(h.Saw("dependent_restarted"));
}

TEST_CASE("a lost lease stops the cycle before its next write", "[reconciler]") {
  Harness h;
  h.lease = false;
  CycleOutcome outcome = h.Cycle();
  CHECK(outcome.fenced);
  CHECK(h.swarm.writes.empty());
  CHECK(h.Saw("fenced"));
}

TEST_CASE("a failed label write skips the cycle's service actions", "[reconciler]") {
  Harness h;
  h.swarm.node_write_result = Status::Conflict("update out of sequence");
  // The anchor's label is in place and the dependent runs elsewhere (a force-update is due), and
  // a static label is missing on n2 (a label write is due). Labels are written first; it fails.
  h.swarm.nodes[0].labels["db"] = "true";
  config::SwarmConfig config = Config();
  config.nodes["n2"] = config::NodeSpec{"n2", std::nullopt, {"zfs"}, std::nullopt};
  CycleOutcome outcome = h.reconciler.RunCycle(
      config, Settings(), true, false, [] { return true; }, kT0);
  REQUIRE(outcome.plan.has_value());
  CHECK(outcome.plan->service_actions.size() == 1);
  CHECK(outcome.writes_failed == 1);
  REQUIRE(h.swarm.writes.size() == 1);
  CHECK(h.swarm.writes[0].what == "node");
  CHECK(h.Saw("action_failed"));
}

TEST_CASE("dry run reports the exact actions and writes nothing", "[reconciler]") {
  Harness h;
  (void)h.Cycle(/*dry_run=*/true);
  CHECK(h.swarm.writes.empty());
  REQUIRE(h.Saw("dry_run"));
  CHECK(h.events[0].subject == "n1");
  CHECK(h.events[0].message.find("+db=true") != std::string::npos);
}

TEST_CASE("a standby computes the plan and neither writes nor remembers", "[reconciler]") {
  Harness h;
  h.swarm.nodes[0].labels["db"] = "true";
  CycleOutcome outcome = h.reconciler.RunCycle(
      Config(), Settings(), /*act=*/false, false, [] { return false; }, kT0);
  REQUIRE(outcome.plan.has_value());
  CHECK(outcome.plan->service_actions.size() == 1);
  CHECK(h.swarm.writes.empty());
  CHECK(h.events.empty());
  CHECK(h.reconciler.memory() == ReconcileMemory{});
}

TEST_CASE("the memory is stored before service writes; if it cannot be, they wait",
          "[reconciler]") {
  Harness h;
  std::vector<ReconcileMemory> stored;
  Status result = Status::Unavailable("configs: no quorum");
  std::size_t writes_before = 0;
  Reconciler::Persist persist = [&](const ReconcileMemory& memory) {
    stored.push_back(memory);
    CHECK(h.swarm.writes.size() == writes_before);  // before any write of the cycle
    return result;
  };
  CycleOutcome failed = h.reconciler.RunCycle(
      Config(), Settings(), true, false, [] { return true; }, kT0, persist);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].dependents.at("st_app").attempts == 1);
  // The label is written (it does not depend on the record), the force-update is not, and the
  // backoff did not advance: the next cycle plans the same attempt.
  REQUIRE(h.swarm.writes.size() == 1);
  CHECK(h.swarm.writes[0].what == "node");
  CHECK(h.reconciler.memory().dependents.empty());
  CHECK(h.Saw("action_failed"));
  CHECK_FALSE(failed.fenced);

  result = Status::Ok();
  writes_before = h.swarm.writes.size();
  (void)h.reconciler.RunCycle(
      Config(), Settings(), true, false, [] { return true; }, kT0 + 1s, persist);
  REQUIRE(h.swarm.writes.size() == 3);
  CHECK(h.swarm.writes[2].what == "service");
  CHECK(h.reconciler.memory().dependents.at("st_app").attempts == 1);

  // A stale fencing term stops the cycle like a lost lease; dry run never asks.
  result = Status::Aborted("written under a newer term");
  h.swarm.writes.clear();
  writes_before = 0;
  CycleOutcome fenced = h.reconciler.RunCycle(
      Config(), Settings(), true, false, [] { return true; }, kT0 + 2h, persist);
  CHECK(fenced.fenced);
  CHECK(h.swarm.writes.empty());
  stored.clear();
  (void)h.reconciler.RunCycle(
      Config(), Settings(), true, /*dry_run=*/true, [] { return true; }, kT0 + 3h, persist);
  CHECK(stored.empty());
}

TEST_CASE("CarryOut: a command's label writes carry the version read and keep the rest of the spec",
          "[reconciler][commands]") {
  Harness h;
  h.swarm.nodes[0].labels = {{"db", "true"}, {"keep", "me"}};
  h.swarm.nodes[0].spec["Labels"] = h.swarm.nodes[0].labels;
  Snapshot snapshot{h.swarm.nodes, h.swarm.services, h.swarm.tasks};
  CommandPlan plan = PlanRemoveAllLabels(Config(), snapshot, /*dry_run=*/false);
  REQUIRE(plan.node_changes.size() == 1);
  auto done = h.reconciler.CarryOut(plan, snapshot, "remove_all_labels", [] { return true; });
  CHECK(done.failed == 0);
  CHECK_FALSE(done.fenced);
  REQUIRE(h.swarm.writes.size() == 1);
  CHECK(h.swarm.writes[0].id == "id-n1");
  CHECK(h.swarm.writes[0].version == 40);
  CHECK(h.swarm.writes[0].spec["Labels"] == json{{"keep", "me"}});
  CHECK(h.swarm.writes[0].spec["Role"] == "worker");
  CHECK(done.lines == std::vector<std::string>{"n1: -db"});
  REQUIRE(h.Saw("labels_changed"));
  CHECK(h.events[0].attrs.at("command") == "remove_all_labels");
}

TEST_CASE("CarryOut: dry run writes nothing; a lost lease stops before the next write",
          "[reconciler][commands]") {
  Harness h;
  Snapshot snapshot{h.swarm.nodes, h.swarm.services, h.swarm.tasks};
  CommandGates gates;
  gates.dry_run = true;
  CommandPlan dry = PlanUpdateDependents(Config(), "st", std::nullopt, snapshot, gates);
  REQUIRE(dry.service_actions.size() == 1);
  auto done = h.reconciler.CarryOut(dry, snapshot, "update_dependents", [] { return true; });
  CHECK(h.swarm.writes.empty());
  CHECK(done.lines ==
        std::vector<std::string>{"st_app: would force_update", "st_ghost: no such service"});

  gates.dry_run = false;
  CommandPlan real = PlanUpdateDependents(Config(), "st", std::nullopt, snapshot, gates);
  auto fenced = h.reconciler.CarryOut(real, snapshot, "update_dependents", [] { return false; });
  CHECK(fenced.fenced);
  CHECK(fenced.failed == 1);
  CHECK(h.swarm.writes.empty());
  CHECK(h.Saw("fenced"));
}

TEST_CASE("CarryOut: update_dependents forgets the backoff of what it force-updated",
          "[reconciler][commands]") {
  Harness h;
  h.swarm.nodes[0].labels["db"] = "true";
  // A cycle force-updates app (attempt 1): it backs off.
  (void)h.Cycle();
  REQUIRE(h.reconciler.memory().dependents.count("st_app") == 1);
  h.swarm.writes.clear();
  Snapshot snapshot{h.swarm.nodes, h.swarm.services, h.swarm.tasks};
  CommandPlan plan = PlanUpdateDependents(Config(), "st", "db", snapshot, CommandGates{});
  auto done = h.reconciler.CarryOut(plan, snapshot, "update_dependents:db", [] { return true; });
  REQUIRE(h.swarm.writes.size() == 1);
  CHECK(h.swarm.writes[0].id == "svc-app");
  CHECK(h.swarm.writes[0].version == 77);
  CHECK(h.swarm.writes[0].spec["TaskTemplate"]["ForceUpdate"] == 1);
  CHECK(done.lines[0] == "st_app: force_update done");
  CHECK(h.reconciler.memory().dependents.count("st_app") == 0);
}

TEST_CASE("spec edits", "[reconciler]") {
  json spec = {{"TaskTemplate", {{"ForceUpdate", 4}}}};
  CHECK(WithForceUpdate(spec)["TaskTemplate"]["ForceUpdate"] == 5);
  CHECK(WithForceUpdate(json::object())["TaskTemplate"]["ForceUpdate"] == 1);
  json with = WithConstraint({{"TaskTemplate", json::object()}}, "node.labels.db==true");
  CHECK(with["TaskTemplate"]["Placement"]["Constraints"] == json::array({"node.labels.db==true"}));
  CHECK(WithLabels({{"Role", "manager"}}, {{"a", "1"}}) ==
        json{{"Role", "manager"}, {"Labels", {{"a", "1"}}}});
}

}  // namespace
}  // namespace orcastra::leader
