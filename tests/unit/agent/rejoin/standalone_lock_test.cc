// One standalone agent per node (agent/rejoin/standalone_lock.h): the abstract socket is held by
// its process, seen by others, and free again once released.
#include "agent/rejoin/standalone_lock.h"

#include <unistd.h>

#include <catch2/catch.hpp>

namespace orcastra::agent {
namespace {

TEST_CASE("standalone lock: held while acquired, free after", "[rejoin]") {
  const std::string name = "orcastra-test-lock-" + std::to_string(::getpid());
  CHECK_FALSE(AbstractSocketLock::Held(name));
  {
    auto lock = AbstractSocketLock::Acquire(name);
    REQUIRE(lock.ok());
    CHECK(AbstractSocketLock::Held(name));
    auto second = AbstractSocketLock::Acquire(name);
    CHECK(second.status().code() == Status::Code::kUnavailable);
  }
  CHECK_FALSE(AbstractSocketLock::Held(name));
}

}  // namespace
}  // namespace orcastra::agent
