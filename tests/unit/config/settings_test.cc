// Environment variables: the Python Orcastra's names and defaults, and bad values.
#include "config/settings.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using namespace std::chrono_literals;
using testing::FakeEnv;
using testing::Formatted;

SettingsRequest NoDirectories() {
  SettingsRequest request;
  request.dir_exists = [](const std::string&) { return false; };
  return request;
}

TEST_CASE("settings: defaults with an empty environment", "[config][settings]") {
  SettingsResult result = SettingsFromEnv(FakeEnv({}), NoDirectories());
  CHECK(result.diagnostics.empty());
  const Settings& s = result.settings;
  CHECK(s == Settings{});
  CHECK(s.paths.dir == "/etc/orcastra");
  CHECK(s.paths.swarm_file == "/etc/orcastra/swarm.yml");
  CHECK(s.paths.nodes_file == "/etc/orcastra/nodes.yml");
  CHECK(s.paths.dependencies_file == "/etc/orcastra/dependencies.yml");
  CHECK(s.paths.rebalance_file == "/etc/orcastra/rebalance_config.yml");
  CHECK(s.stack_name == "swarm-dev");
  CHECK(s.event_mode);
  CHECK(s.polling_mode);
  CHECK(s.relabel_time == 60s);
  CHECK(s.loop_interval == 300s);
  CHECK_FALSE(s.dry_run);
  CHECK(s.restart_dependents);
  CHECK_FALSE(s.prune_unknown_labels.has_value());
  CHECK(s.command_file == "/tmp/swarm-orchestration.command.yml");
  CHECK(s.rebalance == RebalanceEnv{});
  CHECK(s.max_mismatch_duration == 600s);
}

TEST_CASE("settings: every variable overrides its default", "[config][settings]") {
  SettingsResult result = SettingsFromEnv(FakeEnv({
                                              {"ORCASTRA_CONFIG_DIR", "/srv/orc"},
                                              {"SWARM_FILE", "cluster.yml"},
                                              {"NODES_FILE", "/elsewhere/nodes.yml"},
                                              {"DEPENDENCIES_FILE", "deps.yml"},
                                              {"REBALANCE_CONFIG", "/r.yml"},
                                              {"COMMAND_FILE", "/mnt/commands/cmd.yml"},
                                              {"STACK_NAME", "prod"},
                                              {"EVENT_MODE", "false"},
                                              {"POLLING_MODE", "TRUE"},
                                              {"RELABEL_TIME", "30"},
                                              {"LOOP_INTERVAL", "2m"},
                                              {"DRY_RUN", "1"},
                                              {"RUN_ONCE", "no"},
                                              {"RESTART_DEPENDENTS", "false"},
                                              {"PRUNE_UNKNOWN_LABELS", "true"},
                                              {"REBALANCE_MONITOR_INTERVAL_SECONDS", "45"},
                                              {"REBALANCE_GLOBAL_COOLDOWN_MINUTES", "10"},
                                              {"REBALANCE_GLOBAL_MEM_THRESHOLD_PERCENT", "80.5"},
                                              {"REBALANCE_SUSTAINED_HIGH_MINUTES", "5"},
                                              {"REBALANCE_MEMORY_DIFFERENCE_GB", "1.5"},
                                              {"REBALANCE_PSI_THRESHOLD", "25"},
                                              {"REBALANCE_MOVES_PER_HOUR", "6"},
                                              {"REBALANCE_DRY_RUN", "on"},
                                              {"MAX_MISMATCH_DURATION", "5m"},
                                          }),
                                          NoDirectories());
  CHECK(result.diagnostics.empty());
  const Settings& s = result.settings;
  CHECK(s.paths == ConfigPaths{"/srv/orc", "/srv/orc/cluster.yml", "/elsewhere/nodes.yml",
                               "/srv/orc/deps.yml", "/r.yml"});
  CHECK(s.command_file == "/mnt/commands/cmd.yml");
  CHECK(s.stack_name == "prod");
  CHECK_FALSE(s.event_mode);
  CHECK(s.polling_mode);
  CHECK(s.relabel_time == 30s);
  CHECK(s.loop_interval == 120s);
  CHECK(s.dry_run);
  CHECK_FALSE(s.restart_dependents);
  CHECK(s.prune_unknown_labels == true);
  CHECK(s.rebalance == RebalanceEnv{45, 10, 80.5, 5, 1.5, 25, 6, true});
  CHECK(s.max_mismatch_duration == 300s);
}

