#include "leader/anchors/commands.h"

#include <algorithm>
#include <map>

namespace orcastra::leader {
namespace {

CommandPlan Refused(std::string why) {
  CommandPlan plan;
  plan.refused = std::move(why);
  return plan;
}

std::string PartialData(const Status& status) {
  return "not run, partial data: " + status.ToString();
}

}  // namespace

std::set<std::string> ManagedLabelKeys(const config::SwarmConfig& config,
                                       const std::string& hostname) {
  std::set<std::string> keys = AnchorLabelKeys(config);
  if (auto named = config.nodes.find(hostname); named != config.nodes.end()) {
    // Every static key of swarm.yml is managed on a named node (prune_unknown_labels removes the
    // ones it is not configured with), not only its own.
    for (const auto& [host, spec] : config.nodes) {
      for (const auto& [key, value] : spec.LabelMap()) keys.insert(key);
    }
  }
  return keys;
}

CommandPlan PlanRemoveAllLabels(const config::SwarmConfig& config, const Result<Snapshot>& read,
                                bool dry_run) {
  if (!read.ok()) return Refused(PartialData(read.status()));
  const std::set<std::string> anchor_keys = AnchorLabelKeys(config);
  CommandPlan plan;
  plan.dry_run = dry_run;
  for (const docker::Node& node : read->nodes) {
    const std::set<std::string> managed = ManagedLabelKeys(config, node.hostname);
    NodeLabelChange change;
    change.node_id = node.id;
    change.hostname = node.hostname;
    change.version = node.version;
    change.labels_after = node.labels;
    for (const auto& [key, value] : node.labels) {
      if (!managed.count(key)) continue;
      change.remove.push_back(key);
      change.labels_after.erase(key);
      change.reasons.push_back(
          "remove_all_labels: " + key +
          (anchor_keys.count(key) ? " is an anchor label" : " is a static label of swarm.yml"));
    }
    if (!change.remove.empty()) plan.node_changes.push_back(std::move(change));
  }
  std::sort(plan.node_changes.begin(), plan.node_changes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.hostname, a.node_id) < std::tie(b.hostname, b.node_id);
  });
  return plan;
}

CommandPlan PlanUpdateDependents(const config::SwarmConfig& config,
                                 const std::string& default_stack,
                                 const std::optional<std::string>& anchor,
                                 const Result<Snapshot>& read, const CommandGates& gates) {
  if (anchor && config.FindAnchor(*anchor) == nullptr) {
    return Refused("no anchor named '" + *anchor + "' in the configuration");
  }
  if (!gates.dependents_held.empty()) return Refused("not run: " + gates.dependents_held);
  if (gates.dependents_paused) {
    return Refused("not run: dependents are paused (pause_dependents); resume_dependents first");
  }
  if (!read.ok()) return Refused(PartialData(read.status()));
  std::map<std::string, const docker::Service*> by_name;
  for (const auto& service : read->services) by_name.emplace(service.name, &service);

  CommandPlan plan;
  plan.dry_run = gates.dry_run;
  std::set<std::string> seen;
  for (const config::Anchor& a : config.dependencies) {
    if (anchor && a.name != *anchor) continue;
    const std::string stack = a.stack.value_or(default_stack);
    for (const std::string& dep : a.services) {
      const std::string name = FullServiceName(stack, dep);
      if (!seen.insert(name).second) continue;  // a dependent of two anchors: once
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        plan.skipped.push_back(name + ": no such service");
        continue;
      }
      const docker::Service& service = *it->second;
      if (service.mode == "replicated" && service.replicas == 0) {
        plan.skipped.push_back(name + ": scaled to 0, nothing to restart");
        continue;
      }
      ServiceAction action;
      action.kind = ServiceActionKind::kForceUpdate;
      action.service_id = service.id;
      action.service = name;
      action.version = service.version;
      action.anchor = a.name;
      action.reason = "update_dependents" + (anchor ? ":" + *anchor : std::string());
      plan.service_actions.push_back(std::move(action));
      plan.forget.push_back(name);
    }
  }
  return plan;
}

}  // namespace orcastra::leader
