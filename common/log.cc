#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

namespace orcastra {
namespace {

std::mutex& LoggerMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard lock(LoggerMutex());
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = spdlog::stderr_logger_mt(component);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
  logger->set_level(spdlog::get_level());
  return logger;
}

bool SetLogLevel(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);  // applies to every registered logger and the default for new ones
  return true;
}

}  // namespace orcastra
