// The agent's view of its node's containers: what each one is doing (state, health, restarts, OOM),
// which Swarm task it is, and how much memory its cgroup uses.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/docker_client.h"
#include "common/docker_types.h"
#include "common/status.h"
#include "protocol/messages.h"

namespace orcastra::agent {

// Pure: the wire form of one container.
protocol::ContainerReport ContainerReportFrom(const docker::ContainerDetails& details,
                                              std::uint64_t memory_bytes);

// The Docker event kinds that make the agent report at once: a container died, was OOM-killed or
// changed health, or a Swarm task's container started (the leader reconciles on it). Returns the
// protocol event kind ("container_die", "container_oom", "health_status", "container_start") or ""
// for events that only wait for the next periodic report.
std::string ImportantEventKind(const docker::Event& event);

// Lists and inspects containers through the local daemon. Inspections are cached per container and
// redone only when the list shows a change (state or status text), so a quiet node costs one list
// call per report. Not thread-safe; used by the reporter thread only.
class ContainerCollector {
 public:
  ContainerCollector(std::string proc_root, std::string cgroup_root)
      : proc_root_(std::move(proc_root)), cgroup_root_(std::move(cgroup_root)) {}

  // All containers of the node; an error when the list itself fails (never a partial list).
  Result<std::vector<protocol::ContainerReport>> Collect(docker::Client& docker);

  // Forgets a container's cached inspection (after an event about it).
  void Invalidate(const std::string& id) { cache_.erase(id); }

 private:
  // Working-set bytes of a running container's cgroup, 0 when it cannot be read.
  std::uint64_t MemoryOf(const docker::ContainerDetails& details) const;

  struct Cached {
    std::string list_key;  // state + status text when inspected
    docker::ContainerDetails details;
  };
  std::string proc_root_;
  std::string cgroup_root_;
  std::map<std::string, Cached> cache_;
};

}  // namespace orcastra::agent
