#include "leader/rebalance/service.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/docker_client.h"
#include "common/log.h"
#include "leader/rebalance/record.h"
#include "leader/rebalance/views.h"

namespace orcastra::leader {
namespace {

constexpr std::size_t kMaxRequests = 16;
// `status` lists at most this many nodes (those not normal first); `plan` has them all.
constexpr std::size_t kMaxStatusNodes = 64;

const char* kRecordWhere = "rebalance record in config 'orcastra-rebalance-record'";

bool Ended(MoveOutcome o) { return o == MoveOutcome::kLanded || o == MoveOutcome::kRolledBack; }

}  // namespace

RebalanceInputs InputsFrom(const ClusterState& cluster,
                           std::shared_ptr<const config::Config> config, SteadyTime now) {
  RebalanceInputs inputs;
  inputs.config = std::move(config);
  inputs.nodes = cluster.nodes();
  for (const docker::Node& node : inputs.nodes) {
    MemorySample& sample = inputs.samples[node.id];
    auto it = cluster.agents().find(node.id);
    if (it == cluster.agents().end() || !it->second.has_report) continue;
    const AgentRecord& agent = it->second;
    const protocol::NodeReport& report = agent.report;
    sample.fresh = ClusterState::IsConnected(agent, now) && report.memory.total_bytes > 0;
    sample.report_at = agent.report_at;
    sample.total_bytes = report.memory.total_bytes;
    sample.used_bytes =
        report.memory.used_bytes > 0 || report.memory.available_bytes > report.memory.total_bytes
            ? report.memory.used_bytes
            : report.memory.total_bytes - report.memory.available_bytes;
    sample.used_bytes = std::min(sample.used_bytes, sample.total_bytes);
    sample.psi_present = report.psi.present;
    sample.psi_some_avg10 = report.psi.some_avg10;
    for (const protocol::ContainerReport& c : report.containers) {
      if (c.task_id.empty() || c.state != "running") continue;
      sample.task_memory[c.task_id] += c.memory_bytes;
    }
  }
  return inputs;
}

RebalanceLoop::RebalanceLoop(SwarmApi& api, SafetyStore& store, const Clock& clock,
                             RebalanceLoopOptions options, Hooks hooks)
    : api_(api),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {}

RebalanceSettings RebalanceLoop::Settings(const RebalanceInputs& inputs) const {
  RebalanceSettings settings;
  settings.config = inputs.config;
  // DRY_RUN or the file's default.dry_run: nothing is moved, whatever a service's own block says.
  settings.dry_run = options_.settings.dry_run ||
                     (inputs.config != nullptr && inputs.config->rebalance.defaults.dry_run);
  settings.verify_timeout = options_.settings.max_mismatch_duration;
  settings.default_stack = options_.settings.stack_name;
  return settings;
}

void RebalanceLoop::Emit(const std::string& action, const MoveRecord* move,
                         const std::string& subject, const std::string& message) {
  std::map<std::string, std::string> attrs = {{"action", action}};
  if (move != nullptr) {
    attrs["service"] = move->service;
    attrs["from"] = move->from_hostname;
    attrs["to"] = move->to_hostname;
    attrs["outcome"] = MoveOutcomeName(move->outcome);
    if (!move->dependents.empty()) {
      std::string deps;
      for (const auto& d : move->dependents) deps += (deps.empty() ? "" : ",") + d;
      attrs["dependents"] = deps;
    }
  }
  Logger("rebalance")->info("{} {}: {}", action, subject, message);
  if (hooks_.report) hooks_.report({"rebalance", subject, message, std::move(attrs)});
}

void RebalanceLoop::EmitCommand(const Command& command, const std::string& result,
                                const std::string& message) {
  Logger("rebalance")->info("command rebalance ({}): {}", result, message);
  if (hooks_.report) {
    hooks_.report(
        {"command",
         "rebalance",
         message,
         {{"id", std::to_string(command.id)}, {"source", command.source}, {"result", result}}});
  }
}

bool RebalanceLoop::LoadRecord() {
  auto read = store_.Read();
  if (!read.ok()) {
    record_error_ = read.status().ToString();
    if (load_failures_++ % 30 == 0) {
      Emit("record_load_failed", nullptr, kRebalanceConfigName,
           "the rebalance record could not be read; nothing moves until it is: " + record_error_);
    }
    return false;
  }
  load_failures_ = 0;
  record_error_.clear();
  stored_ = *read;
  loaded_ = true;
  if (!stored_.exists) {
    memory_ = {};
    stored_text_.clear();
    Emit("record_loaded", nullptr, kRebalanceConfigName, "no rebalance record in Swarm yet");
    return true;
  }
  Result<RebalanceMemory> decoded = stored_.problem.empty()
                                        ? DecodeRebalanceRecord(stored_.record_json, kRecordWhere)
                                        : Result<RebalanceMemory>(Status::ParseError(
                                              std::string(kRecordWhere) + ": " + stored_.problem));
  if (!decoded.ok()) {
    // Unusable: start from nothing, but move nothing for a global cooldown (what it held may
    // have been a recent move), and replace it at the next write.
    memory_ = {};
    stored_text_.clear();
    record_error_ = decoded.status().ToString();
    Emit("record_refused", nullptr, kRebalanceConfigName,
         "the stored rebalance record is unusable (" + record_error_ +
             "); no move for a global cooldown, and it is replaced at the next write. Temporary "
             "constraints of a move it held in flight, if any, must be removed by hand "
             "(node.id== / node.id!= constraints Orcastra added)");
    hold_until_ms_ = -1;  // Pass() sets it to a global cooldown from now
    return true;
  }
  memory_ = *decoded;
  stored_text_ = stored_.record_json;
  std::size_t in_flight = 0;
  for (const MoveRecord& m : memory_.moves) in_flight += InFlight(m.outcome) ? 1 : 0;
  Emit("record_loaded", nullptr, kRebalanceConfigName,
       std::to_string(memory_.moves.size()) + " moves remembered, " + std::to_string(in_flight) +
           " in flight (written under term " + std::to_string(stored_.term) + " by " +
           stored_.writer + ")");
  return true;
}

Status RebalanceLoop::Persist() {
  if (dry_run_) return Status::Ok();  // a dry run never writes to Swarm
  auto text = EncodeRebalanceRecord(memory_);
  if (!text.ok()) {
    record_error_ = text.status().ToString();
    return text.status();
  }
  bool any_stored = false;
  for (const MoveRecord& m : memory_.moves) any_stored |= m.outcome != MoveOutcome::kDryRun;
  if (stored_.exists ? *text == stored_text_ : !any_stored) return Status::Ok();
  auto written = store_.Write(*text, hooks_.lease_term ? hooks_.lease_term() : 0,
                              options_.instance_id, stored_);
  if (!written.ok()) {
    ++write_failures_;
    record_error_ = written.status().ToString();
    Emit("record_write_failed", nullptr, kRebalanceConfigName,
         "the rebalance record could not be stored: " + record_error_);
    loaded_ = false;  // read it again before the next action
    return written.status();
  }
  stored_ = *written;
  stored_text_ = *text;
  ++writes_;
  record_error_.clear();
  return Status::Ok();
}

void RebalanceLoop::Verify(const RebalanceSettings& settings) {
  (void)settings;
  std::vector<std::size_t> flying;
  for (std::size_t i = 0; i < memory_.moves.size(); ++i) {
    if (InFlight(memory_.moves[i].outcome)) flying.push_back(i);
  }
  if (flying.empty()) return;
  const std::int64_t now_ms = clock_.WallMs();
  Snapshot snapshot;
  auto nodes = api_.Nodes();
  auto services =
      nodes.ok() ? api_.Services() : Result<std::vector<docker::Service>>(nodes.status());
  Status read = services.status();
  if (services.ok()) {
    snapshot.nodes = std::move(nodes).value();
    snapshot.services = std::move(services).value();
    std::set<std::string> names;
    for (std::size_t i : flying) {
      names.insert(memory_.moves[i].service);
      for (const auto& d : memory_.moves[i].dependents) names.insert(d);
    }
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& s : snapshot.services) {
      if (names.count(s.name)) ids.push_back(s.id);
    }
    if (!ids.empty()) {
      auto tasks = api_.Tasks({{"service", ids}});
      read = tasks.status();
      if (tasks.ok()) snapshot.tasks = std::move(tasks).value();
    }
  }
  if (!read.ok()) {
    if (read_failures_++ == 0) {
      Emit("verify_skipped", nullptr, "swarm",
           "moves in flight not checked, partial read: " + read.ToString());
    }
    return;
  }
  read_failures_ = 0;
  bool group_placing = false;
  for (std::size_t i : flying) {
    MoveRecord& move = memory_.moves[i];
    MoveCheck check = CheckMove(move, snapshot, now_ms);
    if (check.outcome == move.outcome && !check.remove_constraints) {
      move.result = check.why;
      if (move.outcome == MoveOutcome::kPlacing && !move.dependents.empty()) group_placing = true;
      continue;
    }
    if (Ended(check.outcome)) {
      move.outcome = check.outcome;
      move.ended_ms = now_ms;
      move.result = check.why;
      (void)Persist();
      Emit(check.outcome == MoveOutcome::kLanded ? "landed" : "rolled_back", &move, move.service,
           check.why);
      continue;
    }
    // The constraints must go: the step is stored first (a failover continues it), but their
    // removal never waits for the record: it is always the safe direction (it unpins).
    if (check.outcome != move.outcome) {
      move.outcome = check.outcome;
      move.result = check.why;
      (void)Persist();
      Emit(move.outcome == MoveOutcome::kRemoving ? "verified" : "rolling_back", &move,
           move.service, check.why);
    }
    if (dry_run_) {
      move.result = "dry run: the temporary constraints would be removed now (" + check.why + ")";
      continue;
    }
    if (hooks_.is_leader && !hooks_.is_leader()) return;
    const docker::Service* service = nullptr;
    for (const auto& s : snapshot.services) {
      if (s.id == move.service_id) service = &s;
    }
    if (service == nullptr) continue;  // CheckMove ends it next pass
    Status written = api_.UpdateService(service->id, service->version,
                                        WithoutMoveConstraints(service->spec, move.constraints));
    if (!written.ok()) {
      move.result = "removing the temporary constraints failed (retried): " + written.ToString();
      Emit("step_failed", &move, move.service, move.result);
      continue;
    }
    const bool landed = move.outcome == MoveOutcome::kRemoving;
    move.outcome = landed ? MoveOutcome::kLanded : MoveOutcome::kRolledBack;
    move.ended_ms = now_ms;
    move.result =
        (landed ? check.why : "rolled back: " + check.why) + "; temporary constraints removed";
    (void)Persist();
    Emit(landed ? "landed" : "rolled_back", &move, move.service, move.result);
  }
  if (group_placing && hooks_.poke_controller) hooks_.poke_controller();
}

