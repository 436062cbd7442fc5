// The in-memory ring of recent log lines (`orcastra logs NODE`).
#include "common/log.h"

#include <catch2/catch.hpp>

namespace orcastra {
namespace {

TEST_CASE("log ring: keeps the last lines, oldest first", "[log]") {
  LineRing ring(3);
  CHECK(ring.Tail(10).empty());
  for (int i = 1; i <= 5; ++i) ring.Add("line " + std::to_string(i));
  CHECK(ring.size() == 3);
  CHECK(ring.Tail(10) == std::vector<std::string>{"line 3", "line 4", "line 5"});
  CHECK(ring.Tail(2) == std::vector<std::string>{"line 4", "line 5"});
  CHECK(ring.Tail(0).empty());
}

TEST_CASE("log ring: a zero capacity keeps nothing", "[log]") {
  LineRing ring(0);
  ring.Add("x");
  CHECK(ring.size() == 0);
}

TEST_CASE("log ring: every logger's lines reach RecentLogLines, formatted", "[log]") {
  Logger("ringtest")->warn("remembered line {}", 42);
  auto lines = RecentLogLines(5);
  REQUIRE_FALSE(lines.empty());
  CHECK_THAT(lines.back(), Catch::Contains("[ringtest] remembered line 42"));
  CHECK_THAT(lines.back(), Catch::Contains("warning"));
  CHECK_THAT(lines.back(), !Catch::EndsWith("\n"));
}

}  // namespace
}  // namespace orcastra
