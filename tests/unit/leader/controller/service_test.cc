// The controller's command queue: what Submit accepts and its bound. The loop itself (cycles on a
// real Swarm) is covered by tests/e2e/anchors_test.
#include "leader/controller/service.h"

#include <catch2/catch.hpp>
#include <memory>

namespace orcastra::leader {
namespace {

// A controller whose loop is never started: Submit only queues.
std::unique_ptr<Controller> Idle() {
  return std::make_unique<Controller>(
      ControllerOptions{}, [] { return false; }, [](protocol::Event) {}, [](ControllerView) {});
}

TEST_CASE("Submit queues known commands and refuses unknown ones", "[controller]") {
  auto controller = Idle();
  auto first = controller->Submit("noop", "cli");
  REQUIRE(first.ok());
  auto second = controller->Submit("update_dependents:db", "file");
  REQUIRE(second.ok());
  CHECK(*second == *first + 1);
  auto unknown = controller->Submit("not_a_command", "cli");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("Submit refuses a command once kMaxQueuedCommands are waiting", "[controller]") {
  auto controller = Idle();
  for (std::size_t i = 0; i < Controller::kMaxQueuedCommands; ++i) {
    REQUIRE(controller->Submit("noop", "cli").ok());
  }
  auto refused = controller->Submit("noop", "cli");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK(refused.status().message().find("64 commands are already waiting") != std::string::npos);
}

}  // namespace
}  // namespace orcastra::leader
