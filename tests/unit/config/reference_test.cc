// Every example file users already have (tests/fixtures/config/reference, verbatim from the
// Python Orcastra) loads, with the exact values in it.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>

#include "config/command_file.h"
#include "config/loader.h"
#include "config/rebalance_config.h"
#include "config/swarm_config.h"
#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using std::chrono::seconds;
using testing::FixturePath;
using testing::Formatted;
using testing::ReadFixture;

const std::vector<seconds> kPythonIntervals = {seconds(2), seconds(10), seconds(60), seconds(300),
                                               seconds(900)};

TEST_CASE("reference swarm.yml: 8 nodes, 18 anchors, 30 dependents, no diagnostic",
          "[config][reference]") {
  SwarmParse parse = ParseSwarmYaml(ReadFixture("reference/swarm.yml"), "swarm.yml");
  CHECK(Formatted(parse.diagnostics).empty());
  REQUIRE(parse.config);
  const SwarmConfig& swarm = *parse.config;

  CHECK(swarm.leader == "hl-core-ubuntu");
  CHECK(swarm.advertise_addr == "192.168.69.119");
  CHECK_FALSE(swarm.managers.has_value());
  CHECK(swarm.anchor_label == "{anchor}");
  CHECK_FALSE(swarm.options.prune_unknown_labels);

  REQUIRE(swarm.nodes.size() == 8);
  const NodeSpec& core = swarm.nodes.at("hl-core-ubuntu");
  CHECK(core.hostname == "hl-core-ubuntu");
  CHECK(core.ip == "192.168.69.119");
  CHECK(core.labels ==
        std::vector<std::string>{"hl-core-ubuntu", "testing", "homelab", "ubuntu", "ext4"});
  CHECK_FALSE(core.role.has_value());
  CHECK(core.LabelMap() == std::map<std::string, std::string>{{"ext4", "true"},
                                                              {"hl-core-ubuntu", "true"},
                                                              {"homelab", "true"},
                                                              {"testing", "true"},
                                                              {"ubuntu", "true"}});
  CHECK(swarm.nodes.at("rthinkpad").ip == "192.168.69.151");
  CHECK(swarm.nodes.at("rthinkpad").labels == std::vector<std::string>{"rthinkpad", "tdarr-wide"});
  CHECK(swarm.nodes.at("hl-node03-proxmox").labels.front() == "hl-node-03-proxmox");

  REQUIRE(swarm.dependencies.size() == 18);
  CHECK(swarm.DependentCount() == 30);
  std::vector<std::string> names;
  for (const auto& anchor : swarm.dependencies) names.push_back(anchor.name);
  CHECK(names == std::vector<std::string>{"ollama", "bitwarden_db", "nextcloud_db", "linkwarden_db",
                                          "paperless_db", "recipes_db", "nitter", "proxitok",
                                          "libremdb", "quetre", "joplin_db", "semaphore_db",
                                          "gitea_db", "komodo_db", "couchdb", "guacamole_db",
                                          "tubearchivest", "authentik_db"});
  CHECK(swarm.FindAnchor("crowdsec_db") == nullptr);  // commented out in the file

  std::map<std::string, int> per_stack;
  for (const auto& anchor : swarm.dependencies) {
    INFO(anchor.name);
    REQUIRE(anchor.stack.has_value());
    ++per_stack[*anchor.stack];
    CHECK(anchor.retry_intervals == kPythonIntervals);
    CHECK_FALSE(anchor.list_form);
    CHECK_FALSE(anchor.manage_constraints);
    bool expect_restart = anchor.name != "gitea_db" && anchor.name != "couchdb";
    CHECK(anchor.restart_dependents == expect_restart);
  }
  CHECK(per_stack == std::map<std::string, int>{{"swarm-ai", 1},
                                                {"swarm-cloud", 4},
                                                {"swarm-content", 6},
                                                {"swarm-dev", 5},
                                                {"swarm-library", 1},
                                                {"swarm-proxy", 1}});

  const Anchor* gitea = swarm.FindAnchor("gitea_db");
  REQUIRE(gitea != nullptr);
  CHECK(gitea->stack == "swarm-dev");
  CHECK_FALSE(gitea->restart_dependents);
  CHECK(gitea->retry_intervals == kPythonIntervals);
  CHECK(gitea->services == std::vector<std::string>{"gitea", "gitea_redis"});
  CHECK(swarm.FindAnchor("nextcloud_db")->services ==
        std::vector<std::string>{"nextcloud", "nextcloud_redis", "documentserver"});
  CHECK(swarm.FindAnchor("authentik_db")->services ==
        std::vector<std::string>{"authentik_redis", "authentik-server", "authentik-worker"});
  CHECK(swarm.FindAnchor("authentik_db")->stack == "swarm-proxy");
  CHECK(swarm.AnchorLabelKey("gitea_db") == "gitea_db");
}

