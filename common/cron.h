// Cron schedules: the standard 5-field crontab(5) expression, read the way Vixie cron and cronie
// read it, for GC_CRON and any other periodic chore of the agent.
//
// Grammar (one line, fields separated by spaces or tabs):
//   schedule := macro | minute hour day-of-month month day-of-week
//   field    := element ("," element)*
//   element  := "*" ["/" step] | value ["-" value] ["/" step]
//   value    := decimal number | name (jan..dec in month, sun..sat in day-of-week, any case)
// Ranges are minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-7 (0 and 7 are
// both Sunday; `sun` as the end of a range means 7, so `mon-sun` works). `A/S` means `A-max/S`.
// A step must be between 1 and the size of the field. Macros: @yearly @annually @monthly @weekly
// @daily @midnight @hourly (@reboot is refused: Orcastra schedules only by time).
//
// Day rule (Vixie): when both day fields are restricted, that is neither starts with `*`, a day
// matches when either field matches; otherwise it must match both. So `0 0 1,15 * fri` runs on the
// 1st, the 15th and every Friday, while `0 0 */2 * fri` runs on odd-numbered Fridays only.
//
// Matching is done on the civil time at a fixed UTC offset (UTC by default). There are no time
// zone or daylight saving rules: a caller that wants local time passes its current offset.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace orcastra {

// A parsed cron schedule. Immutable after Parse(); cheap to copy; safe to share between threads.
class CronSchedule {
 public:
  // Wall-clock instants, as the caller's clock gives them.
  using TimePoint = std::chrono::system_clock::time_point;

  // Next() looks at most this many days ahead (9 years). The longest gap of a satisfiable schedule
  // is Feb 29 across a century year that is not a leap year (2096-02-29 to 2104-02-29, 8 years);
  // anything not found within the window can never run, such as `0 0 31 2 *`.
  static constexpr int kMaxSearchDays = 9 * 366;

  // Offsets accepted by Next() and Matches(): -18:00 to +18:00.
  static constexpr std::chrono::minutes kMaxUtcOffset{18 * 60};

  // Parses `spec` (surrounding whitespace ignored). On failure returns InvalidArgument whose
  // message quotes the whole expression, names the field and the offending text, as in
  // "cron 'x * * * *': minute: 'x' is not a number or name". Never throws.
  static Result<CronSchedule> Parse(std::string_view spec);

  // The first whole minute strictly after `after` that matches, read as civil time at
  // `utc_offset`. NotFound when nothing matches within kMaxSearchDays (the schedule can never
  // run); InvalidArgument when the offset is out of range or `after` is outside 1900-2200.
  Result<TimePoint> Next(TimePoint after,
                         std::chrono::minutes utc_offset = std::chrono::minutes(0)) const;

  // True when the minute containing `t` (civil time at `utc_offset`) matches the schedule.
  bool Matches(TimePoint t, std::chrono::minutes utc_offset = std::chrono::minutes(0)) const;

  // The normalised expression: macros expanded to five fields, names and `7` as numbers, `A/S`
  // as `A-max/S`, one space between fields. Parse(ToString()) gives an equal schedule.
  const std::string& ToString() const { return canonical_; }

  // Two schedules are equal when their normalised expressions are.
  bool operator==(const CronSchedule& other) const { return canonical_ == other.canonical_; }

 private:
  CronSchedule() = default;

  bool DayMatches(int day_of_month, unsigned month, unsigned day_of_week) const;

  // Bit i set when value i matches. Day-of-week is folded onto 0-6 (7 becomes 0).
  std::uint64_t minutes_ = 0;
  std::uint64_t hours_ = 0;
  std::uint64_t days_of_month_ = 0;
  std::uint64_t months_ = 0;
  std::uint64_t days_of_week_ = 0;
  bool day_of_month_star_ = false;  // the field started with '*' (Vixie's DOM_STAR)
  bool day_of_week_star_ = false;   // the field started with '*' (Vixie's DOW_STAR)
  std::string canonical_;
};

}  // namespace orcastra
