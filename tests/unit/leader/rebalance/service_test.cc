// The rebalancer's pass (leader/rebalance/service.h) on a fake Swarm and a simulated clock: no
// Engine API call while nothing is under pressure, the record written before the spec, the move
// verified and its constraints removed, a failover continuing a move in flight, a rollback, dry
// run, partial reads, and the `rebalance` command.
#include "leader/rebalance/service.h"

#include <catch2/catch.hpp>

#include "leader/rebalance/record.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t kMiB = 1ULL << 20;

// Nodes n1 (hot: 7 of 8 GiB with web's 1.5 GiB) and n2, n3 (2 GiB used); web runs on n1.
class Harness {
 public:
  Harness() {
    api.apply_writes = true;
    config = std::make_shared<config::Config>();
    auto& d = config->rebalance.defaults;
    d.threshold_percent = 80;
    d.sustained_high_minutes = 2;
    d.cooldown_minutes = 10;
    d.memory_difference_gb = 1;
    config->rebalance.global_cooldown_minutes = 1;
    config->rebalance.comonitor_interval_seconds = 30;
    for (const char* name : {"n1", "n2", "n3"}) {
      docker::Node node;
      node.id = std::string(name) + "id";
      node.hostname = name;
      node.role = "worker";
      node.state = "ready";
      node.availability = "active";
      node.memory_bytes = 8LL << 30;
      api.nodes.push_back(node);
      used[node.id] = 2 * kGiB;
    }
    used["n1id"] = 7 * kGiB;  // web's 1.5 GiB included
    docker::Service web;
    web.id = "websvc";
    web.name = "web";
    web.mode = "replicated";
    web.replicas = 1;
    web.version = 10;
    web.spec = {{"Name", "web"}, {"TaskTemplate", {{"ContainerSpec", {{"Image", "busybox"}}}}}};
    api.services.push_back(web);
    Task("t1", "n1id", "running");
    options.settings.stack_name = "st";
    options.instance_id = "n1id/abc";
  }

  void Task(const std::string& id, const std::string& node, const std::string& state,
            const std::string& desired = "running") {
    docker::Task task;
    task.id = id;
    task.service_id = "websvc";
    task.node_id = node;
    task.state = state;
    task.desired_state = desired;
    task.timestamp = "2023-11-14T22:13:20Z";
    api.tasks.push_back(task);
  }
  // web's task now runs on `node` (the old one shut down).
  void MoveWebTo(const std::string& node) {
    for (auto& t : api.tasks) {
      if (t.desired_state == "running") {
        t.desired_state = "shutdown";
        t.state = "shutdown";
      }
    }
    Task("t" + std::to_string(api.tasks.size() + 1), node, "running");
  }

  RebalanceInputs Inputs() const {
    RebalanceInputs in;
    in.config = config;
    in.nodes = api.nodes;
    for (const auto& node : api.nodes) {
      MemorySample s;
      s.fresh = true;
      s.report_at = clock.Now();
      s.total_bytes = 8 * kGiB;
      s.used_bytes = used.at(node.id);
      for (const auto& t : api.tasks) {
        if (t.node_id == node.id && t.desired_state == "running") {
          s.task_memory[t.id] = 1536 * kMiB;
          if (node.id != "n1id") s.used_bytes += 1536 * kMiB;
        }
      }
      in.samples[node.id] = s;
    }
    return in;
  }

  RebalanceLoop::Hooks Hooks() {
    RebalanceLoop::Hooks hooks;
    hooks.inputs = [this] { return Inputs(); };
    hooks.is_leader = [this] { return leading; };
    hooks.lease_term = [this] { return leading ? term : 0; };
    hooks.report = [this](protocol::Event e) { events.push_back(e); };
    hooks.publish = [this](RebalanceView v) { view = std::move(v); };
    hooks.poke_controller = [this] { ++pokes; };
    return hooks;
  }
  std::unique_ptr<RebalanceLoop> NewLoop() {
    return std::make_unique<RebalanceLoop>(api, store, clock, options, Hooks());
  }

