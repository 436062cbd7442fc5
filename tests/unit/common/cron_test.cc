#include "common/cron.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace orcastra {
namespace {

using Catch::Matchers::Contains;
using TimePoint = CronSchedule::TimePoint;
using namespace std::chrono_literals;

// A UTC time from its civil fields.
TimePoint At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return TimePoint(sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s));
}

// "2024-01-01T10:05:00Z": readable in failure messages.
std::string Iso(TimePoint t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss<seconds> tod{secs - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long>(tod.hours().count()),
                static_cast<long>(tod.minutes().count()), static_cast<long>(tod.seconds().count()));
  return buffer;
}

CronSchedule MustParse(const std::string& spec) {
  Result<CronSchedule> schedule = CronSchedule::Parse(spec);
  INFO("spec: '" << spec << "': " << schedule.status().ToString());
  REQUIRE(schedule.ok());
  return *schedule;
}

// The next run of `spec` after `after`, as Iso text ("error: ..." when there is none).
std::string NextOf(const std::string& spec, TimePoint after,
                   std::chrono::minutes offset = std::chrono::minutes(0)) {
  Result<TimePoint> next = MustParse(spec).Next(after, offset);
  if (!next.ok()) return "error: " + next.status().ToString();
  return Iso(*next);
}

// The first `count` runs of `spec` after `after`.
std::vector<std::string> Runs(const std::string& spec, TimePoint after, int count) {
  CronSchedule schedule = MustParse(spec);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    Result<TimePoint> next = schedule.Next(after);
    REQUIRE(next.ok());
    out.push_back(Iso(*next));
    after = *next;
  }
  return out;
}

std::string ParseError(const std::string& spec) {
  Result<CronSchedule> schedule = CronSchedule::Parse(spec);
  if (schedule.ok()) return "parsed as '" + schedule->ToString() + "'";
  CHECK(schedule.status().code() == Status::Code::kInvalidArgument);
  return schedule.status().message();
}

TEST_CASE("cron: '*' matches every minute, strictly after the given time", "[cron]") {
  CHECK(NextOf("* * * * *", At(2024, 1, 1, 10, 0, 0)) == "2024-01-01T10:01:00Z");
  CHECK(NextOf("* * * * *", At(2024, 1, 1, 10, 0, 30)) == "2024-01-01T10:01:00Z");
  CHECK(NextOf("* * * * *", At(2024, 1, 1, 10, 0, 59) + 999ms) == "2024-01-01T10:01:00Z");
  CHECK(NextOf("* * * * *", At(2024, 1, 1, 9, 59, 59)) == "2024-01-01T10:00:00Z");
  CHECK(NextOf("* * * * *", At(2024, 12, 31, 23, 59)) == "2025-01-01T00:00:00Z");
}

TEST_CASE("cron: single numbers in every field", "[cron]") {
  CHECK(NextOf("30 4 * * *", At(2024, 1, 1, 4, 29, 59)) == "2024-01-01T04:30:00Z");
  CHECK(NextOf("30 4 * * *", At(2024, 1, 1, 4, 30)) == "2024-01-02T04:30:00Z");
  CHECK(NextOf("0 0 15 * *", At(2024, 1, 15, 0, 0)) == "2024-02-15T00:00:00Z");
  CHECK(NextOf("0 12 * 6 *", At(2024, 1, 1)) == "2024-06-01T12:00:00Z");
  CHECK(NextOf("0 12 * * 3", At(2024, 1, 1)) == "2024-01-03T12:00:00Z");  // Wednesday
  CHECK(NextOf("59 23 31 12 *", At(2024, 1, 1)) == "2024-12-31T23:59:00Z");
  CHECK(NextOf("0 0 1 1 *", At(2024, 6, 1)) == "2025-01-01T00:00:00Z");
}

