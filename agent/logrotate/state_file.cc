#include "agent/logrotate/state_file.h"

#include <algorithm>
#include <set>
#include <utility>
#include <variant>

#include "agent/logrotate/path_glob.h"
#include "common/strings.h"

namespace orcastra::agent {
namespace {

using std::chrono::minutes;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ---------------------------------------------------------------------------------------------
// State file

std::string EscapePath(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Parses "Y-M-D-h:m:s" or "Y-M-D" into a time at `offset`, or returns an error message.
std::variant<WallTime, std::string> ParseStateTime(std::string_view text, minutes offset) {
  auto bad = [&]() { return std::string("date ") + Quote(text) + " is not Y-M-D-h:m:s"; };
  long long fields[6] = {0, 0, 0, 0, 0, 0};
  std::size_t count = 0;
  std::size_t i = 0;
  while (count < 6) {
    std::size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    std::string_view digits = text.substr(start, i - start);
    if (digits.empty() || digits.size() > 4) return bad();
    fields[count++] = static_cast<long long>(*ParseDecimal(digits));
    if (i == text.size()) break;
    char expected = count < 3 ? '-' : (count == 3 ? '-' : ':');
    if (count >= 6 || text[i] != expected) return bad();
    ++i;
    if (i == text.size()) return bad();
  }
  if (count != 3 && count != 6) return bad();
  using namespace std::chrono;
  year_month_day ymd{year{static_cast<int>(fields[0])}, month{static_cast<unsigned>(fields[1])},
                     day{static_cast<unsigned>(fields[2])}};
  if (!ymd.ok()) return std::string("date ") + Quote(text) + " is not a valid date";
  if (fields[0] < 1900 || fields[0] > 2200) {
    return std::string("date ") + Quote(text) + " is outside the years 1900-2200";
  }
  if (fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    return std::string("date ") + Quote(text) + " is not a valid time of day";
  }
  auto local = sys_days(ymd) + hours(fields[3]) + minutes(fields[4]) + seconds(fields[5]);
  return WallTime(local - offset);
}

}  // namespace

std::size_t PruneRotationState(RotationState& state, const std::vector<std::string>& patterns,
                               const std::function<bool(const std::string&)>& exists,
                               std::size_t max_entries) {
  const std::size_t before = state.last_rotated.size();
  std::set<std::string_view> literal;
  std::vector<std::string_view> globs;
  for (const std::string& pattern : patterns) {
    if (HasGlobMeta(pattern)) {
      globs.push_back(pattern);
    } else {
      literal.insert(pattern);
    }
  }
  std::erase_if(state.last_rotated, [&](const auto& entry) {
    const std::string& path = entry.first;
    if (literal.contains(path)) return false;
    const bool matched = std::any_of(globs.begin(), globs.end(),
                                     [&](std::string_view glob) { return GlobMatch(glob, path); });
    return !matched || !exists(path);
  });
  if (state.last_rotated.size() > max_entries) {
    std::vector<std::pair<WallTime, std::string>> by_age;
    by_age.reserve(state.last_rotated.size());
    for (const auto& [path, when] : state.last_rotated) by_age.emplace_back(when, path);
    const std::size_t excess = state.last_rotated.size() - max_entries;
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(excess),
                     by_age.end());
    for (std::size_t i = 0; i < excess; ++i) state.last_rotated.erase(by_age[i].second);
  }
  return before - state.last_rotated.size();
}

StateEntry RotationState::Lookup(const std::string& path) const {
  auto it = last_rotated.find(path);
  if (it == last_rotated.end()) return {};
  return StateEntry{it->second};
}

Result<RotationState> ParseStateFile(std::string_view text, std::string_view source,
                                     minutes utc_offset) {
  RotationState state;
  auto error = [&](int line, const std::string& message) {
    return Status::ParseError(std::string(source) + ":" + std::to_string(line) + ": " + message);
  };
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return state;
  int line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (line_number == 1) {
      if (line != kStateFileHeader) {
        return error(1, "expected " + Quote(kStateFileHeader) + ", got " + Quote(line));
      }
      continue;
    }
    if (line.empty()) continue;

    std::string path;
    std::size_t i = 0;
    if (line.front() == '"') {
      bool closed = false;
      for (i = 1; i < line.size(); ++i) {
        char c = line[i];
        if (c == '\\' && i + 1 < line.size()) {
          char next = line[++i];
          path += next == 'n' ? '\n' : next;
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          path += c;
        }
      }
      if (!closed) return error(line_number, "unterminated quoted path");
    } else {
      while (i < line.size() && !IsSpace(line[i])) path += line[i++];
    }
    if (path.empty()) return error(line_number, "empty path");
    if (i >= line.size() || !IsSpace(line[i])) {
      return error(line_number, "expected a space and a date after the path " + Quote(path));
    }
    std::string_view rest = Trim(line.substr(i));
    std::size_t space = 0;
    while (space < rest.size() && !IsSpace(rest[space])) ++space;
    if (space < rest.size()) {
      return error(line_number,
                   "unexpected " + Quote(Trim(rest.substr(space))) + " after the date");
    }
    auto parsed = ParseStateTime(rest, utc_offset);
    if (const std::string* message = std::get_if<std::string>(&parsed)) {
      return error(line_number, *message);
    }
    state.last_rotated[path] = std::get<WallTime>(parsed);
  }
  return state;
}

std::string SerializeStateFile(const RotationState& state, minutes utc_offset) {
  std::string out(kStateFileHeader);
  out += "\n";
  for (const auto& [path, when] : state.last_rotated) {
    CivilTime c = ToCivil(when, utc_offset);
    out += "\"" + EscapePath(path) + "\" " + std::to_string(c.year) + "-" +
           std::to_string(c.month) + "-" + std::to_string(c.day_of_month) + "-" +
           std::to_string(c.hour) + ":" + std::to_string(c.minute) + ":" +
           std::to_string(c.second) + "\n";
  }
  return out;
}

}  // namespace orcastra::agent
