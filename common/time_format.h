// Time as text: Docker's timestamps: RFC 3339 with up to nanoseconds
// ("2026-11-22T04:09:31.374123456Z", or with a numeric offset). Docker writes
// "0001-01-01T00:00:00Z" for "never", which parses to nullopt.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace orcastra {

using WallTime = std::chrono::system_clock::time_point;

// The time, nullopt for Docker's zero time, or ParseError naming the text (also for a day the
// month does not have and for a year outside 1900-2200, which system_clock could not hold).
Result<std::optional<WallTime>> ParseRfc3339(std::string_view text);

// The calendar fields of a wall time read at a fixed offset from UTC (seconds truncated).
struct CivilTime {
  std::chrono::sys_days day;
  int year = 0;
  unsigned month = 0;
  unsigned day_of_month = 0;
  unsigned weekday = 0;  // 0 = Sunday
  long long hour = 0;
  long long minute = 0;
  long long second = 0;
};
CivilTime ToCivil(WallTime t, std::chrono::minutes utc_offset);

// "2024-03-01 10:00:00 UTC" (or "... UTC+02:00") at `utc_offset`, for messages.
std::string FormatCivil(WallTime t, std::chrono::minutes utc_offset);

}  // namespace orcastra
