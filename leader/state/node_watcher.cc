#include "leader/state/node_watcher.h"

#include "common/docker_events.h"
#include "common/log.h"

namespace orcastra::leader {

NodeWatcher::NodeWatcher(ReadNodes read_nodes, std::chrono::milliseconds poll_interval,
                         SharedState& shared, const Clock& clock)
    : Service("node-watcher"),
      read_nodes_(std::move(read_nodes)),
      poll_interval_(poll_interval),
      shared_(shared),
      clock_(clock) {}

Status NodeWatcher::RefreshOnce() {
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
    if (!WaitFor(stop, poll_interval_)) break;
  }
}

NodeEventWatcher::NodeEventWatcher(std::string docker_socket, bool event_mode, NodeWatcher& watcher,
                                   std::function<void()> poke)
    : Service("node-event-watcher"),
      docker_socket_(std::move(docker_socket)),
      event_mode_(event_mode),
      watcher_(watcher),
      poke_(std::move(poke)) {}

void NodeEventWatcher::Run(std::stop_token stop) {
  docker::Client docker({.socket_path = docker_socket_});
  docker::FollowEvents(
      docker, {{"type", {"node", "service"}}},
      [&](const docker::Event& event) {
        if (event.type == "node") watcher_.Wake();
        if (event_mode_ && poke_) poke_();
      },
      stop, [&](std::chrono::milliseconds pause) { return WaitFor(stop, pause); },
      "node and service");
}

}  // namespace orcastra::leader
