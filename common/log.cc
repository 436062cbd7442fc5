#include "common/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <mutex>
#include <utility>

namespace orcastra {
namespace {

constexpr char kPattern[] = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";

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
  logger->set_pattern(kPattern);
  logger->set_level(spdlog::get_level());
  spdlog::register_logger(logger);
  return logger;
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
