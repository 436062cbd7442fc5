// The healer's record (leader/heal/record.h): what it keeps round-trips, and every bad input is
// refused naming its field; times move between the steady clock and the wall clock.
#include "leader/heal/record.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

TEST_CASE("heal record: memory round-trips through the record, graces are not kept",
          "[heal][record]") {
  testing::FakeClock clock;
  HealMemory m;
  m.nodes["abc123"] = {.attempts = 2,
                       .next_allowed = clock.Now() + 30s,
                       .last_attempt = clock.Now() - 5s,
                       .last_action = "remove"};
  m.removals["def456"] = {clock.Now() - 1s, "cli (command 3)"};
  m.down_since["abc123"] = clock.Now() - 60s;
  const std::string text = EncodeHealRecord(HealRecordFromMemory(m, clock.Now(), clock.WallMs()));
  auto decoded = DecodeHealRecord(text, "record");
  REQUIRE(decoded.ok());
  // Another instance, 10 s later by both clocks.
  clock.Advance(10s);
  HealMemory back = HealMemoryFromRecord(*decoded, clock.Now(), clock.WallMs(), 900s);
  CHECK(back.nodes.at("abc123").attempts == 2);
  CHECK(*back.nodes.at("abc123").next_allowed == clock.Now() + 20s);
  CHECK(back.removals.at("def456").by == "cli (command 3)");
  CHECK(back.down_since.empty());
  // A backoff further ahead than the longest interval is cut to it.
  HealRecord far = *decoded;
  far.nodes["abc123"].next_allowed_ms = clock.WallMs() + 86'400'000;
  HealMemory cut = HealMemoryFromRecord(far, clock.Now(), clock.WallMs(), 900s);
  CHECK(*cut.nodes.at("abc123").next_allowed == clock.Now() + 900s);
}

TEST_CASE("heal record: bad input is refused naming the field", "[heal][record]") {
  struct Case {
    std::string text;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "not JSON"},
           {"[]", "not a JSON object"},
           {R"({"nodes":{}})", "format"},
           {R"({"format":2})", "format 2"},
           {R"({"format":1,"format":1})", "duplicate key"},
           {R"({"format":1,"nodes":{"a-b":{"attempts":1,"action":"remove"}}})", "nodes.a-b"},
           {R"({"format":1,"nodes":{"ab":{"attempts":-1,"action":"remove"}}})", "attempts"},
           {R"({"format":1,"nodes":{"ab":{"attempts":1,"action":"init"}}})", "action"},
           {R"({"format":1,"nodes":{"ab":{"attempts":1,"action":"remove","next_allowed_ms":"x"}}})",
            "next_allowed_ms"},
           {R"({"format":1,"removals":{"ab":{"at_ms":1,"by":7}}})", "removals.ab.by"},
           {R"({"format":1,"removals":{"ab":{}}})", "at_ms"},
           {std::string(kMaxHealRecordBytes + 1, ' '), "bytes"},
           {std::string(20, '[') + std::string(20, ']'), "nested"},
       }) {
    INFO(c.text.substr(0, 80));
    auto r = DecodeHealRecord(c.text, "config 'x'");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("config 'x'"));
    CHECK_THAT(r.status().message(), Catch::Contains(c.says));
  }
  auto unknown = DecodeHealRecord(R"({"format":1,"later":{"x":1}})", "r");
  CHECK(unknown.ok());
}

}  // namespace
}  // namespace orcastra::leader
