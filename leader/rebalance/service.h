// The rebalancer of a leader instance (doc/rebalance.md): follows the nodes' memory pressure from
// the agents' reports, and on the active instance plans moves (leader/rebalance/plan.h), carries
// them out through the Engine API, verifies them against Swarm's task list and rolls back the
// ones that do not land, keeping its memory of moves in Swarm (leader/rebalance/record.h).
//
// Why a service of its own and not a step of the controller's cycle: a move lasts several
// seconds to minutes (a task starting on the target, the anchor's dependents following it), and
// the controller must keep running meanwhile, since it is the controller that moves an anchor's
// label and force-updates its dependents; the rebalancer has its own cadence
// (comonitor_interval_seconds, and every second while a move is in flight), its own Docker client
// and its own record, and it reads Swarm only when some node has been under pressure long enough
// or a move is in flight, so that a quiet cluster costs it no Engine API call at all.
//
// RebalanceLoop is the logic of one pass, with every side effect passed in (tests drive it on a
// fake Swarm and a simulated clock); Rebalancer is the Service around it.
//
// Per pass (RebalanceLoop::Pass):
// - every instance samples the agents' reports into its PressureTracker (standbys stay warm, so
//   a takeover knows for how long each node has been under pressure) and publishes its view;
// - the active instance loads the record before anything else (nothing moves until it is read);
//   verifies each move in flight (a fresh read: nodes, services, the moves' tasks) and removes
//   the temporary constraints of a move that landed or is given up, storing the step in the record
//   first (write-ahead); and every comonitor interval, at once when a node's pressure becomes
//   sustained, or at once on `rebalance`, plans: without a read of Swarm when no node is under
//   sustained pressure, else from a complete read (a failed read moves nothing). A move is stored
//   in the record before its spec write, and the write carries the version read and is made only
//   while the lease holds. In dry run nothing is written to Swarm: moves are reported (`rebalance`
//   events, result dry_run) and remembered in memory only, so the reports follow the real pace.
// Not thread-safe: one thread (the Rebalancer's) runs the loop; RequestEvaluation is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/service.h"
#include "config/loader.h"
#include "leader/rebalance/plan.h"
#include "leader/rebalance/pressure.h"
#include "leader/safety/store.h"
#include "leader/state/cluster_state.h"
#include "leader/state/swarm_api.h"
#include "protocol/messages.h"

namespace orcastra::leader {

// What the rebalancer reads from the rest of the leader at each pass.
struct RebalanceInputs {
  std::shared_ptr<const config::Config> config;  // the controller's configuration in force
  std::vector<docker::Node> nodes;               // Swarm's last complete node list (NodeWatcher)
  std::map<std::string, MemorySample> samples;   // by node id: the agents' last reports
};

// The inputs from the leader's cluster state at `now`: Swarm's last complete node list, and for
// each listed node its agent's last report as a sample (fresh while the agent is connected and its
// report has memory figures; the memory of each running Swarm task's container by task id). Pure.
RebalanceInputs InputsFrom(const ClusterState& cluster,
                           std::shared_ptr<const config::Config> config, SteadyTime now);

// What it publishes for the CLI: `status` shows `status`, `plan` plans afresh from the rest.
struct RebalanceView {
  bool active = false;  // the active instance made it
  RebalanceSettings settings;
  PressureTracker pressure;
  RebalanceMemory memory;
  std::vector<docker::Node> nodes;
  nlohmann::json
      status;  // {enabled, active, dry_run, nodes, in_flight, recent, last_decision, ...}
};

struct RebalanceLoopOptions {
  config::Settings settings;                        // DRY_RUN, STACK_NAME, MAX_MISMATCH_DURATION
  std::chrono::milliseconds sample_interval{5000};  // a look at the agents' reports
  std::chrono::milliseconds verify_interval{1000};  // while a move is in flight
  std::string instance_id;                          // the record's writer
};

class RebalanceLoop {
 public:
  using Report = std::function<void(protocol::Event)>;
  struct Hooks {
    std::function<RebalanceInputs()> inputs;
    std::function<bool()> is_leader;
    std::function<std::uint64_t()> lease_term;  // 0 when not leading
    Report report;
    std::function<void(RebalanceView)> publish;
    std::function<void()> poke_controller;  // an anchor moved: its label should follow now
  };

  RebalanceLoop(SwarmApi& api, SafetyStore& store, const Clock& clock, RebalanceLoopOptions options,
                Hooks hooks);

  // One pass; `command` (an id and its source) asks for an evaluation now and is answered with a
  // `command` event. Returns the pause before the next pass.
  struct Command {
    std::uint64_t id = 0;
    std::string source;
  };
  std::chrono::milliseconds Pass(std::optional<Command> command = std::nullopt);

  const RebalanceMemory& memory() const { return memory_; }
  const PressureTracker& pressure() const { return pressure_; }
  bool record_loaded() const { return loaded_; }
  const std::string& last_decision() const { return last_decision_; }

