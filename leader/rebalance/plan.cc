#include "leader/rebalance/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "common/time_format.h"
#include "leader/rebalance/placement.h"

namespace orcastra::leader {
namespace {

using docker::Node;
using docker::Service;
using docker::Task;
using std::chrono::milliseconds;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;

std::string Percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", value);
  return text;
}

std::string Bytes(std::uint64_t bytes) {
  char text[32];
  if (bytes >= kGiB) {
    std::snprintf(text, sizeof(text), "%.2f GiB", static_cast<double>(bytes) / kGiB);
  } else {
    std::snprintf(text, sizeof(text), "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return text;
}

std::string SignedBytes(std::int64_t bytes) {
  return bytes < 0 ? "-" + Bytes(static_cast<std::uint64_t>(-bytes))
                   : Bytes(static_cast<std::uint64_t>(bytes));
}

// "1h02m", "4m10s", "12s".
std::string Span(std::int64_t ms) {
  if (ms < 0) ms = 0;
  const std::int64_t s = ms / 1000;
  char text[48];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof(text), "%llds", static_cast<long long>(s));
  }
  return text;
}

std::string Join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

double PercentOf(std::int64_t used, std::uint64_t total) {
  return total == 0 ? 0 : 100.0 * static_cast<double>(used) / static_cast<double>(total);
}

PressureTrigger TriggerOf(const config::RebalancePolicy& policy) {
  return {policy.threshold_percent, policy.psi_threshold};
}

// Minutes of the configuration (fractions allowed) in milliseconds.
std::int64_t Minutes(double minutes) {
  return std::llround(minutes * static_cast<double>(kMinuteMs));
}

// A configured number of minutes as written: "10", "0.25".
std::string MinutesText(double minutes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", minutes);
  return text;
}

bool IsStarting(const Task& task) {
  static const std::set<std::string> kStarting = {"new",      "allocated", "pending", "assigned",
                                                  "accepted", "preparing", "ready",   "starting"};
  return kStarting.count(task.state) > 0;
}

std::optional<std::int64_t> TaskTimeMs(const Task& task) {
  auto parsed = ParseRfc3339(task.timestamp);
  if (!parsed.ok() || !parsed->has_value()) return std::nullopt;
  return std::chrono::duration_cast<milliseconds>((**parsed).time_since_epoch()).count();
}

// Lookups over one snapshot (desired-running tasks only).
struct Index {
  explicit Index(const Snapshot& snapshot) {
    for (const Node& node : snapshot.nodes) nodes[node.id] = &node;
    for (const Service& service : snapshot.services) {
      by_id[service.id] = &service;
      by_name[service.name] = &service;
    }
    for (const Task& task : snapshot.tasks) {
      if (task.desired_state != "running") continue;
      of_service[task.service_id].push_back(&task);
      if (!task.node_id.empty()) on_node[task.node_id].push_back(&task);
    }
  }
  const Node* NodeById(const std::string& id) const {
    auto it = nodes.find(id);
    return it == nodes.end() ? nullptr : it->second;
  }
  const Service* ByName(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  }
  const std::vector<const Task*>& OfService(const std::string& id) const {
    static const std::vector<const Task*> kNone;
    auto it = of_service.find(id);
    return it == of_service.end() ? kNone : it->second;
  }
  const std::vector<const Task*>& OnNode(const std::string& id) const {
    static const std::vector<const Task*> kNone;
    auto it = on_node.find(id);
    return it == on_node.end() ? kNone : it->second;
  }
  std::string Hostname(const std::string& id) const {
    const Node* node = NodeById(id);
    return node == nullptr || node->hostname.empty() ? id : node->hostname;
  }

  std::map<std::string, const Node*> nodes;
  std::map<std::string, const Service*> by_id;
  std::map<std::string, const Service*> by_name;
  std::map<std::string, std::vector<const Task*>> of_service;
  std::map<std::string, std::vector<const Task*>> on_node;
};

// Anchors and dependents of swarm.yml as groups: each service's direct anchor and label key,
// and each top anchor's members (chains included: a dependent that is itself an anchor brings
// its own dependents).
struct Groups {
  Groups(const config::SwarmConfig& swarm, const std::string& default_stack) {
    for (const config::Anchor& anchor : swarm.dependencies) {
      const std::string stack = anchor.stack.value_or(default_stack);
      const std::string full = FullServiceName(stack, anchor.name);
      label_key[full] = swarm.AnchorLabelKey(anchor.name);
      anchors.insert(full);
      for (const std::string& dep : anchor.services) {
        anchor_of.try_emplace(FullServiceName(stack, dep), full);
      }
    }
  }
  // The anchor at the top of `service`'s chain (itself when it is no one's dependent).
  std::string Top(const std::string& service) const {
    std::string at = service;
    for (int depth = 0; depth < 64; ++depth) {
      auto it = anchor_of.find(at);
      if (it == anchor_of.end()) break;
      at = it->second;
    }
    return at;
  }
  bool InGroup(const std::string& service) const {
    return anchors.count(service) > 0 || anchor_of.count(service) > 0;
  }
  // Every service whose top is `top`, `top` first, then by name.
  std::vector<std::string> Members(const std::string& top) const {
    std::vector<std::string> out{top};
    for (const auto& [dep, anchor] : anchor_of) {
      if (dep != top && Top(dep) == top) out.push_back(dep);
    }
    return out;
  }

