// Per-component spdlog loggers ("agent", "leader", "docker", ...). Messages carry no trailing
// period and quote ids. Thread-safe: loggers are created once and shared.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace orcastra {

// The logger named `component`, created on first use with the process-wide sink (stderr).
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

// Sets the level of every logger, present and future ("trace".."off"); false for an unknown name.
bool SetLogLevel(const std::string& level);

}  // namespace orcastra