 private:
  RebalanceSettings Settings(const RebalanceInputs& inputs) const;
  bool LoadRecord();
  Status Persist();
  void Verify(const RebalanceSettings& settings);
  // Plans and starts a move; returns the decision and whether it failed.
  std::string Evaluate(const RebalanceSettings& settings, const RebalanceInputs& inputs,
                       bool* failed);
  void Publish(const RebalanceSettings& settings, const RebalanceInputs& inputs, bool leader);
  void Emit(const std::string& action, const MoveRecord* move, const std::string& subject,
            const std::string& message);
  void EmitCommand(const Command& command, const std::string& result, const std::string& message);

  SwarmApi& api_;
  SafetyStore& store_;
  const Clock& clock_;
  const RebalanceLoopOptions options_;
  const Hooks hooks_;

  PressureTracker pressure_;
  RebalanceMemory memory_;
  bool was_leader_ = false;
  bool loaded_ = false;
  StoredSafety stored_;      // the record object as last read or written
  std::string stored_text_;  // the record text it holds (what Persist compares with)
  std::uint64_t writes_ = 0;
  std::uint64_t write_failures_ = 0;
  std::string record_error_;
  int load_failures_ = 0;
  std::optional<SteadyTime> next_evaluation_;
  std::string last_decision_;
  std::int64_t last_decision_ms_ = 0;
  std::int64_t hold_until_ms_ = 0;        // an unusable record was read: no move before this
  bool dry_run_ = false;                  // this pass's DRY_RUN (nothing is written to Swarm)
  int read_failures_ = 0;                 // Swarm reads failed in a row (reported once per streak)
  bool sustained_at_evaluation_ = false;  // some node was under sustained pressure then
};

// A SwarmApi that counts the calls it forwards (the rebalancer's share of the API budget).
class CountingSwarmApi final : public SwarmApi {
 public:
  CountingSwarmApi(SwarmApi& inner, std::atomic<std::uint64_t>& count)
      : inner_(inner), count_(count) {}
  Result<std::vector<docker::Node>> Nodes() override { return ++count_, inner_.Nodes(); }
  Result<std::vector<docker::Service>> Services() override { return ++count_, inner_.Services(); }
  Result<std::vector<docker::Task>> Tasks(const nlohmann::json& filters) override {
    return ++count_, inner_.Tasks(filters);
  }
  Status UpdateNode(const std::string& id, std::uint64_t version,
                    const nlohmann::json& spec) override {
    return ++count_, inner_.UpdateNode(id, version, spec);
  }
  Status UpdateService(const std::string& id, std::uint64_t version,
                       const nlohmann::json& spec) override {
    return ++count_, inner_.UpdateService(id, version, spec);
  }
  Result<std::optional<ConfigObject>> ConfigNamed(const std::string& name) override {
    return ++count_, inner_.ConfigNamed(name);
  }
  Result<ConfigObject> InspectConfig(const std::string& id) override {
    return ++count_, inner_.InspectConfig(id);
  }
  Result<std::string> CreateConfig(const std::string& name, const Labels& labels,
                                   const std::string& data) override {
    return ++count_, inner_.CreateConfig(name, labels, data);
  }
  Status UpdateConfigLabels(const ConfigObject& current, const Labels& labels) override {
    return ++count_, inner_.UpdateConfigLabels(current, labels);
  }
  Result<std::vector<ConfigObject>> ConfigsLabelled(const std::string& key) override {
    return ++count_, inner_.ConfigsLabelled(key);
  }
  Status DeleteConfig(const std::string& id) override { return ++count_, inner_.DeleteConfig(id); }

 private:
  SwarmApi& inner_;
  std::atomic<std::uint64_t>& count_;
};

// `orcastra plan`'s rebalance part, made now from `view` (the pressure, memory and settings the
// rebalancer published) and a fresh complete read of Swarm through `api` (3 calls; a failed read
// gives a decision saying so, never a plan on partial data). Changes nothing.
nlohmann::json RebalancePlanNow(SwarmApi& api, const RebalanceView& view, SteadyTime now,
                                std::int64_t now_ms);

// The rebalancer's thread: runs RebalanceLoop::Pass, then waits for the pause it returns, a
// `rebalance` request or Stop(). Its Engine API calls go through `api` (a Docker client of its own,
// leader/leader.cc) and are counted; its record is SwarmSafetyStore over the same.
class Rebalancer final : public Service {
 public:
  Rebalancer(RebalanceLoopOptions options, SwarmApi& api, const Clock& clock,
             RebalanceLoop::Hooks hooks);

  // `orcastra command rebalance` / the command file: one evaluation now, answered by a `command`
  // event with this id. Thread-safe.
  void RequestEvaluation(std::uint64_t id, std::string source);
  // Engine API calls of the rebalancer so far. Thread-safe.
  std::uint64_t api_calls() const { return api_calls_.load(); }

 protected:
  void Run(std::stop_token stop) override;

 private:
  const RebalanceLoopOptions options_;
  SwarmApi& api_;
  const Clock& clock_;
  const RebalanceLoop::Hooks hooks_;
  std::mutex mutex_;
  std::vector<RebalanceLoop::Command> requests_;  // guarded by mutex_
  std::atomic<std::uint64_t> api_calls_{0};
};

}  // namespace orcastra::leader