  std::map<std::string, std::string> anchor_of;  // dependent -> its direct anchor
  std::map<std::string, std::string> label_key;  // anchor -> its label key
  std::set<std::string> anchors;
};

// Per node: memory promised to moves towards it, less what the moved containers show there.
std::map<std::string, std::uint64_t> Promised(const RebalanceMemory& memory, const Index& index,
                                              const PressureTracker& pressure,
                                              std::int64_t now_ms) {
  std::map<std::string, std::uint64_t> out;
  for (const MoveRecord& move : memory.moves) {
    const bool settling = move.outcome == MoveOutcome::kLanded &&
                          now_ms - move.ended_ms < kPromiseSettle.count() * kMinuteMs;
    if (!InFlight(move.outcome) && !settling) continue;
    std::uint64_t visible = 0;
    const MemorySample* sample = pressure.Sample(move.to_node);
    std::vector<std::string> names = move.dependents;
    names.push_back(move.service);
    for (const std::string& name : names) {
      const Service* service = index.ByName(name);
      if (service == nullptr || sample == nullptr) continue;
      for (const Task* task : index.OfService(service->id)) {
        if (task->node_id != move.to_node) continue;
        auto it = sample->task_memory.find(task->id);
        if (it != sample->task_memory.end()) visible += it->second;
      }
    }
    if (move.memory_bytes > visible) out[move.to_node] += move.memory_bytes - visible;
  }
  return out;
}

// Why `node_id` cannot be a source now ("" when it can), from the moves remembered.
std::string NotASource(const std::string& node_id, const RebalanceMemory& memory,
                       std::int64_t steady_ms, std::int64_t now_ms) {
  for (const MoveRecord& move : memory.moves) {
    if (move.outcome == MoveOutcome::kDryRun) continue;
    if (InFlight(move.outcome) && move.from_node == node_id) {
      return "a move from it is in flight (" + move.service + ")";
    }
    if (move.to_node != node_id) continue;
    if (InFlight(move.outcome))
      return "it is the target of a move in flight (" + move.service + ")";
    if (now_ms - move.ended_ms < steady_ms) {
      return "it was the target of a move " + Span(now_ms - move.ended_ms) +
             " ago: not a source until it has been steady for " + Span(steady_ms);
    }
  }
  return "";
}

// The global gates: why no move may start now ("" when one may).
std::string Gate(const config::RebalanceConfig& config, const RebalanceMemory& memory,
                 std::int64_t now_ms) {
  if (config.defaults.moves_per_hour == 0) return "moves_per_hour is 0: rebalancing moves nothing";
  int last_hour = 0;
  std::size_t in_flight = 0;
  std::int64_t last_start = 0;
  for (const MoveRecord& move : memory.moves) {
    if (now_ms - move.started_ms < kHourMs) ++last_hour;
    if (InFlight(move.outcome)) ++in_flight;
    last_start = std::max(last_start, move.started_ms);
  }
  if (last_hour >= config.defaults.moves_per_hour) {
    return std::to_string(last_hour) + " moves in the last hour (moves_per_hour " +
           std::to_string(config.defaults.moves_per_hour) + ")";
  }
  const std::int64_t global = Minutes(config.global_cooldown_minutes);
  if (last_start > 0 && now_ms - last_start < global) {
    return "global cooldown: the last move started " + Span(now_ms - last_start) +
           " ago (global_cooldown_minutes " + MinutesText(config.global_cooldown_minutes) +
           ", next in " + Span(global - (now_ms - last_start)) + ")";
  }
  if (in_flight >= kMaxInFlightMoves) {
    return std::to_string(in_flight) + " moves in flight (at most " +
           std::to_string(kMaxInFlightMoves) + ")";
  }
  return "";
}

// Why `service` may not move now by its own history ("" when it may).
std::string ServiceHistory(const Service& service, const config::RebalancePolicy& policy,
                           const RebalanceMemory& memory, std::int64_t now_ms) {
  int last_hour = 0;
  for (const MoveRecord& move : memory.moves) {
    bool involved = move.service == service.name ||
                    std::find(move.dependents.begin(), move.dependents.end(), service.name) !=
                        move.dependents.end();
    if (!involved) continue;
    if (InFlight(move.outcome)) return service.name + " is moving already";
    const std::int64_t since = now_ms - std::max(move.started_ms, move.ended_ms);
    if (since < Minutes(policy.cooldown_minutes)) {
      return service.name + " in cooldown: it " +
             (move.outcome == MoveOutcome::kRolledBack ? "had a move rolled back "
              : move.outcome == MoveOutcome::kDryRun   ? "was moved (dry run) "
                                                       : "was moved ") +
             Span(since) + " ago (cooldown_minutes " + MinutesText(policy.cooldown_minutes) + ")";
    }
    if (now_ms - move.started_ms < kHourMs) ++last_hour;
  }
  if (policy.moves_per_hour == 0) return service.name + "'s moves_per_hour is 0";
  if (last_hour >= policy.moves_per_hour) {
    return service.name + " moved " + std::to_string(last_hour) +
           " times in the last hour (its moves_per_hour " + std::to_string(policy.moves_per_hour) +
           ")";
  }
  return "";
}

// When `service` last left `node_id` (0: never, within the memory).
std::int64_t LeftAt(const std::string& service, const std::string& node_id,
                    const RebalanceMemory& memory) {
  std::int64_t at = 0;
  for (const MoveRecord& move : memory.moves) {
    if (move.outcome == MoveOutcome::kDryRun || move.from_node != node_id) continue;
    bool involved =
        move.service == service ||
        std::find(move.dependents.begin(), move.dependents.end(), service) != move.dependents.end();
    if (involved) at = std::max(at, move.started_ms);
  }
  return at;
}

// Why nothing moves, from what the plan saw.
std::string NothingWhy(const RebalancePlan& plan) {
  std::vector<std::string> high;
  int unknown = 0;
  bool any_source = false;
  for (const RebalanceNode& node : plan.nodes) {
    if (node.state == PressureState::kUnknown) ++unknown;
    if (node.source) any_source = true;
    if (node.state == PressureState::kHigh && !node.source) {
      high.push_back(node.hostname + " " + node.why);
    }
  }
  if (!plan.candidates.empty()) {
    std::vector<std::string> whys;
    for (const RebalanceCandidate& c : plan.candidates) {
      whys.push_back(c.service + " on " + c.hostname + ": " + c.why);
    }
    return "no candidate can move (" + Join(whys, "; ") + ")";
  }
  std::string out;
  if (any_source) {
    out = "no movable service on the nodes under pressure";
  } else if (!high.empty()) {
    out = "no node under sustained pressure (" + Join(high, "; ") + ")";
  } else {
    out = "no node is under memory pressure";
  }
  if (unknown > 0) {
    out += "; " + std::to_string(unknown) + " node" + (unknown == 1 ? "" : "s") +
           " without a fresh report (unknown)";
  }
  return out;
}

// A candidate being evaluated.
struct Unit {
  const Service* head = nullptr;
  std::vector<const Service*> members;            // head first
  std::map<std::string, std::string> direct_key;  // dependent name -> its anchor's label key
  std::set<std::string> label_keys;               // the group's anchor label keys
  std::map<std::string, int> moving;              // service id -> tasks that move
  bool all_head_tasks = true;                     // every task of the head is on the source
  std::set<std::string> head_other_nodes;         // nodes of the head's tasks elsewhere
  std::uint64_t memory = 0;
  config::RebalancePolicy policy;
  std::map<std::string, PlacementNeeds> needs;  // by service id
};

struct Choice {
  RebalanceCandidate report;
  Unit unit;
  double source_percent = 0;
  std::uint64_t target_free_after = 0;
};

class Planner {
 public:
  Planner(const RebalanceSettings& settings, const Snapshot& snapshot,
          const PressureTracker& pressure, const RebalanceMemory& memory, SteadyTime now,
          std::int64_t now_ms)
      : settings_(settings),
        config_(settings.config->rebalance),
        index_(snapshot),
        groups_(settings.config->swarm, settings.default_stack),
        pressure_(pressure),
        memory_(memory),
        now_(now),
        now_ms_(now_ms),
        promised_(Promised(memory, index_, pressure, now_ms)) {}

