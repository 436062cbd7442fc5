#include "leader/anchors/plan.h"

#include <algorithm>

namespace orcastra::leader {
namespace {

using docker::Node;
using docker::Service;
using docker::Task;

constexpr char kLabelTrue[] = "true";

bool IsStarting(const Task& task) {
  static const std::set<std::string> kStarting = {"new",      "allocated", "pending", "assigned",
                                                  "accepted", "preparing", "ready",   "starting"};
  return kStarting.count(task.state) > 0;
}

// A task not yet on a node, or waiting for one ("no suitable node").
bool IsPending(const Task& task) {
  return task.state == "pending" || (IsStarting(task) && task.node_id.empty());
}

// Lookups over one snapshot.
class Index {
 public:
  explicit Index(const Snapshot& snapshot) {
    for (const Node& node : snapshot.nodes) nodes_[node.id] = &node;
    for (const Service& service : snapshot.services) services_[service.name] = &service;
    for (const Task& task : snapshot.tasks) {
      if (task.desired_state == "running") tasks_[task.service_id].push_back(&task);
    }
  }

  const Node* NodeById(const std::string& id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : it->second;
  }
  const Service* ServiceByName(const std::string& name) const {
    auto it = services_.find(name);
    return it == services_.end() ? nullptr : it->second;
  }
  const std::vector<const Task*>& DesiredRunning(const std::string& service_id) const {
    static const std::vector<const Task*> kNone;
    auto it = tasks_.find(service_id);
    return it == tasks_.end() ? kNone : it->second;
  }
  // Node ids where `service` has a task running on a ready node.
  std::set<std::string> RunningOn(const Service& service) const {
    std::set<std::string> out;
    for (const Task* task : DesiredRunning(service.id)) {
      const Node* node = NodeById(task->node_id);
      if (task->state == "running" && node != nullptr && node->state == "ready") {
        out.insert(task->node_id);
      }
    }
    return out;
  }
  std::vector<std::string> Hostnames(const std::set<std::string>& node_ids) const {
    std::vector<std::string> out;
    for (const auto& id : node_ids) {
      const Node* node = NodeById(id);
      out.push_back(node != nullptr ? node->hostname : id);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::map<std::string, const Node*> nodes_;
  std::map<std::string, const Service*> services_;
  std::map<std::string, std::vector<const Task*>> tasks_;
};

// Label edits collected per node, turned into one NodeLabelChange each at the end.
class LabelEdits {
 public:
  void Set(const Node& node, const std::string& key, const std::string& value, std::string reason) {
    auto current = node.labels.find(key);
    if (current != node.labels.end() && current->second == value) return;
    Edit& edit = edits_[node.id];
    edit.node = &node;
    edit.set[key] = value;
    edit.reasons.push_back(std::move(reason));
  }
  void Remove(const Node& node, const std::string& key, std::string reason) {
    if (node.labels.count(key) == 0) return;
    Edit& edit = edits_[node.id];
    edit.node = &node;
    edit.remove.insert(key);
    edit.reasons.push_back(std::move(reason));
  }
  bool Touches(const std::string& key) const {
    for (const auto& [id, edit] : edits_) {
      if (edit.set.count(key) || edit.remove.count(key)) return true;
    }
    return false;
  }

  std::vector<NodeLabelChange> Changes() const {
    std::vector<NodeLabelChange> out;
    for (const auto& [id, edit] : edits_) {
      NodeLabelChange change;
      change.node_id = id;
      change.hostname = edit.node->hostname;
      change.version = edit.node->version;
      change.add = edit.set;
      change.remove.assign(edit.remove.begin(), edit.remove.end());
      change.labels_after = edit.node->labels;
      for (const auto& key : edit.remove) change.labels_after.erase(key);
      for (const auto& [key, value] : edit.set) change.labels_after[key] = value;
      change.reasons = edit.reasons;
      out.push_back(std::move(change));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.hostname, a.node_id) < std::tie(b.hostname, b.node_id);
    });
    return out;
  }

