// What a node reports about itself: memory (from /proc or from a cgroup), load, CPU and memory
// pressure. The conversions are pure functions; NodeMetricsCollector does the reading.
#pragma once

#include <optional>
#include <string>

#include "common/cgroup.h"
#include "common/procfs.h"
#include "common/status.h"
#include "protocol/messages.h"

namespace orcastra::agent {

// Where a node's memory figures come from. `procfs`: the kernel's view (<proc-root>/meminfo), right
// for a node that owns its kernel. `cgroup:DIR`: one cgroup's limit and usage, right for nodes that
// share a kernel (LXC containers, the lab's nodes).
struct MemorySource {
  enum class Kind { kProcfs, kCgroup };
  Kind kind = Kind::kProcfs;
  std::string cgroup_dir;  // for kCgroup

  std::string ToString() const;  // "procfs" or "cgroup:/path", the wire and flag form
};

// Parses "procfs" or "cgroup:/abs/path".
Result<MemorySource> ParseMemorySource(std::string_view text);

// Figures from /proc/meminfo: used = total - available.
protocol::MemoryFigures MemoryFromMemInfo(const procfs::MemInfo& meminfo);

// Figures from a cgroup: total = its limit (the host's MemTotal when unlimited or above it),
// used = working set (usage - inactive file), available = total - used (floored at 0).
protocol::MemoryFigures MemoryFromCgroup(const cgroup::Memory& memory,
                                         std::uint64_t host_total_bytes,
                                         const std::string& source_name);

// Reads the node's figures. Keeps the previous CPU sample, so CPU% covers the time between two
// calls. Not thread-safe; used by the reporter thread only.
class NodeMetricsCollector {
 public:
  NodeMetricsCollector(std::string proc_root, MemorySource memory_source);

  // Fills memory, load, cpu_percent and psi of `report`. Memory is required (error when it cannot
  // be read); load, CPU and PSI are best effort and left at zero with a warning.
  Status Collect(protocol::NodeReport& report);

  const procfs::ProcReader& proc() const { return proc_; }

 private:
  procfs::ProcReader proc_;
  MemorySource memory_source_;
  std::optional<procfs::CpuTimes> previous_cpu_;
};

}  // namespace orcastra::agent
