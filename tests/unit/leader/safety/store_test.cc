// The safety record's store (leader/safety/store.h) over a fake of Swarm's config objects: created
// once, swapped only over the version read, fenced by the lease term with kAborted (a status code,
// never a message to match), labels that are not Orcastra's reported as a problem, not an error.
#include "leader/safety/store.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

struct Harness {
  testing::FakeSwarmApi swarm;
  SwarmSafetyStore store{swarm};
  testing::FakeSwarmConfigs& configs() { return swarm.configs; }
};

TEST_CASE("safety store: none at first, created once, then swapped over its version", "[safety]") {
  Harness h;
  auto none = h.store.Read();
  REQUIRE(none.ok());
  CHECK_FALSE(none->exists);

  auto created = h.store.Write(R"({"format":1})", 3, "node-a/1", *none);
  REQUIRE(created.ok());
  CHECK(created->exists);
  CHECK(created->term == 3);
  CHECK(created->writer == "node-a/1");
  CHECK(created->record_json == R"({"format":1})");
  CHECK(created->problem.empty());
  const leader::ConfigObject* object = h.configs().Named(kSafetyConfigName);
  REQUIRE(object != nullptr);
  CHECK(object->labels.at("orcastra.safety.term") == "3");
  CHECK_FALSE(object->data.empty());

  auto second = h.store.Write("{}", 3, "node-a/1", *created);
  REQUIRE(second.ok());
  CHECK(second->object.version > created->object.version);
  CHECK(second->record_json == "{}");

  auto read = h.store.Read();
  REQUIRE(read.ok());
  CHECK(read->object == second->object);
}

TEST_CASE("safety store: a stale version is a Conflict", "[safety]") {
  Harness h;
  auto created = h.store.Write("{}", 1, "a", {});
  REQUIRE(created.ok());
  auto moved = h.store.Write("{}", 1, "a", *created);
  REQUIRE(moved.ok());
  auto stale = h.store.Write("{}", 1, "a", *created);  // over the first version again
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Status::Code::kConflict);
  // Two creators: the second finds the name taken.
  Harness two;
  REQUIRE(two.store.Write("{}", 1, "a", {}).ok());
  auto again = two.store.Write("{}", 1, "b", {});
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == Status::Code::kConflict);
}

TEST_CASE("safety store: writes are fenced by the lease term", "[safety]") {
  Harness h;
  SECTION("term 0 (not leading): nothing is sent") {
    auto refused = h.store.Write("{}", 0, "a", {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Status::Code::kAborted);
    CHECK(h.configs().writes == 0);
  }
  SECTION("a term older than the one stored: nothing is sent") {
    auto newer = h.store.Write("{}", 5, "b", {});
    REQUIRE(newer.ok());
    int writes = h.configs().writes;
    auto stale = h.store.Write("{}", 4, "a", *newer);
    REQUIRE_FALSE(stale.ok());
    CHECK(stale.status().code() == Status::Code::kAborted);
    CHECK(h.configs().writes == writes);
  }
  SECTION("an old instance whose read predates the newer term's write") {
    auto old_read = h.store.Write("{}", 4, "a", {});  // a wrote under term 4
    REQUIRE(old_read.ok());
    SwarmSafetyStore newer(h.swarm);
    auto taken = newer.Write(R"({"format":1})", 5, "b", *old_read);
    REQUIRE(taken.ok());
    // a, deposed, still holds its read: Swarm refuses the version, and the store sees term 5.
    auto late = h.store.Write("{}", 4, "a", *old_read);
    REQUIRE_FALSE(late.ok());
    CHECK(late.status().code() == Status::Code::kAborted);
    CHECK_THAT(late.status().message(), Catch::Contains("term 5"));
    CHECK(h.store.Read()->writer == "b");
    // Its create, believing there is none, is refused the same way.
    auto blind = h.store.Write("{}", 4, "a", {});
    CHECK(blind.status().code() == Status::Code::kAborted);
  }
  SECTION("the same or a newer term may write") {
    auto first = h.store.Write("{}", 5, "a", {});
    REQUIRE(first.ok());
    auto same = h.store.Write("{}", 5, "a", *first);
    REQUIRE(same.ok());
    auto newer = h.store.Write("{}", 6, "b", *same);
    REQUIRE(newer.ok());
    CHECK(newer->term == 6);
  }
}

TEST_CASE("safety store: labels that are not Orcastra's are a problem, not a read error",
          "[safety]") {
  Harness h;
  auto created = h.store.Write("{}", 2, "a", {});
  REQUIRE(created.ok());
  h.configs().SetLabel(kSafetyConfigName, "orcastra.safety.term", "two");
  auto read = h.store.Read();
  REQUIRE(read.ok());
  CHECK_THAT(read->problem, Catch::Contains("'orcastra.safety.term' is 'two', not a number"));
  // Whoever holds the lease may write over it, still under the version check.
  auto fixed = h.store.Write("{}", 1, "b", *read);
  REQUIRE(fixed.ok());
  CHECK(fixed->problem.empty());
  CHECK(fixed->term == 1);

  h.configs().Named(kSafetyConfigName)->labels.erase("orcastra.safety.record");
  auto missing = h.store.Read();
  REQUIRE(missing.ok());
  CHECK_THAT(missing->problem, Catch::Contains("'orcastra.safety.record' is missing"));
}

TEST_CASE("safety store: failures keep their codes and name the object", "[safety]") {
  Harness h;
  h.configs().fail_reads = Status::Unavailable("daemon restarting");
  auto read = h.store.Read();
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(read.status().message(), Catch::Contains(kSafetyConfigName));
  h.configs().fail_reads = Status::Ok();
  h.configs().fail_writes = Status::Timeout("timed out");
  auto written = h.store.Write("{}", 1, "a", {});
  REQUIRE_FALSE(written.ok());
  CHECK(written.status().code() == Status::Code::kTimeout);
  // A write applied but unanswered: the next write over the old version is a Conflict.
  h.configs().fail_writes = Status::Ok();
  auto created = h.store.Write("{}", 1, "a", {});
  REQUIRE(created.ok());
  h.configs().lose_write_answers = true;
  CHECK_FALSE(h.store.Write("{\"x\":1}", 1, "a", *created).ok());
  h.configs().lose_write_answers = false;
  auto retry = h.store.Write("{\"x\":1}", 1, "a", *created);
  CHECK(retry.status().code() == Status::Code::kConflict);
}

}  // namespace
}  // namespace orcastra::leader
