#include "common/procfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <system_error>
#include <utility>

#include "common/files.h"

namespace orcastra::procfs {

namespace detail {

std::string Where(std::string_view source, std::size_t line) {
  std::string out(source);
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  return out;
}

std::string Quote(std::string_view s) {
  constexpr std::size_t kMaxShown = 40;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (s.size() > kMaxShown) out += "...";
  out += '\'';
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

Status CheckComplete(std::string_view text, std::string_view source) {
  if (text.empty()) return Status::ParseError(Where(source, 0) + ": empty file");
  if (text.back() != '\n') {
    const std::size_t line = SplitLines(text).size();
    return Status::ParseError(Where(source, line) + ": truncated line (no newline at end of file)");
  }
  return Status::Ok();
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

Result<std::uint64_t> ParseU64(std::string_view token) {
  bool digits_only = !token.empty();
  for (char c : token) digits_only = digits_only && c >= '0' && c <= '9';
  if (!digits_only) return Status::ParseError("value " + Quote(token) + " is not a decimal number");
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Status::ParseError("value " + Quote(token) + " overflows 64 bits");
  }
  if (ec != std::errc() || ptr != token.data() + token.size()) {
    return Status::ParseError("value " + Quote(token) + " is not a decimal number");
  }
  return value;
}

Result<double> ParseDecimal(std::string_view token) {
  std::size_t digits = 0;
  std::size_t dots = 0;
  for (char c : token) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.') {
      ++dots;
    } else {
      digits = 0;
      break;
    }
  }
  if (digits == 0 || dots > 1 || token.front() == '.' || token.back() == '.') {
    return Status::ParseError("value " + Quote(token) + " is not a decimal number");
  }
  double value = 0;
  const auto [ptr, ec] =
      std::from_chars(token.data(), token.data() + token.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || ptr != token.data() + token.size() || !std::isfinite(value)) {
    return Status::ParseError("value " + Quote(token) + " is not a decimal number");
  }
  return value;
}

}  // namespace detail