TEST_CASE("cron: ranges", "[cron]") {
  CHECK(Runs("10-12 * * * *", At(2024, 1, 1, 10, 11), 3) ==
        std::vector<std::string>{"2024-01-01T10:12:00Z", "2024-01-01T11:10:00Z",
                                 "2024-01-01T11:11:00Z"});
  CHECK(Runs("0 22-23 * * *", At(2024, 1, 1, 22, 30), 3) ==
        std::vector<std::string>{"2024-01-01T23:00:00Z", "2024-01-02T22:00:00Z",
                                 "2024-01-02T23:00:00Z"});
  CHECK(Runs("0 0 30-31 * *", At(2024, 1, 30), 3) ==
        std::vector<std::string>{"2024-01-31T00:00:00Z", "2024-03-30T00:00:00Z",
                                 "2024-03-31T00:00:00Z"});
  CHECK(Runs("0 0 1 11-12 *", At(2024, 1, 1), 3) ==
        std::vector<std::string>{"2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z",
                                 "2025-11-01T00:00:00Z"});
  CHECK(NextOf("0 0 * * 1-5", At(2024, 1, 5, 12)) == "2024-01-08T00:00:00Z");  // Fri -> Mon
  CHECK(NextOf("7-7 * * * *", At(2024, 1, 1)) == "2024-01-01T00:07:00Z");
}

TEST_CASE("cron: steps over '*', ranges and a start value", "[cron]") {
  CHECK(Runs("*/15 * * * *", At(2024, 1, 1, 10, 46), 3) ==
        std::vector<std::string>{"2024-01-01T11:00:00Z", "2024-01-01T11:15:00Z",
                                 "2024-01-01T11:30:00Z"});
  CHECK(Runs("5-20/5 * * * *", At(2024, 1, 1, 10, 15), 3) ==
        std::vector<std::string>{"2024-01-01T10:20:00Z", "2024-01-01T11:05:00Z",
                                 "2024-01-01T11:10:00Z"});
  CHECK(Runs("50/5 * * * *", At(2024, 1, 1, 10, 0), 3) ==
        std::vector<std::string>{"2024-01-01T10:50:00Z", "2024-01-01T10:55:00Z",
                                 "2024-01-01T11:50:00Z"});
  CHECK(Runs("0 */6 * * *", At(2024, 1, 1, 13), 3) ==
        std::vector<std::string>{"2024-01-01T18:00:00Z", "2024-01-02T00:00:00Z",
                                 "2024-01-02T06:00:00Z"});
  // Steps over day-of-month start at 1: 1, 11, 21, 31.
  CHECK(Runs("0 0 */10 * *", At(2024, 1, 21), 3) ==
        std::vector<std::string>{"2024-01-31T00:00:00Z", "2024-02-01T00:00:00Z",
                                 "2024-02-11T00:00:00Z"});
  // Steps over month start at 1: jan, apr, jul, oct.
  CHECK(Runs("0 0 1 */3 *", At(2024, 1, 1), 3) == std::vector<std::string>{"2024-04-01T00:00:00Z",
                                                                           "2024-07-01T00:00:00Z",
                                                                           "2024-10-01T00:00:00Z"});
  // Every minute of the field is a legal step: */60 is minute 0 only.
  CHECK(NextOf("*/60 * * * *", At(2024, 1, 1, 10, 1)) == "2024-01-01T11:00:00Z");
  CHECK(NextOf("0 0 * * */7", At(2024, 1, 1, 1)) == "2024-01-07T00:00:00Z");  // Sunday only
}

TEST_CASE("cron: lists mixing numbers, ranges and steps", "[cron]") {
  CHECK(Runs("0,30 * * * *", At(2024, 1, 1, 10, 0), 3) ==
        std::vector<std::string>{"2024-01-01T10:30:00Z", "2024-01-01T11:00:00Z",
                                 "2024-01-01T11:30:00Z"});
  CHECK(Runs("1,5-7,*/20 * * * *", At(2024, 1, 1, 10, 0), 7) ==
        std::vector<std::string>{"2024-01-01T10:01:00Z", "2024-01-01T10:05:00Z",
                                 "2024-01-01T10:06:00Z", "2024-01-01T10:07:00Z",
                                 "2024-01-01T10:20:00Z", "2024-01-01T10:40:00Z",
                                 "2024-01-01T11:00:00Z"});
  // Overlapping elements do not repeat a time.
  CHECK(Runs("0 1,1-2,2 * * *", At(2024, 1, 1), 3) ==
        std::vector<std::string>{"2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z",
                                 "2024-01-02T01:00:00Z"});
}

