#include "leader/safety/store.h"

#include "common/strings.h"

namespace orcastra::leader {
namespace {

constexpr char kRecordLabel[] = "orcastra.safety.record";
constexpr char kTermLabel[] = "orcastra.safety.term";
constexpr char kWriterLabel[] = "orcastra.safety.writer";
// The config's data never changes (only labels can be updated): a pointer for a curious operator.
// "Orcastra safety record: the dependents' backoff and pause, in the labels (doc/anchors.md)\n",
// base64.
constexpr char kData[] =
    "T3JjYXN0cmEgc2FmZXR5IHJlY29yZDogdGhlIGRlcGVuZGVudHMnIGJhY2tvZmYgYW5kIHBhdXNlLCBpbiB0aGUgbGFiZW"
    "xzIChkb2MvYW5jaG9ycy5tZCkK";

}  // namespace

Labels SafetyLabels(const std::string& record_json, std::uint64_t term, const std::string& writer) {
  return {{kRecordLabel, record_json}, {kTermLabel, std::to_string(term)}, {kWriterLabel, writer}};
}

StoredSafety StoredSafetyFromConfig(const ConfigObject& config) {
  StoredSafety stored;
  stored.exists = true;
  stored.object = config;
  auto label = [&](const char* key) -> const std::string* {
    auto it = config.labels.find(key);
    return it == config.labels.end() ? nullptr : &it->second;
  };
  if (const std::string* writer = label(kWriterLabel)) stored.writer = *writer;
  const std::string* record = label(kRecordLabel);
  const std::string* term = label(kTermLabel);
  if (record == nullptr || term == nullptr) {
    stored.problem =
        std::string("label '") + (record == nullptr ? kRecordLabel : kTermLabel) + "' is missing";
    if (record != nullptr) stored.record_json = *record;
    return stored;
  }
  stored.record_json = *record;
  auto parsed = ParseDecimal(*term);
  if (!parsed) {
    stored.problem =
        std::string("label '") + kTermLabel + "' is '" + term->substr(0, 40) + "', not a number";
  } else {
    stored.term = *parsed;
  }
  return stored;
}

Result<StoredSafety> SwarmSafetyStore::Read() {
  auto config = api_.ConfigNamed(name_);
  if (!config.ok()) return config.status().WithContext("reading config '" + name_ + "'");
  if (!config->has_value()) return StoredSafety{};
  return StoredSafetyFromConfig(**config);
}

Status SwarmSafetyStore::Refused(std::uint64_t term, const Status& refusal) {
  auto now = Read();
  if (now.ok() && now->exists && now->problem.empty() && now->term > term) {
    return Status::Aborted("config '" + name_ + "' was written under term " +
                           std::to_string(now->term) + ", newer than this instance's " +
                           std::to_string(term));
  }
  return Status::Conflict("config '" + name_ + "' changed since it was read: " + refusal.message());
}

Result<StoredSafety> SwarmSafetyStore::Write(const std::string& record_json, std::uint64_t term,
                                             const std::string& writer,
                                             const StoredSafety& expected) {
  if (term == 0) {
    return Status::Aborted("config '" + name_ + "': this instance does not hold the lease");
  }
  if (expected.exists && expected.problem.empty() && term < expected.term) {
    return Status::Aborted("config '" + name_ + "' was written under term " +
                           std::to_string(expected.term) + ", newer than this instance's " +
                           std::to_string(term));
  }
  const Labels labels = SafetyLabels(record_json, term, writer);
  std::string id;
  if (!expected.exists) {
    auto created = api_.CreateConfig(name_, labels, kData);
    if (!created.ok()) {
      if (created.status().code() == Status::Code::kConflict) {
        return Refused(term, created.status());
      }
      return created.status().WithContext("creating config '" + name_ + "'");
    }
    id = *created;
  } else {
    Status updated = api_.UpdateConfigLabels(expected.object, labels);
    if (!updated.ok()) {
      if (updated.code() == Status::Code::kConflict) return Refused(term, updated);
      return updated.WithContext("updating config '" + name_ + "'");
    }
    id = expected.object.id;
  }
  auto written = api_.InspectConfig(id);
  if (!written.ok()) {
    return written.status().WithContext("config '" + name_ +
                                        "' written, but its new version could not be read");
  }
  return StoredSafetyFromConfig(*written);
}

}  // namespace orcastra::leader
