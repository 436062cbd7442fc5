// The rebalancing decision table (leader/rebalance/plan.h) over a swarm built in memory and agent
// reports fed on a simulated clock: sustained vs transient pressure, PSI vs percent, stale
// reports, partial data, global/pinned/opted-out services, anchor groups, constraints that
// exclude targets, memory promised to moves in flight, cooldowns, moves per hour, no move back,
// a recent target not a source; and the verification of a move in flight (CheckMove).
#include "leader/rebalance/plan.h"

#include <catch2/catch.hpp>
#include <deque>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t kMiB = 1ULL << 20;

// Nodes n1..n4 (8 GiB each, workers), services and tasks added by the test. Each node's memory use
// is its base plus the memory of the tasks on it.
class World {
 public:
  World() {
    config_ = std::make_shared<config::Config>();
    config::RebalancePolicy& d = config_->rebalance.defaults;
    d.threshold_percent = 80;
    d.psi_threshold = 20;
    d.sustained_high_minutes = 10;
    d.cooldown_minutes = 15;
    d.memory_difference_gb = 1;
    d.moves_per_hour = 4;
    config_->rebalance.global_cooldown_minutes = 5;
    for (const char* name : {"n1", "n2", "n3", "n4"}) AddNode(name);
  }

  docker::Node& AddNode(const std::string& name, std::uint64_t base = 2 * kGiB) {
    docker::Node node;
    node.id = "id-" + name;
    node.hostname = name;
    node.role = "worker";
    node.state = "ready";
    node.availability = "active";
    node.version = 3;
    node.memory_bytes = 8 * static_cast<std::int64_t>(kGiB);
    node.nano_cpus = 2'000'000'000;
    node.platform_os = "linux";
    node.platform_arch = "x86_64";
    snapshot_.nodes.push_back(node);
    base_[node.id] = base;
    fresh_[node.id] = true;
    return snapshot_.nodes.back();
  }
  docker::Node& Node(const std::string& name) {
    for (auto& node : snapshot_.nodes)
      if (node.hostname == name) return node;
    FAIL("no node " << name);
    throw;
  }
  void SetBase(const std::string& name, std::uint64_t base) { base_["id-" + name] = base; }

  docker::Service& AddService(const std::string& name, std::vector<std::string> constraints = {},
                              const std::string& mode = "replicated") {
    docker::Service service;
    service.id = "svc-" + name;
    service.name = name;
    service.mode = mode;
    service.replicas = 1;
    service.version = 41;
    service.constraints = constraints;
    service.spec = {{"Name", name},
                    {"TaskTemplate",
                     {{"ContainerSpec", {{"Image", "busybox"}}},
                      {"Placement", {{"Constraints", constraints}}}}}};
    snapshot_.services.push_back(service);
    return snapshot_.services.back();
  }
  docker::Service& Service(const std::string& name) {
    for (auto& service : snapshot_.services)
      if (service.name == name) return service;
    FAIL("no service " << name);
    throw;
  }
  docker::Task& AddTask(const std::string& service, const std::string& node,
                        std::uint64_t memory = 500 * kMiB, const std::string& state = "running") {
    docker::Task task;
    task.id = "task-" + std::to_string(next_task_++);
    task.service_id = "svc-" + service;
    task.node_id = node.empty() ? "" : "id-" + node;
    task.state = state;
    task.desired_state = "running";
    task.timestamp = "2023-11-14T22:13:20Z";
    snapshot_.tasks.push_back(task);
    task_memory_[task.id] = memory;
    return snapshot_.tasks.back();
  }
  void Stale(const std::string& node) { fresh_["id-" + node] = false; }
  void Fresh(const std::string& node) { fresh_["id-" + node] = true; }
  void Psi(const std::string& node, double some_avg10) { psi_["id-" + node] = some_avg10; }
  void Hide(const std::string& task_id) { hidden_.insert(task_id); }

  std::uint64_t Used(const std::string& node_id) const {
    std::uint64_t used = base_.at(node_id);
    for (const auto& task : snapshot_.tasks) {
      if (task.node_id == node_id && task.desired_state == "running") {
        used += task_memory_.at(task.id);
      }
    }
    return used;
  }

  // One report from every agent, then the clock moves on by `step`.
  void Report(std::chrono::milliseconds step = 30s) {
    std::map<std::string, MemorySample> samples;
    for (const auto& node : snapshot_.nodes) {
      MemorySample s;
      s.fresh = fresh_.at(node.id);
      s.report_at = clock_.Now();
      s.total_bytes = 8 * kGiB;
      s.used_bytes = Used(node.id);
      if (psi_.count(node.id)) {
        s.psi_present = true;
        s.psi_some_avg10 = psi_.at(node.id);
      }
      for (const auto& task : snapshot_.tasks) {
        if (task.node_id == node.id && !hidden_.count(task.id)) {
          s.task_memory[task.id] = task_memory_.at(task.id);
        }
      }
      samples[node.id] = s;
    }
    tracker_.Observe(samples, RebalanceTriggers(config_->rebalance));
    clock_.Advance(step);
  }
  // Reports every 30 s for `duration`.
  void ReportFor(std::chrono::minutes duration) {
    for (auto t = 0s; t < duration; t += 30s) Report();
    Report(0s);
  }

