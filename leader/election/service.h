// Runs one candidate's LeaseElector against the lease in Swarm: a loop that performs the actions
// the elector asks for (read, create, acquire, renew) on a LeaseStore, and a watcher that turns
// LeaseEvents (Swarm's events about the lease config) into change announcements. IsLeader() and
// Term() may be called from any thread; callers must ask IsLeader() immediately before every write
// to Swarm (doc/election.md).
//
// Side effects come in at construction: the store, the clock and the events (optional: without
// them the keeper polls). They must outlive the keeper; the store and the events are used by the
// keeper's threads only. The loop is Step() repeated; tests call Step() and the On*() hooks on a
// simulated clock without starting any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/service.h"
#include "leader/election/plan.h"
#include "leader/election/store.h"

namespace orcastra::leader {

class LeaseKeeper final : public Service {
 public:
  // With `release_on_stop`, Stop() gives the lease up (when held) so a standby takes over at once;
  // without it, a stop looks like a crash to the others (tests use that).
  LeaseKeeper(LeaseStore& store, const Clock& clock, Candidate self, LeaseTimings timings,
              LeaseEvents* events = nullptr, bool release_on_stop = true);
  ~LeaseKeeper() override;

  bool IsLeader() const;
  // The fencing term while leading, else 0.
  std::uint64_t Term() const;
  // When the last successful renewal of the lease was sent (a write Swarm's Raft store committed,
  // so quorum held after that moment); nullopt while not leading.
  std::optional<SteadyTime> LastWriteSent() const;
  // The holder as last read or written (empty when unknown).
  LeaseRecord ObservedHolder() const;

  // One step of the loop: performs what the elector asks for now (at most one store call) and
  // returns how long to wait before the next step (0: at once). The loop's thread only, or a test
  // with no thread started.
  std::chrono::milliseconds Step();
  // The clean stop: stops leading at once (IsLeader() is false from here on), then writes the
  // release when the lease was held (one store call). Same thread rule as Step().
  void Release();

  // What the event watcher reports (any thread): the stream is up (changes may have been missed
  // before), a write to the lease was announced, the stream is down (the keeper polls meanwhile).
  void OnEventsConnected();
  void OnLeaseChanged();
  void OnEventsLost();

 protected:
  void Run(std::stop_token stop) override;

 private:
  class EventWatcher;

  LeaseStore& store_;
  const Clock& clock_;
  const bool release_on_stop_;
  bool was_leader_ = false;  // the loop's thread only: for the log line at each change
  mutable std::mutex mutex_;
  LeaseElector elector_;                   // guarded by mutex_
  std::unique_ptr<EventWatcher> watcher_;  // null without events
};

// A process-unique candidate for this node: instance = "<node_id>/<random hex>".
Candidate MakeCandidate(const std::string& node_id, const std::string& hostname);

}  // namespace orcastra::leader
