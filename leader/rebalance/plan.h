// Memory-aware rebalancing as a pure decision (design.md §3 "Rebalancing", doc/rebalance.md).
//
// PlanRebalance() takes the configuration, one *complete* read of Swarm (nodes, services, every
// desired-running task; the caller never builds a Snapshot from a read that failed), the node
// pressure the agents' reports showed over time (leader/rebalance/pressure.h) and the moves
// remembered (in flight and recent, kept in Swarm across failovers), and returns at most one move
// to start, with the reasoning `orcastra plan` shows: each node's pressure and for how long, each
// candidate considered and its verdict, and the decision or why nothing moves. CheckMove() decides
// the next step of a move in flight from a fresh read. Neither performs I/O or reads a clock.
//
// The rules (doc/rebalance.md tells them to operators):
// - A node is a *source* while it has been high (pressure.h) for its policy's
//   `sustained_high_minutes`, it was not the target of a move in flight or one that ended less
//   than that long ago (a target is not a source until it has been steady), and it is not the
//   source of a move in flight. Nodes without a fresh report are unknown: never a source, never a
//   target.
// - A *candidate* is a replicated service with a task on the source, or an anchor with its
//   dependents (swarm.yml) as one group: all of the group's tasks run on the source, every
//   dependent carries the anchor's label constraint (so it follows the label), and the group
//   moves as one. A dependent never moves alone. Refused, with the reason shown: global services
//   and jobs, services pinned by their own constraint (node.id==, node.hostname==, node.ip== an
//   address), services opted out (label orcastra.rebalance=false on the service or its
//   containers), services in their cooldown, over their moves per hour, in transition (a task not
//   running), whose memory the source's agent does not report, that reserve generic resources, or
//   (a multi-replica service) with several tasks on the source and others elsewhere.
// - A *target* is a ready, active node with a fresh report, not high, satisfying every placement
//   constraint (the anchor label constraints of the group excepted: the label follows), platform,
//   max-replicas-per-node, host-mode port and reservation of every member; for a multi-replica
//   service it runs none of its tasks (so Swarm's spread puts the task there); it has at least
//   `memory_difference_gb` GiB more free memory than the source; after the move (memory promised
//   to moves in flight counted as used) it stays at least kRebalanceHysteresisPercent under its
//   threshold; and the service did not leave it within max(its cooldown, kNoReturnWindow). Among
//   targets, the one with the most free memory after the move.
// - The *choice*: the smallest candidate that brings the source at least the hysteresis margin
//   under its threshold (for pressure by PSI alone: that frees the margin); when none does, the
//   largest one that has a target (partial relief; the next one waits for the cooldowns). Sources
//   are taken hottest first. At most one move per plan, none while the global cooldown, the
//   cluster-wide moves per hour or kMaxInFlightMoves forbid it.
// - The *move* adds temporary constraints to the moved service's spec: node.id==T when all its
//   tasks are on the source, else node.id!=X for every other node (the nodes of its other
//   replicas excepted), so that Swarm's own update (update_config: order, parallelism) replaces
//   exactly the source's tasks and places them on T. They are removed as soon as the move
//   landed or is given up: no permanent pin (doc/rebalance.md "Mechanism" has the measurements).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/loader.h"
#include "leader/anchors/plan.h"
#include "leader/rebalance/pressure.h"

