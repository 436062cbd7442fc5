#include "agent/report/containers.h"

#include "common/cgroup.h"
#include "common/log.h"
#include "common/procfs.h"

namespace orcastra::agent {

protocol::ContainerReport ContainerReportFrom(const docker::ContainerDetails& details,
                                              std::uint64_t memory_bytes) {
  protocol::ContainerReport report;
  report.id = details.id;
  report.name = details.name;
  report.image = details.image;
  report.state = details.state;
  report.health = details.health;
  report.restart_count = static_cast<std::uint32_t>(details.restart_count);
  report.oom_killed = details.oom_killed;
  report.exit_code = details.exit_code;
  report.service_id = details.service_id;
  report.service_name = details.service_name;
  report.task_id = details.task_id;
  report.memory_bytes = memory_bytes;
  return report;
}

std::string ImportantEventKind(const docker::Event& event) {
  if (event.type != "container") return "";
  if (event.action == "die") return "container_die";
  if (event.action == "oom") return "container_oom";
  // A Swarm task started: the leader reconciles at once (an anchor may have moved).
  if (event.action == "start" && event.actor_attributes.count("com.docker.swarm.service.name")) {
    return "container_start";
  }
  if (event.action.rfind("health_status", 0) == 0) return "health_status";
  return "";
}

std::uint64_t ContainerCollector::MemoryOf(const docker::ContainerDetails& details) const {
  if (details.state != "running" || details.pid <= 0) return 0;
  std::string cgroup_file = proc_root_ + "/" + std::to_string(details.pid) + "/cgroup";
  auto text = procfs::ReadFile(cgroup_file);
  if (!text.ok()) return 0;
  auto path = cgroup::ParseMemoryCgroupPath(*text, cgroup_file);
  if (!path.ok()) return 0;
  auto dir = cgroup::MemoryDirFor(cgroup_root_, *path);
  if (!dir.ok()) return 0;
  auto memory = cgroup::ReadMemory(*dir);
  if (!memory.ok()) {
    Logger("agent")->debug("memory of container '{}': {}", details.id.substr(0, 12),
                           memory.status().ToString());
    return 0;
  }
  return memory->WorkingSetBytes();
}

Result<std::vector<protocol::ContainerReport>> ContainerCollector::Collect(docker::Client& docker) {
  auto listed = docker.Containers(/*all=*/true);
  if (!listed.ok()) return listed.status();
  std::map<std::string, Cached> next;
  std::vector<protocol::ContainerReport> reports;
  reports.reserve(listed->size());
  for (const auto& summary : *listed) {
    std::string key = summary.state + "|" + summary.status;
    auto cached = cache_.find(summary.id);
    if (cached == cache_.end() || cached->second.list_key != key) {
      auto details = docker.InspectContainer(summary.id);
      if (!details.ok()) {
        // Removed between list and inspect: it is gone, not an error of the node.
        if (details.status().code() == Status::Code::kNotFound) continue;
        return details.status();
      }
      next[summary.id] = Cached{key, std::move(details).value()};
    } else {
      next[summary.id] = std::move(cached->second);
    }
    const auto& details = next[summary.id].details;
    reports.push_back(ContainerReportFrom(details, MemoryOf(details)));
  }
  cache_ = std::move(next);
  return reports;
}

}  // namespace orcastra::agent
