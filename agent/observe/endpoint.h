// The agent's HTTP endpoint (port 9471, doc/observability.md): /metrics, /healthz and /readyz.
// Handlers read only what the agent's threads published (ReporterStatus, the services' counters
// and heartbeats); they never read /proc or call the Docker daemon.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/observe/metrics.h"
#include "common/clock.h"
#include "common/http_server.h"
#include "common/service.h"

namespace orcastra::agent {

struct AgentEndpoint {
  std::string version;
  const Clock* clock = nullptr;
  const ReporterStatus* reporter = nullptr;
  const Autohealer::Counters* autoheal = nullptr;
  const GarbageCollector::Counters* gc = nullptr;
  const LogRotator::Counters* logrotate = nullptr;
  const ModCache::Counters* modcache = nullptr;
  // The HTTP server's own counters (set once it listens).
  const http::Server::Counters* http = nullptr;
  // Every loop of the process (the runner's list; not changed once the server serves).
  const std::vector<std::shared_ptr<Service>>* loops = nullptr;
  std::chrono::milliseconds stall_limit{180000};
  // Ready while the last complete report (the daemon answered) is younger than this.
  std::chrono::milliseconds ready_within{35000};
  // The read-only token; /metrics asks for it when `metrics_auth`.
  std::optional<std::string> token;
  bool metrics_auth = false;

  http::Response Handle(const http::Request& request) const;
};

}  // namespace orcastra::agent
