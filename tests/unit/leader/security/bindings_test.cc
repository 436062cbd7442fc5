// Agent connections bound to the node they proved (leader/security/bindings.h).
#include "leader/security/bindings.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

NodeBinding For(const std::string& node, const std::string& identity, int fd) {
  return {node, "swarm-cert", "worker", identity, fd, {}};
}

TEST_CASE("bindings: a connection speaks for the node it proved", "[security]") {
  testing::FakeClock clock;
  NodeBindings bindings;
  CHECK_FALSE(bindings.Touch("c1", "id1", 5, clock.Now()).has_value());
  bindings.Bind("c1", For("n1", "id1", 5), clock.Now());
  auto bound = bindings.Touch("c1", "id1", 5, clock.Now());
  REQUIRE(bound.has_value());
  CHECK(bound->node_id == "n1");
  CHECK(bindings.Reaches("n1", "id1"));
  CHECK_FALSE(bindings.Reaches("n2", "id1"));
  CHECK_FALSE(bindings.Reaches("n1", "id2"));
  // Rebinding a connection replaces what it was bound to.
  bindings.Bind("c1", For("n2", "id1", 5), clock.Now());
  CHECK(bindings.Touch("c1", "id1", 5, clock.Now())->node_id == "n2");
  CHECK(bindings.size() == 1);
}

TEST_CASE("bindings: a closed connection loses its binding and its routing id", "[security]") {
  testing::FakeClock clock;
  NodeBindings bindings;
  bindings.Bind("c1", For("n1", "id1", 5), clock.Now());
  bindings.Bind("c2", For("n2", "id2", 6), clock.Now());
  CHECK(bindings.DropFd(5) == std::vector<std::string>{"id1"});
  CHECK_FALSE(bindings.Touch("c1", "id1", 5, clock.Now()).has_value());
  CHECK_FALSE(bindings.Reaches("n1", "id1"));
  CHECK(bindings.Reaches("n2", "id2"));
  CHECK(bindings.DropFd(5).empty());
  CHECK(bindings.DropFd(-1).empty());
}

TEST_CASE("bindings: bounded per node and in all, least recently seen first", "[security]") {
  testing::FakeClock clock;
  NodeBindings bindings;
  for (std::size_t i = 0; i < NodeBindings::kMaxPerNode + 3; ++i) {
    bindings.Bind("c" + std::to_string(i), For("n1", "id" + std::to_string(i), 100), clock.Now());
    clock.Advance(std::chrono::milliseconds(1));
  }
  CHECK(bindings.size() == NodeBindings::kMaxPerNode);
  CHECK_FALSE(bindings.Touch("c0", "id0", -1, clock.Now()).has_value());  // the oldest went
  CHECK(bindings.Touch("c6", "id6", -1, clock.Now()).has_value());
  for (std::size_t i = 0; i < 3 * NodeBindings::kMaxBindings; ++i) {
    bindings.Bind("x" + std::to_string(i), For("node" + std::to_string(i), "i", -1), clock.Now());
    clock.Advance(std::chrono::milliseconds(1));
  }
  CHECK(bindings.size() == NodeBindings::kMaxBindings);
}

}  // namespace
}  // namespace orcastra::leader
