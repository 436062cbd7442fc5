// Whether the active leader instance hands a node's agent the swarm's join token, as a pure
// decision (doc/healing.md "Re-join"; issue 11). The agent asks on a connection that proved its
// node (protocol/attestation.h: the node's own Swarm certificate, kept by the agent from when it
// was in the swarm); the node it proved is the only one it may ask for.
//
// Rules, in order (the first that applies decides):
// 1. only the active instance hands out tokens (a standby refuses, naming the active one);
// 2. never while healing is blocked (quorum lost or unproven, a manager recently unreachable):
//    a join needs quorum, and nothing is changed on a swarm in that state;
// 3. the node must be in Swarm's node list (a removed node was removed by someone: by hand);
// 4. Swarm must see it Down (a node still Ready or unknown has not left: not yet);
// 5. its hostname (Swarm's record, never the agent's claim) must be listed in swarm.yml;
// 6. no other node with its hostname may be Ready (it is back already, or a namesake is);
// 7. it must have been active (a drained or paused node was taken out of service by an operator;
//    joining it again would put it back into service);
// 8. DRY_RUN: refused, saying what would be handed out;
// 9. the same node at most once per kMinGrantInterval (a join takes seconds);
// then the *worker* token and the reachable managers' addresses. Never the manager token: a node
// that should be a manager joins as a worker and the healer promotes it (one verified promotion at
// a time, only while quorum holds: PlanHeal rule 3b), so a join never changes Raft membership.
//
// No I/O, no clock read; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/docker_types.h"
#include "leader/heal/plan.h"

namespace orcastra::leader {

inline constexpr std::chrono::seconds kMinGrantInterval{10};

struct JoinInputs {
  std::string node_id;             // the node the asking connection proved
  bool active = false;             // this instance is the active one
  std::string active_hint;         // where the active instance is ("m2 (node abc)"), "" unknown
  bool has_config = false;         // a good swarm.yml is in force
  const HealPlan* plan = nullptr;  // PlanHeal over `nodes`, made now
  const std::vector<docker::Node>* nodes = nullptr;  // the last complete node list
  bool dry_run = false;
  bool worker_token_known = false;
  std::optional<SteadyTime> last_grant;  // to this node, by this instance
  SteadyTime now{};
};

struct JoinDecision {
  bool grant = false;
  // Whether asking again later may succeed (a standby, not down yet, quorum unproven); false for
  // refusals that only an operator can change (not listed, removed, drained).
  bool retry = true;
  std::string reason;                      // one line; names the node and what to do
  std::vector<std::string> manager_addrs;  // granted: the reachable managers' ADDR:PORT, sorted
  std::string hostname;                    // Swarm's record of the node
};

JoinDecision DecideJoin(const JoinInputs& in);

}  // namespace orcastra::leader