  RebalancePlan Run() {
    RebalancePlan plan;
    plan.nodes = PressureOverview(settings_, Nodes(), pressure_, memory_, now_, now_ms_);
    for (RebalanceNode& node : plan.nodes) {
      auto it = promised_.find(node.node_id);
      if (it != promised_.end()) node.promised_bytes = it->second;
    }
    const std::string gate = Gate(config_, memory_, now_ms_);

    // Every node with a fresh report, hottest first; each candidate on it is judged under its
    // own policy's trigger.
    std::vector<const RebalanceNode*> sources;
    for (const RebalanceNode& node : plan.nodes) {
      if (node.state != PressureState::kUnknown) sources.push_back(&node);
    }
    std::sort(sources.begin(), sources.end(), [](const auto* a, const auto* b) {
      return std::tie(b->used_percent, a->hostname) < std::tie(a->used_percent, b->hostname);
    });
    std::vector<Choice> choices;
    for (const RebalanceNode* source : sources) Consider(*source, choices, plan.candidates);

    // The smallest move that relieves the hottest source; else the largest that helps it.
    auto key = [](const Choice& c) {
      const double size = static_cast<double>(c.report.memory_bytes);
      return std::make_tuple(-c.source_percent, c.report.hostname, !c.report.relieves,
                             c.report.relieves ? size : -size, c.report.service);
    };
    std::optional<Choice> chosen;
    for (const Choice& c : choices) {
      if (c.report.movable && (!chosen || key(c) < key(*chosen))) chosen = c;
    }
    if (!chosen) {
      plan.decision = "nothing moves: " + NothingWhy(plan) + (gate.empty() ? "" : "; also " + gate);
      return plan;
    }
    if (!gate.empty()) {
      plan.decision = "nothing moves: " + gate + " (otherwise: " + Describe(chosen->report) + ")";
      return plan;
    }
    plan.move = MakeMove(*chosen);
    plan.move_version = chosen->unit.head->version;
    plan.move_dry_run = chosen->report.dry_run;
    plan.decision =
        (plan.move_dry_run ? "dry run, would move " : "move ") + Describe(chosen->report);
    return plan;
  }

 private:
  std::vector<Node> Nodes() const {
    std::vector<Node> out;
    for (const auto& [id, node] : index_.nodes) out.push_back(*node);
    return out;
  }

  static std::string Describe(const RebalanceCandidate& c) {
    std::string group = c.dependents.empty() ? "" : " with " + Join(c.dependents);
    return c.service + group + " (" + Bytes(c.memory_bytes) + ") from " + c.hostname + " to " +
           c.target_hostname + ": " + c.why;
  }

  // The candidates with a task on `source`.
  void Consider(const RebalanceNode& source, std::vector<Choice>& choices,
                std::vector<RebalanceCandidate>& reports) {
    std::set<std::string> seen;
    for (const Task* task : index_.OnNode(source.node_id)) {
      auto service_it = index_.by_id.find(task->service_id);
      if (service_it == index_.by_id.end()) continue;
      const Service& service = *service_it->second;
      const std::string unit_name =
          groups_.InGroup(service.name) ? groups_.Top(service.name) : service.name;
      if (!seen.insert(unit_name).second) continue;
      // Only services whose policy sees this node under sustained pressure are candidates.
      const Service* head = index_.ByName(unit_name);
      const config::RebalancePolicy policy = PolicyOf(config_, head != nullptr ? *head : service);
      NodePressure p = pressure_.Evaluate(source.node_id, TriggerOf(policy));
      if (p.state != PressureState::kHigh) continue;
      const std::int64_t sustained = Minutes(policy.sustained_high_minutes);
      const std::int64_t high_for = p.HighFor(now_).count();
      RebalanceCandidate report;
      report.service = unit_name;
      report.node_id = source.node_id;
      report.hostname = source.hostname;
      if (high_for < sustained || !p.high_since) {
        report.why = "pressure on " + source.hostname + " (" + p.why + ") for " + Span(high_for) +
                     " of the " + Span(sustained) + " it must last";
        reports.push_back(report);
        continue;
      }
      const std::string not_source = NotASource(source.node_id, memory_, sustained, now_ms_);
      if (!not_source.empty()) {
        report.why = source.hostname + " is not a source: " + not_source;
        reports.push_back(report);
        continue;
      }
      Choice choice;
      choice.report = report;
      choice.unit.policy = policy;
      choice.source_percent = source.used_percent;
      if (!Evaluate(source, unit_name, choice)) {
        reports.push_back(choice.report);
        continue;
      }
      reports.push_back(choice.report);
      choices.push_back(std::move(choice));
    }
  }