  RebalanceSettings Settings() const {
    RebalanceSettings settings;
    settings.config = config_;
    settings.dry_run = dry_run_;
    settings.verify_timeout = 5min;
    return settings;
  }
  RebalancePlan Plan() {
    return PlanRebalance(Settings(), snapshot_, tracker_, memory_, clock_.Now(), clock_.WallMs());
  }
  // Carries out `plan`'s move in the world: the move is remembered as landed and the head's
  // tasks on the source (and its dependents') run on the target.
  void Land(const RebalancePlan& plan) {
    REQUIRE(plan.move);
    MoveRecord move = *plan.move;
    move.outcome = MoveOutcome::kLanded;
    move.ended_ms = clock_.WallMs();
    memory_.moves.push_back(move);
    std::vector<std::string> names = move.dependents;
    names.push_back(move.service);
    for (auto& task : snapshot_.tasks) {
      for (const auto& name : names) {
        if (task.service_id == "svc-" + name && task.node_id == move.from_node) {
          task.node_id = move.to_node;
        }
      }
    }
  }

  config::Config& config() { return *config_; }
  config::RebalancePolicy& defaults() { return config_->rebalance.defaults; }
  RebalanceMemory& memory() { return memory_; }
  Snapshot& snapshot() { return snapshot_; }
  testing::FakeClock& clock() { return clock_; }
  void SetDryRun(bool on) { dry_run_ = on; }

 private:
  std::shared_ptr<config::Config> config_;
  Snapshot snapshot_;
  std::map<std::string, std::uint64_t> base_;
  std::map<std::string, bool> fresh_;
  std::map<std::string, double> psi_;
  std::map<std::string, std::uint64_t> task_memory_;
  std::set<std::string> hidden_;
  PressureTracker tracker_;
  RebalanceMemory memory_;
  testing::FakeClock clock_;
  bool dry_run_ = false;
  int next_task_ = 1;
};

// n1 at 7 GiB of 8 (87.5 %): base 5 GiB + web (1.5 GiB) + small (0.5 GiB); n2 at 2 GiB, n3 at
// 3 GiB, n4 at 4 GiB.
void HotN1(World& w) {
  w.SetBase("n1", 5 * kGiB);
  w.SetBase("n3", 3 * kGiB);
  w.SetBase("n4", 4 * kGiB);
  w.AddService("web");
  w.AddTask("web", "n1", 1536 * kMiB);
  w.AddService("small");
  w.AddTask("small", "n1", 512 * kMiB);
}

const RebalanceCandidate* Candidate(const RebalancePlan& plan, const std::string& service) {
  for (const auto& c : plan.candidates)
    if (c.service == service) return &c;
  return nullptr;
}

TEST_CASE("rebalance plan: transient pressure moves nothing, sustained pressure moves",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.ReportFor(5min);
  RebalancePlan early = w.Plan();
  CHECK_FALSE(early.move);
  CHECK_THAT(early.decision, Catch::Contains("nothing moves"));
  REQUIRE(Candidate(early, "web"));
  CHECK_THAT(Candidate(early, "web")->why, Catch::Contains("5m00s of the 10m00s it must last"));

  w.ReportFor(5min);
  RebalancePlan plan = w.Plan();
  REQUIRE(plan.move);
  // web (1.5 GiB) brings n1 from 87.5 % to 68.75 % (<= 75 %); small (0.5 GiB) would only reach
  // 81.25 %: the smallest move that relieves is web, onto n2 (the most free memory after it).
  CHECK(plan.move->service == "web");
  CHECK(plan.move->from_node == "id-n1");
  CHECK(plan.move->to_node == "id-n2");
  CHECK(plan.move->constraints == std::vector<std::string>{"node.id==id-n2"});
  CHECK(plan.move->memory_bytes == 1536 * kMiB);
  CHECK(plan.move->outcome == MoveOutcome::kPlacing);
  CHECK(plan.move_version == 41);
  CHECK_FALSE(plan.move_dry_run);
  CHECK(plan.move->deadline_ms == plan.move->started_ms + 300'000);
  CHECK_THAT(plan.decision, Catch::StartsWith("move web (1.50 GiB) from n1 to n2"));
  const RebalanceCandidate* small = Candidate(plan, "small");
  REQUIRE(small);
  CHECK(small->movable);
  CHECK_FALSE(small->relieves);
  REQUIRE(plan.nodes.size() == 4);
  CHECK(plan.nodes[0].hostname == "n1");
  CHECK(plan.nodes[0].source);
  CHECK(plan.nodes[0].state == PressureState::kHigh);
  CHECK(plan.nodes[0].high_for >= 10min);
  CHECK_FALSE(plan.nodes[1].source);
}

TEST_CASE("rebalance plan: a dip under the threshold restarts the count", "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.ReportFor(9min);
  w.clock().Advance(30s);
  w.SetBase("n1", 3 * kGiB);  // one report at 62.5 %
  w.Report();
  w.SetBase("n1", 5 * kGiB);
  w.ReportFor(9min);
  CHECK_FALSE(w.Plan().move);
  w.ReportFor(1min);
  CHECK(w.Plan().move);
}

TEST_CASE("rebalance plan: PSI counts as pressure where the kernel gives it", "[rebalance][plan]") {
  World w;
  w.SetBase("n1", 3 * kGiB);  // 3 + 1 = 4 GiB: 50 %, under the percent threshold
  w.AddService("web");
  w.AddTask("web", "n1", 1 * kGiB);
  w.Psi("n1", 35);
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  REQUIRE(plan.move);
  CHECK(plan.move->service == "web");
  CHECK_THAT(plan.nodes[0].why, Catch::Contains("PSI some avg10 35.0 > 20"));
  // Under PSI alone a move must free the hysteresis margin (5 % of 8 GiB = 410 MiB): 1 GiB does.
  CHECK(Candidate(plan, "web")->relieves);

  World quiet;
  quiet.SetBase("n1", 3 * kGiB);
  quiet.AddService("web");
  quiet.AddTask("web", "n1", 1 * kGiB);
  quiet.Psi("n1", 5);  // PSI present and low, percent low: no pressure
  quiet.ReportFor(20min);
  CHECK_FALSE(quiet.Plan().move);
  CHECK_THAT(quiet.Plan().decision, Catch::Contains("no node is under memory pressure"));
}

TEST_CASE("rebalance plan: stale reports are unknown, neither source nor target",
          "[rebalance][plan]") {
  SECTION("a stale source") {
    World w;
    HotN1(w);
    w.ReportFor(10min);
    w.Stale("n1");
    w.Report(0s);
    RebalancePlan plan = w.Plan();
    CHECK_FALSE(plan.move);
    CHECK(plan.nodes[0].state == PressureState::kUnknown);
    CHECK_THAT(plan.decision, Catch::Contains("without a fresh report"));
  }
  SECTION("a stale target is skipped") {
    World w;
    HotN1(w);
    w.Stale("n2");
    w.ReportFor(10min);
    RebalancePlan plan = w.Plan();
    REQUIRE(plan.move);
    CHECK(plan.move->to_node == "id-n3");
    CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("n2 has no fresh report (unknown)"));
  }
  SECTION("a stale report ends the streak") {
    World w;
    HotN1(w);
    w.ReportFor(9min);
    w.Stale("n1");
    w.Report();
    w.Fresh("n1");
    w.ReportFor(9min);
    CHECK_FALSE(w.Plan().move);
    w.ReportFor(1min);
    CHECK(w.Plan().move);
  }
}

