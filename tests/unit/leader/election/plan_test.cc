// The lease state machine with a simulated clock: scenario by scenario, then a randomized cluster
// simulation that checks the safety property (leadership intervals never overlap, terms grow).
#include "leader/election/plan.h"

#include <catch2/catch.hpp>
#include <random>

#include "leader/election/store.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using Kind = LeaseAction::Kind;

const LeaseTimings kTimings{15s, 10s, 5s, 2s};
// The same, with standbys that do not read after every announced renewal (the cheaper mode).
const LeaseTimings kLazyTimings{15s, 10s, 5s, 2s, /*follow_renewals=*/false};
const SteadyTime kT0 = SteadyTime{} + 1h;

Candidate Self(const std::string& name) { return {"node-" + name, name, "node-" + name + "/1"}; }

LeaseRecord HeldBy(const std::string& name, std::uint64_t term, std::uint64_t version) {
  return {true, "node-" + name + "/1", "node-" + name, name, term, version};
}

TEST_CASE("lease timings must satisfy duration > deadline > interval", "[lease]") {
  CHECK(kTimings.Validate().ok());
  CHECK(LeaseTimings{10s, 10s, 5s, 2s}.Validate().message() ==
        "lease duration (10000ms) must be longer than the renew deadline (10000ms)");
  CHECK(LeaseTimings{15s, 5s, 5s, 2s}.Validate().message() ==
        "lease renew deadline (5000ms) must be longer than the renew interval (5000ms)");
  CHECK(LeaseTimings{15s, 10s, 5s, 10s}.Validate().message() ==
        "lease retry period (10000ms) must be shorter than the renew deadline (10000ms)");
  CHECK_FALSE(LeaseTimings{15s, 10s, 0s, 2s}.Validate().ok());
}

TEST_CASE("first start: read, create, lead until the deadline counted from the send", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  CHECK(e.NextAction(kT0).kind == Kind::kRead);
  e.OnObserved(LeaseRecord{}, kT0);
  LeaseAction create = e.NextAction(kT0);
  REQUIRE(create.kind == Kind::kCreate);
  CHECK(create.desired.holder == "node-m1/1");
  CHECK(create.desired.term == 1);
  CHECK_FALSE(e.IsLeader(kT0));
  // Sent at T0, answered 300 ms later.
  e.OnWriteResult(create, WriteOutcome::kOk, HeldBy("m1", 1, 10), kT0, kT0 + 300ms);
  CHECK(e.IsLeader(kT0 + 300ms));
  CHECK(e.LeaderTerm(kT0 + 300ms) == 1);
  CHECK(e.leadership_deadline() == kT0 + 10s);
  CHECK(e.IsLeader(kT0 + 9999ms));
  CHECK_FALSE(e.IsLeader(kT0 + 10s));
}

TEST_CASE("the holder renews on schedule and each success moves the deadline", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  e.OnObserved(HeldBy("m1", 4, 50), kT0);  // our record (e.g. a lost answer): renew at once
  LeaseAction renew = e.NextAction(kT0);
  REQUIRE(renew.kind == Kind::kRenew);
  CHECK(renew.expected_version == 50);
  CHECK(renew.desired.term == 4);
  e.OnWriteResult(renew, WriteOutcome::kOk, HeldBy("m1", 4, 51), kT0, kT0 + 100ms);
  LeaseAction wait = e.NextAction(kT0 + 1s);
  REQUIRE(wait.kind == Kind::kWait);
  CHECK(wait.at == kT0 + 5s);
  LeaseAction next = e.NextAction(kT0 + 5s);
  REQUIRE(next.kind == Kind::kRenew);
  CHECK(next.expected_version == 51);
  e.OnWriteResult(next, WriteOutcome::kOk, HeldBy("m1", 4, 52), kT0 + 5s, kT0 + 5200ms);
  CHECK(e.leadership_deadline() == kT0 + 15s);
}

