#include "leader/anchors/reconciler.h"

#include "common/log.h"

namespace orcastra::leader {
namespace {

constexpr char kFencedMessage[] = "the lease is not held: this instance stopped acting";

std::string Join(const std::vector<std::string>& lines, const char* separator = "; ") {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : separator) + line;
  return out;
}

template <typename T>
const T* FindById(const std::vector<T>& items, const std::string& id) {
  for (const auto& item : items)
    if (item.id == id) return &item;
  return nullptr;
}

std::string DescribeLabels(const NodeLabelChange& change) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : change.add) parts.push_back("+" + key + "=" + value);
  for (const auto& key : change.remove) parts.push_back("-" + key);
  return Join(parts, " ");
}

}  // namespace

Result<Snapshot> ReadSnapshot(SwarmApi& api, const config::SwarmConfig& config,
                              const std::string& default_stack) {
  Snapshot snapshot;
  auto nodes = api.Nodes();
  if (!nodes.ok()) return nodes.status().WithContext("reading the node list");
  snapshot.nodes = std::move(nodes).value();
  auto services = api.Services();
  if (!services.ok()) return services.status().WithContext("reading the service list");
  snapshot.services = std::move(services).value();

  // Only the tasks of configured services that exist: Docker refuses a task filter naming a
  // service that does not exist, and the rest of the swarm's tasks are not needed.
  std::set<std::string> wanted;
  for (const auto& anchor : config.dependencies) {
    const std::string stack = anchor.stack.value_or(default_stack);
    wanted.insert(FullServiceName(stack, anchor.name));
    for (const auto& dep : anchor.services) wanted.insert(FullServiceName(stack, dep));
  }
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& service : snapshot.services) {
    if (wanted.count(service.name)) ids.push_back(service.id);
  }
  if (ids.empty()) return snapshot;
  auto tasks = api.Tasks({{"service", ids}, {"desired-state", {"running"}}});
  if (!tasks.ok()) return tasks.status().WithContext("reading the task list");
  snapshot.tasks = std::move(tasks).value();
  return snapshot;
}

nlohmann::json WithLabels(nlohmann::json spec, const std::map<std::string, std::string>& labels) {
  spec["Labels"] = labels;
  return spec;
}

nlohmann::json WithForceUpdate(nlohmann::json spec) {
  auto& task_template = spec["TaskTemplate"];
  if (!task_template.is_object()) task_template = nlohmann::json::object();
  std::uint64_t force = task_template.value("ForceUpdate", std::uint64_t{0});
  task_template["ForceUpdate"] = force + 1;
  return spec;
}

nlohmann::json WithConstraint(nlohmann::json spec, const std::string& constraint) {
  auto& constraints = spec["TaskTemplate"]["Placement"]["Constraints"];
  if (!constraints.is_array()) constraints = nlohmann::json::array();
  constraints.push_back(constraint);
  return spec;
}

void Reconciler::Emit(std::string kind, std::string subject, std::string message,
                      std::map<std::string, std::string> attrs) {
  Logger("controller")->info("{} {}: {}", kind, subject, message);
  if (report_) report_({std::move(kind), std::move(subject), std::move(message), std::move(attrs)});
}

Status Reconciler::Write(const std::function<Status()>& write,
                         const std::function<bool()>& may_write) {
  if (may_write && !may_write()) return Status::Aborted(kFencedMessage);
  return write();
}

Status Reconciler::WriteNodeChange(const NodeLabelChange& change, const Snapshot& snapshot,
                                   const std::function<bool()>& may_write) {
  const docker::Node* node = FindById(snapshot.nodes, change.node_id);
  if (node == nullptr) return Status::Internal("node " + change.node_id + " is not in the read");
  return Write(
      [&] {
        return api_.UpdateNode(change.node_id, change.version,
                               WithLabels(node->spec, change.labels_after));
      },
      may_write);
}