TEST_CASE("rebalance plan: a task whose memory the report lacks is partial data",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.Hide(w.snapshot().tasks[0].id);  // web's container is not in n1's report
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("not in n1's report (partial data)"));
  // small still moves: partial relief, the only candidate with a known memory.
  REQUIRE(plan.move);
  CHECK(plan.move->service == "small");
  CHECK_THAT(plan.decision, Catch::Contains("partial relief"));
}

TEST_CASE("rebalance plan: global, jobs, pinned and opted-out services never move",
          "[rebalance][plan]") {
  World w;
  w.SetBase("n1", 4 * kGiB);
  w.AddService("agent", {}, "global");
  w.AddTask("agent", "n1", 700 * kMiB);
  w.AddService("backup", {}, "replicated-job");
  w.AddTask("backup", "n1", 700 * kMiB);
  w.AddService("pinned", {"node.hostname == n1"});
  w.AddTask("pinned", "n1", 700 * kMiB);
  w.AddService("byid", {"node.id==id-n1"});
  w.AddTask("byid", "n1", 700 * kMiB);
  docker::Service& out = w.AddService("out");
  out.labels["orcastra.rebalance"] = "false";
  w.AddTask("out", "n1", 700 * kMiB);
  docker::Service& out2 = w.AddService("out2");
  out2.spec["TaskTemplate"]["ContainerSpec"]["Labels"]["orcastra.rebalance"] = "No";
  w.AddTask("out2", "n1", 700 * kMiB);
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  CHECK_FALSE(plan.move);
  CHECK_THAT(Candidate(plan, "agent")->why, Catch::Contains("global service"));
  CHECK_THAT(Candidate(plan, "backup")->why, Catch::Contains("is a job"));
  CHECK_THAT(Candidate(plan, "pinned")->why,
             Catch::Contains("pinned by its constraint 'node.hostname == n1'"));
  CHECK_THAT(Candidate(plan, "byid")->why, Catch::Contains("pinned"));
  CHECK_THAT(Candidate(plan, "out")->why, Catch::Contains("opted out"));
  CHECK_THAT(Candidate(plan, "out2")->why, Catch::Contains("opted out"));
  CHECK_THAT(plan.decision, Catch::Contains("no candidate can move"));
}

// An anchor db with dependents app and api (stack "st"), constrained to the anchor's label.
void AnchorGroup(World& w, bool api_constrained = true) {
  config::Anchor anchor;
  anchor.name = "db";
  anchor.stack = "st";
  anchor.services = {"app", "api"};
  w.config().swarm.dependencies = {anchor};
  w.SetBase("n1", 5 * kGiB);  // 5 + 2 = 7 GiB: 87.5 %
  w.AddService("st_db", {"node.labels.zone==a"});
  w.AddTask("st_db", "n1", 1 * kGiB);
  w.AddService("st_app", {"node.labels.db==true"});
  w.AddTask("st_app", "n1", 512 * kMiB);
  w.AddService("st_api", api_constrained ? std::vector<std::string>{"node.labels.db == true"}
                                         : std::vector<std::string>{});
  w.AddTask("st_api", "n1", 512 * kMiB);
  w.Node("n1").labels = {{"zone", "a"}, {"db", "true"}};
  w.Node("n3").labels = {{"zone", "a"}};
  w.Node("n4").labels = {{"zone", "a"}};
}