TEST_CASE("failed renewals never extend leadership past the deadline", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  e.OnObserved(HeldBy("m1", 1, 10), kT0);
  LeaseAction renew = e.NextAction(kT0);
  e.OnWriteResult(renew, WriteOutcome::kOk, HeldBy("m1", 1, 11), kT0, kT0);
  SteadyTime t = kT0 + 5s;
  while (t < kT0 + 20s) {
    LeaseAction a = e.NextAction(t);
    if (a.kind == Kind::kRead) {
      e.OnReadFailed(t);
    } else if (a.kind == Kind::kRenew) {
      e.OnWriteResult(a, WriteOutcome::kFailed, {}, t, t + 1s);
    }
    CHECK(e.IsLeader(t) == (t < kT0 + 10s));
    t += 500ms;
  }
}

TEST_CASE("a conflicting renewal means the lease is lost at once", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  e.OnObserved(HeldBy("m1", 1, 10), kT0);
  e.OnWriteResult(e.NextAction(kT0), WriteOutcome::kOk, HeldBy("m1", 1, 11), kT0, kT0);
  LeaseAction renew = e.NextAction(kT0 + 5s);
  REQUIRE(renew.kind == Kind::kRenew);
  e.OnWriteResult(renew, WriteOutcome::kConflict, {}, kT0 + 5s, kT0 + 5100ms);
  CHECK_FALSE(e.IsLeader(kT0 + 5100ms));
  CHECK(e.NextAction(kT0 + 5100ms).kind == Kind::kRead);
  e.OnObserved(HeldBy("m2", 2, 20), kT0 + 5200ms);
  CHECK_FALSE(e.IsLeader(kT0 + 5200ms));
  CHECK(e.NextAction(kT0 + 5200ms).kind == Kind::kWait);
}

TEST_CASE("reading someone else's record on the lease means we lost it", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  e.OnObserved(HeldBy("m1", 1, 10), kT0);
  e.OnWriteResult(e.NextAction(kT0), WriteOutcome::kOk, HeldBy("m1", 1, 11), kT0, kT0);
  REQUIRE(e.IsLeader(kT0 + 1s));
  e.OnObserved(HeldBy("m2", 2, 30), kT0 + 1s);
  CHECK_FALSE(e.IsLeader(kT0 + 1s));
}

