// Readers for the few /proc files the agent reports on: meminfo, loadavg, stat (aggregate cpu
// line) and pressure/memory (PSI).
//
// Parse* functions are pure: they take the file's text plus a source name (usually the path) that
// every error message starts with, as "<source>:<line>: <what is wrong>". They never throw and
// reject anything that is not exactly what the kernel writes, including text cut short (every
// kernel pseudo file ends with a newline, so a missing final newline means a truncated read).
// ProcReader is the thin file-reading wrapper over a proc root such as "/proc" or "/host/proc".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace orcastra::procfs {

// Reads the whole file at `path` until EOF (pseudo files report size 0, so the size is not
// trusted). NotFound when the path does not exist, Unsupported when the read fails with
// EOPNOTSUPP (PSI files when the kernel runs with psi=0), IoError for any other failure or when
// the file holds more than `max_bytes` bytes. Every message names the path.
Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes = 1 << 20);

// The figures of /proc/meminfo, in bytes.
struct MemInfo {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
  std::uint64_t available_bytes = 0;
  std::uint64_t buffers_bytes = 0;
  std::uint64_t cached_bytes = 0;
  std::uint64_t swap_total_bytes = 0;
  std::uint64_t swap_free_bytes = 0;
  // True when the kernel has no MemAvailable (< 3.14) and available_bytes = free+buffers+cached.
  bool available_estimated = false;
};

// Parses /proc/meminfo text ("Key:   123 kB" lines; values in kB are converted to bytes). MemTotal
// and MemFree are required; the other fields default to 0, and a missing MemAvailable is estimated
// as free+buffers+cached with available_estimated = true. Any malformed line (no colon, empty key,
// non-numeric or overflowing value, unit other than kB, byte field without kB, duplicate field),
// a missing required field, empty or truncated text yields ParseError "<source>:<line>: ...".
Result<MemInfo> ParseMemInfo(std::string_view text, std::string_view source);

// /proc/loadavg: the 1/5/15 minute load averages and the runnable/total scheduling entities.
struct LoadAvg {
  double avg1 = 0;
  double avg5 = 0;
  double avg15 = 0;
  std::uint32_t runnable = 0;
  std::uint32_t total = 0;
};

// The largest load average there can be: it counts tasks, and Linux has at most pid_max = 2^22.
// The protocol refuses a report with a larger one (protocol.h).
inline constexpr double kMaxLoadAverage = 4194304.0;

// Parses "0.52 0.58 0.59 1/389 12345\n" (exactly five fields on one line). Averages must be plain
// decimals from 0 to kMaxLoadAverage; wrong field count, bad numbers, runnable > total, or
// truncated/empty text yield ParseError "<source>:1: ...".
Result<LoadAvg> ParseLoadAvg(std::string_view text, std::string_view source);

// Cumulative CPU time of all CPUs in USER_HZ ticks, from the aggregate "cpu " line of /proc/stat.
struct CpuTimes {
  std::uint64_t user = 0;
  std::uint64_t nice = 0;
  std::uint64_t system = 0;
  std::uint64_t idle = 0;
  std::uint64_t iowait = 0;
  std::uint64_t irq = 0;
  std::uint64_t softirq = 0;
  std::uint64_t steal = 0;

  // Sum of the eight fields (guest time is already included in user and nice, so not added),
  // saturating at UINT64_MAX instead of wrapping.
  std::uint64_t Total() const;
  // Time not doing work: idle + iowait (saturating).
  std::uint64_t Idle() const;
};

// Parses the aggregate "cpu " line of /proc/stat. Older kernels write fewer columns: at least 4
// (user nice system idle) are required, missing later ones are 0, columns past steal (guest,
// guest_nice) are checked but ignored. No "cpu " line, fewer than 4 columns, a non-numeric or
// overflowing column, or empty/truncated text yields ParseError "<source>[:<line>]: ...".
Result<CpuTimes> ParseStatCpu(std::string_view text, std::string_view source);

