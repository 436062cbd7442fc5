// The reconcile cycle of the active instance with its safety record: what the controller
// (leader/controller/service.h) does around Reconciler::RunCycle so that the dependents' backoff
// and the pause survive a failover. Kept apart from the controller's loop so tests run it on a
// fake Swarm and a simulated clock.
//
// Per pass of the controller's thread:
//   Reset()     when this instance's leadership changes (the record is read again);
//   Begin()     first, when active: loads the record and restores the reconciler's memory from it;
//   Settings()  the cycle's settings with the pause, and the hold while the record is not loaded;
//   Run()       the cycle; when active and not in dry run, the record is stored before the cycle's
//               service writes (write-ahead), or they wait for the next cycle;
//   End()       last, when active: stores what a pass without a planned cycle changed (a pause).
// Not thread-safe: the controller's thread only.
#pragma once

#include <functional>
#include <string>

#include "leader/anchors/reconciler.h"
#include "leader/safety/keeper.h"

namespace orcastra::leader {

class SafeCycle {
 public:
  SafeCycle(Reconciler& reconciler, SafetyKeeper& keeper)
      : reconciler_(reconciler), keeper_(keeper) {}

  void Reset() { keeper_.Reset(); }
  // Returns why dependents are held this pass ("" when the record is loaded).
  const std::string& Begin(const config::SwarmConfig& config, const std::string& default_stack);
  ReconcileSettings Settings(ReconcileSettings base) const;
  CycleOutcome Run(const config::SwarmConfig& config, const ReconcileSettings& settings, bool act,
                   bool dry_run, const std::function<bool()>& may_write, SteadyTime now);
  void End(bool dry_run);

  SafetyKeeper& keeper() { return keeper_; }

 private:
  Reconciler& reconciler_;
  SafetyKeeper& keeper_;
  std::string held_;        // this pass: not empty while the record is not loaded
  bool persisted_ = false;  // this pass: Run() stored the record (or tried)
};

}  // namespace orcastra::leader
