// Loading a directory: which form wins, missing files, env overrides, every diagnostic returned.
#include "config/loader.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using testing::FakeEnv;
using testing::Formatted;
using testing::TempDir;

Settings SettingsFor(const TempDir& dir) {
  Settings settings;
  settings.paths = DefaultPaths(dir.path());
  return settings;
}

TEST_CASE("loader: the split form alone loads, like swarm.yml", "[config][loader]") {
  TempDir dir;
  dir.CopyFixture("split/nodes.yml", "nodes.yml");
  dir.CopyFixture("split/dependencies.yml", "dependencies.yml");
  LoadResult split = LoadConfig(SettingsFor(dir));
  CHECK(Formatted(split.diagnostics).empty());
  REQUIRE(split.ok());
  CHECK(split.config->files ==
        std::vector<std::string>{dir.File("nodes.yml"), dir.File("dependencies.yml")});

  TempDir whole_dir;
  whole_dir.CopyFixture("reference/swarm.yml", "swarm.yml");
  LoadResult whole = LoadConfig(SettingsFor(whole_dir));
  REQUIRE(whole.ok());
  CHECK(whole.config->swarm == split.config->swarm);
  CHECK(whole.config->rebalance == RebalanceConfig{});  // no rebalance_config.yml: defaults
}

TEST_CASE("loader: one split file missing is a warning", "[config][loader]") {
  TempDir dir;
  dir.CopyFixture("reference/dependencies.yml", "dependencies.yml");
  LoadResult result = LoadConfig(SettingsFor(dir));
  CHECK(Formatted(result.diagnostics) ==
        std::vector<std::string>{dir.File("nodes.yml") +
                                 ": warning: not found; no static nodes or labels are configured"});
  REQUIRE(result.ok());
  CHECK(result.config->swarm.dependencies.size() == 5);
  CHECK(result.config->swarm.nodes.empty());
}

TEST_CASE("loader: no configuration at all, or no directory, is an error", "[config][loader]") {
  TempDir dir;
  dir.CopyFixture("reference/rebalance_config.yml", "rebalance_config.yml");
  LoadResult none = LoadConfig(SettingsFor(dir));
  CHECK_FALSE(none.ok());
  CHECK(Formatted(none.diagnostics).at(0) ==
        dir.path() + ": error: no configuration file: expected " + dir.File("swarm.yml") + " (or " +
            dir.File("nodes.yml") + " and " + dir.File("dependencies.yml") + ")");
  CHECK(CountErrors(none.diagnostics) == 1);

  Settings missing;
  missing.paths = DefaultPaths(dir.path() + "/does-not-exist");
  LoadResult gone = LoadConfig(missing);
  CHECK_FALSE(gone.ok());
  CHECK(Formatted(gone.diagnostics) ==
        std::vector<std::string>{dir.path() +
                                 "/does-not-exist: error: the configuration directory does not "
                                 "exist (expected " +
                                 dir.path() + "/does-not-exist/swarm.yml)"});
}

TEST_CASE("loader: errors in several files are all returned, no model", "[config][loader]") {
  TempDir dir;
  dir.Write("swarm.yml", "managers: 2\ndependencies:\n  db: [app]\n  db2: [app]\n");
  dir.Write("rebalance_config.yml", "default:\n  threshold_percent: 0\n  bogus: 1\n");
  LoadResult result = LoadConfig(SettingsFor(dir));
  CHECK_FALSE(result.ok());
  CHECK(Formatted(result.diagnostics) ==
        std::vector<std::string>{
            dir.File("swarm.yml") + ":1:11: error: managers: must be an odd number from 1 to 99 "
                                    "(a quorum needs a majority), got 2",
            dir.File("swarm.yml") + ":4:9: error: dependencies.db2[0]: service \"app\" is already "
                                    "a dependent of anchor \"db\" (line 3)",
            dir.File("rebalance_config.yml") +
                ":2:22: error: default.threshold_percent: must be from 1 to 100, got 0",
            dir.File("rebalance_config.yml") +
                ":3:3: warning: default.bogus: unknown key \"bogus\" (ignored)"});
}

TEST_CASE("loader: environment overrides are applied after the files", "[config][loader]") {
  TempDir dir;
  dir.Write("swarm.yml", "options: {prune_unknown_labels: false}\ndependencies:\n  db: [app]\n");
  dir.Write("rebalance_config.yml", "default: {cooldown_minutes: 15, dry_run: false}\n");
  LoadResult result = LoadConfigFromEnv(FakeEnv({{"ORCASTRA_CONFIG_DIR", dir.path()},
                                                 {"PRUNE_UNKNOWN_LABELS", "true"},
                                                 {"RESTART_DEPENDENTS", "false"},
                                                 {"REBALANCE_GLOBAL_COOLDOWN_MINUTES", "10"},
                                                 {"REBALANCE_MONITOR_INTERVAL_SECONDS", "5"},
                                                 {"REBALANCE_DRY_RUN", "true"}}));
  CHECK(result.diagnostics.empty());
  REQUIRE(result.ok());
  const Config& config = *result.config;
  CHECK(config.swarm.options.prune_unknown_labels);
  CHECK_FALSE(config.swarm.dependencies.at(0).restart_dependents);
  // REBALANCE_GLOBAL_COOLDOWN_MINUTES is the cooldown between any two moves, not the
  // per-service one of the file.
  CHECK(config.rebalance.global_cooldown_minutes == 10);
  CHECK(config.rebalance.defaults.cooldown_minutes == 15);
  CHECK(config.rebalance.comonitor_interval_seconds == 5);
  CHECK(config.rebalance.defaults.dry_run);
  CHECK(config.settings.paths.dir == dir.path());

  // A bad variable refuses the configuration like a bad file does.
  LoadResult bad =
      LoadConfigFromEnv(FakeEnv({{"ORCASTRA_CONFIG_DIR", dir.path()}, {"RELABEL_TIME", "abc"}}));
  CHECK_FALSE(bad.ok());
  CHECK(Formatted(bad.diagnostics) ==
        std::vector<std::string>{"environment: error: RELABEL_TIME: \"abc\" is not a duration "
                                 "(seconds, or a number with ms, s, m or h)"});
}

TEST_CASE("loader: pure decision from in-memory sources", "[config][loader]") {
  ConfigSources sources;
  sources.paths = DefaultPaths("/cfg");
  sources.swarm = SourceFile{"/cfg/swarm.yml", "dependencies:\n  db: [app]\n"};
  sources.nodes = SourceFile{"/cfg/nodes.yml", "this is: [not even read"};
  LoadResult result = LoadFromSources(sources, Settings{});
  // nodes.yml is ignored, so its syntax error does not count.
  CHECK(Formatted(result.diagnostics) ==
        std::vector<std::string>{"/cfg/nodes.yml: warning: ignored: /cfg/swarm.yml exists and "
                                 "takes precedence over the split nodes.yml + dependencies.yml "
                                 "form"});
  REQUIRE(result.ok());
  CHECK(result.config->swarm.dependencies.size() == 1);

  sources.read_errors.push_back(
      {Severity::kError, "/cfg/rebalance_config.yml", 0, 0, "", "cannot read: Permission denied"});
  CHECK_FALSE(LoadFromSources(sources, Settings{}).ok());
}

}  // namespace
}  // namespace orcastra::config
