// The command planners (leader/anchors/commands.h) as pure decisions. remove_all_labels is checked
// exhaustively over every combination of a small universe (which keys are anchor labels, which
// are static, which node swarm.yml names, which labels each node carries) against safety rule 2:
// it removes exactly Orcastra's managed keys and never a label outside them; and against rule 1:
// a failed read removes nothing.
#include "leader/anchors/commands.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

using Labels = std::map<std::string, std::string>;

docker::Node Node(const std::string& id, const std::string& hostname, Labels labels,
                  std::uint64_t version = 7) {
  docker::Node node;
  node.id = id;
  node.hostname = hostname;
  node.state = "ready";
  node.version = version;
  node.labels = std::move(labels);
  return node;
}

docker::Service Service(const std::string& name, std::uint64_t replicas = 1) {
  docker::Service service;
  service.id = "svc-" + name;
  service.name = name;
  service.mode = "replicated";
  service.replicas = replicas;
  service.version = 30;
  return service;
}

config::Anchor Anchor(const std::string& name, std::vector<std::string> services,
                      std::optional<std::string> stack = std::nullopt) {
  config::Anchor anchor;
  anchor.name = name;
  anchor.stack = std::move(stack);
  anchor.services = std::move(services);
  return anchor;
}

TEST_CASE("remove_all_labels: exactly the managed keys, over every combination",
          "[commands][remove_all_labels]") {
  // Keys a node may carry; anchors may be named db or cache; static keys come from {zone, ssd};
  // "other" is never configured.
  const std::vector<std::string> universe = {"db", "cache", "zone", "ssd", "other"};
  const std::vector<std::string> hostnames = {"n1", "n2"};
  int cases = 0, removals = 0;
  for (int anchors = 0; anchors < 4; ++anchors) {    // bit 0: db, bit 1: cache
    for (int statics = 0; statics < 4; ++statics) {  // bit 0: zone, bit 1: ssd (on n1)
      for (int named = 0; named < 2; ++named) {      // swarm.yml names n1 (or nothing)
        for (int n1_labels = 0; n1_labels < 32; ++n1_labels) {
          for (int n2_labels = 0; n2_labels < 32; n2_labels += 3) {
            for (bool dry_run : {false, true}) {
              config::SwarmConfig config;
              if (anchors & 1) config.dependencies.push_back(Anchor("db", {"app"}));
              if (anchors & 2) config.dependencies.push_back(Anchor("cache", {"web"}));
              if (named) {
                config::NodeSpec spec;
                spec.hostname = "n1";
                if (statics & 1) spec.labels.push_back("zone=a");
                if (statics & 2) spec.labels.push_back("ssd");
                config.nodes["n1"] = spec;
              }
              Labels l1, l2;
              for (std::size_t k = 0; k < universe.size(); ++k) {
                if (n1_labels & (1 << k)) l1[universe[k]] = "v" + std::to_string(k);
                if (n2_labels & (1 << k)) l2[universe[k]] = "w" + std::to_string(k);
              }
              Snapshot snapshot;
              snapshot.nodes = {Node("id-2", "n2", l2, 8), Node("id-1", "n1", l1, 9)};
              CommandPlan plan = PlanRemoveAllLabels(config, snapshot, dry_run);
              ++cases;
              REQUIRE(plan.refused.empty());
              CHECK(plan.dry_run == dry_run);
              CHECK(plan.service_actions.empty());

              // What may go: anchor keys anywhere; static keys only on the node swarm.yml names.
              auto managed = [&](const std::string& host, const std::string& key) {
                bool anchor = (key == "db" && (anchors & 1)) || (key == "cache" && (anchors & 2));
                bool stat = named && host == "n1" &&
                            ((key == "zone" && (statics & 1)) || (key == "ssd" && (statics & 2)));
                return anchor || stat;
              };
              std::map<std::string, const NodeLabelChange*> by_host;
              for (const auto& change : plan.node_changes) by_host[change.hostname] = &change;
              CHECK(by_host.size() == plan.node_changes.size());
              for (const auto& node : snapshot.nodes) {
                Labels expected;
                std::vector<std::string> gone;
                for (const auto& [key, value] : node.labels) {
                  if (managed(node.hostname, key)) {
                    gone.push_back(key);
                  } else {
                    expected[key] = value;
                  }
                }
                auto it = by_host.find(node.hostname);
                if (gone.empty()) {
                  CHECK(it == by_host.end());
                  continue;
                }
                REQUIRE(it != by_host.end());
                const NodeLabelChange& change = *it->second;
                CHECK(change.node_id == node.id);
                CHECK(change.version == node.version);
                CHECK(change.add.empty());
                CHECK(change.remove == gone);
                CHECK(change.labels_after == expected);  // "other" and the rest stay, values too
                CHECK(change.reasons.size() == gone.size());
                removals += static_cast<int>(gone.size());
              }
              // Sorted by hostname.
              for (std::size_t i = 1; i < plan.node_changes.size(); ++i) {
                CHECK(plan.node_changes[i - 1].hostname < plan.node_changes[i].hostname);
              }
            }
          }
        }
      }
    }
  }
  CHECK(cases == 4 * 4 * 2 * 32 * 11 * 2);
  CHECK(removals > 0);
}

