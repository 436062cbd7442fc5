// ParseRfc3339 (common/time_format.h) on Docker's timestamps (task status, container start and
// finish, volume creation: GC and autoheal decide on them). Invariants: nothing throws; an error
// names the text; a time that parses is within what the civil-time helpers can render, and
// FormatCivil of it does not throw.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/time_format.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = ParseRfc3339(fuzz::Bytes(data, size));
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.status().message().empty());
    return 0;
  }
  if (!*parsed) return 0;
  const CivilTime civil = ToCivil(**parsed, std::chrono::minutes(0));
  FUZZ_CHECK(civil.month >= 1 && civil.month <= 12);
  FUZZ_CHECK(civil.day_of_month >= 1 && civil.day_of_month <= 31);
  (void)FormatCivil(**parsed, std::chrono::minutes(-90));
  return 0;
}
