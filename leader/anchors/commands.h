// The operator commands on labels and dependents as pure decisions (doc/anchors.md, "Commands"):
// `remove_all_labels` and `update_dependents[:ANCHOR]`. Each takes the configuration and the read
// of Swarm as it came back (a failed read included) and returns a CommandPlan: the label writes
// and service writes to make, the targets left alone and why, or why the command does nothing at
// all. Reconciler::CarryOut (leader/anchors/reconciler.h) performs it.
//
// Rules (design.md §4):
// - A failed read (partial data) refuses the command: nothing is removed or restarted.
// - remove_all_labels touches only Orcastra's managed set: anchor label keys on any node (the
//   leader puts them on whichever node runs the anchor), and the static label keys of swarm.yml
//   on the nodes swarm.yml names (the only nodes that get static labels). Every other label, and a
//   static key on a node swarm.yml does not name, stays.
// - update_dependents force-updates the dependents (of ANCHOR, or of every anchor) that exist,
//   each once, and forgets their backoff; it is refused while the dependents are paused or held
//   (the safety record is not loaded), and for an anchor the configuration does not name.
// - In dry run the plan is the same and marked dry_run: the executor writes nothing.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/swarm_config.h"
#include "leader/anchors/plan.h"

namespace orcastra::leader {

struct CommandPlan {
  // Not empty: the command does nothing, for this reason (every other field is empty).
  std::string refused;
  bool dry_run = false;  // list the actions; write nothing
  std::vector<NodeLabelChange> node_changes;
  std::vector<ServiceAction> service_actions;  // kForceUpdate only
  std::vector<std::string> skipped;            // "NAME: why", one per target left alone
  // Full service names whose backoff the executor forgets (the force-updated dependents).
  std::vector<std::string> forget;
};

// What the command must honour besides the configuration and the read.
struct CommandGates {
  bool dry_run = false;
  bool dependents_paused = false;  // pause_dependents in force
  std::string dependents_held;     // not empty: held, for this reason (leader/safety/cycle.h)
};

// The label keys Orcastra manages on the node named `hostname`: every anchor label key, and the
// static keys of swarm.yml when swarm.yml names that node.
std::set<std::string> ManagedLabelKeys(const config::SwarmConfig& config,
                                       const std::string& hostname);

CommandPlan PlanRemoveAllLabels(const config::SwarmConfig& config, const Result<Snapshot>& read,
                                bool dry_run);

CommandPlan PlanUpdateDependents(const config::SwarmConfig& config,
                                 const std::string& default_stack,
                                 const std::optional<std::string>& anchor,
                                 const Result<Snapshot>& read, const CommandGates& gates);

}  // namespace orcastra::leader