namespace {

using detail::CheckComplete;
using detail::ParseDecimal;
using detail::ParseU64;
using detail::Quote;
using detail::SplitFields;
using detail::SplitLines;
using detail::Where;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status ReadError(const std::string& path, std::string_view what, int err) {
  std::string msg = path + ": " + std::string(what) + ": " + ErrnoText(err);
  if (err == ENOENT || err == ENOTDIR) return Status::NotFound(std::move(msg));
  if (err == EOPNOTSUPP) return Status::Unsupported(std::move(msg));
  return Status::IoError(std::move(msg));
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// a + b, saturating at the largest value instead of wrapping (inputs may be hostile).
std::uint64_t Sum(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ReadError(path, "cannot open", errno);
  UniqueFd closer(fd);

  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(path, "cannot read", errno);
    }
    if (n == 0) break;
    if (static_cast<std::size_t>(n) > max_bytes - out.size()) {
      return Status::IoError(path + ": file is larger than " + std::to_string(max_bytes) +
                             " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// ---- meminfo ----

Result<MemInfo> ParseMemInfo(std::string_view text, std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(text, source));

  struct Field {
    std::string_view key;
    std::uint64_t MemInfo::*member;
    bool required;
    bool seen = false;
  };
  MemInfo info;
  Field fields[] = {
      {"MemTotal", &MemInfo::total_bytes, true},
      {"MemFree", &MemInfo::free_bytes, true},
      {"MemAvailable", &MemInfo::available_bytes, false},
      {"Buffers", &MemInfo::buffers_bytes, false},
      {"Cached", &MemInfo::cached_bytes, false},
      {"SwapTotal", &MemInfo::swap_total_bytes, false},
      {"SwapFree", &MemInfo::swap_free_bytes, false},
  };
  constexpr std::uint64_t kMaxKb = std::numeric_limits<std::uint64_t>::max() / 1024;

  const std::vector<std::string_view> lines = SplitLines(text);
  std::vector<std::string_view> keys_seen;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = Where(source, i + 1);
    const std::string_view line = lines[i];
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Status::ParseError(where + ": line " + Quote(line) + " has no colon");
    }
    const std::string_view key = line.substr(0, colon);
    bool key_ok = !key.empty();
    for (char c : key) key_ok = key_ok && c > ' ' && c < 0x7f;
    if (!key_ok) {
      return Status::ParseError(where + ": bad field name " + Quote(key));
    }
    const std::string field_name = "field " + Quote(key);
    for (std::string_view seen : keys_seen) {
      if (seen == key) return Status::ParseError(where + ": " + field_name + " appears twice");
    }
    keys_seen.push_back(key);

    const std::vector<std::string_view> rest = SplitFields(line.substr(colon + 1));
    if (rest.empty()) return Status::ParseError(where + ": " + field_name + " has no number");
    if (rest.size() > 2) {
      return Status::ParseError(where + ": " + field_name + " has extra text " + Quote(rest[2]));
    }
    Result<std::uint64_t> value = ParseU64(rest[0]);
    if (!value.ok()) return value.status().WithContext(where + ": " + field_name);
    const bool in_kb = rest.size() == 2;
    if (in_kb && rest[1] != "kB") {
      return Status::ParseError(where + ": " + field_name + " has unknown unit " + Quote(rest[1]));
    }

    for (Field& field : fields) {
      if (field.key != key) continue;
      if (!in_kb) {
        return Status::ParseError(where + ": " + field_name + " has no 'kB' unit");
      }
      if (*value > kMaxKb) {
        return Status::ParseError(where + ": " + field_name + " value " + Quote(rest[0]) +
                                  " kB overflows 64 bits in bytes");
      }
      info.*field.member = *value * 1024;
      field.seen = true;
    }
  }

  for (const Field& field : fields) {
    if (field.required && !field.seen) {
      return Status::ParseError(Where(source, 0) + ": required field '" + std::string(field.key) +
                                "' is missing");
    }
  }
  if (!fields[2].seen) {
    info.available_bytes = Sum(Sum(info.free_bytes, info.buffers_bytes), info.cached_bytes);
    info.available_estimated = true;
  }
  return info;
}

// ---- loadavg ----

Result<LoadAvg> ParseLoadAvg(std::string_view text, std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(text, source));
  const std::vector<std::string_view> lines = SplitLines(text);
  const std::string where = Where(source, 1);
  if (lines.size() != 1) {
    return Status::ParseError(Where(source, 2) + ": expected one line, got " +
                              std::to_string(lines.size()));
  }
  const std::vector<std::string_view> fields = SplitFields(lines[0]);
  if (fields.size() != 5) {
    return Status::ParseError(where + ": expected 5 fields, got " + std::to_string(fields.size()));
  }

  LoadAvg load;
  double* const avgs[] = {&load.avg1, &load.avg5, &load.avg15};
  static constexpr std::string_view kAvgNames[] = {"1-minute", "5-minute", "15-minute"};
  for (std::size_t i = 0; i < 3; ++i) {
    Result<double> avg = ParseDecimal(fields[i]);
    if (!avg.ok()) {
      return avg.status().WithContext(where + ": " + std::string(kAvgNames[i]) + " average");
    }
    if (*avg > kMaxLoadAverage) {
      return Status::ParseError(where + ": " + std::string(kAvgNames[i]) + " average " +
                                Quote(fields[i]) + " is above pid_max (2^22)");
    }
    *avgs[i] = *avg;
  }

  const std::string_view entities = fields[3];
  const std::size_t slash = entities.find('/');
  if (slash == std::string_view::npos) {
    return Status::ParseError(where + ": field 4 " + Quote(entities) + " is not 'runnable/total'");
  }
  Result<std::uint64_t> runnable = ParseU64(entities.substr(0, slash));
  if (!runnable.ok()) return runnable.status().WithContext(where + ": runnable count");
  Result<std::uint64_t> total = ParseU64(entities.substr(slash + 1));
  if (!total.ok()) return total.status().WithContext(where + ": total count");
  constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  if (*runnable > kMax32 || *total > kMax32) {
    return Status::ParseError(where + ": field 4 " + Quote(entities) + " overflows 32 bits");
  }
  if (*runnable > *total) {
    return Status::ParseError(where + ": runnable count exceeds total in " + Quote(entities));
  }
  load.runnable = static_cast<std::uint32_t>(*runnable);
  load.total = static_cast<std::uint32_t>(*total);

