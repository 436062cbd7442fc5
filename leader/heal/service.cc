#include "leader/heal/service.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/utf8.h"
#include "leader/heal/record.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string Short(const std::string& id) { return id.substr(0, 12); }

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

// The longest backoff the settings can make: a record asking for more is cut to it.
milliseconds MaxBackoff(const HealSettings& settings) {
  milliseconds most{0};
  for (auto s : settings.retry_intervals) most = std::max<milliseconds>(most, s);
  return most;
}

json ActionJson(const HealAction& a) {
  return {{"action", HealActionKindName(a.kind)},
          {"node_id", a.node_id},
          {"hostname", a.hostname},
          {"cause", a.cause},
          {"reason", a.reason},
          {"attempt", a.attempt}};
}

}  // namespace

HealLoop::HealLoop(SwarmApi& api, SafetyStore& store, const Clock& clock, HealLoopOptions options,
                   Hooks hooks)
    : api_(api),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {}

void HealLoop::Emit(std::string kind, std::string subject, std::string message,
                    std::map<std::string, std::string> attrs) {
  Logger("heal")->info("{} {}: {}", kind, subject, message);
  if (hooks_.report) hooks_.report({kind, subject, message, std::move(attrs)});
}

void HealLoop::Answer(const HealCommand& command, bool ok, const std::string& result) {
  Emit("command", command.text, result,
       {{"id", std::to_string(command.id)},
        {"source", command.source},
        {"result", !ok                         ? "failed"
                   : options_.settings.dry_run ? "dry_run"
                                               : "ok"}});
}

void HealLoop::Skipped(const std::string& why) {
  // Once per reason: a daemon without a Raft leader fails every pass, every 2 s.
  if (why != last_skipped_) Emit("heal_skipped", "swarm", why);
  last_skipped_ = why;
}

bool HealLoop::LoadRecord() {
  auto read = store_.Read();
  if (!read.ok()) {
    record_error_ = "heal record not read: " + read.status().ToString();
    ++load_failures_;
    return false;
  }
  stored_object_ = *read;
  HealMemory from;
  if (read->exists && read->problem.empty()) {
    auto record =
        DecodeHealRecord(read->record_json, std::string("config '") + kHealConfigName + "'");
    if (!record.ok()) {
      // A record that does not decode is replaced at the next write (it held only backoff); the
      // backoff restarts from zero, which the retry intervals still bound.
      Emit("heal_record_refused", kHealConfigName, record.status().ToString());
    } else {
      from =
          HealMemoryFromRecord(*record, clock_.Now(), clock_.WallMs(), MaxBackoff(options_.heal));
    }
  } else if (read->exists) {
    Emit("heal_record_refused", kHealConfigName, read->problem);
  }
  // Keep the observations (graces) this instance made as a standby.
  from.down_since = memory_.down_since;
  from.unreachable_since = memory_.unreachable_since;
  memory_ = from;
  stored_ = from;
  record_error_.clear();
  loaded_ = true;
  return true;
}

Status HealLoop::Persist(const HealMemory& memory) {
  const std::uint64_t term = hooks_.lease_term ? hooks_.lease_term() : 0;
  const std::string text =
      EncodeHealRecord(HealRecordFromMemory(memory, clock_.Now(), clock_.WallMs()));
  auto written = store_.Write(text, term, options_.instance_id, stored_object_);
  if (!written.ok()) {
    if (written.status().code() == Status::Code::kConflict) loaded_ = false;  // read it again
    return written.status();
  }
  stored_object_ = *written;
  stored_ = memory;
  ++writes_;
  return Status::Ok();
}