TEST_CASE("rebalance plan: an anchor and its dependents move as one group", "[rebalance][plan]") {
  World w;
  AnchorGroup(w);
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  INFO(plan.decision);
  REQUIRE(plan.move);
  CHECK(plan.move->service == "st_db");
  CHECK(plan.move->dependents == std::vector<std::string>{"st_api", "st_app"});
  CHECK(plan.move->memory_bytes == 2 * kGiB);
  // n2 has the most free memory but fails the anchor's zone constraint; n3 (3 GiB free after)
  // passes; the dependents' label constraint is the label that follows.
  CHECK(plan.move->to_node == "id-n3");
  CHECK(plan.move->constraints == std::vector<std::string>{"node.id==id-n3"});
  CHECK_THAT(Candidate(plan, "st_db")->why,
             Catch::Contains("n2 fails st_db's constraint 'node.labels.zone==a'"));
  // The dependents are never candidates of their own.
  CHECK(Candidate(plan, "st_app") == nullptr);
  CHECK(Candidate(plan, "st_api") == nullptr);
}

TEST_CASE("rebalance plan: a group that would not move as one stays", "[rebalance][plan]") {
  SECTION("a dependent without the label constraint") {
    World w;
    AnchorGroup(w, /*api_constrained=*/false);
    w.ReportFor(10min);
    RebalancePlan plan = w.Plan();
    CHECK_FALSE(plan.move);
    CHECK_THAT(Candidate(plan, "st_db")->why,
               Catch::Contains("dependent st_api lacks the constraint node.labels.db==true"));
  }
  SECTION("a dependent elsewhere") {
    World w;
    AnchorGroup(w);
    w.AddTask("st_app", "n2", 100 * kMiB);
    w.ReportFor(10min);
    RebalancePlan plan = w.Plan();
    CHECK_FALSE(plan.move);
    CHECK_THAT(Candidate(plan, "st_db")->why, Catch::Contains("also runs on n2"));
  }
  SECTION("a dependent on the hot node whose anchor is elsewhere") {
    World w;
    AnchorGroup(w);
    w.snapshot().tasks[0].node_id = "id-n4";  // the anchor runs on n4
    w.SetBase("n1", 6 * kGiB);
    w.ReportFor(10min);
    RebalancePlan plan = w.Plan();
    CHECK_FALSE(plan.move);
    CHECK_THAT(Candidate(plan, "st_db")->why, Catch::Contains("anchor st_db does not run on n1"));
  }
  SECTION("a pinned anchor pins its group") {
    World w;
    AnchorGroup(w);
    w.Service("st_db").spec["TaskTemplate"]["Placement"]["Constraints"] =
        std::vector<std::string>{"node.hostname==n1"};
    w.ReportFor(10min);
    CHECK_FALSE(w.Plan().move);
  }
}

TEST_CASE("rebalance plan: every placement rule of Swarm excludes targets", "[rebalance][plan]") {
  auto plan_with = [](auto edit) {
    World w;
    HotN1(w);
    edit(w);
    w.ReportFor(10min);
    return w.Plan();
  };
  SECTION("role") {
    RebalancePlan plan = plan_with([](World& w) {
      w.Service("web").spec["TaskTemplate"]["Placement"]["Constraints"] = {"node.role==manager"};
      w.Node("n4").role = "manager";
    });
    REQUIRE(plan.move);
    CHECK(plan.move->to_node == "id-n4");
  }
  SECTION("node label, engine label, platform") {
    RebalancePlan plan = plan_with([](World& w) {
      auto& spec = w.Service("web").spec;
      spec["TaskTemplate"]["Placement"]["Constraints"] = {"node.labels.ssd==true",
                                                          "engine.labels.tier!=slow"};
      spec["TaskTemplate"]["Placement"]["Platforms"] = {
          {{"OS", "linux"}, {"Architecture", "amd64"}}};
      w.Node("n2").labels["ssd"] = "true";
      w.Node("n2").engine_labels["tier"] = "slow";
      w.Node("n3").labels["ssd"] = "true";
      w.Node("n3").platform_arch = "aarch64";
      w.Node("n4").labels["ssd"] = "TRUE";  // values compare case-insensitively
    });
    REQUIRE(plan.move);
    CHECK(plan.move->to_node == "id-n4");
    const std::string& why = Candidate(plan, "web")->why;
    CHECK_THAT(why, Catch::Contains("n2 fails web's constraint 'engine.labels.tier!=slow'"));
    CHECK_THAT(why, Catch::Contains("n3 is not a platform web runs on"));
  }
  SECTION("reservations") {
    RebalancePlan plan = plan_with([](World& w) {
      w.Service("web").spec["TaskTemplate"]["Resources"]["Reservations"]["MemoryBytes"] =
          3 * static_cast<std::int64_t>(kGiB);
      w.AddService("hog");
      w.Service("hog").spec["TaskTemplate"]["Resources"]["Reservations"]["MemoryBytes"] =
          6 * static_cast<std::int64_t>(kGiB);
      w.AddTask("hog", "n2", 10 * kMiB);
    });
    REQUIRE(plan.move);
    CHECK(plan.move->to_node == "id-n3");
    CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("n2 has 2.00 GiB unreserved"));
  }
  SECTION("max replicas per node and host ports") {
    RebalancePlan plan = plan_with([](World& w) {
      w.Service("web").spec["EndpointSpec"]["Ports"] = {{{"PublishMode", "host"},
                                                         {"PublishedPort", 8080},
                                                         {"TargetPort", 80},
                                                         {"Protocol", "tcp"}}};
      w.AddService("other");
      w.Service("other").spec["EndpointSpec"]["Ports"] = {
          {{"PublishMode", "host"}, {"PublishedPort", 8080}, {"Protocol", "tcp"}}};
      w.AddTask("other", "n2", 10 * kMiB);
      w.Service("web").spec["TaskTemplate"]["Placement"]["MaxReplicas"] = 1;
    });
    REQUIRE(plan.move);
    CHECK(plan.move->to_node == "id-n3");
    CHECK_THAT(Candidate(plan, "web")->why,
               Catch::Contains("n2 already publishes port tcp/8080 in host mode"));
  }
  SECTION("drained, down and paused nodes") {
    RebalancePlan plan = plan_with([](World& w) {
      w.Node("n2").availability = "drain";
      w.Node("n3").state = "down";
    });
    REQUIRE(plan.move);
    CHECK(plan.move->to_node == "id-n4");
    CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("n2 is drain"));
  }
  SECTION("no node fits") {
    RebalancePlan plan = plan_with([](World& w) {
      w.Service("web").spec["TaskTemplate"]["Placement"]["Constraints"] = {"node.labels.gpu==yes"};
      w.Service("small").spec["TaskTemplate"]["Placement"]["Constraints"] = {
          "node.labels.gpu==yes"};
    });
    CHECK_FALSE(plan.move);
    CHECK_THAT(Candidate(plan, "web")->why, Catch::StartsWith("no target:"));
  }
}

