#include "leader/heal/record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "leader/safety/codec.h"
#include "leader/state/cluster_state.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr int kMaxDepth = 8;

bool IsAction(std::string_view action) {
  return action == "promote" || action == "demote" || action == "remove";
}

bool InRange(std::int64_t ms) { return ms >= 0 && ms <= kMaxHealEpochMs; }

std::int64_t ToWall(SteadyTime t, SteadyTime now, std::int64_t wall_now_ms) {
  std::int64_t ms = wall_now_ms + std::chrono::duration_cast<milliseconds>(t - now).count();
  return std::clamp<std::int64_t>(ms, 0, kMaxHealEpochMs);
}

SteadyTime ToSteady(std::int64_t ms, SteadyTime now, std::int64_t wall_now_ms) {
  return now + milliseconds(ms - wall_now_ms);
}

}  // namespace

bool IsHealNodeId(std::string_view id) {
  if (id.empty() || id.size() > kMaxHealIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

Result<HealRecord> DecodeHealRecord(std::string_view text, std::string_view where) {
  if (text.size() > kMaxHealRecordBytes) {
    return Status::ParseError(std::string(where) + ": " + std::to_string(text.size()) +
                              " bytes, more than the " + std::to_string(kMaxHealRecordBytes) +
                              " a record may have");
  }
  auto parsed = ParseStrictJson(text, where, kMaxDepth);
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!doc.is_object()) return Status::ParseError(std::string(where) + ": not a JSON object");
  if (!doc.contains("format")) return RecordFieldError(where, "format", "is missing");
  auto format = RecordInteger(doc["format"], 0, 1'000'000, where, "format");
  if (!format.ok()) return format.status();
  if (*format != kHealRecordFormat) {
    return Status::Unsupported(std::string(where) + ": format " + std::to_string(*format) +
                               ", this version reads format " + std::to_string(kHealRecordFormat));
  }
  HealRecord record;
  if (doc.contains("nodes")) {
    const json& nodes = doc["nodes"];
    if (!nodes.is_object()) return RecordFieldError(where, "nodes", "is not an object");
    if (nodes.size() > kMaxHealEntries) {
      return RecordFieldError(where, "nodes",
                              "has " + std::to_string(nodes.size()) + " entries, more than " +
                                  std::to_string(kMaxHealEntries));
    }
    for (const auto& [id, value] : nodes.items()) {
      const std::string path = "nodes." + CutText(ToValidUtf8(id), 80);
      if (!IsHealNodeId(id))
        return RecordFieldError(where, path, "is not a node id (1..64 of A-Z a-z 0-9)");
      if (!value.is_object()) return RecordFieldError(where, path, "is not an object");
      HealNodeEntry entry;
      if (!value.contains("attempts"))
        return RecordFieldError(where, path + ".attempts", "is missing");
      auto attempts =
          RecordInteger(value["attempts"], 0, kMaxHealAttempts, where, path + ".attempts");
      if (!attempts.ok()) return attempts.status();
      entry.attempts = static_cast<int>(*attempts);
      auto next = RecordOptionalTime(value, "next_allowed_ms", kMaxHealEpochMs, where, path);
      if (!next.ok()) return next.status();
      entry.next_allowed_ms = *next;
      auto last = RecordOptionalTime(value, "last_attempt_ms", kMaxHealEpochMs, where, path);
      if (!last.ok()) return last.status();
      entry.last_attempt_ms = *last;
      if (!value.contains("action") || !value["action"].is_string() ||
          !IsAction(value["action"].get<std::string>())) {
        return RecordFieldError(where, path + ".action",
                                "is missing or not promote, demote or remove");
      }
      entry.action = value["action"].get<std::string>();
      record.nodes.emplace(id, std::move(entry));
    }
  }
  if (doc.contains("removals")) {
    const json& removals = doc["removals"];
    if (!removals.is_object()) return RecordFieldError(where, "removals", "is not an object");
    if (removals.size() > kMaxHealRemovals) {
      return RecordFieldError(where, "removals",
                              "has " + std::to_string(removals.size()) + " requests, more than " +
                                  std::to_string(kMaxHealRemovals));
    }
    for (const auto& [id, value] : removals.items()) {
      const std::string path = "removals." + CutText(ToValidUtf8(id), 80);
      if (!IsHealNodeId(id))
        return RecordFieldError(where, path, "is not a node id (1..64 of A-Z a-z 0-9)");
      if (!value.is_object()) return RecordFieldError(where, path, "is not an object");
      HealRemovalEntry entry;
      if (!value.contains("at_ms")) return RecordFieldError(where, path + ".at_ms", "is missing");
      auto at = RecordInteger(value["at_ms"], 0, kMaxHealEpochMs, where, path + ".at_ms");
      if (!at.ok()) return at.status();
      entry.at_ms = *at;
      if (value.contains("by")) {
        if (!value["by"].is_string())
          return RecordFieldError(where, path + ".by", "is not a string");
        entry.by = value["by"].get<std::string>();
        if (entry.by.size() > kMaxHealTextBytes) {
          return RecordFieldError(where, path + ".by",
                                  "has " + std::to_string(entry.by.size()) + " bytes, more than " +
                                      std::to_string(kMaxHealTextBytes));
        }
      }
      record.removals.emplace(id, std::move(entry));
    }
  }
  return record;
}

std::string EncodeHealRecord(const HealRecord& record) {
  json nodes = json::object();
  for (const auto& [id, entry] : record.nodes) {
    if (nodes.size() >= kMaxHealEntries || !IsHealNodeId(id) || entry.attempts < 0 ||
        entry.attempts > kMaxHealAttempts || !IsAction(entry.action) ||
        (entry.next_allowed_ms && !InRange(*entry.next_allowed_ms)) ||
        (entry.last_attempt_ms && !InRange(*entry.last_attempt_ms))) {
      continue;
    }
    json value = {{"attempts", entry.attempts}, {"action", entry.action}};
    if (entry.next_allowed_ms) value["next_allowed_ms"] = *entry.next_allowed_ms;
    if (entry.last_attempt_ms) value["last_attempt_ms"] = *entry.last_attempt_ms;
    nodes[id] = std::move(value);
  }
  json removals = json::object();
  for (const auto& [id, entry] : record.removals) {
    if (removals.size() >= kMaxHealRemovals || !IsHealNodeId(id) || !InRange(entry.at_ms)) {
      continue;
    }
    removals[id] = {{"at_ms", entry.at_ms},
                    {"by", CutText(ToValidUtf8(entry.by), kMaxHealTextBytes)}};
  }
  json doc = {{"format", kHealRecordFormat},
              {"nodes", std::move(nodes)},
              {"removals", std::move(removals)}};
  return DumpJson(doc);
}

HealRecord HealRecordFromMemory(const HealMemory& memory, SteadyTime now,
                                std::int64_t wall_now_ms) {
  HealRecord record;
  for (const auto& [id, m] : memory.nodes) {
    HealNodeEntry e;
    e.attempts = std::clamp(m.attempts, 0, kMaxHealAttempts);
    if (m.next_allowed) e.next_allowed_ms = ToWall(*m.next_allowed, now, wall_now_ms);
    if (m.last_attempt) e.last_attempt_ms = ToWall(*m.last_attempt, now, wall_now_ms);
    e.action = m.last_action;
    record.nodes.emplace(id, std::move(e));
  }
  for (const auto& [id, r] : memory.removals) {
    record.removals.emplace(id, HealRemovalEntry{ToWall(r.at, now, wall_now_ms), r.by});
  }
  return record;
}

HealMemory HealMemoryFromRecord(const HealRecord& record, SteadyTime now, std::int64_t wall_now_ms,
                                std::chrono::milliseconds max_backoff) {
  HealMemory memory;
  for (const auto& [id, e] : record.nodes) {
    HealNodeMemory m;
    m.attempts = e.attempts;
    m.last_action = e.action;
    if (e.next_allowed_ms) {
      SteadyTime t = ToSteady(*e.next_allowed_ms, now, wall_now_ms);
      m.next_allowed = std::clamp(t, now, now + max_backoff);
    }
    if (e.last_attempt_ms) {
      m.last_attempt = std::min(ToSteady(*e.last_attempt_ms, now, wall_now_ms), now);
    }
    memory.nodes.emplace(id, std::move(m));
  }
  for (const auto& [id, r] : record.removals) {
    memory.removals.emplace(
        id, RemovalRequest{std::min(ToSteady(r.at_ms, now, wall_now_ms), now), r.by});
  }
  return memory;
}

bool SameHealRecordPart(const HealMemory& a, const HealMemory& b) {
  return a.nodes == b.nodes && a.removals == b.removals;
}

}  // namespace orcastra::leader