TEST_CASE("reference nodes.yml + dependencies.yml: the older split form", "[config][reference]") {
  SwarmParse parse =
      ParseSplitSwarmYaml(SplitFile{"nodes.yml", ReadFixture("reference/nodes.yml")},
                          SplitFile{"dependencies.yml", ReadFixture("reference/dependencies.yml")});
  CHECK(Formatted(parse.diagnostics).empty());
  REQUIRE(parse.config);
  const SwarmConfig& swarm = *parse.config;
  CHECK(swarm.leader == "hl-core-ubuntu");
  REQUIRE(swarm.nodes.size() == 8);
  CHECK(swarm.nodes.at("hl-core-ubuntu").labels ==
        std::vector<std::string>{"homelab", "ubuntu", "ext4"});
  CHECK(swarm.nodes.at("hl-node02-proxmox").labels ==
        std::vector<std::string>{"homelab", "proxmox", "zfs", "tdarr"});
  REQUIRE(swarm.dependencies.size() == 5);
  CHECK(swarm.DependentCount() == 8);
  // Order kept; no stack keys in this form, so STACK_NAME applies later.
  CHECK(swarm.dependencies[0].name == "semaphore_db");
  CHECK(swarm.dependencies[4].name == "swarmpit");
  for (const auto& anchor : swarm.dependencies) {
    INFO(anchor.name);
    CHECK_FALSE(anchor.stack.has_value());
    CHECK(anchor.retry_intervals == kPythonIntervals);
  }
  // swarmpit follows couchdb and is itself the anchor of swarmpit-agent: a chain, not a cycle.
  CHECK(swarm.FindAnchor("couchdb")->services ==
        std::vector<std::string>{"influxdbv1", "swarmpit"});
  CHECK_FALSE(swarm.FindAnchor("couchdb")->restart_dependents);
  CHECK(swarm.FindAnchor("swarmpit")->services == std::vector<std::string>{"swarmpit-agent"});
  CHECK(swarm.FindAnchor("gitea_db")->services == std::vector<std::string>{"gitea", "gitea_redis"});
}

TEST_CASE("reference split form of swarm.yml gives the same model as swarm.yml",
          "[config][reference]") {
  SwarmParse whole = ParseSwarmYaml(ReadFixture("reference/swarm.yml"), "swarm.yml");
  SwarmParse split =
      ParseSplitSwarmYaml(SplitFile{"nodes.yml", ReadFixture("split/nodes.yml")},
                          SplitFile{"dependencies.yml", ReadFixture("split/dependencies.yml")});
  CHECK(Formatted(split.diagnostics).empty());
  REQUIRE(whole.config);
  REQUIRE(split.config);
  CHECK(*whole.config == *split.config);
  CHECK(split.config->dependencies.size() == 18);
}