TEST_CASE("rebalance plan: the target must stay under its threshold and gain enough",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.SetBase("n2", 5 * kGiB);  // 5 + 1.5 = 6.5 GiB: 81 % after web, over 75 %
  w.SetBase("n3", 5 * kGiB);
  w.SetBase("n4", 5 * kGiB);
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  const RebalanceCandidate* web = Candidate(plan, "web");
  CHECK_FALSE(web->movable);
  CHECK_THAT(web->why, Catch::Contains("n2 would reach 81.2% (at most 75.0%)"));
  // small still fits (5.5 GiB = 68.75 %) and is the partial relief.
  REQUIRE(plan.move);
  CHECK(plan.move->service == "small");

  World gap;
  HotN1(gap);
  gap.defaults().memory_difference_gb = 6;  // nobody has 6 GiB more free than n1
  gap.ReportFor(10min);
  RebalancePlan none = gap.Plan();
  CHECK_FALSE(none.move);
  CHECK_THAT(Candidate(none, "web")->why, Catch::Contains("memory_difference_gb"));
}

TEST_CASE("rebalance plan: memory promised to moves in flight counts as used",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.SetBase("n3", 5 * kGiB);
  w.SetBase("n4", 5 * kGiB);
  w.config().rebalance.global_cooldown_minutes = 0;
  w.ReportFor(10min);
  // A move of 3 GiB towards n2 is in flight and nothing of it shows on n2 yet.
  MoveRecord inflight;
  inflight.service = "elsewhere";
  inflight.from_node = "id-n3";
  inflight.to_node = "id-n2";
  inflight.memory_bytes = 3 * kGiB;
  inflight.started_ms = w.clock().WallMs() - 10'000;
  inflight.outcome = MoveOutcome::kPlacing;
  w.memory().moves.push_back(inflight);
  RebalancePlan plan = w.Plan();
  // n2: 2 GiB used + 3 promised + 1.5 = 6.5 GiB, 81 %: refused; n3/n4 too full; small moves.
  CHECK_THAT(Candidate(plan, "web")->why,
             Catch::Contains("n2 would reach 81.2% (at most 75.0%, 3.00 GiB promised"));
  CHECK(plan.nodes[1].promised_bytes == 3 * kGiB);
  // n3 is the source of the move in flight: never a target meanwhile.
  CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("n3 is the source of a move in flight"));
  REQUIRE(plan.move);
  CHECK(plan.move->service == "small");
  CHECK(plan.move->to_node == "id-n2");
}

TEST_CASE("rebalance plan: cooldowns, moves per hour, no move back, a target not a source",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.ReportFor(10min);
  RebalancePlan first = w.Plan();
  REQUIRE(first.move);
  CHECK(first.move->service == "web");
  w.Land(first);
  w.SetBase("n1", 6 * kGiB);  // still hot: 6 + 0.5 = 6.5 GiB (81 %)

  SECTION("the global cooldown holds the next move") {
    w.ReportFor(2min);
    RebalancePlan plan = w.Plan();
    CHECK_FALSE(plan.move);
    CHECK_THAT(plan.decision, Catch::Contains("global cooldown"));
    CHECK_THAT(plan.decision, Catch::Contains("otherwise: small"));
    w.ReportFor(4min);
    REQUIRE(w.Plan().move);
    CHECK(w.Plan().move->service == "small");
  }
  SECTION("moves per hour") {
    w.config().rebalance.global_cooldown_minutes = 0;
    w.defaults().moves_per_hour = 1;
    w.ReportFor(10min);
    RebalancePlan plan = w.Plan();
    CHECK_FALSE(plan.move);
    CHECK_THAT(plan.decision, Catch::Contains("1 moves in the last hour (moves_per_hour 1)"));
    w.defaults().moves_per_hour = 0;
    CHECK_THAT(w.Plan().decision, Catch::Contains("moves_per_hour is 0"));
  }
  SECTION("moves per hour, and a dry-run move counts like a real one") {
    w.config().rebalance.global_cooldown_minutes = 0;
    w.defaults().moves_per_hour = 2;
    MoveRecord dry = w.memory().moves.back();
    dry.service = "other";
    dry.outcome = MoveOutcome::kDryRun;
    w.memory().moves.push_back(dry);
    w.ReportFor(10min);
    CHECK_THAT(w.Plan().decision, Catch::Contains("2 moves in the last hour (moves_per_hour 2)"));
  }
}