TEST_CASE("a standby takes over a silent lease a full duration after first reading its version",
          "[lease]") {
  LeaseElector e(Self("m2"), kLazyTimings);
  e.OnEventsConnected(kT0);
  e.OnObserved(HeldBy("m1", 3, 40), kT0);
  LeaseAction wait = e.NextAction(kT0);
  REQUIRE(wait.kind == Kind::kWait);
  CHECK(wait.at == kT0 + 15s);
  // The holder renews (announced by events): the standby only refreshes its view once per lease
  // duration while they keep coming.
  for (auto at : {3s, 8s, 13s}) e.OnChanged(kT0 + at);
  CHECK(e.NextAction(kT0 + 14s).kind == Kind::kWait);
  CHECK(e.NextAction(kT0 + 14s).at == kT0 + 15s);
  REQUIRE(e.NextAction(kT0 + 15s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m1", 3, 43), kT0 + 15s);
  e.OnChanged(kT0 + 18s);  // one more renewal, then the holder dies
  // Announcements stopped: read 7 s after the last one, swap a full duration after that read.
  CHECK(e.NextAction(kT0 + 24s).at == kT0 + 25s);
  REQUIRE(e.NextAction(kT0 + 25s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m1", 3, 44), kT0 + 25s);
  CHECK(e.NextAction(kT0 + 39s).kind == Kind::kWait);
  LeaseAction acquire = e.NextAction(kT0 + 40s);
  REQUIRE(acquire.kind == Kind::kAcquire);
  CHECK(acquire.expected_version == 44);
  CHECK(acquire.desired.term == 4);
  CHECK(acquire.desired.holder == "node-m2/1");
  CHECK(acquire.desired.holder_hostname == "m2");
  e.OnWriteResult(acquire, WriteOutcome::kOk, HeldBy("m2", 4, 45), kT0 + 40s, kT0 + 40200ms);
  CHECK(e.IsLeader(kT0 + 40200ms));
  CHECK(e.LeaderTerm(kT0 + 40200ms) == 4);
}

TEST_CASE("a standby's view of the holder is never older than one lease duration", "[lease]") {
  // m3 took over from m1 while m2 was not reading; m3's renewals keep being announced.
  LeaseElector e(Self("m2"), kLazyTimings);
  e.OnEventsConnected(kT0);
  e.OnObserved(HeldBy("m1", 1, 10), kT0);
  for (int i = 1; i <= 6; ++i) e.OnChanged(kT0 + std::chrono::seconds(5 * i) - 2s);
  REQUIRE(e.NextAction(kT0 + 15s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m3", 2, 30), kT0 + 15s);
  CHECK(e.observed()->holder_hostname == "m3");
  CHECK(e.observed()->term == 2);
}

TEST_CASE("following renewals, a standby takes over one duration after the holder's last renewal",
          "[lease]") {
  LeaseElector e(Self("m2"), kTimings);
  e.OnEventsConnected(kT0);
  e.OnObserved(HeldBy("m1", 3, 40), kT0);
  std::uint64_t version = 40;
  for (auto at : {3s, 8s, 13s, 18s}) {  // each announced renewal is read at once
    e.OnChanged(kT0 + at);
    REQUIRE(e.NextAction(kT0 + at).kind == Kind::kRead);
    e.OnObserved(HeldBy("m1", 3, ++version), kT0 + at + 100ms);
  }
  // The holder died after its renewal at 18 s. Swarm may not answer for a while (its Raft
  // re-election): the failed reads do not move the clock, which started at the last version read.
  LeaseAction wait = e.NextAction(kT0 + 20s);
  REQUIRE(wait.kind == Kind::kWait);
  CHECK(wait.at == kT0 + 18s + 100ms + 15s);
  LeaseAction acquire = e.NextAction(kT0 + 33100ms);
  REQUIRE(acquire.kind == Kind::kAcquire);
  CHECK(acquire.expected_version == 44);
  e.OnWriteResult(acquire, WriteOutcome::kFailed, LeaseRecord{}, kT0 + 33100ms, kT0 + 34s);
  REQUIRE(e.NextAction(kT0 + 36s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m1", 3, 44), kT0 + 36s);  // the same version: the clock keeps running
  CHECK(e.NextAction(kT0 + 36s).kind == Kind::kAcquire);
}

TEST_CASE("without events a standby polls every renew interval", "[lease]") {
  LeaseElector e(Self("m2"), kTimings);
  e.OnObserved(HeldBy("m1", 1, 10), kT0);
  LeaseAction wait = e.NextAction(kT0 + 1s);
  REQUIRE(wait.kind == Kind::kWait);
  CHECK(wait.at == kT0 + 5s);
  CHECK(e.NextAction(kT0 + 5s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m1", 1, 11), kT0 + 5s);  // renewed: the clock starts again
  CHECK(e.NextAction(kT0 + 10s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m1", 1, 11), kT0 + 10s);  // unchanged since 5 s
  CHECK(e.NextAction(kT0 + 15s).kind == Kind::kRead);
  e.OnObserved(HeldBy("m1", 1, 11), kT0 + 15s);
  CHECK(e.NextAction(kT0 + 19s).kind == Kind::kWait);
  CHECK(e.NextAction(kT0 + 20s).kind == Kind::kAcquire);
}

TEST_CASE("a clean stop releases the lease, keeping the term", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  CHECK_FALSE(e.ReleaseAction(kT0).has_value());  // nothing to release before leading
  e.OnObserved(HeldBy("m1", 6, 70), kT0);
  e.OnWriteResult(e.NextAction(kT0), WriteOutcome::kOk, HeldBy("m1", 6, 71), kT0, kT0);
  auto release = e.ReleaseAction(kT0 + 1s);
  REQUIRE(release.has_value());
  CHECK(release->kind == Kind::kRelease);
  CHECK(release->expected_version == 71);
  CHECK(release->desired.holder.empty());
  CHECK(release->desired.holder_hostname.empty());
  CHECK(release->desired.term == 6);
  e.StepDown();
  CHECK_FALSE(e.IsLeader(kT0 + 1s));
  CHECK_FALSE(e.ReleaseAction(kT0 + 1s).has_value());
  // After its deadline a former holder has nothing to release either.
  LeaseElector late(Self("m1"), kTimings);
  late.OnObserved(HeldBy("m1", 6, 70), kT0);
  late.OnWriteResult(late.NextAction(kT0), WriteOutcome::kOk, HeldBy("m1", 6, 71), kT0, kT0);
  CHECK_FALSE(late.ReleaseAction(kT0 + 10s).has_value());
}

TEST_CASE("a released lease is taken at once", "[lease]") {
  LeaseElector e(Self("m2"), kTimings);
  LeaseRecord released = HeldBy("m1", 5, 60);
  released.holder.clear();
  e.OnObserved(released, kT0);
  LeaseAction acquire = e.NextAction(kT0);
  REQUIRE(acquire.kind == Kind::kAcquire);
  CHECK(acquire.desired.term == 6);
}

TEST_CASE("a stalled holder (clock jump) is no longer leader when it wakes up", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  e.OnObserved(HeldBy("m1", 1, 10), kT0);
  e.OnWriteResult(e.NextAction(kT0), WriteOutcome::kOk, HeldBy("m1", 1, 11), kT0, kT0);
  // The process was stopped for 40 s: nothing ran in between.
  SteadyTime woke = kT0 + 40s;
  CHECK_FALSE(e.IsLeader(woke));
  LeaseAction renew = e.NextAction(woke);
  REQUIRE(renew.kind == Kind::kRenew);  // try to get it back: only a successful swap would
  e.OnWriteResult(renew, WriteOutcome::kConflict, {}, woke, woke + 100ms);  // m2 took it
  CHECK_FALSE(e.IsLeader(woke + 100ms));
}

TEST_CASE("failed reads back off by the retry period", "[lease]") {
  LeaseElector e(Self("m1"), kTimings);
  e.OnReadFailed(kT0);
  LeaseAction wait = e.NextAction(kT0 + 1s);
  REQUIRE(wait.kind == Kind::kWait);
  CHECK(wait.at == kT0 + 2s);
  CHECK(e.NextAction(kT0 + 2s).kind == Kind::kRead);
}

TEST_CASE("lease labels round trip through a config object", "[lease]") {
  LeaseRecord r = HeldBy("m3", 12, 0);
  nlohmann::json config = {{"ID", "cfg1"},
                            {"Version", {{"Index", 77}}},
                            {"Spec", {{"Name", kLeaseConfigName}, {"Labels", LeaseLabels(r)}}}};
  auto object = ConfigObjectFromJson(config);
  REQUIRE(object.ok());
  auto back = LeaseRecordFromConfig(*object);
  REQUIRE(back.ok());
  r.version = 77;
  CHECK(*back == r);
  config["Spec"]["Labels"]["orcastra.lease.term"] = "x1";
  CHECK(LeaseRecordFromConfig(*ConfigObjectFromJson(config)).status().message() ==
        "lease config: label 'orcastra.lease.term' is 'x1', not a number");
  config["Spec"]["Labels"]["orcastra.lease.term"] = 12;  // not a string: not Docker's answer
  CHECK(ConfigObjectFromJson(config).status().code() == Status::Code::kParseError);
  config.erase("Version");
  CHECK_THAT(ConfigObjectFromJson(config).status().message(),
             Catch::Contains("'Version.Index' is missing"));
}

// --- Randomized cluster: three candidates, one store, latency, lost answers, lost events, stalls.

struct Op {
  LeaseAction action;
  SteadyTime sent_at, apply_at, answer_at;
  bool applied = false;
  bool lose_answer = false;  // the write happens but the answer is lost (kFailed)
  bool fail = false;         // the request fails before reaching the store
  WriteOutcome outcome = WriteOutcome::kFailed;
  LeaseRecord result;
};

struct Node {
  std::unique_ptr<LeaseElector> elector;
  std::optional<Op> op;
  SteadyTime stalled_until{};
  std::vector<SteadyTime> events;  // announcement arrival times
};

TEST_CASE("randomized: leaders never overlap and terms only grow", "[lease][simulation]") {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
    auto ms = [&](int lo, int hi) {
      return std::chrono::milliseconds(std::uniform_int_distribution<>(lo, hi)(rng));
    };

    LeaseRecord store;  // exists=false
    std::uint64_t next_version = 100;
    std::vector<Node> nodes(3);
    for (int i = 0; i < 3; ++i) {
      nodes[i].elector =
          std::make_unique<LeaseElector>(Self("m" + std::to_string(i + 1)), kTimings);
      if (seed % 2 == 0) nodes[i].elector->OnEventsConnected(kT0);
    }
    std::uint64_t highest_term = 0;
    int takeovers = 0;
    int last_leader = -1;
    for (SteadyTime t = kT0; t < kT0 + 20min; t += 50ms) {
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        Node& n = nodes[i];
        if (t < n.stalled_until) continue;
        // Apply a pending request at the store.
        if (n.op && !n.op->applied && t >= n.op->apply_at) {
          n.op->applied = true;
          Op& op = *n.op;
          if (op.fail) {
            op.outcome = WriteOutcome::kFailed;
          } else if (op.action.kind == Kind::kRead) {
            op.result = store;
          } else {
            bool ok = op.action.kind == Kind::kCreate
                          ? !store.exists
                          : store.exists && store.version == op.action.expected_version;
            if (ok) {
              store = op.action.desired;
              store.version = next_version += 1 + rng() % 5;
              op.result = store;
              for (std::size_t j = 0; j < nodes.size(); ++j) {
                if (!chance(0.1)) nodes[j].events.push_back(t + ms(0, 400));  // 10 % of events lost
              }
            }
            op.outcome = ok ? (op.lose_answer ? WriteOutcome::kFailed : WriteOutcome::kOk)
                            : WriteOutcome::kConflict;
          }
        }
        // Deliver announcements.
        for (auto it = n.events.begin(); it != n.events.end();) {
          if (*it <= t) {
            n.elector->OnChanged(t);
            it = n.events.erase(it);
          } else {
            ++it;
          }
        }
        // Deliver an answer.
        if (n.op && n.op->applied && t >= n.op->answer_at) {
          Op op = *n.op;
          n.op.reset();
          if (op.action.kind == Kind::kRead) {
            if (op.fail) {
              n.elector->OnReadFailed(t);
            } else {
              n.elector->OnObserved(op.result, t);
            }
          } else {
            n.elector->OnWriteResult(op.action, op.outcome, op.result, op.sent_at, t);
          }
        }
        // Start the next request.
        if (!n.op) {
          LeaseAction a = n.elector->NextAction(t);
          if (a.kind != Kind::kWait || a.at <= t) {
            if (a.kind == Kind::kWait) a = n.elector->NextAction(a.at);
            if (a.kind != Kind::kWait) {
              Op op;
              op.action = a;
              op.sent_at = t;
              op.apply_at = t + ms(1, 800);
              op.answer_at = op.apply_at + ms(1, 800);
              op.fail = chance(0.05);
              op.lose_answer = chance(0.05);
              n.op = op;
            }
          }
        }
        if (chance(0.0005)) n.stalled_until = t + ms(1000, 40000);  // a stall: GC pause, SIGSTOP
      }
      // Safety: at most one leader at any instant; terms grow.
      int leaders = 0;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].elector->IsLeader(t)) {
          ++leaders;
          std::uint64_t term = nodes[i].elector->LeaderTerm(t);
          REQUIRE(term >= highest_term);
          if (term > highest_term) {
            highest_term = term;
            if (last_leader != static_cast<int>(i)) ++takeovers;
            last_leader = static_cast<int>(i);
          }
        }
      }
      REQUIRE(leaders <= 1);
    }
    // Liveness: somebody led, and stalls caused takeovers.
    CHECK(highest_term >= 1);
    CHECK(takeovers >= 1);
  }
}

}  // namespace
}  // namespace orcastra::leader
