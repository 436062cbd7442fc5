#include "leader/safety/cycle.h"

namespace orcastra::leader {

const std::string& SafeCycle::Begin(const config::SwarmConfig& config,
                                    const std::string& default_stack) {
  held_.clear();
  persisted_ = false;
  auto loaded = keeper_.Load(config, default_stack, reconciler_.memory().dependents);
  if (!loaded.ok()) {
    held_ = "held until the safety record is read (" + loaded.status().ToString() + ")";
  } else if (*loaded) {
    reconciler_.RestoreDependents(std::move(**loaded));
  }
  return held_;
}

ReconcileSettings SafeCycle::Settings(ReconcileSettings base) const {
  base.dependents_paused = keeper_.pause().paused;
  base.dependents_held = held_;
  return base;
}

CycleOutcome SafeCycle::Run(const config::SwarmConfig& config, const ReconcileSettings& settings,
                            bool act, bool dry_run, const std::function<bool()>& may_write,
                            SteadyTime now) {
  Reconciler::Persist persist;
  if (act && !dry_run) {
    persist = [this](const ReconcileMemory& memory) {
      persisted_ = true;
      return keeper_.Persist(memory.dependents);
    };
  }
  return reconciler_.RunCycle(config, settings, act, dry_run, may_write, now, persist);
}

void SafeCycle::End(bool dry_run) {
  if (!dry_run && !persisted_ && keeper_.loaded()) {
    (void)keeper_.Persist(reconciler_.memory().dependents);  // failures are reported inside
  }
  held_.clear();
  persisted_ = false;
}

}  // namespace orcastra::leader