Status Reconciler::WriteServiceAction(const ServiceAction& action, const Snapshot& snapshot,
                                      const std::function<bool()>& may_write) {
  const docker::Service* service = FindById(snapshot.services, action.service_id);
  if (service == nullptr) {
    return Status::Internal("service " + action.service_id + " is not in the read");
  }
  nlohmann::json spec = action.kind == ServiceActionKind::kForceUpdate
                            ? WithForceUpdate(service->spec)
                            : WithConstraint(service->spec, action.constraint);
  return Write([&] { return api_.UpdateService(action.service_id, action.version, spec); },
               may_write);
}

CycleOutcome Reconciler::RunCycle(const config::SwarmConfig& config,
                                  const ReconcileSettings& settings, bool act, bool dry_run,
                                  const std::function<bool()>& may_write, SteadyTime now,
                                  const Persist& persist) {
  CycleOutcome outcome;
  auto snapshot = ReadSnapshot(api_, config, settings.default_stack);
  if (!snapshot.ok()) {
    outcome.read = snapshot.status();
    if (act) {
      Emit("reconcile_skipped", "swarm",
           "partial data, nothing changed this cycle: " + snapshot.status().ToString());
    }
    return outcome;
  }
  Plan plan = PlanReconcile(config, settings, *snapshot, memory_, now);
  outcome.snapshot = std::move(snapshot).value();
  if (!act) {
    outcome.plan = std::move(plan);
    return outcome;
  }
  const auto dependents_before = memory_.dependents;
  memory_ = plan.memory;  // attempts count whether or not the write below succeeds

  bool service_writes = true;
  if (!dry_run && persist) {
    // Write-ahead: the backoff is stored in Swarm before anything it governs is done, so a new
    // active instance never knows less than what happened.
    Status persisted = persist(plan.memory);
    if (persisted.code() == Status::Code::kAborted) {
      outcome.fenced = true;
      Emit("fenced", "safety", persisted.message());
      outcome.plan = std::move(plan);
      return outcome;
    }
    if (!persisted.ok()) {
      service_writes = false;
      // Not stored, so not advanced: the next cycle plans the same and tries again.
      memory_.dependents = dependents_before;
      if (!plan.service_actions.empty()) {
        Emit("action_failed", "swarm",
             "the safety record could not be written: the dependents' updates wait for the next "
             "cycle: " +
                 persisted.ToString());
      }
    }
  }

  if (dry_run) {
    for (const auto& change : plan.node_changes) {
      outcome.actions.emplace_back("set_labels", "dry_run");
      Emit("dry_run", change.hostname,
           "would set labels " + DescribeLabels(change) + " (" + Join(change.reasons) + ")");
    }
    for (const auto& action : plan.service_actions) {
      outcome.actions.emplace_back(ServiceActionKindName(action.kind), "dry_run");
      Emit("dry_run", action.service,
           std::string("would ") + ServiceActionKindName(action.kind) + ": " + action.reason);
    }
    outcome.plan = std::move(plan);
    return outcome;
  }

  const Snapshot& read = *outcome.snapshot;
  for (const auto& change : plan.node_changes) {
    Status written = WriteNodeChange(change, read, may_write);
    outcome.actions.emplace_back("set_labels", written.ok() ? "ok" : "failed");
    if (written.ok()) {
      ++outcome.writes_ok;
      Emit("labels_changed", change.hostname,
           DescribeLabels(change) + " (" + Join(change.reasons) + ")",
           {{"node_id", change.node_id}});
      continue;
    }
    ++outcome.writes_failed;
    if (written.code() == Status::Code::kAborted) {
      outcome.fenced = true;
      Emit("fenced", change.hostname, kFencedMessage);
      outcome.plan = std::move(plan);
      return outcome;
    }
    Emit("action_failed", change.hostname,
         "labels " + DescribeLabels(change) + " not written: " + written.ToString());
  }
  if (!service_writes) {
    outcome.plan = std::move(plan);
    return outcome;
  }
  if (outcome.writes_failed > 0 && !plan.service_actions.empty()) {
    Emit("action_failed", "swarm",
         "a label write failed: the dependents' updates wait for the next cycle");
    outcome.plan = std::move(plan);
    return outcome;
  }
  for (const auto& action : plan.service_actions) {
    Status written = WriteServiceAction(action, read, may_write);
    outcome.actions.emplace_back(ServiceActionKindName(action.kind),
                                 written.ok() ? "ok" : "failed");
    if (written.ok()) {
      ++outcome.writes_ok;
      Emit(action.kind == ServiceActionKind::kForceUpdate ? "dependent_restarted"
                                                          : "constraint_added",
           action.service, action.reason,
           {{"anchor", action.anchor}, {"attempt", std::to_string(action.attempt)}});
      continue;
    }
    ++outcome.writes_failed;
    if (written.code() == Status::Code::kAborted) {
      outcome.fenced = true;
      Emit("fenced", action.service, kFencedMessage);
      break;
    }
    Emit("action_failed", action.service,
         std::string(ServiceActionKindName(action.kind)) + " failed: " + written.ToString());
  }
  outcome.plan = std::move(plan);
  return outcome;
}

