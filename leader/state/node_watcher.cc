#include "leader/state/node_watcher.h"

#include <algorithm>

#include "common/docker_events.h"
#include "common/log.h"
#include "leader/config_store/plan.h"

namespace orcastra::leader {

NodeWatcher::NodeWatcher(ReadNodes read_nodes, std::chrono::milliseconds poll_interval,
                         SharedState& shared, const Clock& clock, ReadSwarm read_swarm)
    : Service("node-watcher"),
      read_nodes_(std::move(read_nodes)),
      poll_interval_(poll_interval),
      shared_(shared),
      clock_(clock),
      read_swarm_(std::move(read_swarm)) {}

void NodeWatcher::RefreshSwarm() {
  if (!read_swarm_) return;
  if (swarm_known_ && clock_.Now() - swarm_read_at_ < kSwarmRefresh) return;
  auto swarm = read_swarm_();
  if (!swarm.ok()) {
    // Kept: the last good trust stays in force (a failed read is no reason to refuse agents).
    Logger("leader")->warn(
        "cannot read the swarm's CA (GET /swarm); agents' attestations {}: {}",
        swarm_known_ ? "are checked with the last one read" : "cannot be checked yet",
        swarm.status().ToString());
    return;
  }
  swarm_known_ = true;
  swarm_read_at_ = clock_.Now();
  std::lock_guard lock(shared_.mutex);
  shared_.trust.cluster_id = std::move(swarm->id);
  shared_.trust.trust_root_pem = std::move(swarm->trust_root_pem);
  shared_.trust.manager_token = std::move(swarm->manager_token);
  shared_.worker_join_token = std::move(swarm->worker_token);
}

Status NodeWatcher::RefreshOnce() {
  RefreshSwarm();
  auto nodes = read_nodes_();
  Status status = nodes.status();
  {
    std::lock_guard lock(shared_.mutex);
    if (nodes.ok()) {
      shared_.cluster.SetNodes(std::move(nodes).value(), clock_.Now());
    } else {
      shared_.cluster.RecordDockerFailure(status, clock_.Now());
    }
  }
  return status;
}

void NodeWatcher::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (Status read = RefreshOnce(); !read.ok()) {
      Logger("leader")->warn("node list not refreshed, keeping the last good one: {}",
                             read.ToString());
    }
    // Until the swarm's CA is known, agents cannot attest: try again soon.
    const bool trust_missing = read_swarm_ && !swarm_known_;
    if (!WaitFor(stop, trust_missing ? std::min(poll_interval_, kSwarmRetry) : poll_interval_)) {
      break;
    }
  }
}

NodeEventWatcher::NodeEventWatcher(std::string docker_socket, bool event_mode, NodeWatcher& watcher,
                                   std::function<void()> poke,
                                   std::function<void()> poke_config_store)
    : Service("node-event-watcher"),
      docker_socket_(std::move(docker_socket)),
      event_mode_(event_mode),
      watcher_(watcher),
      poke_(std::move(poke)),
      poke_config_store_(std::move(poke_config_store)) {}

void NodeEventWatcher::Run(std::stop_token stop) {
  docker::Client docker({.socket_path = docker_socket_});
  docker::FollowEvents(
      docker, {{"type", {"node", "service", "config"}}},
      [&](const docker::Event& event) {
        if (event.type == "config") {
          // Only the stored configuration's versions (the lease and the records change often).
          auto name = event.actor_attributes.find("name");
          if (poke_config_store_ && name != event.actor_attributes.end() &&
              name->second.rfind(kConfigObjectPrefix, 0) == 0) {
            poke_config_store_();
          }
          return;
        }
        if (event.type == "node") watcher_.Wake();
        if (event_mode_ && poke_) poke_();
      },
      stop, [&](std::chrono::milliseconds pause) { return WaitFor(stop, pause); },
      "node, service and config");
}

}  // namespace orcastra::leader
