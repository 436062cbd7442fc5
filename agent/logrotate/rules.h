// Log rotation the logrotate way, as pure functions: the logrotate.d parser, the decision whether a
// file rotates now, the plan of file operations for one rotation, and logrotate's state file.
//
// Config (`logrotate.d/*.conf`, the commonly used subset of logrotate(8)):
//   - Directives before any block are defaults for the later blocks of the same file (each file
//     starts from logrotate's defaults; files do not inherit from each other).
//   - A block is one or more absolute path patterns (see agent/logrotate/path_glob.h; "double
//   quotes" for
//     names with spaces) followed by `{`, on the same line or alone on the next, then one directive
//     per line, then `}` alone on its line. Blocks do not nest. `#` starts a comment at the start
//     of a line or after whitespace.
//   - Directives: hourly daily weekly monthly yearly; size N, minsize N, maxsize N (N in bytes, or
//     with k/K, M/m, G/g for KiB, MiB, GiB, at most 2^64-1 bytes; also written `size=N`); rotate N
//     (0..kMaxRotateCount, or -1 to keep all);
//     compress nocompress delaycompress nodelaycompress missingok nomissingok notifempty ifempty
//     copytruncate nocopytruncate sharedscripts nosharedscripts nodateext;
//     create [MODE] [OWNER [GROUP]] and nocreate (MODE 1 to 4 octal digits, 0..07777; OWNER and
//     GROUP a name, or a numeric id 0..kMaxNumericId: see ParseNumericId); postrotate ...
//     endscript; and Orcastra's own `signal CONTAINER [SIGNAL]` (default SIGHUP; a number 1..64).
//   - Every number is range-checked here, at parse time, with an error naming file and line: a
//     value that does not fit never reaches the file operations (where a uid of 2^32 would wrap
//     to 0, root).
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
////
// Everything here is pure and thread-compatible: no I/O. The decisions are agent/logrotate/plan.h,
// the state file agent/logrotate/state_file.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace orcastra::agent {

// The largest `rotate N`: rotated copies are numbered path.1 .. path.999999999 (the plan does not
// recognise longer numbers as copies, so a larger count could never be honoured).
inline constexpr int kMaxRotateCount = 999'999'999;

// The largest numeric uid or gid `create` accepts: 2^32-2, because 2^32-1 is (uid_t)-1, which
// chown(2) takes for "leave unchanged".
inline constexpr std::uint32_t kMaxNumericId = 4'294'967'294U;

// A numeric user or group id: ASCII digits only (no sign, no blank), 0..kMaxNumericId; nullopt for
// anything else, including a number that does not fit.
std::optional<std::uint32_t> ParseNumericId(std::string_view text);

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

}  // namespace orcastra::agent
