// The healer of a leader instance (doc/healing.md): on the active instance, a healing pass reads
// Swarm's node list, asks PlanHeal (leader/heal/plan.h) and carries the plan out through the
// Engine API; `bootstrap_swarm` runs a pass now and `remove_node:ID` asks for a removal.
//
// Why a service of its own and not a step of the controller's cycle: its writes change the Raft
// membership (a demotion or promotion is a Raft configuration change, and a write to a manager
// without a Raft leader hangs until its request timeout), and the anchors and labels must keep
// being reconciled meanwhile; it has its own cadence (LOOP_INTERVAL, every grace and backoff
// exactly when it ends, every 2 s while a change of role is verified), its own Docker client and
// its own record; and it needs only the node list (1 Engine API call per pass), not the services
// and tasks a reconcile cycle reads.
//
// Per pass (HealLoop::Pass):
// - every instance keeps its observations warm (when each node was first seen down or
//   unreachable) from the node watcher's last complete list, so that a new active instance does
//   not start every grace from zero, and publishes its view (`orcastra status`, `plan`);
// - the active instance reads the record (leader/heal/record.h) before any action and holds every
//   action until it could; reads the node list afresh (a failed read changes nothing); plans;
//   stores the plan's backoff and the operator's requests in the record before any write
//   (write-ahead; a failed store skips the pass's writes); then, for each action, reads the swarm
//   again and carries the action out only if the fresh read plans it too (a removal: the node is
//   still down at the version read; a change of role: quorum still holds and the same change is
//   planned), asks the lease immediately before the write, writes with the version read, and
//   reports an event. DRY_RUN: `dry_run` events, nothing written, the backoff advances in memory.
// Not thread-safe: one thread (the Healer's) runs the loop; Healer::Submit and Poke are
// thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/service.h"
#include "config/loader.h"
#include "config/settings.h"
#include "leader/heal/plan.h"
#include "leader/safety/store.h"
#include "leader/state/swarm_api.h"
#include "protocol/messages.h"

namespace orcastra::leader {

// What the healer publishes for the CLI.
struct HealView {
  bool active = false;  // the active instance made it
  bool dry_run = false;
  bool has_config = false;
  HealSettings settings;
  HealMemory memory;
  std::optional<SteadyTime> last_raft_write;         // as the hook said when the view was made
  nlohmann::json status = nlohmann::json::object();  // HealStatusJson of the last pass
};

struct HealLoopOptions {
  config::Settings settings;  // DRY_RUN, LOOP_INTERVAL
  HealSettings heal;          // the graces; self_node_id is this instance's node
  std::string instance_id;    // the record's writer
  std::chrono::milliseconds fast_interval{2000};
};

// A command for the healer: `bootstrap_swarm` or `remove_node:ID`.
struct HealCommand {
  std::uint64_t id = 0;
  std::string text{};    // as given ("remove_node:abc123")
  std::string source{};  // "cli", "file"
  std::string name{};
  std::optional<std::string> arg{};
};

class HealLoop {
 public:
  using Report = std::function<void(protocol::Event)>;
  struct Hooks {
    // The controller's configuration in force (nullptr before the first good one).
    std::function<std::shared_ptr<const config::Config>()> config;
    // The node watcher's last complete node list (nullopt before the first): standbys use it.
    std::function<std::optional<std::vector<docker::Node>>()> cached_nodes;
    std::function<bool()> is_leader;
    std::function<std::uint64_t()> lease_term;  // 0 when not leading
    // When the last successful lease renewal was sent (nullopt when not leading): a committed
    // write after that moment proves Swarm's Raft store had quorum (HealSnapshot).
    std::function<std::optional<SteadyTime>()> last_raft_write;
    Report report;
    std::function<void(HealView)> publish;
  };

  HealLoop(SwarmApi& api, SafetyStore& store, const Clock& clock, HealLoopOptions options,
           Hooks hooks);

  // One pass with `commands` (answered with `command` events). Returns the pause before the next.
  std::chrono::milliseconds Pass(std::vector<HealCommand> commands = {});

