// Service image references on workers: the leader's list is used only while fresh, and a manager's
// own list always wins (agent/gc/service.h).
#include <catch2/catch.hpp>

#include "agent/gc/service.h"
#include "tests/fakes/fake_clock.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
const SteadyTime kT0 = SteadyTime{} + 1h;

TEST_CASE("the leader's service images are used only while fresh", "[gc][service_images]") {
  LeaderServiceImages images;
  KnownServiceRefs none = images.Lookup(kT0, 10min);
  CHECK_FALSE(none.refs.has_value());  // nothing received: unknown, no image removed
  CHECK(none.unknown_why == "no service image references received from a leader yet");
  images.Set({"b:2", "a:1", "a:1"}, kT0);
  REQUIRE(images.Lookup(kT0 + 10min, 10min).refs.has_value());
  CHECK(*images.Lookup(kT0 + 10min, 10min).refs == std::set<std::string>{"a:1", "b:2"});
  KnownServiceRefs stale = images.Lookup(kT0 + 10min + 1ms, 10min);
  CHECK_FALSE(stale.refs.has_value());
  CHECK(stale.unknown_why ==
        "the leader's service image references are 600 s old, over the bound of 600 s (leaders "
        "resend them every 60 s: is an active leader reachable?)");
  images.Set({}, kT0 + 11min);  // an empty list is a list: no service references any image
  REQUIRE(images.Lookup(kT0 + 11min, 10min).refs.has_value());
  CHECK(images.Lookup(kT0 + 11min, 10min).refs->empty());
}

TEST_CASE("the age of the leader's service images, for node_report", "[gc][service_images]") {
  testing::FakeClock clock;
  LeaderServiceImages images;
  CHECK(images.AgeMs(clock.Now()) == -1);
  images.Set({"a:1"}, clock.Now());
  CHECK(images.AgeMs(clock.Now()) == 0);
  clock.Advance(61s);
  CHECK(images.AgeMs(clock.Now()) == 61'000);
  images.Set({"a:1"}, clock.Now());  // the leader's resend
  CHECK(images.AgeMs(clock.Now()) == 0);
  CHECK(images.AgeMs(clock.Now() - 5s) == 0);  // never negative
}

// The bound and the leader's resend period come from one place (protocol/messages.h): missing two
// resends is tolerated, a third is not.
TEST_CASE("a worker's GC stops using the leader's list after three missed resends",
          "[gc][service_images]") {
  static_assert(kMaxLeaderImagesAge == 3 * protocol::kServiceImagesResendInterval);
  testing::FakeClock clock;
  LeaderServiceImages images;
  images.Set({"app:3"}, clock.Now());
  for (int resend = 1; resend <= 3; ++resend) {
    clock.Advance(protocol::kServiceImagesResendInterval);
    INFO("after " << resend << " missed resend(s)");
    CHECK(images.Lookup(clock.Now(), kMaxLeaderImagesAge).refs.has_value());
  }
  clock.Advance(1ms);
  CHECK_FALSE(images.Lookup(clock.Now(), kMaxLeaderImagesAge).refs.has_value());
}

TEST_CASE("a worker without a fresh list from the leader knows no references",
          "[gc][service_images]") {
  // No daemon at this socket: the local list fails like a worker's does.
  auto leader = std::make_shared<LeaderServiceImages>();
  auto provider = ServiceImageRefsProvider("/nonexistent/orcastra-test.sock", leader);
  KnownServiceRefs unknown = provider();
  CHECK_FALSE(unknown.refs.has_value());
  CHECK(unknown.unknown_why ==
        "this daemon cannot list services (a worker) and no service image references received "
        "from a leader yet");
  SystemClock clock;
  leader->Set({"app:3"}, clock.Now());
  CHECK(provider().refs == std::optional<std::set<std::string>>(std::set<std::string>{"app:3"}));
}

TEST_CASE("a run without references says why it skips the images", "[gc][service_images]") {
  GcSnapshot known;
  known.referenced_images_known = true;
  CHECK_FALSE(ImagesSkippedEvent(known, "cron").has_value());

  GcSnapshot stale;
  stale.referenced_images_unknown_why = "the leader's service image references are 200 s old";
  auto event = ImagesSkippedEvent(stale, "cron");
  REQUIRE(event.has_value());
  CHECK(event->kind == "gc_images_skipped");
  CHECK(event->message ==
        "unreferenced images not collected this run: the leader's service image references are "
        "200 s old");
  CHECK(event->attrs.at("reason") == "the leader's service image references are 200 s old");
  CHECK(event->attrs.at("trigger") == "cron");

  // The plan says the same in its note, and removes no image.
  GcImage image;
  image.id = "sha256:" + std::string(64, 'a');
  stale.images.push_back(image);
  auto plan = PlanGc(stale, GcConfig{}, std::chrono::system_clock::now());
  REQUIRE(plan.ok());
  CHECK(plan->remove.empty());
  REQUIRE_FALSE(plan->notes.empty());
  CHECK(plan->notes.front() ==
        "no image removed: the service image references are not known (the leader's service "
        "image references are 200 s old)");
}

}  // namespace
}  // namespace orcastra::agent
