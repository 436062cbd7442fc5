// The controller (leader/controller/service.h): its command queue, and its loop stepped by hand on
// a simulated clock against a fake Swarm that applies writes as Swarm would (no thread, no sleep):
// when passes run (first step, wakes, min spacing, RELABEL_TIME, the fast interval while unsettled,
// leadership changes, changed files), a refused configuration keeping the last good one, commands
// running once, nothing written by a standby or while the safety record cannot be read,
// remove_all_labels and its suspension of labels, and the warning about dependents that cannot
// follow their anchor.
#include "leader/controller/service.h"

#include <catch2/catch.hpp>
#include <memory>

#include "common/base64.h"
#include "leader/config_store/store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_swarm_api.h"
#include "tests/support/temp_dir.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr char kSwarmYml[] = R"(nodes:
  n1:
    labels: [zone=a]
dependencies:
  db:
    stack: st
    retry_intervals: [2, 10]
    services: [app]
)";

docker::Node MakeNode(const std::string& name, std::map<std::string, std::string> labels) {
  docker::Node node;
  node.id = "id-" + name;
  node.hostname = name;
  node.role = "worker";
  node.state = "ready";
  node.version = 10;
  node.labels = labels;
  node.spec = {{"Role", "worker"}, {"Availability", "active"}, {"Labels", labels}};
  return node;
}

docker::Service MakeService(const std::string& name, std::vector<std::string> constraints) {
  docker::Service service;
  service.id = "svc-" + name;
  service.name = "st_" + name;
  service.mode = "replicated";
  service.replicas = 1;
  service.version = 20;
  service.constraints = constraints;
  service.spec = {
      {"Name", service.name},
      {"TaskTemplate",
       {{"ContainerSpec", {{"Image", "busybox"}}}, {"Placement", {{"Constraints", constraints}}}}}};
  return service;
}

docker::Task RunningTask(const std::string& service, const std::string& node) {
  docker::Task task;
  task.id = "t-" + service + "-" + node;
  task.service_id = "svc-" + service;
  task.node_id = node.empty() ? "" : "id-" + node;
  task.state = node.empty() ? "pending" : "running";
  task.desired_state = "running";
  return task;
}

// One leader instance's controller over a fake Swarm in which db and app run on n1, n1 carries
// db=true and zone=a: nothing to do.
struct Harness {
  explicit Harness(const std::string& swarm_yml = kSwarmYml, bool dry_run = false) {
    dir.Write("swarm.yml", swarm_yml);
    swarm.nodes = {MakeNode("n1", {{"db", "true"}, {"zone", "a"}}), MakeNode("n2", {})};
    swarm.services = {MakeService("db", {}), MakeService("app", {"node.labels.db==true"})};
    swarm.tasks = {RunningTask("db", "n1"), RunningTask("app", "n1")};
    swarm.apply_writes = true;
    ControllerOptions options;
    options.settings.paths = config::DefaultPaths(dir.path());
    options.settings.stack_name = "st";
    options.settings.command_file = dir.File("command.yml");
    options.settings.relabel_time = 60s;
    options.settings.dry_run = dry_run;
    options.lease_term = [this] { return leader ? term : 0; };
    options.instance_id = "id-n1/1";
    controller = std::make_unique<Controller>(
        options, swarm, clock, [this] { return leader; },
        [this](protocol::Event e) { events.push_back(std::move(e)); },
        [this](ControllerView v) { views.push_back(std::move(v)); });
  }

  // Steps every `step` for `duration`; returns the passes run.
  std::uint64_t RunFor(std::chrono::milliseconds duration,
                       std::chrono::milliseconds step = Controller::kTick) {
    const std::uint64_t before = controller->passes();
    for (std::chrono::milliseconds t{0}; t < duration; t += step) {
      controller->Step();
      clock.Advance(step);
    }
    return controller->passes() - before;
  }
  std::vector<protocol::Event> Events(const std::string& kind) const {
    std::vector<protocol::Event> out;
    for (const auto& e : events)
      if (e.kind == kind) out.push_back(e);
    return out;
  }
  int Writes(const std::string& prefix) const {
    int n = 0;
    for (const auto& w : swarm.writes) n += w.rfind(prefix, 0) == 0;
    return n;
  }
  const docker::Node& Node(const std::string& name) const {
    for (const auto& node : swarm.nodes)
      if (node.hostname == name) return node;
    FAIL("no node " << name);
    throw;
  }
  // The last command event about `text`.
  protocol::Event Command(const std::string& text) const {
    protocol::Event found;
    for (const auto& e : events)
      if (e.kind == "command" && e.subject == text) found = e;
    return found;
  }

