// The controller loop of a leader instance: hot-reloads the configuration, runs reconcile cycles
// (leader/anchors/reconciler.h) and executes commands (the command file and `orcastra command`).
//
// When it runs a cycle:
// - the active instance: at once after a wake (a Swarm service/node event with EVENT_MODE, an
//   agent's container event, a command, winning the lease), every 2 s while something is in
//   transition (Plan::settled is false), and every RELABEL_TIME otherwise (POLLING_MODE); with
//   POLLING_MODE=false only on wakes and every LOOP_INTERVAL. Cycles are at least 1 s apart.
// - a standby: every RELABEL_TIME, read-only, so `orcastra anchors|services|plan` answer from any
//   manager and a new leader starts from a recent picture. It runs no command and writes nothing.
//
// The active instance continues the dependents' backoff and the pause from the safety record in
// Swarm (leader/safety/keeper.h): it loads the record before its first action after becoming
// active, holds every dependent while it cannot, and stores every change before the cycle's
// service writes. A dry run reads the record and never writes it.
//
// Between passes, the configuration files and the command file are looked at every 2 s; a change
// runs a pass at once.
//
// A configuration that does not validate is refused (event `config_refused` with every
// diagnostic's file:line:column) and the last good one keeps running; before the first good one
// the controller reconciles nothing. For every configuration in force, each dependent that cannot
// follow its anchor (config/dependent_constraints.h) is reported once, as a warning log line and a
// `config_warning` event, when the configuration is loaded or when the dependent's service
// appears.
//
// `remove_all_labels` suspends label management until `relabel_all` (plan.h, labels_suspended):
// otherwise the cycle that follows would put every label back at once. The suspension lives in
// this instance's memory; a new active instance manages labels again.
//
// Side effects come in at construction: the SwarmApi and the Clock (they must outlive the
// controller; the SwarmApi is used by the controller's thread only), the lease as functions, the
// event sink and the view publisher. The configuration and command files are read from the paths
// in the settings. The loop is Step() repeated every kTick or on a wake; tests call Step() on a
// simulated clock without starting the thread.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/service.h"
#include "config/loader.h"
#include "config/settings.h"
#include "leader/anchors/plan.h"
#include "leader/config_store/plan.h"
#include "leader/endpoints/remote_commands.h"
#include "leader/state/swarm_api.h"
#include "protocol/messages.h"

namespace orcastra::leader {

struct ControllerOptions {
  config::Settings settings;
  std::chrono::milliseconds fast_interval{2000};
  std::chrono::milliseconds min_spacing{1000};
  std::chrono::milliseconds anchor_grace = kDefaultAnchorGrace;
  std::chrono::milliseconds follow_window{0};
  // The lease's fencing term (0 when not leading) and this instance's id: the safety record is
  // written under them (leader/safety/keeper.h). Without a term nothing is written, so dependents
  // are never restarted.
  std::function<std::uint64_t()> lease_term;
  std::string instance_id;
  // Takes the agent commands (gc, rotate_logs, refresh_mods, each with an optional NODE) to the
  // thread that owns the agents' sockets; that side records their `command` event when the agents
  // answered. Called from the controller's thread. Empty: those commands fail.
  std::function<void(AgentCommandRequest)> agent_commands;
  // Takes `bootstrap_swarm` and `remove_node:ID` to the healer (leader/heal/service.h), which
  // records their `command` event. Empty: those commands fail.
  std::function<Status(AgentCommandRequest)> heal_commands;
  // Takes `rebalance` (its id and source) to the rebalancer (leader/rebalance/service.h), which
  // records its `command` event when it has evaluated. Empty: the command fails.
  std::function<void(std::uint64_t, const std::string&)> rebalance;
};

// What the controller publishes after every cycle, for the CLI.
struct ControllerView {
  bool has_config = false;
  std::shared_ptr<const config::Config> config;
  std::string config_problem;  // the last refusal, if the config in force is older than the files
  // Where the configuration in force comes from (doc/config-store.md): "source" (swarm, files,
  // none), "dir", "files_present", "version" (the stored version in force, VersionJson),
  // "store_problem", "refused_versions".
  nlohmann::json config_source;
  // The files of the stored version in force (null while the files are the source).
  std::shared_ptr<const ConfigSet> stored_set;
  ReconcileSettings settings;
  ReconcileMemory memory;
  nlohmann::json plan;      // PlanJson of the last cycle (null before the first)
  nlohmann::json services;  // ServicesJson of the last cycle
  // docker::ServiceImageRefs of the last complete read of the service list (for agents on workers).
  std::optional<std::vector<std::string>> service_images;
  std::int64_t cycle_ts_ms = 0;
  bool acted = false;  // the last cycle was the active leader's
  bool dry_run = false;
  bool dependents_paused = false;
  // The safety record (SafetyKeeper::StatusJson, with "paused_by" and "paused_at_ms").
  nlohmann::json safety;
};

// What the controller did since the process started (/metrics). Any thread.
struct ControllerCounters {
  std::atomic<std::uint64_t> cycles_ok{0};       // cycles that read Swarm whole and planned
  std::atomic<std::uint64_t> cycles_skipped{0};  // cycles skipped: a read failed (partial data)
  std::atomic<std::uint64_t> cycles_fenced{0};   // cycles stopped because the lease was lost
  std::atomic<std::uint64_t> config_loaded{0};   // configurations put in force
  std::atomic<std::uint64_t> config_refused{0};  // configurations refused (the last good stays)
  // Actions by kind (set_labels, force_update, add_constraint) and result (ok, failed, dry_run).
  static constexpr const char* kKinds[] = {"set_labels", "force_update", "add_constraint"};
  static constexpr const char* kResults[] = {"ok", "failed", "dry_run"};
  std::atomic<std::uint64_t> actions[3][3] = {};
  void CountAction(std::string_view kind, std::string_view result);
};

class Controller final : public Service {
 public:
  using Report = std::function<void(protocol::Event)>;
  using Publish = std::function<void(ControllerView)>;

