// Helpers shared by the logrotate unit tests: fixtures, times, parsing shortcuts.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/logrotate/plan.h"
#include "agent/logrotate/rules.h"

namespace orcastra::agent::testing {

inline std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(ORCASTRA_FIXTURES_DIR) + "/logrotate/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A UTC time from its civil fields.
inline WallTime At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return WallTime(sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s));
}

inline LogrotateConfig MustParse(const std::string& text, const std::string& source = "test.conf") {
  Result<LogrotateConfig> config = ParseLogrotate(text, source);
  INFO(text << "\n-> " << config.status().ToString());
  REQUIRE(config.ok());
  return *config;
}

// The one rule of a block for /var/log/a.log holding `body`.
inline LogrotateRule Rule(const std::string& body) {
  LogrotateConfig config = MustParse("/var/log/a.log {\n" + body + "\n}\n");
  REQUIRE(config.rules.size() == 1);
  return config.rules[0];
}

// The error message of parsing `text` as "test.conf" (fails the test when it parses).
inline std::string Error(const std::string& text) {
  Result<LogrotateConfig> config = ParseLogrotate(text, "test.conf");
  INFO(text);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == Status::Code::kParseError);
  return config.status().message();
}

// The error of a block body (the block opens on line 1, so body line N is file line N+1).
inline std::string BodyError(const std::string& body) {
  return Error("/var/log/a.log {\n" + body + "\n}\n");
}

inline std::vector<std::string> Texts(const std::vector<RotationAction>& actions) {
  std::vector<std::string> out;
  for (const RotationAction& action : actions) out.push_back(action.ToString());
  return out;
}

inline PostRotateAction Signal(const std::string& container, const std::string& signal,
                               const std::string& source) {
  PostRotateAction action;
  action.kind = PostRotateAction::Kind::kSignal;
  action.container = container;
  action.signal = signal;
  action.source = source;
  return action;
}

inline PostRotateAction Restart(const std::string& container, const std::string& source) {
  PostRotateAction action;
  action.kind = PostRotateAction::Kind::kRestart;
  action.container = container;
  action.source = source;
  return action;
}

}  // namespace orcastra::agent::testing
