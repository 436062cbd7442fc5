#include "leader/election/store.h"

#include <charconv>

#include "common/utf8.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

constexpr char kHolder[] = "orcastra.lease.holder";
constexpr char kHolderNodeId[] = "orcastra.lease.holder-node-id";
constexpr char kHolderHostname[] = "orcastra.lease.holder-hostname";
constexpr char kTerm[] = "orcastra.lease.term";
// The config's data never changes (only labels can be updated): a pointer for a curious operator.
// "Orcastra leader lease: the holder is in the labels (doc/election.md)\n", base64.
constexpr char kData[] =
    "T3JjYXN0cmEgbGVhZGVyIGxlYXNlOiB0aGUgaG9sZGVyIGlzIGluIHRoZSBsYWJlbHMgKGRvYy9lbGVjdGlvbi5tZCkK";

std::string LabelOr(const json& labels, const char* key) {
  if (!labels.is_object() || !labels.contains(key) || !labels[key].is_string()) return {};
  return labels[key].get<std::string>();
}

json Spec(const std::string& name, const LeaseRecord& record) {
  return {{"Name", name}, {"Labels", LeaseLabels(record)}, {"Data", kData}};
}

}  // namespace

json LeaseLabels(const LeaseRecord& record) {
  return {{kHolder, record.holder},
          {kHolderNodeId, record.holder_node_id},
          {kHolderHostname, record.holder_hostname},
          {kTerm, std::to_string(record.term)}};
}

Result<LeaseRecord> LeaseRecordFromConfig(const json& config) {
  if (!config.is_object() || !config.contains("ID") || !config["ID"].is_string()) {
    return Status::ParseError("lease config: field 'ID' is missing");
  }
  const json* index = nullptr;
  if (config.contains("Version") && config["Version"].is_object() &&
      config["Version"].contains("Index") && config["Version"]["Index"].is_number_integer() &&
      config["Version"]["Index"].get<std::int64_t>() >= 0) {
    index = &config["Version"]["Index"];
  }
  if (index == nullptr) return Status::ParseError("lease config: field 'Version.Index' is missing");
  json labels = config.contains("Spec") && config["Spec"].is_object()
                    ? config["Spec"].value("Labels", json::object())
                    : json::object();
  LeaseRecord record;
  record.exists = true;
  record.version = index->get<std::uint64_t>();
  record.holder = LabelOr(labels, kHolder);
  record.holder_node_id = LabelOr(labels, kHolderNodeId);
  record.holder_hostname = LabelOr(labels, kHolderHostname);
  std::string term = LabelOr(labels, kTerm);
  if (!term.empty()) {
    auto [ptr, ec] = std::from_chars(term.data(), term.data() + term.size(), record.term);
    if (ec != std::errc() || ptr != term.data() + term.size()) {
      return Status::ParseError("lease config: label '" + std::string(kTerm) + "' is '" + term +
                                "', not a number");
    }
  }
  return record;
}

Result<LeaseRecord> DockerLeaseStore::ReadById(const std::string& id) {
  auto config = docker_.GetJson("/configs/" + id);
  if (!config.ok()) {
    if (config.status().code() == Status::Code::kNotFound) id_.clear();
    return config.status();
  }
  return LeaseRecordFromConfig(*config);
}

Result<LeaseRecord> DockerLeaseStore::Read() {
  json filters = {{"name", {name_}}};
  auto configs = docker_.GetJson("/configs?filters=" + docker::UrlEncode(DumpJson(filters)));
  if (!configs.ok()) return configs.status();
  if (!configs->is_array()) return Status::ParseError("docker GET /configs: expected an array");
  const json* found = nullptr;
  for (const auto& config : *configs) {
    // The name filter matches prefixes too: keep only the exact name.
    if (!config.contains("Spec") || config["Spec"].value("Name", "") != name_) continue;
    if (found != nullptr) return Status::Internal("two configs are named '" + name_ + "'");
    found = &config;
  }
  if (found == nullptr) {
    id_.clear();
    return LeaseRecord{};
  }
  auto record = LeaseRecordFromConfig(*found);
  if (record.ok()) id_ = (*found)["ID"].get<std::string>();
  return record;
}

Result<LeaseRecord> DockerLeaseStore::Create(const LeaseRecord& desired) {
  auto response = docker_.Call("POST", "/configs/create", DumpJson(Spec(name_, desired)));
  if (!response.ok()) return response.status();
  if (response->http_status == 409) {
    return Status::Conflict("lease config '" + name_ + "' exists already");
  }
  if (response->http_status != 201) {
    return docker::ErrorFromResponse("POST", "/configs/create", *response);
  }
  json created = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!created.is_object() || !created.contains("ID") || !created["ID"].is_string()) {
    return Status::ParseError("docker POST /configs/create: no ID in the answer");
  }
  id_ = created["ID"].get<std::string>();
  return ReadById(id_);
}

Result<LeaseRecord> DockerLeaseStore::Write(const LeaseRecord& desired,
                                            std::uint64_t expected_version) {
  if (id_.empty()) {
    auto current = Read();
    if (!current.ok()) return current.status();
    if (!current->exists) return Status::Conflict("lease config '" + name_ + "' is gone");
  }
  std::string path = "/configs/" + id_ + "/update?version=" + std::to_string(expected_version);
  auto response = docker_.Call("POST", path, DumpJson(Spec(name_, desired)));
  if (!response.ok()) return response.status();
  if (response->http_status < 200 || response->http_status >= 300) {
    return docker::ErrorFromResponse("POST", path, *response);
  }
  return ReadById(id_);
}

}  // namespace orcastra::leader
