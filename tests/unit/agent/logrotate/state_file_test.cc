#include "agent/logrotate/state_file.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/logrotate/path_glob.h"
#include "tests/unit/agent/logrotate/logrotate_test_util.h"

namespace orcastra::agent {
namespace {

using Catch::Matchers::Contains;
using namespace std::chrono_literals;
using namespace testing;

TEST_CASE("logrotate: the state file parses in logrotate's format", "[logrotate]") {
  Result<RotationState> state = ParseStateFile(Fixture("logrotate.status"), "logrotate.status");
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  CHECK(state->last_rotated.size() == 4);
  CHECK(state->last_rotated.at("/var/log/nginx/access.log") == At(2024, 3, 1));
  CHECK(state->last_rotated.at("/var/log/my app/access.log") == At(2024, 2, 29, 23, 59, 59));
  CHECK(state->last_rotated.at("/var/log/syslog") == At(2023, 12, 31, 6, 25, 1));
  CHECK(state->last_rotated.at("/var/log/old-format.log") == At(2022, 7, 4));
  CHECK(state->Lookup("/var/log/syslog").last_rotated == At(2023, 12, 31, 6, 25, 1));
  CHECK_FALSE(state->Lookup("/var/log/unknown.log").last_rotated);
}

TEST_CASE("logrotate: state file variants: bare paths, escapes, blanks, repeats, CRLF",
          "[logrotate]") {
  Result<RotationState> state = ParseStateFile(
      "logrotate state -- version 2\r\n"
      "\r\n"
      "/var/log/bare.log 2024-1-2-3:4:5\r\n"
      "\"/var/log/q\\\"uote\\\\d.log\" 2024-01-02-03:04:05\r\n"
      "\"/var/log/new\\nline.log\"   2024-1-2-3:4:5   \r\n"
      "\"/var/log/twice.log\" 2020-1-1-0:0:0\r\n"
      "\"/var/log/twice.log\" 2021-1-1-0:0:0\r\n",
      "state");
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  CHECK(state->last_rotated.size() == 4);
  CHECK(state->last_rotated.at("/var/log/bare.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(state->last_rotated.at("/var/log/q\"uote\\d.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(state->last_rotated.at("/var/log/new\nline.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(state->last_rotated.at("/var/log/twice.log") == At(2021, 1, 1));

  CHECK(ParseStateFile("", "state")->last_rotated.empty());
  CHECK(ParseStateFile("\n", "state")->last_rotated.empty());
  CHECK(ParseStateFile("logrotate state -- version 2\n", "state")->last_rotated.empty());
  CHECK(ParseStateFile("logrotate state -- version 2", "state")->last_rotated.empty());
}

TEST_CASE("logrotate: state times are read at the given UTC offset", "[logrotate]") {
  Result<RotationState> state =
      ParseStateFile("logrotate state -- version 2\n\"/a\" 2024-3-1-1:30:0\n", "state", 120min);
  REQUIRE(state.ok());
  CHECK(state->last_rotated.at("/a") == At(2024, 2, 29, 23, 30));
}

TEST_CASE("logrotate: state file errors name the line", "[logrotate]") {
  auto error = [](const std::string& text) {
    Result<RotationState> state = ParseStateFile(text, "/var/lib/orcastra/logrotate.status");
    INFO(text);
    REQUIRE_FALSE(state.ok());
    CHECK(state.status().code() == Status::Code::kParseError);
    return state.status().message();
  };
  const std::string header = "logrotate state -- version 2\n";
  CHECK(error("logrotate state -- version 1\n") ==
        "/var/lib/orcastra/logrotate.status:1: expected 'logrotate state -- version 2', got "
        "'logrotate state -- version 1'");
  CHECK(error("\"/a\" 2024-1-1-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:1: expected 'logrotate state -- version 2', got "
        "'\"/a\" 2024-1-1-0:0:0'");
  CHECK(error(header + "\"/a\"\n") ==
        "/var/lib/orcastra/logrotate.status:2: expected a space and a date after the path '/a'");
  CHECK(error(header + "/a\n") ==
        "/var/lib/orcastra/logrotate.status:2: expected a space and a date after the path '/a'");
  CHECK(error(header + "\"/a\"2024-1-1\n") ==
        "/var/lib/orcastra/logrotate.status:2: expected a space and a date after the path '/a'");
  CHECK(error(header + "\n\"/a\" 2024-2-30-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:3: date '2024-2-30-0:0:0' is not a valid date");
  CHECK(error(header + "\"/a\" 2023-2-29\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2023-2-29' is not a valid date");
  CHECK(error(header + "\"/a\" 2024-13-1\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2024-13-1' is not a valid date");
  CHECK(error(header + "\"/a\" 2024-1-1-24:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2024-1-1-24:0:0' is not a valid time of day");
  CHECK(error(header + "\"/a\" 2024-1-1-0:60:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2024-1-1-0:60:0' is not a valid time of day");
  CHECK(error(header + "\"/a\" 1800-1-1\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '1800-1-1' is outside the years 1900-2200");
  for (const char* bad : {"2024/1/1", "2024-1", "2024-1-1-0:0", "2024-1-1-", "2024-1-1-0:0:0:0",
                          "x", "2024-1-1T0:0:0", "12345-1-1", "-2024-1-1"}) {
    INFO(bad);
    CHECK(error(header + "\"/a\" " + bad + "\n") == "/var/lib/orcastra/logrotate.status:2: date '" +
                                                        std::string(bad) + "' is not Y-M-D-h:m:s");
  }
  CHECK(error(header + "\"/a\" 2024-1-1-0:0:0 extra\n") ==
        "/var/lib/orcastra/logrotate.status:2: unexpected 'extra' after the date");
  CHECK(error(header + "\"/a 2024-1-1-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: unterminated quoted path");
  CHECK(error(header + "\"\" 2024-1-1-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: empty path");
}

TEST_CASE("logrotate: the state file serialises in logrotate's format and round-trips",
          "[logrotate]") {
  RotationState state;
  state.last_rotated["/var/log/syslog"] = At(2023, 12, 31, 6, 25, 1) + 750ms;
  state.last_rotated["/var/log/my app/access.log"] = At(2024, 2, 29, 23, 59, 59);
  state.last_rotated["/var/log/q\"uote\\d\nl.log"] = At(2024, 1, 2, 3, 4, 5);
  const std::string text = SerializeStateFile(state);
  CHECK(text ==
        "logrotate state -- version 2\n"
        "\"/var/log/my app/access.log\" 2024-2-29-23:59:59\n"
        "\"/var/log/q\\\"uote\\\\d\\nl.log\" 2024-1-2-3:4:5\n"
        "\"/var/log/syslog\" 2023-12-31-6:25:1\n");

  Result<RotationState> back = ParseStateFile(text, "state");
  REQUIRE(back.ok());
  CHECK(back->last_rotated.size() == 3);
  // Times are kept to the second.
  CHECK(back->last_rotated.at("/var/log/syslog") == At(2023, 12, 31, 6, 25, 1));
  CHECK(back->last_rotated.at("/var/log/my app/access.log") == At(2024, 2, 29, 23, 59, 59));
  CHECK(back->last_rotated.at("/var/log/q\"uote\\d\nl.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(SerializeStateFile(*back) == text);

  // The fixture round-trips to the same entries.
  Result<RotationState> fixture = ParseStateFile(Fixture("logrotate.status"), "fixture");
  REQUIRE(fixture.ok());
  Result<RotationState> again = ParseStateFile(SerializeStateFile(*fixture), "again");
  REQUIRE(again.ok());
  CHECK(again->last_rotated == fixture->last_rotated);

  // At an offset, written and read back at the same offset.
  const std::string shifted = SerializeStateFile(state, 90min);
  CHECK_THAT(shifted, Contains("\"/var/log/my app/access.log\" 2024-3-1-1:29:59\n"));
  Result<RotationState> shifted_back = ParseStateFile(shifted, "state", 90min);
  REQUIRE(shifted_back.ok());
  CHECK(shifted_back->last_rotated.at("/var/log/my app/access.log") == At(2024, 2, 29, 23, 59, 59));

  CHECK(SerializeStateFile(RotationState{}) == "logrotate state -- version 2\n");
}

// Issue 8: the state is keyed by paths from outside (every container's log a glob matched), so it
// is pruned of files no rule needs and capped.
TEST_CASE("logrotate: the state forgets files no rule needs any more", "[logrotate][bounds]") {
  const WallTime t = WallTime(std::chrono::seconds(1'700'000'000));
  RotationState state;
  state.last_rotated = {{"/var/log/app.log", t},                  // literal, missing: kept
                        {"/logs/c1/c1-json.log", t},              // glob, exists: kept
                        {"/logs/c2/c2-json.log", t},              // glob, gone: dropped
                        {"/old/rule.log", t},                     // no rule names it: dropped
                        {"/logs/c3/other.txt", t},                // the glob does not match
                        {"/var/log/exists-but-unruled.log", t}};  // no rule: dropped
  const std::vector<std::string> patterns = {"/var/log/app.log", "/logs/*/*-json.log"};
  std::vector<std::string> asked;
  auto exists = [&](const std::string& path) {
    asked.push_back(path);
    return path != "/logs/c2/c2-json.log";
  };
  CHECK(PruneRotationState(state, patterns, exists) == 4);
  CHECK(state.last_rotated.size() == 2);
  CHECK(state.last_rotated.count("/var/log/app.log") == 1);
  CHECK(state.last_rotated.count("/logs/c1/c1-json.log") == 1);
  // Only files a glob matches are looked at on disk.
  CHECK(asked == std::vector<std::string>{"/logs/c1/c1-json.log", "/logs/c2/c2-json.log"});
  // Nothing left to drop: a second prune is a no-op.
  CHECK(PruneRotationState(state, patterns, exists) == 0);
}

TEST_CASE("logrotate: the state is capped, oldest dates first", "[logrotate][bounds]") {
  const WallTime t = WallTime(std::chrono::seconds(1'700'000'000));
  RotationState state;
  for (int i = 0; i < 10; ++i) {
    state.last_rotated["/logs/f" + std::to_string(i) + ".log"] = t + std::chrono::hours(i);
  }
  CHECK(PruneRotationState(
            state, {"/logs/*.log"}, [](const std::string&) { return true; }, 4) == 6);
  REQUIRE(state.last_rotated.size() == 4);
  for (int i = 6; i < 10; ++i)
    CHECK(state.last_rotated.count("/logs/f" + std::to_string(i) + ".log"));
  CHECK(kMaxRotationStateEntries >= 10 * GlobLimits{}.max_results);
}

}  // namespace
}  // namespace orcastra::agent
