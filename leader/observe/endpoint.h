// The leader's HTTP endpoint (port 9470, doc/observability.md): /metrics, /healthz, /readyz, and
// with the read-only token the web view (`/`, its assets) and the CLI's JSON documents under
// /api/ (status, nodes, anchors, services, events).
//
// Handlers run on the HTTP server's worker threads and read only what the leader's threads
// published (SharedState under its mutex, the lease, atomic counters); none calls the Engine API,
// so a scraper or a browser never delays the ZeroMQ endpoints or the controller for longer than
// it takes to copy a document.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/http_server.h"
#include "common/service.h"
#include "leader/controller/service.h"
#include "leader/state/shared_state.h"

namespace orcastra::leader {

// One file of the web view, embedded in the binary at build time from leader/observe/web/.
struct WebAsset {
  std::string_view path;  // "/app.js"
  std::string_view content_type;
  std::string_view body;
};
std::span<const WebAsset> WebAssets();

struct LeaderEndpoint {
  std::string version;
  const Clock* clock = nullptr;
  SharedState* shared = nullptr;
  std::function<LeaseView()> lease;  // LeaseKeeper's view (thread-safe)
  const ControllerCounters* controller = nullptr;
  std::function<std::size_t()> queued_commands;
  const http::Server::Counters* http = nullptr;
  const std::vector<std::shared_ptr<Service>>* loops = nullptr;
  std::chrono::milliseconds stall_limit{180000};
  // Ready while Swarm's node list was read whole within this.
  std::chrono::milliseconds ready_within{75000};
  std::optional<std::string> token;
  bool metrics_auth = false;

  http::Response Handle(const http::Request& request) const;

 private:
  http::Response Metrics() const;
  http::Response Readyz() const;
  http::Response Api(const http::Request& request) const;
};

}  // namespace orcastra::leader