  // Passes every 5 s for `duration`.
  void Run(RebalanceLoop& loop, std::chrono::milliseconds duration) {
    for (auto t = 0ms; t < duration; t += 5s) {
      loop.Pass();
      clock.Advance(5s);
    }
  }
  int SwarmCalls() const { return api.reads() + api.configs.reads + api.configs.writes; }
  std::vector<std::string> Actions() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.kind == "rebalance") out.push_back(e.attrs.at("action"));
    }
    return out;
  }
  RebalanceMemory Stored() {
    auto object = api.configs.ConfigNamed(kRebalanceConfigName);
    REQUIRE(object.ok());
    REQUIRE(object->has_value());
    auto memory = DecodeRebalanceRecord((*object)->labels.at("orcastra.safety.record"), "test");
    REQUIRE(memory.ok());
    return *memory;
  }
  std::vector<std::string> WebConstraints() const { return api.services[0].constraints; }

  testing::FakeSwarmApi api;
  SwarmSafetyStore store{api, kRebalanceConfigName};
  testing::FakeClock clock;
  RebalanceLoopOptions options;
  std::shared_ptr<config::Config> config;
  std::map<std::string, std::uint64_t> used;
  bool leading = true;
  std::uint64_t term = 3;
  std::vector<protocol::Event> events;
  RebalanceView view;
  int pokes = 0;
};

TEST_CASE("rebalancer: no pressure costs no Engine API call; a standby never reads",
          "[rebalance][service]") {
  Harness h;
  h.used["n1id"] = 2 * kGiB;
  auto loop = h.NewLoop();
  h.Run(*loop, 10min);
  // One read of the record when the instance became active; nothing else in 10 minutes.
  CHECK(h.SwarmCalls() == 1);
  CHECK(h.api.writes.empty());
  CHECK(loop->last_decision() == "nothing moves: no node is under memory pressure");
  CHECK(h.view.status["active"] == true);
  CHECK(h.view.status["counts"]["nodes"] == 3);

  Harness standby;
  standby.leading = false;
  auto passive = standby.NewLoop();
  standby.Run(*passive, 10min);
  CHECK(standby.SwarmCalls() == 0);
  // It still follows the pressure, so a takeover knows for how long n1 has been hot.
  CHECK(standby.view.status["nodes"][0]["hostname"] == "n1");
  CHECK(standby.view.status["nodes"][0]["high_for_s"].get<double>() >= 590);
  CHECK(standby.view.status["active"] == false);
}

TEST_CASE("rebalancer: a move is stored, started, verified and its constraints removed",
          "[rebalance][service]") {
  Harness h;
  auto loop = h.NewLoop();
  h.Run(*loop, 1min);
  CHECK(h.api.service_updates.empty());  // pressure for 1 of the 2 minutes
  h.Run(*loop, 90s);
  REQUIRE(h.api.service_updates.size() == 1);
  const auto& update = h.api.service_updates[0];
  CHECK(update.id == "websvc");
  CHECK(update.version == 10);  // the version read
  // Write-ahead: the record holds the move before the spec changed.
  RebalanceMemory stored = h.Stored();
  REQUIRE(stored.moves.size() == 1);
  const std::string target = stored.moves[0].to_node;
  CHECK(target == "n2id");
  CHECK(stored.moves[0].outcome == MoveOutcome::kPlacing);
  CHECK(h.WebConstraints() == std::vector<std::string>{"node.id==n2id"});
  CHECK(h.Actions() == std::vector<std::string>{"record_loaded", "started"});

  // Swarm moves the task; the next pass sees it and removes the constraint.
  h.MoveWebTo("n2id");
  loop->Pass();
  REQUIRE(h.api.service_updates.size() == 2);
  CHECK(h.WebConstraints().empty());
  CHECK(h.Stored().moves[0].outcome == MoveOutcome::kLanded);
  CHECK(h.Actions() == std::vector<std::string>{"record_loaded", "started", "verified", "landed"});
  CHECK(h.events.back().attrs.at("to") == "n2");
  CHECK(h.view.status["recent"][0]["outcome"] == "landed");
}

TEST_CASE("rebalancer: plans when the pressure becomes sustained, not at the next interval",
          "[rebalance][service]") {
  Harness h;
  h.config->rebalance.comonitor_interval_seconds = 600;
  h.options.sample_interval = 60s;
  auto loop = h.NewLoop();
  h.Run(*loop, 100s);  // the first pass evaluated (nothing sustained); next in 10 minutes
  CHECK(h.api.service_updates.empty());
  // The pause asked for ends just after n1's 2 minutes of pressure (since its first report, at 0)
  // are complete, not at the next sample.
  auto pause = loop->Pass();
  CHECK(pause == 20001ms);
  h.clock.Advance(pause);
  loop->Pass();
  REQUIRE(h.api.service_updates.size() == 1);
  // While the move is in flight, it is checked every second.
  CHECK(loop->Pass() == 1s);
}