std::string RebalanceLoop::Evaluate(const RebalanceSettings& settings,
                                    const RebalanceInputs& inputs, bool* failed) {
  const SteadyTime now = clock_.Now();
  const std::int64_t now_ms = clock_.WallMs();
  if (now_ms < hold_until_ms_) {
    return "nothing moves: the stored rebalance record was unusable; holding until the global "
           "cooldown has passed since it was read";
  }
  if (!AnySustainedPressure(settings, inputs.nodes, pressure_, memory_, now, now_ms)) {
    return QuietPlan(settings, inputs.nodes, pressure_, memory_, now, now_ms).decision;
  }
  Snapshot snapshot;
  auto nodes = api_.Nodes();
  auto services =
      nodes.ok() ? api_.Services() : Result<std::vector<docker::Service>>(nodes.status());
  auto tasks = services.ok() ? api_.Tasks({{"desired-state", {"running"}}})
                             : Result<std::vector<docker::Task>>(services.status());
  if (!tasks.ok()) {
    *failed = true;
    std::string why = "nothing moves: partial read of Swarm: " + tasks.status().ToString();
    if (read_failures_++ == 0) Emit("skipped", nullptr, "swarm", why);
    return why;
  }
  read_failures_ = 0;
  snapshot.nodes = std::move(nodes).value();
  snapshot.services = std::move(services).value();
  snapshot.tasks = std::move(tasks).value();
  RebalancePlan plan = PlanRebalance(settings, snapshot, pressure_, memory_, now, now_ms);
  if (!plan.move) return plan.decision;

  MoveRecord move = *plan.move;
  if (plan.move_dry_run || dry_run_) {
    move.outcome = MoveOutcome::kDryRun;
    move.ended_ms = now_ms;
    move.result = "dry run: reported, nothing changed";
    memory_.moves.push_back(move);
    Emit("dry_run", &move, move.service, plan.decision);
    return plan.decision;
  }
  const docker::Service* service = nullptr;
  for (const auto& s : snapshot.services) {
    if (s.id == move.service_id) service = &s;
  }
  if (service == nullptr) return "nothing moves: " + move.service + " vanished";  // not reached
  // Write-ahead: the move is in the record before the spec changes.
  memory_.moves.push_back(move);
  Status stored = Persist();
  if (!stored.ok()) {
    memory_.moves.pop_back();
    *failed = true;
    return "nothing moves: the move of " + move.service +
           " was not started, the rebalance record could not be stored: " + stored.ToString();
  }
  MoveRecord& started = memory_.moves.back();
  Status written = Status::Aborted("this instance no longer holds the lease");
  if (!hooks_.is_leader || hooks_.is_leader()) {
    written = api_.UpdateService(service->id, plan.move_version,
                                 WithMoveConstraints(service->spec, move.constraints));
  }
  if (!written.ok()) {
    started.outcome = MoveOutcome::kRolledBack;
    started.ended_ms = now_ms;
    started.result = "not started: the spec write failed: " + written.ToString();
    (void)Persist();
    Emit("failed", &started, started.service, started.result);
    *failed = true;
    return "the move of " + move.service + " was not started: " + written.ToString();
  }
  Emit(
      "started", &started, started.service, plan.decision + " (temporary constraints: " + [&] {
        std::string c;
        for (const auto& x : started.constraints) c += (c.empty() ? "" : ", ") + x;
        return c;
      }() + ")");
  if (!started.dependents.empty() && hooks_.poke_controller) hooks_.poke_controller();
  return plan.decision;
}

