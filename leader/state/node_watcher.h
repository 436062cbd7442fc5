// The leader's two Docker watchers of its own manager's daemon.
//
// NodeWatcher reads Swarm's node list into the shared ClusterState every `poll_interval` and
// whenever it is woken (a node event), and the swarm's CA and manager token (GET /swarm) into
// SharedState::trust, so that the endpoints thread never calls the Engine API. A failed read keeps
// the last good list and is recorded (design.md §4 rule 1). NodeEventWatcher follows Swarm's node
// and service events: a node event wakes the NodeWatcher, and with EVENT_MODE either kind pokes the
// controller.
//
// Each runs on its own Service thread; Docker is reached only through what is passed in.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/service.h"
#include "common/status.h"
#include "leader/state/shared_state.h"

namespace orcastra::leader {

class NodeWatcher final : public Service {
 public:
  // One complete read of the node list (docker::Client::Nodes), called on the watcher's thread.
  using ReadNodes = std::function<Result<std::vector<docker::Node>>()>;
  // GET /swarm (docker::Client::Swarm): the cluster id, root CA and manager token the endpoints
  // check agents' attestations with (SharedState::trust). Optional.
  using ReadSwarm = std::function<Result<docker::SwarmInspect>()>;

  // How often GET /swarm is read again once known (a CA or join token rotation reaches the
  // endpoints within this); while unknown it is read at every refresh.
  static constexpr std::chrono::seconds kSwarmRefresh{60};
  static constexpr std::chrono::milliseconds kSwarmRetry{2000};

  NodeWatcher(ReadNodes read_nodes, std::chrono::milliseconds poll_interval, SharedState& shared,
              const Clock& clock, ReadSwarm read_swarm = nullptr);

  // One read, stored in the shared state (or recorded as a failure), and GET /swarm when due.
  // Returns the node list read's Status.
  Status RefreshOnce();

 protected:
  void Run(std::stop_token stop) override;

 private:
  void RefreshSwarm();

  const ReadNodes read_nodes_;
  const std::chrono::milliseconds poll_interval_;
  SharedState& shared_;
  const Clock& clock_;
  const ReadSwarm read_swarm_;
  SteadyTime swarm_read_at_{};  // the last successful GET /swarm
  bool swarm_known_ = false;
};

class NodeEventWatcher final : public Service {
 public:
  // `poke` (Controller::Poke) runs on every node and service event when `event_mode` is on;
  // `poke_config_store` (Controller::PokeStore) on every event of a stored configuration version
  // (config objects named orcastra-config-v*), whatever the event mode.
  NodeEventWatcher(std::string docker_socket, bool event_mode, NodeWatcher& watcher,
                   std::function<void()> poke, std::function<void()> poke_config_store = {});

 protected:
  void Run(std::stop_token stop) override;

 private:
  const std::string docker_socket_;
  const bool event_mode_;
  NodeWatcher& watcher_;
  const std::function<void()> poke_;
  const std::function<void()> poke_config_store_;
};

}  // namespace orcastra::leader