  // Fills `choice` for the unit `name` on `source`; false when it cannot move (report.why says).
  bool Evaluate(const RebalanceNode& source, const std::string& name, Choice& choice) {
    RebalanceCandidate& report = choice.report;
    Unit& unit = choice.unit;
    report.dry_run = settings_.dry_run || unit.policy.dry_run;
    unit.head = index_.ByName(name);
    if (unit.head == nullptr) {
      report.why = "its anchor " + name + " does not exist";
      return false;
    }
    const bool group = groups_.InGroup(name);
    std::vector<std::string> names = group ? groups_.Members(name) : std::vector{name};
    for (const std::string& member_name : names) {
      const Service* member = index_.ByName(member_name);
      if (member == nullptr) continue;  // a dependent that does not exist has nothing to move
      unit.members.push_back(member);
      if (member != unit.head) {
        report.dependents.push_back(member_name);
        auto anchor = groups_.anchor_of.find(member_name);
        if (anchor != groups_.anchor_of.end()) {
          unit.direct_key[member_name] = groups_.label_key.at(anchor->second);
        }
      }
    }
    for (const auto& [anchor, key] : groups_.label_key) {
      if (group && groups_.Top(anchor) == name) unit.label_keys.insert(key);
    }
    for (const Service* member : unit.members) {
      std::string why = Movable(*member, source, unit);
      if (!why.empty()) {
        report.why = why;
        return false;
      }
    }
    // Memory: the agent's figure for every task that moves.
    const MemorySample* sample = pressure_.Sample(source.node_id);
    for (const Service* member : unit.members) {
      for (const Task* task : index_.OfService(member->id)) {
        if (task->node_id != source.node_id) continue;
        const std::uint64_t* bytes = nullptr;
        if (sample != nullptr) {
          auto it = sample->task_memory.find(task->id);
          if (it != sample->task_memory.end()) bytes = &it->second;
        }
        if (bytes == nullptr) {
          report.why = "the memory of " + member->name + "'s task " + task->id.substr(0, 12) +
                       " is not in " + source.hostname + "'s report (partial data)";
          return false;
        }
        unit.memory += *bytes;
      }
    }
    report.memory_bytes = unit.memory;
    const std::uint64_t total = source.total_bytes;
    const std::int64_t source_after =
        static_cast<std::int64_t>(source.used_bytes) - static_cast<std::int64_t>(unit.memory);
    report.source_after_percent = PercentOf(source_after, total);
    if (source.used_percent > unit.policy.threshold_percent) {
      report.relieves = report.source_after_percent <=
                        unit.policy.threshold_percent - kRebalanceHysteresisPercent;
    } else {
      // High by PSI alone: memory use cannot say when it ends; free at least the margin.
      report.relieves = static_cast<double>(unit.memory) >=
                        kRebalanceHysteresisPercent / 100.0 * static_cast<double>(total);
    }
    return ChooseTarget(source, choice);
  }

  // Why `member` cannot move from `source` ("" when it can).
  std::string Movable(const Service& member, const RebalanceNode& source, Unit& unit) {
    const std::string& name = member.name;
    if (member.mode == "global") return name + " is a global service (one task per node)";
    if (member.mode != "replicated") return name + " is a job (" + member.mode + ")";
    if (OptedOut(member)) return name + " is opted out (orcastra.rebalance=false)";
    PlacementNeeds needs = PlacementNeedsOf(member.spec);
    for (const std::string& text : needs.constraints) {
      auto c = ParseConstraint(text);
      if (!c) return name + "'s constraint '" + text + "' is not one Orcastra can evaluate";
      if (IsPin(*c)) return name + " is pinned by its constraint '" + text + "'";
    }
    if (needs.reserves_generic) {
      return name + " reserves generic resources, which Orcastra does not model";
    }
    const config::RebalancePolicy policy = PolicyOf(config_, member);
    std::string history = ServiceHistory(member, policy, memory_, now_ms_);
    if (!history.empty()) return history;
    auto direct = unit.direct_key.find(name);
    if (direct != unit.direct_key.end() &&
        !HasAnchorConstraint(needs.constraints, direct->second)) {
      return "dependent " + name + " lacks the constraint " + AnchorConstraint(direct->second) +
             ": it would not follow its anchor";
    }
    int here = 0;
    const auto& tasks = index_.OfService(member.id);
    for (const Task* task : tasks) {
      if (task->node_id.empty() || IsStarting(*task) || task->state != "running") {
        return name + " is in transition (task " + task->id.substr(0, 12) + " " + task->state + ")";
      }
      if (task->node_id == source.node_id) {
        ++here;
      } else if (&member == unit.head) {
        unit.all_head_tasks = false;
        unit.head_other_nodes.insert(task->node_id);
      } else {
        return "dependent " + name + " also runs on " + index_.Hostname(task->node_id) +
               ": the group is not together on " + source.hostname;
      }
    }
    if (here == 0 && &member == unit.head) {
      return "anchor " + name + " does not run on " + source.hostname +
             ": its group is not together there";
    }
    if (&member == unit.head && !unit.all_head_tasks &&
        index_.nodes.size() > kMaxMoveConstraints + unit.head_other_nodes.size()) {
      return name + " would need more than " + std::to_string(kMaxMoveConstraints) +
             " temporary constraints to move one task (a swarm of " +
             std::to_string(index_.nodes.size()) + " nodes)";
    }
    if (unit.members.size() > kMaxMoveConstraints + 1) {
      return name + "'s group has more than " + std::to_string(kMaxMoveConstraints) + " dependents";
    }
    if (&member == unit.head && !unit.all_head_tasks && (here > 1 || unit.members.size() > 1)) {
      return name + " has " + std::to_string(here) + " task(s) on " + source.hostname +
             " and others elsewhere: Swarm would not place " + (here > 1 ? "them" : "its group") +
             " exactly";
    }
    unit.moving[member.id] = here;
    unit.needs[member.id] = std::move(needs);
    return "";
  }