namespace orcastra::leader {

// After a move the source must be at least this many points under its threshold, and so must
// the target; under PSI pressure alone a move must free this share of the source's memory.
inline constexpr double kRebalanceHysteresisPercent = 5;
// A service never moves back to a node it left less than max(its cooldown, this) ago.
inline constexpr std::chrono::minutes kNoReturnWindow{60};
// Memory of a move still counts against its target this long after it landed, less what the
// moved containers already show there (MemAvailable lags a new placement).
inline constexpr std::chrono::minutes kPromiseSettle{5};
// A moved task that Swarm cannot place (pending, no node) for this long: the move is given up.
inline constexpr std::chrono::seconds kPendingGrace{20};
inline constexpr std::size_t kMaxInFlightMoves = 8;
inline constexpr std::size_t kMaxRememberedMoves = 256;
// A move adds at most this many constraints (a multi-replica move excludes every other node: in a
// bigger swarm such a move is refused) and carries at most this many dependents.
inline constexpr std::size_t kMaxMoveConstraints = 64;
inline constexpr std::uint64_t kGiB = 1ULL << 30;

struct RebalanceSettings {
  std::shared_ptr<const config::Config> config;       // rebalance_config.yml with the env applied
  bool dry_run = false;                               // DRY_RUN (the files' dry_run are in config)
  std::chrono::milliseconds verify_timeout{600'000};  // MAX_MISMATCH_DURATION
  std::string default_stack = "swarm-dev";            // STACK_NAME
};

enum class MoveOutcome {
  kPlacing,      // constraints added; waiting for the tasks to run on the target
  kRemoving,     // landed; the temporary constraints are being removed
  kRollingBack,  // given up; the temporary constraints are being removed
  kLanded,       // done: the group runs on the target, no constraint left
  kRolledBack,   // done: given up, no constraint left
  kDryRun,       // reported only (a dry run's memory, never stored in Swarm)
};
const char* MoveOutcomeName(MoveOutcome outcome);
std::optional<MoveOutcome> MoveOutcomeFromName(std::string_view name);
inline bool InFlight(MoveOutcome o) {
  return o == MoveOutcome::kPlacing || o == MoveOutcome::kRemoving ||
         o == MoveOutcome::kRollingBack;
}

// One move, as remembered (and stored in Swarm: leader/rebalance/record.h). Times are wall-clock
// milliseconds: the next reader may be another instance on another node.
struct MoveRecord {
  std::string service;  // full name of the service whose spec carries the constraints
  std::string service_id;
  std::vector<std::string> dependents;  // full names of the dependents moving with it
  std::string from_node;                // node ids
  std::string to_node;
  std::string from_hostname;
  std::string to_hostname;
  std::vector<std::string> constraints;  // the temporary constraints added to the spec
  std::uint64_t memory_bytes = 0;        // the group's memory on the source when planned
  std::int64_t started_ms = 0;
  std::int64_t deadline_ms = 0;  // not landed by then: given up
  std::int64_t ended_ms = 0;     // 0 while in flight
  MoveOutcome outcome = MoveOutcome::kPlacing;
  std::string why;     // why it was made
  std::string result;  // how it ended (or the last step while in flight)

