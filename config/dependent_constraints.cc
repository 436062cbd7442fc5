#include "config/dependent_constraints.h"

#include <map>

namespace orcastra::config {

std::vector<UnfollowableDependent> FindUnfollowableDependents(
    const SwarmConfig& config, const std::string& default_stack,
    const std::vector<docker::Service>& services) {
  std::map<std::string, const docker::Service*> by_name;
  for (const auto& service : services) by_name.emplace(service.name, &service);
  std::vector<UnfollowableDependent> out;
  for (const Anchor& anchor : config.dependencies) {
    if (anchor.manage_constraints) continue;
    const std::string stack = anchor.stack.value_or(default_stack);
    const std::string key = config.AnchorLabelKey(anchor.name);
    for (const std::string& dependent : anchor.services) {
      const std::string name = FullServiceName(stack, dependent);
      auto it = by_name.find(name);
      if (it == by_name.end() || HasAnchorConstraint(it->second->constraints, key)) continue;
      UnfollowableDependent found;
      found.anchor = anchor.name;
      found.dependent = dependent;
      found.service = name;
      found.constraint = AnchorConstraint(key);
      found.message =
          "dependent '" + dependent + "' (service " + name + ") cannot follow anchor '" +
          anchor.name + "': it has no placement constraint " + found.constraint +
          " and manage_constraints is false, so it stays wherever Swarm puts it; add " +
          "the constraint to the service, or set manage_constraints: true on '" + anchor.name + "'";
      out.push_back(std::move(found));
    }
  }
  return out;
}

}  // namespace orcastra::config
