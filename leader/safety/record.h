// The safety state that must outlive the active leader instance (design.md §4 rule 4): each
// dependent's force-update backoff, and whether dependents are paused. Without it a failover, or
// a leader in a crash loop, starts every backoff from zero: a force-update storm.
//
// The record is kept in Swarm (leader/safety/store.h) and read by another process, maybe on
// another node, whose monotonic clock means nothing here: its times are wall-clock milliseconds
// since the Unix epoch. The functions below convert between the record and the plan's memory
// (leader/anchors/plan.h, monotonic times); they are pure (the caller passes both clocks' "now").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "config/swarm_config.h"
#include "leader/anchors/plan.h"

namespace orcastra::leader {

struct DependentSafety {
  int attempts = 0;                                  // force-updates since last colocated
  std::optional<std::int64_t> next_allowed_ms;       // no force-update before this
  std::optional<std::int64_t> last_force_update_ms;  // the last one planned (sent or tried)
  bool operator==(const DependentSafety&) const = default;
};

struct PauseState {
  bool paused = false;
  std::string by;          // who set it last: "cli", "file", or "orcastra: <why>"
  std::int64_t at_ms = 0;  // when (0: never set)
  bool operator==(const PauseState&) const = default;
};

struct SafetyRecord {
  std::map<std::string, DependentSafety> dependents;  // by full service name
  PauseState pause;
  bool operator==(const SafetyRecord&) const = default;
};

// Bounds of a record (the codec refuses more; RecordFromMemory never makes more).
inline constexpr std::size_t kMaxSafetyEntries = 1024;
inline constexpr std::size_t kMaxSafetyServiceNameBytes = 255;  // Swarm's names are <= 63
inline constexpr std::size_t kMaxSafetyPauseByBytes = 256;
inline constexpr int kMaxSafetyAttempts = 1'000'000;
inline constexpr std::int64_t kMaxSafetyEpochMs = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

// A service name a record may hold: 1..kMaxSafetyServiceNameBytes of [A-Za-z0-9_.-] (what Swarm
// allows in service names), so no name needs escaping in JSON.
bool IsSafetyServiceName(std::string_view name);

// What the record last loaded or written stands for: the memory it was made from. Converting an
// unchanged memory entry again gives back the same record entry, so the record changes only when
// the backoff really did (a monotonic and a wall clock read a moment apart never agree to the
// millisecond, and a record that changed every cycle would be written every cycle).
struct SafetyBasis {
  std::map<std::string, DependentMemory> memory;
  SafetyRecord record;
};

// The record for the plan's dependents' memory at (`now`, `wall_now_ms`). Entries that `basis`
// holds unchanged are copied from it. At most kMaxSafetyEntries entries (those with the latest
// next_allowed win; `dropped`, when given, counts the rest) and no name the codec would refuse.
SafetyRecord RecordFromMemory(const std::map<std::string, DependentMemory>& dependents,
                              const PauseState& pause, SteadyTime now, std::int64_t wall_now_ms,
                              const SafetyBasis& basis, std::size_t* dropped = nullptr);

// The dependents' memory a new active instance continues from, for the dependents `config`
// names (others are pruned; `pruned`, when given, counts them). A next_allowed in the past allows
// at once; one further ahead than the anchor's longest retry interval (a writer whose wall clock
// ran ahead, a hand-edited record) is cut to that interval from now, so no record can hold a
// dependent back for longer than the configuration would.
std::map<std::string, DependentMemory> MemoryFromRecord(const SafetyRecord& record,
                                                        const config::SwarmConfig& config,
                                                        const std::string& default_stack,
                                                        SteadyTime now, std::int64_t wall_now_ms,
                                                        std::size_t* pruned = nullptr);

// The record without entries for services outside `keep`.
SafetyRecord PruneSafetyRecord(SafetyRecord record, const std::set<std::string>& keep);

// For a record that changed under us (a compare-and-swap lost against a writer of an older or
// the same term): per dependent the larger attempt count and the later times, so the merge
// never shortens a backoff; the pause is ours (commands run on the active instance).
SafetyRecord MergeSafetyRecords(const SafetyRecord& ours, const SafetyRecord& theirs);

// The full names of every dependent the configuration names.
std::set<std::string> ConfiguredDependents(const config::SwarmConfig& config,
                                           const std::string& default_stack);

}  // namespace orcastra::leader