Status HealLoop::CarryOutOne(const HealAction& action, const config::SwarmConfig& config,
                             std::string* skipped) {
  // A fresh read: the action is carried out only if the swarm as it is now plans it too.
  const SteadyTime read_at = clock_.Now();
  auto fresh = api_.Nodes();
  if (!fresh.ok()) return fresh.status();
  const docker::Node* node = nullptr;
  for (const auto& n : *fresh)
    if (n.id == action.node_id) node = &n;
  if (node == nullptr) {
    *skipped = "gone already";
    return Status::Ok();
  }
  HealMemory before = memory_;
  // The attempt was counted by the plan; the re-plan must not be held by it.
  before.nodes.erase(action.node_id);
  HealPlan again = PlanHeal(config, options_.heal, Snapshot(*fresh, read_at), before, clock_.Now());
  bool same = false;
  for (const auto& a : again.actions)
    same = same || (a.kind == action.kind && a.node_id == node->id);
  if (!same) {
    *skipped = "not planned any more on a fresh read (" +
               (again.blocked.empty() ? again.count_status : again.blocked) + ")";
    return Status::Ok();
  }
  if (!MayWrite()) return Status::Aborted("not the active leader any more");
  if (action.kind == HealActionKind::kRemove) return api_.RemoveNode(node->id);
  json spec = node->spec.is_object() ? node->spec : json::object();
  spec["Role"] = action.kind == HealActionKind::kPromote ? "manager" : "worker";
  return api_.UpdateNode(node->id, node->version, spec);
}

HealLoop::Outcome HealLoop::CarryOut(const HealPlan& plan, const config::SwarmConfig& config) {
  Outcome outcome;
  for (const auto& action : plan.actions) {
    const std::string verb = HealActionKindName(action.kind);
    const std::string subject = action.hostname + " (" + Short(action.node_id) + ")";
    std::map<std::string, std::string> attrs = {{"action", verb},
                                                {"node_id", action.node_id},
                                                {"hostname", action.hostname},
                                                {"cause", action.cause},
                                                {"attempt", std::to_string(action.attempt)}};
    if (options_.settings.dry_run) {
      Emit("dry_run", subject, "would " + verb + ": " + action.reason, attrs);
      outcome.lines.push_back("would " + verb + " " + subject + ": " + action.reason);
      continue;
    }
    std::string skipped;
    Status done = CarryOutOne(action, config, &skipped);
    if (done.ok() && !skipped.empty()) {
      Emit("heal_skipped", subject, verb + " skipped: " + skipped, attrs);
      outcome.lines.push_back(verb + " " + subject + " skipped: " + skipped);
    } else if (done.ok()) {
      Emit("node_healed", subject, verb + ": " + action.reason, attrs);
      outcome.lines.push_back(verb + " " + subject + ": " + action.reason);
    } else if (done.code() == Status::Code::kAborted) {
      outcome.fenced = true;
      Emit("fenced", subject, verb + " not made: " + done.message(), attrs);
      outcome.lines.push_back(verb + " " + subject + " not made: " + done.message());
      break;
    } else {
      ++outcome.failed;
      Emit("action_failed", subject, verb + " failed: " + done.ToString(), attrs);
      outcome.lines.push_back(verb + " " + subject + " failed: " + done.ToString());
    }
  }
  return outcome;
}

void HealLoop::ReportChanges(const HealPlan& plan) {
  if (plan.blocked != last_blocked_) {
    if (!plan.blocked.empty()) Emit("heal_blocked", "swarm", plan.blocked);
    last_blocked_ = plan.blocked;
  }
  std::map<std::string, std::string> now;
  for (const auto& r : plan.nodes) {
    if (r.heal == HealNodeState::kOk) continue;
    const std::string state = HealNodeStateName(r.heal);
    now[r.node_id] = state;
    auto it = reported_.find(r.node_id);
    if (it != reported_.end() && it->second == state) continue;
    Emit("heal_node", r.hostname + " (" + Short(r.node_id) + ")", state + ": " + r.detail,
         {{"node_id", r.node_id}, {"state", state}});
  }
  reported_ = std::move(now);
  // Each warning once while it lasts (a pass every 2 s must not flood the event log).
  std::set<std::string> warned(plan.warnings.begin(), plan.warnings.end());
  for (const auto& w : warned)
    if (!warned_.count(w)) Emit("heal_warning", "swarm", w);
  warned_ = std::move(warned);
}