void RebalanceLoop::Publish(const RebalanceSettings& settings, const RebalanceInputs& inputs,
                            bool leader) {
  if (!hooks_.publish) return;
  const SteadyTime now = clock_.Now();
  const std::int64_t now_ms = clock_.WallMs();
  RebalanceView view;
  view.active = leader;
  view.settings = settings;
  view.pressure = pressure_;
  view.memory = memory_;
  view.nodes = inputs.nodes;
  std::vector<RebalanceNode> overview =
      PressureOverview(settings, inputs.nodes, pressure_, memory_, now, now_ms);
  std::stable_sort(overview.begin(), overview.end(), [](const auto& a, const auto& b) {
    return (a.state == PressureState::kNormal) < (b.state == PressureState::kNormal);
  });
  nlohmann::json nodes = nlohmann::json::array();
  int high = 0, sustained = 0, unknown = 0;
  for (const RebalanceNode& node : overview) {
    high += node.state == PressureState::kHigh;
    sustained += node.source;
    unknown += node.state == PressureState::kUnknown;
    if (nodes.size() < kMaxStatusNodes) nodes.push_back(RebalanceNodeJson(node));
  }
  nlohmann::json moves = MovesJson(memory_, now_ms, 5);
  view.status = {
      {"enabled", settings.config != nullptr},
      {"active", leader},
      {"dry_run", settings.dry_run},
      {"interval_s", settings.config ? settings.config->rebalance.comonitor_interval_seconds : 0},
      {"counts",
       {{"nodes", overview.size()},
        {"high", high},
        {"sustained", sustained},
        {"unknown", unknown}}},
      {"nodes", std::move(nodes)},
      {"in_flight", moves["in_flight"]},
      {"recent", moves["recent"]},
      {"record",
       {{"loaded", loaded_},
        {"writes", writes_},
        {"write_failures", write_failures_},
        {"error", record_error_.empty() ? nlohmann::json() : nlohmann::json(record_error_)}}}};
  view.status["last_decision"] =
      last_decision_.empty() ? nlohmann::json() : nlohmann::json(last_decision_);
  view.status["last_decision_ts_ms"] =
      last_decision_ms_ == 0 ? nlohmann::json() : nlohmann::json(last_decision_ms_);
  hooks_.publish(std::move(view));
}

