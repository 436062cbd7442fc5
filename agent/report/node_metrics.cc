#include "agent/report/node_metrics.h"

#include <sys/stat.h>

#include <algorithm>

#include "common/log.h"

namespace orcastra::agent {

std::string MemorySource::ToString() const {
  return kind == Kind::kProcfs ? "procfs" : "cgroup:" + cgroup_dir;
}

Result<MemorySource> ParseMemorySource(std::string_view text) {
  if (text == "procfs") return MemorySource{};
  constexpr std::string_view kCgroup = "cgroup:";
  if (text.substr(0, kCgroup.size()) == kCgroup) {
    std::string dir(text.substr(kCgroup.size()));
    if (dir.empty() || dir.front() != '/') {
      return Status::InvalidArgument(
          "memory source '" + std::string(text) +
          "': cgroup needs an absolute directory (cgroup:/sys/fs/cgroup/...)");
    }
    return MemorySource{MemorySource::Kind::kCgroup, std::move(dir)};
  }
  return Status::InvalidArgument("memory source '" + std::string(text) +
                                 "': expected 'procfs' or 'cgroup:DIR'");
}

protocol::MemoryFigures MemoryFromMemInfo(const procfs::MemInfo& meminfo) {
  protocol::MemoryFigures figures;
  figures.total_bytes = meminfo.total_bytes;
  figures.available_bytes = std::min(meminfo.available_bytes, meminfo.total_bytes);
  figures.used_bytes = figures.total_bytes - figures.available_bytes;
  figures.source = "procfs";
  return figures;
}

protocol::MemoryFigures MemoryFromCgroup(const cgroup::Memory& memory,
                                         std::uint64_t host_total_bytes,
                                         const std::string& source_name) {
  protocol::MemoryFigures figures;
  std::uint64_t total = host_total_bytes;
  if (memory.limit_bytes && (*memory.limit_bytes < host_total_bytes || host_total_bytes == 0)) {
    total = *memory.limit_bytes;
  }
  figures.total_bytes = total;
  figures.used_bytes = std::min(memory.WorkingSetBytes(), total);
  figures.available_bytes = total - figures.used_bytes;
  figures.source = source_name;
  return figures;
}

NodeMetricsCollector::NodeMetricsCollector(std::string proc_root, MemorySource memory_source)
    : proc_(std::move(proc_root)), memory_source_(std::move(memory_source)) {}

Status NodeMetricsCollector::Collect(protocol::NodeReport& report) {
  auto log = Logger("agent");
  auto meminfo = proc_.ReadMemInfo();
  if (!meminfo.ok()) return meminfo.status();
  if (memory_source_.kind == MemorySource::Kind::kProcfs) {
    report.memory = MemoryFromMemInfo(*meminfo);
    auto psi = proc_.ReadMemoryPressure();
    if (psi.ok() && psi->has_value()) {
      report.psi = {true, (*psi)->some_avg10, (*psi)->full_avg10};
    } else if (!psi.ok()) {
      log->warn("memory pressure: {}", psi.status().ToString());
    }
  } else {
    auto memory = cgroup::ReadMemory(memory_source_.cgroup_dir);
    if (!memory.ok()) return memory.status();
    report.memory = MemoryFromCgroup(*memory, meminfo->total_bytes, memory_source_.ToString());
    // A cgroup v2 directory has its own pressure file; v1 has none, and the host-wide one would
    // describe other nodes too.
    std::string pressure_file = memory_source_.cgroup_dir + "/memory.pressure";
    struct stat st {};
    if (::stat(pressure_file.c_str(), &st) == 0) {
      auto text = procfs::ReadFile(pressure_file);
      auto psi = text.ok() ? procfs::ParsePressure(*text, pressure_file)
                           : Result<procfs::Pressure>(text.status());
      if (psi.ok()) report.psi = {true, psi->some_avg10, psi->full_avg10};
    }
  }
  if (auto load = proc_.ReadLoadAvg(); load.ok()) {
    report.load = {load->avg1, load->avg5, load->avg15};
  } else {
    log->warn("load average: {}", load.status().ToString());
  }
  if (auto cpu = proc_.ReadCpuTimes(); cpu.ok()) {
    if (previous_cpu_) report.cpu_percent = procfs::CpuPercent(*previous_cpu_, *cpu);
    previous_cpu_ = *cpu;
  } else {
    log->warn("cpu times: {}", cpu.status().ToString());
  }
  return Status::Ok();
}

}  // namespace orcastra::agent
