#include "common/cgroup.h"

#include <sys/stat.h>

#include <initializer_list>
#include <utility>
#include <vector>

#include "common/procfs.h"

namespace orcastra::cgroup {

namespace {

using procfs::detail::CheckComplete;
using procfs::detail::ParseU64;
using procfs::detail::Quote;
using procfs::detail::SplitFields;
using procfs::detail::SplitLines;
using procfs::detail::Where;

// cgroup files are a few KiB at most; memory.stat is the largest at under 4 KiB.
constexpr std::size_t kMaxFileBytes = 1 << 16;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// `dir` without trailing slashes (but "/" stays "/").
std::string TrimSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string Join(const std::string& dir, std::string_view name) {
  std::string out = TrimSlashes(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

// The one line of a single-value file, after checking it is complete and alone.
Result<std::string_view> SingleToken(std::string_view text, std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(text, source));
  const std::vector<std::string_view> lines = SplitLines(text);
  if (lines.size() != 1) {
    return Status::ParseError(Where(source, 2) + ": expected one line, got " +
                              std::to_string(lines.size()));
  }
  const std::vector<std::string_view> fields = SplitFields(lines[0]);
  if (fields.size() != 1) {
    return Status::ParseError(Where(source, 1) + ": expected one value, got " +
                              std::to_string(fields.size()) + " in " + Quote(lines[0]));
  }
  return fields[0];
}

template <typename T, typename Parser>
Result<T> ReadAndParse(const std::string& path, Parser parse) {
  Result<std::string> text = procfs::ReadFile(path, kMaxFileBytes);
  if (!text.ok()) return text.status();
  return parse(*text, path);
}

// The value of the first of `keys` present in `stat`; ParseError naming `source` otherwise.
Result<std::uint64_t> StatValue(const std::map<std::string, std::uint64_t>& stat,
                                std::initializer_list<std::string_view> keys,
                                const std::string& source) {
  std::string names;
  for (std::string_view key : keys) {
    const auto it = stat.find(std::string(key));
    if (it != stat.end()) return it->second;
    if (!names.empty()) names += " or ";
    names += "'" + std::string(key) + "'";
  }
  return Status::ParseError(source + ": no " + names + " key");
}

}  // namespace

std::uint64_t Memory::WorkingSetBytes() const {
  return usage_bytes > inactive_file_bytes ? usage_bytes - inactive_file_bytes : 0;
}

Result<std::optional<std::uint64_t>> ParseLimit(std::string_view text, std::string_view source) {
  Result<std::string_view> token = SingleToken(text, source);
  if (!token.ok()) return token.status();
  if (*token == "max") return std::optional<std::uint64_t>();
  Result<std::uint64_t> value = ParseU64(*token);
  if (!value.ok()) return value.status().WithContext(Where(source, 1) + ": limit");
  if (*value >= kUnlimitedThreshold) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(*value);
}

Result<std::uint64_t> ParseCounter(std::string_view text, std::string_view source) {
  Result<std::string_view> token = SingleToken(text, source);
  if (!token.ok()) return token.status();
  Result<std::uint64_t> value = ParseU64(*token);
  if (!value.ok()) return value.status().WithContext(Where(source, 1) + ": counter");
  return *value;
}

Result<std::map<std::string, std::uint64_t>> ParseStat(std::string_view text,
                                                       std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(text, source));
  std::map<std::string, std::uint64_t> stat;
  const std::vector<std::string_view> lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = Where(source, i + 1);
    const std::vector<std::string_view> fields = SplitFields(lines[i]);
    if (fields.size() != 2) {
      return Status::ParseError(where + ": expected 'key value', got " + Quote(lines[i]));
    }
    Result<std::uint64_t> value = ParseU64(fields[1]);
    if (!value.ok()) return value.status().WithContext(where + ": key " + Quote(fields[0]));
    if (!stat.emplace(std::string(fields[0]), *value).second) {
      return Status::ParseError(where + ": key " + Quote(fields[0]) + " appears twice");
    }
  }
  return stat;
}