TEST_CASE("rebalance plan: a target is not a source until steady; cooldown; no move back",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.config().rebalance.global_cooldown_minutes = 0;
  w.ReportFor(10min);
  RebalancePlan first = w.Plan();
  REQUIRE(first.move);
  REQUIRE(first.move->to_node == "id-n2");
  // In flight for 3 minutes, during which n2 gets hot (the moved service's memory shows early).
  MoveRecord flying = *first.move;
  w.memory().moves.push_back(flying);
  w.SetBase("n1", 2 * kGiB);
  w.SetBase("n2", 6 * kGiB + 512 * kMiB);  // 6.5 GiB: 81 %
  w.ReportFor(3min);
  RebalancePlan plan = w.Plan();
  CHECK_THAT(plan.nodes[1].why,
             Catch::Contains("not a source: it is the target of a move in flight"));
  // Landed: web runs on n2 (8 GiB there now, 100 %... keep it under the total).
  w.memory().moves.pop_back();
  w.SetBase("n2", 5 * kGiB);  // 5 + 1.5 = 6.5 GiB
  w.Land(first);
  w.ReportFor(8min);  // n2 high for 11 minutes, but only 8 since the move landed
  plan = w.Plan();
  CHECK_FALSE(plan.move);
  CHECK_THAT(plan.nodes[1].why, Catch::Contains("not a source: it was the target of a move"));
  w.ReportFor(2min);  // steady for the sustained window since the move
  plan = w.Plan();
  REQUIRE(Candidate(plan, "web"));
  CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("web in cooldown"));
  w.ReportFor(5min);  // 15 minutes since web's move ended: its cooldown is over
  plan = w.Plan();
  REQUIRE(plan.move);
  CHECK(plan.move->service == "web");
  CHECK(plan.move->from_node == "id-n2");
  // n1 has the most free memory, but web left it less than 60 minutes ago: no move back.
  CHECK(plan.move->to_node != "id-n1");
  CHECK_THAT(Candidate(plan, "web")->why, Catch::Contains("n1 was left by web"));
}

TEST_CASE("rebalance plan: one task of a multi-replica service moves with exclusions",
          "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.Service("web").replicas = 2;
  w.AddTask("web", "n3", 1536 * kMiB);
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  REQUIRE(plan.move);
  CHECK(plan.move->service == "web");
  CHECK(plan.move->to_node == "id-n2");
  // Every node but the target and n3 (web's other replica) is excluded.
  CHECK(plan.move->constraints == std::vector<std::string>{"node.id!=id-n1", "node.id!=id-n4"});

  World two;
  HotN1(two);
  two.Service("web").replicas = 3;
  two.AddTask("web", "n1", 100 * kMiB);
  two.AddTask("web", "n3", 100 * kMiB);
  two.ReportFor(10min);
  RebalancePlan refused = two.Plan();
  CHECK_THAT(Candidate(refused, "web")->why,
             Catch::Contains("2 task(s) on n1 and others elsewhere"));
}

TEST_CASE("rebalance plan: in transition services wait", "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.AddTask("web", "n1", 10 * kMiB, "starting");
  w.ReportFor(10min);
  CHECK_THAT(Candidate(w.Plan(), "web")->why, Catch::Contains("in transition"));
}

TEST_CASE("rebalance plan: dry run decides and marks the move", "[rebalance][plan]") {
  World w;
  HotN1(w);
  w.SetDryRun(true);
  w.ReportFor(10min);
  RebalancePlan plan = w.Plan();
  REQUIRE(plan.move);
  CHECK(plan.move_dry_run);
  CHECK(plan.move->outcome == MoveOutcome::kDryRun);
  CHECK_THAT(plan.decision, Catch::StartsWith("dry run, would move web"));

  World per_service;
  HotN1(per_service);
  per_service.config().rebalance.services["web"].dry_run = true;
  per_service.ReportFor(10min);
  CHECK(per_service.Plan().move_dry_run);
}

TEST_CASE("rebalance plan: per-service policies by full or stack-less name", "[rebalance][plan]") {
  World w;
  w.SetBase("n1", 4 * kGiB);  // 4 + 1.5 = 5.5 GiB: 68.75 %, under the default 80 %
  docker::Service& web = w.AddService("shop_web");
  web.labels["com.docker.stack.namespace"] = "shop";
  w.AddTask("shop_web", "n1", 1536 * kMiB);
  config::RebalanceOverrides sensitive;
  sensitive.threshold_percent = 60;
  sensitive.sustained_high_minutes = 2;
  w.config().rebalance.services["web"] = sensitive;
  w.ReportFor(2min);
  RebalancePlan plan = w.Plan();
  REQUIRE(plan.move);
  CHECK(plan.move->service == "shop_web");
  CHECK(PolicyOf(w.config().rebalance, web).threshold_percent == 60);
  // The node itself is not over the default threshold.
  CHECK(plan.nodes[0].state == PressureState::kNormal);
}

