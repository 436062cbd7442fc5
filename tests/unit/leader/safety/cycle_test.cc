// Failover with the safety record (leader/safety/cycle.h), on a fake Swarm and simulated clocks:
// a dependent in backoff under instance A; A dies; B takes over with a monotonic clock of its
// own, and its first force-update of that dependent comes no earlier than A's stored backoff
// allows. The pause survives the same way; B holds everything while it cannot read the record;
// the record is stored before the force-update it governs; a dry run never writes it.
#include "leader/safety/cycle.h"

#include <catch2/catch.hpp>

#include "leader/safety/codec.h"
#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

// One wall clock shared by the cluster; each process has its own monotonic clock.
struct Cluster {
  std::int64_t wall_ms = 1'700'000'000'000;
  void Advance(std::chrono::milliseconds by) { wall_ms += by.count(); }
};

class ProcessClock final : public Clock {
 public:
  ProcessClock(const Cluster& cluster, SteadyTime boot) : cluster_(cluster), boot_(boot) {
    boot_wall_ = cluster.wall_ms;
  }
  SteadyTime Now() const override {
    return boot_ + std::chrono::milliseconds(cluster_.wall_ms - boot_wall_);
  }
  std::int64_t WallMs() const override { return cluster_.wall_ms; }

 private:
  const Cluster& cluster_;
  SteadyTime boot_;
  std::int64_t boot_wall_;
};

config::SwarmConfig Config() {
  config::SwarmConfig config;
  config::Anchor db;
  db.name = "db";
  db.services = {"app"};
  db.retry_intervals = {2s, 60s};
  config.dependencies = {db};
  return config;
}

// db runs on n1, which carries its label; app is constrained to it but stays pending (it never
// fits): a dependent that a force-update cannot fix, the storm's target.
void StuckDependent(testing::FakeSwarmApi& swarm) {
  for (const char* name : {"n1", "n2"}) {
    docker::Node node;
    node.id = std::string("id-") + name;
    node.hostname = name;
    node.state = "ready";
    node.version = 5;
    if (std::string(name) == "n1") node.labels["db"] = "true";
    swarm.nodes.push_back(node);
  }
  for (const char* name : {"db", "app"}) {
    docker::Service service;
    service.id = std::string("svc-") + name;
    service.name = std::string("st_") + name;
    service.mode = "replicated";
    service.replicas = 1;
    service.version = 9;
    if (std::string(name) == "app") service.constraints = {"node.labels.db==true"};
    swarm.services.push_back(service);
  }
  docker::Task db;
  db.id = "t-db";
  db.service_id = "svc-db";
  db.node_id = "id-n1";
  db.state = "running";
  db.desired_state = "running";
  docker::Task app = db;
  app.id = "t-app";
  app.service_id = "svc-app";
  app.node_id = "";
  app.state = "pending";
  swarm.tasks = {db, app};
}

struct Instance {
  Instance(testing::FakeSwarmApi& swarm, const Cluster& cluster, SteadyTime boot,
           std::uint64_t lease_term, std::string id)
      : clock(cluster, boot),
        store(swarm),
        term(lease_term),
        keeper(
            store, clock, [this] { return term; }, std::move(id), Sink()),
        reconciler(swarm, Sink()),
        cycle(reconciler, keeper) {}

  std::function<void(protocol::Event)> Sink() {
    return [this](protocol::Event e) { events.push_back(std::move(e)); };
  }
  // One controller pass of the active instance.
  CycleOutcome Pass(bool dry_run = false) {
    cycle.Begin(Config(), "st");
    ReconcileSettings base;
    base.default_stack = "st";
    CycleOutcome outcome = cycle.Run(
        Config(), cycle.Settings(base), /*act=*/true, dry_run, [this] { return term > 0; },
        clock.Now());
    cycle.End(dry_run);
    return outcome;
  }

  ProcessClock clock;
  SwarmSafetyStore store;
  std::uint64_t term;
  std::vector<protocol::Event> events;
  SafetyKeeper keeper;
  Reconciler reconciler;
  SafeCycle cycle;
};