TEST_CASE("cron: month and day names in any case, also in ranges and lists", "[cron]") {
  CHECK(MustParse("0 0 1 jan *") == MustParse("0 0 1 1 *"));
  CHECK(MustParse("0 0 1 JAN-Mar *") == MustParse("0 0 1 1-3 *"));
  CHECK(MustParse("0 0 1 jun,DEC *") == MustParse("0 0 1 6,12 *"));
  CHECK(MustParse("0 0 1 jan-dec/2 *").ToString() == "0 0 1 1-12/2 *");
  CHECK(MustParse("0 0 * * mon-fri") == MustParse("0 0 * * 1-5"));
  CHECK(MustParse("0 0 * * Sat,SUN") == MustParse("0 0 * * 6,0"));
  CHECK(NextOf("0 9 * * sat", At(2024, 1, 1)) == "2024-01-06T09:00:00Z");
  CHECK(NextOf("0 9 1 feb *", At(2024, 1, 1)) == "2024-02-01T09:00:00Z");
}

TEST_CASE("cron: 0 and 7 are both Sunday; 'sun' ends a range as 7", "[cron]") {
  CHECK(NextOf("0 0 * * 7", At(2024, 1, 1)) == "2024-01-07T00:00:00Z");
  CHECK(NextOf("0 0 * * 0", At(2024, 1, 1)) == "2024-01-07T00:00:00Z");
  CHECK(MustParse("0 0 * * 7") == MustParse("0 0 * * 0"));
  CHECK(MustParse("0 0 * * 7").ToString() == "0 0 * * 0");
  // 5-7: Friday, Saturday, Sunday.
  CHECK(Runs("0 0 * * 5-7", At(2024, 1, 1), 4) ==
        std::vector<std::string>{"2024-01-05T00:00:00Z", "2024-01-06T00:00:00Z",
                                 "2024-01-07T00:00:00Z", "2024-01-12T00:00:00Z"});
  CHECK(MustParse("0 0 * * mon-sun").ToString() == "0 0 * * 1-7");
  CHECK(Runs("0 0 * * mon-sun", At(2024, 1, 1), 2) ==
        std::vector<std::string>{"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"});
  CHECK(Runs("0 0 * * 0-7", At(2024, 1, 6), 2) ==
        std::vector<std::string>{"2024-01-07T00:00:00Z", "2024-01-08T00:00:00Z"});
}

TEST_CASE("cron: macros", "[cron]") {
  struct Case {
    const char* macro;
    const char* expansion;
  };
  for (Case c :
       {Case{"@yearly", "0 0 1 1 *"}, Case{"@annually", "0 0 1 1 *"}, Case{"@monthly", "0 0 1 * *"},
        Case{"@weekly", "0 0 * * 0"}, Case{"@daily", "0 0 * * *"}, Case{"@midnight", "0 0 * * *"},
        Case{"@hourly", "0 * * * *"}, Case{"@DAILY", "0 0 * * *"},
        Case{"  @Hourly  ", "0 * * * *"}}) {
    INFO(c.macro);
    CHECK(MustParse(c.macro).ToString() == c.expansion);
    CHECK(MustParse(c.macro) == MustParse(c.expansion));
  }
  CHECK(NextOf("@yearly", At(2024, 3, 1)) == "2025-01-01T00:00:00Z");
  CHECK(NextOf("@monthly", At(2024, 1, 31, 12)) == "2024-02-01T00:00:00Z");
  CHECK(NextOf("@weekly", At(2024, 1, 1)) == "2024-01-07T00:00:00Z");
  CHECK(NextOf("@daily", At(2024, 1, 1, 0, 0)) == "2024-01-02T00:00:00Z");
  CHECK(NextOf("@hourly", At(2024, 1, 1, 23, 0)) == "2024-01-02T00:00:00Z");
}