std::chrono::milliseconds RebalanceLoop::Pass(std::optional<Command> command) {
  const SteadyTime now = clock_.Now();
  const std::int64_t now_ms = clock_.WallMs();
  RebalanceInputs inputs = hooks_.inputs ? hooks_.inputs() : RebalanceInputs{};
  const RebalanceSettings settings = Settings(inputs);
  const bool dry_run = settings.dry_run;
  if (dry_run_ && !dry_run) {
    // A dry run's moves never happened: they hold no cooldown over real ones.
    std::erase_if(memory_.moves,
                  [](const MoveRecord& m) { return m.outcome == MoveOutcome::kDryRun; });
  }
  dry_run_ = dry_run;
  pressure_.Observe(inputs.samples, settings.config ? RebalanceTriggers(settings.config->rebalance)
                                                    : std::set<PressureTrigger>{});
  const bool leader = hooks_.is_leader && hooks_.is_leader();
  if (leader != was_leader_) {
    was_leader_ = leader;
    loaded_ = false;
    next_evaluation_.reset();
    if (!leader) memory_ = {};
  }
  auto answer = [&](const std::string& result, const std::string& message) {
    if (command) EmitCommand(*command, result, message);
  };
  if (!leader) {
    sustained_at_evaluation_ = false;
    answer("failed", "not run: this instance is not the active leader");
    Publish(settings, inputs, leader);
    return options_.sample_interval;
  }
  if (!settings.config) {
    answer("failed", "not run: no configuration in force");
    Publish(settings, inputs, leader);
    return options_.sample_interval;
  }
  if (!loaded_ && !LoadRecord()) {
    answer("failed", "not run: the rebalance record could not be read: " + record_error_);
    Publish(settings, inputs, leader);
    return options_.sample_interval;
  }
  if (hold_until_ms_ < 0) {
    hold_until_ms_ =
        now_ms + std::llround(60'000.0 * settings.config->rebalance.global_cooldown_minutes);
  }
  memory_ = PruneMoves(std::move(memory_), settings.config->rebalance, now_ms);
  Verify(settings);
  // Periodically while pressure lasts, and at once when a node's pressure becomes sustained
  // (so a move does not wait up to a whole interval after its window).
  const bool sustained =
      AnySustainedPressure(settings, inputs.nodes, pressure_, memory_, now, now_ms);
  const bool due = command.has_value() || !next_evaluation_ || now >= *next_evaluation_ ||
                   (sustained && !sustained_at_evaluation_);
  if (due) {
    sustained_at_evaluation_ = sustained;
    next_evaluation_ =
        now + std::chrono::seconds(settings.config->rebalance.comonitor_interval_seconds);
    bool failed = false;
    last_decision_ = Evaluate(settings, inputs, &failed);
    last_decision_ms_ = now_ms;
    answer(failed ? "failed" : dry_run_ ? "dry_run" : "ok", last_decision_);
  }
  Publish(settings, inputs, leader);
  std::chrono::milliseconds pause = options_.sample_interval;
  for (const MoveRecord& m : memory_.moves) {
    if (InFlight(m.outcome)) pause = options_.verify_interval;
  }
  if (auto next = NextSustained(settings, inputs.nodes, pressure_, now)) {
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now) +
                 std::chrono::milliseconds(1);
    pause = std::max(std::chrono::milliseconds(100), std::min(pause, until));
  }
  return pause;
}

