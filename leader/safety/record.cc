#include "leader/safety/record.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/utf8.h"
#include "leader/state/cluster_state.h"

namespace orcastra::leader {
namespace {

using std::chrono::milliseconds;

std::int64_t ToWallMs(SteadyTime t, SteadyTime now, std::int64_t wall_now_ms) {
  std::int64_t ms = wall_now_ms + std::chrono::duration_cast<milliseconds>(t - now).count();
  return std::clamp<std::int64_t>(ms, 0, kMaxSafetyEpochMs);
}

// The longest retry interval of the anchor that names each configured dependent.
std::map<std::string, milliseconds> LongestIntervals(const config::SwarmConfig& config,
                                                     const std::string& default_stack) {
  std::map<std::string, milliseconds> out;
  for (const auto& anchor : config.dependencies) {
    const auto& intervals =
        anchor.retry_intervals.empty() ? config::kDefaultRetryIntervals : anchor.retry_intervals;
    milliseconds longest{0};
    for (auto interval : intervals) longest = std::max<milliseconds>(longest, interval);
    const std::string stack = anchor.stack.value_or(default_stack);
    for (const auto& dep : anchor.services) {
      auto& slot = out[FullServiceName(stack, dep)];
      slot = std::max(slot, longest);
    }
  }
  return out;
}

template <typename T>
std::optional<T> Later(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

}  // namespace

bool IsSafetyServiceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxSafetyServiceNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::set<std::string> ConfiguredDependents(const config::SwarmConfig& config,
                                           const std::string& default_stack) {
  std::set<std::string> out;
  for (const auto& [name, longest] : LongestIntervals(config, default_stack)) out.insert(name);
  return out;
}

SafetyRecord RecordFromMemory(const std::map<std::string, DependentMemory>& dependents,
                              const PauseState& pause, SteadyTime now, std::int64_t wall_now_ms,
                              const SafetyBasis& basis, std::size_t* dropped) {
  SafetyRecord record;
  record.pause = pause;
  record.pause.by = CutText(ToValidUtf8(pause.by), kMaxSafetyPauseByBytes);
  record.pause.at_ms = std::clamp<std::int64_t>(record.pause.at_ms, 0, kMaxSafetyEpochMs);
  std::vector<std::pair<std::string, DependentSafety>> entries;
  for (const auto& [name, memory] : dependents) {
    if (!IsSafetyServiceName(name)) continue;
    auto was = basis.memory.find(name);
    auto stored = basis.record.dependents.find(name);
    if (was != basis.memory.end() && was->second == memory &&
        stored != basis.record.dependents.end()) {
      entries.emplace_back(name, stored->second);
      continue;
    }
    DependentSafety entry;
    entry.attempts = std::clamp(memory.attempts, 0, kMaxSafetyAttempts);
    if (memory.next_allowed)
      entry.next_allowed_ms = ToWallMs(*memory.next_allowed, now, wall_now_ms);
    if (memory.last_attempt) {
      entry.last_force_update_ms = ToWallMs(*memory.last_attempt, now, wall_now_ms);
    }
    entries.emplace_back(name, entry);
  }
  if (entries.size() > kMaxSafetyEntries) {
    // Keep the ones held back longest: they are the ones a storm would hit first.
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.second.next_allowed_ms.value_or(-1) > b.second.next_allowed_ms.value_or(-1);
    });
    if (dropped != nullptr) *dropped = entries.size() - kMaxSafetyEntries;
    entries.resize(kMaxSafetyEntries);
  } else if (dropped != nullptr) {
    *dropped = 0;
  }
  for (auto& [name, entry] : entries) record.dependents.emplace(name, entry);
  return record;
}

std::map<std::string, DependentMemory> MemoryFromRecord(const SafetyRecord& record,
                                                        const config::SwarmConfig& config,
                                                        const std::string& default_stack,
                                                        SteadyTime now, std::int64_t wall_now_ms,
                                                        std::size_t* pruned) {
  const auto longest = LongestIntervals(config, default_stack);
  std::map<std::string, DependentMemory> out;
  std::size_t dropped = 0;
  for (const auto& [name, entry] : record.dependents) {
    auto limit = longest.find(name);
    if (limit == longest.end()) {
      ++dropped;
      continue;
    }
    DependentMemory memory;
    memory.attempts = std::clamp(entry.attempts, 0, kMaxSafetyAttempts);
    if (entry.next_allowed_ms) {
      milliseconds ahead{*entry.next_allowed_ms - wall_now_ms};
      memory.next_allowed = now + std::clamp(ahead, milliseconds{0}, limit->second);
    }
    if (entry.last_force_update_ms) {
      milliseconds ago{wall_now_ms - *entry.last_force_update_ms};
      // Only shown and written back; a time "in the future" (a clock ahead) is taken as now.
      memory.last_attempt = now - std::max(ago, milliseconds{0});
    }
    out.emplace(name, memory);
  }
  if (pruned != nullptr) *pruned = dropped;
  return out;
}

SafetyRecord PruneSafetyRecord(SafetyRecord record, const std::set<std::string>& keep) {
  for (auto it = record.dependents.begin(); it != record.dependents.end();) {
    it = keep.count(it->first) ? std::next(it) : record.dependents.erase(it);
  }
  return record;
}

SafetyRecord MergeSafetyRecords(const SafetyRecord& ours, const SafetyRecord& theirs) {
  SafetyRecord merged = ours;
  for (const auto& [name, entry] : theirs.dependents) {
    auto [it, inserted] = merged.dependents.emplace(name, entry);
    if (inserted) continue;
    DependentSafety& mine = it->second;
    mine.attempts = std::max(mine.attempts, entry.attempts);
    mine.next_allowed_ms = Later(mine.next_allowed_ms, entry.next_allowed_ms);
    mine.last_force_update_ms = Later(mine.last_force_update_ms, entry.last_force_update_ms);
  }
  if (merged.dependents.size() > kMaxSafetyEntries) {
    // Both were bounded; their union may not be. Keep the longest held back.
    std::vector<std::pair<std::string, DependentSafety>> entries(merged.dependents.begin(),
                                                                 merged.dependents.end());
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.second.next_allowed_ms.value_or(-1) > b.second.next_allowed_ms.value_or(-1);
    });
    entries.resize(kMaxSafetyEntries);
    merged.dependents = {entries.begin(), entries.end()};
  }
  return merged;
}

}  // namespace orcastra::leader
