#include "leader/state/documents.h"

#include "common/service.h"
#include "leader/anchors/views.h"

namespace orcastra::leader {

using nlohmann::json;

json StatusDocument(const SharedState& shared, const EndpointsHealth& endpoints, SteadyTime now) {
  const ControllerView& view = shared.view;
  json status = shared.cluster.StatusJson(now);
  status["anchors"] =
      AnchorSummaryJson(view.plan, view.dry_run, view.dependents_paused, view.config_problem);
  status["safety"] = view.safety.is_object() ? view.safety : json::object();
  status["config"] = view.config_source.is_object() ? view.config_source : json::object();
  const json& rebalance = shared.rebalance.status;
  status["rebalance"] = rebalance.is_object() ? rebalance : json::object();
  status["heal"] = shared.heal.status.is_object() ? shared.heal.status : json::object();
  status["health"] = {{"service_failures", ServiceFailureCount()},
                      {"refused_messages", endpoints.refused},
                      {"send_failures", endpoints.send_failures},
                      {"replies_too_large", endpoints.replies_too_large},
                      {"handler_failures", endpoints.handler_failures},
                      {"busy_refusals", endpoints.busy}};
  if (!endpoints.security.is_null()) status["security"] = endpoints.security;
  return status;
}

Result<json> ViewDocument(const ControllerView& view, std::string_view what) {
  if (!view.has_config) {
    return Status::Unavailable("no configuration in force" + (view.config_problem.empty()
                                                                  ? std::string()
                                                                  : ":\n" + view.config_problem));
  }
  if (!view.plan.is_object()) {
    return Status::Unavailable(
        "no reconcile cycle has completed yet (is the Docker daemon reachable?)");
  }
  const json& items = what == "services"              ? view.services
                      : view.plan.contains("anchors") ? view.plan.at("anchors")
                                                      : json::array();
  return json{{std::string(what), items},
              {"cycle_ts_ms", view.cycle_ts_ms},
              {"from_active_leader", view.acted},
              {"dry_run", view.dry_run},
              {"dependents_paused", view.dependents_paused}};
}

}  // namespace orcastra::leader