// Busy share of all CPUs between two samples, in percent (0..100): 100 * (1 - dIdle / dTotal).
// Returns 0 when no time passed or when Total() or Idle() went backwards (counter reset, samples
// swapped); the result is clamped to [0, 100].
double CpuPercent(const CpuTimes& before, const CpuTimes& after);

// Pressure stall information of one resource (/proc/pressure/memory): share of wall time in
// percent over 10/60/300 s windows and the cumulative stall time in microseconds.
struct Pressure {
  double some_avg10 = 0;
  double some_avg60 = 0;
  double some_avg300 = 0;
  std::uint64_t some_total_us = 0;
  bool has_full = false;  // false for the "cpu" resource on kernels before 5.13
  double full_avg10 = 0;
  double full_avg60 = 0;
  double full_avg300 = 0;
  std::uint64_t full_total_us = 0;
};

// Parses "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=... total=...\n". The "some"
// line is required and "full" optional; each line needs all four keys once (unknown keys are
// ignored for forward compatibility). An unknown line kind, a repeated line, a missing key, a bad
// number (averages are plain decimals in 0..100), or empty/truncated text yields ParseError
// "<source>:<line>: ...".
Result<Pressure> ParsePressure(std::string_view text, std::string_view source);

// Reads the files under a proc root ("/proc" or "/host/proc"). Stateless apart from the root;
// thread-compatible. Errors are those of ReadFile and the Parse* functions, naming the full path.
class ProcReader {
 public:
  explicit ProcReader(std::string root);

  // The proc root given at construction.
  const std::string& root() const { return root_; }

  // <root>/meminfo, see ParseMemInfo.
  Result<MemInfo> ReadMemInfo() const;
  // <root>/loadavg, see ParseLoadAvg.
  Result<LoadAvg> ReadLoadAvg() const;
  // The "cpu " line of <root>/stat, see ParseStatCpu.
  Result<CpuTimes> ReadCpuTimes() const;
  // <root>/pressure/memory, see ParsePressure. nullopt when the kernel has no PSI (file missing,
  // or reading fails with EOPNOTSUPP as when booted with psi=0); error for a malformed file or
  // another read failure.
  Result<std::optional<Pressure>> ReadMemoryPressure() const;

  // "/host/proc" when it exists and holds meminfo, else "/proc" (node_exporter's --path.procfs).
  static std::string DefaultRoot();
  // `host_root` when `host_root`/meminfo exists, else `fallback`. DefaultRoot() with fixed paths.
  static std::string DefaultRoot(const std::string& host_root, const std::string& fallback);

 private:
  std::string Path(std::string_view relative) const;

  std::string root_;
};

// Small text helpers shared with the cgroup readers. Not part of the stable API.
namespace detail {

// "<source>:<line>"; just "<source>" when line is 0.
std::string Where(std::string_view source, std::size_t line);

// `s` quoted for an error message: non-printable bytes as \xNN, cut after 40 bytes with "...".
std::string Quote(std::string_view s);

// Ok when `text` is non-empty and ends with '\n'; otherwise ParseError "<source>: empty file" or
// "<source>:<last line>: truncated line (no newline at end of file)".
Status CheckComplete(std::string_view text, std::string_view source);

// The lines of `text` without their '\n' (a final line without newline is included).
std::vector<std::string_view> SplitLines(std::string_view text);

// The non-empty fields of `line` separated by spaces or tabs.
std::vector<std::string_view> SplitFields(std::string_view line);

// A plain unsigned decimal (digits only, no sign or spaces) that fits in 64 bits. ParseError
// "value '<token>' is not a decimal number" or "... overflows 64 bits" otherwise (no location).
Result<std::uint64_t> ParseU64(std::string_view token);

// A plain non-negative decimal such as "0.52" or "12" (digits with at most one '.', no sign,
// exponent, inf or nan). ParseError "value '<token>' is not a decimal number" otherwise.
Result<double> ParseDecimal(std::string_view token);

}  // namespace detail
}  // namespace orcastra::procfs
