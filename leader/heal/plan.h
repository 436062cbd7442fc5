// Swarm healing as a pure decision (design.md §3 "Healing", doc/healing.md): phantom nodes,
// Down managers, the manager count, and the operator's `remove_node:ID`.
//
// PlanHeal() takes the configuration, one *complete* read of Swarm's node list (the caller never
// builds a snapshot from a read that failed), what the healer remembers (when each node was first
// seen down or unreachable, each node's backoff, the operator's removal requests) and the time, and
// returns the actions in the order they must be carried out, a report per node, the counts
// `orcastra status` shows, and the memory to keep. No I/O, no clock read; the executor is
// leader/heal/service.h.
//
// Words (every one read from the node list):
// - a *manager* is a node whose Spec.Role is manager (what Swarm converges to); a *Raft member* has
//   a ManagerStatus; it is *reachable* when ManagerStatus.Reachability is "reachable". A *role
//   change in progress*: a manager that is no Raft member yet, or a Raft member that is no manager
//   any more.
// - *quorum holds* when some Ready member is the Raft leader and more than half of the members are
//   Ready and reachable (a manager without quorum serves a stale list: the dead look reachable and
//   its own node is "unknown").
// - a node is *listed* when swarm.yml's `nodes` has its hostname; only listed nodes are ever
//   promoted, demoted or removed without the operator naming them (design.md §4 rule 2).
// - a *twin* of a node is another node with the same hostname that is Ready; a Down node with a
// twin
//   is a *phantom* (the machine left or lost its state and joined again under a new id).
// - a manager is *lost* when it is Down and has been unreachable for at least `manager_grace`.
//
// Rules (doc/healing.md tells them to operators):
// 1. Nothing at all is done while quorum is lost or unproven (no write to Swarm's Raft store, the
//    lease renewal, succeeded within `raft_write_max_age` before the read), or while a manager has
//    been unreachable for less than `manager_grace` (a restart or a Raft election in progress):
//    only reports.
// 2. A listed phantom is removed once it has been down for `phantom_grace`; a phantom manager is
//    demoted first (the removal follows in a later pass, once it is no Raft member). An unlisted
//    phantom, and a Down node without a twin, are reported and never removed unless the operator
//    asks (`remove_node:ID`: a Down node only; a manager is demoted first, while quorum holds).
//    2b. A lost manager this healer demoted (rule 3a) is removed once it is out of Raft and still
//    down: a careful operator replaces a dead manager by demoting and removing it.
// 3. The manager count (`managers: N`), one step per pass and only with no role change in
//    progress (each promotion is verified Reachable before the next step):
//    a. a lost (or phantom) listed manager is demoted first, when the count after it is odd, or the
//       next step can restore an odd count (a promotion candidate exists below N, or an extra can
//       be demoted above N): demoting before promoting never adds a Raft member that could fail to
//       join while one is already down;
//    b. below N: the best candidate is promoted (a Ready, active, listed worker that swarm.yml does
//       not give `role: worker`, whose hostname no other live node has): those with `role: manager`
//       first, then by hostname. From an odd count only when two candidates exist, so that the
//       count is even for one promotion at most;
//    c. above N: a reachable, active, listed manager is demoted: `role: worker` ones first, then
//       those without a role, then `role: manager`; the active leader instance's node and Swarm's
//       Raft leader last; then by hostname, last first. Never below a majority of the reachable
//       members, and never to an even count unless another extra can be demoted next.
//    Without `managers:` the count is left alone (and phantom managers are demoted only when that
//    leaves an odd count).
// 4. Drained and paused nodes are left as they are: never promoted, never demoted as extras, never
//    counted as lost (an operator took them out of service); a drained phantom is still removed
//    (its machine is back under another id). Healing never changes a node's availability.
// 5. Backoff: planning an action on a node counts an attempt and holds further actions on that
//    node for retry_intervals[min(attempts-1, n-1)]; the count resets only when the action is seen
//    to have taken effect (the node gone, demoted, or a reachable member), never because a write
//    succeeded. At most `max_removals` removals and one change of role per pass.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/docker_types.h"
#include "config/swarm_config.h"

