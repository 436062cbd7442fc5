// The agent: one per node. It reports the node's metrics and containers to every leader instance
// (all managers, so standbys stay warm) every report interval, and at once when a container dies,
// is OOM-killed or changes health.
//
// Threads: the Reporter owns the ZeroMQ sockets and the Docker client it reports with; the
// EventWatcher owns a second Docker client for the event stream and hands events to the Reporter
// through a mutex-guarded queue. Leaders' commands (gc, rotate_logs, logs, ...) arrive on the
// Reporter's sockets and run on the AgentCommandRunner's thread (agent/commands/runner.h); the
// Reporter sends their results back between reports.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/autoheal/service.h"
#include "agent/gc/service.h"
#include "agent/logrotate/service.h"
#include "agent/modcache/service.h"
#include "agent/report/node_metrics.h"
#include "common/docker_types.h"
#include "common/flags.h"
#include "common/observe.h"
#include "common/service.h"
#include "protocol/messages.h"

namespace orcastra::agent {

struct AgentOptions {
  std::string docker_socket = "/var/run/docker.sock";
  std::string proc_root;    // default: /host/proc when present, else /proc
  std::string cgroup_root;  // default: /host/sys/fs/cgroup when present, else /sys/fs/cgroup
  MemorySource memory_source;
  std::chrono::milliseconds report_interval{5000};
  // Explicit leader endpoints (tcp://HOST:PORT); empty = every manager of the local daemon's swarm.
  std::vector<std::string> leader_endpoints;
  std::uint16_t leader_port = 7470;
  AutohealOptions autoheal;    // from the AUTOHEAL_* environment (agent/autoheal/service.h)
  GcOptions gc;                // from the GC_* environment (agent/gc/service.h)
  LogRotateOptions logrotate;  // from the LOGROTATE_* environment (agent/logrotate/service.h)
  ModCacheOptions modcache;    // from the MOD_MANAGER_* environment (agent/modcache/service.h)
  HttpOptions http;            // /metrics, /healthz, /readyz (default 0.0.0.0:9471)
  // doc/security.md: the agent's key file (its key pair and the leader keys it trusts, a Docker
  // secret), the node's Swarm certificate directory (read-only), or plain text with --insecure.
  bool insecure = false;
  std::string key_path = "/run/secrets/orcastra-agent.key";
  std::string swarm_cert_dir = "/host/swarm-certificates";
  // doc/healing.md "Re-join": the standalone agent (--rejoin/ORCASTRA_REJOIN) joins its node again
  // when the daemon leaves the swarm, remembering the membership under STATE_DIR/rejoin; a
  // service agent idles while a standalone agent runs on its node.
  bool rejoin = false;
  std::string state_dir = "/var/lib/orcastra";  // --state-dir/ORCASTRA_STATE_DIR
  std::chrono::milliseconds rejoin_interval{5000};
};

// `orcastra agent` flags and env: --docker-host/DOCKER_HOST, --proc-root/ORCASTRA_PROC_ROOT,
// --cgroup-root/ORCASTRA_CGROUP_ROOT, --memory-source/ORCASTRA_MEMORY_SOURCE,
// --report-interval/REPORT_INTERVAL (seconds, or with a unit), --leader/ORCASTRA_LEADER
// (comma-separated), --leader-port/ORCASTRA_AGENT_PORT, --key/ORCASTRA_KEY,
// --swarm-certs/ORCASTRA_SWARM_CERTS, --insecure/ORCASTRA_INSECURE, --rejoin/ORCASTRA_REJOIN,
// --state-dir/ORCASTRA_STATE_DIR, the HTTP endpoint's
// --http-listen, --http-token-file, --health-stall-limit (common/observe.h). Flags win over env.
// Autoheal settings come from the AUTOHEAL_* environment.
Result<AgentOptions> ParseAgentOptions(const std::vector<std::string>& args, const EnvLookup& env);

// Pure: the leader endpoints of a swarm node, one per manager ("tcp://198.51.100.11:7470"), from
// the daemon's /info; empty when the node is not in a swarm. Sorted, without duplicates.
std::vector<std::string> LeaderEndpointsFromInfo(const docker::SystemInfo& info,
                                                 std::uint16_t port);

// Hands important events from the EventWatcher to the Reporter.
class EventQueue {
 public:
  void Push(protocol::Event event);
  std::vector<protocol::Event> TakeAll();
  bool HasPending();

 private:
  std::mutex mutex_;
  std::deque<protocol::Event> events_;  // guarded by mutex_; bounded, oldest dropped
};

// Runs `orcastra agent` until SIGTERM/SIGINT. Returns the process exit code (1 at once, saying
// how to make keys, when there is no key and no --insecure).
int RunAgent(const AgentOptions& options);

}  // namespace orcastra::agent
