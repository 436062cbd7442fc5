// Anchors, dependents and node labels as a pure decision (design.md §3 "Anchors", §4 safety).
//
// PlanReconcile() takes the configuration, one *complete* read of Swarm (nodes, services, tasks;
// the caller never builds a Snapshot from a read that failed) and what the controller remembers
// (backoff, when an anchor stopped running), and returns the plan: per-node label changes, service
// actions, a report per anchor, and the memory to keep for the next cycle. It performs no I/O and
// reads no clock; the executor is leader/anchors/reconciler.h.
//
// Rules (doc/anchors.md tells them to operators):
// - An anchor is "running" on every ready node that runs one of its tasks (desired and actual state
//   running). Those nodes carry the anchor label (`<anchor_label>=true`); a node that carries it
//   and runs no task of the anchor loses it, but only while the anchor runs somewhere: a label
//   moves, it is never just dropped. Multi-replica anchors label every node they run on, and a
//   dependent counts as beside its anchor on any of them.
// - An anchor that does not run (restarting, pending, failed, its node down) keeps its labels. For
//   `grace` after it was last seen running it is "restarting" and nothing is done to its
//   dependents; after that it is "down" and its dependents are still left alone (there is nowhere
//   right to send them), but the anchor is reported as violated.
// - A dependent is "colocated" when all its running tasks run on anchor nodes and none is starting
//   elsewhere; that resets its backoff. Starting on an anchor node is "converging" (wait). Running
//   elsewhere or pending is a violation: it is force-updated when its backoff allows, with the
//   anchor's retry_intervals (attempt k waits intervals[min(k, n-1)] before attempt k+1).
// - A cycle that moves an anchor's label force-updates its misplaced dependents right after the
//   label write (the executor writes labels first). With a `follow_window`, constrained dependents
//   are instead left to Swarm that long after the move (its constraint enforcer moves running
//   tasks, its scheduler places pending ones) and forced only if still misplaced after it.
// - A dependent without the `node.labels.<label>==true` constraint is never force-updated (Swarm
//   could place it anywhere again); with `manage_constraints: true` the constraint is added, which
//   makes Swarm reschedule it. Dependents scaled to 0, missing services, `restart_dependents:
//   false`, paused and held dependents get no action (neither a force-update nor a constraint
//   edit), only a report.
// - Static labels: nodes named in swarm.yml get their labels (bare `x` is x=true). With
//   prune_unknown_labels, a named node loses the labels of the managed set (every static label key
//   of swarm.yml) that it is not configured with. Anchor label keys are never static or pruned, and
//   nodes the configuration does not name only ever get anchor labels.
// - While labels are suspended (after remove_all_labels) no label change is planned and every
//   dependent is held; the reports and warnings say so.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/docker_types.h"
#include "config/swarm_config.h"

