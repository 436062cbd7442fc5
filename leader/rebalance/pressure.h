// Memory pressure per node, from the agents' own figures (design.md §3 "Rebalancing"), as a pure
// tracker: the rebalancer feeds it what the agents last reported and asks, per node and trigger,
// since when the node has been over the trigger without a break.
//
// A node is *high* for a trigger while its memory use (used / total, as the agent reports it
// from /proc or the node's cgroup) is over the trigger's percent, or its PSI memory "some avg10"
// is over the trigger's PSI threshold where the kernel gives PSI. A node without a fresh report
// (no agent, an agent that stopped reporting, a report without memory figures) is *unknown*:
// never free, never busy, and an unknown sample ends every high streak of the node (pressure
// must be seen continuously to count as sustained). Each report is counted once, by the time it
// arrived, however often the tracker looks.
//
// Clock-free and not thread-safe: one owner (the rebalancer's thread) feeds it; copies are cheap
// (a map per node) and are what the CLI's plan is made from. Bounded by the nodes of the last
// Observe() and the triggers asked for.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/clock.h"

namespace orcastra::leader {

// What one agent report says about its node's memory, as sampled by the rebalancer.
struct MemorySample {
  bool fresh = false;      // the agent is connected and has sent a report with memory figures
  SteadyTime report_at{};  // when the report arrived
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;  // total - available
  bool psi_present = false;
  double psi_some_avg10 = 0;  // percent
  // Memory of each Swarm task's container on the node, by task id (the agent's cgroup figures).
  std::map<std::string, std::uint64_t> task_memory;

  double used_percent() const {
    return total_bytes == 0
               ? 0
               : 100.0 * static_cast<double>(used_bytes) / static_cast<double>(total_bytes);
  }
  bool operator==(const MemorySample&) const = default;
};

// When a node counts as high: memory use over `percent`, or PSI some avg10 over `psi`.
struct PressureTrigger {
  double percent = 85;
  double psi = 20;
  auto operator<=>(const PressureTrigger&) const = default;
};

enum class PressureState { kUnknown, kNormal, kHigh };
const char* PressureStateName(PressureState state);

struct NodePressure {
  PressureState state = PressureState::kUnknown;
  MemorySample sample;                   // the last one seen
  std::optional<SteadyTime> high_since;  // the first report of the current high streak
  std::string why;                       // "memory 91.2% > 85%", "PSI some avg10 34.0 > 20", ...

  // How long the node has been high at `now` (0 when it is not).
  std::chrono::milliseconds HighFor(SteadyTime now) const;
};

// Whether `sample` is over `trigger`, and a sentence saying which figure is (or why not).
bool IsHigh(const MemorySample& sample, const PressureTrigger& trigger, std::string* why);

class PressureTracker {
 public:
  // Takes one look at the agents' reports, by node id. Nodes missing from `samples` are
  // forgotten; a sample that is not fresh makes its node unknown. `triggers` are the thresholds
  // to follow (the default block's and every service override's); streaks of triggers no longer
  // asked for are dropped.
  void Observe(const std::map<std::string, MemorySample>& samples,
               const std::set<PressureTrigger>& triggers);

  // The node's state under `trigger` (kUnknown for a node or trigger never observed).
  NodePressure Evaluate(const std::string& node_id, const PressureTrigger& trigger) const;

  // The last sample of `node_id`, or nullptr.
  const MemorySample* Sample(const std::string& node_id) const;
  std::set<std::string> NodeIds() const;

 private:
  struct Track {
    MemorySample last;
    std::map<PressureTrigger, SteadyTime> high_since;  // streaks in progress
  };
  std::map<std::string, Track> nodes_;
};

}  // namespace orcastra::leader
