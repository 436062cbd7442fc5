// The file operations of a log rotation (agent/logrotate/service.h executes plans with them): gzip
// with zlib, copy-then-truncate, creating the new log, writing the state file, listing rotated
// copies.
//
// Crash safety: every file that appears under its final name is complete. GzipFile() and
// WriteFileAtomic() (common/files.h) write a temporary file in the same directory
// (".NAME.orcastra-tmp"), fsync it,
// rename it into place and fsync the directory; only then is the source removed. A crash leaves at
// most a stale temporary (overwritten next time) or the source beside its complete .gz (the plan
// then shifts both). None of these functions throws; errors name the path and errno text.
// Thread-compatible: they touch only the paths they are given.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logrotate/plan.h"
#include "common/files.h"
#include "common/status.h"

namespace orcastra::agent {

// Compresses `source` into `target` (gzip format, zlib level 6): writes the temporary, fsyncs,
// renames it to `target`, fsyncs the directory, then unlinks `source`. The .gz gets the source's
// permission bits and, when possible, its owner. `source` is read until end of file, so anything
// appended while it is compressed is included up to the moment the last read returns.
Status GzipFile(const std::string& source, const std::string& target);

// The decompressed content of a gzip file (also reads an uncompressed file as it is).
Result<std::string> ReadGzipFile(const std::string& path);

// What CopyTruncateFile() did.
struct CopyTruncateStats {
  std::uint64_t bytes_copied = 0;
  // The loss window: from the read that found end of file to the return of ftruncate(). Data the
  // application appends inside it is neither in the copy nor in the truncated file.
  std::chrono::nanoseconds window{0};
};

// copytruncate: copies `source` to `target` (through a temporary, with the source's mode and
// owner), then truncates `source` to zero bytes in place. To keep the window short the copy is
// made and fsynced first, then what was appended meanwhile is copied, and the truncation follows
// that last read at once; the temporary is fsynced again and renamed to `target` after.
Result<CopyTruncateStats> CopyTruncateFile(const std::string& source, const std::string& target);

// Truncates `path` to zero bytes (copytruncate with rotate 0).
Status TruncateFile(const std::string& path);

// The owner and permission bits a rotated log had, for `create` to copy.
struct FileAttributes {
  mode_t mode = 0644;  // permission bits only
  uid_t uid = 0;
  gid_t gid = 0;
};

// The attributes of `path` (lstat), or nullopt when it cannot be read.
std::optional<FileAttributes> ReadAttributes(const std::string& path);

// `create`: makes an empty `path` (it must not exist: an application that already reopened its log
// wins, and that is not an error) with `spec`'s mode, owner and group; an unset one is taken from
// `previous` (the file just rotated), else 0644 and the agent's own ids. Owner and group are
// numeric ids or names resolved through this process's /etc/passwd and /etc/group.
Status CreateLogFile(const std::string& path, const CreateSpec& spec,
                     const std::optional<FileAttributes>& previous);

// The names in `path`'s directory that start with its file name and a dot ("app.log.1",
// "app.log.2.gz", "app.log.old"), as full paths, sorted; PlanRotation() keeps the rotated copies
// among them. A missing directory gives an empty list.
std::vector<std::string> ListSiblings(const std::string& path);

// Renames without replacing an existing `target` (renameat2 RENAME_NOREPLACE, or a link/unlink
// fallback where the file system lacks it): a plan never overwrites a file it did not expect.
Status RenameNoReplace(const std::string& source, const std::string& target);

}  // namespace orcastra::agent
