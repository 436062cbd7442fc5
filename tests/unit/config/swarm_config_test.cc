// swarm.yml / nodes.yml + dependencies.yml: every validation rule, with exact positions.
#include "config/swarm_config.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using std::chrono::seconds;
using testing::Formatted;

std::vector<std::string> Problems(const std::string& text, const SwarmDefaults& defaults = {}) {
  return Formatted(ParseSwarmYaml(text, "swarm.yml", defaults).diagnostics);
}

TEST_CASE("swarm: wrong types and invalid values, every one reported", "[config][swarm]") {
  const std::string text = R"(nodes:
  n1:
    ip: [1, 2]
    labels: zfs
    role: boss
options:
  prune_unknown_labels: maybe
managers: 4
anchor_label: "anchor-x"
dependencies:
  db:
    restart_dependents: "yes"
    retry_intervals: [2, -5, ten]
    services: [app, ""]
)";
  SwarmParse parse = ParseSwarmYaml(text, "swarm.yml");
  CHECK_FALSE(parse.config.has_value());
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "swarm.yml:3:9: error: nodes.n1.ip: expected a string, got a list",
            "swarm.yml:4:13: error: nodes.n1.labels: expected a list of labels ([zfs, ssd, "
            "zone=eu]), got \"zfs\"",
            "swarm.yml:5:11: error: nodes.n1.role: expected \"manager\" or \"worker\", got "
            "\"boss\"",
            "swarm.yml:7:25: error: options.prune_unknown_labels: expected true or false, got "
            "\"maybe\"",
            "swarm.yml:8:11: error: managers: must be an odd number from 1 to 99 (a quorum needs "
            "a majority), got 4",
            "swarm.yml:9:15: error: anchor_label: must contain the placeholder \"{anchor}\", got "
            "\"anchor-x\"",
            "swarm.yml:12:25: error: dependencies.db.restart_dependents: expected true or false, "
            "got the quoted string \"yes\"",
            "swarm.yml:13:26: error: dependencies.db.retry_intervals[1]: must be a positive "
            "number of seconds, got -5",
            "swarm.yml:13:30: error: dependencies.db.retry_intervals[2]: expected an integer, got "
            "\"ten\"",
            "swarm.yml:14:21: error: dependencies.db.services[1]: service name must not be "
            "empty",
        });
  // The same as a Diagnostic, field by field.
  const Diagnostic& interval = parse.diagnostics[7];
  CHECK(interval.severity == Severity::kError);
  CHECK(interval.file == "swarm.yml");
  CHECK(interval.line == 13);
  CHECK(interval.column == 26);
  CHECK(interval.field == "dependencies.db.retry_intervals[1]");
  CHECK(interval.message == "must be a positive number of seconds, got -5");
}