TEST_CASE("settings: a bad value is an error naming the variable; the default stays",
          "[config][settings]") {
  SettingsResult result = SettingsFromEnv(FakeEnv({
                                              {"RELABEL_TIME", "abc"},
                                              {"LOOP_INTERVAL", "500ms"},
                                              {"DRY_RUN", "maybe"},
                                              {"STACK_NAME", "my stack"},
                                              {"REBALANCE_GLOBAL_COOLDOWN_MINUTES", "ten"},
                                              {"REBALANCE_GLOBAL_MEM_THRESHOLD_PERCENT", "120"},
                                              {"REBALANCE_MEMORY_DIFFERENCE_GB", "x1"},
                                          }),
                                          NoDirectories());
  CHECK(Formatted(result.diagnostics) ==
        std::vector<std::string>{
            "environment: error: STACK_NAME: stack name \"my stack\" is not a valid name "
            "(letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit)",
            "environment: error: RELABEL_TIME: \"abc\" is not a duration (seconds, or a number "
            "with ms, s, m or h)",
            "environment: error: LOOP_INTERVAL: must be at least 1s, got \"500ms\"",
            "environment: error: DRY_RUN: \"maybe\" is not a boolean (use true or false)",
            "environment: error: REBALANCE_GLOBAL_COOLDOWN_MINUTES: \"ten\" is not a "
            "number",
            "environment: error: REBALANCE_GLOBAL_MEM_THRESHOLD_PERCENT: must be from 1 to 100, "
            "got 120",
            "environment: error: REBALANCE_MEMORY_DIFFERENCE_GB: \"x1\" is not a number"});
  const Diagnostic& relabel = result.diagnostics[1];
  CHECK(relabel.file == "environment");
  CHECK(relabel.line == 0);
  CHECK(relabel.field == "RELABEL_TIME");
  CHECK(result.settings.relabel_time == 60s);
  CHECK_FALSE(result.settings.dry_run);
  CHECK(result.settings.stack_name == "swarm-dev");
}

// Issue 8: RUN_ONCE was parsed and did nothing. The leader is an elected, long-running Swarm
// service, so it is refused rather than silently ignored (doc/configuration.md).
TEST_CASE("settings: RUN_ONCE=true is refused, MAX_MISMATCH_DURATION bounds a move",
          "[config][settings]") {
  SettingsResult once = SettingsFromEnv(FakeEnv({{"RUN_ONCE", "true"}}), NoDirectories());
  CHECK(Formatted(once.diagnostics) ==
        std::vector<std::string>{
            "environment: error: RUN_ONCE: not supported: the leader runs until stopped (Swarm "
            "would restart it after one pass); for one pass now use `orcastra command "
            "relabel_all`, to see what a pass would do use `orcastra plan`"});
  CHECK(Formatted(SettingsFromEnv(FakeEnv({{"RUN_ONCE", "false"}}), NoDirectories()).diagnostics)
            .empty());
  CHECK(Formatted(
            SettingsFromEnv(FakeEnv({{"RUN_ONCE", "sometimes"}}), NoDirectories()).diagnostics) ==
        std::vector<std::string>{
            "environment: error: RUN_ONCE: \"sometimes\" is not a boolean (use true or false)"});
  // MAX_MISMATCH_DURATION bounds a rebalancing move (doc/rebalance.md): a number of seconds as in
  // the Python Orcastra, range-checked.
  SettingsResult mismatch =
      SettingsFromEnv(FakeEnv({{"MAX_MISMATCH_DURATION", "600"}}), NoDirectories());
  CHECK(mismatch.diagnostics.empty());
  CHECK(mismatch.settings.max_mismatch_duration == 600s);
  CHECK(Formatted(SettingsFromEnv(FakeEnv({{"MAX_MISMATCH_DURATION", "5s"}}), NoDirectories())
                      .diagnostics) ==
        std::vector<std::string>{
            "environment: error: MAX_MISMATCH_DURATION: must be at least 10s, got \"5s\""});
}

