#include "common/cron.h"

#include <array>
#include <optional>
#include <vector>

namespace orcastra {
namespace {

using std::chrono::days;
using std::chrono::minutes;

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

// What one of the five fields accepts.
struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // nullptr when the field takes no names
  int name_count;
  int first_name_value;  // the value of names[0]
  bool is_day_of_week;
};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, nullptr, 0, 0, false},
    {"hour", 0, 23, nullptr, 0, 0, false},
    {"day-of-month", 1, 31, nullptr, 0, 0, false},
    {"month", 1, 12, kMonthNames.data(), 12, 1, false},
    {"day-of-week", 0, 7, kDayNames.data(), 7, 0, true},
};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};

constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Quote(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    std::size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (IsSpace(text.front()) || text.front() == '\n' || text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (IsSpace(text.back()) || text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Parses a decimal number of at most 9 digits; nullopt for anything else (empty, signs, letters).
std::optional<int> ParseSmallNumber(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

std::string OutOfRange(std::string_view value_text, const FieldSpec& field) {
  std::string msg(value_text);
  msg += " is out of range " + std::to_string(field.min) + "-" + std::to_string(field.max);
  return msg;
}

// One value of a field: a number in range or a name. `range_end` makes `sun` mean 7.
Result<int> ParseValue(std::string_view text, const FieldSpec& field, bool range_end) {
  if (AllDigits(text)) {
    std::optional<int> number = ParseSmallNumber(text);
    if (!number || *number < field.min || *number > field.max) {
      return Status::InvalidArgument(OutOfRange(text, field));
    }
    return *number;
  }
  bool alpha = !text.empty();
  for (char c : text) alpha = alpha && IsAlpha(c);
  if (alpha && field.names != nullptr && text.size() == 3) {
    for (int i = 0; i < field.name_count; ++i) {
      std::string_view name = field.names[i];
      if (Lower(text[0]) == name[0] && Lower(text[1]) == name[1] && Lower(text[2]) == name[2]) {
        int value = field.first_name_value + i;
        if (range_end && field.is_day_of_week && value == 0) value = 7;
        return value;
      }
    }
  }
  return Status::InvalidArgument(Quote(text) + " is not a number or name");
}

// The values one element selects, plus its normalised text.
struct Element {
  int low = 0;
  int high = 0;
  int step = 1;
  std::string canonical;
};

Result<Element> ParseElement(std::string_view text, const FieldSpec& field) {
  if (text.empty()) return Status::InvalidArgument("empty list element");
  std::string_view base = text;
  std::optional<int> step;
  std::size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    base = text.substr(0, slash);
    std::string_view step_text = text.substr(slash + 1);
    const int span = field.max - field.min + 1;
    if (step_text.empty()) {
      return Status::InvalidArgument(Quote(text) + " has no step after '/'");
    }
    if (!AllDigits(step_text)) {
      return Status::InvalidArgument("step " + Quote(step_text) + " in " + Quote(text) +
                                     " is not a number");
    }
    std::optional<int> number = ParseSmallNumber(step_text);
    if (number && *number == 0) {
      return Status::InvalidArgument("step 0 in " + Quote(text) + " must be at least 1");
    }
    if (!number || *number > span) {
      return Status::InvalidArgument("step " + std::string(step_text) + " in " + Quote(text) +
                                     " is out of range 1-" + std::to_string(span));
    }
    step = *number;
    if (base.empty()) {
      return Status::InvalidArgument(Quote(text) + " has nothing before '/'");
    }
  }

  Element element;
  element.step = step.value_or(1);
  if (base == "*") {
    element.low = field.min;
    element.high = field.max;
    element.canonical = element.step == 1 ? "*" : "*/" + std::to_string(element.step);
    return element;
  }

  std::size_t dash = base.find('-');
  if (dash == std::string_view::npos) {
    Result<int> value = ParseValue(base, field, /*range_end=*/false);
    if (!value.ok()) return value.status();
    element.low = *value;
    // `A/S` runs from A to the end of the field.
    element.high = step ? field.max : *value;
  } else {
    std::string_view low_text = base.substr(0, dash);
    std::string_view high_text = base.substr(dash + 1);
    if (low_text.empty() || high_text.empty()) {
      return Status::InvalidArgument("range " + Quote(base) + " is missing a bound");
    }
    Result<int> low = ParseValue(low_text, field, /*range_end=*/false);
    if (!low.ok()) return low.status();
    Result<int> high = ParseValue(high_text, field, /*range_end=*/true);
    if (!high.ok()) return high.status();
    if (*low > *high) {
      return Status::InvalidArgument("range " + Quote(base) + " is reversed (" +
                                     std::to_string(*low) + " > " + std::to_string(*high) + ")");
    }
    element.low = *low;
    element.high = *high;
  }

  if (element.low == element.high) {
    int value = element.low;
    if (field.is_day_of_week && value == 7) value = 0;
    element.canonical = std::to_string(value);
  } else {
    element.canonical = std::to_string(element.low) + "-" + std::to_string(element.high);
    if (element.step != 1) element.canonical += "/" + std::to_string(element.step);
  }
  return element;
}

// A field's bit mask, its normalised text and whether it starts with '*'.
struct Field {
  std::uint64_t mask = 0;
  std::string canonical;
  bool star = false;
};

Result<Field> ParseField(std::string_view text, const FieldSpec& spec) {
  Field field;
  field.star = !text.empty() && text.front() == '*';
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view element_text = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (element_text.empty()) {
      return Status::InvalidArgument(std::string(spec.name) + ": empty list element in " +
                                     Quote(text));
    }
    Result<Element> element = ParseElement(element_text, spec);
    if (!element.ok()) {
      return Status::InvalidArgument(std::string(spec.name) + ": " + element.status().message());
    }
    for (int v = element->low; v <= element->high; v += element->step) {
      int bit = (spec.is_day_of_week && v == 7) ? 0 : v;
      field.mask |= std::uint64_t{1} << bit;
    }
    if (!field.canonical.empty()) field.canonical += ",";
    field.canonical += element->canonical;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return field;
}

bool Has(std::uint64_t mask, int bit) { return (mask >> bit) & 1U; }

std::string TwoDigits(int value) {
  std::string out = std::to_string(value);
  if (out.size() < 2) out.insert(0, "0");
  return out;
}

// "2024-02-29 13:05 UTC" or "... UTC+02:00".
std::string FormatTime(CronSchedule::TimePoint t, minutes offset) {
  auto local = std::chrono::floor<minutes>(t) + offset;
  auto day = std::chrono::floor<days>(local);
  std::chrono::year_month_day ymd{day};
  auto minute_of_day = (local - day).count();
  std::string out = std::to_string(static_cast<int>(ymd.year())) + "-" +
                    TwoDigits(static_cast<int>(static_cast<unsigned>(ymd.month()))) + "-" +
                    TwoDigits(static_cast<int>(static_cast<unsigned>(ymd.day()))) + " " +
                    TwoDigits(static_cast<int>(minute_of_day / 60)) + ":" +
                    TwoDigits(static_cast<int>(minute_of_day % 60)) + " UTC";
  if (offset.count() != 0) {
    long long total = offset.count();
    out += total < 0 ? "-" : "+";
    if (total < 0) total = -total;
    out += TwoDigits(static_cast<int>(total / 60)) + ":" + TwoDigits(static_cast<int>(total % 60));
  }
  return out;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  const std::string prefix = "cron " + Quote(spec) + ": ";
  std::string_view text = Trim(spec);
  std::string expanded;
  if (!text.empty() && text.front() == '@') {
    std::vector<std::string_view> words = SplitFields(text);
    std::string name;
    for (char c : words[0]) name += Lower(c);
    if (name == "@reboot") {
      return Status::InvalidArgument(prefix +
                                     "@reboot is not supported (Orcastra schedules only by time)");
    }
    const Macro* macro = nullptr;
    for (const Macro& m : kMacros) {
      if (m.name == name) macro = &m;
    }
    if (macro == nullptr) {
      return Status::InvalidArgument(
          prefix + "unknown macro " + Quote(words[0]) +
          " (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)");
    }
    if (words.size() > 1) {
      return Status::InvalidArgument(prefix + "unexpected " + Quote(words[1]) + " after " +
                                     Quote(words[0]));
    }
    expanded = std::string(macro->expansion);
    text = expanded;
  }

  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 5) {
    return Status::InvalidArgument(prefix + "expected 5 fields, got " +
                                   std::to_string(fields.size()));
  }

  CronSchedule schedule;
  std::uint64_t* masks[5] = {&schedule.minutes_, &schedule.hours_, &schedule.days_of_month_,
                             &schedule.months_, &schedule.days_of_week_};
  for (int i = 0; i < 5; ++i) {
    Result<Field> field = ParseField(fields[i], kFields[i]);
    if (!field.ok()) return Status::InvalidArgument(prefix + field.status().message());
    *masks[i] = field->mask;
    if (i == 2) schedule.day_of_month_star_ = field->star;
    if (i == 4) schedule.day_of_week_star_ = field->star;
    if (!schedule.canonical_.empty()) schedule.canonical_ += " ";
    schedule.canonical_ += field->canonical;
  }
  return schedule;
}

bool CronSchedule::DayMatches(int day_of_month, unsigned month, unsigned day_of_week) const {
  if (!Has(months_, static_cast<int>(month))) return false;
  bool dom = Has(days_of_month_, day_of_month);
  bool dow = Has(days_of_week_, static_cast<int>(day_of_week));
  if (day_of_month_star_ || day_of_week_star_) return dom && dow;
  return dom || dow;
}

bool CronSchedule::Matches(TimePoint t, minutes utc_offset) const {
  auto local = std::chrono::floor<minutes>(t) + utc_offset;
  auto day = std::chrono::floor<days>(local);
  std::chrono::year_month_day ymd{day};
  std::chrono::weekday weekday{day};
  auto minute_of_day = (local - day).count();
  return DayMatches(static_cast<int>(static_cast<unsigned>(ymd.day())),
                    static_cast<unsigned>(ymd.month()), weekday.c_encoding()) &&
         Has(hours_, static_cast<int>(minute_of_day / 60)) &&
         Has(minutes_, static_cast<int>(minute_of_day % 60));
}

Result<CronSchedule::TimePoint> CronSchedule::Next(TimePoint after, minutes utc_offset) const {
  using namespace std::chrono;
  if (utc_offset > kMaxUtcOffset || utc_offset < -kMaxUtcOffset) {
    return Status::InvalidArgument("cron " + Quote(canonical_) + ": UTC offset of " +
                                   std::to_string(utc_offset.count()) +
                                   " minutes is out of range -1080 to 1080");
  }
  constexpr sys_days kEarliest{year{1900} / January / 1};
  constexpr sys_days kLatest{year{2200} / January / 1};
  if (after < kEarliest || after > kLatest) {
    return Status::InvalidArgument("cron " + Quote(canonical_) +
                                   ": start time is outside the years 1900-2200");
  }

  // The first whole minute strictly after `after`, as civil time at the offset.
  auto local = floor<minutes>(after) + minutes(1) + utc_offset;
  sys_days day = floor<days>(local);
  auto start_minute = (local - day).count();
  for (int i = 0; i <= kMaxSearchDays; ++i, day += days(1)) {
    year_month_day ymd{day};
    weekday wd{day};
    if (!DayMatches(static_cast<int>(static_cast<unsigned>(ymd.day())),
                    static_cast<unsigned>(ymd.month()), wd.c_encoding())) {
      continue;
    }
    int first = i == 0 ? static_cast<int>(start_minute) : 0;
    for (int h = first / 60; h < 24; ++h) {
      if (!Has(hours_, h)) continue;
      for (int m = (h == first / 60 ? first % 60 : 0); m < 60; ++m) {
        if (Has(minutes_, m)) {
          return TimePoint(day + hours(h) + minutes(m) - utc_offset);
        }
      }
    }
  }
  return Status::NotFound("cron " + Quote(canonical_) + ": no matching time within " +
                          std::to_string(kMaxSearchDays) + " days after " +
                          FormatTime(after, utc_offset) + "; the schedule can never run");
}

}  // namespace orcastra