bool HealLoop::Refresh() {
  if (MayWrite() != was_leader_) return true;
  if (!was_leader_ || !last_read_) return false;  // a standby's passes publish every 10 s
  auto config = hooks_.config ? hooks_.config() : nullptr;
  if (!config) return false;
  // The proof is wanted for now, not for when the list was read: has quorum held since?
  const SteadyTime now = clock_.Now();
  HealPlan plan = PlanHeal(config->swarm, options_.heal, Snapshot(*last_read_, now), memory_, now);
  Publish(&plan, true, "");
  return false;
}

HealSnapshot HealLoop::Snapshot(std::vector<docker::Node> nodes, SteadyTime read_at) const {
  std::optional<SteadyTime> last_write =
      hooks_.last_raft_write ? hooks_.last_raft_write() : std::nullopt;
  return {std::move(nodes), RaftWriteAge(last_write, read_at)};
}

void HealLoop::Publish(const HealPlan* plan, bool active, const std::string& problem) {
  if (!hooks_.publish) return;
  HealView view;
  view.last_raft_write = hooks_.last_raft_write ? hooks_.last_raft_write() : std::nullopt;
  view.active = active;
  view.dry_run = options_.settings.dry_run;
  view.has_config = hooks_.config && hooks_.config() != nullptr;
  view.settings = options_.heal;
  view.memory = memory_;
  view.status = HealStatusJson(plan, view);
  view.status["record"] = {{"loaded", loaded_}, {"writes", writes_}};
  if (!record_error_.empty()) view.status["record"]["error"] = record_error_;
  if (!problem.empty()) view.status["problem"] = problem;
  if (!last_actions_.empty()) view.status["last_actions"] = last_actions_;
  view.status["last_pass_ms"] = last_pass_ms_;
  hooks_.publish(std::move(view));
}

