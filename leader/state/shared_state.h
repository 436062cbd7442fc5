// What the leader's threads share: the cluster state (node watcher, endpoints, the controller's
// events), the controller's and the healer's last published views and what the node watcher
// read of the swarm's CA, behind one mutex.
#pragma once

#include <mutex>

#include "leader/controller/service.h"
#include "leader/heal/service.h"
#include "leader/state/cluster_state.h"
#include "protocol/attestation.h"

namespace orcastra::leader {

struct SharedState {
  std::mutex mutex;
  ClusterState cluster;  // guarded by mutex
  ControllerView view;   // guarded by mutex; the controller's last cycle
  HealView heal;         // guarded by mutex; the healer's last pass
  // guarded by mutex; what the node watcher read of GET /swarm (the manager token is a secret:
  // never logged or shown)
  protocol::SwarmTrust trust;
};

}  // namespace orcastra::leader