namespace orcastra::leader {

inline constexpr std::chrono::seconds kDefaultAnchorGrace{120};

struct ReconcileSettings {
  std::string default_stack = "swarm-dev";  // STACK_NAME, for anchors without `stack`
  bool prune_unknown_labels = false;
  std::chrono::milliseconds anchor_grace = kDefaultAnchorGrace;  // ANCHOR_GRACE_PERIOD
  bool dependents_paused = false;                                // `pause_dependents` in force
  // Not empty: every dependent is held as if paused, for this reason (the safety record is not
  // loaded yet, leader/safety/keeper.h).
  std::string dependents_held;
  // Not empty: `remove_all_labels` took Orcastra's labels off and nothing puts them back until
  // `relabel_all`: no label change is planned, and every dependent is held (there is no label to
  // follow), for this reason.
  std::string labels_suspended;
  // After an anchor's label moved, constrained dependents are left to Swarm this long. 0 (the
  // default): they are force-updated in the same cycle, right after the label write, because
  // Swarm's constraint enforcer only rejects the misplaced task and its replacement then waits for
  // the service's restart delay (5 s by default); measured by tests/bench/leader_bench.
  std::chrono::milliseconds follow_window{0};
};

// One complete read of Swarm.
struct Snapshot {
  std::vector<docker::Node> nodes;
  std::vector<docker::Service> services;
  std::vector<docker::Task> tasks;  // at least every task whose desired state is running
};

struct AnchorMemory {
  std::optional<SteadyTime> not_running_since;  // first cycle that saw it not running
  std::optional<SteadyTime> label_moved_at;     // last cycle that moved its label
  bool operator==(const AnchorMemory&) const = default;
};

struct DependentMemory {
  int attempts = 0;  // force-updates since it was last seen colocated
  std::optional<SteadyTime> next_allowed;
  std::optional<SteadyTime> last_attempt;  // the cycle that planned the last one
  bool operator==(const DependentMemory&) const = default;
};

// What the controller carries from one cycle to the next; keyed by full service name.
struct ReconcileMemory {
  std::map<std::string, AnchorMemory> anchors;
  std::map<std::string, DependentMemory> dependents;
  bool operator==(const ReconcileMemory&) const = default;
};

enum class AnchorState { kRunning, kRestarting, kDown, kMissing };
enum class DependentState {
  kColocated,         // every running task beside the anchor
  kConverging,        // starting beside the anchor
  kFollowing,         // the anchor's label moved this cycle; Swarm moves it
  kMisplaced,         // running elsewhere or pending: force-updated when the backoff allows
  kNoConstraint,      // misplaced, but without the label constraint (and not managed)
  kWaitingForAnchor,  // the anchor does not run
  kScaledToZero,
  kMissing,
};

const char* AnchorStateName(AnchorState state);
const char* DependentStateName(DependentState state);

struct DependentReport {
  std::string name;     // as in the configuration
  std::string service;  // full service name
  DependentState state = DependentState::kMissing;
  std::vector<std::string> nodes;  // hostnames of its running tasks
  int attempts = 0;
  std::optional<std::chrono::milliseconds> retry_in;  // when misplaced and backing off
  std::string detail;
};

struct AnchorReport {
  std::string name;
  std::string service;
  std::string label_key;
  AnchorState state = AnchorState::kMissing;
  std::vector<std::string> nodes;  // hostnames it runs on
  std::string detail;
  std::vector<DependentReport> dependents;
};

// A node's labels after the plan; one Swarm write per node.
struct NodeLabelChange {
  std::string node_id;
  std::string hostname;
  std::uint64_t version = 0;               // the version read: the write is a compare-and-swap
  std::map<std::string, std::string> add;  // key -> value, new or changed
  std::vector<std::string> remove;
  std::map<std::string, std::string> labels_after;
  std::vector<std::string> reasons;  // one line per key, for the event log and `plan`
};

enum class ServiceActionKind { kForceUpdate, kAddConstraint };

struct ServiceAction {
  ServiceActionKind kind = ServiceActionKind::kForceUpdate;
  std::string service_id;
  std::string service;  // full name
  std::uint64_t version = 0;
  std::string anchor;
  std::string constraint;  // kAddConstraint: the constraint to add
  int attempt = 0;         // kForceUpdate: 1 for the first since last colocated
  std::string reason;
};

const char* ServiceActionKindName(ServiceActionKind kind);

struct Plan {
  std::vector<NodeLabelChange> node_changes;  // by hostname
  std::vector<ServiceAction> service_actions;
  std::vector<AnchorReport> anchors;  // in configuration order
  std::vector<std::string> warnings;  // configuration that does not match the swarm
  ReconcileMemory memory;             // to keep when the plan has been carried out (or tried)
  // Nothing is in transition: every anchor runs and every dependent is settled (or cannot be
  // helped). The controller polls faster while this is false.
  bool settled = true;

  bool empty() const { return node_changes.empty() && service_actions.empty(); }
};

// The naming rules of the configuration (config/swarm_config.h).
using config::AnchorConstraint;
using config::FullServiceName;
using config::HasAnchorConstraint;

Plan PlanReconcile(const config::SwarmConfig& config, const ReconcileSettings& settings,
                   const Snapshot& snapshot, const ReconcileMemory& memory, SteadyTime now);

// Every anchor label key the configuration manages.
std::set<std::string> AnchorLabelKeys(const config::SwarmConfig& config);

}  // namespace orcastra::leader
