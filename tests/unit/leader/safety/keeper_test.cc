// The safety keeper (leader/safety/keeper.h) over a fake Swarm: nothing is acted on before the
// record is read, changes are written once and only when the record changes, a failed write is
// reported, merged and retried, a stale term resets the keeper, an unusable record pauses.
#include "leader/safety/keeper.h"

#include <catch2/catch.hpp>

#include "leader/safety/codec.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

config::SwarmConfig Config() {
  config::SwarmConfig config;
  config::Anchor db;
  db.name = "db";
  db.services = {"app", "api"};
  db.retry_intervals = {2s, 60s};
  config.dependencies = {db};
  return config;
}

struct Instance {
  Instance(testing::FakeSwarmApi& swarm, std::uint64_t lease_term, std::string id)
      : store(swarm),
        term(lease_term),
        keeper(
            store, clock, [this] { return term; }, id,
            [this](protocol::Event e) { events.push_back(std::move(e)); }) {}
  Result<std::optional<SafetyKeeper::Dependents>> Load(const SafetyKeeper::Dependents& now = {}) {
    return keeper.Load(Config(), "st", now);
  }
  bool Saw(const std::string& kind) const {
    for (const auto& e : events)
      if (e.kind == kind) return true;
    return false;
  }
  SwarmSafetyStore store;
  testing::FakeClock clock;
  std::uint64_t term;
  std::vector<protocol::Event> events;
  SafetyKeeper keeper;
};

SafetyRecord Stored(testing::FakeSwarmApi& swarm) {
  const ConfigObject* object = swarm.configs.Named(kSafetyConfigName);
  REQUIRE(object != nullptr);
  auto record = DecodeSafetyRecord(object->labels.at("orcastra.safety.record"), "test");
  REQUIRE(record.ok());
  return *record;
}

TEST_CASE("safety keeper: a fresh swarm loads empty and writes nothing until something changes",
          "[safety]") {
  testing::FakeSwarmApi swarm;
  Instance a(swarm, 1, "node-a/1");
  CHECK(a.keeper.Persist({}).code() == Status::Code::kUnavailable);  // not loaded: no write
  auto loaded = a.Load();
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->empty());
  CHECK(a.keeper.loaded());
  CHECK(a.Saw("safety_loaded"));
  CHECK(a.Load()->has_value() == false);  // loaded already
  REQUIRE(a.keeper.Persist({}).ok());
  CHECK(swarm.configs.writes == 0);
  CHECK(swarm.configs.objects.empty());
}

TEST_CASE("safety keeper: one write per change, none while nothing changes", "[safety]") {
  testing::FakeSwarmApi swarm;
  Instance a(swarm, 1, "node-a/1");
  REQUIRE(a.Load().ok());
  SafetyKeeper::Dependents memory{{"st_app", {1, a.clock.Now() + 2s, a.clock.Now()}}};
  REQUIRE(a.keeper.Persist(memory).ok());
  CHECK(swarm.configs.writes == 1);
  CHECK(Stored(swarm).dependents.at("st_app") ==
        DependentSafety{1, a.clock.WallMs() + 2000, a.clock.WallMs()});
  for (int i = 0; i < 10; ++i) {
    a.clock.Advance(1s);
    REQUIRE(a.keeper.Persist(memory).ok());
  }
  CHECK(swarm.configs.writes == 1);
  REQUIRE(a.keeper.SetPause(true, "cli (command 1)").ok());
  REQUIRE(a.keeper.Persist(memory).ok());
  CHECK(swarm.configs.writes == 2);
  CHECK(Stored(swarm).pause == PauseState{true, "cli (command 1)", a.clock.WallMs()});
  // Colocated again: the entry goes.
  REQUIRE(a.keeper.Persist({}).ok());
  CHECK(swarm.configs.writes == 3);
  CHECK(Stored(swarm).dependents.empty());
  CHECK(a.keeper.StatusJson()["writes"] == 3);
}

TEST_CASE("safety keeper: the next instance continues the backoff and the pause", "[safety]") {
  testing::FakeSwarmApi swarm;
  Instance a(swarm, 1, "node-a/1");
  REQUIRE(a.Load().ok());
  REQUIRE(a.keeper.SetPause(true, "file (command 3)").ok());
  REQUIRE(a.keeper.Persist({{"st_app", {2, a.clock.Now() + 60s, a.clock.Now()}}}).ok());

  Instance b(swarm, 2, "node-b/1");
  b.clock.Advance(20s);  // its wall clock is 20 s later; its monotonic clock is its own
  auto loaded = b.Load();
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->at("st_app") == DependentMemory{2, b.clock.Now() + 40s, b.clock.Now() - 20s});
  CHECK(b.keeper.pause().paused);
  CHECK(b.keeper.pause().by == "file (command 3)");
  // Loading changed nothing, so nothing is written back.
  REQUIRE(b.keeper.Persist(**loaded).ok());
  CHECK(swarm.configs.writes == 1);

  // b writes under term 2; a, deposed, is refused with kAborted and resets.
  REQUIRE(b.keeper.SetPause(false, "cli (command 4)").ok());
  REQUIRE(b.keeper.Persist(**loaded).ok());
  Status late = a.keeper.Persist({});
  CHECK(late.code() == Status::Code::kAborted);
  CHECK_FALSE(a.keeper.loaded());
  CHECK(a.Saw("fenced"));
  CHECK_FALSE(Stored(swarm).pause.paused);
  // a, no longer leading (term 0), cannot write even after loading again.
  a.term = 0;
  REQUIRE(a.Load().ok());
  CHECK(a.keeper.Persist({}).code() == Status::Code::kAborted);
}