TEST_CASE("rebalance plan: nothing without a configuration", "[rebalance][plan]") {
  PressureTracker tracker;
  RebalancePlan plan =
      PlanRebalance(RebalanceSettings{}, Snapshot{}, tracker, RebalanceMemory{}, SteadyTime{}, 0);
  CHECK_FALSE(plan.move);
  CHECK(plan.decision == "nothing moves: no configuration in force");
}

// --- CheckMove ---------------------------------------------------------------------------------

struct Flight {
  MoveRecord move;
  Snapshot snapshot;
  Flight() {
    move.service = "web";
    move.service_id = "svc-web";
    move.from_node = "id-n1";
    move.to_node = "id-n2";
    move.from_hostname = "n1";
    move.to_hostname = "n2";
    move.constraints = {"node.id==id-n2"};
    move.started_ms = 1'700'000'000'000;
    move.deadline_ms = move.started_ms + 300'000;
    for (const char* name : {"n1", "n2"}) {
      docker::Node node;
      node.id = std::string("id-") + name;
      node.hostname = name;
      node.state = "ready";
      node.availability = "active";
      snapshot.nodes.push_back(node);
    }
    docker::Service web;
    web.id = "svc-web";
    web.name = "web";
    web.mode = "replicated";
    web.spec = {{"TaskTemplate", {{"Placement", {{"Constraints", {"node.id==id-n2"}}}}}}};
    snapshot.services.push_back(web);
  }
  docker::Task& Task(const std::string& node, const std::string& state,
                     const std::string& desired = "running",
                     const std::string& stamp = "2023-11-14T22:13:30Z") {
    docker::Task task;
    task.id = "t" + std::to_string(snapshot.tasks.size());
    task.service_id = "svc-web";
    task.node_id = node.empty() ? "" : "id-" + node;
    task.state = state;
    task.desired_state = desired;
    task.timestamp = stamp;
    snapshot.tasks.push_back(task);
    return snapshot.tasks.back();
  }
};

TEST_CASE("rebalance check: waiting, landed, then the constraints removed", "[rebalance][check]") {
  Flight f;
  f.Task("n1", "running");
  f.Task("n2", "starting");
  const std::int64_t now = f.move.started_ms + 2000;
  MoveCheck wait = CheckMove(f.move, f.snapshot, now);
  CHECK(wait.outcome == MoveOutcome::kPlacing);
  CHECK_FALSE(wait.remove_constraints);

  f.snapshot.tasks[0].desired_state = "shutdown";
  f.snapshot.tasks[0].state = "shutdown";
  f.snapshot.tasks[1].state = "running";
  MoveCheck landed = CheckMove(f.move, f.snapshot, now);
  CHECK(landed.outcome == MoveOutcome::kRemoving);
  CHECK(landed.remove_constraints);
  CHECK(landed.why == "landed: web runs on n2");

  f.move.outcome = MoveOutcome::kRemoving;
  CHECK(CheckMove(f.move, f.snapshot, now).remove_constraints);  // the write failed: again
  f.snapshot.services[0].spec =
      WithoutMoveConstraints(f.snapshot.services[0].spec, f.move.constraints);
  MoveCheck done = CheckMove(f.move, f.snapshot, now);
  CHECK(done.outcome == MoveOutcome::kLanded);
  CHECK_FALSE(done.remove_constraints);
}

