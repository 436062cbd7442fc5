// Service image references on workers: the leader's list is used only while fresh, and a manager's
// own list always wins (agent/gc/service.h).
#include <catch2/catch.hpp>

#include "agent/gc/service.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
const SteadyTime kT0 = SteadyTime{} + 1h;

TEST_CASE("the leader's service images are used only while fresh", "[gc][service_images]") {
  LeaderServiceImages images;
  CHECK_FALSE(images.Get(kT0, 10min).has_value());  // nothing received: unknown, no image removed
  images.Set({"b:2", "a:1", "a:1"}, kT0);
  REQUIRE(images.Get(kT0 + 10min, 10min).has_value());
  CHECK(*images.Get(kT0 + 10min, 10min) == std::set<std::string>{"a:1", "b:2"});
  CHECK_FALSE(images.Get(kT0 + 10min + 1ms, 10min).has_value());
  images.Set({}, kT0 + 11min);  // an empty list is a list: no service references any image
  REQUIRE(images.Get(kT0 + 11min, 10min).has_value());
  CHECK(images.Get(kT0 + 11min, 10min)->empty());
}

TEST_CASE("a worker without a fresh list from the leader knows no references",
          "[gc][service_images]") {
  // No daemon at this socket: the local list fails like a worker's does.
  auto leader = std::make_shared<LeaderServiceImages>();
  auto provider = ServiceImageRefsProvider("/nonexistent/orcastra-test.sock", leader);
  CHECK_FALSE(provider().has_value());
  SystemClock clock;
  leader->Set({"app:3"}, clock.Now());
  CHECK(provider() == std::optional<std::set<std::string>>(std::set<std::string>{"app:3"}));
}

}  // namespace
}  // namespace orcastra::agent
