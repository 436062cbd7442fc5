// The /proc readers (common/procfs.h) on the same text: ParseMemInfo, ParseLoadAvg, ParseStatCpu,
// ParsePressure, and the decimal readers under them. Invariants: nothing throws; every error
// starts with the source; what parses is what the kernel could write (available <= total unless
// estimated, runnable <= total, load averages up to pid_max (2^22), averages in 0..100 for PSI,
// CpuPercent in 0..100).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/procfs.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

namespace {

template <typename T>
void CheckError(const Result<T>& result) {
  if (!result.ok()) FUZZ_CHECK(result.status().message().starts_with("proc/x"));
}

bool Percent(double v) { return std::isfinite(v) && v >= 0 && v <= 100; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  auto meminfo = procfs::ParseMemInfo(text, "proc/x");
  CheckError(meminfo);
  auto load = procfs::ParseLoadAvg(text, "proc/x");
  CheckError(load);
  if (load.ok()) {
    FUZZ_CHECK(load->runnable <= load->total);
    for (double avg : {load->avg1, load->avg5, load->avg15}) {
      FUZZ_CHECK(avg >= 0 && avg <= procfs::kMaxLoadAverage);  // what the protocol accepts
    }
  }
  auto cpu = procfs::ParseStatCpu(text, "proc/x");
  CheckError(cpu);
  if (cpu.ok()) {
    FUZZ_CHECK(cpu->Idle() <= cpu->Total());
    procfs::CpuTimes before;
    FUZZ_CHECK(Percent(procfs::CpuPercent(before, *cpu)));
    FUZZ_CHECK(Percent(procfs::CpuPercent(*cpu, before)));
  }
  auto pressure = procfs::ParsePressure(text, "proc/x");
  CheckError(pressure);
  if (pressure.ok()) {
    FUZZ_CHECK(Percent(pressure->some_avg10) && Percent(pressure->some_avg60) &&
               Percent(pressure->some_avg300));
    FUZZ_CHECK(Percent(pressure->full_avg10) && Percent(pressure->full_avg60) &&
               Percent(pressure->full_avg300));
  }
  // The token readers on the first line.
  const std::string_view first = text.substr(0, text.find('\n'));
  if (auto d = procfs::detail::ParseDecimal(first); d.ok())
    FUZZ_CHECK(std::isfinite(*d) && *d >= 0);
  (void)procfs::detail::ParseU64(first);
  (void)procfs::detail::Quote(text);
  return 0;
}
