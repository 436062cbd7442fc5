// The anchor/label controller's I/O: one reconcile cycle reads Swarm completely (nodes, services,
// the tasks of the configured services), asks PlanReconcile (leader/anchors/plan.h) what to do, and
// carries the plan out through the Engine API, or only reports it in dry run.
//
// Safety (design.md §4): a read that fails skips the cycle (nothing is written on partial data);
// every write carries the version it read (Swarm refuses a stale one); `may_write` (the lease) is
// asked immediately before every write and a "no" stops the cycle (a refused write has code
// kAborted); a failed label write skips the cycle's service actions, and so does a safety record
// that could not be stored first (`persist`). Every action, failure and skip is reported as an
// event.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/docker_client.h"
#include "common/status.h"
#include "config/swarm_config.h"
#include "leader/anchors/commands.h"
#include "leader/anchors/plan.h"
#include "leader/state/swarm_api.h"
#include "protocol/messages.h"

namespace orcastra::leader {

// Reads a complete snapshot: the node list, the service list and the desired-running tasks of the
// configured services that exist (3 calls; 2 when none exists). Any failure is returned as it is.
Result<Snapshot> ReadSnapshot(SwarmApi& api, const config::SwarmConfig& config,
                              const std::string& default_stack);

// The spec edits the controller makes, pure: `spec` is the object's Spec as read.
nlohmann::json WithLabels(nlohmann::json spec, const std::map<std::string, std::string>& labels);
nlohmann::json WithForceUpdate(nlohmann::json spec);
nlohmann::json WithConstraint(nlohmann::json spec, const std::string& constraint);

struct CycleOutcome {
  Status read;  // not Ok: the cycle was skipped
  std::optional<Plan> plan;
  std::optional<Snapshot> snapshot;
  int writes_ok = 0;
  int writes_failed = 0;
  bool fenced = false;  // stopped because the lease was lost
  // Each action tried, as (kind, result) for /metrics: kind "set_labels", "force_update" or
  // "add_constraint"; result "ok", "failed" or "dry_run".
  std::vector<std::pair<const char*, const char*>> actions;
};

class Reconciler {
 public:
  using Report = std::function<void(protocol::Event)>;
  explicit Reconciler(SwarmApi& api, Report report) : api_(api), report_(std::move(report)) {}

  // Stores the memory a plan keeps before the plan's writes (leader/safety/keeper.h). Not Ok:
  // the cycle's service writes are skipped and the dependents' memory is not advanced; kAborted
  // (a stale fencing term) stops the cycle like a lost lease.
  using Persist = std::function<Status(const ReconcileMemory&)>;

  // One cycle. With `dry_run` the plan is reported as `dry_run` events and nothing is written
  // (the backoff still advances, so dry-run reports follow the real pace; `persist` is not
  // called). Without `act` (a standby) the plan is computed and nothing is reported or
  // remembered.
  CycleOutcome RunCycle(const config::SwarmConfig& config, const ReconcileSettings& settings,
                        bool act, bool dry_run, const std::function<bool()>& may_write,
                        SteadyTime now, const Persist& persist = {});

  // Carries out a command's plan (leader/anchors/commands.h) made from `snapshot`: the label
  // writes, then the service writes, each reported as an event with attribute `command`; a lost
  // lease stops it (`fenced`). Forgets the backoff of plan.forget that were written (or, in dry
  // run, would be). In dry run nothing is written. Returns one line per target (skipped ones
  // included) and what failed; `plan.refused` must be empty.
  struct CommandOutcome {
    std::vector<std::string> lines;
    int failed = 0;       // writes refused or failed
    bool fenced = false;  // stopped because the lease was lost
  };
  CommandOutcome CarryOut(const CommandPlan& plan, const Snapshot& snapshot,
                          const std::string& command, const std::function<bool()>& may_write);

  const ReconcileMemory& memory() const { return memory_; }
  // Continues from a loaded safety record: replaces the dependents' memory.
  void RestoreDependents(std::map<std::string, DependentMemory> dependents) {
    memory_.dependents = std::move(dependents);
  }
  SwarmApi& api() { return api_; }

 private:
  // Asks `may_write`, then writes; kAborted when the lease is not held (nothing sent).
  Status Write(const std::function<Status()>& write, const std::function<bool()>& may_write);
  // One node's labels, or one service action, on the object's spec as read in `snapshot`.
  Status WriteNodeChange(const NodeLabelChange& change, const Snapshot& snapshot,
                         const std::function<bool()>& may_write);
  Status WriteServiceAction(const ServiceAction& action, const Snapshot& snapshot,
                            const std::function<bool()>& may_write);
  void Emit(std::string kind, std::string subject, std::string message,
            std::map<std::string, std::string> attrs = {});

  SwarmApi& api_;
  Report report_;
  ReconcileMemory memory_;
};

}  // namespace orcastra::leader