  testing::TempDir dir{"controller-test"};
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  bool leader = true;
  std::uint64_t term = 3;
  std::vector<protocol::Event> events;
  std::vector<ControllerView> views;
  std::unique_ptr<Controller> controller;  // last: destroyed first
};

TEST_CASE("Submit queues known commands and refuses unknown ones", "[controller]") {
  Harness h;
  auto first = h.controller->Submit("noop", "cli");
  REQUIRE(first.ok());
  auto second = h.controller->Submit("update_dependents:db", "file");
  REQUIRE(second.ok());
  CHECK(*second == *first + 1);
  auto unknown = h.controller->Submit("not_a_command", "cli");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("Submit refuses a command once kMaxQueuedCommands are waiting", "[controller]") {
  Harness h;
  for (std::size_t i = 0; i < Controller::kMaxQueuedCommands; ++i) {
    REQUIRE(h.controller->Submit("noop", "cli").ok());
  }
  auto refused = h.controller->Submit("noop", "cli");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK(refused.status().message().find("64 commands are already waiting") != std::string::npos);
}

TEST_CASE("Controller: the first step runs a pass; a wake runs the next one after min spacing",
          "[controller]") {
  Harness h;
  h.controller->Step();
  REQUIRE(h.controller->passes() == 1);
  REQUIRE(h.views.size() == 1);
  CHECK(h.views[0].acted);
  CHECK(h.views[0].has_config);
  CHECK(h.views[0].plan["actions"].empty());
  CHECK(h.views[0].cycle_ts_ms == h.clock.WallMs());

  h.clock.Advance(300ms);
  h.controller->Poke();
  CHECK(h.controller->Step() == 250ms);  // the spacing still runs: at most a tick
  CHECK(h.controller->passes() == 1);
  h.clock.Advance(699ms);
  CHECK(h.controller->Step() == 1ms);
  CHECK(h.controller->passes() == 1);
  h.clock.Advance(1ms);
  h.controller->Step();
  CHECK(h.controller->passes() == 2);  // the wake, exactly min_spacing after the last pass
  h.controller->Step();
  CHECK(h.controller->passes() == 2);  // the wake was taken

  // Wakes during the spacing add up to one pass.
  h.controller->Poke();
  h.controller->Poke();
  CHECK(h.RunFor(1s) == 0);
  CHECK(h.RunFor(1s) == 1);
  CHECK(h.RunFor(10s) == 0);
  CHECK(h.swarm.writes.empty());
}

TEST_CASE(
    "Controller: a settled swarm is reconciled every RELABEL_TIME, an unsettled one every 2 s",
    "[controller]") {
  Harness h;
  h.controller->Step();
  // Looking at the unchanged files every 2 s runs no pass.
  CHECK(h.RunFor(60s) == 0);
  CHECK(h.RunFor(250ms) == 1);  // 60 s after the first
  CHECK(h.RunFor(10min) == 10);

  // app is now pending (it lost its node): misplaced, force-updated with backoff 2 s, 10 s.
  h.swarm.tasks = {RunningTask("db", "n1"), RunningTask("app", "")};
  h.clock.Advance(1s);
  h.controller->Poke();
  h.controller->Step();
  CHECK(h.Writes("service svc-app") == 1);  // attempt 1 at once
  CHECK(h.RunFor(20250ms) == 10);           // every 2 s while unsettled
  // Attempt 2 two seconds after attempt 1, attempt 3 ten seconds after that.
  CHECK(h.Writes("service svc-app") == 3);
  CHECK(h.Events("dependent_restarted").size() == 3);
  // The backoff went to the safety record in Swarm before each force-update.
  CHECK(h.swarm.configs.Named("orcastra-safety-record") != nullptr);
}

TEST_CASE("Controller: a change of leadership runs a pass at once", "[controller]") {
  Harness h;
  h.leader = false;
  h.controller->Step();
  REQUIRE(h.views.size() == 1);
  CHECK_FALSE(h.views[0].acted);
  CHECK(h.RunFor(5s) == 0);  // a standby's pause is RELABEL_TIME
  h.leader = true;
  h.controller->Step();
  CHECK(h.controller->passes() == 2);
  CHECK(h.views.back().acted);
  CHECK(h.Events("controller_active").size() == 1);
  h.clock.Advance(1s);
  h.leader = false;
  h.controller->Step();
  CHECK(h.controller->passes() == 3);
  CHECK(h.Events("controller_standby").size() == 1);
}

TEST_CASE("Controller: a refused configuration keeps the last good one", "[controller]") {
  Harness h;
  h.controller->Step();
  REQUIRE(h.Events("config_loaded").size() == 1);
  h.dir.Write("swarm.yml", "dependencies:\n  db:\n    stack: st\n    retry_intervals: [2, soon]\n");
  // Seen at one look, loaded when unchanged at the next (2 s apart): refused, and a pass runs.
  CHECK(h.RunFor(4250ms) == 1);
  REQUIRE(h.Events("config_refused").size() == 1);
  CHECK(h.Events("config_refused")[0].message.find("swarm.yml:4:") != std::string::npos);
  const ControllerView& view = h.views.back();
  REQUIRE(view.config != nullptr);
  CHECK(view.config->swarm.dependencies.size() == 1);
  CHECK(view.config->swarm.nodes.count("n1") == 1);  // the old one, with its static labels
  CHECK(view.config_problem.find("swarm.yml:4:") != std::string::npos);
  CHECK(h.RunFor(30s) == 0);  // refused once, not again and again
  CHECK(h.Events("config_refused").size() == 1);

  // The old configuration still acts: n1's static label, taken away, comes back.
  h.swarm.nodes[0] = MakeNode("n1", {{"db", "true"}});
  h.controller->Poke();
  h.controller->Step();
  CHECK(h.Node("n1").labels.at("zone") == "a");

  // A fixed file is loaded.
  h.dir.Write("swarm.yml",
              std::string(kSwarmYml) + "  cache:\n    stack: st\n    services: [web]\n");
  h.RunFor(5s);
  CHECK(h.Events("config_loaded").size() == 2);
  CHECK(h.views.back().config->swarm.dependencies.size() == 2);
  CHECK(h.views.back().config_problem.empty());
}

TEST_CASE("Controller: a command runs once, from the queue or from the command file",
          "[controller]") {
  Harness h;
  h.controller->Step();
  h.clock.Advance(1s);
  REQUIRE(h.controller->Submit("update_dependents:db", "cli").ok());
  h.controller->Step();
  CHECK(h.Writes("service svc-app") == 1);
  CHECK(h.Command("update_dependents:db").attrs["result"] == "ok");
  CHECK(h.RunFor(2min) >= 1);
  CHECK(h.Writes("service svc-app") == 1);
  CHECK(h.Events("command").size() == 1);

  h.dir.Write("command.yml", "- update_dependents\n- not_a_command\n- noop\n");
  CHECK(h.RunFor(2500ms) == 1);  // seen at the next look at the files
  CHECK(h.Writes("service svc-app") == 2);
  CHECK(h.dir.Read("command.yml") == "- not_a_command\n");
  CHECK(h.RunFor(2min) >= 2);
  CHECK(h.Writes("service svc-app") == 2);
  CHECK(h.Events("command").size() == 3);  // update_dependents:db, update_dependents, noop
  CHECK(h.Events("command_rejected").size() == 1);
  CHECK(h.Events("command_rejected")[0].message.find("not_a_command") != std::string::npos);
}

TEST_CASE("Controller: a standby writes nothing and runs no command", "[controller]") {
  Harness h;
  h.leader = false;
  // Work a leader would do: db's label is on n2, app runs on n2, n1 lacks its static label.
  h.swarm.nodes = {MakeNode("n1", {}), MakeNode("n2", {{"db", "true"}})};
  h.swarm.tasks = {RunningTask("db", "n1"), RunningTask("app", "n2")};
  const std::string commands = "- remove_all_labels\n- update_dependents\n";
  h.dir.Write("command.yml", commands);
  REQUIRE(h.controller->Submit("update_dependents:db", "cli").ok());
  REQUIRE(h.controller->Submit("remove_all_labels", "cli").ok());
  CHECK(h.RunFor(10min) >= 10);
  CHECK(h.swarm.writes.empty());
  CHECK(h.swarm.configs.writes == 0);
  CHECK(h.dir.Read("command.yml") == commands);
  CHECK(h.Events("command").empty());
  // It computed what the active instance would do.
  CHECK_FALSE(h.views.back().acted);
  CHECK(h.views.back().plan["actions"].size() == 3);  // n1 labels, n2 label, app
}

TEST_CASE("Controller: nothing is restarted while the safety record cannot be read",
          "[controller]") {
  Harness h;
  h.swarm.tasks = {RunningTask("db", "n1"), RunningTask("app", "n2")};  // app misplaced
  h.swarm.configs.fail_reads = Status::Unavailable("no quorum");
  h.controller->Step();
  CHECK(h.RunFor(30s) >= 10);
  REQUIRE(h.controller->Submit("update_dependents:db", "cli").ok());
  h.RunFor(2s);
  CHECK(h.swarm.writes.empty());
  CHECK(h.swarm.configs.writes == 0);
  CHECK(h.Command("update_dependents:db").attrs["result"] == "failed");
  CHECK(h.Command("update_dependents:db").message.find("held until the safety record is read") !=
        std::string::npos);
  CHECK(h.Events("safety_load_failed").size() == 1);  // once per 30 failures
  const json app = h.views.back().plan["anchors"][0]["dependents"][0];
  CHECK(app["state"] == "misplaced");
  CHECK(app["detail"].get<std::string>().find("held until the safety record is read") !=
        std::string::npos);

  // Readable again: loaded, then the force-update, its backoff stored first.
  h.swarm.configs.fail_reads = Status::Ok();
  h.clock.Advance(1s);
  h.controller->Poke();
  h.controller->Step();
  CHECK(h.Events("safety_loaded").size() == 1);
  CHECK(h.Writes("service svc-app") == 1);
  CHECK(h.swarm.configs.writes >= 1);
}

TEST_CASE(
    "Controller: remove_all_labels removes only managed labels and suspends them until "
    "relabel_all",
    "[controller]") {
  Harness h;
  h.swarm.nodes = {MakeNode("n1", {{"db", "true"}, {"zone", "a"}, {"keep", "yes"}}),
                   MakeNode("n2", {{"zone", "b"}, {"db", "false"}})};
  h.controller->Step();
  CHECK(h.swarm.writes.size() == 1);  // the stale db label on n2 removed
  h.swarm.writes.clear();
  h.clock.Advance(1s);

  REQUIRE(h.controller->Submit("remove_all_labels", "cli").ok());
  h.controller->Step();
  // n1 keeps only the label nobody configured; n2 (not named by swarm.yml) keeps its zone.
  CHECK(h.Node("n1").labels == std::map<std::string, std::string>{{"keep", "yes"}});
  CHECK(h.Node("n2").labels == std::map<std::string, std::string>{{"zone", "b"}});
  const protocol::Event result = h.Command("remove_all_labels");
  CHECK(result.attrs.at("result") == "ok");
  CHECK(result.message.find("n1: -db -zone") != std::string::npos);
  CHECK(result.message.find("suspended until relabel_all") != std::string::npos);
  CHECK(h.Writes("node ") == 1);

  // The cycles that follow put nothing back, and say why.
  h.controller->Poke();
  CHECK(h.RunFor(3min) >= 3);
  CHECK(h.Writes("node ") == 1);
  CHECK(h.Node("n1").labels.count("db") == 0);
  const json warnings = h.views.back().plan["warnings"];
  CHECK(warnings.dump().find("labels are not managed") != std::string::npos);
  // update_dependents is refused meanwhile: there is no label to follow.
  REQUIRE(h.controller->Submit("update_dependents", "cli").ok());
  h.RunFor(2s);
  CHECK(h.Command("update_dependents").attrs.at("result") == "failed");
  CHECK(h.Writes("service ") == 0);

  REQUIRE(h.controller->Submit("relabel_all", "cli").ok());
  h.RunFor(2s);
  CHECK(h.Node("n1").labels ==
        std::map<std::string, std::string>{{"db", "true"}, {"zone", "a"}, {"keep", "yes"}});
  CHECK(h.Node("n2").labels == std::map<std::string, std::string>{{"zone", "b"}});
}

TEST_CASE("Controller: remove_all_labels on partial data or in dry run removes nothing",
          "[controller]") {
  SECTION("a failed read") {
    Harness h;
    h.controller->Step();
    h.clock.Advance(1s);
    h.swarm.fail_services = true;
    REQUIRE(h.controller->Submit("remove_all_labels", "cli").ok());
    h.controller->Step();
    CHECK(h.swarm.writes.empty());
    CHECK(h.Command("remove_all_labels").attrs.at("result") == "failed");
    CHECK(h.Command("remove_all_labels").message.find("partial data") != std::string::npos);
    // Not suspended: once Swarm answers, labels are kept as usual.
    h.swarm.fail_services = false;
    h.swarm.nodes[0] = MakeNode("n1", {{"zone", "a"}});
    h.controller->Poke();
    h.RunFor(2s);
    CHECK(h.Node("n1").labels.at("db") == "true");
  }
  SECTION("dry run") {
    Harness h(kSwarmYml, /*dry_run=*/true);
    h.controller->Step();
    h.clock.Advance(1s);
    REQUIRE(h.controller->Submit("remove_all_labels", "cli").ok());
    h.controller->Step();
    CHECK(h.swarm.writes.empty());
    CHECK(h.Command("remove_all_labels").attrs.at("result") == "dry_run");
    CHECK(h.Command("remove_all_labels").message.find("would set n1: -db -zone") !=
          std::string::npos);
    CHECK(h.Node("n1").labels.size() == 2);
  }
}

TEST_CASE(
    "Controller: a dependent that cannot follow its anchor is reported once per "
    "configuration",
    "[controller]") {
  Harness h(std::string(kSwarmYml) + "  cache:\n    stack: st\n    services: [web]\n");
  h.swarm.services[1] = MakeService("app", {});  // no constraint, manage_constraints false
  h.controller->Step();
  auto warnings = h.Events("config_warning");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].subject == "st_app");
  CHECK(warnings[0].attrs.at("anchor") == "db");
  CHECK(warnings[0].message.find("node.labels.db==true") != std::string::npos);
  CHECK(warnings[0].message.find("manage_constraints: true") != std::string::npos);
  CHECK(h.RunFor(5min) == 4);  // every RELABEL_TIME
  CHECK(h.Events("config_warning").size() == 1);

  // The service web appears (without the constraint): reported when it appears.
  h.swarm.services.push_back(MakeService("web", {}));
  h.controller->Poke();
  h.RunFor(2s);
  REQUIRE(h.Events("config_warning").size() == 2);
  CHECK(h.Events("config_warning")[1].subject == "st_web");
  CHECK(h.Events("config_warning")[1].attrs.at("anchor") == "cache");

  // A new configuration: both again, once.
  h.dir.Write("swarm.yml",
              std::string(kSwarmYml) + "  cache:\n    stack: st\n    services: [web]\n# changed\n");
  h.RunFor(5s);
  CHECK(h.Events("config_loaded").size() == 2);
  CHECK(h.Events("config_warning").size() == 4);
  h.RunFor(2min);
  CHECK(h.Events("config_warning").size() == 4);
}

}  // namespace
}  // namespace orcastra::leader

