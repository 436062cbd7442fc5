// Node pressure from the agents' figures over time (leader/rebalance/pressure.h).
#include "leader/rebalance/pressure.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
const SteadyTime kT0 = SteadyTime{} + 1h;
const PressureTrigger kDefault{85, 20};

MemorySample Sample(SteadyTime at, double percent, bool psi = false, double some = 0) {
  MemorySample s;
  s.fresh = true;
  s.report_at = at;
  s.total_bytes = 1000;
  s.used_bytes = static_cast<std::uint64_t>(percent * 10);
  s.psi_present = psi;
  s.psi_some_avg10 = some;
  return s;
}

TEST_CASE("pressure: a streak starts at the first high report and ends at a normal one",
          "[rebalance][pressure]") {
  PressureTracker t;
  t.Observe({{"n1", Sample(kT0, 90)}}, {kDefault});
  t.Observe({{"n1", Sample(kT0 + 5s, 91)}}, {kDefault});
  NodePressure p = t.Evaluate("n1", kDefault);
  CHECK(p.state == PressureState::kHigh);
  REQUIRE(p.high_since);
  CHECK(*p.high_since == kT0);
  CHECK(p.HighFor(kT0 + 60s) == 60s);
  CHECK(p.why == "memory 91.0% > 85%");

  t.Observe({{"n1", Sample(kT0 + 10s, 80)}}, {kDefault});
  p = t.Evaluate("n1", kDefault);
  CHECK(p.state == PressureState::kNormal);
  CHECK_FALSE(p.high_since);
  CHECK(p.HighFor(kT0 + 60s) == 0s);
  CHECK(p.why == "memory 80.0% <= 85%");

  t.Observe({{"n1", Sample(kT0 + 15s, 86)}}, {kDefault});
  CHECK(*t.Evaluate("n1", kDefault).high_since == kT0 + 15s);
}

TEST_CASE("pressure: the same report seen twice counts once", "[rebalance][pressure]") {
  PressureTracker t;
  t.Observe({{"n1", Sample(kT0, 90)}}, {kDefault});
  // A normal figure under the same arrival time is the same report: ignored for the streak.
  MemorySample again = Sample(kT0, 90);
  t.Observe({{"n1", again}}, {kDefault});
  CHECK(*t.Evaluate("n1", kDefault).high_since == kT0);
}

TEST_CASE("pressure: PSI only where present, percent always", "[rebalance][pressure]") {
  PressureTracker t;
  t.Observe({{"psi", Sample(kT0, 50, true, 30)},
             {"nopsi", Sample(kT0, 50, false, 30)},
             {"low", Sample(kT0, 50, true, 10)}},
            {kDefault});
  NodePressure psi = t.Evaluate("psi", kDefault);
  CHECK(psi.state == PressureState::kHigh);
  CHECK(psi.why == "PSI some avg10 30.0 > 20");
  CHECK(t.Evaluate("nopsi", kDefault).state == PressureState::kNormal);
  NodePressure low = t.Evaluate("low", kDefault);
  CHECK(low.state == PressureState::kNormal);
  CHECK(low.why == "memory 50.0% <= 85%, PSI some avg10 10.0 <= 20");
  t.Observe({{"both", Sample(kT0, 95, true, 40)}}, {kDefault});
  CHECK(t.Evaluate("both", kDefault).why == "memory 95.0% > 85%, PSI some avg10 40.0 > 20");
}

TEST_CASE("pressure: stale, missing and empty reports are unknown and end the streak",
          "[rebalance][pressure]") {
  PressureTracker t;
  t.Observe({{"n1", Sample(kT0, 90)}, {"n2", Sample(kT0, 90)}}, {kDefault});
  MemorySample stale = Sample(kT0 + 5s, 95);
  stale.fresh = false;
  MemorySample empty = Sample(kT0 + 5s, 0);
  empty.total_bytes = 0;
  t.Observe({{"n1", stale}, {"n2", empty}}, {kDefault});
  CHECK(t.Evaluate("n1", kDefault).state == PressureState::kUnknown);
  CHECK(t.Evaluate("n1", kDefault).why == "no fresh report from its agent");
  CHECK(t.Evaluate("n2", kDefault).state == PressureState::kUnknown);
  CHECK(t.Evaluate("n3", kDefault).why == "no report from its agent");
  t.Observe({{"n1", Sample(kT0 + 10s, 95)}}, {kDefault});
  CHECK(*t.Evaluate("n1", kDefault).high_since == kT0 + 10s);
  // n2 was not in the last look: forgotten.
  CHECK(t.NodeIds() == std::set<std::string>{"n1"});
}

TEST_CASE("pressure: each trigger has its own streak", "[rebalance][pressure]") {
  const PressureTrigger sensitive{60, 20};
  PressureTracker t;
  t.Observe({{"n1", Sample(kT0, 70)}}, {kDefault, sensitive});
  t.Observe({{"n1", Sample(kT0 + 5s, 90)}}, {kDefault, sensitive});
  CHECK(*t.Evaluate("n1", sensitive).high_since == kT0);
  CHECK(*t.Evaluate("n1", kDefault).high_since == kT0 + 5s);
  // A trigger asked for the first time starts with the next report.
  const PressureTrigger fresh_trigger{50, 20};
  NodePressure p = t.Evaluate("n1", fresh_trigger);
  CHECK(p.state == PressureState::kHigh);
  CHECK_FALSE(p.high_since);
  // Triggers no longer asked for are dropped.
  t.Observe({{"n1", Sample(kT0 + 10s, 90)}}, {kDefault});
  CHECK_FALSE(t.Evaluate("n1", sensitive).high_since);
}

}  // namespace
}  // namespace orcastra::leader
