#include "leader/election/service.h"

#include <random>

#include "common/log.h"

namespace orcastra::leader {

// Follows the lease's events and tells the keeper; reconnects with backoff when the stream ends.
class LeaseKeeper::EventWatcher final : public Service {
 public:
  EventWatcher(LeaseKeeper& keeper, LeaseEvents& events)
      : Service("lease-events"), keeper_(keeper), events_(events) {}

 protected:
  void Run(std::stop_token stop) override {
    std::chrono::milliseconds backoff{1000};
    while (!stop.stop_requested()) {
      Status ended = events_.Follow([&] { keeper_.OnEventsConnected(); },
                                    [&] {
                                      backoff = std::chrono::milliseconds(1000);
                                      keeper_.OnLeaseChanged();
                                    },
                                    stop);
      keeper_.OnEventsLost();
      if (stop.stop_requested()) break;
      Logger("election")
          ->warn("lease event stream ended, polling meanwhile; retry in {} ms: {}", backoff.count(),
                 ended.ToString());
      if (!WaitFor(stop, backoff)) break;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }

 private:
  LeaseKeeper& keeper_;
  LeaseEvents& events_;
};

Candidate MakeCandidate(const std::string& node_id, const std::string& hostname) {
  std::random_device random;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
  return {node_id, hostname, node_id + "/" + suffix};
}

LeaseKeeper::LeaseKeeper(LeaseStore& store, const Clock& clock, Candidate self,
                         LeaseTimings timings, LeaseEvents* events, bool release_on_stop)
    : Service("lease"),
      store_(store),
      clock_(clock),
      release_on_stop_(release_on_stop),
      elector_(std::move(self), timings),
      watcher_(events != nullptr ? std::make_unique<EventWatcher>(*this, *events) : nullptr) {}

LeaseKeeper::~LeaseKeeper() {
  Stop();
  if (watcher_) watcher_->Stop();
}

bool LeaseKeeper::IsLeader() const {
  std::lock_guard lock(mutex_);
  return elector_.IsLeader(clock_.Now());
}

std::uint64_t LeaseKeeper::Term() const {
  std::lock_guard lock(mutex_);
  return elector_.LeaderTerm(clock_.Now());
}

std::optional<SteadyTime> LeaseKeeper::LastWriteSent() const {
  std::lock_guard lock(mutex_);
  return elector_.last_write_sent(clock_.Now());
}

LeaseRecord LeaseKeeper::ObservedHolder() const {
  std::lock_guard lock(mutex_);
  return elector_.observed().value_or(LeaseRecord{});
}

void LeaseKeeper::OnEventsConnected() {
  {
    std::lock_guard lock(mutex_);
    elector_.OnEventsConnected(clock_.Now());
  }
  Wake();  // a read is due: changes may have been missed while disconnected
}

void LeaseKeeper::OnLeaseChanged() {
  {
    std::lock_guard lock(mutex_);
    elector_.OnChanged(clock_.Now());
  }
  Wake();  // the elector may want to read now (follow_renewals)
}

void LeaseKeeper::OnEventsLost() {
  std::lock_guard lock(mutex_);
  elector_.OnEventsLost(clock_.Now());
}

std::chrono::milliseconds LeaseKeeper::Step() {
  auto log = Logger("election");
  LeaseAction action;
  {
    std::lock_guard lock(mutex_);
    action = elector_.NextAction(clock_.Now());
  }
  std::chrono::milliseconds wait{0};
  if (action.kind == LeaseAction::Kind::kWait) {
    wait = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(action.at - clock_.Now()),
                    std::chrono::milliseconds(1));
  } else {
    // The store call is made without the lock: IsLeader() answers meanwhile.
    const SteadyTime sent_at = clock_.Now();
    Result<LeaseRecord> result = LeaseRecord{};
    switch (action.kind) {
      case LeaseAction::Kind::kRead:
        result = store_.Read();
        break;
      case LeaseAction::Kind::kCreate:
        result = store_.Create(action.desired);
        break;
      default:
        result = store_.Write(action.desired, action.expected_version);
        break;
    }
    std::lock_guard lock(mutex_);
    const SteadyTime now = clock_.Now();
    if (action.kind == LeaseAction::Kind::kRead) {
      if (result.ok()) {
        elector_.OnObserved(*result, now);
      } else {
        log->warn("cannot read the lease: {}", result.status().ToString());
        elector_.OnReadFailed(now);
      }
    } else {
      WriteOutcome outcome = result.ok() ? WriteOutcome::kOk
                             : result.status().code() == Status::Code::kConflict
                                 ? WriteOutcome::kConflict
                                 : WriteOutcome::kFailed;
      if (outcome == WriteOutcome::kFailed) {
        log->warn("lease write failed: {}", result.status().ToString());
      }
      elector_.OnWriteResult(action, outcome, result.ok() ? *result : LeaseRecord{}, sent_at, now);
    }
  }
  bool is_leader;
  std::uint64_t term;
  {
    std::lock_guard lock(mutex_);
    is_leader = elector_.IsLeader(clock_.Now());
    term = elector_.LeaderTerm(clock_.Now());
  }
  if (is_leader != was_leader_) {
    if (is_leader) {
      log->info("this instance now leads (term {})", term);
    } else {
      log->warn("this instance no longer leads");
    }
    was_leader_ = is_leader;
  }
  return wait;
}

void LeaseKeeper::Release() {
  std::optional<LeaseAction> release;
  {
    std::lock_guard lock(mutex_);
    release = elector_.ReleaseAction(clock_.Now());
    elector_.StepDown();  // from here on IsLeader() is false: nothing acts while releasing
  }
  was_leader_ = false;
  if (!release) return;
  auto log = Logger("election");
  auto released = store_.Write(release->desired, release->expected_version);
  if (released.ok()) {
    log->info("lease released (term {})", release->desired.term);
  } else {
    log->warn("lease not released, a standby takes over after the lease duration: {}",
              released.status().ToString());
  }
}

void LeaseKeeper::Run(std::stop_token stop) {
  if (watcher_) watcher_->Start();
  while (!stop.stop_requested()) {
    std::chrono::milliseconds wait = Step();
    if (wait.count() > 0 && !WaitFor(stop, wait)) break;
  }
  if (watcher_) watcher_->Stop();
  if (release_on_stop_) Release();
}

}  // namespace orcastra::leader