namespace orcastra::leader {
namespace {

// A version stored as `orcastra config apply` stores it, directly in the fake Swarm.
void StoreVersion(testing::FakeSwarmApi& swarm, const std::string& swarm_yml,
                  const std::string& by = "alice") {
  ConfigSet set;
  set.files["swarm.yml"] = swarm_yml;
  auto stored = ReadStoredVersions(swarm);
  REQUIRE(stored.ok());
  ApplyPlan plan = PlanApply(set, stored->versions, {by, "", "test"}, 1000, {});
  REQUIRE(plan.kind == ApplyPlan::Kind::kStore);
  REQUIRE(swarm.configs.CreateConfig(plan.name, plan.labels, plan.data).ok());
}

TEST_CASE("Controller: a configuration stored in Swarm wins over the files", "[controller]") {
  Harness h;
  h.RunFor(1s);
  REQUIRE(h.views.back().config_source["source"] == "files");
  CHECK(h.views.back().config->swarm.dependencies.size() == 1);

  // Stored with two anchors; read within kStoreReadPeriod without any event.
  StoreVersion(h.swarm, std::string(kSwarmYml) + "  cache:\n    stack: st\n    services: [web]\n");
  h.RunFor(Controller::kStoreReadPeriod + 3s);
  const ControllerView& view = h.views.back();
  CHECK(view.config_source["source"] == "swarm");
  CHECK(view.config_source["version"]["number"] == 1);
  CHECK(view.config_source["version"]["applied_by"] == "alice");
  CHECK(view.config_source["files_present"] == true);
  CHECK(view.config->swarm.dependencies.size() == 2);
  REQUIRE(view.stored_set != nullptr);
  CHECK(h.Events("config_loaded").back().subject == "orcastra-config-v1");

  SECTION("a config event makes it read at once") {
    StoreVersion(h.swarm, kSwarmYml, "bob");
    h.controller->PokeStore();
    h.RunFor(2s);
    CHECK(h.views.back().config_source["version"]["number"] == 2);
    CHECK(h.views.back().config->swarm.dependencies.size() == 1);
  }
  SECTION("a stored version that does not validate here is refused once; the last good stays") {
    // Stored by hand (an older or newer Orcastra, a hand-made object): labels fine, content bad.
    ConfigSet bad;
    bad.files["swarm.yml"] = "dependencies:\n  db:\n    services: 5\n";
    const std::string bytes = EncodeSet(bad);
    REQUIRE(h.swarm.configs
                .CreateConfig("orcastra-config-v2",
                              {{kLabelVersion, "2"}, {kLabelDigest, Sha256Hex(bytes)}},
                              Base64Encode(bytes))
                .ok());
    h.controller->PokeStore();
    h.RunFor(Controller::kStoreReadPeriod * 3);
    auto refused = h.Events("config_refused");
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].subject == "orcastra-config-v2");
    CHECK_THAT(refused[0].message, Catch::Contains("orcastra-config-v2/swarm.yml:3:"));
    const ControllerView& after = h.views.back();
    CHECK(after.config_source["version"]["number"] == 1);
    CHECK(after.config_source["refused_versions"] == json::array({2}));
    CHECK(after.config->swarm.dependencies.size() == 2);
  }
  SECTION("a failed read keeps what is in force") {
    h.swarm.configs.fail_reads = Status::Unavailable("daemon restarting");
    h.RunFor(Controller::kStoreReadPeriod + 3s);
    CHECK(h.views.back().config_source["source"] == "swarm");
    CHECK_THAT(h.views.back().config_source["store_problem"].get<std::string>(),
               Catch::Contains("daemon restarting"));
  }
  SECTION("every version deleted: back to the files") {
    std::erase_if(h.swarm.configs.objects, [](const auto& entry) {
      return entry.second.name.rfind(kConfigObjectPrefix, 0) == 0;
    });
    h.RunFor(Controller::kStoreReadPeriod + 3s);
    CHECK(h.views.back().config_source["source"] == "files");
    CHECK(h.views.back().config->swarm.dependencies.size() == 1);
  }
}

}  // namespace
}  // namespace orcastra::leader