namespace orcastra::leader {

struct HealSettings {
  std::chrono::milliseconds phantom_grace{std::chrono::seconds(60)};   // HEAL_PHANTOM_GRACE
  std::chrono::milliseconds manager_grace{std::chrono::seconds(120)};  // HEAL_MANAGER_GRACE
  // A promotion not seen reachable this long after it was planned is reported as failed; the
  // count waits for it (the member may still join) and its node backs off.
  std::chrono::milliseconds promotion_timeout{std::chrono::seconds(60)};
  // An operator's `remove_node:ID` that could not be carried out by then is dropped and reported.
  std::chrono::milliseconds request_timeout{std::chrono::minutes(10)};
  std::vector<std::chrono::seconds> retry_intervals = {
      std::chrono::seconds(10), std::chrono::seconds(30), std::chrono::seconds(60),
      std::chrono::seconds(300), std::chrono::seconds(900)};
  // The last write to Swarm's Raft store (the lease renewal, every 5 s) must have been sent at
  // most this long before the node list was read: a manager that lost quorum serves a stale list
  // that can look healthy (the dead still reachable), and only a committed write proves quorum.
  std::chrono::milliseconds raft_write_max_age{std::chrono::seconds(12)};
  int max_removals = 3;      // removals per pass
  std::string self_node_id;  // the node of the active leader instance: demoted last
};

// What the healer remembers of one node (by node id).
struct HealNodeMemory {
  int attempts = 0;                        // actions since one was last seen to take effect
  std::optional<SteadyTime> next_allowed;  // no action on this node before
  std::optional<SteadyTime> last_attempt;  // when the last one was planned
  std::string last_action;                 // "promote", "demote", "remove"
  bool operator==(const HealNodeMemory&) const = default;
};

// An operator's `remove_node:ID`, kept until it is carried out, impossible, or timed out.
struct RemovalRequest {
  SteadyTime at{};
  std::string by;  // "cli (command 7)"
  bool operator==(const RemovalRequest&) const = default;
};

struct HealMemory {
  std::map<std::string, HealNodeMemory> nodes;     // backoff, by node id (kept in Swarm)
  std::map<std::string, RemovalRequest> removals;  // by node id (kept in Swarm)
  // Observations, in this instance's memory only (a new active instance starts the graces again,
  // which only delays): first pass that saw each node down, and each member unreachable.
  std::map<std::string, SteadyTime> down_since;
  std::map<std::string, SteadyTime> unreachable_since;
  // Lost managers this healer demoted: removed once they are out of Raft and still down (rule 2b).
  // In memory only: a new active instance reports them as down nodes instead (the safe side).
  std::set<std::string> demoted_lost;
  bool operator==(const HealMemory&) const = default;
};

enum class HealActionKind { kDemote, kPromote, kRemove };
const char* HealActionKindName(HealActionKind kind);

struct HealAction {
  HealActionKind kind = HealActionKind::kRemove;
  std::string node_id;
  std::string hostname;
  std::uint64_t version = 0;  // the node's version as read: role changes are compare-and-swaps
  std::string cause;          // "phantom", "lost_manager", "manager_count", "operator"
  std::string reason;         // one line for events and `orcastra plan`
  int attempt = 0;            // 1 for the first since the last one took effect
};

// How healing sees one node.
enum class HealNodeState {
  kOk,           // Ready, nothing to do
  kPhantom,      // Down with a Ready twin
  kDownNoTwin,   // Down, no twin: reported, never removed without the operator
  kLostManager,  // a manager Down and unreachable for at least manager_grace
  kUnreachable,  // a manager unreachable for less than manager_grace
  kAmbiguous,    // its hostname belongs to several live nodes
  kNotReady,     // unknown or disconnected
};
const char* HealNodeStateName(HealNodeState state);

struct HealNodeReport {
  std::string node_id;
  std::string hostname;
  std::string role;          // Spec.Role
  std::string state;         // Status.State
  std::string availability;  // Spec.Availability
  std::string reachability;  // ManagerStatus.Reachability ("" for a worker)
  bool listed = false;
  HealNodeState heal = HealNodeState::kOk;
  std::string detail;  // why, and what is (not) done about it
};

struct HealCounts {
  int expected = 0;  // hostnames swarm.yml lists
  int in_swarm = 0;  // of them, with a Ready node
  int phantoms = 0;  // Down nodes with a Ready twin
  int down = 0;      // Down nodes without a twin
  std::optional<int> managers_wanted;
  int managers = 0;   // Spec.Role manager
  int members = 0;    // Raft members
  int reachable = 0;  // reachable members
  bool quorum = false;
  std::vector<std::string> missing;  // listed hostnames with no Ready node
};

struct HealPlan {
  std::vector<HealAction> actions;    // in order
  std::vector<HealNodeReport> nodes;  // by hostname, then id
  HealCounts counts;
  // Why the manager count is not being changed now ("" when it is, or nothing is needed).
  std::string count_status;
  // Why nothing at all is done now (quorum lost, a manager recently unreachable); "" otherwise.
  std::string blocked;
  std::vector<std::string> warnings;  // configuration that does not match the swarm
  HealMemory memory;                  // to keep when the plan has been carried out (or tried)
  // When a pass should look again: the earliest grace or backoff that ends, or soon while a role
  // change is in progress. nullopt: nothing is pending.
  std::optional<std::chrono::milliseconds> recheck_in;
};

struct HealSnapshot {
  std::vector<docker::Node> nodes;  // one complete read of GET /nodes
  // How long before the read the last successful write to Swarm's Raft store was sent (the
  // lease renewal); nullopt when none is known (not leading): quorum is then unproven.
  std::optional<std::chrono::milliseconds> raft_write_age;
};

// The age HealSnapshot wants, from when the last write was sent and when the read began.
std::optional<std::chrono::milliseconds> RaftWriteAge(std::optional<SteadyTime> last_write_sent,
                                                      SteadyTime read_at);

HealPlan PlanHeal(const config::SwarmConfig& config, const HealSettings& settings,
                  const HealSnapshot& snapshot, const HealMemory& memory, SteadyTime now);

// The node a `remove_node:ID` names: the one whose id is `id_or_prefix`, or the only one whose id
// starts with it (at least 6 characters; `docker node ls` shows 12). `error` says why none does.
struct NodeMatch {
  std::string node_id;
  std::string error;  // not empty when no single node matches
};
NodeMatch MatchNodeId(const std::vector<docker::Node>& nodes, const std::string& id_or_prefix);

}  // namespace orcastra::leader
