// Log rotation the logrotate way, as pure functions: the logrotate.d parser, the decision whether a
// file rotates now, the plan of file operations for one rotation, and logrotate's state file.
//
// Config (`logrotate.d/*.conf`, the commonly used subset of logrotate(8)):
//   - Directives before any block are defaults for the later blocks of the same file (each file
//     starts from logrotate's defaults; files do not inherit from each other).
//   - A block is one or more absolute path patterns (see agent/path_glob.h; "double quotes" for
//     names with spaces) followed by `{`, on the same line or alone on the next, then one directive
//     per line, then `}` alone on its line. Blocks do not nest. `#` starts a comment at the start
//     of a line or after whitespace.
//   - Directives: hourly daily weekly monthly yearly; size N, minsize N, maxsize N (N in bytes, or
//     with k/K, M/m, G/g for KiB, MiB, GiB; also written `size=N`); rotate N (-1 keeps all);
//     compress nocompress delaycompress nodelaycompress missingok nomissingok notifempty ifempty
//     copytruncate nocopytruncate sharedscripts nosharedscripts nodateext;
//     create [MODE] [OWNER [GROUP]] and nocreate; postrotate ... endscript; and Orcastra's own
//     `signal CONTAINER [SIGNAL]` (default SIGHUP).
//   - Orcastra never runs a shell. In postrotate it understands `docker kill -s SIG NAME...`
//     (also `--signal SIG`, `--signal=SIG`, `-sSIG`, `docker container kill`, a path such as
//     /usr/bin/docker, and a trailing `>/dev/null 2>&1` or `|| true`) and `docker restart NAME...`;
//     any other line is an error naming it, because it would otherwise silently not run.
//     `docker kill` without a signal (Docker's default is SIGKILL) is refused as a likely mistake.
//   - Strict: an unknown directive, a bad value, a directive of logrotate that Orcastra does not
//     implement (dateext, olddir, maxage, include, prerotate, ...) is an error "<file>:<line>:
//     ...", so that a typo never silently disables rotation. dateext is refused rather than ignored
//     because rotated files would get other names than the operator expects and never expire.
//   - Two blocks naming the same pattern are an error, as in logrotate.
//
// Decision (Decide): `size` alone decides when it is given, whatever period is also given (the
// parser warns when both are written in the same scope); otherwise the period decides, with
// `maxsize` rotating early and `minsize` holding back. A rule with no period and no size (the
// reference default.conf) never rotates. Periods compare calendar fields as logrotate does: daily
// when the date changed since the last rotation, weekly when the weekday went backwards or 7 days
// passed, monthly/yearly when the month/year changed, hourly when the hour changed.
//
// Everything here is pure and thread-compatible: no I/O, no clock; times are passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace orcastra::agent {

// Rotation times are wall-clock times passed in by the caller.
using WallTime = std::chrono::system_clock::time_point;

// The suffix of a compressed rotated file (gzip).
inline constexpr std::string_view kCompressedSuffix = ".gz";

// The first line of logrotate's state file.
inline constexpr std::string_view kStateFileHeader = "logrotate state -- version 2";

// The time-based trigger of a rule (hourly ... yearly); kNone when the rule has none.
enum class RotatePeriod { kNone, kHourly, kDaily, kWeekly, kMonthly, kYearly };

// "hourly", "daily", ...; "none" for kNone.
std::string_view PeriodName(RotatePeriod period);

// The attributes of the file `create` makes after a rotation; an unset attribute is copied from
// the file just rotated, as logrotate does.
struct CreateSpec {
  std::optional<std::uint32_t> mode;  // permission bits, e.g. 0640
  std::string owner;                  // user name or numeric id; "" keeps the old file's
  std::string group;                  // group name or numeric id; "" keeps the old file's

  bool operator==(const CreateSpec&) const = default;
};

// What runs after a rotation, instead of a postrotate shell script.
struct PostRotateAction {
  enum class Kind { kSignal, kRestart };
  Kind kind = Kind::kSignal;
  std::string container;  // container name or id
  std::string signal;     // kSignal: "SIGHUP", "SIGUSR1", ... or a number such as "10"
  std::string source;     // where it was written: "app.conf:9"

  bool operator==(const PostRotateAction&) const = default;
};

// One block of a logrotate.d file with the file's defaults applied.
struct LogrotateRule {
  std::vector<std::string> patterns;  // absolute path patterns, as written (quotes removed)
  std::string source;                 // where the block starts: "logrotate.d/app.conf:3"
  RotatePeriod period = RotatePeriod::kNone;
  std::optional<std::uint64_t> size;      // rotate when at least this big, ignoring the period
  std::optional<std::uint64_t> min_size;  // with a period: not before reaching this size
  std::optional<std::uint64_t> max_size;  // with a period: also when at least this big
  int rotate = 0;                         // rotated copies kept; 0 keeps none, -1 keeps all
  bool compress = false;
  bool delay_compress = false;  // compress path.2 instead of path.1 (needs compress)
  bool missing_ok = false;
  bool not_if_empty = false;
  bool copy_truncate = false;        // copy then truncate the live file instead of renaming it
  std::optional<CreateSpec> create;  // nullopt: no new file is created (nocreate, the default)
  bool shared_scripts = false;       // post-rotate actions once per block, not once per file
  std::vector<PostRotateAction> post_rotate;
};

// The rules of one or more logrotate.d files, in file then block order, plus warnings about
// directives that have no effect ("<file>:<line>: ...").
struct LogrotateConfig {
  std::vector<LogrotateRule> rules;
  std::vector<std::string> warnings;
};

// One config file: `name` starts every message ("logrotate.d/app.conf"), `text` is its content.
struct LogrotateFile {
  std::string name;
  std::string text;
};

// Parses one logrotate.d file. Any error yields ParseError "<source>:<line>: <directive>: <what>".
Result<LogrotateConfig> ParseLogrotate(std::string_view text, std::string_view source);

// Parses several files in the given order (pass them sorted by name, as logrotate reads a
// directory) into one config. The first error stops the parse; a pattern named by two blocks, in
// the same file or not, is an error naming both places.
Result<LogrotateConfig> ParseLogrotateFiles(const std::vector<LogrotateFile>& files);

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