nlohmann::json RebalancePlanNow(SwarmApi& api, const RebalanceView& view, SteadyTime now,
                                std::int64_t now_ms) {
  nlohmann::json out;
  if (!view.settings.config) {
    out = {{"decision", "nothing moves: no configuration in force"}};
  } else {
    Snapshot snapshot;
    auto nodes = api.Nodes();
    auto services =
        nodes.ok() ? api.Services() : Result<std::vector<docker::Service>>(nodes.status());
    auto tasks = services.ok() ? api.Tasks({{"desired-state", {"running"}}})
                               : Result<std::vector<docker::Task>>(services.status());
    if (!tasks.ok()) {
      out = {{"decision", "no plan on partial data: " + tasks.status().ToString()}};
    } else {
      snapshot.nodes = std::move(nodes).value();
      snapshot.services = std::move(services).value();
      snapshot.tasks = std::move(tasks).value();
      RebalancePlan plan =
          PlanRebalance(view.settings, snapshot, view.pressure, view.memory, now, now_ms);
      out = RebalancePlanJson(plan, view.memory, view.settings.dry_run, now_ms);
    }
  }
  out["from_active_leader"] = view.active;
  return out;
}

Rebalancer::Rebalancer(RebalanceLoopOptions options, SwarmApi& api, const Clock& clock,
                       RebalanceLoop::Hooks hooks)
    : Service("rebalancer"),
      options_(std::move(options)),
      api_(api),
      clock_(clock),
      hooks_(std::move(hooks)) {}