TEST_CASE("rebalancer: a fractional sustained window (0.25 minutes is 15 s)",
          "[rebalance][service]") {
  Harness h;
  h.config->rebalance.defaults.sustained_high_minutes = 0.25;
  auto loop = h.NewLoop();
  h.Run(*loop, 15s);  // passes at 0, 5 and 10 s
  CHECK(h.api.service_updates.empty());
  loop->Pass();  // at 15 s
  CHECK(h.api.service_updates.size() == 1);
}

TEST_CASE("rebalancer: sustained pressure with nothing to move reads Swarm once per interval",
          "[rebalance][service]") {
  Harness h;
  h.config->rebalance.comonitor_interval_seconds = 600;
  h.used["n2id"] = 6 * kGiB;  // web (1.5 GiB) would put either over 80%
  h.used["n3id"] = 6 * kGiB;
  auto loop = h.NewLoop();
  h.Run(*loop, 5min);
  // The record, then one complete read (3 calls) when n1's pressure became sustained; the passes
  // after it wait for the interval.
  CHECK(h.SwarmCalls() == 4);
  CHECK(h.api.service_updates.empty());
  h.Run(*loop, 8min);  // past the interval after that evaluation (at 12 minutes): one more read
  CHECK(h.SwarmCalls() == 7);
}

TEST_CASE("rebalancer: a new active instance continues a move in flight", "[rebalance][service]") {
  Harness h;
  auto first = h.NewLoop();
  h.Run(*first, 150s);
  REQUIRE(h.WebConstraints() == std::vector<std::string>{"node.id==n2id"});
  // The instance dies; another becomes active (a newer term) after the task moved.
  first.reset();
  h.term = 4;
  h.MoveWebTo("n2id");
  auto second = h.NewLoop();
  second->Pass();
  CHECK(h.WebConstraints().empty());
  CHECK(h.Stored().moves[0].outcome == MoveOutcome::kLanded);
  // web is in its cooldown for the new instance too.
  h.used["n2id"] = 6 * kGiB;
  h.Run(*second, 3min);
  CHECK(h.api.service_updates.size() == 2);
}

TEST_CASE("rebalancer: a target that goes down is rolled back", "[rebalance][service]") {
  Harness h;
  auto loop = h.NewLoop();
  h.Run(*loop, 150s);
  REQUIRE(h.WebConstraints() == std::vector<std::string>{"node.id==n2id"});
  h.api.nodes[1].state = "down";
  loop->Pass();
  CHECK(h.WebConstraints().empty());
  RebalanceMemory stored = h.Stored();
  CHECK(stored.moves[0].outcome == MoveOutcome::kRolledBack);
  CHECK_THAT(stored.moves[0].result, Catch::Contains("the target n2 is down"));
  CHECK(h.Actions().back() == "rolled_back");
  // Rolled back, web is in its cooldown: nothing moves again before it ends.
  h.api.nodes[1].state = "ready";
  h.Run(*loop, 5min);
  CHECK(h.api.service_updates.size() == 2);
}

TEST_CASE("rebalancer: dry run writes nothing and reports at the real pace",
          "[rebalance][service]") {
  Harness h;
  h.config->rebalance.defaults.dry_run = true;  // rebalance_config.yml's default.dry_run
  auto loop = h.NewLoop();
  h.Run(*loop, 150s);
  CHECK(h.api.service_updates.empty());
  CHECK(h.api.configs.writes == 0);
  std::vector<std::string> actions = h.Actions();
  CHECK(std::count(actions.begin(), actions.end(), "dry_run") == 1);
  CHECK(h.events.back().attrs.at("to") == "n2");
  CHECK(h.view.status["dry_run"] == true);
  // Still hot: no second report before web's cooldown.
  h.Run(*loop, 5min);
  actions = h.Actions();
  CHECK(std::count(actions.begin(), actions.end(), "dry_run") == 1);
  CHECK_THAT(loop->last_decision(), Catch::Contains("web in cooldown"));
  // Dry run off: its moves never happened, so they hold no cooldown; the real move follows.
  h.config->rebalance.defaults.dry_run = false;
  h.Run(*loop, 30s);
  REQUIRE(h.api.service_updates.size() == 1);
  CHECK(h.WebConstraints() == std::vector<std::string>{"node.id==n2id"});

  Harness env;
  env.options.settings.dry_run = true;                    // DRY_RUN
  env.config->rebalance.services["web"].dry_run = false;  // does not override DRY_RUN
  auto dry = env.NewLoop();
  env.Run(*dry, 150s);
  CHECK(env.api.service_updates.empty());
  CHECK(env.api.configs.writes == 0);
  CHECK(env.Actions().back() == "dry_run");
}