  // Between passes: publishes the view again from the last node list read, with the quorum proof
  // as it stands now (no Engine API call, no action), so `status` says at once when the proof has
  // lapsed. True when a pass is due now instead (this instance's leadership changed).
  bool Refresh();

  const HealMemory& memory() const { return memory_; }
  bool record_loaded() const { return loaded_; }

 private:
  struct Outcome {
    std::vector<std::string> lines;  // one per action: done, failed, skipped
    int failed = 0;
    bool fenced = false;
  };
  bool LoadRecord();
  Status Persist(const HealMemory& memory);
  Outcome CarryOut(const HealPlan& plan, const config::SwarmConfig& config);
  Status CarryOutOne(const HealAction& action, const config::SwarmConfig& config,
                     std::string* skipped);
  void ReportChanges(const HealPlan& plan);
  void Publish(const HealPlan* plan, bool active, const std::string& problem);
  void Emit(std::string kind, std::string subject, std::string message,
            std::map<std::string, std::string> attrs = {});
  void Answer(const HealCommand& command, bool ok, const std::string& result);
  void Skipped(const std::string& why);
  bool MayWrite() const { return hooks_.is_leader && hooks_.is_leader(); }
  // The snapshot of a node list whose read began at `read_at`.
  HealSnapshot Snapshot(std::vector<docker::Node> nodes, SteadyTime read_at) const;

  SwarmApi& api_;
  SafetyStore& store_;
  const Clock& clock_;
  const HealLoopOptions options_;
  const Hooks hooks_;

  HealMemory memory_;
  HealMemory stored_;  // the record part as last read or written
  StoredSafety stored_object_;
  bool loaded_ = false;
  bool was_leader_ = false;
  std::optional<std::vector<docker::Node>> last_read_;  // the active pass's last node list
  std::string record_error_;
  int load_failures_ = 0;
  int read_failures_ = 0;
  std::uint64_t writes_ = 0;
  std::string last_blocked_;
  std::string last_count_status_;
  std::map<std::string, std::string> reported_;  // node id -> heal state reported last
  std::set<std::string> warned_;                 // the warnings reported last (each once)
  std::string last_skipped_;                     // the heal_skipped reason reported last
  std::int64_t last_pass_ms_ = 0;
  std::vector<std::string> last_actions_;  // the last active pass's outcome lines
};

// `orcastra status`'s "heal" part from a plan (nullptr: none yet) and the loop's state.
nlohmann::json HealStatusJson(const HealPlan* plan, const HealView& view);
// `orcastra plan`'s "heal" part: the actions with their reasons, the nodes that are not ok, why
// nothing is done.
nlohmann::json HealPlanJson(const HealPlan& plan);
// `orcastra plan`'s heal part made now from the nodes of a fresh complete read and what the healer
// published (its memory and settings). Changes nothing.
nlohmann::json HealPlanNow(const config::SwarmConfig& config, const HealView& view,
                           const std::vector<docker::Node>& nodes, SteadyTime now);

// The healer's thread: HealLoop::Pass, then a wait for the pause it returns, a command, a Poke()
// (a Swarm node event) or Stop().
class Healer final : public Service {
 public:
  Healer(HealLoopOptions options, SwarmApi& api, const Clock& clock, HealLoop::Hooks hooks);

  // Queues `bootstrap_swarm` or `remove_node:ID` and wakes the loop; its result is a `command`
  // event with `command.id`. Unavailable when kMaxQueued commands wait already. Thread-safe.
  static constexpr std::size_t kMaxQueued = 16;
  Status Submit(HealCommand command);
  // A pass now (a Swarm node event). Thread-safe.
  void Poke();

 protected:
  void Run(std::stop_token stop) override;

 private:
  const HealLoopOptions options_;
  SwarmApi& api_;
  const Clock& clock_;
  const HealLoop::Hooks hooks_;
  SwarmSafetyStore store_;
  std::mutex mutex_;
  std::deque<HealCommand> queue_;   // guarded by mutex_
  std::atomic<bool> woken_{false};  // a command or a node event asks for a pass now
};

}  // namespace orcastra::leader