TEST_CASE("rebalance check: a move that does not land is rolled back", "[rebalance][check]") {
  const std::int64_t start = 1'700'000'000'000;
  SECTION("the target goes down") {
    Flight f;
    f.Task("n1", "running");
    f.snapshot.nodes[1].state = "down";
    MoveCheck c = CheckMove(f.move, f.snapshot, start + 1000);
    CHECK(c.outcome == MoveOutcome::kRollingBack);
    CHECK(c.remove_constraints);
    CHECK(c.why == "the target n2 is down");
  }
  SECTION("the target is drained or gone") {
    Flight f;
    f.snapshot.nodes[1].availability = "drain";
    CHECK(CheckMove(f.move, f.snapshot, start).why == "the target n2 is drain");
    f.snapshot.nodes.pop_back();
    CHECK(CheckMove(f.move, f.snapshot, start).why == "the target n2 left the swarm");
  }
  SECTION("the task fails on the target") {
    Flight f;
    f.Task("n1", "running");
    docker::Task& failed = f.Task("n2", "failed", "shutdown");
    failed.error = "starting container failed: no such image";
    MoveCheck c = CheckMove(f.move, f.snapshot, start + 5000);
    CHECK(c.outcome == MoveOutcome::kRollingBack);
    CHECK_THAT(c.why, Catch::Contains("failed on n2: starting container failed"));
  }
  SECTION("an old failure on the target does not count") {
    Flight f;
    f.Task("n1", "running");
    f.Task("n2", "failed", "shutdown", "2023-11-14T20:00:00Z");
    CHECK(CheckMove(f.move, f.snapshot, start + 5000).outcome == MoveOutcome::kPlacing);
  }
  SECTION("Swarm cannot place it") {
    Flight f;
    docker::Task& pending = f.Task("", "pending", "running", "2023-11-14T22:13:20Z");
    pending.error = "no suitable node (insufficient resources on 1 node)";
    CHECK(CheckMove(f.move, f.snapshot, start + 10'000).outcome == MoveOutcome::kPlacing);
    MoveCheck c = CheckMove(f.move, f.snapshot, start + 21'000);
    CHECK(c.outcome == MoveOutcome::kRollingBack);
    CHECK_THAT(c.why, Catch::Contains("no suitable node"));
  }
  SECTION("Swarm paused the update") {
    Flight f;
    f.snapshot.services[0].update_state = "paused";
    CHECK(CheckMove(f.move, f.snapshot, start).why == "Swarm's update of web is paused");
  }
  SECTION("the deadline passes") {
    Flight f;
    f.Task("n1", "running");
    CHECK(CheckMove(f.move, f.snapshot, f.move.deadline_ms - 1).outcome == MoveOutcome::kPlacing);
    MoveCheck c = CheckMove(f.move, f.snapshot, f.move.deadline_ms);
    CHECK(c.outcome == MoveOutcome::kRollingBack);
    CHECK_THAT(c.why, Catch::Contains("not landed within 5m00s (MAX_MISMATCH_DURATION)"));
  }
  SECTION("the rollback ends when the constraints are gone") {
    Flight f;
    f.move.outcome = MoveOutcome::kRollingBack;
    CHECK(CheckMove(f.move, f.snapshot, start).remove_constraints);
    f.snapshot.services[0].spec =
        WithoutMoveConstraints(f.snapshot.services[0].spec, f.move.constraints);
    CHECK(CheckMove(f.move, f.snapshot, start).outcome == MoveOutcome::kRolledBack);
  }
  SECTION("someone else removed the constraints, or the service") {
    Flight f;
    f.snapshot.services[0].spec["TaskTemplate"]["Placement"]["Constraints"] =
        nlohmann::json::array();
    MoveCheck c = CheckMove(f.move, f.snapshot, start);
    CHECK(c.outcome == MoveOutcome::kRolledBack);
    CHECK_FALSE(c.remove_constraints);
    f.snapshot.services.clear();
    CHECK(CheckMove(f.move, f.snapshot, start).why == "web no longer exists; nothing to remove");
  }
}

TEST_CASE("rebalance check: a group lands when its dependents followed", "[rebalance][check]") {
  Flight f;
  f.move.dependents = {"app"};
  docker::Service app;
  app.id = "svc-app";
  app.name = "app";
  f.snapshot.services.push_back(app);
  f.Task("n2", "running");
  docker::Task dep;
  dep.id = "d1";
  dep.service_id = "svc-app";
  dep.node_id = "id-n1";
  dep.state = "running";
  dep.desired_state = "running";
  f.snapshot.tasks.push_back(dep);
  MoveCheck c = CheckMove(f.move, f.snapshot, f.move.started_ms + 3000);
  CHECK(c.outcome == MoveOutcome::kPlacing);
  CHECK(c.why == "waiting for dependent app to follow to n2");
  f.snapshot.tasks.back().node_id = "id-n2";
  c = CheckMove(f.move, f.snapshot, f.move.started_ms + 3000);
  CHECK(c.outcome == MoveOutcome::kRemoving);
  CHECK(c.why == "landed: web and app run on n2");
}

TEST_CASE("rebalance memory: pruned to what the windows look at", "[rebalance][plan]") {
  config::RebalanceConfig config;
  RebalanceMemory memory;
  const std::int64_t now = 10'000'000'000;
  MoveRecord old;
  old.outcome = MoveOutcome::kLanded;
  old.started_ms = now - 3 * 3'600'000;
  old.ended_ms = old.started_ms + 1000;
  MoveRecord recent = old;
  recent.started_ms = now - 30 * 60'000;
  recent.ended_ms = recent.started_ms;
  MoveRecord flying = old;
  flying.outcome = MoveOutcome::kPlacing;
  flying.ended_ms = 0;
  memory.moves = {old, flying, recent};
  RebalanceMemory pruned = PruneMoves(memory, config, now);
  REQUIRE(pruned.moves.size() == 2);
  CHECK(pruned.moves[0].outcome == MoveOutcome::kPlacing);
  memory.moves.assign(kMaxRememberedMoves + 10, recent);
  CHECK(PruneMoves(memory, config, now).moves.size() == kMaxRememberedMoves);
}

TEST_CASE("rebalance spec edits add and remove exactly the move's constraints",
          "[rebalance][plan]") {
  nlohmann::json spec = {
      {"TaskTemplate", {{"Placement", {{"Constraints", {"node.role==worker", "node.id!=a"}}}}}}};
  nlohmann::json moved = WithMoveConstraints(spec, {"node.id!=a", "node.id!=b"});
  CHECK(moved["TaskTemplate"]["Placement"]["Constraints"] ==
        nlohmann::json({"node.role==worker", "node.id!=a", "node.id!=a", "node.id!=b"}));
  CHECK(HasMoveConstraints(moved, {"node.id!=a", "node.id!=b"}));
  CHECK_FALSE(HasMoveConstraints(spec, {"node.id!=a", "node.id!=b"}));
  // The owner's own node.id!=a stays.
  CHECK(WithoutMoveConstraints(moved, {"node.id!=a", "node.id!=b"}) == spec);
  nlohmann::json bare = {{"TaskTemplate", {{"ContainerSpec", {{"Image", "x"}}}}}};
  CHECK(WithoutMoveConstraints(WithMoveConstraints(bare, {"node.id==t"}),
                               {"node.id==t"})["TaskTemplate"]["Placement"]["Constraints"] ==
        nlohmann::json::array());
}

}  // namespace
}  // namespace orcastra::leader
