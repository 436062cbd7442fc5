#include "leader/config_store/store.h"

#include "config/diagnostic.h"

namespace orcastra::leader {

using nlohmann::json;

Result<StoredVersions> ReadStoredVersions(SwarmApi& api) {
  auto configs = api.ConfigsLabelled(kLabelVersion);
  if (!configs.ok()) return configs.status();
  StoredVersions out;
  for (const ConfigObject& config : *configs) {
    auto version = VersionFromConfig(config);
    if (!version.ok()) {
      out.problems.push_back(version.status().message());
    } else if (*version) {
      out.versions.push_back(std::move(**version));
    }
  }
  return out;
}

json VersionJson(const StoredVersion& version) {
  return {{"number", version.number},
          {"name", version.name},
          {"applied_at_ms", version.applied_at_ms},
          {"applied_by", version.by.name},
          {"applied_by_key", version.by.public_key},
          {"via", version.by.via},
          {"digest", version.digest}};
}

ApplyOutcome ExecuteApply(SwarmApi& api, const ConfigSet& set, const AppliedBy& by,
                          std::int64_t now_ms, const config::Settings& settings) {
  ApplyOutcome outcome;
  json& answer = outcome.answer;
  auto stored = ReadStoredVersions(api);
  if (!stored.ok()) {
    outcome.status =
        stored.status().WithContext("cannot read the stored versions, nothing was stored");
    answer = {{"result", "refused"}, {"refusal", outcome.status.message()}};
    return outcome;
  }
  ApplyPlan plan = PlanApply(set, stored->versions, by, now_ms, settings);
  json diagnostics = json::array();
  for (const auto& d : plan.diagnostics) diagnostics.push_back(config::FormatDiagnostic(d));
  answer = {{"diagnostics", diagnostics},
            {"previous", plan.newest ? json(plan.newest->number) : json()},
            {"pruned", json::array()},
            {"prune_failures", json::array()}};
  switch (plan.kind) {
    case ApplyPlan::Kind::kRefused:
      outcome.status = Status::InvalidArgument(plan.refusal);
      answer["result"] = "refused";
      answer["refusal"] = plan.refusal;
      return outcome;
    case ApplyPlan::Kind::kUnchanged:
      answer["result"] = "unchanged";
      answer["version"] = plan.number;
      answer["name"] = plan.name;
      return outcome;
    case ApplyPlan::Kind::kStore:
      break;
  }
  auto created = api.CreateConfig(plan.name, plan.labels, plan.data);
  if (!created.ok()) {
    const bool taken = created.status().code() == Status::Code::kConflict;
    outcome.status =
        taken
            ? Status::Conflict("version " + std::to_string(plan.number) +
                               " was stored by another apply at the same time; nothing was "
                               "stored: run it again (and see `orcastra config diff`)")
            : created.status().WithContext("storing " + plan.name + " failed, nothing was stored");
    const std::string why = outcome.status.message();
    answer["result"] = "refused";
    answer["refusal"] = why;
    return outcome;
  }
  answer["result"] = "stored";
  answer["version"] = plan.number;
  answer["name"] = plan.name;
  for (const StoredVersion& old : plan.prune) {
    Status deleted = api.DeleteConfig(old.id);
    if (deleted.ok() || deleted.code() == Status::Code::kNotFound) {
      answer["pruned"].push_back(old.name);
    } else {
      answer["prune_failures"].push_back(old.name + ": " + deleted.message());
    }
  }
  return outcome;
}

}  // namespace orcastra::leader
