// The node watcher's one read: a complete list replaces the last one, a failed read keeps it.
#include "leader/state/node_watcher.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

TEST_CASE("node watcher: a failed read keeps the last good list and is shown",
          "[leader][state][safety]") {
  testing::FakeClock clock;
  SharedState shared;
  docker::Node node;
  node.id = "id-w1";
  node.hostname = "w1";
  Result<std::vector<docker::Node>> next = std::vector<docker::Node>{node};
  NodeWatcher watcher([&] { return next; }, std::chrono::seconds(30), shared, clock);
  REQUIRE(watcher.RefreshOnce().ok());
  {
    std::lock_guard lock(shared.mutex);
    CHECK(shared.cluster.node_list_generation() == 1);
    CHECK(shared.cluster.IsListed("id-w1"));
  }
  next = Status::Unavailable("daemon restarting");
  CHECK(watcher.RefreshOnce().code() == Status::Code::kUnavailable);
  std::lock_guard lock(shared.mutex);
  CHECK(shared.cluster.node_list_generation() == 1);
  CHECK(shared.cluster.IsListed("id-w1"));
  nlohmann::json status = shared.cluster.StatusJson(clock.Now());
  CHECK(status["docker"]["ok"] == false);
  CHECK(status["docker"]["error"] == "unavailable: daemon restarting");
}

}  // namespace
}  // namespace orcastra::leader
