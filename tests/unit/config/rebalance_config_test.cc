// rebalance_config.yml: new keys, per-service overrides, validation with positions.
#include "config/rebalance_config.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using testing::Formatted;

std::vector<std::string> Problems(const std::string& text) {
  return Formatted(ParseRebalanceYaml(text, "rebalance_config.yml").diagnostics);
}

TEST_CASE("rebalance: new keys and partial per-service overrides", "[config][rebalance]") {
  const std::string text = R"(comonitor_interval_seconds: 60
global_cooldown_minutes: 3
default:
  cooldown_minutes: 20
  threshold_percent: 90.5
  psi_threshold: 12
  moves_per_hour: 2
  dry_run: true
services:
  big_db:
    sustained_high_minutes: 30
    dry_run: false
  quiet:
)";
  RebalanceParse parse = ParseRebalanceYaml(text, "rebalance_config.yml");
  CHECK(parse.diagnostics.empty());
  REQUIRE(parse.config);
  const RebalanceConfig& r = *parse.config;
  CHECK(r.comonitor_interval_seconds == 60);
  CHECK(r.global_cooldown_minutes == 3);
  CHECK(r.defaults == RebalancePolicy{20, 10, 2, 90.5, 12, 2, true});
  CHECK(r.PolicyFor("big_db") == RebalancePolicy{20, 30, 2, 90.5, 12, 2, false});
  CHECK(r.PolicyFor("quiet") == r.defaults);
  CHECK(r.services.count("quiet") == 1);
}

TEST_CASE("rebalance: minutes may be fractional", "[config][rebalance]") {
  RebalanceParse parse = ParseRebalanceYaml(R"(global_cooldown_minutes: 0.25
default:
  sustained_high_minutes: 0.5
  cooldown_minutes: 1.5
services:
  db: {cooldown_minutes: 0}
)",
                                            "rebalance_config.yml");
  CHECK(parse.diagnostics.empty());
  REQUIRE(parse.config);
  CHECK(parse.config->global_cooldown_minutes == 0.25);
  CHECK(parse.config->defaults.sustained_high_minutes == 0.5);
  CHECK(parse.config->defaults.cooldown_minutes == 1.5);
  CHECK(parse.config->PolicyFor("db").cooldown_minutes == 0);
  CHECK(Problems("global_cooldown_minutes: 1e6\n") ==
        std::vector<std::string>{"rebalance_config.yml:1:26: error: global_cooldown_minutes: must "
                                 "be from 0 to 100000, got 1e+06"});
}

TEST_CASE("rebalance: invalid values and types, all reported", "[config][rebalance]") {
  const std::string text = R"(comonitor_interval_seconds: 0
global_cooldown_minutes: -2
default:
  cooldown_minutes: -1
  threshold_percent: 150
  memory_difference_gb: lots
  psi_threshold: 101
  moves_per_hour: 1.5
services:
  db:
    cooldown_minutes: "30"
    colldown_minutes: 5
  "bad name": {}
)";
  RebalanceParse parse = ParseRebalanceYaml(text, "rebalance_config.yml");
  CHECK_FALSE(parse.config);
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "rebalance_config.yml:1:29: error: comonitor_interval_seconds: must be from 1 to "
            "86400 seconds, got 0",
            "rebalance_config.yml:2:26: error: global_cooldown_minutes: must be from 0 to 100000, "
            "got -2",
            "rebalance_config.yml:4:21: error: default.cooldown_minutes: must be from 0 to "
            "100000, got -1",
            "rebalance_config.yml:5:22: error: default.threshold_percent: must be from 1 to 100, "
            "got 150",
            "rebalance_config.yml:6:25: error: default.memory_difference_gb: expected a number, "
            "got \"lots\"",
            "rebalance_config.yml:7:18: error: default.psi_threshold: must be from 0 to 100, got "
            "101",
            "rebalance_config.yml:8:19: error: default.moves_per_hour: expected an integer, got "
            "\"1.5\"",
            "rebalance_config.yml:11:23: error: services.db.cooldown_minutes: expected a "
            "number, got the quoted string \"30\"",
            "rebalance_config.yml:12:5: warning: services.db.colldown_minutes: unknown key "
            "\"colldown_minutes\" (ignored); did you mean \"cooldown_minutes\"?",
            "rebalance_config.yml:13:3: error: services.bad name: service name \"bad name\" is "
            "not a valid name (letters, digits, \"_\", \".\" and \"-\", starting with a letter "
            "or digit)"});
}

TEST_CASE("rebalance: node_exporter keys warn, never fail; empty file gives defaults",
          "[config][rebalance]") {
  RebalanceParse parse = ParseRebalanceYaml(
      "node_map: {a: b}\nnode_exporter_nodes:\n  - whatever: [1, 2]\n", "rebalance_config.yml");
  REQUIRE(parse.config);
  CHECK(parse.diagnostics.size() == 2);
  CHECK(parse.diagnostics[0].severity == Severity::kWarning);
  CHECK(parse.diagnostics[0].field == "node_map");
  CHECK(parse.diagnostics[1].line == 2);

  RebalanceParse empty = ParseRebalanceYaml("# nothing yet\n", "rebalance_config.yml");
  REQUIRE(empty.config);
  CHECK(*empty.config == RebalanceConfig{});
  CHECK(Formatted(empty.diagnostics) ==
        std::vector<std::string>{"rebalance_config.yml: warning: the file is empty; using the "
                                 "default rebalance settings"});

  CHECK(Problems("- a\n") ==
        std::vector<std::string>{
            "rebalance_config.yml:1:1: error: expected a map at the top "
            "level (comonitor_interval_seconds, global_cooldown_minutes, default, services), got a "
            "list"});
  CHECK(Problems("default: 5\n") ==
        std::vector<std::string>{"rebalance_config.yml:1:10: error: default: expected a map (key: "
                                 "value pairs), got \"5\""});
}

}  // namespace
}  // namespace orcastra::config