TEST_CASE("cron: both day fields restricted means either (Vixie)", "[cron]") {
  // The 13th or any Friday. 2024-01-01 is a Monday.
  CHECK(Runs("0 0 13 * 5", At(2024, 1, 1), 4) ==
        std::vector<std::string>{"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z",
                                 "2024-01-13T00:00:00Z", "2024-01-19T00:00:00Z"});
  CHECK(Runs("0 0 1,15 * fri", At(2024, 1, 1), 4) ==
        std::vector<std::string>{"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z",
                                 "2024-01-15T00:00:00Z", "2024-01-19T00:00:00Z"});
  // A field starting with '*' is unrestricted even with a step: both must match, so odd-numbered
  // Fridays only (Jan 5, Jan 19, then Feb 9: Jan 26 and Feb 2 are even).
  CHECK(Runs("0 0 */2 * 5", At(2024, 1, 1), 3) == std::vector<std::string>{"2024-01-05T00:00:00Z",
                                                                           "2024-01-19T00:00:00Z",
                                                                           "2024-02-09T00:00:00Z"});
  CHECK(Runs("0 0 13 * */1", At(2024, 1, 1), 2) ==
        std::vector<std::string>{"2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"});
  // Only one restricted: that one decides.
  CHECK(NextOf("0 0 * * 5", At(2024, 1, 1)) == "2024-01-05T00:00:00Z");
  CHECK(NextOf("0 0 13 * *", At(2024, 1, 1)) == "2024-01-13T00:00:00Z");
  // An explicit full range is restricted: 1-31 with Friday matches every day.
  CHECK(Runs("0 0 1-31 * 5", At(2024, 1, 1), 2) ==
        std::vector<std::string>{"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"});
  // Day 31 of February can never match, but with a weekday it runs on February's Mondays.
  CHECK(NextOf("0 0 31 2 1", At(2024, 1, 1)) == "2024-02-05T00:00:00Z");
}

TEST_CASE("cron: month and year rollovers", "[cron]") {
  CHECK(NextOf("0 0 31 * *", At(2024, 1, 31)) == "2024-03-31T00:00:00Z");
  CHECK(NextOf("0 0 31 * *", At(2024, 4, 1)) == "2024-05-31T00:00:00Z");
  CHECK(NextOf("0 0 30 * *", At(2024, 1, 30)) == "2024-03-30T00:00:00Z");
  CHECK(NextOf("15 10 * * *", At(2024, 12, 31, 10, 15)) == "2025-01-01T10:15:00Z");
  CHECK(NextOf("0 0 1 * *", At(2024, 12, 1)) == "2025-01-01T00:00:00Z");
  CHECK(NextOf("0 0 * 2 *", At(2024, 3, 1)) == "2025-02-01T00:00:00Z");
}

TEST_CASE("cron: February 29 in leap years only", "[cron]") {
  CHECK(NextOf("0 0 29 2 *", At(2023, 1, 1)) == "2024-02-29T00:00:00Z");
  CHECK(NextOf("0 0 29 2 *", At(2024, 2, 29)) == "2028-02-29T00:00:00Z");
  CHECK(NextOf("0 0 29 2 *", At(2024, 3, 1)) == "2028-02-29T00:00:00Z");
  // 2100 is not a leap year: the longest gap, 8 years, is inside the search window.
  CHECK(NextOf("0 0 29 2 *", At(2096, 3, 1)) == "2104-02-29T00:00:00Z");
  CHECK(NextOf("0 0 28-29 2 *", At(2023, 2, 28)) == "2024-02-28T00:00:00Z");
  CHECK(NextOf("0 0 * * *", At(2024, 2, 28, 12)) == "2024-02-29T00:00:00Z");
  CHECK(NextOf("0 0 * * *", At(2023, 2, 28, 12)) == "2023-03-01T00:00:00Z");
}

TEST_CASE("cron: impossible dates are reported after a bounded search", "[cron]") {
  for (const char* spec : {"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30-31 feb *"}) {
    INFO(spec);
    Result<TimePoint> next = MustParse(spec).Next(At(2024, 1, 1));
    REQUIRE_FALSE(next.ok());
    CHECK(next.status().code() == Status::Code::kNotFound);
    CHECK_THAT(next.status().message(), Contains("no matching time within 3294 days after "
                                                 "2024-01-01 00:00 UTC"));
    CHECK_THAT(next.status().message(), Contains("can never run"));
  }
  CHECK(MustParse("0 0 31 2 *").Next(At(2024, 1, 1)).status().message() ==
        "cron '0 0 31 2 *': no matching time within 3294 days after 2024-01-01 00:00 UTC; the "
        "schedule can never run");
}

