#include "common/flags.h"

#include <catch2/catch.hpp>
#include <map>

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

// Issue 8: from_chars reads "nan", "inf" and exponents, and a huge number overflowed the cast to
// milliseconds (undefined behaviour); a sign slipped through as "+5".
TEST_CASE("durations: no NaN, infinity, exponent, sign or overflow", "[flags][bounds]") {
  for (const char* bad : {"nan", "NaN", "inf", "infs", "-inf", "1e3", "1e400", "+5", ".", "..5",
                          "1.2.3", " 5", "5 ", "99999999999999999999999h", "100001h"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad, 1s).ok());
  }
  CHECK(*ParseDuration("100000h", 1s) == kMaxDuration);
  CHECK(*ParseDuration(".5s", 1s) == 500ms);
  CHECK(ParseDuration("100001h", 1s).status().message() == "'100001h' is longer than 100000h");
}

TEST_CASE("durations in a range name what they are", "[flags][bounds]") {
  CHECK(*ParseDurationIn("30", 1s, 1s, 1h, "AUTOHEAL_INTERVAL") == 30s);
  CHECK(*ParseDurationIn("1h", 1s, 1s, 1h, "AUTOHEAL_INTERVAL") == 1h);
  CHECK(ParseDurationIn("0", 1s, 1s, 1h, "AUTOHEAL_INTERVAL").status().message() ==
        "AUTOHEAL_INTERVAL='0': expected a duration from 1s to 1h (a bare number is seconds)");
  CHECK(ParseDurationIn("61m", 1s, 1s, 1h, "AUTOHEAL_INTERVAL").status().message() ==
        "AUTOHEAL_INTERVAL='61m': expected a duration from 1s to 1h (a bare number is seconds)");
  CHECK(ParseDurationIn("nan", 1s, 100ms, 10min, "REPORT_INTERVAL").status().message() ==
        "REPORT_INTERVAL='nan': expected a duration from 100ms to 10m (a bare number is seconds)");
  CHECK(FormatDuration(0ms) == "0s");
  CHECK(FormatDuration(1500ms) == "1500ms");
  CHECK(FormatDuration(90s) == "90s");
  CHECK(FormatDuration(48h) == "48h");
}

TEST_CASE("the env reader: empty is unset, every error names the variable", "[flags][bounds]") {
  std::map<std::string, std::string> vars = {{"B", "yes"},
                                             {"EMPTY", ""},
                                             {"BAD_B", "maybe"},
                                             {"I", "7"},
                                             {"BIG_I", "99999999999999999999"},
                                             {"D", "90"},
                                             {"D_MS", "1500ms"}};
  EnvReader reader([&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
  CHECK_FALSE(reader.Get("EMPTY").has_value());
  CHECK(reader.FirstSet({"EMPTY", "UNSET", "B"}) == "B");
  CHECK_FALSE(reader.FirstSet({"EMPTY", "UNSET"}).has_value());

  bool b = false;
  CHECK(reader.ReadBool("B", &b).ok());
  CHECK(b);
  bool untouched = true;
  CHECK(reader.ReadBool("EMPTY", &untouched).ok());
  CHECK(untouched);
  CHECK(reader.ReadBool("BAD_B", &b).message() == "BAD_B='maybe': expected true or false");

  int i = 3;
  CHECK(reader.ReadInt("I", 1, 10, &i).ok());
  CHECK(i == 7);
  CHECK(reader.ReadInt("I", 8, 10, &i).message() == "I '7' is not a whole number from 8 to 10");
  CHECK(reader.ReadInt("BIG_I", 0, 10, &i).message() ==
        "BIG_I '99999999999999999999' is not a whole number from 0 to 10");
  CHECK(i == 7);
  CHECK(reader.ReadInt("UNSET", 0, 10, &i).ok());
  CHECK(i == 7);

  std::chrono::seconds d{5};
  CHECK(reader.ReadDuration("D", 1s, 1s, 1h, &d).ok());
  CHECK(d == 90s);
  CHECK(reader.ReadDuration("D", 1s, 1s, 1min, &d).message() ==
        "D='90': expected a duration from 1s to 1m (a bare number is seconds)");
  CHECK(reader.ReadDuration("D_MS", 1s, 0s, 1h, &d).message() ==
        "D_MS='1500ms': must be whole 1s units");
  std::chrono::milliseconds ms{0};
  CHECK(reader.ReadDuration("D_MS", 1s, 0s, 1h, &ms).ok());
  CHECK(ms == 1500ms);
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
