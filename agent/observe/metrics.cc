#include "agent/observe/metrics.h"

#include <array>
#include <map>

#include "common/observe.h"

namespace orcastra::agent {
namespace {

double Load(const std::atomic<std::uint64_t>& counter) {
  return static_cast<double>(counter.load(std::memory_order_relaxed));
}

}  // namespace

std::string_view ContainerStateLabel(std::string_view state) {
  static constexpr std::array<std::string_view, 7> kStates = {
      "created", "running", "paused", "restarting", "removing", "exited", "dead"};
  for (std::string_view known : kStates) {
    if (state == known) return known;
  }
  return "other";
}

std::string_view ContainerHealthLabel(std::string_view health) {
  if (health.empty() || health == "none") return "none";
  for (std::string_view known : {"starting", "healthy", "unhealthy"}) {
    if (health == known) return known;
  }
  return "other";
}

std::string RenderAgentMetrics(const AgentFigures& f, std::size_t* problems) {
  using M = AgentMetric;
  metrics::Exposition e(kAgentFamilies);
  AddProcessMetrics<M>(e, f.process);
  e.Add(M::kBuildInfo, {f.version}, 1);

  e.Add(M::kUp, f.report.has_report ? 1 : 0);
  if (f.report.has_report) {
    const protocol::NodeReport& r = f.report.report;
    e.Add(M::kReportAge, std::chrono::duration<double>(f.now - f.report.collected_at).count());
    e.Add(M::kMemoryTotal, static_cast<double>(r.memory.total_bytes));
    e.Add(M::kMemoryAvailable, static_cast<double>(r.memory.available_bytes));
    e.Add(M::kMemoryUsed, static_cast<double>(r.memory.used_bytes));
    e.Add(M::kPressurePresent, r.psi.present ? 1 : 0);
    if (r.psi.present) {
      e.Add(M::kPressure, {"some"}, r.psi.some_avg10 / 100.0);
      e.Add(M::kPressure, {"full"}, r.psi.full_avg10 / 100.0);
    }
    e.Add(M::kLoad1, r.load.avg1);
    e.Add(M::kCpu, r.cpu_percent / 100.0);
    // Every state x health pair that occurs, plus running/none so the family always has a sample.
    std::map<std::pair<std::string_view, std::string_view>, int> containers;
    containers[{"running", "none"}] = 0;
    for (const auto& c : r.containers) {
      ++containers[{ContainerStateLabel(c.state), ContainerHealthLabel(c.health)}];
    }
    for (const auto& [key, count] : containers) {
      e.Add(M::kContainers, {key.first, key.second}, count);
    }
  }
  if (f.reporter != nullptr) {
    e.Add(M::kReportsSent, Load(f.reporter->reports_sent));
    e.Add(M::kReportsSkipped, Load(f.reporter->reports_skipped));
    e.Add(M::kSendFailures, Load(f.reporter->send_failures));
    e.Add(M::kEventsSent, Load(f.reporter->events_sent));
    e.Add(M::kLeaderLinks, Load(f.reporter->leader_links));
  }
  if (f.autoheal != nullptr) {
    e.Add(M::kAutohealRestarts, {"ok"}, Load(f.autoheal->restarts));
    e.Add(M::kAutohealRestarts, {"failed"}, Load(f.autoheal->restart_failures));
    e.Add(M::kAutohealRestarts, {"dry_run"}, Load(f.autoheal->dry_runs));
    e.Add(M::kAutohealGiveUps, Load(f.autoheal->gave_up));
  }
  if (f.gc != nullptr) {
    e.Add(M::kGcRuns, {"ok"}, Load(f.gc->runs));
    e.Add(M::kGcRuns, {"failed"}, Load(f.gc->failed_runs));
    e.Add(M::kGcRemoved, {"container"}, Load(f.gc->containers_removed));
    e.Add(M::kGcRemoved, {"image"}, Load(f.gc->images_removed));
    e.Add(M::kGcRemoved, {"volume"}, Load(f.gc->volumes_removed));
    e.Add(M::kGcRemovalFailures, Load(f.gc->removal_failures));
    e.Add(M::kGcFreed, Load(f.gc->bytes_freed));
  }
  if (f.logrotate != nullptr) {
    e.Add(M::kRotations, {"ok"}, Load(f.logrotate->rotations));
    e.Add(M::kRotations, {"failed"}, Load(f.logrotate->failures));
    e.Add(M::kRotatedBytes, Load(f.logrotate->bytes_rotated));
  }
  if (f.modcache != nullptr) {
    e.Add(M::kModFetches, {"downloaded"}, Load(f.modcache->downloaded));
    e.Add(M::kModFetches, {"not_modified"}, Load(f.modcache->not_modified));
    e.Add(M::kModFetches, {"same_content"}, Load(f.modcache->same_content));
    e.Add(M::kModFetches, {"hash_mismatch"}, Load(f.modcache->hash_mismatch));
    e.Add(M::kModFetches, {"failed"}, Load(f.modcache->failed));
    e.Add(M::kModBytes, Load(f.modcache->bytes));
  }
  AddLoopAndHttpSamples<M>(e, f.loops, f.http);
  if (problems != nullptr) *problems = e.problems();
  return e.Render();
}

}  // namespace orcastra::agent
