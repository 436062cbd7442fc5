// The in-memory ring of recent log lines (`orcastra logs NODE`).
#include "common/log.h"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "common/utf8.h"

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

TEST_CASE("JSON log lines are valid JSON whatever the message holds", "[log][json]") {
  const auto ts = std::chrono::system_clock::time_point(std::chrono::milliseconds(1765017890123));
  const std::string messages[] = {
      "plain",
      "quotes \" and 'single' and \\ backslash",
      "new\nline and tab\t and cr\r and nul \0 inside",
      std::string("nul\0byte", 8),
      "invalid \xff\xfe utf-8 \xc3",
      "{\"looks\":\"like json\"}",
      "",
  };
  for (const std::string& message : messages) {
    INFO(message);
    const std::string line = JsonLogLine(ts, "warning", "agent", message, 77);
    CHECK(line.find('\n') == std::string::npos);
    auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(parsed.is_discarded());
    CHECK(parsed["ts"] == "2025-12-06T10:44:50.123Z");
    CHECK(parsed["level"] == "warning");
    CHECK(parsed["component"] == "agent");
    CHECK(parsed["fields"]["thread"] == 77);
    if (IsValidUtf8(message)) CHECK(parsed["message"] == message);
  }
  CHECK(JsonLogLine(ts, "info", "leader", "x", 1).rfind("{\"ts\":", 0) == 0);
}

TEST_CASE("the log format: --log-format, else LOG_FORMAT, else text", "[log][options]") {
  auto env = [](std::map<std::string, std::string> vars) -> EnvLookup {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  };
  CHECK(*ChooseLogFormat({}, env({})) == LogFormat::kText);
  CHECK(*ChooseLogFormat({}, env({{"LOG_FORMAT", "json"}})) == LogFormat::kJson);
  CHECK(*ChooseLogFormat({"--log-format", "text"}, env({{"LOG_FORMAT", "json"}})) ==
        LogFormat::kText);
  CHECK(*ChooseLogFormat({"--log-format=json"}, env({})) == LogFormat::kJson);
  auto bad = ChooseLogFormat({}, env({{"LOG_FORMAT", "xml"}}));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("LOG_FORMAT='xml'"));
}

TEST_CASE("with LOG_FORMAT=json every logger writes JSON lines", "[log][json]") {
  Logger("jsontest-before")->info("before");
  SetLogFormat(LogFormat::kJson);
  Logger("jsontest-before")->warn("said \"{}\"", "x\ny");
  Logger("jsontest-after")->error("after");
  SetLogFormat(LogFormat::kText);
  auto lines = RecentLogLines(2);
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
  }
  CHECK(nlohmann::json::parse(lines[0])["message"] == "said \"x\ny\"");
  CHECK(nlohmann::json::parse(lines[0])["component"] == "jsontest-before");
  CHECK(nlohmann::json::parse(lines[1])["level"] == "error");
  Logger("jsontest-after")->info("text again");
  CHECK_THAT(RecentLogLines(1)[0], Catch::Contains("[jsontest-after] text again"));
}

}  // namespace
}  // namespace orcastra