  // Picks the target for `choice` (false, with the reasons, when none qualifies).
  bool ChooseTarget(const RebalanceNode& source, Choice& choice) {
    RebalanceCandidate& report = choice.report;
    const Unit& unit = choice.unit;
    const std::int64_t source_free = static_cast<std::int64_t>(source.total_bytes) -
                                     static_cast<std::int64_t>(source.used_bytes);
    std::vector<std::string> refused;
    const Node* best = nullptr;
    TargetFit best_fit;
    for (const auto& [id, node] : index_.nodes) {
      if (id == source.node_id) continue;
      TargetFit fit = Fit(*node, source, unit, source_free);
      if (!fit.refusal.empty()) {
        refused.push_back(node->hostname + " " + fit.refusal);
      } else if (best == nullptr || fit.free_after > best_fit.free_after) {
        best = node;
        best_fit = fit;
      }
    }
    if (best == nullptr) {
      report.why =
          "no target: " + (refused.empty() ? std::string("no other node") : Join(refused, "; "));
      return false;
    }
    report.movable = true;
    report.target_node_id = best->id;
    report.target_hostname = best->hostname;
    report.target_after_percent = best_fit.after_percent;
    choice.target_free_after =
        static_cast<std::uint64_t>(std::max<std::int64_t>(best_fit.free_after, 0));
    const double limit = unit.policy.threshold_percent - kRebalanceHysteresisPercent;
    report.why = source.hostname + " " + Percent(source.used_percent) + " -> " +
                 Percent(report.source_after_percent) +
                 (report.relieves
                      ? " (at most " + Percent(limit) + ")"
                      : " (partial relief: no single move brings it to " + Percent(limit) + ")") +
                 "; " + best->hostname + " " + Percent(best_fit.before_percent) + " -> " +
                 Percent(best_fit.after_percent) + ", the most free memory after the move (" +
                 Bytes(choice.target_free_after) + ")" +
                 (refused.empty() ? "" : "; not " + Join(refused, "; "));
    return true;
  }

  struct TargetFit {
    std::string refusal;  // why not; "" when it qualifies
    std::int64_t free_after = 0;
    double before_percent = 0;
    double after_percent = 0;
  };

  // Whether `node` can take `unit` from `source`, and how full it would be.
  TargetFit Fit(const Node& node, const RebalanceNode& source, const Unit& unit,
                std::int64_t source_free) {
    TargetFit fit;
    auto refuse = [&](std::string why) {
      fit.refusal = std::move(why);
      return fit;
    };
    if (node.state != "ready") return refuse("is " + node.state);
    if (node.availability != "active") return refuse("is " + node.availability);
    const MemorySample* sample = pressure_.Sample(node.id);
    if (sample == nullptr || !sample->fresh || sample->total_bytes == 0) {
      return refuse("has no fresh report (unknown)");
    }
    fit.before_percent = sample->used_percent();
    std::string why;
    if (IsHigh(*sample, TriggerOf(config_.defaults), &why) ||
        IsHigh(*sample, TriggerOf(unit.policy), &why)) {
      return refuse("is under pressure itself (" + why + ")");
    }
    for (const MoveRecord& move : memory_.moves) {
      if (InFlight(move.outcome) && move.from_node == node.id) {
        return refuse("is the source of a move in flight");
      }
    }
    // Placement, member by member.
    std::int64_t reserve_memory = 0;
    std::int64_t reserve_cpus = 0;
    std::set<std::string> ports;
    for (const Service* member : unit.members) {
      const PlacementNeeds& needs = unit.needs.at(member->id);
      for (const std::string& text : needs.constraints) {
        auto c = ParseConstraint(text);
        if (!c) return refuse("cannot be checked against '" + text + "'");
        if (member != unit.head && EqualLabelTrue(*c, unit.label_keys)) continue;
        if (!NodeMatches(*c, node)) {
          return refuse("fails " + member->name + "'s constraint '" + text + "'");
        }
      }
      if (!PlatformMatches(needs, node)) {
        return refuse("is not a platform " + member->name + " runs on");
      }
      int already = 0;
      for (const Task* task : index_.OfService(member->id)) {
        if (task->node_id == node.id) ++already;
      }
      const int moving = unit.moving.at(member->id);
      if (needs.max_replicas > 0 &&
          static_cast<std::uint64_t>(already + moving) > needs.max_replicas) {
        return refuse("would exceed " + member->name + "'s max replicas per node (" +
                      std::to_string(needs.max_replicas) + ")");
      }
      if (member == unit.head && !unit.all_head_tasks && already > 0) {
        return refuse("runs a task of " + member->name +
                      " already (Swarm would not place it there)");
      }
      reserve_memory += needs.reserve_memory_bytes * moving;
      reserve_cpus += needs.reserve_nano_cpus * moving;
      for (const std::string& port : needs.host_ports) ports.insert(port);
    }
    // What Swarm has promised on the node: reservations and host ports of its tasks.
    std::int64_t reserved_memory = 0;
    std::int64_t reserved_cpus = 0;
    for (const Task* task : index_.OnNode(node.id)) {
      auto it = index_.by_id.find(task->service_id);
      if (it == index_.by_id.end()) continue;
      PlacementNeeds other = PlacementNeedsOf(it->second->spec);
      reserved_memory += other.reserve_memory_bytes;
      reserved_cpus += other.reserve_nano_cpus;
      for (const std::string& port : other.host_ports) {
        if (ports.count(port)) return refuse("already publishes port " + port + " in host mode");
      }
    }
    if (reserve_memory > 0 && node.memory_bytes - reserved_memory < reserve_memory) {
      return refuse("has " + SignedBytes(node.memory_bytes - reserved_memory) +
                    " unreserved, the group reserves " +
                    Bytes(static_cast<std::uint64_t>(reserve_memory)));
    }
    if (reserve_cpus > 0 && node.nano_cpus - reserved_cpus < reserve_cpus) {
      return refuse("has not the CPUs the group reserves unreserved");
    }
    // No move back within the window.
    const std::int64_t left = LeftAt(unit.head->name, node.id, memory_);
    const std::int64_t window =
        std::max(Minutes(unit.policy.cooldown_minutes), kNoReturnWindow.count() * kMinuteMs);
    if (left > 0 && now_ms_ - left < window) {
      return refuse("was left by " + unit.head->name + " " + Span(now_ms_ - left) +
                    " ago (no move back within " + Span(window) + ")");
    }
    // Memory, counting what is promised to moves in flight as used.
    auto promised_it = promised_.find(node.id);
    const std::int64_t promised =
        promised_it == promised_.end() ? 0 : static_cast<std::int64_t>(promised_it->second);
    const std::int64_t free = static_cast<std::int64_t>(sample->total_bytes) -
                              static_cast<std::int64_t>(sample->used_bytes) - promised;
    const double gain_needed = unit.policy.memory_difference_gb * static_cast<double>(kGiB);
    if (static_cast<double>(free - source_free) < gain_needed) {
      return refuse(
          "has " + SignedBytes(free - source_free) + " more free memory than " + source.hostname +
          ", needs " + Bytes(static_cast<std::uint64_t>(gain_needed)) + " (memory_difference_gb)" +
          (promised > 0
               ? "; " + Bytes(static_cast<std::uint64_t>(promised)) + " promised to moves in flight"
               : ""));
    }
    const std::int64_t after = static_cast<std::int64_t>(sample->used_bytes) + promised +
                               static_cast<std::int64_t>(unit.memory);
    fit.after_percent = PercentOf(after, sample->total_bytes);
    const double limit =
        std::min(config_.defaults.threshold_percent, unit.policy.threshold_percent) -
        kRebalanceHysteresisPercent;
    if (fit.after_percent > limit) {
      return refuse("would reach " + Percent(fit.after_percent) + " (at most " + Percent(limit) +
                    (promised > 0 ? ", " + Bytes(static_cast<std::uint64_t>(promised)) +
                                        " promised to moves in flight counted"
                                  : "") +
                    ")");
    }
    fit.free_after = static_cast<std::int64_t>(sample->total_bytes) - after;
    return fit;
  }

