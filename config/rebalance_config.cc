#include "config/rebalance_config.h"

#include <sstream>

#include "config/schema.h"
#include "config/yaml_tree.h"

namespace orcastra::config {
namespace {

const std::vector<std::string_view> kPolicyKeys = {"cooldown_minutes",
                                                   "sustained_high_minutes",
                                                   "memory_difference_gb",
                                                   "threshold_percent",
                                                   "psi_threshold",
                                                   "moves_per_hour",
                                                   "dry_run"};

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Reads a policy block (`default:` or one service's) into `out`; only keys present are set.
void ReadPolicy(const YamlNode& block, SchemaChecker& checker, const std::string& field,
                RebalanceOverrides* out) {
  checker.WarnUnknownKeys(block, field, kPolicyKeys);
  auto integer = [&](const char* key, std::optional<int>* target, int minimum) {
    const YamlNode* node = block.Find(key);
    if (node == nullptr) return;
    std::string key_field = FieldPath(field, key);
    auto value = checker.Integer(*node, key_field);
    if (!value) return;
    if (*value < minimum || *value > 100'000) {
      checker.Error(
          *node, key_field,
          "must be from " + std::to_string(minimum) + " to 100000, got " + std::to_string(*value));
      return;
    }
    *target = static_cast<int>(*value);
  };
  auto number = [&](const char* key, std::optional<double>* target, double low, double high) {
    const YamlNode* node = block.Find(key);
    if (node == nullptr) return;
    std::string key_field = FieldPath(field, key);
    auto value = checker.Number(*node, key_field);
    if (!value) return;
    if (*value < low || *value > high) {
      checker.Error(*node, key_field,
                    "must be from " + FormatNumber(low) + " to " + FormatNumber(high) + ", got " +
                        FormatNumber(*value));
      return;
    }
    *target = *value;
  };
  number("cooldown_minutes", &out->cooldown_minutes, 0, 100'000);
  number("sustained_high_minutes", &out->sustained_high_minutes, 0, 100'000);
  integer("moves_per_hour", &out->moves_per_hour, 0);
  number("memory_difference_gb", &out->memory_difference_gb, 0, 1024 * 1024);
  number("threshold_percent", &out->threshold_percent, 1, 100);
  number("psi_threshold", &out->psi_threshold, 0, 100);
  if (const YamlNode* node = block.Find("dry_run")) {
    if (auto b = checker.Bool(*node, FieldPath(field, "dry_run"))) out->dry_run = *b;
  }
}

void Apply(const RebalanceOverrides& overrides, RebalancePolicy* policy) {
  if (overrides.cooldown_minutes) policy->cooldown_minutes = *overrides.cooldown_minutes;
  if (overrides.sustained_high_minutes) {
    policy->sustained_high_minutes = *overrides.sustained_high_minutes;
  }
  if (overrides.memory_difference_gb) {
    policy->memory_difference_gb = *overrides.memory_difference_gb;
  }
  if (overrides.threshold_percent) policy->threshold_percent = *overrides.threshold_percent;
  if (overrides.psi_threshold) policy->psi_threshold = *overrides.psi_threshold;
  if (overrides.moves_per_hour) policy->moves_per_hour = *overrides.moves_per_hour;
  if (overrides.dry_run) policy->dry_run = *overrides.dry_run;
}

constexpr char kNodeExporterNote[] =
    "ignored: Orcastra's agents report every node's real memory, so node_exporter is not "
    "needed";

}  // namespace

RebalancePolicy RebalanceConfig::PolicyFor(std::string_view service) const {
  RebalancePolicy policy = defaults;
  auto it = services.find(std::string(service));
  if (it != services.end()) Apply(it->second, &policy);
  return policy;
}

RebalanceParse ParseRebalanceYaml(std::string_view text, const std::string& file) {
  YamlParse yaml = ParseYaml(text, file);
  RebalanceParse result;
  std::vector<Diagnostic> diagnostics = yaml.diagnostics;
  RebalanceConfig config;
  SchemaChecker checker(file, &diagnostics);
  if (!yaml.syntax_ok) {
    // Nothing more to check.
  } else if (!yaml.root || yaml.root->IsNull()) {
    diagnostics.push_back({Severity::kWarning, file, 0, 0, "",
                           "the file is empty; using the default rebalance settings"});
  } else if (checker.ExpectMap(*yaml.root, "",
                               "a map at the top level (comonitor_interval_seconds, "
                               "global_cooldown_minutes, default, services)")) {
    const YamlNode& root = *yaml.root;
    checker.WarnUnknownKeys(root, "",
                            {"comonitor_interval_seconds", "global_cooldown_minutes", "default",
                             "services", "node_exporter_nodes", "node_map"});
    checker.ForEachEntry(
        root, "", [&](const std::string& key, const YamlEntry& entry, const std::string& field) {
          const YamlNode& value = entry.value;
          if (key == "comonitor_interval_seconds") {
            if (auto seconds = checker.Integer(value, field)) {
              if (*seconds < 1 || *seconds > 86'400) {
                checker.Error(value, field,
                              "must be from 1 to 86400 seconds, got " + std::to_string(*seconds));
              } else {
                config.comonitor_interval_seconds = static_cast<int>(*seconds);
              }
            }
          } else if (key == "global_cooldown_minutes") {
            if (auto minutes = checker.Number(value, field)) {
              if (*minutes < 0 || *minutes > 100'000) {
                checker.Error(value, field,
                              "must be from 0 to 100000, got " + FormatNumber(*minutes));
              } else {
                config.global_cooldown_minutes = *minutes;
              }
            }
          } else if (key == "default") {
            if (value.IsNull()) return;
            if (!checker.ExpectMap(value, field)) return;
            RebalanceOverrides block;
            ReadPolicy(value, checker, field, &block);
            Apply(block, &config.defaults);
          } else if (key == "services") {
            if (value.IsNull()) return;
            if (!checker.ExpectMap(value, field,
                                   "a map of services (NAME: {cooldown_minutes, ...})")) {
              return;
            }
            checker.ForEachEntry(value, field,
                                 [&](const std::string& service, const YamlEntry& e,
                                     const std::string& service_field) {
                                   std::string problem = ServiceNameProblem(service);
                                   if (!problem.empty()) {
                                     checker.Error(e.key, service_field, "service name " + problem);
                                     return;
                                   }
                                   RebalanceOverrides overrides;
                                   if (!e.value.IsNull()) {
                                     if (!checker.ExpectMap(e.value, service_field)) return;
                                     ReadPolicy(e.value, checker, service_field, &overrides);
                                   }
                                   config.services[service] = overrides;
                                 });
          } else if (key == "node_exporter_nodes" || key == "node_map") {
            checker.Warning(entry.key, field, kNodeExporterNote);
          }
        });
  }
  if (!HasErrors(diagnostics)) result.config = std::move(config);
  SortByPosition(&diagnostics);
  result.diagnostics = std::move(diagnostics);
  return result;
}

}  // namespace orcastra::config
