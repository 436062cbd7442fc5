// Readers for the memory figures of a cgroup (v1 memory controller or v2 unified hierarchy), and
// for locating a process's memory cgroup directory from /proc/<pid>/cgroup.
//
// Parse* functions are pure: they take a file's text plus a source name (usually the path) that
// every error message starts with, as "<source>:<line>: <what is wrong>". They never throw. Like
// the procfs parsers they require the final newline the kernel always writes, so a truncated read
// is an error rather than a wrong number.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace orcastra::cgroup {

// Limits at or above this (2^62) mean "unlimited": cgroup v1 reports LONG_MAX rounded down to the
// page size (9223372036854771712 with 4 KiB pages) for a cgroup without a limit.
inline constexpr std::uint64_t kUnlimitedThreshold = std::uint64_t{1} << 62;

// The memory figures of one cgroup, in bytes.
struct Memory {
  int version = 0;                           // 1 or 2
  std::optional<std::uint64_t> limit_bytes;  // nullopt = unlimited (v2 "max", v1 >= 2^62)
  std::uint64_t usage_bytes = 0;             // v1 memory.usage_in_bytes, v2 memory.current
  std::uint64_t inactive_file_bytes = 0;     // v1 memory.stat total_inactive_file, v2 inactive_file
  std::uint64_t cache_bytes = 0;             // v1 memory.stat total_cache, v2 file

  // usage - inactive_file, floored at 0 (what kubelet and cAdvisor call the working set).
  std::uint64_t WorkingSetBytes() const;
};

// Reads the memory figures of the cgroup directory `dir`: v2 when memory.max is present, else v1
// when memory.limit_in_bytes is present, else NotFound naming `dir`. v1 reads
// memory.limit_in_bytes, memory.usage_in_bytes and memory.stat (total_inactive_file and
// total_cache, falling back to inactive_file and cache); v2 reads memory.max, memory.current and
// memory.stat (inactive_file, file). Read and parse errors name the file; a missing stat key is a
// ParseError naming memory.stat and the key.
Result<Memory> ReadMemory(const std::string& dir);

// Parses a limit file: "max\n" (v2) or a byte count. nullopt for "max" and for counts >=
// kUnlimitedThreshold. Anything else (empty, truncated, "-1", text, overflow, several lines) is a
// ParseError naming "<source>:<line>".
Result<std::optional<std::uint64_t>> ParseLimit(std::string_view text, std::string_view source);

// Parses a one-number counter file such as memory.current ("1234\n"). ParseError naming
// "<source>:<line>" for anything else.
Result<std::uint64_t> ParseCounter(std::string_view text, std::string_view source);

// Parses "key value\n" lines (memory.stat) into a map. A line without exactly two fields, a
// non-numeric or overflowing value, a repeated key, or empty/truncated text is a ParseError
// naming "<source>:<line>".
Result<std::map<std::string, std::uint64_t>> ParseStat(std::string_view text,
                                                       std::string_view source);

// From the text of /proc/<pid>/cgroup, the path of the process's memory cgroup: the v1 line whose
// controller list contains "memory" ("4:memory:/orclab/m1/abc"), else the v2 "0::/path" line.
// Returns the path ("/orclab/m1/abc"). ParseError naming "<source>:<line>" for a malformed line
// (fewer than three ':'-separated parts, bad hierarchy id, path not starting with '/'), and naming
// the source when there is no memory line, the text is empty or truncated.
Result<std::string> ParseMemoryCgroupPath(std::string_view proc_pid_cgroup,
                                          std::string_view source);

// The directory holding the memory files of cgroup `path` under the cgroup mount root
// `cgroup_root` ("/sys/fs/cgroup" or "/host/sys/fs/cgroup"): v1 (root/memory/memory.limit_in_bytes
// exists) gives root + "/memory" + path, v2 (root/cgroup.controllers exists) gives root + path.
// InvalidArgument when `path` is not absolute or contains a ".." component; NotFound naming the
// root when neither hierarchy is found. The returned directory itself is not checked.
Result<std::string> MemoryDirFor(const std::string& cgroup_root, const std::string& path);

// "/host/sys/fs/cgroup" when it exists, else "/sys/fs/cgroup".
std::string DefaultRoot();

// `host_root` when it is an existing directory, else `fallback`. DefaultRoot() with fixed paths.
std::string DefaultRoot(const std::string& host_root, const std::string& fallback);

}  // namespace orcastra::cgroup
