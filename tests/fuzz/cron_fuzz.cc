// CronSchedule::Parse on a schedule (GC_CRON), then Next and Matches from a time and an offset the
// input also chooses. Invariants: nothing throws; an error quotes the expression; a schedule that
// parses reads back equal from ToString(); Next() gives a whole minute after the start that
// Matches(), within the search window.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/cron.h"
#include "tests/fuzz/fuzz_check.h"

using orcastra::CronSchedule;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // 1850 .. 2250 (system_clock holds 1678 .. 2261; Next() refuses what is outside 1900-2200), in
  // seconds from 2000; offsets -20 h .. +20 h (some out of range).
  const auto seconds =
      in.ConsumeIntegralInRange<std::int64_t>(-150LL * 31'556'952, 250LL * 31'556'952);
  const auto offset = std::chrono::minutes(in.ConsumeIntegralInRange<int>(-1200, 1200));
  const std::string spec = in.ConsumeRemainingBytesAsString();
  auto parsed = CronSchedule::Parse(spec);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().message().starts_with("cron "));
    return 0;
  }
  auto again = CronSchedule::Parse(parsed->ToString());
  FUZZ_CHECK(again.ok() && *again == *parsed);
  const CronSchedule::TimePoint after{std::chrono::seconds(946'684'800 + seconds)};
  auto next = parsed->Next(after, offset);
  if (!next.ok()) return 0;
  FUZZ_CHECK(*next > after);
  FUZZ_CHECK(*next - after <= std::chrono::hours(24) * (CronSchedule::kMaxSearchDays + 1));
  FUZZ_CHECK(next->time_since_epoch() % std::chrono::minutes(1) == std::chrono::seconds(0));
  FUZZ_CHECK(parsed->Matches(*next, offset));
  return 0;
}
