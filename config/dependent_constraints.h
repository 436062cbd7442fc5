// Dependents that cannot follow their anchor: a dependent without the placement constraint
// `node.labels.<anchor_label>==true` whose anchor leaves constraints alone (`manage_constraints:
// false`) stays wherever Swarm put it; Orcastra never force-updates it (a restart would land
// anywhere again). Pure: the configuration and the service list read from Swarm in, one finding
// per such dependent out. Used by the leader (a `config_warning` event per configuration and
// dependent) and by `orcastra config check` when it can read the services.
#pragma once

#include <string>
#include <vector>

#include "common/docker_types.h"
#include "config/swarm_config.h"

namespace orcastra::config {

struct UnfollowableDependent {
  std::string anchor;      // as in the configuration
  std::string dependent;   // as in the configuration
  std::string service;     // the dependent's full service name
  std::string constraint;  // the constraint it lacks
  // One sentence naming the anchor, the dependent and the fix.
  std::string message;
};

// In configuration order. Dependents whose service does not exist (yet) and anchors with
// manage_constraints are not reported; a dependent listed under two anchors is judged per anchor.
std::vector<UnfollowableDependent> FindUnfollowableDependents(
    const SwarmConfig& config, const std::string& default_stack,
    const std::vector<docker::Service>& services);

}  // namespace orcastra::config