Reconciler::CommandOutcome Reconciler::CarryOut(const CommandPlan& plan, const Snapshot& snapshot,
                                                const std::string& command,
                                                const std::function<bool()>& may_write) {
  CommandOutcome outcome;
  std::vector<std::string>& lines = outcome.lines;
  std::set<std::string> written;
  bool& fenced = outcome.fenced;
  for (const auto& change : plan.node_changes) {
    const std::string what = change.hostname + ": " + DescribeLabels(change);
    if (plan.dry_run) {
      lines.push_back("would set " + what);
      continue;
    }
    Status status = WriteNodeChange(change, snapshot, may_write);
    if (status.ok()) {
      lines.push_back(what);
      Emit("labels_changed", change.hostname,
           DescribeLabels(change) + " (" + Join(change.reasons) + ")",
           {{"node_id", change.node_id}, {"command", command}});
      continue;
    }
    lines.push_back(what + " failed: " + status.ToString());
    ++outcome.failed;
    if (status.code() == Status::Code::kAborted) {
      fenced = true;
      break;
    }
    Emit("action_failed", change.hostname,
         "labels " + DescribeLabels(change) + " not written: " + status.ToString(),
         {{"command", command}});
  }
  for (const auto& action : plan.service_actions) {
    if (fenced) break;
    const std::string kind = ServiceActionKindName(action.kind);
    if (plan.dry_run) {
      lines.push_back(action.service + ": would " + kind);
      written.insert(action.service);
      continue;
    }
    Status status = WriteServiceAction(action, snapshot, may_write);
    if (status.ok()) {
      lines.push_back(action.service + ": " + kind + " done");
      written.insert(action.service);
      Emit(action.kind == ServiceActionKind::kForceUpdate ? "dependent_restarted"
                                                          : "constraint_added",
           action.service, action.reason, {{"anchor", action.anchor}, {"command", command}});
      continue;
    }
    lines.push_back(action.service + ": " + kind + " failed: " + status.ToString());
    ++outcome.failed;
    if (status.code() == Status::Code::kAborted) {
      fenced = true;
      break;
    }
    Emit("action_failed", action.service, kind + " failed: " + status.ToString(),
         {{"command", command}});
  }
  if (fenced) Emit("fenced", "swarm", std::string(kFencedMessage) + " (command " + command + ")");
  for (const auto& name : plan.forget) {
    if (written.count(name)) memory_.dependents.erase(name);
  }
  lines.insert(lines.end(), plan.skipped.begin(), plan.skipped.end());
  return outcome;
}

}  // namespace orcastra::leader
