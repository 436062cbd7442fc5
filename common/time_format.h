// Docker's timestamps: RFC 3339 with up to nanoseconds ("2026-11-22T04:09:31.374123456Z", or with a
// numeric offset). Docker writes "0001-01-01T00:00:00Z" for "never", which parses to nullopt.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace orcastra {

using WallTime = std::chrono::system_clock::time_point;

// The time, nullopt for Docker's zero time, or ParseError naming the text.
Result<std::optional<WallTime>> ParseRfc3339(std::string_view text);

}  // namespace orcastra
