// The configuration store's I/O over a SwarmApi (doc/config-store.md): reading the stored
// versions, and carrying out an apply (leader/config_store/plan.h decides). Not thread-safe: uses
// the caller's SwarmApi.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/settings.h"
#include "leader/config_store/plan.h"
#include "leader/state/swarm_api.h"

namespace orcastra::leader {

// What is stored: every version whose labels read well, and a line for each object that claims
// to be a version but does not read (it is left alone, never used).
struct StoredVersions {
  std::vector<StoredVersion> versions;
  std::vector<std::string> problems;
};
// One GET /configs (label filter). Errors only when the read failed.
Result<StoredVersions> ReadStoredVersions(SwarmApi& api);

// `orcastra config apply` on the active instance: reads the stored versions, plans, creates the
// new version, then deletes the versions beyond kKeptVersions. Nothing is stored when the read
// fails, the set does not validate, or the create fails (a Conflict says another apply took the
// number: run it again). A failed prune is a warning in the answer (the next apply prunes again).
// The answer's JSON: {"result": "stored"|"unchanged"|"refused", "version", "name", "refusal",
// "diagnostics": [...], "pruned": [...], "prune_failures": [...], "previous": N|null}.
struct ApplyOutcome {
  Status status;  // Ok for stored and unchanged; the refusal or the failure otherwise
  nlohmann::json answer;
};
ApplyOutcome ExecuteApply(SwarmApi& api, const ConfigSet& set, const AppliedBy& by,
                          std::int64_t now_ms, const config::Settings& settings);

// A stored version for `config show` and `status`: number, name, applied_at_ms, applied_by
// (name), applied_by_key, via, digest.
nlohmann::json VersionJson(const StoredVersion& version);

}  // namespace orcastra::leader
