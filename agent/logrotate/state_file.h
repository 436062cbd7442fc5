// logrotate's state file (when each log was last rotated), parsed and written in logrotate's own
// format so that an existing state file keeps working. Pure and thread-compatible.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "agent/logrotate/plan.h"
#include "common/status.h"

namespace orcastra::agent {

// The first line of logrotate's state file.
inline constexpr std::string_view kStateFileHeader = "logrotate state -- version 2";

// The state file: when each log was last rotated.
struct RotationState {
  std::map<std::string, WallTime> last_rotated;

  // The entry of `path` (empty when there is none).
  StateEntry Lookup(const std::string& path) const;
};

// Parses logrotate's state file: the header line, then one `"path" Y-M-D-h:m:s` line per log
// (logrotate's format, fields not zero-padded; a bare path without quotes, and a date without the
// time, as older versions wrote, are accepted). Times are civil times at `utc_offset` (logrotate
// writes local time), truncated to seconds. Paths are kept whether or not a rule names them; a
// repeated path keeps its last line. Empty text is an empty state. Errors: ParseError
// "<source>:<line>: ...". Blank lines are skipped.
Result<RotationState> ParseStateFile(std::string_view text, std::string_view source,
                                     std::chrono::minutes utc_offset = std::chrono::minutes(0));

// Writes `state` in the format ParseStateFile() reads (and logrotate reads): header, then one line
// per path in path order, quotes and backslashes in paths escaped with a backslash (a newline as
// "\n"), times at `utc_offset` to the second.
std::string SerializeStateFile(const RotationState& state,
                               std::chrono::minutes utc_offset = std::chrono::minutes(0));

}  // namespace orcastra::agent
