// Per-component spdlog loggers ("agent", "leader", "docker", ...). Messages carry no trailing
// period and quote ids. Thread-safe: loggers are created once and shared.
//
// Two formats: text (the default: "2026-12-06T10:44:50.123+0000 info [agent] message") and JSON
// (LOG_FORMAT=json: one object per line, {"ts","level","component","message","fields"}, valid
// JSON whatever the message holds, for Loki/ELK).
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/flags.h"
#include "common/status.h"

namespace orcastra {

// The logger named `component`, created on first use with the process-wide sinks: stderr and an
// in-memory ring of the last kRecentLogLines lines (RecentLogLines()).
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

// Sets the level of every logger, present and future ("trace".."off"); false for an unknown name.
bool SetLogLevel(const std::string& level);

// The level a daemon starts with: `--log-level LEVEL` (or `--log-level=LEVEL`) in `args`, else
// ORCASTRA_LOG_LEVEL, else "debug" when DEBUG is true (a boolean as common/flags.h reads them),
// else "info". InvalidArgument naming the flag or variable for an unknown level or a DEBUG that
// is not a boolean. Pure.
Result<std::string> ChooseLogLevel(const std::vector<std::string>& args, const EnvLookup& env);

enum class LogFormat { kText, kJson };

// Sets the format of every logger, present and future. Thread-safe.
void SetLogFormat(LogFormat format);

// The format a daemon starts with: `--log-format text|json` (or `--log-format=...`) in `args`,
// else LOG_FORMAT, else text. InvalidArgument naming the flag or variable for another value. Pure.
Result<LogFormat> ChooseLogFormat(const std::vector<std::string>& args, const EnvLookup& env);

// One JSON log line (without the newline): {"ts":..,"level":..,"component":..,"message":..,
// "fields":{"thread":..}}. The message may hold anything (quotes, control characters, invalid
// UTF-8, which becomes U+FFFD). `ts` is RFC 3339 UTC with milliseconds. Pure.
std::string JsonLogLine(std::chrono::system_clock::time_point ts, std::string_view level,
                        std::string_view component, std::string_view message,
                        std::uint64_t thread_id);

// The last `capacity` lines, oldest first, dropping the oldest when full. Not thread-safe (the
// sink below guards it); pure, for tests.
class LineRing {
 public:
  explicit LineRing(std::size_t capacity) : capacity_(capacity) {}
  void Add(std::string line);
  // The last `n` lines (all when fewer), oldest first.
  std::vector<std::string> Tail(std::size_t n) const;
  std::size_t size() const { return lines_.size(); }

 private:
  std::size_t capacity_;
  std::deque<std::string> lines_;
};

// At most one line per `period` for one kind of trouble; the next allowed line says how many were
// left out (Suppressed()). Not thread-safe: one per thread, or behind the caller's lock.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds period) : period_(period) {}
  // True when a line may be logged now; `*suppressed` is then the count left out since the last.
  bool Allow(SteadyTime now, std::uint64_t* suppressed);

 private:
  std::chrono::milliseconds period_;
  SteadyTime last_{};
  bool logged_ = false;
  std::uint64_t suppressed_ = 0;
};

// " (N more like it since the last line)" when lines were left out; "" for 0.
std::string Suppressed(std::uint64_t count);

// How many of the process's own log lines every logger keeps in memory (`orcastra logs NODE`).
inline constexpr std::size_t kRecentLogLines = 2000;

// The process's last `n` log lines (at most kRecentLogLines), formatted as on stderr, oldest
// first. Thread-safe.
std::vector<std::string> RecentLogLines(std::size_t n);

}  // namespace orcastra
