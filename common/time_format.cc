#include "common/time_format.h"

#include <cctype>
#include <chrono>
#include <ctime>

namespace orcastra {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool ReadNumber(std::string_view text, std::size_t& pos, int digits, int& out) {
  if (pos + static_cast<std::size_t>(digits) > text.size()) return false;
  out = 0;
  for (int i = 0; i < digits; ++i) {
    char c = text[pos++];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || (text[pos] != c && std::tolower(text[pos]) != std::tolower(c)))
    return false;
  ++pos;
  return true;
}

}  // namespace

Result<std::optional<WallTime>> ParseRfc3339(std::string_view text) {
  auto bad = [&] {
    return Status::ParseError("'" + std::string(text) + "' is not an RFC 3339 time");
  };
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadNumber(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadNumber(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadNumber(text, pos, 2, day) || !Expect(text, pos, 'T') ||
      !ReadNumber(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadNumber(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadNumber(text, pos, 2, second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos++] == '-' ? -1 : 1;
    int oh, om;
    if (!ReadNumber(text, pos, 2, oh) || !Expect(text, pos, ':') || !ReadNumber(text, pos, 2, om)) {
      return bad();
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  if (year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0 &&
      nanos == 0) {
    return std::optional<WallTime>();  // Docker's "never"
  }
  // system_clock counts nanoseconds in 64 bits (years 1678 to 2261): a time outside that would
  // overflow. No Docker timestamp is outside 1900-2200 (other than "never" above). A day the month
  // does not have (Feb 30) is refused rather than rolled into the next month.
  if (year < 1900 || year > 2200) {
    return Status::ParseError("'" + std::string(text) + "' is outside the years 1900-2200");
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return bad();
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t seconds = timegm(&tm) - offset_seconds;
  return std::optional<WallTime>(std::chrono::time_point_cast<WallTime::duration>(
      std::chrono::system_clock::from_time_t(seconds) + std::chrono::nanoseconds(nanos)));
}

namespace {

std::string TwoDigits(long long value) {
  std::string out = std::to_string(value);
  if (out.size() < 2) out.insert(0, "0");
  return out;
}

std::string OffsetSuffix(std::chrono::minutes offset) {
  if (offset.count() == 0) return " UTC";
  long long total = offset.count();
  std::string out = total < 0 ? " UTC-" : " UTC+";
  if (total < 0) total = -total;
  return out + TwoDigits(total / 60) + ":" + TwoDigits(total % 60);
}

}  // namespace

CivilTime ToCivil(WallTime t, std::chrono::minutes utc_offset) {
  using namespace std::chrono;
  auto local = floor<seconds>(t) + utc_offset;
  CivilTime c;
  c.day = floor<days>(local);
  year_month_day ymd{c.day};
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<unsigned>(ymd.month());
  c.day_of_month = static_cast<unsigned>(ymd.day());
  c.weekday = weekday{c.day}.c_encoding();
  long long second_of_day = (local - c.day).count();
  c.hour = second_of_day / 3600;
  c.minute = second_of_day / 60 % 60;
  c.second = second_of_day % 60;
  return c;
}

std::string FormatCivil(WallTime t, std::chrono::minutes utc_offset) {
  CivilTime c = ToCivil(t, utc_offset);
  return std::to_string(c.year) + "-" + TwoDigits(c.month) + "-" + TwoDigits(c.day_of_month) + " " +
         TwoDigits(c.hour) + ":" + TwoDigits(c.minute) + ":" + TwoDigits(c.second) +
         OffsetSuffix(utc_offset);
}

}  // namespace orcastra
