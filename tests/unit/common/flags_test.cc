#include "common/flags.h"

#include <catch2/catch.hpp>

namespace orcastra {
namespace {

using namespace std::chrono_literals;

TEST_CASE("flags: values, booleans, positionals and both spellings", "[flags]") {
  FlagSpec spec{{"leader", "timeout"}, {"json"}};
  auto parsed = ParseFlags({"--json", "--leader", "tcp://a:1", "--timeout=2s", "extra"}, spec);
  REQUIRE(parsed.ok());
  CHECK(parsed->Has("json"));
  CHECK(parsed->Get("leader") == "tcp://a:1");
  CHECK(parsed->Get("timeout") == "2s");
  CHECK(parsed->positional == std::vector<std::string>{"extra"});
  CHECK_FALSE(parsed->Get("missing").has_value());
}

TEST_CASE("flags: usage errors name the flag", "[flags]") {
  FlagSpec spec{{"leader"}, {"json"}};
  auto unknown = ParseFlags({"--bogus"}, spec);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "unknown flag --bogus");
  auto no_value = ParseFlags({"--leader"}, spec);
  REQUIRE_FALSE(no_value.ok());
  CHECK(no_value.status().message() == "flag --leader needs a value");
  auto bool_value = ParseFlags({"--json=yes"}, spec);
  REQUIRE_FALSE(bool_value.ok());
  CHECK(bool_value.status().message() == "flag --json takes no value");
}

TEST_CASE("durations: units and bare numbers", "[flags]") {
  CHECK(*ParseDuration("5", 1s) == 5000ms);
  CHECK(*ParseDuration("5s", 1s) == 5000ms);
  CHECK(*ParseDuration("250ms", 1s) == 250ms);
  CHECK(*ParseDuration("1.5s", 1s) == 1500ms);
  CHECK(*ParseDuration("2m", 1s) == 120000ms);
  CHECK(*ParseDuration("1h", 1s) == 3600000ms);
  CHECK(*ParseDuration("3", 1min) == 180000ms);
  for (const char* bad : {"", "s", "-1s", "5x", "five"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad, 1s).ok());
  }
  CHECK(ParseDuration("5x", 1s).status().message() == "'5x': unknown unit 'x' (use ms, s, m or h)");
}

// Issue 8 (fuzz_settings): from_chars reads "nan" and "inf", and converting NaN, infinity or a
// double beyond int64 to an integer is undefined behaviour. They are refused, as is anything longer
// than kMaxDuration.
TEST_CASE("ParseDuration refuses NaN, infinity and durations too long for any clock") {
  using namespace std::chrono_literals;
  for (const char* bad : {"nan", "NaN", "nans", "inf", "infms", "infinity", "-inf", "1e300",
                          "1e19ms", "9223372036854775807h", "876001h"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad, 1s).ok());
  }
  CHECK(ParseDuration("1e300", 1s).status().message() == "'1e300' is longer than 876000h");
  CHECK(*ParseDuration("876000h", 1s) ==
        std::chrono::duration_cast<std::chrono::milliseconds>(kMaxDuration));
  CHECK(*ParseDuration("1e3ms", 1s) == 1000ms);
}

}  // namespace
}  // namespace orcastra

namespace orcastra {
namespace {

TEST_CASE("options: flags win over the environment, positionals are refused", "[flags]") {
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "A_VAR") return "from-env";
    if (name == "B_VAR") return "env-b";
    return std::nullopt;
  };
  FlagSpec spec{{"a", "b", "c"}, {}};
  auto source = OptionSource::Parse({"--b", "flag-b"}, spec, env);
  REQUIRE(source.ok());
  CHECK(source->Value("a", "A_VAR") == "from-env");
  CHECK(source->Value("b", "B_VAR") == "flag-b");
  CHECK_FALSE(source->Value("c", "C_VAR").has_value());
  CHECK(OptionSource::Parse({"stray"}, spec, env).status().message() ==
        "unexpected argument 'stray'");
}

TEST_CASE("ports", "[flags]") {
  CHECK(*ParsePort("7470", "agent port") == 7470);
  CHECK(*ParsePort("65535", "p") == 65535);
  for (const char* bad : {"0", "65536", "-1", "74x", "", " 80"}) {
    INFO(bad);
    CHECK_FALSE(ParsePort(bad, "p").ok());
  }
  CHECK(ParsePort("0", "agent port").status().message() == "agent port '0' is not a TCP port");
}

}  // namespace
}  // namespace orcastra

namespace orcastra {
namespace {

TEST_CASE("booleans: the accepted spellings, any case; anything else names the variable",
          "[flags]") {
  for (const char* yes : {"1", "true", "TRUE", "Yes", "on"}) CHECK(ParseBool("X", yes).value());
  for (const char* no : {"0", "false", "False", "no", "OFF", ""})
    CHECK_FALSE(ParseBool("X", no).value());
  auto bad = ParseBool("GC_DRY_RUN", "maybe");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "GC_DRY_RUN='maybe': expected true or false");
}

}  // namespace
}  // namespace orcastra
