// The controller's documents for the CLI (leader/anchors/views.h).
#include "leader/anchors/views.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

using nlohmann::json;

TEST_CASE("status' anchor summary: ok only when running with every dependent settled",
          "[plan_json]") {
  CHECK(AnchorSummaryJson(json(), false, false, "").is_null());  // no cycle yet
  json plan = {{"anchors",
                {{{"state", "running"},
                  {"dependents", {{{"state", "colocated"}}, {{"state", "scaled-to-zero"}}}}},
                 {{"state", "running"}, {"dependents", {{{"state", "misplaced"}}}}},
                 {{"state", "restarting"}, {"dependents", json::array()}}}}};
  json summary = AnchorSummaryJson(plan, true, false, "swarm.yml:4:26: error: ...");
  CHECK(summary["total"] == 3);
  CHECK(summary["ok"] == 1);
  CHECK(summary["violated"] == 2);
  CHECK(summary["dry_run"] == true);
  CHECK(summary["config_problem"] == "swarm.yml:4:26: error: ...");
  CHECK(AnchorSummaryJson(plan, false, false, "")["config_problem"].is_null());
}

TEST_CASE("plan document: one action per node write and per service write", "[plan_json]") {
  Plan plan;
  NodeLabelChange change;
  change.hostname = "w1";
  change.add = {{"db", "true"}};
  change.remove = {"old"};
  change.reasons = {"anchor db runs here"};
  plan.node_changes.push_back(change);
  ServiceAction force;
  force.service = "st_app";
  force.attempt = 2;
  force.reason = "1 task(s) pending (attempt 2)";
  plan.service_actions.push_back(force);
  plan.settled = false;
  json doc = PlanJson(plan);
  REQUIRE(doc["actions"].size() == 2);
  CHECK(doc["actions"][0] == json{{"kind", "set_labels"},
                                  {"target", "w1"},
                                  {"detail", "+db=true -old"},
                                  {"why", {"anchor db runs here"}}});
  CHECK(doc["actions"][1]["kind"] == "force_update");
  CHECK(doc["actions"][1]["detail"] == "attempt 2");
  CHECK(doc["settled"] == false);
}

}  // namespace
}  // namespace orcastra::leader