  Result<std::uint64_t> last_pid = ParseU64(fields[4]);
  if (!last_pid.ok()) return last_pid.status().WithContext(where + ": last pid");
  return load;
}

// ---- stat ----

std::uint64_t CpuTimes::Total() const {
  std::uint64_t sum = 0;
  for (std::uint64_t v : {user, nice, system, idle, iowait, irq, softirq, steal}) sum = Sum(sum, v);
  return sum;
}

std::uint64_t CpuTimes::Idle() const { return Sum(idle, iowait); }

Result<CpuTimes> ParseStatCpu(std::string_view text, std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(text, source));
  const std::vector<std::string_view> lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::vector<std::string_view> fields = SplitFields(lines[i]);
    if (fields.empty() || fields[0] != "cpu") continue;
    const std::string where = Where(source, i + 1);
    const std::size_t columns = fields.size() - 1;
    if (columns < 4) {
      return Status::ParseError(where + ": 'cpu' line has " + std::to_string(columns) +
                                " columns, need at least 4");
    }
    static constexpr std::string_view kNames[] = {"user",   "nice",      "system",  "idle",
                                                  "iowait", "irq",       "softirq", "steal",
                                                  "guest",  "guest_nice"};
    CpuTimes times;
    std::uint64_t* const members[] = {&times.user,   &times.nice, &times.system,  &times.idle,
                                      &times.iowait, &times.irq,  &times.softirq, &times.steal};
    for (std::size_t c = 0; c < columns; ++c) {
      const std::string column_name = c < std::size(kNames)
                                          ? "column '" + std::string(kNames[c]) + "'"
                                          : "column " + std::to_string(c + 1);
      Result<std::uint64_t> value = ParseU64(fields[c + 1]);
      if (!value.ok()) return value.status().WithContext(where + ": 'cpu' " + column_name);
      if (c < std::size(members)) *members[c] = *value;
    }
    return times;
  }
  return Status::ParseError(Where(source, 0) + ": no aggregate 'cpu' line");
}

double CpuPercent(const CpuTimes& before, const CpuTimes& after) {
  const std::uint64_t total0 = before.Total();
  const std::uint64_t total1 = after.Total();
  const std::uint64_t idle0 = before.Idle();
  const std::uint64_t idle1 = after.Idle();
  if (total1 <= total0 || idle1 < idle0) return 0.0;
  const double d_total = static_cast<double>(total1 - total0);
  const double d_idle = static_cast<double>(idle1 - idle0);
  const double busy = 100.0 * (d_total - d_idle) / d_total;
  if (busy < 0.0) return 0.0;
  if (busy > 100.0) return 100.0;
  return busy;
}

// ---- pressure ----

namespace {

struct PressureLine {
  double avg10 = 0;
  double avg60 = 0;
  double avg300 = 0;
  std::uint64_t total_us = 0;
};

Result<PressureLine> ParsePressureLine(const std::vector<std::string_view>& fields,
                                       const std::string& where) {
  PressureLine out;
  bool seen[4] = {false, false, false, false};
  static constexpr std::string_view kKeys[] = {"avg10", "avg60", "avg300", "total"};
  double* const avgs[] = {&out.avg10, &out.avg60, &out.avg300};
  const std::string kind(fields[0]);
  for (std::size_t f = 1; f < fields.size(); ++f) {
    const std::string_view token = fields[f];
    const std::size_t eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::ParseError(where + ": '" + kind + "' token " + Quote(token) +
                                " is not key=value");
    }
    const std::string_view key = token.substr(0, eq);
    const std::string_view value = token.substr(eq + 1);
    for (std::size_t k = 0; k < 4; ++k) {
      if (key != kKeys[k]) continue;
      const std::string name = "'" + kind + "' " + std::string(key);
      if (seen[k]) return Status::ParseError(where + ": " + name + " appears twice");
      seen[k] = true;
      if (k < 3) {
        Result<double> avg = ParseDecimal(value);
        if (!avg.ok()) return avg.status().WithContext(where + ": " + name);
        if (*avg > 100.0) {
          return Status::ParseError(where + ": " + name + " " + Quote(value) +
                                    " is above 100 percent");
        }
        *avgs[k] = *avg;
      } else {
        Result<std::uint64_t> total = ParseU64(value);
        if (!total.ok()) return total.status().WithContext(where + ": " + name);
        out.total_us = *total;
      }
    }
  }
  for (std::size_t k = 0; k < 4; ++k) {
    if (!seen[k]) {
      return Status::ParseError(where + ": '" + kind + "' line has no '" + std::string(kKeys[k]) +
                                "'");
    }
  }
  return out;
}

}  // namespace