TEST_CASE("safety keeper: a record that cannot be read holds everything", "[safety]") {
  testing::FakeSwarmApi swarm;
  Instance a(swarm, 1, "node-a/1");
  swarm.configs.fail_reads = Status::Unavailable("daemon restarting");
  auto loaded = a.Load();
  REQUIRE_FALSE(loaded.ok());
  CHECK_FALSE(a.keeper.loaded());
  CHECK(a.keeper.SetPause(true, "cli").code() == Status::Code::kUnavailable);
  CHECK(a.keeper.Persist({{"st_app", {1, a.clock.Now(), a.clock.Now()}}}).code() ==
        Status::Code::kUnavailable);
  CHECK(swarm.configs.writes == 0);
  CHECK(a.Saw("safety_load_failed"));
  swarm.configs.fail_reads = Status::Ok();
  REQUIRE(a.Load().ok());
  CHECK(a.keeper.loaded());
}

TEST_CASE("safety keeper: an unusable record pauses dependents and is replaced", "[safety]") {
  for (const char* hostile : {"not json", R"({"format":9})", R"({"format":1,"format":1})", ""}) {
    DYNAMIC_SECTION("record " << hostile) {
      testing::FakeSwarmApi swarm;
      swarm.configs.objects["cfg-x"] = {"cfg-x",
                                        kSafetyConfigName,
                                        7,
                                        {{"orcastra.safety.record", hostile},
                                         {"orcastra.safety.term", "4"},
                                         {"orcastra.safety.writer", "node-z/1"}},
                                        "ZGF0YQ=="};
      Instance b(swarm, 5, "node-b/1");
      auto loaded = b.Load();
      REQUIRE(loaded.ok());
      CHECK(b.keeper.pause().paused);
      CHECK_THAT(b.keeper.pause().by, Catch::Contains("unusable"));
      CHECK(b.Saw("safety_record_refused"));
      REQUIRE(b.keeper.Persist({}).ok());
      CHECK(Stored(swarm).pause.paused);
      CHECK(swarm.configs.Named(kSafetyConfigName)->labels.at("orcastra.safety.term") == "5");
      // An operator resumes after a look.
      REQUIRE(b.keeper.SetPause(false, "cli (command 1)").ok());
      REQUIRE(b.keeper.Persist({}).ok());
      CHECK_FALSE(Stored(swarm).pause.paused);
    }
  }
}

TEST_CASE("safety keeper: a failed write is reported, read again, merged and retried", "[safety]") {
  testing::FakeSwarmApi swarm;
  Instance a(swarm, 3, "node-a/1");
  REQUIRE(a.Load().ok());
  const SteadyTime t0 = a.clock.Now();
  SafetyKeeper::Dependents memory{{"st_app", {1, t0 + 2s, t0}}};
  REQUIRE(a.keeper.Persist(memory).ok());

  // Another writer of an older term slips in a longer backoff for api (a deposed instance's
  // delayed write, an operator); our compare-and-swap loses.
  swarm.configs.before_write = [&] {
    swarm.configs.before_write = nullptr;
    SafetyRecord theirs = Stored(swarm);
    theirs.dependents["st_api"] = {3, a.clock.WallMs() + 50'000, a.clock.WallMs()};
    swarm.configs.SetLabel(kSafetyConfigName, "orcastra.safety.record",
                           *EncodeSafetyRecord(theirs));
  };
  memory["st_app"] = {2, t0 + 60s, t0};
  Status lost = a.keeper.Persist(memory);
  CHECK(lost.code() == Status::Code::kConflict);
  CHECK(a.Saw("safety_write_failed"));
  CHECK(a.keeper.Persist(memory).code() == Status::Code::kUnavailable);  // read first

  auto merged = a.Load(memory);
  REQUIRE(merged.ok());
  REQUIRE(merged->has_value());
  CHECK((*merged)->at("st_app").attempts == 2);
  CHECK((*merged)->at("st_api") == DependentMemory{3, t0 + 50s, t0});
  REQUIRE(a.keeper.Persist(**merged).ok());
  CHECK(a.Saw("safety_written"));
  SafetyRecord stored = Stored(swarm);
  CHECK(stored.dependents.at("st_app").attempts == 2);
  CHECK(stored.dependents.at("st_api").attempts == 3);

  // A write whose answer is lost: retried after a read, which finds our own write.
  swarm.configs.lose_write_answers = true;
  memory = **merged;
  memory["st_app"].attempts = 3;
  CHECK_FALSE(a.keeper.Persist(memory).ok());
  swarm.configs.lose_write_answers = false;
  auto again = a.Load(memory);
  REQUIRE(again.ok());
  REQUIRE(a.keeper.Persist(**again).ok());
  CHECK(Stored(swarm).dependents.at("st_app").attempts == 3);
  CHECK(a.keeper.StatusJson()["write_failures"] == 2);
}

TEST_CASE("safety keeper: records of unconfigured services are pruned at the first write",
          "[safety]") {
  testing::FakeSwarmApi swarm;
  Instance a(swarm, 1, "node-a/1");
  REQUIRE(a.Load().ok());
  REQUIRE(a.keeper
              .Persist({{"st_app", {1, a.clock.Now() + 2s, a.clock.Now()}},
                        {"st_old", {4, a.clock.Now() + 60s, a.clock.Now()}}})
              .ok());
  CHECK(Stored(swarm).dependents.size() == 2);
  Instance b(swarm, 2, "node-b/1");
  auto loaded = b.Load();
  REQUIRE(loaded.ok());
  CHECK((*loaded)->count("st_old") == 0);
  REQUIRE(b.keeper.Persist(**loaded).ok());
  CHECK(Stored(swarm).dependents.count("st_old") == 0);
  CHECK(Stored(swarm).dependents.count("st_app") == 1);
}

}  // namespace
}  // namespace orcastra::leader