void Rebalancer::RequestEvaluation(std::uint64_t id, std::string source) {
  {
    std::lock_guard lock(mutex_);
    if (requests_.size() >= kMaxRequests) {
      if (hooks_.report) {
        hooks_.report(
            {"command",
             "rebalance",
             "not run: " + std::to_string(requests_.size()) + " evaluations are already waiting",
             {{"id", std::to_string(id)}, {"source", source}, {"result", "failed"}}});
      }
      return;
    }
    requests_.push_back({id, std::move(source)});
  }
  Wake();
}

void Rebalancer::Run(std::stop_token stop) {
  CountingSwarmApi api(api_, api_calls_);
  SwarmSafetyStore store(api, kRebalanceConfigName);
  RebalanceLoop::Hooks hooks = hooks_;
  hooks.publish = [this](RebalanceView view) {
    view.status["api_calls"] = api_calls_.load();
    if (hooks_.publish) hooks_.publish(std::move(view));
  };
  RebalanceLoop loop(api, store, clock_, options_, std::move(hooks));
  while (!stop.stop_requested()) {
    std::optional<RebalanceLoop::Command> command;
    {
      std::lock_guard lock(mutex_);
      if (!requests_.empty()) {
        command = requests_.front();
        requests_.erase(requests_.begin());
      }
    }
    std::chrono::milliseconds pause = loop.Pass(command);
    {
      std::lock_guard lock(mutex_);
      if (!requests_.empty()) continue;
    }
    if (!WaitFor(stop, pause)) break;
  }
}

}  // namespace orcastra::leader