TEST_CASE("swarm: more invalid values", "[config][swarm]") {
  CHECK(Problems("managers: 0\n") ==
        std::vector<std::string>{"swarm.yml:1:11: error: managers: must be an odd number from 1 "
                                 "to 99 (a quorum needs a majority), got 0"});
  CHECK(Problems("managers: three\n") ==
        std::vector<std::string>{"swarm.yml:1:11: error: managers: expected an integer, got "
                                 "\"three\""});
  CHECK(Problems("nodes:\n  n1: {ip: 300.1.1.1}\n") ==
        std::vector<std::string>{
            "swarm.yml:2:12: error: nodes.n1.ip: \"300.1.1.1\" is not an IPv4 or IPv6 address"});
  CHECK(Problems("dependencies:\n  db:\n    retry_intervals: []\n    services: [a]\n") ==
        std::vector<std::string>{"swarm.yml:3:22: error: dependencies.db.retry_intervals: must "
                                 "not be empty (it is the backoff schedule)"});
  CHECK(Problems("dependencies:\n  db: {retry_intervals: [0], services: [a]}\n") ==
        std::vector<std::string>{"swarm.yml:2:26: error: dependencies.db.retry_intervals[0]: "
                                 "must be a positive number of seconds, got 0"});
  CHECK(Problems("dependencies:\n  db: [my app]\n") ==
        std::vector<std::string>{
            "swarm.yml:2:8: error: dependencies.db[0]: service name \"my app\" is not a valid "
            "name (letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit)"});
  CHECK(Problems("dependencies:\n  db: {stack: \"\", services: [a]}\n") ==
        std::vector<std::string>{
            "swarm.yml:2:15: error: dependencies.db.stack: stack name must not be empty"});
  CHECK(Problems("dependencies:\n  db: yes\n") ==
        std::vector<std::string>{
            "swarm.yml:2:7: error: dependencies.db: expected a map (stack, restart_dependents, "
            "retry_intervals, services) or a list of dependents, got \"yes\""});
  CHECK(Problems("anchor_label: \"{anchor} x\"\n") ==
        std::vector<std::string>{"swarm.yml:1:15: error: anchor_label: \"{anchor} x\" is not a "
                                 "valid label key (no spaces or \"=\")"});
  CHECK(Problems("nodes:\n  n1:\n    labels: [\"\", \"=x\", \"a b\"]\n") ==
        std::vector<std::string>{
            "swarm.yml:3:14: error: nodes.n1.labels[0]: label must not be empty",
            "swarm.yml:3:18: error: nodes.n1.labels[1]: \"=x\" has an empty label key",
            "swarm.yml:3:24: error: nodes.n1.labels[2]: \"a b\" is not a valid label (no "
            "spaces)"});
}

TEST_CASE("swarm: missing required services", "[config][swarm]") {
  CHECK(Problems("dependencies:\n  db:\n    stack: s\n") ==
        std::vector<std::string>{"swarm.yml:2:3: error: dependencies.db: missing required key "
                                 "\"services\" (the dependents of this anchor)"});
}

TEST_CASE("swarm: a service may follow only one anchor", "[config][swarm]") {
  const std::string text = R"(dependencies:
  db1:
    services: [app, cache]
  db2:
    services:
    - worker
    - app
)";
  CHECK(Problems(text) ==
        std::vector<std::string>{"swarm.yml:7:7: error: dependencies.db2.services[1]: service "
                                 "\"app\" is already a dependent of anchor \"db1\" (line 3)"});
  // Listed twice under the same anchor.
  CHECK(Problems("dependencies:\n  db: [app, app]\n") ==
        std::vector<std::string>{"swarm.yml:2:13: error: dependencies.db[1]: service \"app\" is "
                                 "listed twice (first at line 2)"});
  // The same name in two stacks is two services.
  CHECK(Problems("dependencies:\n  db1: {stack: a, services: [app]}\n  db2: {stack: b, services: "
                 "[app]}\n")
            .empty());
  // Without `stack`, STACK_NAME decides.
  CHECK(Problems("dependencies:\n  db1: {stack: swarm-dev, services: [app]}\n  db2: [app]\n")
            .size() == 1);
  CHECK(Problems("dependencies:\n  db1: {stack: swarm-dev, services: [app]}\n  db2: [app]\n",
                 SwarmDefaults{true, "other"})
            .empty());
}

TEST_CASE("swarm: an anchor cannot depend on itself, directly or in a cycle", "[config][swarm]") {
  CHECK(Problems("dependencies:\n  db:\n    services: [app, db]\n") ==
        std::vector<std::string>{"swarm.yml:3:21: error: dependencies.db.services[1]: anchor "
                                 "\"db\" lists itself as its own dependent"});
  const std::string cycle = R"(dependencies:
  a: [b]
  b: [c]
  c: [a]
  d: [e]
)";
  CHECK(Problems(cycle) ==
        std::vector<std::string>{"swarm.yml:2:3: error: dependencies.a: dependency cycle: a -> b "
                                 "-> c -> a (\"->\" reads \"has the dependent\")"});
  // A chain is fine (the Python project's dependencies.yml has couchdb -> swarmpit -> agent).
  CHECK(Problems("dependencies:\n  a: [b]\n  b: [c]\n").empty());
}