Result<Pressure> ParsePressure(std::string_view text, std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(text, source));
  Pressure pressure;
  bool has_some = false;
  const std::vector<std::string_view> lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = Where(source, i + 1);
    const std::vector<std::string_view> fields = SplitFields(lines[i]);
    if (fields.empty()) return Status::ParseError(where + ": empty line");
    const bool is_some = fields[0] == "some";
    if (!is_some && fields[0] != "full") {
      return Status::ParseError(where + ": unknown line kind " + Quote(fields[0]) +
                                " (want 'some' or 'full')");
    }
    if ((is_some && has_some) || (!is_some && pressure.has_full)) {
      return Status::ParseError(where + ": '" + std::string(fields[0]) + "' line appears twice");
    }
    Result<PressureLine> parsed = ParsePressureLine(fields, where);
    if (!parsed.ok()) return parsed.status();
    if (is_some) {
      has_some = true;
      pressure.some_avg10 = parsed->avg10;
      pressure.some_avg60 = parsed->avg60;
      pressure.some_avg300 = parsed->avg300;
      pressure.some_total_us = parsed->total_us;
    } else {
      pressure.has_full = true;
      pressure.full_avg10 = parsed->avg10;
      pressure.full_avg60 = parsed->avg60;
      pressure.full_avg300 = parsed->avg300;
      pressure.full_total_us = parsed->total_us;
    }
  }
  if (!has_some) return Status::ParseError(Where(source, 0) + ": no 'some' line");
  return pressure;
}

// ---- ProcReader ----

ProcReader::ProcReader(std::string root) : root_(std::move(root)) {}

std::string ProcReader::Path(std::string_view relative) const {
  std::string path = root_;
  if (path.empty() || path.back() != '/') path += '/';
  path += relative;
  return path;
}

Result<MemInfo> ProcReader::ReadMemInfo() const {
  const std::string path = Path("meminfo");
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseMemInfo(*text, path);
}

Result<LoadAvg> ProcReader::ReadLoadAvg() const {
  const std::string path = Path("loadavg");
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseLoadAvg(*text, path);
}

Result<CpuTimes> ProcReader::ReadCpuTimes() const {
  const std::string path = Path("stat");
  // /proc/stat grows with CPU and interrupt count; allow more than the default.
  Result<std::string> text = ReadFile(path, std::size_t{16} << 20);
  if (!text.ok()) return text.status();
  return ParseStatCpu(*text, path);
}

Result<std::optional<Pressure>> ProcReader::ReadMemoryPressure() const {
  const std::string path = Path("pressure/memory");
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    const Status::Code code = text.status().code();
    if (code == Status::Code::kNotFound || code == Status::Code::kUnsupported) {
      return std::optional<Pressure>();
    }
    return text.status();
  }
  Result<Pressure> pressure = ParsePressure(*text, path);
  if (!pressure.ok()) return pressure.status();
  return std::optional<Pressure>(*pressure);
}

std::string ProcReader::DefaultRoot() { return DefaultRoot("/host/proc", "/proc"); }

std::string ProcReader::DefaultRoot(const std::string& host_root, const std::string& fallback) {
  return FileExists(host_root + "/meminfo") ? host_root : fallback;
}

}  // namespace orcastra::procfs
