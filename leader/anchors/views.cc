#include "leader/anchors/views.h"

#include <algorithm>
#include <set>

namespace orcastra::leader {

using nlohmann::json;

namespace {

json DependentJson(const DependentReport& dep) {
  return {{"name", dep.name},
          {"service", dep.service},
          {"state", DependentStateName(dep.state)},
          {"nodes", dep.nodes},
          {"attempts", dep.attempts},
          {"retry_in_s", dep.retry_in ? json(dep.retry_in->count() / 1000.0) : json()},
          {"detail", dep.detail}};
}

}  // namespace

json AnchorsJson(const Plan& plan) {
  json anchors = json::array();
  for (const auto& a : plan.anchors) {
    json deps = json::array();
    for (const auto& d : a.dependents) deps.push_back(DependentJson(d));
    anchors.push_back({{"name", a.name},
                       {"service", a.service},
                       {"label", a.label_key},
                       {"state", AnchorStateName(a.state)},
                       {"nodes", a.nodes},
                       {"detail", a.detail},
                       {"dependents", deps}});
  }
  return anchors;
}

json PlanJson(const Plan& plan) {
  json actions = json::array();
  for (const auto& change : plan.node_changes) {
    std::string detail;
    for (const auto& [key, value] : change.add)
      detail += (detail.empty() ? "+" : " +") + key + "=" + value;
    for (const auto& key : change.remove) detail += (detail.empty() ? "-" : " -") + key;
    actions.push_back({{"kind", "set_labels"},
                       {"target", change.hostname},
                       {"detail", detail},
                       {"why", change.reasons}});
  }
  for (const auto& action : plan.service_actions) {
    actions.push_back({{"kind", ServiceActionKindName(action.kind)},
                       {"target", action.service},
                       {"detail", action.kind == ServiceActionKind::kAddConstraint
                                      ? action.constraint
                                      : "attempt " + std::to_string(action.attempt)},
                       {"why", json::array({action.reason})}});
  }
  return {{"actions", actions},
          {"anchors", AnchorsJson(plan)},
          {"warnings", plan.warnings},
          {"settled", plan.settled}};
}

json AnchorSummaryJson(const json& plan, bool dry_run, bool paused,
                       const std::string& config_problem) {
  if (!plan.is_object()) return json();
  int total = 0, ok = 0;
  for (const auto& anchor : plan.value("anchors", json::array())) {
    ++total;
    bool fine = anchor.value("state", "") == "running";
    for (const auto& dep : anchor.value("dependents", json::array())) {
      const std::string state = dep.value("state", "");
      fine = fine && (state == "colocated" || state == "scaled-to-zero" || state == "missing");
    }
    ok += fine ? 1 : 0;
  }
  return {{"total", total},
          {"ok", ok},
          {"violated", total - ok},
          {"dry_run", dry_run},
          {"paused", paused},
          {"config_problem", config_problem.empty() ? json() : json(config_problem)}};
}

json ServicesJson(const config::SwarmConfig& config, const std::string& default_stack,
                  const Snapshot& snapshot) {
  std::map<std::string, std::string> role;
  for (const auto& anchor : config.dependencies) {
    const std::string stack = anchor.stack.value_or(default_stack);
    role[FullServiceName(stack, anchor.name)] = "anchor";
    for (const auto& dep : anchor.services) {
      role.emplace(FullServiceName(stack, dep), "dependent of " + anchor.name);
    }
  }
  std::map<std::string, std::string> hostname;
  for (const auto& node : snapshot.nodes) hostname[node.id] = node.hostname;
  json out = json::array();
  std::vector<const docker::Service*> services;
  for (const auto& s : snapshot.services) services.push_back(&s);
  std::sort(services.begin(), services.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const auto* service : services) {
    std::set<std::string> nodes;
    int running = 0;
    for (const auto& task : snapshot.tasks) {
      if (task.service_id != service->id || task.state != "running") continue;
      ++running;
      auto it = hostname.find(task.node_id);
      nodes.insert(it == hostname.end() ? task.node_id : it->second);
    }
    auto r = role.find(service->name);
    bool known = r != role.end();
    out.push_back({{"name", service->name},
                   {"mode", service->mode},
                   {"replicas", service->mode == "replicated" ? json(service->replicas) : json()},
                   {"running", known ? json(running) : json()},
                   {"nodes", known ? json(nodes) : json()},
                   {"role", known ? json(r->second) : json()}});
  }
  return out;
}

}  // namespace orcastra::leader
