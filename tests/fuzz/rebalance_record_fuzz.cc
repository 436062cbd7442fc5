// DecodeRebalanceRecord / EncodeRebalanceRecord on the rebalancer's record (the labels of the
// config object orcastra-rebalance-record, which any manager could have written). Invariants: a
// refusal names where; a decoded record is within its bounds (no dry-run move, in flight exactly
// when not ended, at most kMaxRememberedMoves); it encodes, and the encoding decodes to the same
// moves (or, when re-encoding made it bigger than the limit, to a suffix of them with every move
// in flight kept); pruning never adds a move.
#include <cstddef>
#include <cstdint>

#include "leader/rebalance/record.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;
using namespace orcastra::leader;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = DecodeRebalanceRecord(fuzz::Bytes(data, size), "record");
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().message().rfind("record", 0) == 0);
    return 0;
  }
  const RebalanceMemory& memory = *decoded;
  FUZZ_CHECK(memory.moves.size() <= kMaxRememberedMoves);
  std::size_t in_flight = 0;
  for (const MoveRecord& move : memory.moves) {
    FUZZ_CHECK(move.outcome != MoveOutcome::kDryRun);
    FUZZ_CHECK(InFlight(move.outcome) == (move.ended_ms == 0));
    FUZZ_CHECK(move.constraints.size() <= kMaxMoveConstraints);
    if (InFlight(move.outcome)) ++in_flight;
  }
  auto encoded = EncodeRebalanceRecord(memory);
  FUZZ_CHECK(encoded.ok());
  FUZZ_CHECK(encoded->size() <= kMaxRebalanceRecordBytes);
  auto again = DecodeRebalanceRecord(*encoded, "again");
  FUZZ_CHECK(again.ok());
  if (again->moves.size() == memory.moves.size()) {
    FUZZ_CHECK(again->moves == memory.moves);
  } else {
    FUZZ_CHECK(again->moves.size() < memory.moves.size());
    std::size_t kept_in_flight = 0;
    for (const MoveRecord& move : again->moves) kept_in_flight += InFlight(move.outcome) ? 1 : 0;
    FUZZ_CHECK(kept_in_flight == in_flight);
  }
  config::RebalanceConfig config;
  FUZZ_CHECK(PruneMoves(memory, config, 1'700'000'000'000).moves.size() <= memory.moves.size());
  return 0;
}
