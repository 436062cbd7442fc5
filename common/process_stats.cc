#include "common/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>

#include "common/files.h"
#include "common/strings.h"

namespace orcastra {
namespace {

const double kStartTimeSeconds =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

}  // namespace

std::optional<Statm> ParseStatm(std::string_view text, std::uint64_t page_size) {
  text = Trim(text);
  std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto size = ParseDecimal(text.substr(0, space));
  std::string_view rest = text.substr(space + 1);
  auto resident = ParseDecimal(rest.substr(0, rest.find(' ')));
  if (!size || !resident) return std::nullopt;
  return Statm{*size * page_size, *resident * page_size};
}

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  stats.start_time_seconds = kStartTimeSeconds;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    stats.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  const long page = sysconf(_SC_PAGESIZE);
  if (auto text = ReadFileBounded("/proc/self/statm", 4096); text.ok() && page > 0) {
    if (auto statm = ParseStatm(*text, static_cast<std::uint64_t>(page))) {
      stats.resident_bytes = statm->resident_bytes;
      stats.virtual_bytes = statm->virtual_bytes;
    }
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    std::uint64_t count = 0;
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
    stats.open_fds = count > 0 ? count - 1 : 0;  // without the directory's own descriptor
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    stats.max_fds = limit.rlim_cur;
  }
  return stats;
}

}  // namespace orcastra
