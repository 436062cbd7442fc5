#include "leader/observe/endpoint.h"

#include <limits>

#include "common/flags.h"
#include "common/observe.h"
#include "common/process_stats.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "leader/endpoints/endpoints.h"
#include "leader/observe/metrics.h"
#include "leader/state/documents.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

http::Response JsonResponse(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json; charset=utf-8";
  r.body = DumpJson(body);
  AddSecurityHeaders(r);
  return r;
}

http::Response NotFound() {
  http::Response r;
  r.status = 404;
  r.body = "not found\n";
  AddSecurityHeaders(r);
  return r;
}

}  // namespace

http::Response LeaderEndpoint::Handle(const http::Request& request) const {
  const std::string& path = request.path;
  if (path == "/metrics") {
    if (metrics_auth) {
      if (!token) return NoTokenConfigured("/metrics with ORCASTRA_HTTP_METRICS_AUTH");
      if (!Authorized(request, *token)) return Unauthorized();
    }
    return Metrics();
  }
  if (path == "/healthz") {
    return HealthzResponse(loops == nullptr
                               ? std::vector<ServiceBeat>{}
                               : Liveness(*loops, std::chrono::steady_clock::now(), stall_limit));
  }
  if (path == "/readyz") return Readyz();
  if (path == "/favicon.ico") {
    http::Response r;
    r.status = 204;
    return r;
  }
  // Everything else is the web view or its data: the read-only token first.
  if (!token) return NoTokenConfigured("the web view and /api");
  if (!Authorized(request, *token)) return Unauthorized();
  if (path.rfind("/api/", 0) == 0) return Api(request);
  const std::string_view wanted = path == "/" ? std::string_view("/index.html") : path;
  for (const WebAsset& asset : WebAssets()) {
    if (asset.path != wanted) continue;
    http::Response r;
    r.content_type = std::string(asset.content_type);
    r.body = std::string(asset.body);
    AddSecurityHeaders(r);
    r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    return r;
  }
  return NotFound();
}

http::Response LeaderEndpoint::Metrics() const {
  LeaderFigures figures;
  figures.version = version;
  figures.process = ReadProcessStats();
  const LeaseView lease_view = lease ? lease() : LeaseView{};
  {
    std::lock_guard lock(shared->mutex);
    if (lease) shared->cluster.SetLease(lease_view);
    const SteadyTime now = clock->Now();
    figures.status = StatusDocument(*shared, shared->endpoints, now);
    figures.nodes = shared->cluster.Figures(now);
    figures.reports_received = shared->cluster.reports_received();
    figures.events_recorded = shared->cluster.events_recorded();
    figures.endpoints = shared->endpoints;
  }
  figures.controller = controller;
  figures.queued_commands = queued_commands ? queued_commands() : 0;
  figures.api_calls = docker::ApiCallStats();
  if (loops != nullptr) {
    figures.loops = Liveness(*loops, std::chrono::steady_clock::now(), stall_limit);
  }
  figures.http = http;
  http::Response r;
  r.content_type = std::string(metrics::kContentType);
  r.body = RenderLeaderMetrics(figures);
  AddSecurityHeaders(r);
  return r;
}

http::Response LeaderEndpoint::Readyz() const {
  std::lock_guard lock(shared->mutex);
  const json status = shared->cluster.StatusJson(clock->Now());
  const json& docker = status["docker"];
  if (!shared->cluster.has_node_list()) {
    return ReadyzResponse(false, "Swarm's node list has not been read yet");
  }
  if (!docker.value("ok", false)) {
    return ReadyzResponse(
        false,
        "the last read of Swarm's node list failed: " +
            (docker["error"].is_string() ? docker["error"].get<std::string>() : std::string("?")));
  }
  const double age = docker["node_list_age_seconds"].is_number()
                         ? docker["node_list_age_seconds"].get<double>()
                         : std::numeric_limits<double>::infinity();
  char text[64];
  std::snprintf(text, sizeof(text), "%.1f", age);
  if (age * 1000 > static_cast<double>(ready_within.count())) {
    return ReadyzResponse(false, std::string("Swarm's node list is ") + text + " s old");
  }
  return ReadyzResponse(true, std::string("Swarm's node list read ") + text + " s ago");
}

http::Response LeaderEndpoint::Api(const http::Request& request) const {
  const std::string what = request.path.substr(5);
  const LeaseView lease_view = lease ? lease() : LeaseView{};
  std::unique_lock lock(shared->mutex);
  if (lease) shared->cluster.SetLease(lease_view);
  const ClusterState& cluster = shared->cluster;
  const SteadyTime now = clock->Now();
  if (what == "status" || what == "nodes" || what == "events") {
    if (!cluster.has_node_list()) {
      return JsonResponse(503, {{"error", "this leader instance has not read the node list yet"}});
    }
  }
  if (what == "status") {
    json status = StatusDocument(*shared, shared->endpoints, now);
    lock.unlock();
    return JsonResponse(200, status);
  }
  if (what == "nodes") {
    json nodes = cluster.NodesJson(now);
    lock.unlock();  // serialised without holding the state
    return JsonResponse(200, nodes);
  }
  if (what == "anchors" || what == "services") {
    // Not yet available is an answer, not a failure: {"available": false, "reason": ...} (the
    // CLI gets the reason as its error).
    auto document = ViewDocument(shared->view, what);
    lock.unlock();
    if (!document.ok()) {
      return JsonResponse(
          200,
          {{what, json::array()}, {"available", false}, {"reason", document.status().message()}});
    }
    json body = std::move(document).value();
    body["available"] = true;
    return JsonResponse(200, body);
  }
  if (what == "events") {
    EventsQuery query;
    query.limit = kMaxEventsPageLimit;
    if (auto after = request.QueryParam("after"); !after.empty()) {
      auto parsed = ParseDecimal(after);
      if (!parsed) return JsonResponse(400, {{"error", "after: not an event sequence number"}});
      query.after = *parsed;
    }
    if (auto limit = request.QueryParam("limit"); !limit.empty()) {
      auto parsed = ParseDecimal(limit);
      if (!parsed || *parsed == 0 || *parsed > kMaxEventsPageLimit) {
        return JsonResponse(
            400, {{"error", "limit: a number from 1 to " + std::to_string(kMaxEventsPageLimit)}});
      }
      query.limit = static_cast<std::size_t>(*parsed);
    }
    EventsPage page = cluster.Events(query, kMaxEventsPageJson);
    json body = {{"events", std::move(page.events)},
                 {"more", page.more},
                 {"cursor", page.cursor},
                 {"log_id", cluster.event_log_id()}};
    lock.unlock();
    return JsonResponse(200, body);
  }
  return JsonResponse(404, {{"error",
                             "no such document: /api/status, /api/nodes, /api/anchors, "
                             "/api/services, /api/events"}});
}

}  // namespace orcastra::leader