 private:
  struct Edit {
    const Node* node = nullptr;
    std::map<std::string, std::string> set;
    std::set<std::string> remove;
    std::vector<std::string> reasons;
  };
  std::map<std::string, Edit> edits_;  // by node id
};

std::chrono::milliseconds RetryInterval(const config::Anchor& anchor, int attempts_before) {
  const auto& intervals =
      anchor.retry_intervals.empty() ? config::kDefaultRetryIntervals : anchor.retry_intervals;
  std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(std::max(attempts_before, 0)),
                                        intervals.size() - 1);
  return intervals[i];
}

void PlanStaticLabels(const config::SwarmConfig& config, const ReconcileSettings& settings,
                      const std::vector<Node>& nodes, const std::set<std::string>& anchor_keys,
                      LabelEdits& edits, std::vector<std::string>& warnings) {
  std::set<std::string> managed;
  for (const auto& [hostname, spec] : config.nodes) {
    for (const auto& [key, value] : spec.LabelMap()) {
      if (anchor_keys.count(key)) {
        warnings.push_back("node '" + hostname + "': label '" + key +
                           "' is an anchor label; it is not applied as a static label");
      } else {
        managed.insert(key);
      }
    }
  }
  for (const auto& [hostname, spec] : config.nodes) {
    std::vector<const Node*> targets;
    bool any = false;
    for (const Node& node : nodes) {
      if (node.hostname != hostname) continue;
      any = true;
      if (node.state != "down") targets.push_back(&node);
    }
    if (!any) {
      warnings.push_back("node '" + hostname + "' of swarm.yml is not in the swarm");
      continue;
    }
    const auto wanted = spec.LabelMap();
    for (const Node* node : targets) {
      for (const auto& [key, value] : wanted) {
        if (anchor_keys.count(key)) continue;
        edits.Set(*node, key, value, "static label " + key + "=" + value + " from swarm.yml");
      }
      if (!settings.prune_unknown_labels) continue;
      for (const auto& [key, value] : node->labels) {
        if (managed.count(key) && !wanted.count(key)) {
          edits.Remove(*node, key,
                       "static label " + key + " is not configured for this node (pruned)");
        }
      }
    }
  }
}

}  // namespace

const char* AnchorStateName(AnchorState state) {
  switch (state) {
    case AnchorState::kRunning:
      return "running";
    case AnchorState::kRestarting:
      return "restarting";
    case AnchorState::kDown:
      return "down";
    case AnchorState::kMissing:
      return "missing";
  }
  return "?";
}

const char* DependentStateName(DependentState state) {
  switch (state) {
    case DependentState::kColocated:
      return "colocated";
    case DependentState::kConverging:
      return "converging";
    case DependentState::kFollowing:
      return "following";
    case DependentState::kMisplaced:
      return "misplaced";
    case DependentState::kNoConstraint:
      return "no-constraint";
    case DependentState::kWaitingForAnchor:
      return "waiting-for-anchor";
    case DependentState::kScaledToZero:
      return "scaled-to-zero";
    case DependentState::kMissing:
      return "missing";
  }
  return "?";
}

const char* ServiceActionKindName(ServiceActionKind kind) {
  switch (kind) {
    case ServiceActionKind::kForceUpdate:
      return "force_update";
    case ServiceActionKind::kAddConstraint:
      return "add_constraint";
  }
  return "?";
}

std::set<std::string> AnchorLabelKeys(const config::SwarmConfig& config) {
  std::set<std::string> keys;
  for (const auto& anchor : config.dependencies) keys.insert(config.AnchorLabelKey(anchor.name));
  return keys;
}