TEST_CASE("rebalancer: nothing moves when the record cannot be stored or Swarm read partially",
          "[rebalance][service]") {
  SECTION("record write fails") {
    Harness h;
    h.api.configs.fail_writes = Status::Unavailable("no quorum");
    auto loop = h.NewLoop();
    h.Run(*loop, 150s);
    CHECK(h.api.service_updates.empty());
    CHECK_THAT(loop->last_decision(), Catch::Contains("the rebalance record could not be stored"));
  }
  SECTION("a partial read") {
    Harness h;
    h.api.fail_services = true;
    auto loop = h.NewLoop();
    h.Run(*loop, 3min);
    CHECK(h.api.service_updates.empty());
    std::vector<std::string> actions = h.Actions();
    CHECK(std::count(actions.begin(), actions.end(), "skipped") == 1);  // once per streak
    CHECK_THAT(loop->last_decision(), Catch::Contains("partial read"));
  }
  SECTION("the record cannot be read") {
    Harness h;
    h.api.configs.fail_reads = Status::Unavailable("no quorum");
    auto loop = h.NewLoop();
    h.Run(*loop, 3min);
    CHECK(h.api.service_updates.empty());
    CHECK_FALSE(loop->record_loaded());
  }
  SECTION("the spec write is refused") {
    Harness h;
    h.api.fail_service_updates = Status::Conflict("update out of sequence");
    auto loop = h.NewLoop();
    h.Run(*loop, 150s);
    REQUIRE(h.api.service_updates.size() == 1);
    CHECK(h.Stored().moves[0].outcome == MoveOutcome::kRolledBack);
    CHECK(h.Actions().back() == "failed");
  }
}

TEST_CASE("rebalancer: `rebalance` evaluates now and answers with a command event",
          "[rebalance][service]") {
  Harness h;
  h.used["n1id"] = 2 * kGiB;
  auto loop = h.NewLoop();
  loop->Pass();
  h.events.clear();
  loop->Pass(RebalanceLoop::Command{7, "cli"});
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].kind == "command");
  CHECK(h.events[0].attrs.at("id") == "7");
  CHECK(h.events[0].attrs.at("result") == "ok");
  CHECK(h.events[0].message == "nothing moves: no node is under memory pressure");

  h.leading = false;
  h.events.clear();
  loop->Pass(RebalanceLoop::Command{8, "file"});
  CHECK(h.events[0].attrs.at("result") == "failed");
}

TEST_CASE("rebalancer: inputs from the cluster state", "[rebalance][service]") {
  testing::FakeClock clock;
  ClusterState cluster;
  docker::Node w1;
  w1.id = "w1id";
  w1.hostname = "w1";
  w1.state = "ready";
  docker::Node w2 = w1;
  w2.id = "w2id";
  w2.hostname = "w2";
  cluster.SetNodes({w1, w2}, clock.Now());
  protocol::NodeReport report;
  report.node_id = "w1id";
  report.report_interval_ms = 5000;
  report.memory = {1000, 250, 750, "cgroup:/x"};
  report.psi = {true, 12.5, 1};
  report.containers = {{"c1", "a", "img", "running", "", 0, false, 0, "s1", "web", "t1", 300},
                       {"c2", "b", "img", "exited", "", 0, false, 0, "s1", "web", "t0", 999},
                       {"c3", "c", "img", "running", "", 0, false, 0, "", "", "", 50}};
  cluster.RecordReport(report, clock.Now());
  auto config = std::make_shared<config::Config>();
  RebalanceInputs in = InputsFrom(cluster, config, clock.Now());
  CHECK(in.config == config);
  REQUIRE(in.nodes.size() == 2);
  const MemorySample& s = in.samples.at("w1id");
  CHECK(s.fresh);
  CHECK(s.total_bytes == 1000);
  CHECK(s.used_bytes == 750);
  CHECK(s.psi_present);
  CHECK(s.psi_some_avg10 == 12.5);
  // Only running Swarm tasks' containers, by task id.
  CHECK(s.task_memory == std::map<std::string, std::uint64_t>{{"t1", 300}});
  CHECK_FALSE(in.samples.at("w2id").fresh);  // no agent
  clock.Advance(16s);                        // 3 report intervals without a report
  CHECK_FALSE(InputsFrom(cluster, config, clock.Now()).samples.at("w1id").fresh);
}

}  // namespace
}  // namespace orcastra::leader