TEST_CASE("cron: a fixed UTC offset shifts the civil time", "[cron]") {
  // 09:00 at UTC+02:00 is 07:00 UTC; at UTC-05:00 it is 14:00 UTC.
  CHECK(NextOf("0 9 * * *", At(2024, 1, 1), 120min) == "2024-01-01T07:00:00Z");
  CHECK(NextOf("0 9 * * *", At(2024, 1, 1), -300min) == "2024-01-01T14:00:00Z");
  CHECK(NextOf("0 9 * * *", At(2024, 1, 1, 7, 0), 120min) == "2024-01-02T07:00:00Z");
  // Monday 00:00 at UTC+10:00 is Sunday 14:00 UTC.
  CHECK(NextOf("0 0 * * 1", At(2024, 1, 1), 600min) == "2024-01-07T14:00:00Z");
  // Half-hour offsets: 00:00 at UTC+05:30 is 18:30 UTC the day before.
  CHECK(NextOf("0 0 * * *", At(2024, 1, 1), 330min) == "2024-01-01T18:30:00Z");
  // New year's midnight at UTC-01:00 is 01:00 UTC.
  CHECK(NextOf("@yearly", At(2024, 6, 1), -60min) == "2025-01-01T01:00:00Z");
  CHECK(NextOf("0 0 29 2 *", At(2024, 1, 1), 60min) == "2024-02-28T23:00:00Z");

  Result<TimePoint> bad = MustParse("* * * * *").Next(At(2024, 1, 1), 19h);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(bad.status().message(), Contains("UTC offset of 1140 minutes is out of range"));
  CHECK(MustParse("* * * * *").Next(At(2024, 1, 1), 18h).ok());
  CHECK(MustParse("* * * * *").Next(At(2024, 1, 1), -18h).ok());
  CHECK_FALSE(MustParse("* * * * *").Next(At(2024, 1, 1), -18h - 1min).ok());
}

TEST_CASE("cron: start times outside 1900-2200 are refused", "[cron]") {
  CronSchedule every_minute = MustParse("* * * * *");
  CHECK_FALSE(every_minute.Next(At(2200, 1, 1, 0, 1)).ok());
  CHECK_FALSE(every_minute.Next(At(1899, 12, 31)).ok());
  CHECK_THAT(every_minute.Next(At(2201, 1, 1)).status().message(),
             Contains("outside the years 1900-2200"));
  CHECK(Iso(*every_minute.Next(At(1900, 1, 1))) == "1900-01-01T00:01:00Z");
  CHECK(Iso(*every_minute.Next(At(1969, 12, 31, 23, 59, 30))) == "1970-01-01T00:00:00Z");
}

TEST_CASE("cron: Matches looks at the minute containing the time", "[cron]") {
  CronSchedule schedule = MustParse("30 4 * * mon");
  CHECK(schedule.Matches(At(2024, 1, 1, 4, 30)));
  CHECK(schedule.Matches(At(2024, 1, 1, 4, 30, 59)));
  CHECK_FALSE(schedule.Matches(At(2024, 1, 1, 4, 31)));
  CHECK_FALSE(schedule.Matches(At(2024, 1, 2, 4, 30)));  // Tuesday
  CHECK(schedule.Matches(At(2024, 1, 1, 2, 30), 120min));
  CHECK_FALSE(schedule.Matches(At(2024, 1, 1, 4, 30), 120min));
}

