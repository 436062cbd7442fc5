#include "leader/safety/codec.h"

#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "common/utf8.h"
#include "leader/state/cluster_state.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

// The format nests 3 objects deep; unknown keys of a newer version get some room.
constexpr int kMaxDepth = 8;

Result<DependentSafety> DecodeEntry(const json& value, std::string_view where,
                                    const std::string& path) {
  if (!value.is_object()) return RecordFieldError(where, path, "is not an object");
  DependentSafety entry;
  if (!value.contains("attempts")) return RecordFieldError(where, path + ".attempts", "is missing");
  auto attempts =
      RecordInteger(value["attempts"], 0, kMaxSafetyAttempts, where, path + ".attempts");
  if (!attempts.ok()) return attempts.status();
  entry.attempts = static_cast<int>(*attempts);
  auto next = RecordOptionalTime(value, "next_allowed_ms", kMaxSafetyEpochMs, where, path);
  if (!next.ok()) return next.status();
  entry.next_allowed_ms = *next;
  auto last = RecordOptionalTime(value, "last_force_update_ms", kMaxSafetyEpochMs, where, path);
  if (!last.ok()) return last.status();
  entry.last_force_update_ms = *last;
  return entry;
}

Result<PauseState> DecodePause(const json& value, std::string_view where) {
  if (!value.is_object()) return RecordFieldError(where, "pause", "is not an object");
  PauseState pause;
  if (!value.contains("paused") || !value["paused"].is_boolean()) {
    return RecordFieldError(where, "pause.paused", "is missing or not true/false");
  }
  pause.paused = value["paused"].get<bool>();
  if (value.contains("by")) {
    if (!value["by"].is_string()) return RecordFieldError(where, "pause.by", "is not a string");
    pause.by = value["by"].get<std::string>();
    if (pause.by.size() > kMaxSafetyPauseByBytes) {
      return RecordFieldError(
          where, "pause.by", "is longer than " + std::to_string(kMaxSafetyPauseByBytes) + " bytes");
    }
  }
  if (value.contains("at_ms")) {
    auto at = RecordInteger(value["at_ms"], 0, kMaxSafetyEpochMs, where, "pause.at_ms");
    if (!at.ok()) return at.status();
    pause.at_ms = *at;
  }
  return pause;
}

}  // namespace

Status RecordFieldError(std::string_view where, const std::string& path, const std::string& what) {
  return Status::ParseError(std::string(where) + ": field '" + path + "' " + what);
}

Result<std::int64_t> RecordInteger(const json& value, std::int64_t lo, std::int64_t hi,
                                   std::string_view where, const std::string& path) {
  if (!value.is_number_integer()) return RecordFieldError(where, path, "is not an integer");
  bool in_range;
  std::int64_t out = 0;
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    in_range = u <= static_cast<std::uint64_t>(hi) && static_cast<std::int64_t>(u) >= lo;
    out = static_cast<std::int64_t>(u);
  } else {
    out = value.get<std::int64_t>();
    in_range = out >= lo && out <= hi;
  }
  if (!in_range) {
    return RecordFieldError(
        where, path,
        "is " + value.dump() + ", not within " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return out;
}

Result<std::optional<std::int64_t>> RecordOptionalTime(const json& object, const char* key,
                                                       std::int64_t max_ms, std::string_view where,
                                                       const std::string& path) {
  if (!object.contains(key) || object[key].is_null()) return std::optional<std::int64_t>();
  auto value = RecordInteger(object[key], 0, max_ms, where, path + "." + key);
  if (!value.ok()) return value.status();
  return std::optional<std::int64_t>(*value);
}

namespace {
// Thrown from the parser callback to stop at the first problem (caught in ParseStrictJson).
struct Refusal {
  std::string message;
};
}  // namespace

Result<json> ParseStrictJson(std::string_view text, std::string_view where, int max_depth) {
  std::vector<std::set<std::string>> keys;  // one per open object; arrays hold an empty set
  json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (keys.size() >= static_cast<std::size_t>(max_depth)) {
          throw Refusal{"nested deeper than " + std::to_string(max_depth) + " levels"};
        }
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          throw Refusal{"duplicate key '" + CutText(parsed.get<std::string>(), 80) + "'"};
        }
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return json::parse(text, check);
  } catch (const Refusal& refusal) {
    return Status::ParseError(std::string(where) + ": " + refusal.message);
  } catch (const json::exception& e) {
    return Status::ParseError(std::string(where) + ": not JSON: " + e.what());
  }
}

