// The leader: one instance per manager. Each instance keeps the whole cluster state warm (every
// agent reports to every instance) and answers the CLI from it. The active instance is the one
// holding the lease (doc/election.md); only it will act on Swarm.
//
// Threads (wired in RunLeader): the Endpoints service owns both ZeroMQ ROUTER sockets (agents,
// CLI; leader/endpoints/endpoints.h); the NodeWatcher reads Docker's node list (periodically and
// when a node event arrives, via the NodeEventWatcher; leader/state/node_watcher.h); the
// PlanWorker answers `plan` with a Docker client of its own; the Controller, the Healer
// (leader/heal/service.h) and the LeaseKeeper. They share the ClusterState and the controller's and
// the healer's views under one mutex (SharedState).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/flags.h"
#include "common/observe.h"
#include "common/status.h"
#include "config/settings.h"
#include "leader/election/plan.h"
#include "leader/heal/plan.h"

namespace orcastra::leader {

struct LeaderOptions {
  std::string docker_socket = "/var/run/docker.sock";
  std::string bind_address = "0.0.0.0";
  std::uint16_t agent_port = 7470;    // agents' reports (ROUTER)
  std::uint16_t control_port = 7471;  // the CLI (ROUTER)
  // Safety-net re-read of the node list; node events trigger a read at once.
  std::chrono::milliseconds poll_interval{30000};
  // The election's timings (doc/election.md).
  LeaseTimings lease;
  // The configuration files and the controller's settings (doc/configuration.md).
  config::Settings settings;
  std::chrono::milliseconds anchor_grace{120000};  // ANCHOR_GRACE_PERIOD
  std::chrono::milliseconds follow_window{0};      // ANCHOR_FOLLOW_WINDOW
  // Healing's graces (doc/healing.md): HEAL_PHANTOM_GRACE, HEAL_MANAGER_GRACE,
  // HEAL_PROMOTION_TIMEOUT; self_node_id is set at start.
  HealSettings heal;
  // /metrics, /healthz, /readyz, the web view and /api (default 0.0.0.0:9470; common/observe.h).
  HttpOptions http;
  // doc/security.md: the leader's key pair and the clients file (Docker secrets), or plain text
  // with --insecure.
  bool insecure = false;
  std::string key_path = "/run/secrets/orcastra-leader.key";
  std::string clients_path = "/run/secrets/orcastra-clients";
};

// `orcastra leader` flags and env: --docker-host/DOCKER_HOST, --bind/ORCASTRA_BIND,
// --agent-port/ORCASTRA_AGENT_PORT, --control-port/ORCASTRA_CONTROL_PORT,
// --poll-interval/ORCASTRA_POLL_INTERVAL, --lease-duration/ORCASTRA_LEASE_DURATION,
// --lease-renew-deadline, --lease-renew-interval, --lease-retry-period (ORCASTRA_LEASE_*),
// --config DIR (else ORCASTRA_CONFIG_DIR and the other variables of config/settings.h),
// ANCHOR_GRACE_PERIOD, HEAL_PHANTOM_GRACE, HEAL_MANAGER_GRACE, HEAL_PROMOTION_TIMEOUT,
// --key/ORCASTRA_KEY, --clients/ORCASTRA_CLIENTS, --insecure/ORCASTRA_INSECURE, and the HTTP
// endpoint's --http-listen, --http-token-file, --health-stall-limit (common/observe.h). An
// environment variable with a bad value is an error naming it.
Result<LeaderOptions> ParseLeaderOptions(const std::vector<std::string>& args,
                                         const EnvLookup& env);

// Runs `orcastra leader` until SIGTERM/SIGINT. Returns the process exit code.
int RunLeader(const LeaderOptions& options);

}  // namespace orcastra::leader