TEST_CASE("cron: ToString normalises and round-trips", "[cron]") {
  CHECK(MustParse("  */15   0-23/6 1,15 JAN-Mar mon-fri ").ToString() ==
        "*/15 0-23/6 1,15 1-3 1-5");
  CHECK(MustParse("5/15 * * * *").ToString() == "5-59/15 * * * *");
  CHECK(MustParse("*/1 */1 */1 */1 */1").ToString() == "* * * * *");
  CHECK(MustParse("1-1 2-2/5 3 4 sun").ToString() == "1 2 3 4 0");
  CHECK(MustParse("0\t0\t*\t*\t*").ToString() == "0 0 * * *");
  CHECK(MustParse("0 0 * * 5-7,sun").ToString() == "0 0 * * 5-7,0");
  CHECK(MustParse("00 07 01 02 *").ToString() == "0 7 1 2 *");
  for (const char* spec :
       {"*/15 0-23/6 1,15 1-3 1-5", "0 0 */2 * 5", "0 0 13 * 5", "1,5-7,*/20 * * * *", "@weekly",
        "30 4 * * mon-sun", "0 0 *,1 * 5", "5/15 * * * *"}) {
    INFO(spec);
    CronSchedule parsed = MustParse(spec);
    CronSchedule again = MustParse(parsed.ToString());
    CHECK(again == parsed);
    CHECK(again.ToString() == parsed.ToString());
    // Same runs, including the day rule (which depends on a field starting with '*').
    CHECK(Runs(parsed.ToString(), At(2024, 1, 1), 5) == Runs(spec, At(2024, 1, 1), 5));
  }
}

TEST_CASE("cron: field count errors", "[cron]") {
  CHECK(ParseError("") == "cron '': expected 5 fields, got 0");
  CHECK(ParseError("   ") == "cron '   ': expected 5 fields, got 0");
  CHECK(ParseError("* * * *") == "cron '* * * *': expected 5 fields, got 4");
  CHECK(ParseError("* * * * * *") == "cron '* * * * * *': expected 5 fields, got 6");
  CHECK(ParseError("0 0 * * * /usr/bin/cleanup") ==
        "cron '0 0 * * * /usr/bin/cleanup': expected 5 fields, got 6");
  CHECK(ParseError("*****") == "cron '*****': expected 5 fields, got 1");
}

TEST_CASE("cron: values out of range name the field", "[cron]") {
  CHECK(ParseError("60 * * * *") == "cron '60 * * * *': minute: 60 is out of range 0-59");
  CHECK(ParseError("* 24 * * *") == "cron '* 24 * * *': hour: 24 is out of range 0-23");
  CHECK(ParseError("* * 0 * *") == "cron '* * 0 * *': day-of-month: 0 is out of range 1-31");
  CHECK(ParseError("* * 32 * *") == "cron '* * 32 * *': day-of-month: 32 is out of range 1-31");
  CHECK(ParseError("* * * 0 *") == "cron '* * * 0 *': month: 0 is out of range 1-12");
  CHECK(ParseError("* * * 13 *") == "cron '* * * 13 *': month: 13 is out of range 1-12");
  CHECK(ParseError("* * * * 8") == "cron '* * * * 8': day-of-week: 8 is out of range 0-7");
  CHECK(ParseError("0-60 * * * *") == "cron '0-60 * * * *': minute: 60 is out of range 0-59");
  CHECK(ParseError("1,99 * * * *") == "cron '1,99 * * * *': minute: 99 is out of range 0-59");
  CHECK(ParseError("99999999999 * * * *") ==
        "cron '99999999999 * * * *': minute: 99999999999 is out of range 0-59");
}

TEST_CASE("cron: reversed ranges and bad steps", "[cron]") {
  CHECK(ParseError("5-1 * * * *") == "cron '5-1 * * * *': minute: range '5-1' is reversed (5 > 1)");
  CHECK(ParseError("* * * dec-jan *") ==
        "cron '* * * dec-jan *': month: range 'dec-jan' is reversed (12 > 1)");
  CHECK(ParseError("* * * * fri-mon") ==
        "cron '* * * * fri-mon': day-of-week: range 'fri-mon' is reversed (5 > 1)");
  CHECK(ParseError("* * * * 6-0") ==
        "cron '* * * * 6-0': day-of-week: range '6-0' is reversed (6 > 0)");
  CHECK(ParseError("*/0 * * * *") ==
        "cron '*/0 * * * *': minute: step 0 in '*/0' must be at least 1");
  CHECK(ParseError("1-5/0 * * * *") ==
        "cron '1-5/0 * * * *': minute: step 0 in '1-5/0' must be at least 1");
  CHECK(ParseError("*/61 * * * *") ==
        "cron '*/61 * * * *': minute: step 61 in '*/61' is out of range 1-60");
  CHECK(ParseError("* */25 * * *") ==
        "cron '* */25 * * *': hour: step 25 in '*/25' is out of range 1-24");
  CHECK(ParseError("*/ * * * *") == "cron '*/ * * * *': minute: '*/' has no step after '/'");
  CHECK(ParseError("/5 * * * *") == "cron '/5 * * * *': minute: '/5' has nothing before '/'");
  CHECK(ParseError("*/x * * * *") ==
        "cron '*/x * * * *': minute: step 'x' in '*/x' is not a number");
  CHECK(ParseError("*/5x * * * *") ==
        "cron '*/5x * * * *': minute: step '5x' in '*/5x' is not a number");
  CHECK(ParseError("*/-1 * * * *") ==
        "cron '*/-1 * * * *': minute: step '-1' in '*/-1' is not a number");
  CHECK(ParseError("*/2/3 * * * *") ==
        "cron '*/2/3 * * * *': minute: step '2/3' in '*/2/3' is not a number");
}

