#include "leader/election/store.h"

#include <charconv>

namespace orcastra::leader {
namespace {

constexpr char kHolder[] = "orcastra.lease.holder";
constexpr char kHolderNodeId[] = "orcastra.lease.holder-node-id";
constexpr char kHolderHostname[] = "orcastra.lease.holder-hostname";
constexpr char kTerm[] = "orcastra.lease.term";
// The config's data never changes (only labels can be updated): a pointer for a curious operator.
// "Orcastra leader lease: the holder is in the labels (doc/election.md)\n", base64.
constexpr char kData[] =
    "T3JjYXN0cmEgbGVhZGVyIGxlYXNlOiB0aGUgaG9sZGVyIGlzIGluIHRoZSBsYWJlbHMgKGRvYy9lbGVjdGlvbi5tZCkK";

std::string LabelOr(const Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

Labels LeaseLabels(const LeaseRecord& record) {
  return {{kHolder, record.holder},
          {kHolderNodeId, record.holder_node_id},
          {kHolderHostname, record.holder_hostname},
          {kTerm, std::to_string(record.term)}};
}

Result<LeaseRecord> LeaseRecordFromConfig(const ConfigObject& config) {
  LeaseRecord record;
  record.exists = true;
  record.version = config.version;
  record.holder = LabelOr(config.labels, kHolder);
  record.holder_node_id = LabelOr(config.labels, kHolderNodeId);
  record.holder_hostname = LabelOr(config.labels, kHolderHostname);
  std::string term = LabelOr(config.labels, kTerm);
  if (!term.empty()) {
    auto [ptr, ec] = std::from_chars(term.data(), term.data() + term.size(), record.term);
    if (ec != std::errc() || ptr != term.data() + term.size()) {
      return Status::ParseError("lease config: label '" + std::string(kTerm) + "' is '" + term +
                                "', not a number");
    }
  }
  return record;
}

Result<LeaseRecord> SwarmLeaseStore::ReadById(const std::string& id) {
  auto config = api_.InspectConfig(id);
  if (!config.ok()) {
    if (config.status().code() == Status::Code::kNotFound) object_.reset();
    return config.status();
  }
  object_ = *config;
  return LeaseRecordFromConfig(*config);
}

Result<LeaseRecord> SwarmLeaseStore::Read() {
  auto config = api_.ConfigNamed(name_);
  if (!config.ok()) return config.status();
  if (!config->has_value()) {
    object_.reset();
    return LeaseRecord{};
  }
  auto record = LeaseRecordFromConfig(**config);
  if (record.ok()) object_ = **config;
  return record;
}

Result<LeaseRecord> SwarmLeaseStore::Create(const LeaseRecord& desired) {
  auto id = api_.CreateConfig(name_, LeaseLabels(desired), kData);
  if (!id.ok()) {
    if (id.status().code() == Status::Code::kConflict) {
      return Status::Conflict("lease config '" + name_ + "' exists already");
    }
    return id.status();
  }
  return ReadById(*id);
}

Result<LeaseRecord> SwarmLeaseStore::Write(const LeaseRecord& desired,
                                           std::uint64_t expected_version) {
  if (!object_) {
    auto current = Read();
    if (!current.ok()) return current.status();
    if (!current->exists) return Status::Conflict("lease config '" + name_ + "' is gone");
  }
  ConfigObject target = *object_;
  target.version = expected_version;
  if (target.data.empty()) target.data = kData;
  ORC_RETURN_IF_ERROR(api_.UpdateConfigLabels(target, LeaseLabels(desired)));
  return ReadById(target.id);
}

}  // namespace orcastra::leader

namespace orcastra::leader {

Status DockerLeaseEvents::Follow(const std::function<void()>& connected,
                                 const std::function<void()>& changed, std::stop_token stop) {
  // Announced as connected before the stream is opened: the read that follows covers anything
  // written in between.
  if (connected) connected();
  return docker_.StreamEvents(
      {{"type", {"config"}}},
      [&](const docker::Event& event) {
        auto name = event.actor_attributes.find("name");
        if (name == event.actor_attributes.end() || name->second != name_) return;
        if (changed) changed();
      },
      stop);
}

}  // namespace orcastra::leader
