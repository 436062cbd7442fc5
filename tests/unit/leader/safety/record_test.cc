// The safety record against the plan's memory (leader/safety/record.h): monotonic times become wall
// times and back, an unchanged entry converts to the same record entry, hostile times are clamped
// to what the configuration allows, unconfigured services are pruned, merges never shorten a
// backoff, the entry count is bounded.
#include "leader/safety/record.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
const SteadyTime kNow = SteadyTime{} + 5h;
constexpr std::int64_t kWall = 1'700'000'000'000;

config::SwarmConfig Config() {
  config::SwarmConfig config;
  config::Anchor db;
  db.name = "db";
  db.services = {"app", "api"};
  db.retry_intervals = {2s, 60s};
  config::Anchor cache;
  cache.name = "cache";
  cache.stack = "other";
  cache.services = {"web"};
  cache.retry_intervals = {5s, 900s, 30s};
  config.dependencies = {db, cache};
  return config;
}

TEST_CASE("safety record: memory to record and back", "[safety]") {
  std::map<std::string, DependentMemory> memory;
  memory["st_app"] = {2, kNow + 40s, kNow - 20s};
  memory["st_api"] = {1, kNow - 3s, kNow - 5s};
  PauseState pause{true, "cli", kWall - 1000};
  SafetyRecord record = RecordFromMemory(memory, pause, kNow, kWall, {});
  CHECK(record.pause == pause);
  CHECK(record.dependents.at("st_app") == DependentSafety{2, kWall + 40'000, kWall - 20'000});
  CHECK(record.dependents.at("st_api") == DependentSafety{1, kWall - 3'000, kWall - 5'000});

  // Another process, 10 s later on the wall clock, with an unrelated monotonic clock.
  const SteadyTime other_now = SteadyTime{} + 77h;
  auto restored = MemoryFromRecord(record, Config(), "st", other_now, kWall + 10'000);
  REQUIRE(restored.size() == 2);
  CHECK(restored.at("st_app") == DependentMemory{2, other_now + 30s, other_now - 30s});
  // A next_allowed in the past allows at once.
  CHECK(restored.at("st_api").next_allowed == other_now);
  CHECK(restored.at("st_api").attempts == 1);
}

TEST_CASE("safety record: an unchanged entry converts to the same record entry", "[safety]") {
  std::map<std::string, DependentMemory> memory;
  memory["st_app"] = {2, kNow + 40s, kNow};
  SafetyRecord first = RecordFromMemory(memory, {}, kNow, kWall, {});
  SafetyBasis basis{memory, first};
  // Read again a little later, and the wall clock stepped by 3 ms against the monotonic one.
  SafetyRecord again = RecordFromMemory(memory, {}, kNow + 2s, kWall + 2003, basis);
  CHECK(again == first);
  // Without the basis the entry would differ: the conversion is not stable on its own.
  CHECK_FALSE(RecordFromMemory(memory, {}, kNow + 2s, kWall + 2003, {}) == first);
  // A changed entry is converted afresh.
  memory["st_app"].attempts = 3;
  memory["st_app"].next_allowed = kNow + 62s;
  SafetyRecord changed = RecordFromMemory(memory, {}, kNow + 2s, kWall + 2003, basis);
  CHECK(changed.dependents.at("st_app").next_allowed_ms == kWall + 62'003);
}

TEST_CASE("safety record: hostile or skewed times are clamped to the configuration", "[safety]") {
  SafetyRecord record;
  record.dependents["st_app"] = {4, kMaxSafetyEpochMs, kMaxSafetyEpochMs};  // year 9999
  record.dependents["other_web"] = {1, kWall + 3'600'000, 0};               // an hour ahead
  record.dependents["st_api"] = {1, 0, 0};                                  // 1970
  auto memory = MemoryFromRecord(record, Config(), "st", kNow, kWall);
  CHECK(memory.at("st_app").next_allowed == kNow + 60s);      // db's longest interval
  CHECK(memory.at("st_app").last_attempt == kNow);            // "in the future": taken as now
  CHECK(memory.at("other_web").next_allowed == kNow + 900s);  // cache's longest, not its last
  CHECK(memory.at("st_api").next_allowed == kNow);
}

TEST_CASE("safety record: services the configuration does not name are pruned", "[safety]") {
  SafetyRecord record;
  record.dependents["st_app"] = {1, kWall, std::nullopt};
  record.dependents["st_gone"] = {3, kWall + 1000, std::nullopt};
  record.dependents["other_app"] = {1, kWall, std::nullopt};  // app, but of another stack
  std::size_t pruned = 0;
  auto memory = MemoryFromRecord(record, Config(), "st", kNow, kWall, &pruned);
  CHECK(memory.size() == 1);
  CHECK(memory.count("st_app") == 1);
  CHECK(pruned == 2);
  SafetyRecord kept = PruneSafetyRecord(record, ConfiguredDependents(Config(), "st"));
  CHECK(kept.dependents.size() == 1);
  CHECK(ConfiguredDependents(Config(), "st") ==
        std::set<std::string>{"st_app", "st_api", "other_web"});
}

TEST_CASE("safety record: a merge never shortens a backoff; the pause is ours", "[safety]") {
  SafetyRecord ours;
  ours.dependents["a"] = {2, 100, 50};
  ours.dependents["b"] = {1, std::nullopt, 10};
  ours.pause = {false, "cli", 7};
  SafetyRecord theirs;
  theirs.dependents["a"] = {1, 200, 40};
  theirs.dependents["b"] = {3, 300, std::nullopt};
  theirs.dependents["c"] = {1, 5, 5};
  theirs.pause = {true, "file", 9};
  SafetyRecord merged = MergeSafetyRecords(ours, theirs);
  CHECK(merged.dependents.at("a") == DependentSafety{2, 200, 50});
  CHECK(merged.dependents.at("b") == DependentSafety{3, 300, 10});
  CHECK(merged.dependents.at("c") == DependentSafety{1, 5, 5});
  CHECK(merged.pause == ours.pause);
}

TEST_CASE("safety record: bounded entries, names and pause text", "[safety]") {
  std::map<std::string, DependentMemory> memory;
  for (std::size_t i = 0; i < kMaxSafetyEntries + 10; ++i) {
    memory["s" + std::to_string(i)] = {1, kNow + std::chrono::seconds(i), std::nullopt};
  }
  memory["bad name"] = {5, kNow + 1h, std::nullopt};  // never stored: the codec would refuse it
  std::size_t dropped = 0;
  SafetyRecord record =
      RecordFromMemory(memory, {true, std::string(1000, 'x'), kWall}, kNow, kWall, {}, &dropped);
  CHECK(record.dependents.size() == kMaxSafetyEntries);
  CHECK(dropped == 10);
  CHECK(record.dependents.count("bad name") == 0);
  // The ones held back longest are kept.
  CHECK(record.dependents.count("s1033") == 1);
  CHECK(record.dependents.count("s0") == 0);
  CHECK(record.pause.by.size() <= kMaxSafetyPauseByBytes);

  SafetyRecord big, other;
  for (std::size_t i = 0; i < kMaxSafetyEntries; ++i) {
    big.dependents["a" + std::to_string(i)] = {1, 1000, std::nullopt};
    other.dependents["b" + std::to_string(i)] = {1, 2000, std::nullopt};
  }
  SafetyRecord merged = MergeSafetyRecords(big, other);
  CHECK(merged.dependents.size() == kMaxSafetyEntries);
  CHECK(merged.dependents.begin()->first[0] == 'b');
}

}  // namespace
}  // namespace orcastra::leader
