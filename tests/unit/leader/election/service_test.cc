// LeaseKeeper's loop (leader/election/service.h) on a simulated clock: candidates stepped by hand
// against one lease in a fake Swarm (the real SwarmLeaseStore over FakeSwarmConfigs), no thread
// and no sleep. Acquire, renew, lose the lease when renewals fail past the renew deadline (and
// never while another could already have taken over), release on stop.
#include "leader/election/service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_swarm_api.h"
#include "tests/fakes/faulty_lease_store.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

const LeaseTimings kTimings{15000ms, 10000ms, 5000ms, 2000ms};
constexpr std::chrono::milliseconds kStep{100};

// One candidate process: its own lease store (its own cache of the object, like another process)
// over the shared Swarm, a switch that cuts it off, and its keeper.
struct Node {
  Node(testing::FakeSwarmApi& swarm, const Clock& clock, const std::string& name,
       LeaseTimings timings = kTimings)
      : store(swarm),
        faulty(store, clock),
        keeper(faulty, clock, Candidate{"id-" + name, name, "id-" + name + "/1"}, timings) {}
  SwarmLeaseStore store;
  testing::FaultyLeaseStore faulty;
  LeaseKeeper keeper;
};

// Steps every keeper until it waits (at most 8 actions each), then advances the clock by `step`;
// `each` runs after every round. Returns the rounds run.
int RunFor(testing::FakeClock& clock, const std::vector<Node*>& nodes,
           std::chrono::milliseconds duration, const std::function<void()>& each = {},
           std::chrono::milliseconds step = kStep) {
  int rounds = 0;
  for (std::chrono::milliseconds t{0}; t < duration; t += step, ++rounds) {
    for (Node* node : nodes) {
      for (int i = 0; i < 8 && node->keeper.Step() == 0ms; ++i) {
      }
    }
    if (each) each();
    clock.Advance(step);
  }
  return rounds;
}

const ConfigObject& Lease(testing::FakeSwarmApi& swarm) {
  const ConfigObject* lease = swarm.configs.Named(kLeaseConfigName);
  REQUIRE(lease != nullptr);
  return *lease;
}

TEST_CASE("LeaseKeeper: the first candidate creates the lease and renews it every renew interval",
          "[lease][keeper]") {
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  Node a(swarm, clock, "a");
  CHECK_FALSE(a.keeper.IsLeader());
  CHECK(a.keeper.Step() == 0ms);  // read: no lease yet
  CHECK_FALSE(a.keeper.IsLeader());
  CHECK(a.keeper.Step() == 0ms);  // create
  CHECK(a.keeper.IsLeader());
  CHECK(a.keeper.Term() == 1);
  CHECK(Lease(swarm).labels.at("orcastra.lease.holder") == "id-a/1");
  CHECK(a.keeper.Step() == kTimings.renew_interval);  // nothing before the renewal is due

  const int writes_before = a.faulty.writes;
  bool always_leader = true;
  RunFor(clock, {&a}, 60s, [&] { always_leader = always_leader && a.keeper.IsLeader(); });
  CHECK(always_leader);
  CHECK(a.keeper.Term() == 1);
  // One renewal per renew interval: at 5, 10, ..., 55 s of the 60 s stepped.
  CHECK(a.faulty.writes - writes_before == 11);
  CHECK(Lease(swarm).labels.at("orcastra.lease.term") == "1");
}

TEST_CASE("LeaseKeeper: a standby does not take a lease that is renewed", "[lease][keeper]") {
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  Node a(swarm, clock, "a");
  Node b(swarm, clock, "b");
  RunFor(clock, {&a}, 1s);
  REQUIRE(a.keeper.IsLeader());
  bool b_ever = false;
  RunFor(clock, {&a, &b}, 5min, [&] { b_ever = b_ever || b.keeper.IsLeader(); });
  CHECK_FALSE(b_ever);
  CHECK(a.keeper.IsLeader());
  CHECK(b.keeper.ObservedHolder().holder == "id-a/1");
}