milliseconds HealLoop::Pass(std::vector<HealCommand> commands) {
  const SteadyTime now = clock_.Now();
  last_pass_ms_ = clock_.WallMs();
  const milliseconds period = options_.settings.loop_interval;
  auto config = hooks_.config ? hooks_.config() : nullptr;
  const bool leader = MayWrite();
  if (!leader) {
    was_leader_ = false;
    loaded_ = false;
    for (const auto& c : commands)
      Answer(c, false, "not run: this instance is not the active leader");
    // Keep the graces warm from the node watcher's last complete list.
    std::optional<std::vector<docker::Node>> cached =
        hooks_.cached_nodes ? hooks_.cached_nodes() : std::nullopt;
    if (config && cached) {
      HealPlan plan = PlanHeal(config->swarm, options_.heal, Snapshot(*cached, now), memory_, now);
      memory_.down_since = plan.memory.down_since;
      memory_.unreachable_since = plan.memory.unreachable_since;
      Publish(&plan, false, "");
    } else {
      Publish(nullptr, false, config ? "no node list yet" : "no configuration in force");
    }
    return options_.fast_interval * 5;
  }
  if (!was_leader_) {
    was_leader_ = true;
    loaded_ = false;
  }
  if (!loaded_ && !LoadRecord()) {
    for (const auto& c : commands) Answer(c, false, "not run: " + record_error_);
    Skipped(record_error_);
    Publish(nullptr, true, record_error_);
    return options_.fast_interval;
  }
  if (!config) {
    for (const auto& c : commands) Answer(c, false, "not run: no configuration in force");
    Publish(nullptr, true, "no configuration in force");
    return options_.fast_interval;
  }
  const SteadyTime read_at = clock_.Now();
  auto read = api_.Nodes();
  if (!read.ok()) {
    ++read_failures_;
    const std::string why = "node list not read, nothing changed: " + read.status().ToString();
    for (const auto& c : commands) Answer(c, false, "not run: " + why);
    Skipped(why);
    Publish(nullptr, true, why);
    return options_.fast_interval;
  }
  read_failures_ = 0;
  last_read_ = *read;
  last_skipped_.clear();
  // The operator's removal requests join the memory before the plan.
  std::vector<std::pair<HealCommand, std::string>> answers;  // "" when the pass answers it
  for (const auto& c : commands) {
    if (c.name == "bootstrap_swarm") {
      answers.push_back({c, ""});
      continue;
    }
    if (c.name != "remove_node") {
      Answer(c, false, "'" + c.name + "' is not a healing command");
      continue;
    }
    if (!c.arg || c.arg->empty()) {
      Answer(c, false, "remove_node needs a node id: remove_node:ID");
      continue;
    }
    NodeMatch match = MatchNodeId(*read, *c.arg);
    if (!match.error.empty()) {
      Answer(c, false, match.error);
      continue;
    }
    const docker::Node* node = nullptr;
    for (const auto& n : *read)
      if (n.id == match.node_id) node = &n;
    if (node->state != "down") {
      Answer(c, false,
             "node " + node->hostname + " (" + Short(node->id) + ") is " + node->state +
                 ", not down: Orcastra removes only down nodes");
      continue;
    }
    if (memory_.removals.size() >= kMaxHealRemovals) {
      Answer(c, false, "too many removal requests pending");
      continue;
    }
    memory_.removals[node->id] =
        RemovalRequest{now, c.source + " (command " + std::to_string(c.id) + ")"};
    answers.push_back({c, node->hostname + " (" + Short(node->id) + ")"});
  }

  HealPlan plan = PlanHeal(config->swarm, options_.heal, Snapshot(*read, read_at), memory_, now);
  Outcome outcome;
  bool stored = true;
  if (!options_.settings.dry_run && !SameHealRecordPart(plan.memory, stored_)) {
    Status persisted = Persist(plan.memory);
    if (!persisted.ok()) {
      stored = false;
      // Keep the observations; the backoff and requests wait for a write that succeeds.
      memory_.down_since = plan.memory.down_since;
      memory_.unreachable_since = plan.memory.unreachable_since;
      const std::string why = "heal record not stored, no action: " + persisted.ToString();
      Emit(persisted.code() == Status::Code::kAborted ? "fenced" : "heal_skipped", "swarm", why);
      outcome.lines.push_back(why);
      outcome.failed = 1;
    }
  }
  if (stored) {
    memory_ = plan.memory;
    if (!plan.actions.empty()) {
      outcome = CarryOut(plan, config->swarm);
      last_actions_ = outcome.lines;
    }
  }
  ReportChanges(plan);
  Publish(&plan, true, "");
  for (const auto& [c, target] : answers) {
    std::string result;
    if (c.name == "remove_node") {
      result = "removal of " + target + " asked";
      bool planned = false;
      for (const auto& a : plan.actions) planned = planned || a.node_id.rfind(*c.arg, 0) == 0;
      result += planned ? ": " + JoinLines(outcome.lines)
                        : "; it follows when healing allows (orcastra plan says why)";
    } else {
      result = outcome.lines.empty()
                   ? "healing pass: nothing to do (" +
                         (plan.blocked.empty() ? plan.count_status : plan.blocked) + ")"
                   : "healing pass:\n" + JoinLines(outcome.lines);
    }
    Answer(c, stored && outcome.failed == 0 && !outcome.fenced, result);
  }
  milliseconds next = period;
  if (plan.recheck_in) next = std::min(next, std::max(*plan.recheck_in, milliseconds(500)));
  if (!plan.actions.empty()) next = std::min(next, options_.fast_interval);
  return next;
}

