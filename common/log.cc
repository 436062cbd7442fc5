#include "common/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/utf8.h"

namespace orcastra {
namespace {

constexpr char kPattern[] = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";

std::atomic<LogFormat> current_format{LogFormat::kText};

// LOG_FORMAT=json: JsonLogLine for every record.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string line =
        JsonLogLine(msg.time, std::string_view(level.data(), level.size()),
                    std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                    std::string_view(msg.payload.data(), msg.payload.size()), msg.thread_id);
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

void ApplyFormat(spdlog::logger& logger, LogFormat format) {
  if (format == LogFormat::kJson) {
    logger.set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger.set_pattern(kPattern);
  }
}

std::mutex& LoggerMutex() {
  static std::mutex mutex;
  return mutex;
}

// Keeps the formatted lines in a LineRing (spdlog's base_sink serializes sink_it_ with its mutex).
class RingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RingSink(std::size_t capacity) : ring_(capacity) {}

  std::vector<std::string> Tail(std::size_t n) {
    std::lock_guard lock(mutex_);
    return ring_.Tail(n);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line(formatted.data(), formatted.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    ring_.Add(std::move(line));
  }
  void flush_() override {}

 private:
  LineRing ring_;
};

struct Sinks {
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> stderr_sink =
      std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::shared_ptr<RingSink> ring = std::make_shared<RingSink>(kRecentLogLines);
};

Sinks& ProcessSinks() {
  static Sinks* sinks = new Sinks();  // never destroyed: loggers may log during exit
  return *sinks;
}

}  // namespace

void LineRing::Add(std::string line) {
  if (capacity_ == 0) return;
  if (lines_.size() >= capacity_) lines_.pop_front();
  lines_.push_back(std::move(line));
}

std::vector<std::string> LineRing::Tail(std::size_t n) const {
  std::size_t skip = lines_.size() > n ? lines_.size() - n : 0;
  return {lines_.begin() + static_cast<std::ptrdiff_t>(skip), lines_.end()};
}

std::vector<std::string> RecentLogLines(std::size_t n) { return ProcessSinks().ring->Tail(n); }

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard lock(LoggerMutex());
  if (auto existing = spdlog::get(component)) return existing;
  Sinks& sinks = ProcessSinks();
  auto logger = std::make_shared<spdlog::logger>(
      component, spdlog::sinks_init_list{sinks.stderr_sink, sinks.ring});
  ApplyFormat(*logger, current_format.load());
  logger->set_level(spdlog::get_level());
  spdlog::register_logger(logger);
  return logger;
}

void SetLogFormat(LogFormat format) {
  std::lock_guard lock(LoggerMutex());
  current_format.store(format);
  spdlog::apply_all(
      [format](const std::shared_ptr<spdlog::logger>& logger) { ApplyFormat(*logger, format); });
}

Result<LogFormat> ChooseLogFormat(const std::vector<std::string>& args, const EnvLookup& env) {
  std::string value = "text";
  std::string source = "LOG_FORMAT";
  if (auto v = EnvReader(env).Get("LOG_FORMAT")) value = *v;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-format" && i + 1 < args.size()) {
      value = args[i + 1];
      source = "--log-format";
    } else if (args[i].rfind("--log-format=", 0) == 0) {
      value = args[i].substr(13);
      source = "--log-format";
    }
  }
  if (value == "text" || value.empty()) return LogFormat::kText;
  if (value == "json") return LogFormat::kJson;
  return Status::InvalidArgument(source + "='" + value + "': unknown log format (text, json)");
}

std::string JsonLogLine(std::chrono::system_clock::time_point ts, std::string_view level,
                        std::string_view component, std::string_view message,
                        std::uint64_t thread_id) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  // Written in this order (ts first, as log shippers show it); each string through DumpJson, which
  // escapes quotes and control characters and replaces invalid UTF-8.
  auto quoted = [](std::string_view text) { return DumpJson(nlohmann::json(std::string(text))); };
  return std::string("{\"ts\":\"") + stamp + "\",\"level\":" + quoted(level) +
         ",\"component\":" + quoted(component) + ",\"message\":" + quoted(message) +
         ",\"fields\":{\"thread\":" + std::to_string(thread_id) + "}}";
}

bool SetLogLevel(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);  // applies to every registered logger and the default for new ones
  return true;
}

Result<std::string> ChooseLogLevel(const std::vector<std::string>& args, const EnvLookup& env) {
  // spdlog's names, with its aliases "warning" and "err".
  static const std::vector<std::string> kLevels = {"trace", "debug", "info",     "warn", "warning",
                                                   "error", "err",   "critical", "off"};
  auto known = [](const std::string& level) {
    return std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end();
  };
  const EnvReader reader(env);
  bool debug = false;
  ORC_RETURN_IF_ERROR(reader.ReadBool("DEBUG", &debug));
  std::string level = debug ? "debug" : "info";
  std::string source = debug ? "DEBUG" : "";
  if (auto v = reader.Get("ORCASTRA_LOG_LEVEL")) {
    level = *v;
    source = "ORCASTRA_LOG_LEVEL";
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-level" && i + 1 < args.size()) {
      level = args[i + 1];
      source = "--log-level";
    } else if (args[i].rfind("--log-level=", 0) == 0) {
      level = args[i].substr(12);
      source = "--log-level";
    }
  }
  if (!known(level)) {
    return Status::InvalidArgument(source + "='" + level +
                                   "': unknown log level (trace, debug, info, warn, error, "
                                   "critical, off)");
  }
  return level;
}

bool LogLimiter::Allow(SteadyTime now, std::uint64_t* suppressed) {
  if (logged_ && now - last_ < period_) {
    ++suppressed_;
    return false;
  }
  logged_ = true;
  last_ = now;
  *suppressed = std::exchange(suppressed_, 0);
  return true;
}

std::string Suppressed(std::uint64_t count) {
  return count == 0 ? std::string()
                    : " (" + std::to_string(count) + " more like it since the last line)";
}

}  // namespace orcastra