TEST_CASE("remove_all_labels: a failed read removes nothing", "[commands][remove_all_labels]") {
  config::SwarmConfig config;
  config.dependencies = {Anchor("db", {"app"})};
  for (bool dry_run : {false, true}) {
    for (const Status& failure :
         {Status::Unavailable("nodes: daemon restarting"), Status::Timeout("tasks: timed out"),
          Status::ParseError("node 'x': field '/Spec/Role' is missing")}) {
      CommandPlan plan = PlanRemoveAllLabels(config, Result<Snapshot>(failure), dry_run);
      CHECK(plan.refused == "not run, partial data: " + failure.ToString());
      CHECK(plan.node_changes.empty());
      CHECK(plan.service_actions.empty());
    }
  }
}

TEST_CASE("remove_all_labels: anchor_label decides the key", "[commands][remove_all_labels]") {
  config::SwarmConfig config;
  config.anchor_label = "orcastra.{anchor}";
  config.dependencies = {Anchor("db", {"app"})};
  Snapshot snapshot;
  snapshot.nodes = {Node("id-1", "n1", {{"db", "true"}, {"orcastra.db", "true"}})};
  CommandPlan plan = PlanRemoveAllLabels(config, snapshot, false);
  REQUIRE(plan.node_changes.size() == 1);
  CHECK(plan.node_changes[0].remove == std::vector<std::string>{"orcastra.db"});
  CHECK(plan.node_changes[0].labels_after == Labels{{"db", "true"}});
  CHECK(ManagedLabelKeys(config, "n1") == std::set<std::string>{"orcastra.db"});
}

TEST_CASE("remove_all_labels: a node swarm.yml names loses every static key of swarm.yml",
          "[commands][remove_all_labels]") {
  // Like prune_unknown_labels: the managed set is every static key, on every node swarm.yml names.
  config::SwarmConfig config;
  config.nodes["n1"] = config::NodeSpec{"n1", std::nullopt, {"zone=a"}, std::nullopt};
  config.nodes["n2"] = config::NodeSpec{"n2", std::nullopt, {"gpu"}, std::nullopt};
  CHECK(ManagedLabelKeys(config, "n1") == std::set<std::string>{"gpu", "zone"});
  CHECK(ManagedLabelKeys(config, "n3").empty());
  Snapshot snapshot;
  snapshot.nodes = {Node("id-1", "n1", {{"gpu", "true"}, {"zone", "a"}, {"x", "y"}}),
                    Node("id-3", "n3", {{"gpu", "true"}, {"zone", "c"}})};
  CommandPlan plan = PlanRemoveAllLabels(config, snapshot, false);
  REQUIRE(plan.node_changes.size() == 1);
  CHECK(plan.node_changes[0].hostname == "n1");
  CHECK(plan.node_changes[0].labels_after == Labels{{"x", "y"}});
}

// update_dependents

config::SwarmConfig TwoAnchors() {
  config::SwarmConfig config;
  config.dependencies = {Anchor("db", {"app", "api", "gone"}),
                         Anchor("cache", {"web", "app"}, std::string("other"))};
  config.dependencies[1].services = {"web", "api"};
  return config;
}

Snapshot Services() {
  Snapshot snapshot;
  snapshot.services = {Service("st_db"),       Service("st_app"),    Service("st_api", 0),
                       Service("other_cache"), Service("other_web"), Service("other_api")};
  return snapshot;
}

