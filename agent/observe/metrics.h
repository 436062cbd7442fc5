// The agent's metrics: the one list of its families (ORCASTRA_AGENT_METRICS) and their rendering
// from what the agent's threads published (AgentFigures). doc/observability.md lists them.
//
// Labels are bounded: container states and health are Docker's small sets (anything else counts
// as "other"), loops are the agent's own services, results are fixed words. No container id or
// name is ever a label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/autoheal/service.h"
#include "agent/gc/service.h"
#include "agent/logrotate/service.h"
#include "agent/modcache/service.h"
#include "agent/report/reporter_status.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/process_stats.h"
#include "common/service.h"

namespace orcastra::agent {

#define ORCASTRA_AGENT_METRICS(M)                                                                \
  ORCASTRA_PROCESS_METRICS(M)                                                                    \
  M(kBuildInfo, orcastra_agent_build_info, kGauge, "version",                                    \
    "Always 1; the agent's version is the label.")                                               \
  M(kUp, orcastra_agent_report_collected, kGauge, "",                                            \
    "1 when the agent has collected a complete report (node figures and the daemon's container " \
    "list), else 0; the node figures below exist only then.")                                    \
  M(kReportAge, orcastra_agent_report_age_seconds, kGauge, "",                                   \
    "Seconds since the last complete report was collected (the daemon answered then).")          \
  M(kMemoryTotal, orcastra_agent_memory_total_bytes, kGauge, "",                                 \
    "The node's memory: MemTotal, or the cgroup's limit with a cgroup memory source.")           \
  M(kMemoryAvailable, orcastra_agent_memory_available_bytes, kGauge, "",                         \
    "Memory available to new work: MemAvailable, or the cgroup's limit minus its working set.")  \
  M(kMemoryUsed, orcastra_agent_memory_used_bytes, kGauge, "",                                   \
    "Memory in use: total minus available.")                                                     \
  M(kPressurePresent, orcastra_agent_memory_pressure_present, kGauge, "",                        \
    "1 when memory pressure (PSI) figures are available on this node.")                          \
  M(kPressure, orcastra_agent_memory_pressure_avg10_ratio, kGauge, "kind",                       \
    "Share of the last 10 s in which some (or all: kind=full) tasks stalled on memory (PSI).")   \
  M(kLoad1, orcastra_agent_load1, kGauge, "", "The node's 1-minute load average.")               \
  M(kCpu, orcastra_agent_cpu_usage_ratio, kGauge, "",                                            \
    "The node's CPU use between the last two reports, 0..1.")                                    \
  M(kContainers, orcastra_agent_containers, kGauge, "state,health",                              \
    "Containers on the node by Docker state and health (none: no health check).")                \
  M(kReportsSent, orcastra_agent_reports_sent_total, kCounter, "",                               \
    "Reports handed to at least one leader link.")                                               \
  M(kReportsSkipped, orcastra_agent_reports_skipped_total, kCounter, "",                         \
    "Reports not sent because the node's figures or the container list could not be read.")      \
  M(kSendFailures, orcastra_agent_report_send_failures_total, kCounter, "",                      \
    "Messages (reports, events) a leader link did not take (not connected, queue full).")        \
  M(kEventsSent, orcastra_agent_events_sent_total, kCounter, "", "Events broadcast to leaders.") \
  M(kLeaderLinks, orcastra_agent_leader_links, kGauge, "",                                       \
    "Leader endpoints this agent reports to (one per manager).")                                 \
  M(kAutohealRestarts, orcastra_agent_autoheal_restarts_total, kCounter, "result",               \
    "Restarts of unhealthy containers by autoheal: ok, failed, or dry_run (would have).")        \
  M(kAutohealGiveUps, orcastra_agent_autoheal_give_ups_total, kCounter, "",                      \
    "Containers autoheal gave up on (restart cap reached).")                                     \
  M(kGcRuns, orcastra_agent_gc_runs_total, kCounter, "result",                                   \
    "Garbage collection runs: ok (planned and executed), failed (nothing removed).")             \
  M(kGcRemoved, orcastra_agent_gc_removed_total, kCounter, "kind",                               \
    "Objects removed by garbage collection, by kind (container, image, volume).")                \
  M(kGcRemovalFailures, orcastra_agent_gc_removal_failures_total, kCounter, "",                  \
    "Removals garbage collection attempted that failed.")                                        \
  M(kGcFreed, orcastra_agent_gc_freed_bytes_total, kCounter, "",                                 \
    "Bytes garbage collection freed (Docker's size estimates).")                                 \
  M(kRotations, orcastra_agent_logrotate_rotations_total, kCounter, "result",                    \
    "Log files rotated (ok) or whose rotation failed (failed).")                                 \
  M(kRotatedBytes, orcastra_agent_logrotate_rotated_bytes_total, kCounter, "",                   \
    "Sizes of the log files when they were rotated.")                                            \
  M(kModFetches, orcastra_agent_modcache_fetches_total, kCounter, "result",                      \
    "Mod cache fetches by result: downloaded, not_modified (304), same_content, hash_mismatch, " \
    "failed.")                                                                                   \
  M(kModBytes, orcastra_agent_modcache_downloaded_bytes_total, kCounter, "",                     \
    "Bytes of mod cache downloads put in place.")                                                \
  M(kLoopRestarts, orcastra_agent_loop_restarts_total, kCounter, "loop",                         \
    "Restarts of a background loop after an exception.")                                         \
  M(kLoopBeatAge, orcastra_agent_loop_heartbeat_age_seconds, kGauge, "loop",                     \
    "Seconds since a running background loop last showed it was alive.")                         \
  M(kHttpRequests, orcastra_agent_http_requests_total, kCounter, "",                             \
    "HTTP requests answered on the agent's port.")                                               \
  M(kHttpRefused, orcastra_agent_http_refused_total, kCounter, "reason",                         \
    "HTTP connections or requests refused: busy, bad_request, timeout.")

ORCASTRA_METRIC_FAMILIES(ORCASTRA_AGENT_METRICS, AgentMetric, kAgentFamilies)

// What one scrape renders; pointers to what the threads publish (null: that part is absent, e.g.
// no HTTP server in a test).
struct AgentFigures {
  std::string version;
  SteadyTime now{};
  ProcessStats process;
  ReporterStatus::Snapshot report;
  const ReporterStatus* reporter = nullptr;
  const Autohealer::Counters* autoheal = nullptr;
  const GarbageCollector::Counters* gc = nullptr;
  const LogRotator::Counters* logrotate = nullptr;
  const ModCache::Counters* modcache = nullptr;
  const http::Server::Counters* http = nullptr;
  std::vector<ServiceBeat> loops;
};

// The text of /metrics. `problems` (optional) receives the count of samples the renderer refused
// (a bug: the unit tests require 0).
std::string RenderAgentMetrics(const AgentFigures& figures, std::size_t* problems = nullptr);

// Docker's container states and health values as label values; anything else is "other".
std::string_view ContainerStateLabel(std::string_view state);
std::string_view ContainerHealthLabel(std::string_view health);

}  // namespace orcastra::agent
