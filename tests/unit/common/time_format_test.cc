#include "common/time_format.h"

#include <catch2/catch.hpp>

namespace orcastra {
namespace {

using namespace std::chrono;

std::int64_t Nanos(std::string_view text) {
  auto parsed = ParseRfc3339(text);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->has_value());
  return duration_cast<nanoseconds>((*parsed)->time_since_epoch()).count();
}

TEST_CASE("rfc3339: Docker's forms", "[time]") {
  CHECK(Nanos("1970-01-01T00:00:00Z") == 0);
  CHECK(Nanos("2026-11-22T04:09:31Z") == 1795320571LL * 1'000'000'000);
  CHECK(Nanos("2026-11-22T04:09:31.374123456Z") == 1795320571LL * 1'000'000'000 + 374123456);
  CHECK(Nanos("2026-11-22T04:09:31.5Z") == 1795320571LL * 1'000'000'000 + 500000000);
  CHECK(Nanos("2026-11-22T05:09:31+01:00") == 1795320571LL * 1'000'000'000);
  CHECK(Nanos("2026-11-21T23:09:31-05:00") == 1795320571LL * 1'000'000'000);
  CHECK(Nanos("2024-02-29T12:00:00Z") == 1709208000LL * 1'000'000'000);
}

TEST_CASE("rfc3339: Docker's zero time means never", "[time]") {
  auto never = ParseRfc3339("0001-01-01T00:00:00Z");
  REQUIRE(never.ok());
  CHECK_FALSE(never->has_value());
}

TEST_CASE("rfc3339: malformed input is an error naming it", "[time]") {
  for (const char* bad :
       {"", "2026-11-22", "2026-11-22T04:09:31", "2026-13-01T00:00:00Z", "2026-11-22T24:00:00Z",
        "2026-11-22T04:09:31.Z", "2026-11-22T04:09:31Zjunk", "2026-11-22 04:09:31Z",
        "2026-11-22T04:09:31+0100"}) {
    INFO(bad);
    auto parsed = ParseRfc3339(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message() == "'" + std::string(bad) + "' is not an RFC 3339 time");
  }
}

// Issue 8 (fuzz_rfc3339): "9999-12-31T23:59:59Z" overflowed the 64-bit nanoseconds of
// system_clock (undefined behaviour); "2026-02-31" rolled into March.
TEST_CASE("rfc3339: years outside 1900-2200 and days a month lacks are refused", "[time]") {
  for (const char* bad :
       {"9999-12-31T23:59:59.999999999-23:59", "2262-04-12T00:00:00Z", "1677-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(ParseRfc3339(bad).ok());
  }
  CHECK(ParseRfc3339("2201-01-01T00:00:00Z").status().message() ==
        "'2201-01-01T00:00:00Z' is outside the years 1900-2200");
  CHECK(ParseRfc3339("2028-02-29T00:00:00Z").ok());
  CHECK(ParseRfc3339("2200-12-31T23:59:59Z").ok());
}

}  // namespace
}  // namespace orcastra
