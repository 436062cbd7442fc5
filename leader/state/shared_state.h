// What the leader's threads share: the cluster state (node watcher, endpoints, the controller's
// events), the controller's, the rebalancer's and the healer's last published views, and what the
// node watcher read of the swarm's CA, behind one mutex.
#pragma once

#include <cstdint>
#include <mutex>

#include "leader/controller/service.h"
#include "leader/heal/service.h"
#include "leader/rebalance/service.h"
#include "leader/state/cluster_state.h"
#include "protocol/attestation.h"

namespace orcastra::leader {

// The endpoints' counters (EndpointsCore::Counters) as of their last round, for `status` and
// /metrics read from other threads.
struct EndpointsHealth {
  std::uint64_t refused = 0;
  std::uint64_t send_failures = 0;
  std::uint64_t replies_too_large = 0;
  std::uint64_t handler_failures = 0;
  std::uint64_t busy = 0;
  nlohmann::json security;  // the status document's "security" (EndpointsCore::SecurityJson)
};

struct SharedState {
  std::mutex mutex;
  ClusterState cluster;       // guarded by mutex
  ControllerView view;        // guarded by mutex; the controller's last cycle
  RebalanceView rebalance;    // guarded by mutex; the rebalancer's last pass
  HealView heal;              // guarded by mutex; the healer's last pass
  EndpointsHealth endpoints;  // guarded by mutex; published by the endpoints every round
  // guarded by mutex; what the node watcher read of GET /swarm (the manager token is a secret:
  // never logged or shown)
  protocol::SwarmTrust trust;
  // guarded by mutex; GET /swarm's JoinTokens.Worker, a secret: sent only in a join_answer to the
  // attested agent of a listed node that left (leader/heal/join.h), never logged or shown
  std::string worker_join_token;
};

}  // namespace orcastra::leader
