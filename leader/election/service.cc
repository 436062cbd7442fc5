#include "leader/election/service.h"

#include <random>

#include "common/log.h"

namespace orcastra::leader {

// Follows Swarm's events about the lease config and announces changes to the elector.
class LeaseKeeper::EventWatcher final : public Service {
 public:
  explicit EventWatcher(LeaseKeeper& keeper) : Service("lease-events"), keeper_(keeper) {}

 protected:
  void Run(std::stop_token stop) override {
    docker::Client docker(keeper_.docker_options_);
    std::chrono::milliseconds backoff{1000};
    while (!stop.stop_requested()) {
      {
        // Connected from now on (a read follows, covering anything missed before).
        std::lock_guard lock(keeper_.mutex_);
        keeper_.elector_.OnEventsConnected(keeper_.clock_.Now());
      }
      keeper_.Wake();
      Status ended = docker.StreamEvents(
          {{"type", {"config"}}},
          [&](const docker::Event& event) {
            auto name = event.actor_attributes.find("name");
            if (name == event.actor_attributes.end() || name->second != keeper_.lease_name_) return;
            backoff = std::chrono::milliseconds(1000);
            {
              std::lock_guard lock(keeper_.mutex_);
              keeper_.elector_.OnChanged(keeper_.clock_.Now());
            }
            keeper_.Wake();  // the elector may want to read now (follow_renewals)
          },
          stop);
      {
        std::lock_guard lock(keeper_.mutex_);
        keeper_.elector_.OnEventsLost(keeper_.clock_.Now());
      }
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
};

Candidate MakeCandidate(const std::string& node_id, const std::string& hostname) {
  std::random_device random;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
  return {node_id, hostname, node_id + "/" + suffix};
}

LeaseKeeper::LeaseKeeper(docker::ClientOptions docker_options, Candidate self, LeaseTimings timings,
                         std::string lease_name, bool release_on_stop)
    : Service("lease"),
      docker_options_(std::move(docker_options)),
      lease_name_(std::move(lease_name)),
      release_on_stop_(release_on_stop),
      elector_(std::move(self), timings),
      events_(std::make_unique<EventWatcher>(*this)) {}

LeaseKeeper::~LeaseKeeper() {
  Stop();
  events_->Stop();
}

bool LeaseKeeper::IsLeader() const {
  std::lock_guard lock(mutex_);
  return elector_.IsLeader(clock_.Now());
}

std::uint64_t LeaseKeeper::Term() const {
  std::lock_guard lock(mutex_);
  return elector_.LeaderTerm(clock_.Now());
}

LeaseRecord LeaseKeeper::ObservedHolder() const {
  std::lock_guard lock(mutex_);
  return elector_.observed().value_or(LeaseRecord{});
}

void LeaseKeeper::Run(std::stop_token stop) {
  auto log = Logger("election");
  docker::Client docker(docker_options_);
  DockerLeaseStore store(docker, lease_name_);
  events_->Start();
  bool was_leader = false;
  while (!stop.stop_requested()) {
    LeaseAction action;
    {
      std::lock_guard lock(mutex_);
      action = elector_.NextAction(clock_.Now());
    }
    if (action.kind == LeaseAction::Kind::kWait) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(action.at - clock_.Now());
      if (!WaitFor(stop, std::max(wait, std::chrono::milliseconds(1)))) break;
    } else {
      SteadyTime sent_at = clock_.Now();
      Result<LeaseRecord> result = LeaseRecord{};
      switch (action.kind) {
        case LeaseAction::Kind::kRead:
          result = store.Read();
          break;
        case LeaseAction::Kind::kCreate:
          result = store.Create(action.desired);
          break;
        default:
          result = store.Write(action.desired, action.expected_version);
          break;
      }
      std::lock_guard lock(mutex_);
      SteadyTime now = clock_.Now();
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
        elector_.OnWriteResult(action, outcome, result.ok() ? *result : LeaseRecord{}, sent_at,
                               now);
      }
    }
    bool is_leader;
    std::uint64_t term;
    {
      std::lock_guard lock(mutex_);
      is_leader = elector_.IsLeader(clock_.Now());
      term = elector_.LeaderTerm(clock_.Now());
    }
    if (is_leader != was_leader) {
      if (is_leader) {
        log->info("this instance now leads (term {})", term);
      } else {
        log->warn("this instance no longer leads");
      }
      was_leader = is_leader;
    }
  }
  events_->Stop();
  if (!release_on_stop_) return;
  std::optional<LeaseAction> release;
  {
    std::lock_guard lock(mutex_);
    release = elector_.ReleaseAction(clock_.Now());
    elector_.StepDown();  // from here on IsLeader() is false: nothing acts while releasing
  }
  if (!release) return;
  auto released = store.Write(release->desired, release->expected_version);
  if (released.ok()) {
    log->info("lease released (term {})", release->desired.term);
  } else {
    log->warn("lease not released, a standby takes over after the lease duration: {}",
              released.status().ToString());
  }
}

}  // namespace orcastra::leader