TEST_CASE("reference rebalance_config.yml: values, defaults, node_exporter keys warned",
          "[config][reference]") {
  RebalanceParse parse =
      ParseRebalanceYaml(ReadFixture("reference/rebalance_config.yml"), "rebalance_config.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "rebalance_config.yml:26:1: warning: node_exporter_nodes: ignored: Orcastra's agents "
            "report every node's real memory, so node_exporter is not needed",
            "rebalance_config.yml:30:1: warning: node_map: ignored: Orcastra's agents report "
            "every node's real memory, so node_exporter is not needed"});
  REQUIRE(parse.config);
  const RebalanceConfig& r = *parse.config;
  CHECK(r.comonitor_interval_seconds == 30);
  CHECK(r.defaults.cooldown_minutes == 15);
  CHECK(r.defaults.sustained_high_minutes == 10);
  CHECK(r.defaults.memory_difference_gb == 2);
  CHECK(r.defaults.threshold_percent == 85);  // not in the file: Orcastra's defaults
  CHECK(r.defaults.psi_threshold == 20);
  CHECK(r.defaults.moves_per_hour == 4);
  CHECK_FALSE(r.defaults.dry_run);
  REQUIRE(r.services.size() == 3);
  CHECK(r.services.at("semaphore_db").cooldown_minutes == 30);
  CHECK(r.services.at("semaphore_db").memory_difference_gb == 3);
  CHECK_FALSE(r.services.at("semaphore_db").sustained_high_minutes.has_value());
  RebalancePolicy gitea = r.PolicyFor("gitea_db");
  CHECK(gitea.cooldown_minutes == 30);
  CHECK(gitea.memory_difference_gb == 3);
  CHECK(gitea.sustained_high_minutes == 10);  // from the default block
  CHECK(r.PolicyFor("not_listed") == r.defaults);
}

TEST_CASE("reference swarm-orch.command.yml: four known commands", "[config][reference]") {
  CommandFileParse parse =
      ParseCommandFile(ReadFixture("reference/swarm-orch.command.yml"), "swarm-orch.command.yml");
  CHECK(parse.diagnostics.empty());
  REQUIRE(parse.entries.size() == 4);
  std::vector<std::string> names;
  for (const auto& entry : parse.entries) {
    CHECK(entry.known);
    CHECK(entry.runnable());
    CHECK_FALSE(entry.arg.has_value());
    names.push_back(entry.name);
  }
  CHECK(names == std::vector<std::string>{"relabel_all", "bootstrap_swarm", "update_dependents",
                                          "remove_all_labels"});
  CHECK(parse.entries[2].line == 3);
  CHECK(parse.entries[2].column == 3);
}

TEST_CASE("reference directory as a whole: swarm.yml wins over the split files, with warnings",
          "[config][reference]") {
  Settings settings;
  settings.paths = DefaultPaths(FixturePath("reference"));
  LoadResult result = LoadConfig(settings);
  std::string dir = FixturePath("reference");
  CHECK(Formatted(result.diagnostics) ==
        std::vector<std::string>{
            dir + "/nodes.yml: warning: ignored: " + dir +
                "/swarm.yml exists and takes precedence over the split nodes.yml + "
                "dependencies.yml form",
            dir + "/dependencies.yml: warning: ignored: " + dir +
                "/swarm.yml exists and takes precedence over the split nodes.yml + "
                "dependencies.yml form",
            dir + "/rebalance_config.yml:26:1: warning: node_exporter_nodes: ignored: Orcastra's "
                  "agents report every node's real memory, so node_exporter is not needed",
            dir + "/rebalance_config.yml:30:1: warning: node_map: ignored: Orcastra's agents "
                  "report every node's real memory, so node_exporter is not needed"});
  REQUIRE(result.ok());
  CHECK(result.config->swarm.dependencies.size() == 18);
  CHECK(result.config->rebalance.services.size() == 3);
  CHECK(result.config->files ==
        std::vector<std::string>{dir + "/swarm.yml", dir + "/rebalance_config.yml"});
}

}  // namespace
}  // namespace orcastra::config
