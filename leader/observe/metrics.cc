#include "leader/observe/metrics.h"

#include "common/observe.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

double Load(const std::atomic<std::uint64_t>& counter) {
  return static_cast<double>(counter.load(std::memory_order_relaxed));
}

// `j[key]` as a number when it is one.
std::optional<double> Number(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

std::string RenderLeaderMetrics(const LeaderFigures& f, std::size_t* problems) {
  using M = LeaderMetric;
  metrics::Exposition e(kLeaderFamilies);
  AddProcessMetrics<M>(e, f.process);
  e.Add(M::kBuildInfo, {f.version}, 1);
  const json& s = f.status;
  const bool active =
      s.is_object() && s.contains("answered_by") && s["answered_by"].value("active", false);
  e.Add(M::kActive, active ? 1 : 0);
  const json leader = s.is_object() && s.contains("leader") ? s["leader"] : json();
  e.Add(M::kLeaseTerm, Number(leader, "term").value_or(0));
  if (s.is_object() && s.contains("agents")) {
    e.Add(M::kAgentsConnected, Number(s["agents"], "connected").value_or(0));
    e.Add(M::kAgentsExpected, Number(s["agents"], "expected").value_or(0));
  }
  if (s.is_object() && s.contains("nodes")) {
    for (const char* state : {"ready", "down", "other"}) {
      e.Add(M::kNodes, {state}, Number(s["nodes"], state).value_or(0));
    }
  }
  if (s.is_object() && s.contains("docker")) {
    const json& docker = s["docker"];
    e.Add(M::kDockerOk, docker.value("ok", false) ? 1 : 0);
    if (auto age = Number(docker, "node_list_age_seconds")) e.Add(M::kNodeListAge, *age);
  }
  e.Add(M::kReports, static_cast<double>(f.reports_received));
  e.Add(M::kEvents, static_cast<double>(f.events_recorded));
  e.Add(M::kRefused, static_cast<double>(f.endpoints.refused));
  e.Add(M::kSendFailures, static_cast<double>(f.endpoints.send_failures));
  e.Add(M::kBusy, static_cast<double>(f.endpoints.busy));
  e.Add(M::kHandlerFailures, static_cast<double>(f.endpoints.handler_failures));
  if (f.controller != nullptr) {
    const ControllerCounters& c = *f.controller;
    e.Add(M::kCycles, {"ok"}, Load(c.cycles_ok));
    e.Add(M::kCycles, {"skipped"}, Load(c.cycles_skipped));
    e.Add(M::kCycles, {"fenced"}, Load(c.cycles_fenced));
    for (std::size_t k = 0; k < std::size(ControllerCounters::kKinds); ++k) {
      for (std::size_t r = 0; r < std::size(ControllerCounters::kResults); ++r) {
        e.Add(M::kActions, {ControllerCounters::kKinds[k], ControllerCounters::kResults[r]},
              Load(c.actions[k][r]));
      }
    }
    e.Add(M::kConfigReloads, {"loaded"}, Load(c.config_loaded));
    e.Add(M::kConfigReloads, {"refused"}, Load(c.config_refused));
    e.Add(M::kCommandQueue, static_cast<double>(f.queued_commands));
  }
  for (const auto& call : f.api_calls) {
    e.Add(M::kApiCalls, {call.endpoint, call.result}, static_cast<double>(call.count));
  }
  if (s.is_object() && s.contains("anchors") && s["anchors"].is_object()) {
    e.Add(M::kAnchors, {"ok"}, Number(s["anchors"], "ok").value_or(0));
    e.Add(M::kAnchors, {"violated"}, Number(s["anchors"], "violated").value_or(0));
  }
  for (const NodeFigures& node : f.nodes) {
    const std::string_view hostname = node.hostname;
    const std::string_view id = node.id;
    e.Add(M::kNodeConnected, {hostname, id}, node.connected ? 1 : 0);
    if (node.has_report) {
      e.Add(M::kNodeTotal, {hostname, id}, static_cast<double>(node.total_bytes));
      e.Add(M::kNodeUsed, {hostname, id}, static_cast<double>(node.used_bytes));
      e.Add(M::kNodeAvailable, {hostname, id}, static_cast<double>(node.available_bytes));
      if (node.psi_present) {
        e.Add(M::kNodePressure, {hostname, id, "some"}, node.psi_some_avg10 / 100.0);
        e.Add(M::kNodePressure, {hostname, id, "full"}, node.psi_full_avg10 / 100.0);
      }
    }
  }
  AddLoopAndHttpSamples<M>(e, f.loops, f.http);
  if (problems != nullptr) *problems = e.problems();
  return e.Render();
}

}  // namespace orcastra::leader
