// The process's own figures for /metrics (Prometheus' standard `process_*` families, which every
// exporter has and dashboards expect): CPU seconds, resident and virtual memory, open file
// descriptors, start time.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/metrics.h"

namespace orcastra {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system, all threads
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  double start_time_seconds = 0;  // since the epoch
};

// /proc/self/statm's first two fields (pages) in bytes; nullopt when malformed. Pure.
struct Statm {
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_bytes = 0;
};
std::optional<Statm> ParseStatm(std::string_view text, std::uint64_t page_size);

// Reads the calling process's figures (getrusage, /proc/self/statm, /proc/self/fd, the start time
// recorded at static initialisation). Figures that cannot be read stay 0. Thread-safe.
ProcessStats ReadProcessStats();

// Adds the process families of ORCASTRA_PROCESS_METRICS to `e`, whose list `Id` includes them.
template <typename Id>
void AddProcessMetrics(metrics::Exposition& e, const ProcessStats& p) {
  e.Add(Id::kProcessCpu, p.cpu_seconds);
  e.Add(Id::kProcessResident, static_cast<double>(p.resident_bytes));
  e.Add(Id::kProcessVirtual, static_cast<double>(p.virtual_bytes));
  e.Add(Id::kProcessOpenFds, static_cast<double>(p.open_fds));
  if (p.max_fds > 0) e.Add(Id::kProcessMaxFds, static_cast<double>(p.max_fds));
  e.Add(Id::kProcessStart, p.start_time_seconds);
}

}  // namespace orcastra

// Prometheus' standard process families (the names every exporter uses, so existing dashboards
// fit), first in every component's list.
#define ORCASTRA_PROCESS_METRICS(M)                                                                \
  M(kProcessCpu, process_cpu_seconds_total, kCounter, "",                                          \
    "Total user and system CPU time spent in seconds.")                                            \
  M(kProcessResident, process_resident_memory_bytes, kGauge, "", "Resident memory size in bytes.") \
  M(kProcessVirtual, process_virtual_memory_bytes, kGauge, "", "Virtual memory size in bytes.")    \
  M(kProcessOpenFds, process_open_fds, kGauge, "", "Number of open file descriptors.")             \
  M(kProcessMaxFds, process_max_fds, kGauge, "", "Maximum number of open file descriptors.")       \
  M(kProcessStart, process_start_time_seconds, kGauge, "",                                         \
    "Start time of the process since unix epoch in seconds.")