json HealPlanJson(const HealPlan& plan) {
  json out = json::object();
  json actions = json::array();
  for (const auto& a : plan.actions) actions.push_back(ActionJson(a));
  out["actions"] = std::move(actions);
  json nodes = json::array();
  for (const auto& r : plan.nodes) {
    if (r.heal == HealNodeState::kOk && r.detail.empty()) continue;
    nodes.push_back({{"node_id", r.node_id},
                     {"hostname", r.hostname},
                     {"role", r.role},
                     {"state", r.state},
                     {"availability", r.availability},
                     {"reachability", r.reachability},
                     {"listed", r.listed},
                     {"heal", HealNodeStateName(r.heal)},
                     {"detail", r.detail}});
  }
  out["nodes"] = std::move(nodes);
  out["blocked"] = plan.blocked;
  out["count_status"] = plan.count_status;
  out["warnings"] = plan.warnings;
  return out;
}

json HealStatusJson(const HealPlan* plan, const HealView& view) {
  json out = {{"active", view.active},
              {"dry_run", view.dry_run},
              {"phantom_grace_ms", view.settings.phantom_grace.count()},
              {"manager_grace_ms", view.settings.manager_grace.count()}};
  if (plan == nullptr) return out;
  const HealCounts& c = plan->counts;
  out["expected"] = c.expected;
  out["in_swarm"] = c.in_swarm;
  out["phantoms"] = c.phantoms;
  out["down"] = c.down;
  out["managers_wanted"] = c.managers_wanted ? json(*c.managers_wanted) : json();
  out["managers"] = c.managers;
  out["raft_members"] = c.members;
  out["reachable_managers"] = c.reachable;
  out["quorum"] = c.quorum;
  out["missing"] = c.missing;
  out["blocked"] = plan->blocked;
  out["count_status"] = plan->count_status;
  return out;
}

json HealPlanNow(const config::SwarmConfig& config, const HealView& view,
                 const std::vector<docker::Node>& nodes, SteadyTime now) {
  // The node list was read just now (by the plan worker); the write is the one the healer saw.
  HealPlan plan = PlanHeal(config, view.settings, {nodes, RaftWriteAge(view.last_raft_write, now)},
                           view.memory, now);
  json out = HealPlanJson(plan);
  out["dry_run"] = view.dry_run;
  out["counts"] = HealStatusJson(&plan, view);
  return out;
}

Healer::Healer(HealLoopOptions options, SwarmApi& api, const Clock& clock, HealLoop::Hooks hooks)
    : Service("healer"),
      options_(std::move(options)),
      api_(api),
      clock_(clock),
      hooks_(std::move(hooks)),
      store_(api_, kHealConfigName) {}

Status Healer::Submit(HealCommand command) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      return Status::Unavailable("healer busy: " + std::to_string(queue_.size()) +
                                 " commands wait already");
    }
    queue_.push_back(std::move(command));
  }
  woken_ = true;
  Wake();
  return Status::Ok();
}

void Healer::Poke() {
  woken_ = true;
  Wake();
}

void Healer::Run(std::stop_token stop) {
  HealLoop loop(api_, store_, clock_, options_, hooks_);
  while (!stop.stop_requested()) {
    std::vector<HealCommand> commands;
    {
      std::lock_guard lock(mutex_);
      commands.assign(queue_.begin(), queue_.end());
      queue_.clear();
    }
    const SteadyTime started = clock_.Now();
    woken_ = false;
    milliseconds pause = loop.Pass(std::move(commands));
    // A Poke (node event) or a command ends the pause early; passes stay at least 1 s apart.
    // Meanwhile the view is refreshed every 2 s from the last read (no Engine API call), and a
    // change of leadership starts a pass at once.
    const SteadyTime due = clock_.Now() + pause;
    while (clock_.Now() < due && !woken_) {
      auto left = std::chrono::duration_cast<milliseconds>(due - clock_.Now());
      if (!WaitFor(stop, std::min(left, milliseconds(2000)))) return;
      if (woken_ || loop.Refresh()) break;
    }
    auto spent = std::chrono::duration_cast<milliseconds>(clock_.Now() - started);
    if (spent < std::chrono::seconds(1) && !WaitFor(stop, std::chrono::seconds(1) - spent)) {
      return;
    }
  }
}

}  // namespace orcastra::leader
