// agent::ParseStateFile on logrotate's state file (the agent's own, but it survives restarts and
// upgrades, and logrotate may have written it). Invariants: nothing throws; an error names the
// file and a line; what parses is written back by SerializeStateFile and reads back the same, at
// UTC and at another offset.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "agent/logrotate/state_file.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (auto offset : {std::chrono::minutes(0), std::chrono::minutes(330)}) {
    auto parsed = agent::ParseStateFile(fuzz::Bytes(data, size), "status", offset);
    if (!parsed.ok()) {
      FUZZ_CHECK(parsed.status().message().starts_with("status:"));
      continue;
    }
    const std::string written = agent::SerializeStateFile(*parsed, offset);
    auto back = agent::ParseStateFile(written, "written", offset);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back->last_rotated == parsed->last_rotated);
  }
  return 0;
}
