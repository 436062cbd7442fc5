// The rebalancer as the CLI shows it (`orcastra plan`, `orcastra status`, their --json field
// names are in doc/cli.md), pure: JSON documents made from a plan, the pressure overview and the
// moves remembered.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "leader/rebalance/plan.h"

namespace orcastra::leader {

nlohmann::json RebalanceNodeJson(const RebalanceNode& node);
nlohmann::json MoveJson(const MoveRecord& move, std::int64_t now_ms);

// The moves in flight and the last `recent` ended ones (newest first), as {in_flight, recent}.
nlohmann::json MovesJson(const RebalanceMemory& memory, std::int64_t now_ms,
                         std::size_t recent = 10);

// `plan`'s rebalance part: {decision, dry_run, nodes, candidates, move, in_flight, recent}.
nlohmann::json RebalancePlanJson(const RebalancePlan& plan, const RebalanceMemory& memory,
                                 bool dry_run, std::int64_t now_ms);

}  // namespace orcastra::leader
