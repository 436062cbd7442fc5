// `orcastra config apply` carried out against a fake Swarm that keeps config objects as Swarm
// does (tests/fakes/fake_swarm_configs.h): stored, unchanged, refused with nothing stored (an
// invalid set, a failed read, a failed or conflicting create), pruned to the bound.
#include "leader/config_store/store.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

ConfigSet Set(const std::string& swarm) {
  ConfigSet set;
  set.files["swarm.yml"] = swarm;
  return set;
}

const std::string kGood = "nodes: {}\ndependencies:\n  db: [app]\n";

std::size_t Stored(testing::FakeSwarmApi& swarm) {
  auto versions = ReadStoredVersions(swarm);
  REQUIRE(versions.ok());
  return versions->versions.size();
}

TEST_CASE("config store: apply stores, then reports unchanged", "[leader][config_store]") {
  testing::FakeSwarmApi swarm;
  ApplyOutcome first = ExecuteApply(swarm, Set(kGood), {"alice", "KEY", "m1"}, 1000, {});
  REQUIRE(first.status.ok());
  CHECK(first.answer["result"] == "stored");
  CHECK(first.answer["version"] == 1);
  CHECK(first.answer["previous"].is_null());
  const ConfigObject* object = swarm.configs.Named("orcastra-config-v1");
  REQUIRE(object != nullptr);
  CHECK(object->labels.at(kLabelAppliedBy) == "alice");

  ApplyOutcome again = ExecuteApply(swarm, Set(kGood), {"bob", "", ""}, 2000, {});
  REQUIRE(again.status.ok());
  CHECK(again.answer["result"] == "unchanged");
  CHECK(Stored(swarm) == 1);

  ApplyOutcome second = ExecuteApply(swarm, Set(kGood + "# 2\n"), {"bob", "", ""}, 3000, {});
  REQUIRE(second.status.ok());
  CHECK(second.answer["version"] == 2);
  CHECK(second.answer["previous"] == 1);
  CHECK(Stored(swarm) == 2);
}

TEST_CASE("config store: nothing is stored on any error", "[leader][config_store]") {
  testing::FakeSwarmApi swarm;
  REQUIRE(ExecuteApply(swarm, Set(kGood), {}, 1, {}).status.ok());
  const int writes = swarm.configs.writes;

  SECTION("an invalid set: its diagnostics at file:line") {
    ApplyOutcome refused =
        ExecuteApply(swarm, Set("nodes: {}\ndependencies:\n  db: 7\n"), {}, 2, {});
    CHECK(refused.status.code() == Status::Code::kInvalidArgument);
    CHECK(refused.answer["result"] == "refused");
    REQUIRE(refused.answer["diagnostics"].size() >= 1);
    CHECK_THAT(refused.answer["diagnostics"][0].get<std::string>(),
               Catch::StartsWith("orcastra-config-v2/swarm.yml:3:"));
  }
  SECTION("the stored versions cannot be read") {
    swarm.configs.fail_reads = Status::Unavailable("daemon restarting");
    ApplyOutcome refused = ExecuteApply(swarm, Set(kGood + "#x\n"), {}, 2, {});
    CHECK_FALSE(refused.status.ok());
    CHECK_THAT(refused.status.message(), Catch::Contains("nothing was stored"));
    swarm.configs.fail_reads = Status::Ok();
  }
  SECTION("the create fails") {
    swarm.configs.fail_writes = Status::Unavailable("raft: no leader");
    ApplyOutcome refused = ExecuteApply(swarm, Set(kGood + "#x\n"), {}, 2, {});
    CHECK_THAT(refused.status.message(), Catch::Contains("nothing was stored"));
    swarm.configs.fail_writes = Status::Ok();
    CHECK(swarm.configs.writes == writes + 1);
  }
  SECTION("another apply took the number at the same time") {
    swarm.configs.before_write = [&] {
      swarm.configs.before_write = nullptr;
      REQUIRE(swarm.configs.CreateConfig("orcastra-config-v2", {{kLabelVersion, "2"}}, "").ok());
    };
    ApplyOutcome refused = ExecuteApply(swarm, Set(kGood + "#x\n"), {}, 2, {});
    CHECK(refused.status.code() == Status::Code::kConflict);
    CHECK_THAT(refused.status.message(), Catch::Contains("run it again"));
  }
  CHECK(Stored(swarm) <= 2);
  CHECK(swarm.configs.Named("orcastra-config-v1") != nullptr);
}

TEST_CASE("config store: apply prunes to the newest kKeptVersions", "[leader][config_store]") {
  testing::FakeSwarmApi swarm;
  for (int n = 1; n <= 8; ++n) {
    ApplyOutcome outcome =
        ExecuteApply(swarm, Set(kGood + "# " + std::to_string(n) + "\n"), {}, n, {});
    REQUIRE(outcome.status.ok());
  }
  CHECK(Stored(swarm) == kKeptVersions);
  CHECK(swarm.configs.Named("orcastra-config-v3") == nullptr);
  CHECK(swarm.configs.Named("orcastra-config-v4") != nullptr);
  CHECK(swarm.configs.Named("orcastra-config-v8") != nullptr);

  SECTION("a failed prune is a warning; the version is stored") {
    int creates = 0;
    swarm.configs.before_write = [&] {
      if (++creates == 2) swarm.configs.fail_writes = Status::Unavailable("busy");
    };
    ApplyOutcome outcome = ExecuteApply(swarm, Set(kGood + "# 9\n"), {}, 9, {});
    REQUIRE(outcome.status.ok());
    CHECK(outcome.answer["result"] == "stored");
    CHECK(outcome.answer["prune_failures"].size() == 1);
  }
}

TEST_CASE("config store: a broken object among the versions is reported, not used",
          "[leader][config_store]") {
  testing::FakeSwarmApi swarm;
  REQUIRE(swarm.configs.CreateConfig("orcastra-config-v9", {{kLabelVersion, "nine"}}, "").ok());
  REQUIRE(ExecuteApply(swarm, Set(kGood), {}, 1, {}).status.ok());
  auto versions = ReadStoredVersions(swarm);
  REQUIRE(versions.ok());
  CHECK(versions->versions.size() == 1);
  REQUIRE(versions->problems.size() == 1);
  CHECK_THAT(versions->problems[0], Catch::Contains("orcastra-config-v9"));
}

}  // namespace
}  // namespace orcastra::leader
