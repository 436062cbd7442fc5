// The in-memory ring of recent log lines (`orcastra logs NODE`).
#include "common/log.h"

#include <catch2/catch.hpp>
#include <map>

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

// Issue 8: DEBUG was "1" or "true" only (anything else silently meant info), while every other
// boolean takes yes/on/... and refuses nonsense.
TEST_CASE("the log level: flag, then ORCASTRA_LOG_LEVEL, then DEBUG", "[log][options]") {
  auto env = [](std::map<std::string, std::string> vars) -> EnvLookup {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  };
  CHECK(*ChooseLogLevel({}, env({})) == "info");
  CHECK(*ChooseLogLevel({}, env({{"DEBUG", "yes"}})) == "debug");
  CHECK(*ChooseLogLevel({}, env({{"DEBUG", "false"}})) == "info");
  CHECK(*ChooseLogLevel({}, env({{"DEBUG", ""}})) == "info");
  CHECK(*ChooseLogLevel({}, env({{"DEBUG", "1"}, {"ORCASTRA_LOG_LEVEL", "warn"}})) == "warn");
  CHECK(*ChooseLogLevel({}, env({{"ORCASTRA_LOG_LEVEL", ""}})) == "info");
  CHECK(*ChooseLogLevel({"--log-level", "error"}, env({{"ORCASTRA_LOG_LEVEL", "warn"}})) ==
        "error");
  CHECK(*ChooseLogLevel({"--log-level=trace"}, env({})) == "trace");
  CHECK(ChooseLogLevel({}, env({{"DEBUG", "maybe"}})).status().message() ==
        "DEBUG='maybe': expected true or false");
  CHECK(ChooseLogLevel({}, env({{"ORCASTRA_LOG_LEVEL", "loud"}})).status().message() ==
        "ORCASTRA_LOG_LEVEL='loud': unknown log level (trace, debug, info, warn, error, critical, "
        "off)");
  CHECK(ChooseLogLevel({"--log-level", "x"}, env({})).status().message() ==
        "--log-level='x': unknown log level (trace, debug, info, warn, error, critical, off)");
}

}  // namespace
}  // namespace orcastra
