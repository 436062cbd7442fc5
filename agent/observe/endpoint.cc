#include "agent/observe/endpoint.h"

#include "common/observe.h"
#include "common/process_stats.h"

namespace orcastra::agent {

http::Response AgentEndpoint::Handle(const http::Request& request) const {
  const SteadyTime now = clock->Now();
  if (request.path == "/metrics") {
    if (metrics_auth) {
      if (!token) return NoTokenConfigured("/metrics with ORCASTRA_HTTP_METRICS_AUTH");
      if (!Authorized(request, *token)) return Unauthorized();
    }
    AgentFigures figures;
    figures.version = version;
    figures.now = now;
    figures.process = ReadProcessStats();
    if (reporter != nullptr) figures.report = reporter->Last();
    figures.reporter = reporter;
    figures.autoheal = autoheal;
    figures.gc = gc;
    figures.logrotate = logrotate;
    figures.modcache = modcache;
    figures.http = http;
    if (loops != nullptr)
      figures.loops = Liveness(*loops, std::chrono::steady_clock::now(), stall_limit);
    http::Response response;
    response.content_type = std::string(metrics::kContentType);
    response.body = RenderAgentMetrics(figures);
    AddSecurityHeaders(response);
    return response;
  }
  if (request.path == "/healthz") {
    return HealthzResponse(loops == nullptr
                               ? std::vector<ServiceBeat>{}
                               : Liveness(*loops, std::chrono::steady_clock::now(), stall_limit));
  }
  if (request.path == "/readyz") {
    if (reporter == nullptr) return ReadyzResponse(false, "no reporter");
    const auto last = reporter->Last();
    if (!last.has_report) {
      return ReadyzResponse(false, "no complete report yet (is the Docker daemon answering?)");
    }
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - last.collected_at);
    const std::string seconds = std::to_string(age.count() / 1000);
    if (age > ready_within) {
      return ReadyzResponse(false, "the last complete report is " + seconds +
                                       " s old: the Docker daemon or the node's figures do not "
                                       "answer");
    }
    return ReadyzResponse(true, "the daemon answered " + seconds + " s ago");
  }
  http::Response response;
  response.status = 404;
  response.body = "not found: the agent serves /metrics, /healthz and /readyz\n";
  AddSecurityHeaders(response);
  return response;
}

}  // namespace orcastra::agent