  static bool EqualLabelTrue(const PlacementConstraint& c, const std::set<std::string>& keys) {
    static constexpr std::string_view kPrefix = "node.labels.";
    if (c.key.size() <= kPrefix.size() || c.key.compare(0, kPrefix.size(), kPrefix) != 0) {
      return false;
    }
    std::string value = c.value;
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    return c.equal && keys.count(c.key.substr(kPrefix.size())) > 0 && value == "true";
  }

  MoveRecord MakeMove(const Choice& choice) const {
    const Unit& unit = choice.unit;
    const RebalanceCandidate& c = choice.report;
    MoveRecord move;
    move.service = unit.head->name;
    move.service_id = unit.head->id;
    move.dependents = c.dependents;
    move.from_node = c.node_id;
    move.to_node = c.target_node_id;
    move.from_hostname = c.hostname;
    move.to_hostname = c.target_hostname;
    if (unit.all_head_tasks) {
      move.constraints.push_back("node.id==" + c.target_node_id);
    } else {
      for (const auto& [id, node] : index_.nodes) {
        if (id == c.target_node_id || unit.head_other_nodes.count(id)) continue;
        move.constraints.push_back("node.id!=" + id);
      }
    }
    move.memory_bytes = c.memory_bytes;
    move.started_ms = now_ms_;
    move.deadline_ms = now_ms_ + settings_.verify_timeout.count();
    move.outcome = c.dry_run ? MoveOutcome::kDryRun : MoveOutcome::kPlacing;
    if (c.dry_run) move.ended_ms = now_ms_;
    move.why = c.why;
    move.result = c.dry_run ? "dry run: reported, nothing changed" : "placing";
    return move;
  }

  const RebalanceSettings& settings_;
  const config::RebalanceConfig& config_;
  const Index index_;
  const Groups groups_;
  const PressureTracker& pressure_;
  const RebalanceMemory& memory_;
  const SteadyTime now_;
  const std::int64_t now_ms_;
  const std::map<std::string, std::uint64_t> promised_;
};

}  // namespace

const char* MoveOutcomeName(MoveOutcome outcome) {
  switch (outcome) {
    case MoveOutcome::kPlacing:
      return "placing";
    case MoveOutcome::kRemoving:
      return "removing_constraints";
    case MoveOutcome::kRollingBack:
      return "rolling_back";
    case MoveOutcome::kLanded:
      return "landed";
    case MoveOutcome::kRolledBack:
      return "rolled_back";
    case MoveOutcome::kDryRun:
      return "dry_run";
  }
  return "placing";
}

std::optional<MoveOutcome> MoveOutcomeFromName(std::string_view name) {
  for (MoveOutcome o : {MoveOutcome::kPlacing, MoveOutcome::kRemoving, MoveOutcome::kRollingBack,
                        MoveOutcome::kLanded, MoveOutcome::kRolledBack, MoveOutcome::kDryRun}) {
    if (name == MoveOutcomeName(o)) return o;
  }
  return std::nullopt;
}

std::set<PressureTrigger> RebalanceTriggers(const config::RebalanceConfig& config) {
  std::set<PressureTrigger> out{TriggerOf(config.defaults)};
  for (const auto& [name, overrides] : config.services) {
    out.insert(TriggerOf(config.PolicyFor(name)));
  }
  return out;
}

config::RebalancePolicy PolicyOf(const config::RebalanceConfig& config, const Service& service) {
  if (config.services.count(service.name)) return config.PolicyFor(service.name);
  auto stack = service.labels.find("com.docker.stack.namespace");
  if (stack != service.labels.end() && service.name.size() > stack->second.size() + 1 &&
      service.name.compare(0, stack->second.size() + 1, stack->second + "_") == 0) {
    return config.PolicyFor(service.name.substr(stack->second.size() + 1));
  }
  return config.defaults;
}

