// DecodeHealRecord (leader/heal/record.h) on the text of the config label a leader reads from
// Swarm. Invariants: nothing throws; an error names where it is; a record that decodes holds only
// entries within the bounds, encodes within the size limit, and decodes again to the same record.
#include <cstddef>
#include <cstdint>
#include <string>

#include "leader/heal/record.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra::leader;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = DecodeHealRecord(orcastra::fuzz::Bytes(data, size), "heal record");
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().message().starts_with("heal record"));
    return 0;
  }
  FUZZ_CHECK(decoded->nodes.size() <= kMaxHealEntries);
  FUZZ_CHECK(decoded->removals.size() <= kMaxHealRemovals);
  for (const auto& [id, entry] : decoded->nodes) {
    FUZZ_CHECK(IsHealNodeId(id));
    FUZZ_CHECK(entry.attempts >= 0 && entry.attempts <= kMaxHealAttempts);
  }
  for (const auto& [id, entry] : decoded->removals) {
    FUZZ_CHECK(IsHealNodeId(id));
    FUZZ_CHECK(entry.by.size() <= kMaxHealTextBytes);
  }
  const std::string text = EncodeHealRecord(*decoded);
  FUZZ_CHECK(text.size() <= kMaxHealRecordBytes);
  auto again = DecodeHealRecord(text, "heal record");
  FUZZ_CHECK(again.ok() && *again == *decoded);
  return 0;
}
