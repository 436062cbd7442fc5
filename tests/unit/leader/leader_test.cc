// `orcastra leader` options (leader/leader.h): every numeric knob is range-checked where it is
// read, with an error naming the flag or variable (issue 8).
#include "leader/leader.h"

#include <catch2/catch.hpp>
#include <map>

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string ErrorOf(std::vector<std::string> args, std::map<std::string, std::string> vars) {
  auto options = ParseLeaderOptions(args, Env(std::move(vars)));
  return options.ok() ? "" : options.status().message();
}

TEST_CASE("leader options: defaults, and empty values count as unset", "[leader][options]") {
  auto defaults = ParseLeaderOptions({}, Env({{"ORCASTRA_POLL_INTERVAL", ""},
                                              {"ORCASTRA_AGENT_PORT", ""},
                                              {"ANCHOR_GRACE_PERIOD", ""}}));
  REQUIRE(defaults.ok());
  CHECK(defaults->poll_interval == 30s);
  CHECK(defaults->agent_port == 7470);
  CHECK(defaults->anchor_grace == 120s);
  CHECK(defaults->follow_window == 0ms);

  auto set =
      ParseLeaderOptions({"--poll-interval", "1h"},
                         Env({{"ANCHOR_GRACE_PERIOD", "24h"}, {"ANCHOR_FOLLOW_WINDOW", "90"}}));
  REQUIRE(set.ok());
  CHECK(set->poll_interval == 1h);
  CHECK(set->anchor_grace == 24h);
  CHECK(set->follow_window == 90s);
}

TEST_CASE("leader options: out of range values name the flag or variable", "[leader][options]") {
  CHECK(ErrorOf({"--poll-interval", "0"}, {}) ==
        "--poll-interval/ORCASTRA_POLL_INTERVAL='0': expected a duration from 1s to 1h (a bare "
        "number is seconds)");
  CHECK(ErrorOf({}, {{"ORCASTRA_POLL_INTERVAL", "nan"}}) ==
        "--poll-interval/ORCASTRA_POLL_INTERVAL='nan': expected a duration from 1s to 1h (a bare "
        "number is seconds)");
  CHECK(ErrorOf({}, {{"ORCASTRA_LEASE_DURATION", "11m"}}) ==
        "--lease-duration/ORCASTRA_LEASE_DURATION='11m': expected a duration from 1ms to 10m (a "
        "bare number is seconds)");
  CHECK(ErrorOf({}, {{"ANCHOR_GRACE_PERIOD", "25h"}}) ==
        "ANCHOR_GRACE_PERIOD='25h': expected a duration from 0s to 24h (a bare number is "
        "seconds)");
  CHECK(ErrorOf({}, {{"ANCHOR_FOLLOW_WINDOW", "1e9"}}) ==
        "ANCHOR_FOLLOW_WINDOW='1e9': expected a duration from 0s to 24h (a bare number is "
        "seconds)");
  CHECK(ErrorOf({}, {{"ORCASTRA_LEASE_FOLLOW_RENEWALS", "often"}}) ==
        "ORCASTRA_LEASE_FOLLOW_RENEWALS='often': expected true or false");
  CHECK(ErrorOf({}, {{"ORCASTRA_CONTROL_PORT", "65536"}}) ==
        "control port '65536' is not a TCP port");
  // RUN_ONCE=true refuses to start instead of silently running for ever.
  CHECK(ErrorOf({}, {{"RUN_ONCE", "true"}}).find("environment: error: RUN_ONCE: not supported") ==
        0);
}

}  // namespace
}  // namespace orcastra::leader