std::vector<RebalanceNode> PressureOverview(const RebalanceSettings& settings,
                                            const std::vector<Node>& nodes,
                                            const PressureTracker& pressure,
                                            const RebalanceMemory& memory, SteadyTime now,
                                            std::int64_t now_ms) {
  std::vector<RebalanceNode> out;
  if (!settings.config) return out;
  const config::RebalancePolicy& policy = settings.config->rebalance.defaults;
  const std::int64_t sustained = Minutes(policy.sustained_high_minutes);
  for (const Node& node : nodes) {
    NodePressure p = pressure.Evaluate(node.id, TriggerOf(policy));
    RebalanceNode r;
    r.node_id = node.id;
    r.hostname = node.hostname.empty() ? node.id : node.hostname;
    r.state = p.state;
    r.total_bytes = p.sample.total_bytes;
    r.used_bytes = p.sample.used_bytes;
    r.used_percent = p.sample.used_percent();
    r.psi_present = p.sample.psi_present;
    r.psi_some_avg10 = p.sample.psi_some_avg10;
    r.high_for = p.HighFor(now);
    r.sustained_after = milliseconds(sustained);
    r.why = p.why;
    if (node.state != "ready") {
      r.state = PressureState::kUnknown;
      r.why = "node " + node.state;
    } else if (p.state == PressureState::kHigh) {
      const bool sustained_ok = p.high_since && r.high_for.count() >= sustained;
      r.why += sustained_ok ? "; sustained for " + Span(r.high_for.count())
                            : "; high for " + Span(r.high_for.count()) + " of " + Span(sustained);
      std::string not_source = NotASource(node.id, memory, sustained, now_ms);
      if (!not_source.empty()) {
        r.why += "; not a source: " + not_source;
      } else {
        r.source = sustained_ok;
      }
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.hostname, a.node_id) < std::tie(b.hostname, b.node_id);
  });
  return out;
}

namespace {
// The default block and every service's policy (each may have its own trigger and window).
std::vector<config::RebalancePolicy> AllPolicies(const config::RebalanceConfig& config) {
  std::vector<config::RebalancePolicy> policies{config.defaults};
  for (const auto& [name, overrides] : config.services) policies.push_back(config.PolicyFor(name));
  return policies;
}
}  // namespace

bool AnySustainedPressure(const RebalanceSettings& settings, const std::vector<Node>& nodes,
                          const PressureTracker& pressure, const RebalanceMemory& memory,
                          SteadyTime now, std::int64_t now_ms) {
  if (!settings.config) return false;
  const std::vector<config::RebalancePolicy> policies = AllPolicies(settings.config->rebalance);
  for (const Node& node : nodes) {
    if (node.state != "ready") continue;
    for (const config::RebalancePolicy& policy : policies) {
      NodePressure p = pressure.Evaluate(node.id, TriggerOf(policy));
      const std::int64_t sustained = Minutes(policy.sustained_high_minutes);
      if (p.state == PressureState::kHigh && p.high_since && p.HighFor(now).count() >= sustained &&
          NotASource(node.id, memory, sustained, now_ms).empty()) {
        return true;
      }
    }
  }
  return false;
}

std::optional<SteadyTime> NextSustained(const RebalanceSettings& settings,
                                        const std::vector<Node>& nodes,
                                        const PressureTracker& pressure, SteadyTime now) {
  if (!settings.config) return std::nullopt;
  const std::vector<config::RebalancePolicy> policies = AllPolicies(settings.config->rebalance);
  std::optional<SteadyTime> next;
  for (const Node& node : nodes) {
    if (node.state != "ready") continue;
    for (const config::RebalancePolicy& policy : policies) {
      NodePressure p = pressure.Evaluate(node.id, TriggerOf(policy));
      if (p.state != PressureState::kHigh || !p.high_since) continue;
      const SteadyTime at =
          *p.high_since + std::chrono::milliseconds(Minutes(policy.sustained_high_minutes));
      if (at > now && (!next || at < *next)) next = at;
    }
  }
  return next;
}

RebalancePlan QuietPlan(const RebalanceSettings& settings, const std::vector<Node>& nodes,
                        const PressureTracker& pressure, const RebalanceMemory& memory,
                        SteadyTime now, std::int64_t now_ms) {
  RebalancePlan plan;
  if (!settings.config) {
    plan.decision = "nothing moves: no configuration in force";
    return plan;
  }
  plan.nodes = PressureOverview(settings, nodes, pressure, memory, now, now_ms);
  plan.decision = "nothing moves: " + NothingWhy(plan);
  return plan;
}

RebalancePlan PlanRebalance(const RebalanceSettings& settings, const Snapshot& snapshot,
                            const PressureTracker& pressure, const RebalanceMemory& memory,
                            SteadyTime now, std::int64_t now_ms) {
  if (!settings.config) {
    RebalancePlan plan;
    plan.decision = "nothing moves: no configuration in force";
    return plan;
  }
  return Planner(settings, snapshot, pressure, memory, now, now_ms).Run();
}

