// The rebalancer's safety state as JSON, pure: the moves in flight and the recent ones
// (leader/rebalance/plan.h, RebalanceMemory), kept in Swarm so that a new active instance
// continues a move in flight (verifies it, or removes its temporary constraints) and keeps every
// cooldown, the moves-per-hour count and the no-move-back memory (doc/rebalance.md "Safety
// state"). Stored in the labels of the config object `orcastra-rebalance-record` with
// SwarmSafetyStore (leader/safety/store.h): compare-and-swap, fenced by the lease term.
//
//   record = {"format": 1, "moves": [move, ...]}                 oldest first, at most 256
//   move   = {"service": name, "service_id": id, "dependents": [name, ...],
//             "from": node id, "to": node id, "from_hostname": text, "to_hostname": text,
//             "constraints": [text, ...], "memory_bytes": 0..2^53,
//             "started_ms": time, "deadline_ms": time, "ended_ms": time (0: in flight),
//             "outcome": "placing" | "removing_constraints" | "rolling_back" | "landed" |
//                        "rolled_back",
//             "why": text, "result": text}
//   name   = 1..255 of A-Z a-z 0-9 _ . -          id = 1..128 of A-Z a-z 0-9
//   time   = 0..253402300799999                    text = at most 1024 bytes (cut when written)
//
// Decoding refuses, naming the field: more than kMaxRebalanceRecordBytes, anything that is not
// JSON, a duplicate key, a missing or unknown "format", a wrong type, a number out of range, a
// bad name or id, a constraint that is not text of at most 256 bytes, more than 64 constraints or
// dependents per move, "dry_run" outcomes (a dry run never writes). Unknown keys are ignored.
// Never throws, whatever the input.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "leader/rebalance/plan.h"

namespace orcastra::leader {

inline constexpr char kRebalanceConfigName[] = "orcastra-rebalance-record";
inline constexpr int kRebalanceRecordFormat = 1;
inline constexpr std::size_t kMaxRebalanceRecordBytes = 512 * 1024;
inline constexpr std::size_t kMaxMoveTextBytes = 1024;
inline constexpr std::size_t kMaxMoveConstraintBytes = 256;

// ParseError (or Unsupported for another format) prefixed by `where`.
Result<RebalanceMemory> DecodeRebalanceRecord(std::string_view text, std::string_view where);

// The JSON text of the moves worth storing (dry-run moves are left out; texts are cut to
// kMaxMoveTextBytes). When it would exceed kMaxRebalanceRecordBytes the oldest ended moves are
// left out until it fits. InvalidArgument when a move is outside the bounds (a name, an id, a
// time), which PlanRebalance never makes.
Result<std::string> EncodeRebalanceRecord(const RebalanceMemory& memory);

}  // namespace orcastra::leader
