// Leader election by a lease kept in Swarm's own Raft store (doc/election.md).
//
// The lease is one record {holder, term} with a version that Swarm increments on every write; every
// write is a compare-and-swap on the version read before. LeaseElector is the pure state machine of
// one candidate: it is told what was observed (reads, events, results of its own writes) and the
// time, and answers what to do next. It never reads a clock and does no I/O (LeaseLoop does).
//
// Timing rules (Kubernetes' leader election, with our own clocks only; never a peer's timestamps):
// - the holder renews every `renew_interval`, and stops acting when no renewal succeeded within
//   `renew_deadline` of the moment it *sent* the last successful one;
// - a candidate may swap in its own record only over a version that it first *read* at least
//   `lease_duration` ago on its own monotonic clock (and nothing announced a change since).
// A successful swap over version V proves V was the last write; V was sent before it could be read,
// so the old holder's deadline passed (lease_duration - renew_deadline) before the takeover, even
// with clocks running at slightly different rates. Swarm's events about the lease object are only
// hints of *when* to read (so standbys poll nothing while the holder renews); safety never depends
// on them. Validate() enforces lease_duration > renew_deadline > renew_interval > 0 and
// 0 < retry_period < renew_deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace orcastra::leader {

struct LeaseTimings {
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds renew_interval{5000};
  // How soon to retry after a failed write or read.
  std::chrono::milliseconds retry_period{2000};
  // A standby reads the lease after every announced renewal, so that it knows each version from
  // (nearly) the moment it was written: after the holder dies it takes over one lease duration
  // after the holder's last renewal, not one lease duration after its own first read once Swarm
  // answers again (which, when the dead node was also Swarm's Raft leader, adds Swarm's whole
  // re-election). Costs each standby one read per renewal. ORCASTRA_LEASE_FOLLOW_RENEWALS.
  bool follow_renewals = true;

  Status Validate() const;
};

// Who runs for leader: one process. `instance` is unique per process, so two instances on the same
// node (a rolling update) are different candidates.
struct Candidate {
  std::string node_id;
  std::string hostname;
  std::string instance;  // "<node_id>/<random>"
};

// The lease as stored. `exists` is false when there is no record yet (first start of a cluster).
struct LeaseRecord {
  bool exists = false;
  std::string holder;  // the holder's Candidate::instance; "" when released
  std::string holder_node_id;
  std::string holder_hostname;
  std::uint64_t term = 0;     // +1 on every change of holder: the fencing token
  std::uint64_t version = 0;  // Swarm's object version, for compare-and-swap

  bool operator==(const LeaseRecord&) const = default;
};

// What the candidate should do now.
struct LeaseAction {
  enum class Kind {
    kWait,     // nothing to do before `at`
    kRead,     // read the record (first start, after an error, or when it may have expired)
    kCreate,   // create the record with `desired` (none exists yet)
    kAcquire,  // CAS `desired` over version `expected_version` (expired or released)
    kRenew,    // CAS `desired` (same holder and term) over `expected_version`
    kRelease,  // CAS `desired` (no holder, same term) over `expected_version`: a clean stop
  };
  Kind kind = Kind::kWait;
  SteadyTime at{};  // for kWait: when to ask again
  LeaseRecord desired;
  std::uint64_t expected_version = 0;
};

// Outcome of a write the loop performed for an action.
enum class WriteOutcome {
  kOk,        // written; `record` (with its new version) is what is stored now
  kConflict,  // the version changed under us: somebody else wrote first
  kFailed,    // the write could not be done or its result is unknown (timeout, daemon down)
};

class LeaseElector {
 public:
  LeaseElector(Candidate self, LeaseTimings timings);

  // A complete read of the record at `now`.
  void OnObserved(const LeaseRecord& record, SteadyTime now);
  // Swarm reported a write to the lease object (an event), contents unknown.
  void OnChanged(SteadyTime now);
  // The event stream is connected or broken. While it is connected, a standby reads when the
  // announcements stop (renew_interval + retry_period after the last one) and otherwise once per
  // lease_duration; while it is broken, it reads every renew_interval.
  void OnEventsConnected(SteadyTime now);
  void OnEventsLost(SteadyTime now);
  // The read failed: keep what we knew; a holder keeps its deadline (it cannot renew blind).
  void OnReadFailed(SteadyTime now);
  // Result of the write made for `action`, which was sent at `sent_at`. For kOk, `stored` is the
  // record as written (with its new version).
  void OnWriteResult(const LeaseAction& action, WriteOutcome outcome, const LeaseRecord& stored,
                     SteadyTime sent_at, SteadyTime now);

  LeaseAction NextAction(SteadyTime now) const;
  // For a clean shutdown: the write that gives the lease up, when we lead. Stop acting before
  // sending it; a standby then takes over without waiting a lease duration.
  std::optional<LeaseAction> ReleaseAction(SteadyTime now) const;
  // Stops leading at once (before a release is sent, or on shutdown).
  void StepDown() { leading_ = false; }

  // True while this candidate holds the lease and its renew deadline has not passed. Every action
  // on Swarm must check this immediately before it is sent.
  bool IsLeader(SteadyTime now) const;
  // The term under which we lead (the fencing token), or 0.
  std::uint64_t LeaderTerm(SteadyTime now) const { return IsLeader(now) ? term_ : 0; }
  // The holder as last observed (may be us, may be stale by up to one event).
  const std::optional<LeaseRecord>& observed() const { return observed_; }
  const LeaseTimings& timings() const { return timings_; }
  // The latest time at which we may still act as leader (meaningful only while leading).
  SteadyTime leadership_deadline() const { return deadline_; }
  // When the last write that renewed our lease was sent (it succeeded, so Swarm's Raft store had
  // quorum after that moment); nullopt when we do not lead.
  std::optional<SteadyTime> last_write_sent(SteadyTime now) const {
    if (!IsLeader(now)) return std::nullopt;
    return last_renew_sent_;
  }

 private:
  bool ObservedHolderIsUs() const;
  LeaseRecord Desired(std::uint64_t term) const;

  const Candidate self_;
  const LeaseTimings timings_;

  std::optional<LeaseRecord> observed_;  // last record read or written
  SteadyTime version_read_at_{};         // when we first read observed_->version
  bool need_read_ = true;                // our picture may be stale (start, error, conflict)
  bool change_announced_ = false;        // an event announced a write after our last read
  SteadyTime last_announcement_{};
  SteadyTime retry_at_{};  // no new attempt before this
  bool events_connected_ = false;
  SteadyTime last_read_{};

  bool leading_ = false;
  std::uint64_t term_ = 0;
  SteadyTime last_renew_sent_{};  // send time of the last successful write while leading
  SteadyTime deadline_{};         // last_renew_sent_ + renew_deadline
};

}  // namespace orcastra::leader
