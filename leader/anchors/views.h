// The controller's documents for the CLI (`orcastra plan|anchors|services --json`, field names in
// doc/cli.md), rendered from a plan and the snapshot it was made from. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include "config/swarm_config.h"
#include "leader/anchors/plan.h"

namespace orcastra::leader {

// {"actions": [...], "anchors": [...], "warnings": [...], "settled": bool}. Each action has
// "kind" (set_labels, force_update, add_constraint), "target", "detail" and "why".
nlohmann::json PlanJson(const Plan& plan);

// Per anchor: name, service, label, state, nodes, detail, dependents (name, service, state, nodes,
// attempts, retry_in_s, detail).
nlohmann::json AnchorsJson(const Plan& plan);

// For `status`: {"total", "ok", "violated", "dry_run", "paused", "config_problem"} from the
// controller's last plan document (PlanJson); an anchor is ok when it runs and every dependent is
// colocated, scaled to zero or missing. null before the first plan.
nlohmann::json AnchorSummaryJson(const nlohmann::json& plan, bool dry_run, bool paused,
                                 const std::string& config_problem);

// Per service of the snapshot: name, mode, replicas desired / running, nodes, and its role
// ("anchor", "dependent of X" or null).
nlohmann::json ServicesJson(const config::SwarmConfig& config, const std::string& default_stack,
                            const Snapshot& snapshot);

}  // namespace orcastra::leader