Plan PlanReconcile(const config::SwarmConfig& config, const ReconcileSettings& settings,
                   const Snapshot& snapshot, const ReconcileMemory& memory, SteadyTime now) {
  Plan plan;
  const Index index(snapshot);
  const std::set<std::string> anchor_keys = AnchorLabelKeys(config);
  LabelEdits edits;
  PlanStaticLabels(config, settings, snapshot.nodes, anchor_keys, edits, plan.warnings);

  // Anchors first: where each runs decides its label, and whether its label moves this cycle.
  struct Placed {
    const Service* service = nullptr;
    std::set<std::string> nodes;  // ids
  };
  std::vector<Placed> placed(config.dependencies.size());
  for (std::size_t i = 0; i < config.dependencies.size(); ++i) {
    const config::Anchor& anchor = config.dependencies[i];
    const std::string stack = anchor.stack.value_or(settings.default_stack);
    const std::string key = config.AnchorLabelKey(anchor.name);
    AnchorReport report;
    report.name = anchor.name;
    report.service = FullServiceName(stack, anchor.name);
    report.label_key = key;
    const Service* service = index.ServiceByName(report.service);
    placed[i].service = service;
    if (service == nullptr) {
      report.state = AnchorState::kMissing;
      report.detail = "no service named '" + report.service + "'";
    } else {
      placed[i].nodes = index.RunningOn(*service);
      report.nodes = index.Hostnames(placed[i].nodes);
      if (!placed[i].nodes.empty()) {
        report.state = AnchorState::kRunning;
        for (const Node& node : snapshot.nodes) {
          if (placed[i].nodes.count(node.id)) {
            edits.Set(node, key, kLabelTrue, "anchor " + anchor.name + " runs here");
          } else {
            edits.Remove(node, key,
                         "anchor " + anchor.name + " runs on " + report.nodes.front() +
                             (report.nodes.size() > 1 ? " and others" : "") + ", not here");
          }
        }
      } else {
        auto remembered = memory.anchors.find(report.service);
        SteadyTime since =
            remembered != memory.anchors.end() && remembered->second.not_running_since.has_value()
                ? *remembered->second.not_running_since
                : now;
        plan.memory.anchors[report.service] = {since, std::nullopt};
        bool in_grace = now - since < settings.anchor_grace;
        report.state = in_grace ? AnchorState::kRestarting : AnchorState::kDown;
        report.detail =
            std::string("no running task") + (in_grace ? "; labels kept during the grace period"
                                                       : "; labels kept, dependents left alone");
        if (in_grace) plan.settled = false;
      }
    }
    plan.anchors.push_back(std::move(report));
  }

  if (!settings.labels_suspended.empty()) {
    edits = LabelEdits();  // nothing is put back, and no label moves this cycle
    plan.warnings.push_back("labels are not managed: " + settings.labels_suspended);
  }
  const std::string& held =
      !settings.dependents_held.empty() ? settings.dependents_held : settings.labels_suspended;
  for (std::size_t i = 0; i < config.dependencies.size(); ++i) {
    const config::Anchor& anchor = config.dependencies[i];
    AnchorReport& report = plan.anchors[i];
    const std::string stack = anchor.stack.value_or(settings.default_stack);
    std::optional<SteadyTime> moved_at;
    if (edits.Touches(report.label_key)) {
      moved_at = now;
    } else if (auto it = memory.anchors.find(report.service); it != memory.anchors.end()) {
      moved_at = it->second.label_moved_at;
    }
    if (moved_at && now - *moved_at < settings.follow_window) {
      plan.memory.anchors[report.service].label_moved_at = moved_at;
    }
    const bool label_moved = moved_at && now - *moved_at < settings.follow_window;
    for (const std::string& name : anchor.services) {
      DependentReport dep;
      dep.name = name;
      dep.service = FullServiceName(stack, name);
      auto remembered = memory.dependents.find(dep.service);
      DependentMemory mem =
          remembered != memory.dependents.end() ? remembered->second : DependentMemory{};
      auto keep_memory = [&] {
        if (mem != DependentMemory{}) plan.memory.dependents[dep.service] = mem;
      };
      const Service* service = index.ServiceByName(dep.service);
      if (service == nullptr) {
        dep.state = DependentState::kMissing;
        dep.detail = "no service named '" + dep.service + "'";
        report.dependents.push_back(std::move(dep));
        continue;
      }
      std::set<std::string> running = index.RunningOn(*service);
      dep.nodes = index.Hostnames(running);
      dep.attempts = mem.attempts;
      if (report.state != AnchorState::kRunning) {
        dep.state = DependentState::kWaitingForAnchor;
        keep_memory();
        report.dependents.push_back(std::move(dep));
        continue;
      }
      if (service->mode == "replicated" && service->replicas == 0) {
        dep.state = DependentState::kScaledToZero;
        report.dependents.push_back(std::move(dep));
        continue;
      }
      const std::set<std::string>& beside = placed[i].nodes;
      int elsewhere = 0, starting_beside = 0, pending = 0;
      for (const std::string& node : running) elsewhere += beside.count(node) ? 0 : 1;
      for (const Task* task : index.DesiredRunning(service->id)) {
        if (task->state == "running") continue;
        if (IsPending(*task)) {
          ++pending;
        } else if (IsStarting(*task)) {
          (beside.count(task->node_id) ? starting_beside : elsewhere) += 1;
        }
      }
      if (elsewhere == 0 && pending == 0) {
        if (!running.empty() && starting_beside == 0) {
          dep.state = DependentState::kColocated;  // the backoff resets here, and only here
          dep.attempts = 0;
        } else {
          dep.state = DependentState::kConverging;
          plan.settled = false;
          keep_memory();
        }
        report.dependents.push_back(std::move(dep));
        continue;
      }

      std::string where = elsewhere > 0
                              ? std::to_string(elsewhere) + " task(s) not beside " + anchor.name
                              : std::to_string(pending) + " task(s) pending";
      bool constrained = HasAnchorConstraint(service->constraints, report.label_key);
      if (!constrained && !anchor.manage_constraints) {
        dep.state = DependentState::kNoConstraint;
        dep.detail = where + "; it lacks the constraint " + AnchorConstraint(report.label_key) +
                     " (add it, or set manage_constraints: true)";
        keep_memory();
        report.dependents.push_back(std::move(dep));
        continue;
      }
      plan.settled = false;
      if (constrained && label_moved) {
        dep.state = DependentState::kFollowing;
        dep.detail = where + "; the anchor label just moved, Swarm reschedules it";
        keep_memory();
        report.dependents.push_back(std::move(dep));
        continue;
      }
      dep.state = DependentState::kMisplaced;
      // Held: no force-update and no constraint edit (adding one makes Swarm reschedule too).
      if (!anchor.restart_dependents || settings.dependents_paused || !held.empty()) {
        dep.detail = where + (!held.empty()                ? "; " + held
                              : settings.dependents_paused ? "; dependents are paused"
                                                           : "; restart_dependents is false");
        keep_memory();
        report.dependents.push_back(std::move(dep));
        continue;
      }
      if (mem.next_allowed.has_value() && now < *mem.next_allowed) {
        dep.retry_in =
            std::chrono::duration_cast<std::chrono::milliseconds>(*mem.next_allowed - now);
        dep.detail = where + "; backing off";
        keep_memory();
        report.dependents.push_back(std::move(dep));
        continue;
      }
      ServiceAction action;
      action.service_id = service->id;
      action.service = dep.service;
      action.version = service->version;
      action.anchor = anchor.name;
      action.attempt = mem.attempts + 1;
      if (constrained) {
        action.kind = ServiceActionKind::kForceUpdate;
        action.reason = where + " (attempt " + std::to_string(action.attempt) + ")";
      } else {
        action.kind = ServiceActionKind::kAddConstraint;
        action.constraint = AnchorConstraint(report.label_key);
        action.reason = where + "; manage_constraints adds " + action.constraint;
      }
      DependentMemory next{mem.attempts + 1, now + RetryInterval(anchor, mem.attempts), now};
      plan.memory.dependents[dep.service] = next;
      dep.attempts = next.attempts;
      dep.detail = action.reason;
      plan.service_actions.push_back(std::move(action));
      report.dependents.push_back(std::move(dep));
    }
  }
  plan.node_changes = edits.Changes();
  if (!plan.node_changes.empty()) plan.settled = false;
  return plan;
}

}  // namespace orcastra::leader
