// Log rotation decisions as pure functions: whether a file rotates now, and the plan of file
// operations (and container actions) that rotate it. The rules come from agent/logrotate/rules.h.
//
// Decision (Decide): `size` alone decides when it is given, whatever period is also given (the
// parser warns when both are written in the same scope); otherwise the period decides, with
// `maxsize` rotating early and `minsize` holding back. A rule with no period and no size (the
// reference default.conf) never rotates. Periods compare calendar fields as logrotate does: daily
// when the date changed since the last rotation, weekly when the weekday went backwards or 7 days
// passed, monthly/yearly when the month/year changed, hourly when the hour changed.
//// Everything here is pure and thread-compatible: no I/O, no clock; times are passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logrotate/rules.h"
#include "common/time_format.h"

namespace orcastra::agent {

// The suffix of a compressed rotated file (gzip).
inline constexpr std::string_view kCompressedSuffix = ".gz";

// What the agent knows about a log file at decision time (from lstat).
struct FileFacts {
  bool exists = false;
  std::uint64_t size = 0;
  // Last modification. No directive of the supported subset uses it; it is shown in explanations.
  WallTime mtime{};
};

// The file's entry in the state file.
struct StateEntry {
  std::optional<WallTime> last_rotated;  // nullopt when the state file has no entry for it
};

// Why Decide() rotates or skips a file.
enum class DecisionReason {
  kDue,          // rotate: the period has passed
  kSizeReached,  // rotate: at least `size` (or `maxsize`) bytes
  kForced,       // rotate: forced (the rotate_logs command)
  kMissingOk,    // skip: the file does not exist and missingok is set
  kMissing,      // skip, and report an error: the file does not exist and missingok is not set
  kEmpty,        // skip: the file is empty and notifempty is set
  kNotDue,       // skip: the period has not passed yet
  kUnderSize,    // skip: under `size`, or due but under `minsize`
  kFirstSeen,    // skip: no state entry yet; the caller records `now` as the file's entry
  kNoTrigger,    // skip: the rule has neither a period nor a size, so it never rotates
};

// The outcome of Decide().
struct Decision {
  bool rotate = false;
  DecisionReason reason = DecisionReason::kNoTrigger;
  std::string explanation;  // one sentence for logs and dry runs, without a trailing period

  // True for the outcome that is an error to report (a missing file without missingok).
  bool IsError() const { return reason == DecisionReason::kMissing; }
};

// Knobs of Decide().
struct DecideOptions {
  bool force = false;  // rotate even when not due (missing and notifempty still apply)
  // Calendar fields (date, hour, weekday) are read at this fixed offset from UTC.
  std::chrono::minutes utc_offset{0};
};

// Whether `file` (matched by `rule`) rotates at `now`. Checks, in order: missing, empty with
// notifempty, force, then size or period as described at the top of this file. After a rotation
// the caller records `now` in the state; after kFirstSeen too (as logrotate does, so a new file's
// first period starts when it is first seen).
Decision Decide(const LogrotateRule& rule, const FileFacts& file, const StateEntry& state,
                WallTime now, const DecideOptions& options = {});

// One file operation (or container action) of a rotation plan.
struct RotationAction {
  enum class Kind {
    kDelete,    // remove `path`
    kRename,    // rename `path` to `target` (same directory)
    kCopy,      // copy `path` to `target`, keeping `path` (copytruncate)
    kTruncate,  // truncate `path` to zero bytes in place (copytruncate)
    kCreate,    // create an empty `path` with `create` attributes
    kSignal,    // send `signal` to `container`
    kRestart,   // restart `container`
    kCompress,  // gzip `path` into `target` (path + ".gz"), then remove `path`
  };
  Kind kind = Kind::kDelete;
  std::string path;
  std::string target;
  CreateSpec create;
  std::string container;
  std::string signal;

  // "rename /var/log/a.log.1 -> /var/log/a.log.2", "signal container nginx with SIGHUP", ...
  std::string ToString() const;

  bool operator==(const RotationAction&) const = default;
};

// The actions rotating `path` once, in execution order:
//   1. delete rotated copies that would be beyond `rotate` (path.N, path.N+1, ... with N =
//      rotate; all of them for rotate 0; none for rotate -1);
//   2. rename path.k to path.k+1 from the oldest down, a compressed copy keeping its ".gz";
//   3. rename path to path.1, or with copytruncate copy path to path.1 and truncate path (with
//      rotate 0: delete path, or with copytruncate only truncate it);
//   4. create a new path (create, not with copytruncate);
//   5. the post-rotate actions (signal or restart containers);
//   6. compress path.1, or with delaycompress the copy that became path.2 (if it was uncompressed).
// Compression comes last so that the application has reopened its log before its old file is
// read. `existing_rotated` lists the rotated copies present now as full paths ("path.3",
// "path.2.gz"); other names are ignored.
std::vector<RotationAction> PlanRotation(const LogrotateRule& rule, std::string_view path,
                                         const std::vector<std::string>& existing_rotated);

// A file of one rule that is due, with its rotated copies present now.
struct DueFile {
  std::string path;
  std::vector<std::string> existing_rotated;
};

// The plan for all due files of one rule. Without sharedscripts it is the PlanRotation() of each
// file in turn; with sharedscripts, the file operations of every file, then the post-rotate actions
// once, then the compressions. Empty when `files` is empty.
std::vector<RotationAction> PlanRuleRotation(const LogrotateRule& rule,
                                             const std::vector<DueFile>& files);

}  // namespace orcastra::agent
