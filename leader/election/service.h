// Runs one candidate's LeaseElector against the lease in Swarm: a loop that performs the actions
// the elector asks for (read, create, acquire, renew), and a watcher that turns Swarm's events
// about the lease config into change announcements. IsLeader() and Term() may be called from any
// thread; callers must ask IsLeader() immediately before every write to Swarm (doc/election.md).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/service.h"
#include "leader/election/plan.h"
#include "leader/election/store.h"

namespace orcastra::leader {

class LeaseKeeper final : public Service {
 public:
  // With `release_on_stop`, Stop() gives the lease up (when held) so a standby takes over at once;
  // without it, a stop looks like a crash to the others (tests use that).
  LeaseKeeper(docker::ClientOptions docker_options, Candidate self, LeaseTimings timings,
              std::string lease_name = kLeaseConfigName, bool release_on_stop = true);
  ~LeaseKeeper() override;

  bool IsLeader() const;
  // The fencing term while leading, else 0.
  std::uint64_t Term() const;
  // The holder as last read or written (empty when unknown).
  LeaseRecord ObservedHolder() const;

 protected:
  void Run(std::stop_token stop) override;

 private:
  class EventWatcher;

  const docker::ClientOptions docker_options_;
  const std::string lease_name_;
  const bool release_on_stop_;
  SystemClock clock_;
  mutable std::mutex mutex_;
  LeaseElector elector_;  // guarded by mutex_
  std::unique_ptr<EventWatcher> events_;
};

// A process-unique candidate for this node: instance = "<node_id>/<random hex>".
Candidate MakeCandidate(const std::string& node_id, const std::string& hostname);

}  // namespace orcastra::leader