std::vector<std::string> Targets(const CommandPlan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.service_actions) out.push_back(action.service);
  return out;
}

TEST_CASE("update_dependents: the existing dependents, each once, of one anchor or of all",
          "[commands][update_dependents]") {
  const config::SwarmConfig config = TwoAnchors();
  CommandPlan all = PlanUpdateDependents(config, "st", std::nullopt, Services(), {});
  REQUIRE(all.refused.empty());
  CHECK(Targets(all) == std::vector<std::string>{"st_app", "other_web", "other_api"});
  CHECK(all.skipped == std::vector<std::string>{"st_api: scaled to 0, nothing to restart",
                                                "st_gone: no such service"});
  CHECK(all.forget == Targets(all));
  for (const auto& action : all.service_actions) {
    CHECK(action.kind == ServiceActionKind::kForceUpdate);
    CHECK(action.service_id == "svc-" + action.service);
    CHECK(action.version == 30);
  }
  CHECK(all.service_actions[0].anchor == "db");
  CHECK(all.service_actions[1].anchor == "cache");
  CHECK_FALSE(all.dry_run);

  CommandPlan cache = PlanUpdateDependents(config, "st", "cache", Services(), {});
  CHECK(Targets(cache) == std::vector<std::string>{"other_web", "other_api"});
  CHECK(cache.skipped.empty());
  CHECK(cache.service_actions[0].reason == "update_dependents:cache");
  CHECK(cache.node_changes.empty());

  // A dependent listed twice under one anchor, or under two anchors of one stack: once.
  config::SwarmConfig twice;
  twice.dependencies = {Anchor("db", {"app", "app"}), Anchor("cache", {"app"})};
  CHECK(Targets(PlanUpdateDependents(twice, "st", std::nullopt, Services(), {})) ==
        std::vector<std::string>{"st_app"});
}

TEST_CASE("update_dependents: refused for an unknown anchor, while paused or held, on partial data",
          "[commands][update_dependents]") {
  const config::SwarmConfig config = TwoAnchors();
  const Result<Snapshot> failed = Status::Unavailable("services: daemon restarting");
  SECTION("an anchor the configuration does not name, whatever else holds") {
    for (const auto& read : {Result<Snapshot>(Services()), failed}) {
      CommandGates gates;
      gates.dependents_paused = true;
      CommandPlan plan = PlanUpdateDependents(config, "st", "nope", read, gates);
      CHECK(plan.refused == "no anchor named 'nope' in the configuration");
      CHECK(plan.service_actions.empty());
    }
  }
  SECTION("held: the safety record is not loaded") {
    CommandGates gates;
    gates.dependents_held = "held until the safety record is read (no quorum)";
    CommandPlan plan = PlanUpdateDependents(config, "st", std::nullopt, Services(), gates);
    CHECK(plan.refused == "not run: held until the safety record is read (no quorum)");
    CHECK(plan.service_actions.empty());
    CHECK(plan.forget.empty());
  }
  SECTION("paused, also in dry run") {
    for (bool dry : {false, true}) {
      CommandGates gates;
      gates.dependents_paused = true;
      gates.dry_run = dry;
      CommandPlan plan = PlanUpdateDependents(config, "st", "db", Services(), gates);
      CHECK(plan.refused.find("paused") != std::string::npos);
      CHECK(plan.service_actions.empty());
    }
  }
  SECTION("a failed read") {
    CommandPlan plan = PlanUpdateDependents(config, "st", std::nullopt, failed, {});
    CHECK(plan.refused == "not run, partial data: " + failed.status().ToString());
    CHECK(plan.service_actions.empty());
    CHECK(plan.skipped.empty());
  }
}

TEST_CASE("update_dependents: dry run plans the same actions, marked dry",
          "[commands][update_dependents]") {
  CommandGates gates;
  gates.dry_run = true;
  CommandPlan dry = PlanUpdateDependents(TwoAnchors(), "st", std::nullopt, Services(), gates);
  CommandPlan real = PlanUpdateDependents(TwoAnchors(), "st", std::nullopt, Services(), {});
  CHECK(dry.dry_run);
  CHECK(Targets(dry) == Targets(real));
  CHECK(dry.skipped == real.skipped);
}

}  // namespace
}  // namespace orcastra::leader
