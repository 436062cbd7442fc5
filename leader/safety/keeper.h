// Keeps the active instance's safety state (leader/safety/record.h) in step with Swarm
// (leader/safety/store.h), so that a new active instance continues every backoff and the pause
// where the old one stopped (doc/anchors.md, "Safety state").
//
// Used by the controller's thread only. The contract with the caller:
// - Reset() when the instance becomes active or stops being active: the record is read again.
// - Load() at the start of every active pass, before anything acts. Until it has succeeded the
//   caller holds every dependent (no force-update, no constraint edit): it never acts on a record
//   it could not read. A record that is read but unusable (not what Orcastra writes, a newer
//   format) loads as "paused by orcastra" with no backoff, is reported, and is replaced at the
//   next Persist; an operator resumes after a look.
// - Persist() before the cycle's service writes, with the dependents' memory the plan keeps: the
//   record is written when it differs from the one stored, at most once per call (the caller calls
//   once per cycle, so changes of one cycle are one write). On failure the caller skips that
//   cycle's service writes (nothing is restarted without its backoff stored first) and calls again
//   next cycle; the failure is logged and reported, never dropped. After a failure the next Load()
//   reads the record again and merges it (MergeSafetyRecords), in case the write was applied or
//   another writer slipped in. kAborted (the lease is lost, a newer term wrote) resets the keeper.
// - In dry run the caller never calls Persist: a dry run writes nothing to Swarm (design.md §4
//   rule 3); its backoff and pause live in its memory only.
//
// Side effects come in at construction: the store, the clock, the lease's term (0 when not
// leading, asked immediately before every write) and the event sink.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "config/swarm_config.h"
#include "leader/anchors/plan.h"
#include "leader/safety/record.h"
#include "leader/safety/store.h"
#include "protocol/messages.h"

namespace orcastra::leader {

class SafetyKeeper {
 public:
  using Report = std::function<void(protocol::Event)>;
  using Dependents = std::map<std::string, DependentMemory>;

  SafetyKeeper(SafetyStore& store, const Clock& clock, std::function<std::uint64_t()> term,
               std::string writer, Report report);

  void Reset();

  // Ok(nullopt): loaded already, nothing new. Ok(memory): loaded now; the caller continues from
  // these dependents' memory (the record's, for the dependents `config` names; after a failed
  // write, merged with `current`). An error: not loaded, hold every dependent.
  Result<std::optional<Dependents>> Load(const config::SwarmConfig& config,
                                         const std::string& default_stack,
                                         const Dependents& current);

  // Ok when the record in Swarm matches (written now, or nothing to write).
  Status Persist(const Dependents& dependents);

  // A pause command; written by the next Persist. Unavailable while not loaded.
  Status SetPause(bool paused, std::string by);

  bool loaded() const { return loaded_; }
  const PauseState& pause() const { return pause_; }
  // For `orcastra status`: {loaded, version, term, writer, reread_pending, writes,
  // write_failures, error}.
  nlohmann::json StatusJson() const;

 private:
  void Emit(std::string kind, std::string message);
  Status Failed(Status status);

  SafetyStore& store_;
  const Clock& clock_;
  const std::function<std::uint64_t()> term_;
  const std::string writer_;
  const Report report_;

  bool loaded_ = false;
  bool reread_ = false;  // a write failed: read and merge before the next write
  StoredSafety stored_;  // the object as last read or written
  // The record the object holds; nullopt when it is unusable (it is rewritten at the next Persist).
  std::optional<SafetyRecord> stored_record_;
  SafetyBasis basis_;  // what the record last loaded or written stands for
  PauseState pause_;
  std::uint64_t writes_ = 0;
  std::uint64_t write_failures_ = 0;
  int failure_streak_ = 0;       // writes failed in a row
  int load_failure_streak_ = 0;  // reads failed in a row
  std::string last_error_;
};

}  // namespace orcastra::leader