Result<SafetyRecord> DecodeSafetyRecord(std::string_view text, std::string_view where) {
  if (text.size() > kMaxSafetyRecordBytes) {
    return Status::ParseError(std::string(where) + ": " + std::to_string(text.size()) +
                              " bytes, more than the " + std::to_string(kMaxSafetyRecordBytes) +
                              " a record may have");
  }
  auto parsed = ParseStrictJson(text, where, kMaxDepth);
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!doc.is_object()) return Status::ParseError(std::string(where) + ": not a JSON object");
  if (!doc.contains("format")) return RecordFieldError(where, "format", "is missing");
  auto format = RecordInteger(doc["format"], 0, 1'000'000, where, "format");
  if (!format.ok()) return format.status();
  if (*format != kSafetyRecordFormat) {
    return Status::Unsupported(std::string(where) + ": format " + std::to_string(*format) +
                               ", this version reads format " +
                               std::to_string(kSafetyRecordFormat));
  }
  SafetyRecord record;
  if (doc.contains("dependents")) {
    const json& dependents = doc["dependents"];
    if (!dependents.is_object()) return RecordFieldError(where, "dependents", "is not an object");
    if (dependents.size() > kMaxSafetyEntries) {
      return RecordFieldError(where, "dependents",
                              "has " + std::to_string(dependents.size()) + " entries, more than " +
                                  std::to_string(kMaxSafetyEntries));
    }
    for (const auto& [name, value] : dependents.items()) {
      const std::string path = "dependents." + CutText(name, 80);
      if (!IsSafetyServiceName(name)) {
        return RecordFieldError(where, path,
                                "is not a service name (1.." +
                                    std::to_string(kMaxSafetyServiceNameBytes) +
                                    " bytes of A-Z a-z 0-9 _ . -)");
      }
      auto entry = DecodeEntry(value, where, path);
      if (!entry.ok()) return entry.status();
      record.dependents.emplace(name, *entry);
    }
  }
  if (doc.contains("pause")) {
    auto pause = DecodePause(doc["pause"], where);
    if (!pause.ok()) return pause.status();
    record.pause = std::move(pause).value();
  }
  return record;
}

Result<std::string> EncodeSafetyRecord(const SafetyRecord& record) {
  if (record.dependents.size() > kMaxSafetyEntries) {
    return Status::InvalidArgument("safety record: " + std::to_string(record.dependents.size()) +
                                   " entries, more than " + std::to_string(kMaxSafetyEntries));
  }
  auto in_range = [](std::int64_t ms) { return ms >= 0 && ms <= kMaxSafetyEpochMs; };
  json dependents = json::object();
  for (const auto& [name, entry] : record.dependents) {
    if (!IsSafetyServiceName(name)) {
      return Status::InvalidArgument("safety record: '" + CutText(ToValidUtf8(name), 80) +
                                     "' is not a service name a record may hold");
    }
    if (entry.attempts < 0 || entry.attempts > kMaxSafetyAttempts ||
        (entry.next_allowed_ms && !in_range(*entry.next_allowed_ms)) ||
        (entry.last_force_update_ms && !in_range(*entry.last_force_update_ms))) {
      return Status::InvalidArgument("safety record: entry '" + name + "' is out of range");
    }
    json value = {{"attempts", entry.attempts}};
    if (entry.next_allowed_ms) value["next_allowed_ms"] = *entry.next_allowed_ms;
    if (entry.last_force_update_ms) value["last_force_update_ms"] = *entry.last_force_update_ms;
    dependents[name] = std::move(value);
  }
  if (record.pause.by.size() > kMaxSafetyPauseByBytes || !IsValidUtf8(record.pause.by) ||
      !in_range(record.pause.at_ms)) {
    return Status::InvalidArgument("safety record: the pause's 'by' or 'at_ms' is out of range");
  }
  json doc = {
      {"format", kSafetyRecordFormat},
      {"dependents", std::move(dependents)},
      {"pause",
       {{"paused", record.pause.paused}, {"by", record.pause.by}, {"at_ms", record.pause.at_ms}}}};
  std::string text = DumpJson(doc);
  if (text.size() > kMaxSafetyRecordBytes) {
    return Status::InvalidArgument("safety record: " + std::to_string(text.size()) +
                                   " bytes, more than " + std::to_string(kMaxSafetyRecordBytes));
  }
  return text;
}

}  // namespace orcastra::leader