TEST_CASE("settings: durations are range-checked", "[config][settings][bounds]") {
  SettingsResult result = SettingsFromEnv(
      FakeEnv({{"RELABEL_TIME", "25h"}, {"LOOP_INTERVAL", "nan"}}), NoDirectories());
  CHECK(Formatted(result.diagnostics) ==
        std::vector<std::string>{
            "environment: error: RELABEL_TIME: must be at most 24h, got \"25h\"",
            "environment: error: LOOP_INTERVAL: \"nan\" is not a duration (seconds, or a number "
            "with ms, s, m or h)"});
  CHECK(result.settings.relabel_time == 60s);
  CHECK(
      SettingsFromEnv(FakeEnv({{"RELABEL_TIME", "24h"}}), NoDirectories()).settings.relabel_time ==
      24h);
}

TEST_CASE("settings: empty values count as unset; both modes off is refused",
          "[config][settings]") {
  SettingsResult empty =
      SettingsFromEnv(FakeEnv({{"RELABEL_TIME", ""}, {"STACK_NAME", ""}}), NoDirectories());
  CHECK(empty.diagnostics.empty());
  CHECK(empty.settings.relabel_time == 60s);
  SettingsResult off = SettingsFromEnv(
      FakeEnv({{"EVENT_MODE", "false"}, {"POLLING_MODE", "false"}}), NoDirectories());
  CHECK(Formatted(off.diagnostics) ==
        std::vector<std::string>{"environment: error: POLLING_MODE: EVENT_MODE and POLLING_MODE "
                                 "are both false: nothing would ever reconcile"});
}

TEST_CASE("settings: configuration directory resolution", "[config][settings]") {
  SettingsRequest legacy_only;
  legacy_only.dir_exists = [](const std::string& dir) { return dir == kLegacyConfigDir; };
  SettingsResult legacy = SettingsFromEnv(FakeEnv({}), legacy_only);
  CHECK(legacy.settings.paths == DefaultPaths("/etc/swarm-orchestration"));
  CHECK(Formatted(legacy.diagnostics) ==
        std::vector<std::string>{"environment: warning: ORCASTRA_CONFIG_DIR: unset and "
                                 "/etc/orcastra does not exist; using /etc/swarm-orchestration "
                                 "(the Python Orcastra's directory)"});

  SettingsRequest both;
  both.dir_exists = [](const std::string&) { return true; };
  CHECK(SettingsFromEnv(FakeEnv({}), both).settings.paths.dir == "/etc/orcastra");

  // An explicit directory wins and the *_FILE variables are ignored, with a warning.
  SettingsRequest explicit_dir = NoDirectories();
  explicit_dir.explicit_dir = "/tmp/check";
  SettingsResult checked = SettingsFromEnv(
      FakeEnv({{"ORCASTRA_CONFIG_DIR", "/srv/orc"}, {"SWARM_FILE", "/other/swarm.yml"}}),
      explicit_dir);
  CHECK(checked.settings.paths == DefaultPaths("/tmp/check"));
  CHECK(Formatted(checked.diagnostics) ==
        std::vector<std::string>{"environment: warning: SWARM_FILE: ignored: reading the "
                                 "directory given on the command line (/tmp/check)"});
  CHECK(DefaultPaths("/x/").swarm_file == "/x/swarm.yml");
}

}  // namespace
}  // namespace orcastra::config