TEST_CASE(
    "LeaseKeeper: renewals failing past the deadline end leadership before another takes over",
    "[lease][keeper]") {
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  Node a(swarm, clock, "a");
  Node b(swarm, clock, "b");
  RunFor(clock, {&a}, 1s);
  REQUIRE(a.keeper.IsLeader());
  RunFor(clock, {&a, &b}, 7s);  // b has read the lease; a renewed at least once
  REQUIRE(a.keeper.IsLeader());

  // a's node is cut off: every call of a fails from now on; b's still reach Swarm.
  a.faulty.fail = Status::Unavailable("connection refused");
  const SteadyTime cut = clock.Now();
  REQUIRE(a.faulty.last_ok_write.has_value());
  const SteadyTime last_renewal_sent = *a.faulty.last_ok_write;
  std::optional<SteadyTime> a_lost, b_won;
  bool both = false;
  RunFor(clock, {&a, &b}, 40s, [&] {
    if (!a_lost && !a.keeper.IsLeader()) a_lost = clock.Now();
    if (!b_won && b.keeper.IsLeader()) b_won = clock.Now();
    both = both || (a.keeper.IsLeader() && b.keeper.IsLeader());
  });
  REQUIRE(a_lost.has_value());
  REQUIRE(b_won.has_value());
  CHECK_FALSE(both);
  // a acts until its renew deadline (counted from the send time of its last good renewal), not
  // a step longer, and not before.
  CHECK(*a_lost >= last_renewal_sent + kTimings.renew_deadline);
  CHECK(*a_lost <= last_renewal_sent + kTimings.renew_deadline + kStep);
  CHECK(*a_lost > cut);
  // b swaps only over a version it read a lease duration ago: by then a had stopped for at least
  // lease_duration - renew_deadline.
  CHECK(*b_won - *a_lost >= kTimings.lease_duration - kTimings.renew_deadline - kStep);
  CHECK(*b_won >= last_renewal_sent + kTimings.lease_duration);
  CHECK(b.keeper.Term() == 2);
  CHECK(Lease(swarm).labels.at("orcastra.lease.holder") == "id-b/1");
  CHECK(a.keeper.Term() == 0);

  // a's node comes back: it reads the new holder and stays a standby.
  a.faulty.fail = Status::Ok();
  bool a_again = false;
  RunFor(clock, {&a, &b}, 60s, [&] { a_again = a_again || a.keeper.IsLeader(); });
  CHECK_FALSE(a_again);
  CHECK(b.keeper.IsLeader());
  CHECK(a.keeper.ObservedHolder().holder == "id-b/1");
  CHECK(a.keeper.ObservedHolder().term == 2);
}

TEST_CASE("LeaseKeeper: a candidate whose calls all fail never leads", "[lease][keeper]") {
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  Node a(swarm, clock, "a");
  a.faulty.fail = Status::Timeout("docker GET /configs: timed out");
  bool ever = false;
  RunFor(clock, {&a}, 2min, [&] { ever = ever || a.keeper.IsLeader(); });
  CHECK_FALSE(ever);
  CHECK(swarm.configs.Named(kLeaseConfigName) == nullptr);
  // Retried every retry period, not in a tight loop: 120 s / 2 s.
  CHECK(a.faulty.reads >= 55);
  CHECK(a.faulty.reads <= 61);
}

TEST_CASE("LeaseKeeper: Release() stops leading at once and a standby takes over without waiting",
          "[lease][keeper]") {
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  Node a(swarm, clock, "a");
  Node b(swarm, clock, "b");
  RunFor(clock, {&a}, 1s);
  RunFor(clock, {&a, &b}, 3s);
  REQUIRE(a.keeper.IsLeader());
  b.keeper.OnEventsConnected();  // b follows Swarm's events about the lease
  RunFor(clock, {&b}, 1s);

  a.keeper.Release();
  CHECK_FALSE(a.keeper.IsLeader());
  CHECK(a.keeper.Term() == 0);
  CHECK(Lease(swarm).labels.at("orcastra.lease.holder").empty());
  CHECK(Lease(swarm).labels.at("orcastra.lease.term") == "1");

  // Swarm announces the write; b reads the released lease and takes it in the same instant.
  b.keeper.OnLeaseChanged();
  for (int i = 0; i < 8 && b.keeper.Step() == 0ms; ++i) {
  }
  CHECK(b.keeper.IsLeader());
  CHECK(b.keeper.Term() == 2);

  // A second release from a, which no longer leads, writes nothing.
  const int writes = a.faulty.writes;
  a.keeper.Release();
  CHECK(a.faulty.writes == writes);
  CHECK(Lease(swarm).labels.at("orcastra.lease.holder") == "id-b/1");
}

TEST_CASE("LeaseKeeper: without events a standby finds a released lease at its next poll",
          "[lease][keeper]") {
  testing::FakeSwarmApi swarm;
  testing::FakeClock clock;
  Node a(swarm, clock, "a");
  Node b(swarm, clock, "b");
  RunFor(clock, {&a}, 1s);
  RunFor(clock, {&a, &b}, 3s);
  a.keeper.Release();
  const SteadyTime released = clock.Now();
  std::optional<SteadyTime> b_won;
  RunFor(clock, {&b}, 20s, [&] {
    if (!b_won && b.keeper.IsLeader()) b_won = clock.Now();
  });
  REQUIRE(b_won.has_value());
  // Within one renew interval (its poll period), well before a lease duration.
  CHECK(*b_won - released <= kTimings.renew_interval + kStep);
  CHECK(b.keeper.Term() == 2);
}

}  // namespace
}  // namespace orcastra::leader