TEST_CASE("swarm: duplicate anchors and nodes are errors", "[config][swarm]") {
  const std::string text = R"(nodes:
  n1: {}
  n1: {ip: 10.0.0.1}
dependencies:
  db: [app]
  db: [other]
)";
  CHECK(Problems(text) ==
        std::vector<std::string>{
            "swarm.yml:3:3: error: nodes.n1: duplicate key \"n1\" (first at line 2, column 3)",
            "swarm.yml:6:3: error: dependencies.db: duplicate key \"db\" (first at line 5, "
            "column 3)"});
}

TEST_CASE("swarm: unknown keys are warnings with position; the model is still returned",
          "[config][swarm]") {
  const std::string text = R"(nodes:
  n1:
    ip: 10.0.0.1
    lables: [zfs]
optoins: {}
dependencies:
  db:
    services: [app]
    retry_interval: [1]
    colour: blue
)";
  SwarmParse parse = ParseSwarmYaml(text, "swarm.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "swarm.yml:4:5: warning: nodes.n1.lables: unknown key \"lables\" (ignored); did you "
            "mean \"labels\"?",
            "swarm.yml:5:1: warning: optoins: unknown key \"optoins\" (ignored); did you mean "
            "\"options\"?",
            "swarm.yml:9:5: warning: dependencies.db.retry_interval: unknown key "
            "\"retry_interval\" (ignored); did you mean \"retry_intervals\"?",
            "swarm.yml:10:5: warning: dependencies.db.colour: unknown key \"colour\" (ignored)"});
  REQUIRE(parse.config);
  CHECK(parse.config->nodes.at("n1").labels.empty());
  CHECK(parse.config->dependencies.at(0).retry_intervals == kDefaultRetryIntervals);
}

TEST_CASE("swarm: the top level must be a map; dropped content is reported", "[config][swarm]") {
  CHECK(Problems("- a\nb: c\n") ==
        std::vector<std::string>{
            "swarm.yml:1:1: error: expected a map at the top level (nodes, options, "
            "dependencies, ...), got a list",
            "swarm.yml:2:1: error: content after the end of the document (not part of it; "
            "check the indentation)"});
  CHECK(Problems("just text\n") ==
        std::vector<std::string>{"swarm.yml:1:1: error: expected a map at the top level (nodes, "
                                 "options, dependencies, ...), got \"just text\""});
  CHECK(Problems("") ==
        std::vector<std::string>{"swarm.yml: error: the file is empty (a file being written, or "
                                 "truncated?); write {} for a deliberately empty one"});
  CHECK(Problems("# only a comment\n").size() == 1);
  CHECK(Problems("{}\n").empty());
}

TEST_CASE("swarm: syntax errors stop the file's checks but are positioned", "[config][swarm]") {
  CHECK(Problems("nodes:\n  n1: {ip: 10.0.0.1\n") ==
        std::vector<std::string>{"swarm.yml:3:1: error: syntax error: end of map flow not found"});
}

TEST_CASE("swarm: a static label cannot be an anchor label", "[config][swarm]") {
  const std::string text = R"(nodes:
  n1:
    labels: [zfs, gitea_db]
dependencies:
  gitea_db: [gitea]
)";
  CHECK(Problems(text) ==
        std::vector<std::string>{
            "swarm.yml:3:19: error: nodes.n1.labels[1]: label \"gitea_db\" is the label of anchor "
            "\"gitea_db\", which Orcastra moves to the anchor's node; it cannot be a static "
            "label"});
  // With another anchor_label format there is no clash.
  CHECK(Problems(text + "anchor_label: \"orcastra.anchor.{anchor}\"\n").empty());
}

