// The healer's safety state as JSON, pure: each node's backoff and the operator's pending
// `remove_node` requests (leader/heal/plan.h, HealMemory), kept in Swarm so that a new active
// instance continues every backoff and every request where the old one stopped (doc/healing.md
// "Safety state"). Stored in the labels of the config object `orcastra-heal-record` with
// SwarmSafetyStore (leader/safety/store.h): compare-and-swap, fenced by the lease term.
//
//   record  = {"format": 1, "nodes": {id: entry, ...}, "removals": {id: request, ...}}
//   entry   = {"attempts": 0..1000000, "next_allowed_ms": time | null,
//              "last_attempt_ms": time | null, "action": "promote" | "demote" | "remove"}
//   request = {"at_ms": time, "by": text}
//   id      = 1..64 of A-Z a-z 0-9          text = at most 256 bytes of UTF-8
//   time    = 0..253402300799999 (wall-clock ms since the Unix epoch)
//
// Decoding refuses, naming the field: more than kMaxHealRecordBytes, anything that is not JSON, a
// duplicate key, nesting deeper than 8, a missing or unknown "format", a wrong type, a number out
// of range, a bad id or action, more than kMaxHealEntries entries or kMaxHealRemovals requests.
// Unknown keys are ignored (a newer version may add some). Never throws, whatever the input.
//
// The graces (when a node was first seen down or unreachable) are not kept: a new active instance
// starts them again, which only delays an action.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "leader/heal/plan.h"

namespace orcastra::leader {

inline constexpr char kHealConfigName[] = "orcastra-heal-record";
inline constexpr int kHealRecordFormat = 1;
inline constexpr std::size_t kMaxHealRecordBytes = 256 * 1024;
inline constexpr std::size_t kMaxHealEntries = 1024;
inline constexpr std::size_t kMaxHealRemovals = 256;
inline constexpr std::size_t kMaxHealIdBytes = 64;
inline constexpr std::size_t kMaxHealTextBytes = 256;
inline constexpr int kMaxHealAttempts = 1'000'000;
inline constexpr std::int64_t kMaxHealEpochMs = 253'402'300'799'999;

struct HealNodeEntry {
  int attempts = 0;
  std::optional<std::int64_t> next_allowed_ms;
  std::optional<std::int64_t> last_attempt_ms;
  std::string action;
  bool operator==(const HealNodeEntry&) const = default;
};

struct HealRemovalEntry {
  std::int64_t at_ms = 0;
  std::string by;
  bool operator==(const HealRemovalEntry&) const = default;
};

struct HealRecord {
  std::map<std::string, HealNodeEntry> nodes;
  std::map<std::string, HealRemovalEntry> removals;
  bool operator==(const HealRecord&) const = default;
};

// A Swarm node id as the record keeps it.
bool IsHealNodeId(std::string_view id);

// ParseError (or Unsupported for another format) prefixed by `where`.
Result<HealRecord> DecodeHealRecord(std::string_view text, std::string_view where);
// The record's JSON text; entries outside the bounds are left out (never made by the planner).
std::string EncodeHealRecord(const HealRecord& record);

// The part of the memory a record keeps, at (`now`, `wall_now_ms`).
HealRecord HealRecordFromMemory(const HealMemory& memory, SteadyTime now, std::int64_t wall_now_ms);
// The memory a new active instance continues from. A time in the past allows at once; a
// next_allowed further ahead than `max_backoff` (a writer whose clock ran ahead, a hand edit) is
// cut to it; a request from the future counts as made now. The graces start empty.
HealMemory HealMemoryFromRecord(const HealRecord& record, SteadyTime now, std::int64_t wall_now_ms,
                                std::chrono::milliseconds max_backoff);

// Whether two memories hold the same record (the backoff and the requests, not the graces).
bool SameHealRecordPart(const HealMemory& a, const HealMemory& b);

}  // namespace orcastra::leader
