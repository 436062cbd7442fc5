// The JSON documents the CLI shows (`orcastra status|anchors|services --json`, doc/cli.md) and the
// web view serves under /api/..., built in one place from what the leader's threads published.
// Pure; callers hold SharedState::mutex while they build them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "leader/state/shared_state.h"

namespace orcastra::leader {

// `status`: ClusterState::StatusJson with the controller's anchor summary, the safety record, the
// rebalancer's and the healer's status and the process's health counters (`health`) from `endpoints`.
nlohmann::json StatusDocument(const SharedState& shared, const EndpointsHealth& endpoints,
                              SteadyTime now);

// `anchors` or `services` from the controller's last cycle; an error saying why there is none yet
// (no configuration in force, no cycle completed).
Result<nlohmann::json> ViewDocument(const ControllerView& view, std::string_view what);

}  // namespace orcastra::leader