  Controller(ControllerOptions options, SwarmApi& api, const Clock& clock,
             std::function<bool()> is_leader, Report report, Publish publish);
  ~Controller() override;

  // Queues `text` ("update_dependents:db") from `source` ("cli", "file") and wakes the loop.
  // Returns the command's id (its result event carries it as attribute `id`), or an error when
  // the command is unknown or its argument is not allowed, or Unavailable when kMaxQueuedCommands
  // are already waiting (a CLI or file flooding commands cannot grow the queue).
  static constexpr std::size_t kMaxQueuedCommands = 64;
  Result<std::uint64_t> Submit(const std::string& text, const std::string& source);
  // Runs a cycle now (a Swarm or agent event arrived). Thread-safe.
  void Poke();
  // Reads the stored configuration (and runs a pass) now: a config object changed. Thread-safe.
  void PokeStore();
  // How often the stored configuration is read when no config event says it changed.
  static constexpr std::chrono::seconds kStoreReadPeriod{10};

  // How often the loop steps, and how often the configuration and command files are looked at
  // between passes.
  static constexpr std::chrono::milliseconds kTick{250};
  static constexpr std::chrono::milliseconds kWatchPeriod{2000};

  // One step of the loop at the clock's now: runs a pass (configuration, commands when active, a
  // cycle, the view published) when one is due (the first step, a wake, a change of leadership,
  // the pause after the last pass ran out, a changed configuration or command file) and at least
  // min_spacing has passed since the last one. Returns how long to wait before the next step (at
  // most kTick). The controller's thread only, or a test with no thread started.
  std::chrono::milliseconds Step();
  // How many passes Step() has run.
  std::uint64_t passes() const { return passes_; }
  // What it did (cycles, reloads, actions). Any thread.
  const ControllerCounters& counters() const { return counters_; }
  // Commands queued and not yet taken by a pass. Any thread.
  std::size_t queued_commands() const;

 protected:
  void Run(std::stop_token stop) override;

 private:
  struct Queued {
    std::uint64_t id;
    std::string text;
    std::string source;
  };
  class Loop;

  const ControllerOptions options_;
  SwarmApi& api_;
  const Clock& clock_;
  const std::function<bool()> is_leader_;
  const Report report_;
  const Publish publish_;
  ControllerCounters counters_;
  mutable std::mutex mutex_;
  std::deque<Queued> inbox_;              // guarded by mutex_
  std::uint64_t next_id_ = 1;             // guarded by mutex_
  bool woken_ = false;                    // guarded by mutex_: a cycle is due now
  std::atomic<bool> store_woken_{false};  // the stored configuration is to be read now

  // The loop's state: the controller's thread only. A (re)started Run() begins a fresh Loop (the
  // safety record is read again).
  std::unique_ptr<Loop> loop_;
  std::optional<SteadyTime> last_pass_;  // when the last pass ended
  SteadyTime next_pass_{};               // when the pause after it runs out
  SteadyTime next_watch_{};              // when the files are looked at next
  std::uint64_t passes_ = 0;
};

}  // namespace orcastra::leader