TEST_CASE("swarm: new keys, list form, labels with values, roles, defaults", "[config][swarm]") {
  const std::string text = R"(managers: 3
anchor_label: "orcastra.anchor.{anchor}"
nodes:
  m1:
    role: manager
    labels: [zfs, zone=eu, zfs]
  w1:
    role: worker
  bare:
dependencies:
  db: [app, worker]
  cache:
    manage_constraints: true
    retry_intervals: [5]
    services: [web]
)";
  SwarmParse parse = ParseSwarmYaml(text, "swarm.yml", SwarmDefaults{false, "prod"});
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "swarm.yml:6:28: warning: nodes.m1.labels[2]: label \"zfs\" is listed twice"});
  REQUIRE(parse.config);
  const SwarmConfig& swarm = *parse.config;
  CHECK(swarm.managers == 3);
  CHECK(swarm.AnchorLabelKey("db") == "orcastra.anchor.db");
  CHECK(swarm.nodes.at("m1").role == NodeRole::kManager);
  CHECK(swarm.nodes.at("w1").role == NodeRole::kWorker);
  CHECK(swarm.nodes.at("m1").LabelMap() ==
        std::map<std::string, std::string>{{"zfs", "true"}, {"zone", "eu"}});
  CHECK(swarm.nodes.at("bare") == NodeSpec{"bare", std::nullopt, {}, std::nullopt});
  REQUIRE(swarm.dependencies.size() == 2);
  const Anchor& db = swarm.dependencies[0];
  CHECK(db.list_form);
  CHECK(db.services == std::vector<std::string>{"app", "worker"});
  CHECK_FALSE(db.restart_dependents);  // from RESTART_DEPENDENTS (the defaults given)
  CHECK(db.retry_intervals == kDefaultRetryIntervals);
  CHECK_FALSE(db.manage_constraints);
  const Anchor& cache = swarm.dependencies[1];
  CHECK_FALSE(cache.list_form);
  CHECK(cache.manage_constraints);
  CHECK(cache.retry_intervals == std::vector<seconds>{seconds(5)});
  CHECK(NodeRoleName(NodeRole::kManager) == "manager");

  CHECK(Problems("nodes:\n  n1:\n    labels: [zone=eu, zone=us]\n") ==
        std::vector<std::string>{"swarm.yml:3:23: error: nodes.n1.labels[1]: label \"zone\" is "
                                 "set twice with different values (\"eu\" and \"us\")"});
}

TEST_CASE("swarm: PyYAML booleans keep their meaning", "[config][swarm]") {
  SwarmParse parse = ParseSwarmYaml(
      "options: {prune_unknown_labels: yes}\ndependencies:\n  db: {restart_dependents: off, "
      "services: [a]}\n",
      "swarm.yml");
  REQUIRE(parse.config);
  CHECK(parse.config->options.prune_unknown_labels);
  CHECK_FALSE(parse.config->dependencies[0].restart_dependents);
}

TEST_CASE("swarm split form: problems name their own file", "[config][swarm]") {
  SwarmParse parse = ParseSplitSwarmYaml(
      SplitFile{"nodes.yml", "nodes:\n  n1:\n    labels: [db]\ndependencies: {}\n"},
      SplitFile{"dependencies.yml", "db: [app]\nother:\n  services: [app]\n"});
  CHECK_FALSE(parse.config);
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "nodes.yml:3:14: error: nodes.n1.labels[0]: label \"db\" is the label of anchor "
            "\"db\", which Orcastra moves to the anchor's node; it cannot be a static label",
            "nodes.yml:4:1: warning: dependencies: unknown key \"dependencies\" (ignored)",
            "dependencies.yml:3:14: error: other.services[0]: service \"app\" is already a "
            "dependent of anchor \"db\" (line 1)"});
  // One file missing: its half stays empty.
  SwarmParse nodes_only =
      ParseSplitSwarmYaml(SplitFile{"nodes.yml", "nodes:\n  n1: {}\n"}, std::nullopt);
  REQUIRE(nodes_only.config);
  CHECK(nodes_only.config->dependencies.empty());
  CHECK(nodes_only.config->nodes.size() == 1);
  // An empty dependencies.yml is an error, like an empty swarm.yml.
  SwarmParse empty = ParseSplitSwarmYaml(std::nullopt, SplitFile{"dependencies.yml", "\n"});
  CHECK(Formatted(empty.diagnostics) ==
        std::vector<std::string>{"dependencies.yml: error: the file is empty (a file being "
                                 "written, or truncated?); write {} for a deliberately empty "
                                 "one"});
}

}  // namespace
}  // namespace orcastra::config