MoveCheck CheckMove(const MoveRecord& move, const Snapshot& snapshot, std::int64_t now_ms) {
  MoveCheck check;
  check.outcome = move.outcome;
  if (!InFlight(move.outcome)) {
    check.why = move.result;
    return check;
  }
  const Service* service = nullptr;
  for (const Service& s : snapshot.services) {
    if (s.id == move.service_id) service = &s;
  }
  const bool landed_before = move.outcome == MoveOutcome::kRemoving;
  if (service == nullptr) {
    check.outcome = landed_before ? MoveOutcome::kLanded : MoveOutcome::kRolledBack;
    check.why = move.service + " no longer exists; nothing to remove";
    return check;
  }
  if (!HasMoveConstraints(service->spec, move.constraints)) {
    if (move.outcome == MoveOutcome::kPlacing) {
      check.outcome = MoveOutcome::kRolledBack;
      check.why = "the temporary constraints are gone from " + move.service +
                  "'s spec (someone updated it, or Swarm rolled the update back); the move is "
                  "abandoned";
    } else {
      check.outcome = landed_before ? MoveOutcome::kLanded : MoveOutcome::kRolledBack;
      check.why = landed_before
                      ? "landed on " + move.to_hostname + "; temporary constraints removed"
                      : "rolled back; temporary constraints removed";
    }
    return check;
  }
  if (move.outcome != MoveOutcome::kPlacing) {
    check.remove_constraints = true;
    check.why = "removing the temporary constraints (" + move.result + ")";
    return check;
  }

  auto give_up = [&](std::string why) {
    check.outcome = MoveOutcome::kRollingBack;
    check.remove_constraints = true;
    check.why = std::move(why);
    return check;
  };
  const Node* target = nullptr;
  for (const Node& node : snapshot.nodes) {
    if (node.id == move.to_node) target = &node;
  }
  if (target == nullptr) return give_up("the target " + move.to_hostname + " left the swarm");
  if (target->state != "ready") {
    return give_up("the target " + move.to_hostname + " is " + target->state);
  }
  if (target->availability != "active") {
    return give_up("the target " + move.to_hostname + " is " + target->availability);
  }
  if (service->update_state == "paused" || service->update_state.rfind("rollback", 0) == 0) {
    return give_up("Swarm's update of " + move.service + " is " + service->update_state);
  }
  std::map<std::string, std::vector<const Task*>> by_service;
  for (const Task& task : snapshot.tasks) by_service[task.service_id].push_back(&task);
  // The moved service: failed tasks on the target since the move, tasks nowhere to go.
  bool on_source = false;
  int on_target = 0;
  int elsewhere = 0;
  bool settled = true;
  for (const Task* task : by_service[service->id]) {
    auto at = TaskTimeMs(*task);
    if (task->node_id == move.to_node && (task->state == "failed" || task->state == "rejected") &&
        at && *at >= move.started_ms - 1000) {
      return give_up(move.service + "'s task failed on " + move.to_hostname + ": " +
                     (task->error.empty() ? task->message : task->error));
    }
    if (task->desired_state != "running") continue;
    if (task->node_id.empty() || task->state == "pending") {
      if (at && now_ms - std::max(*at, move.started_ms) >= kPendingGrace.count() * 1000) {
        return give_up("Swarm cannot place " + move.service + "'s task on " + move.to_hostname +
                       " (" + (task->error.empty() ? task->message : task->error) + ")");
      }
      settled = false;
      continue;
    }
    if (task->state != "running") settled = false;
    if (task->node_id == move.from_node) {
      on_source = true;
    } else if (task->node_id == move.to_node) {
      if (task->state == "running") ++on_target;
    } else {
      ++elsewhere;
    }
  }
  if (now_ms >= move.deadline_ms) {
    return give_up("not landed within " + Span(move.deadline_ms - move.started_ms) +
                   " (MAX_MISMATCH_DURATION)");
  }
  if (on_source || !settled) {
    check.why = "waiting for " + move.service + " to run on " + move.to_hostname;
    return check;
  }
  if (on_target == 0) {
    return give_up(move.service + " runs elsewhere, not on " + move.to_hostname);
  }
  (void)elsewhere;
  // The dependents follow the anchor's label (the controller moves it and force-updates them).
  for (const std::string& name : move.dependents) {
    const Service* dep = nullptr;
    for (const Service& s : snapshot.services) {
      if (s.name == name) dep = &s;
    }
    if (dep == nullptr) continue;
    int running_here = 0;
    for (const Task* task : by_service[dep->id]) {
      if (task->desired_state != "running") continue;
      if (task->node_id != move.to_node || task->state != "running") {
        check.why = "waiting for dependent " + name + " to follow to " + move.to_hostname;
        return check;
      }
      ++running_here;
    }
    if (running_here == 0) {
      check.why = "waiting for dependent " + name + " to follow to " + move.to_hostname;
      return check;
    }
  }
  check.outcome = MoveOutcome::kRemoving;
  check.remove_constraints = true;
  check.why = move.dependents.empty() ? "landed: " + move.service + " runs on " + move.to_hostname
                                      : "landed: " + move.service + " and " +
                                            Join(move.dependents) + " run on " + move.to_hostname;
  return check;
}

RebalanceMemory PruneMoves(RebalanceMemory memory, const config::RebalanceConfig& config,
                           std::int64_t now_ms) {
  double longest =
      std::max(config.defaults.cooldown_minutes, config.defaults.sustained_high_minutes);
  for (const auto& [name, overrides] : config.services) {
    config::RebalancePolicy p = config.PolicyFor(name);
    longest = std::max({longest, p.cooldown_minutes, p.sustained_high_minutes});
  }
  longest = std::max(longest, config.global_cooldown_minutes);
  const std::int64_t horizon =
      std::max<std::int64_t>(Minutes(longest), kHourMs + kNoReturnWindow.count() * kMinuteMs);
  std::vector<MoveRecord> kept;
  for (MoveRecord& move : memory.moves) {
    const std::int64_t last = std::max(move.started_ms, move.ended_ms);
    if (InFlight(move.outcome) || now_ms - last < horizon) kept.push_back(std::move(move));
  }
  while (kept.size() > kMaxRememberedMoves) {
    auto oldest = std::find_if(kept.begin(), kept.end(),
                               [](const MoveRecord& m) { return !InFlight(m.outcome); });
    if (oldest == kept.end()) break;
    kept.erase(oldest);
  }
  memory.moves = std::move(kept);
  return memory;
}

nlohmann::json WithMoveConstraints(nlohmann::json spec,
                                   const std::vector<std::string>& constraints) {
  nlohmann::json& list = spec["TaskTemplate"]["Placement"]["Constraints"];
  if (!list.is_array()) list = nlohmann::json::array();
  for (const std::string& c : constraints) list.push_back(c);
  return spec;
}

nlohmann::json WithoutMoveConstraints(nlohmann::json spec,
                                      const std::vector<std::string>& constraints) {
  nlohmann::json::json_pointer pointer("/TaskTemplate/Placement/Constraints");
  if (!spec.is_object() || !spec.contains(pointer) || !spec.at(pointer).is_array()) return spec;
  nlohmann::json& list = spec.at(pointer);
  for (const std::string& c : constraints) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->is_string() && it->get<std::string>() == c) {
        list.erase(it);
        break;
      }
    }
  }
  return spec;
}

bool HasMoveConstraints(const nlohmann::json& spec, const std::vector<std::string>& constraints) {
  nlohmann::json::json_pointer pointer("/TaskTemplate/Placement/Constraints");
  if (!spec.is_object() || !spec.contains(pointer) || !spec.at(pointer).is_array()) {
    return constraints.empty();
  }
  std::multiset<std::string> present;
  for (const auto& item : spec.at(pointer)) {
    if (item.is_string()) present.insert(item.get<std::string>());
  }
  for (const std::string& c : constraints) {
    auto it = present.find(c);
    if (it == present.end()) return false;
    present.erase(it);
  }
  return true;
}

}  // namespace orcastra::leader
