// What the leader's threads share: the cluster state (node watcher, endpoints, the controller's
// events) and the controller's and the rebalancer's last published views, behind one mutex.
#pragma once

#include <mutex>

#include "leader/controller/service.h"
#include "leader/rebalance/service.h"
#include "leader/state/cluster_state.h"

namespace orcastra::leader {

struct SharedState {
  std::mutex mutex;
  ClusterState cluster;     // guarded by mutex
  ControllerView view;      // guarded by mutex; the controller's last cycle
  RebalanceView rebalance;  // guarded by mutex; the rebalancer's last pass
};

}  // namespace orcastra::leader
