// The standalone agent's re-join as a pure decision (doc/healing.md "Re-join"): from the local
// daemon's Swarm state (GET /info), whether this agent remembers a membership, and its backoff,
// what to do now. Never `swarm init`, never `--force-new-cluster`, never a `leave`: the agent only
// ever joins a daemon that is out of every swarm (LocalNodeState "inactive"), and only with what
// the active leader hands an agent that proved its node.
//
// - "active": remember the membership (node id, certificate, managers) for later;
// - "inactive": with a memory, ask the active leader (once the backoff allows); without one, only
//   say so (a node this agent never saw in a swarm is joined by hand once);
// - "pending" (a join in progress), "locked" (autolock: an operator unlocks), "error" and anything
//   else: wait, saying why; nothing is touched.
//
// No I/O, no clock read.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/clock.h"

namespace orcastra::agent {

enum class RejoinStepKind { kRemember, kAsk, kWait };

struct RejoinStep {
  RejoinStepKind kind = RejoinStepKind::kWait;
  std::string why;       // for kWait: one line for the log and /readyz
  bool backoff = false;  // kWait only because an ask failed a moment ago (the failure says why)
};

struct RejoinInputs {
  std::string local_state;  // Swarm.LocalNodeState
  bool remembers = false;   // a membership is on disk
  std::optional<SteadyTime> next_ask;
  SteadyTime now{};
};

RejoinStep PlanRejoin(const RejoinInputs& in);

// The pause after the `failures`-th failed ask in a row (1, 2, ...): 5 s, 10 s, 30 s, 60 s, then
// 5 min; an answer that only an operator can change (not listed, removed, drained) waits 5 min.
std::chrono::seconds RejoinBackoff(int failures, bool final_refusal);

}  // namespace orcastra::agent