Result<std::string> ParseMemoryCgroupPath(std::string_view proc_pid_cgroup,
                                          std::string_view source) {
  ORC_RETURN_IF_ERROR(CheckComplete(proc_pid_cgroup, source));
  std::optional<std::string> v2_path;
  const std::vector<std::string_view> lines = SplitLines(proc_pid_cgroup);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = Where(source, i + 1);
    const std::string_view line = lines[i];
    const std::size_t colon1 = line.find(':');
    const std::size_t colon2 =
        colon1 == std::string_view::npos ? colon1 : line.find(':', colon1 + 1);
    if (colon2 == std::string_view::npos) {
      return Status::ParseError(where + ": line " + Quote(line) +
                                " is not 'hierarchy-id:controllers:path'");
    }
    Result<std::uint64_t> id = ParseU64(line.substr(0, colon1));
    if (!id.ok()) return id.status().WithContext(where + ": hierarchy id");
    const std::string_view controllers = line.substr(colon1 + 1, colon2 - colon1 - 1);
    const std::string_view path = line.substr(colon2 + 1);
    if (path.empty() || path.front() != '/') {
      return Status::ParseError(where + ": path " + Quote(path) + " does not start with '/'");
    }

    if (controllers.empty()) {
      if (*id == 0 && !v2_path) v2_path = std::string(path);
      continue;
    }
    std::size_t start = 0;
    while (start <= controllers.size()) {
      std::size_t comma = controllers.find(',', start);
      if (comma == std::string_view::npos) comma = controllers.size();
      if (controllers.substr(start, comma - start) == "memory") return std::string(path);
      start = comma + 1;
    }
  }
  if (v2_path) return *std::move(v2_path);
  return Status::ParseError(Where(source, 0) +
                            ": no v1 'memory' controller line and no v2 '0::' line");
}

Result<std::string> MemoryDirFor(const std::string& cgroup_root, const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument("cgroup path " + Quote(path) + " is not absolute");
  }
  if (path.find_first_of(std::string_view("\n\0", 2)) != std::string::npos) {
    return Status::InvalidArgument("cgroup path " + Quote(path) + " contains a newline or NUL");
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (std::string_view(path).substr(start, slash - start) == "..") {
      return Status::InvalidArgument("cgroup path " + Quote(path) + " contains '..'");
    }
    start = slash + 1;
  }

  const std::string root = TrimSlashes(cgroup_root);
  const std::string suffix = TrimSlashes(path) == "/" ? "" : TrimSlashes(path);
  const std::string v1_dir = Join(root, "memory");
  if (Exists(Join(v1_dir, "memory.limit_in_bytes"))) return v1_dir + suffix;
  if (Exists(Join(root, "cgroup.controllers"))) return (root == "/" ? "" : root) + suffix;
  return Status::NotFound(root + ": neither a cgroup v1 memory hierarchy (memory/" +
                          "memory.limit_in_bytes) nor a cgroup v2 hierarchy (cgroup.controllers)");
}

Result<Memory> ReadMemory(const std::string& dir) {
  Memory memory;
  const std::string stat_path = Join(dir, "memory.stat");
  std::string limit_path;
  std::string usage_path;
  if (Exists(Join(dir, "memory.max"))) {
    memory.version = 2;
    limit_path = Join(dir, "memory.max");
    usage_path = Join(dir, "memory.current");
  } else if (Exists(Join(dir, "memory.limit_in_bytes"))) {
    memory.version = 1;
    limit_path = Join(dir, "memory.limit_in_bytes");
    usage_path = Join(dir, "memory.usage_in_bytes");
  } else {
    if (!IsDirectory(dir)) return Status::NotFound(dir + ": no such cgroup directory");
    return Status::NotFound(dir + ": neither memory.max (cgroup v2) nor memory.limit_in_bytes " +
                            "(cgroup v1) found");
  }

  Result<std::optional<std::uint64_t>> limit =
      ReadAndParse<std::optional<std::uint64_t>>(limit_path, ParseLimit);
  if (!limit.ok()) return limit.status();
  memory.limit_bytes = *limit;

  Result<std::uint64_t> usage = ReadAndParse<std::uint64_t>(usage_path, ParseCounter);
  if (!usage.ok()) return usage.status();
  memory.usage_bytes = *usage;

  Result<std::map<std::string, std::uint64_t>> stat =
      ReadAndParse<std::map<std::string, std::uint64_t>>(stat_path, ParseStat);
  if (!stat.ok()) return stat.status();

  Result<std::uint64_t> inactive =
      memory.version == 2 ? StatValue(*stat, {"inactive_file"}, stat_path)
                          : StatValue(*stat, {"total_inactive_file", "inactive_file"}, stat_path);
  if (!inactive.ok()) return inactive.status();
  memory.inactive_file_bytes = *inactive;

  Result<std::uint64_t> cache = memory.version == 2
                                    ? StatValue(*stat, {"file"}, stat_path)
                                    : StatValue(*stat, {"total_cache", "cache"}, stat_path);
  if (!cache.ok()) return cache.status();
  memory.cache_bytes = *cache;
  return memory;
}

std::string DefaultRoot() { return DefaultRoot("/host/sys/fs/cgroup", "/sys/fs/cgroup"); }

std::string DefaultRoot(const std::string& host_root, const std::string& fallback) {
  return IsDirectory(host_root) ? host_root : fallback;
}

}  // namespace orcastra::cgroup