  bool operator==(const MoveRecord&) const = default;
};

// What the rebalancer remembers: moves in flight and recent ones, oldest first.
struct RebalanceMemory {
  std::vector<MoveRecord> moves;
  bool operator==(const RebalanceMemory&) const = default;
};

// A node as the plan saw it (default policy's trigger).
struct RebalanceNode {
  std::string node_id;
  std::string hostname;
  PressureState state = PressureState::kUnknown;
  double used_percent = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;
  bool psi_present = false;
  double psi_some_avg10 = 0;
  std::chrono::milliseconds high_for{0};
  std::chrono::milliseconds sustained_after{0};  // the default policy's sustained_high_minutes
  bool source = false;                           // under sustained pressure and eligible
  std::uint64_t promised_bytes = 0;              // memory promised to moves towards it
  std::string why;                               // its pressure, and why not a source
};

// One candidate the plan looked at.
struct RebalanceCandidate {
  std::string service;  // full name (the anchor of a group)
  std::vector<std::string> dependents;
  std::string node_id;  // the source
  std::string hostname;
  std::uint64_t memory_bytes = 0;
  bool movable = false;   // it has a target
  bool relieves = false;  // the move brings the source under its threshold minus the margin
  std::string target_node_id;
  std::string target_hostname;
  double source_after_percent = 0;
  double target_after_percent = 0;
  bool dry_run = false;  // its policy (or DRY_RUN) says report only
  std::string why;       // the verdict: why not movable, or why this target
};

struct RebalancePlan {
  std::vector<RebalanceNode> nodes;  // by hostname
  std::vector<RebalanceCandidate> candidates;
  std::optional<MoveRecord> move;  // the move to start now
  std::uint64_t move_version = 0;  // the moved service's version as read: the write's precondition
  bool move_dry_run = false;       // report it, change nothing
  std::string decision;            // one sentence: the move and why, or why nothing moves
};

// The triggers to follow: the default block's and every service override's.
std::set<PressureTrigger> RebalanceTriggers(const config::RebalanceConfig& config);

// The policy of a service by its full name: the `services:` entry of the full name, else of the
// name without its stack prefix (`<com.docker.stack.namespace>_`), else the defaults.
config::RebalancePolicy PolicyOf(const config::RebalanceConfig& config,
                                 const docker::Service& service);

// The nodes' pressure alone (no Swarm read needed): what `status` shows, and whether any node is
// a source worth reading Swarm for. `nodes` are Swarm's (id, hostname, state).
std::vector<RebalanceNode> PressureOverview(const RebalanceSettings& settings,
                                            const std::vector<docker::Node>& nodes,
                                            const PressureTracker& pressure,
                                            const RebalanceMemory& memory, SteadyTime now,
                                            std::int64_t now_ms);
// True when some node has been high long enough under some trigger to be worth a plan.
bool AnySustainedPressure(const RebalanceSettings& settings, const std::vector<docker::Node>& nodes,
                          const PressureTracker& pressure, const RebalanceMemory& memory,
                          SteadyTime now, std::int64_t now_ms);

// The earliest moment after `now` when a node that is high now will have been high for its
// sustained window (under some policy), if it stays high: the rebalancer plans at that moment
// rather than at its next periodic evaluation.
std::optional<SteadyTime> NextSustained(const RebalanceSettings& settings,
                                        const std::vector<docker::Node>& nodes,
                                        const PressureTracker& pressure, SteadyTime now);

// The plan when no node is under sustained pressure, made without reading Swarm: the nodes'
// pressure and why nothing moves.
RebalancePlan QuietPlan(const RebalanceSettings& settings, const std::vector<docker::Node>& nodes,
                        const PressureTracker& pressure, const RebalanceMemory& memory,
                        SteadyTime now, std::int64_t now_ms);

RebalancePlan PlanRebalance(const RebalanceSettings& settings, const Snapshot& snapshot,
                            const PressureTracker& pressure, const RebalanceMemory& memory,
                            SteadyTime now, std::int64_t now_ms);

// The next step of a move in flight, from a fresh complete read of its services (every task of
// them, whatever their desired state) and the node list.
struct MoveCheck {
  MoveOutcome outcome = MoveOutcome::kPlacing;  // the move's outcome after this step
  bool remove_constraints = false;  // write the spec without the temporary constraints now
  std::string why;
};
MoveCheck CheckMove(const MoveRecord& move, const Snapshot& snapshot, std::int64_t now_ms);

// The memory without the moves nothing uses any more (ended before every window that looks at
// them) and at most kMaxRememberedMoves (the oldest ended ones go first; moves in flight stay).
RebalanceMemory PruneMoves(RebalanceMemory memory, const config::RebalanceConfig& config,
                           std::int64_t now_ms);

// The spec edits of a move, pure: `spec` is the service's Spec as read. Adding appends each
// constraint; removing takes out one occurrence of each (others' constraints are never touched).
nlohmann::json WithMoveConstraints(nlohmann::json spec,
                                   const std::vector<std::string>& constraints);
nlohmann::json WithoutMoveConstraints(nlohmann::json spec,
                                      const std::vector<std::string>& constraints);
// True when the spec still carries every one of `constraints`.
bool HasMoveConstraints(const nlohmann::json& spec, const std::vector<std::string>& constraints);

}  // namespace orcastra::leader
