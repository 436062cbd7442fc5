// The standalone agent's re-join decision (agent/rejoin/plan.h): every local Swarm state × memory ×
// backoff, and the backoff steps.
#include "agent/rejoin/plan.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;

TEST_CASE("rejoin plan: only an inactive daemon with a memory is ever joined", "[rejoin]") {
  testing::FakeClock clock;
  const SteadyTime now = clock.Now();
  for (const char* state : {"active", "inactive", "pending", "locked", "error", "", "weird"}) {
    for (bool remembers : {false, true}) {
      for (std::optional<SteadyTime> next :
           {std::optional<SteadyTime>(), std::optional<SteadyTime>(now + 1s),
            std::optional<SteadyTime>(now - 1s)}) {
        const RejoinStep step = PlanRejoin({state, remembers, next, now});
        INFO(state << " remembers=" << remembers);
        const std::string s = state;
        if (s == "active") {
          CHECK(step.kind == RejoinStepKind::kRemember);
        } else if (s == "inactive" && remembers && !(next && now < *next)) {
          CHECK(step.kind == RejoinStepKind::kAsk);
        } else {
          CHECK(step.kind == RejoinStepKind::kWait);
          CHECK_FALSE(step.why.empty());
          CHECK(step.backoff == (s == "inactive" && remembers));
        }
      }
    }
  }
  CHECK_THAT(PlanRejoin({"inactive", false, {}, now}).why, Catch::Contains("join it by hand once"));
  CHECK_THAT(PlanRejoin({"locked", true, {}, now}).why, Catch::Contains("unlock it by hand"));
}

TEST_CASE("rejoin plan: backoff grows to 5 minutes; a final refusal waits 5 minutes", "[rejoin]") {
  CHECK(RejoinBackoff(1, false) == 5s);
  CHECK(RejoinBackoff(2, false) == 10s);
  CHECK(RejoinBackoff(3, false) == 30s);
  CHECK(RejoinBackoff(4, false) == 60s);
  CHECK(RejoinBackoff(5, false) == 300s);
  CHECK(RejoinBackoff(500, false) == 300s);
  CHECK(RejoinBackoff(0, false) == 5s);
  CHECK(RejoinBackoff(1, true) == 300s);
}

}  // namespace
}  // namespace orcastra::agent
