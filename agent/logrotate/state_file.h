// logrotate's state file (when each log was last rotated), parsed and written in logrotate's own
// format so that an existing state file keeps working. Pure and thread-compatible.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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

// The most entries the state keeps (PruneRotationState): well above what the rules can match
// (ExpandGlob returns at most 10,000 files per pattern), so only a state grown from files long
// gone ever reaches it.
inline constexpr std::size_t kMaxRotationStateEntries = 100'000;

// Drops the entries no rule needs any more and returns how many went. An entry stays when its
// path is named literally by a pattern (a missing log keeps its date, as in logrotate), or when
// its file exists (`exists`, called with the path as the rules name it) and some pattern matches
// it. Everything else goes: files of a glob that are gone (the logs of removed containers), and
// files no rule matches any more. Then, above `max_entries`, the oldest dates go first.
// Pure given `exists`; call it only with rules that parsed (never with an empty rule set that
// stands for a config error).
std::size_t PruneRotationState(RotationState& state, const std::vector<std::string>& patterns,
                               const std::function<bool(const std::string&)>& exists,
                               std::size_t max_entries = kMaxRotationStateEntries);

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