TEST_CASE("cron: garbage and trailing junk", "[cron]") {
  CHECK(ParseError("x * * * *") == "cron 'x * * * *': minute: 'x' is not a number or name");
  CHECK(ParseError("5x * * * *") == "cron '5x * * * *': minute: '5x' is not a number or name");
  CHECK(ParseError("jan * * * *") == "cron 'jan * * * *': minute: 'jan' is not a number or name");
  CHECK(ParseError("* * * foo *") == "cron '* * * foo *': month: 'foo' is not a number or name");
  CHECK(ParseError("* * * * monday") ==
        "cron '* * * * monday': day-of-week: 'monday' is not a number or name");
  CHECK(ParseError("* * * * jan") ==
        "cron '* * * * jan': day-of-week: 'jan' is not a number or name");
  CHECK(ParseError("* * ? * *") == "cron '* * ? * *': day-of-month: '?' is not a number or name");
  CHECK(ParseError("* * L * *") == "cron '* * L * *': day-of-month: 'L' is not a number or name");
  CHECK(ParseError("* * * * 5#2") ==
        "cron '* * * * 5#2': day-of-week: '5#2' is not a number or name");
  CHECK(ParseError("*x * * * *") == "cron '*x * * * *': minute: '*x' is not a number or name");
  CHECK(ParseError("1- * * * *") == "cron '1- * * * *': minute: range '1-' is missing a bound");
  CHECK(ParseError("-1 * * * *") == "cron '-1 * * * *': minute: range '-1' is missing a bound");
  CHECK(ParseError("1-2-3 * * * *") ==
        "cron '1-2-3 * * * *': minute: '2-3' is not a number or name");
  CHECK(ParseError("1,,2 * * * *") == "cron '1,,2 * * * *': minute: empty list element in '1,,2'");
  CHECK(ParseError("1, * * * *") == "cron '1, * * * *': minute: empty list element in '1,'");
  CHECK(ParseError(",1 * * * *") == "cron ',1 * * * *': minute: empty list element in ',1'");
  CHECK(ParseError("+5 * * * *") == "cron '+5 * * * *': minute: '+5' is not a number or name");
  CHECK(ParseError("1.5 * * * *") == "cron '1.5 * * * *': minute: '1.5' is not a number or name");
}

TEST_CASE("cron: bad macros", "[cron]") {
  CHECK(ParseError("@reboot") ==
        "cron '@reboot': @reboot is not supported (Orcastra schedules only by time)");
  CHECK(ParseError("@fortnightly") ==
        "cron '@fortnightly': unknown macro '@fortnightly' (known: @yearly @annually @monthly "
        "@weekly @daily @midnight @hourly)");
  CHECK(ParseError("@") ==
        "cron '@': unknown macro '@' (known: @yearly @annually @monthly "
        "@weekly @daily @midnight @hourly)");
  CHECK(ParseError("@daily now") == "cron '@daily now': unexpected 'now' after '@daily'");
  CHECK(ParseError("0 0 * * @daily") ==
        "cron '0 0 * * @daily': day-of-week: '@daily' is not a number or name");
}

}  // namespace
}  // namespace orcastra
