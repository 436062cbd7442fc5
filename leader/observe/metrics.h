// The leader's metrics: the one list of its families (ORCASTRA_LEADER_METRICS) and their rendering
// from what the leader's threads published (LeaderFigures). doc/observability.md lists them.
//
// Labels are bounded: nodes are those of Swarm's node list (hostname and id; never a container),
// endpoints are the Engine API client's path templates, kinds and results are fixed words.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/docker_client.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/process_stats.h"
#include "common/service.h"
#include "leader/controller/service.h"
#include "leader/state/shared_state.h"

namespace orcastra::leader {

#define ORCASTRA_LEADER_METRICS(M)                                                                 \
  ORCASTRA_PROCESS_METRICS(M)                                                                      \
  M(kBuildInfo, orcastra_leader_build_info, kGauge, "version",                                     \
    "Always 1; the leader's version is the label.")                                                \
  M(kActive, orcastra_leader_active, kGauge, "",                                                   \
    "1 when this instance holds the lease (the active leader), else 0.")                           \
  M(kLeaseTerm, orcastra_leader_lease_term, kGauge, "",                                            \
    "The lease's fencing term as this instance last read it (0 before the first read).")           \
  M(kAgentsConnected, orcastra_leader_agents_connected, kGauge, "",                                \
    "Agents whose last message is younger than 3 of their report intervals.")                      \
  M(kAgentsExpected, orcastra_leader_agents_expected, kGauge, "",                                  \
    "Nodes in Swarm's node list (one agent each is expected).")                                    \
  M(kNodes, orcastra_leader_nodes, kGauge, "state",                                                \
    "Nodes of Swarm's node list by state: ready, down, other.")                                    \
  M(kDockerOk, orcastra_leader_docker_ok, kGauge, "",                                              \
    "1 when the last read of Swarm's node list worked.")                                           \
  M(kNodeListAge, orcastra_leader_node_list_age_seconds, kGauge, "",                               \
    "Seconds since Swarm's node list was last read whole.")                                        \
  M(kReports, orcastra_leader_reports_received_total, kCounter, "",                                \
    "Node reports received from agents (rate() is the ingest rate).")                              \
  M(kEvents, orcastra_leader_events_recorded_total, kCounter, "",                                  \
    "Events recorded in this instance's event log.")                                               \
  M(kRefused, orcastra_leader_messages_refused_total, kCounter, "",                                \
    "Messages refused on the agent and CLI ports (undecodable, wrong endpoint, bad fields).")      \
  M(kSendFailures, orcastra_leader_send_failures_total, kCounter, "",                              \
    "Messages to agents or CLIs that could not be sent.")                                          \
  M(kBusy, orcastra_leader_busy_refusals_total, kCounter, "",                                      \
    "Requests refused as busy (logs, plans, agent commands over their bounds).")                   \
  M(kHandlerFailures, orcastra_leader_handler_failures_total, kCounter, "",                        \
    "Exceptions caught while handling a message.")                                                 \
  M(kCycles, orcastra_leader_reconcile_cycles_total, kCounter, "result",                           \
    "Reconcile cycles: ok (Swarm read whole and planned), skipped (a read failed: nothing done), " \
    "fenced (stopped: the lease was lost).")                                                       \
  M(kActions, orcastra_leader_actions_total, kCounter, "kind,result",                              \
    "Actions on Swarm by kind (set_labels, force_update, add_constraint) and result (ok, "         \
    "failed, dry_run).")                                                                           \
  M(kApiCalls, orcastra_leader_docker_api_calls_total, kCounter, "endpoint,result",                \
    "Engine API requests by endpoint template and result (ok, client_error, server_error, "        \
    "error).")                                                                                     \
  M(kConfigReloads, orcastra_leader_config_reloads_total, kCounter, "result",                      \
    "Configuration reloads: loaded (put in force) or refused (the last good one stays).")          \
  M(kCommandQueue, orcastra_leader_command_queue_depth, kGauge, "",                                \
    "Commands queued for the controller and not yet run.")                                         \
  M(kAnchors, orcastra_leader_anchors, kGauge, "state",                                            \
    "Anchors of the last cycle: ok (every dependent beside it) or violated.")                      \
  M(kNodeConnected, orcastra_leader_node_agent_connected, kGauge, "node,node_id",                  \
    "1 when the node's agent is connected to this instance.")                                      \
  M(kNodeTotal, orcastra_leader_node_memory_total_bytes, kGauge, "node,node_id",                   \
    "A node's memory as its agent last reported it.")                                              \
  M(kNodeUsed, orcastra_leader_node_memory_used_bytes, kGauge, "node,node_id",                     \
    "A node's memory in use as its agent last reported it.")                                       \
  M(kNodeAvailable, orcastra_leader_node_memory_available_bytes, kGauge, "node,node_id",           \
    "A node's available memory as its agent last reported it.")                                    \
  M(kNodePressure, orcastra_leader_node_memory_pressure_avg10_ratio, kGauge, "node,node_id,kind",  \
    "A node's memory pressure (PSI, 10 s average, 0..1) as its agent last reported it.")           \
  M(kLoopRestarts, orcastra_leader_loop_restarts_total, kCounter, "loop",                          \
    "Restarts of a background loop after an exception.")                                           \
  M(kLoopBeatAge, orcastra_leader_loop_heartbeat_age_seconds, kGauge, "loop",                      \
    "Seconds since a running background loop last showed it was alive.")                           \
  M(kHttpRequests, orcastra_leader_http_requests_total, kCounter, "",                              \
    "HTTP requests answered on the leader's port.")                                                \
  M(kHttpRefused, orcastra_leader_http_refused_total, kCounter, "reason",                          \
    "HTTP connections or requests refused: busy, bad_request, timeout.")

ORCASTRA_METRIC_FAMILIES(ORCASTRA_LEADER_METRICS, LeaderMetric, kLeaderFamilies)

// What one scrape renders, copied from SharedState under its mutex (or pointers to atomics).
struct LeaderFigures {
  std::string version;
  ProcessStats process;
  nlohmann::json status;           // StatusDocument
  std::vector<NodeFigures> nodes;  // ClusterState::Figures
  std::uint64_t reports_received = 0;
  std::uint64_t events_recorded = 0;
  EndpointsHealth endpoints;
  const ControllerCounters* controller = nullptr;
  std::size_t queued_commands = 0;
  std::vector<docker::ApiCallStat> api_calls;
  std::vector<ServiceBeat> loops;
  const http::Server::Counters* http = nullptr;
};

// The text of /metrics. `problems` (optional) receives the count of samples the renderer refused
// (a bug: the unit tests require 0).
std::string RenderLeaderMetrics(const LeaderFigures& figures, std::size_t* problems = nullptr);

}  // namespace orcastra::leader