int ForceUpdates(const testing::FakeSwarmApi& swarm) {
  int n = 0;
  for (const auto& w : swarm.writes) n += w == "service svc-app";
  return n;
}

SafetyRecord Stored(testing::FakeSwarmApi& swarm) {
  const ConfigObject* object = swarm.configs.Named(kSafetyConfigName);
  REQUIRE(object != nullptr);
  return *DecodeSafetyRecord(object->labels.at("orcastra.safety.record"), "test");
}

TEST_CASE("failover: the new active instance continues the stored backoff", "[safety]") {
  Cluster cluster;
  testing::FakeSwarmApi swarm;
  StuckDependent(swarm);
  const std::int64_t start = cluster.wall_ms;
  Instance a(swarm, cluster, SteadyTime{} + 10h, 1, "node-a/1");
  (void)a.Pass();  // attempt 1: then 2 s
  CHECK(ForceUpdates(swarm) == 1);
  cluster.Advance(1s);
  (void)a.Pass();
  CHECK(ForceUpdates(swarm) == 1);
  cluster.Advance(1s);
  (void)a.Pass();  // attempt 2: then 60 s
  REQUIRE(ForceUpdates(swarm) == 2);
  const std::int64_t allowed = Stored(swarm).dependents.at("st_app").next_allowed_ms.value();
  CHECK(allowed == start + 2000 + 60'000);
  CHECK(Stored(swarm).dependents.at("st_app").attempts == 2);

  // A is killed. B, on another node (its monotonic clock started long after A's), wins the lease
  // 18 s later and runs a pass every second.
  cluster.Advance(18s);
  Instance b(swarm, cluster, SteadyTime{} + 1h, 2, "node-b/1");
  std::int64_t first_force = 0;
  for (int second = 0; second < 90 && first_force == 0; ++second) {
    (void)b.Pass();
    if (ForceUpdates(swarm) > 2) first_force = cluster.wall_ms;
    cluster.Advance(1s);
  }
  REQUIRE(first_force != 0);
  CHECK(first_force >= allowed);
  CHECK(first_force < allowed + 2000);  // and not much later: passes are 1 s apart
  CHECK(Stored(swarm).dependents.at("st_app").attempts == 3);

  // The control: an instance that does not know the record force-updates at once.
  testing::FakeSwarmApi fresh;
  StuckDependent(fresh);
  Instance c(fresh, cluster, SteadyTime{} + 1h, 2, "node-c/1");
  (void)c.Pass();
  CHECK(ForceUpdates(fresh) == 1);
}

TEST_CASE("failover: a pause survives, and so does its resume", "[safety]") {
  Cluster cluster;
  testing::FakeSwarmApi swarm;
  StuckDependent(swarm);
  Instance a(swarm, cluster, SteadyTime{} + 10h, 1, "node-a/1");
  a.cycle.Begin(Config(), "st");
  REQUIRE(a.keeper.SetPause(true, "cli (command 1)").ok());
  (void)a.Pass();
  CHECK(ForceUpdates(swarm) == 0);
  CHECK(Stored(swarm).pause.paused);

  cluster.Advance(30s);
  Instance b(swarm, cluster, SteadyTime{} + 1h, 2, "node-b/1");
  for (int i = 0; i < 5; ++i) {
    (void)b.Pass();
    cluster.Advance(1s);
  }
  CHECK(ForceUpdates(swarm) == 0);
  CHECK(b.keeper.pause().by == "cli (command 1)");
  REQUIRE(b.keeper.SetPause(false, "file (command 2)").ok());
  (void)b.Pass();
  CHECK(ForceUpdates(swarm) == 1);
  CHECK_FALSE(Stored(swarm).pause.paused);
}

TEST_CASE("failover: nothing is restarted while the record cannot be read", "[safety]") {
  Cluster cluster;
  testing::FakeSwarmApi swarm;
  StuckDependent(swarm);
  Instance a(swarm, cluster, SteadyTime{} + 10h, 1, "node-a/1");
  (void)a.Pass();
  cluster.Advance(2s);
  (void)a.Pass();
  REQUIRE(ForceUpdates(swarm) == 2);

  Instance b(swarm, cluster, SteadyTime{} + 1h, 2, "node-b/1");
  swarm.configs.fail_reads = Status::Unavailable("configs: daemon restarting");
  for (int i = 0; i < 120; ++i) {  // two minutes: past any backoff
    CycleOutcome outcome = b.Pass();
    REQUIRE(outcome.plan.has_value());
    CHECK(outcome.plan->service_actions.empty());
    CHECK_THAT(outcome.plan->anchors.at(0).dependents.at(0).detail,
               Catch::Contains("held until the safety record is read"));
    cluster.Advance(1s);
  }
  CHECK(ForceUpdates(swarm) == 2);
  CHECK(swarm.configs.writes == 2);  // A's; B wrote nothing on what it could not read
  swarm.configs.fail_reads = Status::Ok();
  (void)b.Pass();  // loaded: A's backoff (60 s from its attempt 2) has run out by now
  CHECK(ForceUpdates(swarm) == 3);
  CHECK(Stored(swarm).dependents.at("st_app").attempts == 3);
}

TEST_CASE("the record is stored before the force-update it governs", "[safety]") {
  Cluster cluster;
  testing::FakeSwarmApi swarm;
  StuckDependent(swarm);
  swarm.configs.before_write = [&] { swarm.writes.push_back("safety record"); };
  Instance a(swarm, cluster, SteadyTime{} + 10h, 1, "node-a/1");
  (void)a.Pass();
  REQUIRE(swarm.writes.size() == 2);
  CHECK(swarm.writes[0] == "safety record");
  CHECK(swarm.writes[1] == "service svc-app");

  // The record cannot be written: the due force-update waits, and the backoff does not advance.
  swarm.configs.fail_writes = Status::Unavailable("configs: no quorum");
  cluster.Advance(3s);
  for (int i = 0; i < 5; ++i) {
    (void)a.Pass();
    cluster.Advance(1s);
  }
  CHECK(ForceUpdates(swarm) == 1);
  CHECK(a.reconciler.memory().dependents.at("st_app").attempts == 1);
  int reported = 0;
  for (const auto& e : a.events) reported += e.kind == "safety_write_failed";
  CHECK(reported == 1);  // once per streak, not once per cycle
  swarm.configs.fail_writes = Status::Ok();
  (void)a.Pass();  // reads and merges again
  (void)a.Pass();
  CHECK(ForceUpdates(swarm) == 2);
  CHECK(Stored(swarm).dependents.at("st_app").attempts == 2);
}

TEST_CASE("a deposed instance's cycle stops at the safety record", "[safety]") {
  Cluster cluster;
  testing::FakeSwarmApi swarm;
  StuckDependent(swarm);
  Instance a(swarm, cluster, SteadyTime{} + 10h, 1, "node-a/1");
  (void)a.Pass();
  Instance b(swarm, cluster, SteadyTime{} + 1h, 2, "node-b/1");
  cluster.Advance(3s);
  (void)b.Pass();  // attempt 2 under term 2
  REQUIRE(ForceUpdates(swarm) == 2);
  // A still believes it leads (a paused process waking up): its record write is refused with
  // kAborted, and the force-update it planned is never sent.
  cluster.Advance(70s);
  CycleOutcome late = a.Pass();
  CHECK(late.fenced);
  CHECK(ForceUpdates(swarm) == 2);
  CHECK_FALSE(a.keeper.loaded());
}

TEST_CASE("dry run: the backoff advances in memory, the record is never written", "[safety]") {
  Cluster cluster;
  testing::FakeSwarmApi swarm;
  StuckDependent(swarm);
  Instance a(swarm, cluster, SteadyTime{} + 10h, 1, "node-a/1");
  for (int i = 0; i < 10; ++i) {
    (void)a.Pass(/*dry_run=*/true);
    cluster.Advance(1s);
  }
  CHECK(swarm.writes.empty());
  CHECK(swarm.configs.writes == 0);
  CHECK(a.reconciler.memory().dependents.at("st_app").attempts == 2);
  CHECK(a.keeper.loaded());  // it was read: dry-run reports start from the real backoff
}

}  // namespace
}  // namespace orcastra::leader
