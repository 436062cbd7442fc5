#include "leader/controller/service.h"

#include <filesystem>
#include <set>

#include "common/files.h"
#include "common/log.h"
#include "config/command_file.h"
#include "config/dependent_constraints.h"
#include "config/reloader.h"
#include "leader/anchors/commands.h"
#include "leader/anchors/reconciler.h"
#include "leader/anchors/views.h"
#include "leader/config_store/store.h"
#include "leader/safety/cycle.h"
#include "leader/safety/store.h"

namespace orcastra::leader {
namespace {

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

bool FileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// The command file is small by nature; a bigger one is refused, not read (common/files.h).
constexpr std::size_t kMaxCommandFileBytes = 64 << 10;

}  // namespace

void ControllerCounters::CountAction(std::string_view kind, std::string_view result) {
  for (std::size_t k = 0; k < std::size(kKinds); ++k) {
    for (std::size_t r = 0; r < std::size(kResults); ++r) {
      if (kind == kKinds[k] && result == kResults[r]) {
        actions[k][r].fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

std::size_t Controller::queued_commands() const {
  std::lock_guard lock(mutex_);
  return inbox_.size();
}

// The loop's state; lives on the controller's thread only.
class Controller::Loop {
 public:
  Loop(Controller& owner)
      : owner_(owner),
        settings_(owner.options_.settings),
        reconciler_(owner.api_, owner.report_),
        reloader_(settings_),
        safety_store_(owner.api_),
        safety_(safety_store_, owner.clock_, owner.options_.lease_term, owner.options_.instance_id,
                owner.report_),
        cycle_(reconciler_, safety_) {}

  // One pass: configuration, commands (active only), a cycle. Returns the pause before the next.
  std::chrono::milliseconds Pass() {
    ReloadConfig();
    const bool leader = owner_.is_leader_();
    if (leader != was_leader_) {
      Emit(leader ? "controller_active" : "controller_standby", "leader",
           leader ? "this instance holds the lease: it reconciles and runs commands"
                  : "this instance does not hold the lease: read-only");
      was_leader_ = leader;
      cycle_.Reset();  // a new active period continues from what Swarm holds, nothing older
      labels_suspended_.clear();
    }
    held_.clear();
    if (leader) {
      // The safety record before any action: commands and the cycle see its pause and backoff.
      if (auto config = Current()) {
        held_ = cycle_.Begin(config->swarm, settings_.stack_name);
      }
      RunInbox();
      RunCommandFile();
    }
    bool settled = true;
    ControllerView view;
    if (auto config = Current()) {
      ReconcileSettings rs = cycle_.Settings(Settings());
      CycleOutcome outcome = cycle_.Run(config->swarm, rs, leader, settings_.dry_run,
                                        owner_.is_leader_, owner_.clock_.Now());
      ControllerCounters& counters = owner_.counters_;
      (outcome.fenced       ? counters.cycles_fenced
       : !outcome.read.ok() ? counters.cycles_skipped
                            : counters.cycles_ok)
          .fetch_add(1, std::memory_order_relaxed);
      for (const auto& [kind, result] : outcome.actions) counters.CountAction(kind, result);
      if (outcome.snapshot) WarnUnfollowable(config->swarm, outcome.snapshot->services);
      if (outcome.plan) {
        settled = outcome.plan->settled;
        view.plan = PlanJson(*outcome.plan);
        view.services = ServicesJson(config->swarm, settings_.stack_name, *outcome.snapshot);
        auto refs = docker::ServiceImageRefs(outcome.snapshot->services);
        view.service_images = std::vector<std::string>(refs.begin(), refs.end());
      }
      view.has_config = true;
      view.config = config;
      view.settings = rs;
    }
    // A pass without a cycle that reached its plan (no configuration, a failed read) still
    // stores a pause or resume command.
    if (leader) cycle_.End(settings_.dry_run);
    view.config_problem = config_problem_;
    view.config_source = SourceJson();
    view.stored_set = stored_set_;
    view.memory = reconciler_.memory();
    view.cycle_ts_ms = owner_.clock_.WallMs();
    view.acted = leader;
    view.dry_run = settings_.dry_run;
    view.dependents_paused = safety_.pause().paused;
    view.safety = safety_.StatusJson();
    view.safety["paused_by"] = safety_.pause().by;
    view.safety["paused_at_ms"] = safety_.pause().at_ms;
    if (owner_.publish_) owner_.publish_(std::move(view));

    if (!leader) return settings_.relabel_time;
    if (!settled) return owner_.options_.fast_interval;
    return settings_.polling_mode ? settings_.relabel_time : settings_.loop_interval;
  }

  bool IsLeader() const { return owner_.is_leader_(); }

  // Checked every kWatchPeriod between passes: true when a pass is due now because the
  // configuration files changed (reloaded or refused) or the command file has new content.
  bool HasWork() {
    if (ReloadConfig()) return true;
    if (!owner_.is_leader_() || settings_.command_file.empty()) return false;
    auto text = ReadFileBounded(settings_.command_file, kMaxCommandFileBytes);
    if (!text.ok()) {
      return text.status().code() != Status::Code::kNotFound &&
             text.status().ToString() != last_command_error_;
    }
    return *text != last_command_text_;
  }
  bool was_leader() const { return was_leader_; }

 private:
  ReconcileSettings Settings() const {
    ReconcileSettings rs;
    rs.default_stack = settings_.stack_name;
    if (auto config = Current())
      rs.prune_unknown_labels = config->swarm.options.prune_unknown_labels;
    rs.anchor_grace = owner_.options_.anchor_grace;
    rs.follow_window = owner_.options_.follow_window;
    rs.labels_suspended = labels_suspended_;
    return rs;  // the pause and the hold: SafeCycle::Settings
  }

  // Reports each dependent that cannot follow its anchor once per configuration in force.
  void WarnUnfollowable(const config::SwarmConfig& config,
                        const std::vector<docker::Service>& services) {
    for (const auto& found :
         config::FindUnfollowableDependents(config, settings_.stack_name, services)) {
      if (!warned_.insert(found.anchor + "/" + found.service).second) continue;
      Logger("controller")->warn("config_warning {}: {}", found.service, found.message);
      if (owner_.report_) {
        owner_.report_({"config_warning",
                        found.service,
                        found.message,
                        {{"anchor", found.anchor},
                         {"dependent", found.dependent},
                         {"constraint", found.constraint}}});
      }
    }
  }

  void Emit(std::string kind, std::string subject, std::string message,
            std::map<std::string, std::string> attrs = {}) {
    Logger("controller")->info("{} {}: {}", kind, subject, message);
    if (owner_.report_) owner_.report_({kind, subject, message, std::move(attrs)});
  }

  // The configuration in force: the stored one when there is one, else the files'.
  std::shared_ptr<const config::Config> Current() const {
    return store_config_ ? store_config_ : reloader_.current();
  }

  // The configuration's source, as published for `status` and `config show`.
  nlohmann::json SourceJson() const {
    nlohmann::json out = {
        {"source", store_config_         ? "swarm"
                   : reloader_.current() ? "files"
                                         : "none"},
        {"dir", settings_.paths.dir},
        {"files_present", files_present_},
        {"version", store_version_ ? VersionJson(*store_version_) : nlohmann::json()},
        {"store_problem", store_problem_},
        {"refused_versions", refused_versions_}};
    return out;
  }

  // Reads the stored versions when due (every kStoreReadPeriod, or at once after a config event)
  // and puts the newest good one in force; true when the configuration in force changed or a
  // version was refused. A failed read keeps what is in force (no decision on partial data).
  bool ReadStore() {
    const SteadyTime now = owner_.clock_.Now();
    const bool poked = owner_.store_woken_.exchange(false);
    if (!poked && now < next_store_read_) return false;
    next_store_read_ = now + kStoreReadPeriod;
    auto stored = ReadStoredVersions(owner_.api_);
    // A new problem (or its end) runs a pass, so that `status` shows it.
    const std::string problem_before = store_problem_;
    if (!stored.ok()) {
      store_problem_ = "the stored configuration could not be read: " + stored.status().ToString();
      return store_problem_ != problem_before;
    }
    store_problem_ = JoinLines(stored->problems);
    const bool problem_changed = store_problem_ != problem_before;
    files_present_ = FileExists(settings_.paths.swarm_file) ||
                     FileExists(settings_.paths.nodes_file) ||
                     FileExists(settings_.paths.dependencies_file);
    StoreChoice choice = ChooseStored(stored->versions, store_version_ ? store_version_->number : 0,
                                      refused_versions_);
    if (choice.kind == StoreChoice::Kind::kKeep) return problem_changed;
    if (choice.kind == StoreChoice::Kind::kNone) {
      if (!store_config_) return problem_changed;
      store_config_.reset();
      store_version_.reset();
      Emit("config_source", "config",
           "no configuration is stored in Swarm any more: the files of " + settings_.paths.dir +
               " are the source");
      return true;
    }
    const StoredVersion& version = *choice.version;
    std::vector<std::string> lines;
    std::shared_ptr<const config::Config> loaded;
    auto set = SetOfVersion(version);
    if (!set.ok()) {
      lines.push_back(set.status().message());
    } else {
      config::LoadResult result = ValidateSet(*set, version.name, settings_);
      for (const auto& d : result.diagnostics) lines.push_back(config::FormatDiagnostic(d));
      if (result.ok()) loaded = std::make_shared<const config::Config>(std::move(*result.config));
    }
    if (!loaded) {
      refused_versions_.insert(version.number);
      owner_.counters_.config_refused.fetch_add(1, std::memory_order_relaxed);
      config_problem_ = JoinLines(lines);
      Logger("controller")
          ->error("stored configuration {} refused, {}:\n{}", version.name,
                  Current() ? "the previous one stays in force" : "nothing is reconciled",
                  config_problem_);
      Emit("config_refused", version.name,
           std::string(Current() ? "the previous configuration stays in force"
                                 : "no configuration in force") +
               ":\n" + config_problem_,
           {{"version", std::to_string(version.number)}});
      return true;
    }
    owner_.counters_.config_loaded.fetch_add(1, std::memory_order_relaxed);
    config_problem_.clear();
    warned_.clear();
    store_config_ = std::move(loaded);
    store_version_ = version;
    stored_set_ = std::make_shared<const ConfigSet>(std::move(*set));
    Emit("config_loaded", version.name,
         "configuration in force: " + version.name + " from Swarm, applied by " +
             (version.by.name.empty() ? std::string("(not recorded)") : version.by.name) +
             (files_present_ ? "; the files of " + settings_.paths.dir + " are ignored" : "") +
             (lines.empty() ? "" : "\n" + JoinLines(lines)),
         {{"version", std::to_string(version.number)}, {"source", "swarm"}});
    return true;
  }

  // Polls the stored configuration, then (while none is in force) the configuration files; true
  // when a new configuration was loaded or refused.
  bool ReloadConfig() {
    const bool store_changed = ReadStore();
    if (store_config_) return store_changed;
    auto outcome = reloader_.Poll();
    using Kind = config::ConfigReloader::Outcome::Kind;
    std::vector<std::string> lines;
    for (const auto& d : outcome.diagnostics) lines.push_back(config::FormatDiagnostic(d));
    if (outcome.kind == Kind::kReplaced) {
      owner_.counters_.config_loaded.fetch_add(1, std::memory_order_relaxed);
      config_problem_.clear();
      warned_.clear();  // a new configuration: its warnings are reported again
      Emit("config_loaded", "config",
           "configuration in force: " + JoinLines(outcome.config->files) +
               (lines.empty() ? "" : "\n" + JoinLines(lines)));
    } else if (outcome.kind == Kind::kRefused) {
      owner_.counters_.config_refused.fetch_add(1, std::memory_order_relaxed);
      config_problem_ = JoinLines(lines);
      Logger("controller")
          ->error("configuration refused, {}:\n{}",
                  outcome.config ? "the previous one stays in force"
                                 : "nothing is reconciled until it is fixed",
                  config_problem_);
      Emit("config_refused", "config",
           std::string(outcome.config ? "the previous configuration stays in force"
                                      : "no configuration in force") +
               ":\n" + config_problem_);
    }
    return store_changed || outcome.kind != Kind::kUnchanged;
  }

  void RunInbox() {
    std::deque<Queued> queued;
    {
      std::lock_guard lock(owner_.mutex_);
      queued.swap(owner_.inbox_);
    }
    for (const auto& q : queued) RunCommand(q.id, q.text, q.source);
  }

  // The command file: runnable entries run once and leave the file; the rest stay and are
  // reported once (the file is not re-read while its content is what was last handled).
  void RunCommandFile() {
    const std::string& path = settings_.command_file;
    if (path.empty()) return;
    auto text = ReadFileBounded(path, kMaxCommandFileBytes);
    if (!text.ok()) {
      // Reported once per distinct problem; a missing file is no command.
      if (text.status().code() != Status::Code::kNotFound &&
          text.status().ToString() != last_command_error_) {
        last_command_error_ = text.status().ToString();
        Emit("command_rejected", path, last_command_error_, {{"source", "file"}});
      }
      return;
    }
    last_command_error_.clear();
    if (*text == last_command_text_) return;
    auto parsed = config::ParseCommandFile(*text, path);
    std::vector<config::CommandEntry> kept;
    int taken = 0;
    for (const auto& entry : parsed.entries) {
      if (!entry.runnable()) {
        kept.push_back(entry);
        continue;
      }
      ++taken;
      std::uint64_t id;
      {
        std::lock_guard lock(owner_.mutex_);
        id = owner_.next_id_++;
      }
      RunCommand(id, entry.text, "file");
    }
    for (const auto& d : parsed.diagnostics) {
      Emit("command_rejected", path, config::FormatDiagnostic(d), {{"source", "file"}});
    }
    std::string rest = config::RenderCommandFile(kept);
    if (taken > 0) {
      Status written = WriteFileAtomic(path, rest);
      if (!written.ok()) Emit("command_rejected", path, written.ToString());
      last_command_text_ = rest;
    } else {
      last_command_text_ = *text;
    }
  }

  void RunCommand(std::uint64_t id, const std::string& text, const std::string& source) {
    std::string name = text.substr(0, text.find(':'));
    std::optional<std::string> arg;
    if (auto colon = text.find(':'); colon != std::string::npos) arg = text.substr(colon + 1);
    bool ok = true;
    std::string result;
    auto config = Current();
    const bool dry = settings_.dry_run;
    // Carries out a command's plan; `result` gets its lines (or why it did nothing).
    auto carry_out = [&](const CommandPlan& plan, const Result<Snapshot>& read,
                         const std::string& nothing) {
      if (!plan.refused.empty()) {
        ok = false;
        result = plan.refused;
        return false;
      }
      auto done = reconciler_.CarryOut(plan, *read, text, owner_.is_leader_);
      result = done.lines.empty() ? nothing : JoinLines(done.lines);
      if (done.failed > 0) ok = false;
      return !done.fenced;
    };
    auto read_swarm = [&]() -> Result<Snapshot> {
      if (!config) return Status::Unavailable("no configuration in force");
      return ReadSnapshot(owner_.api_, config->swarm, settings_.stack_name);
    };

    if (name == "noop") {
      result = "nothing to do";
    } else if (name == "relabel_all") {
      result = "a full reconcile cycle follows at once";
      if (!labels_suspended_.empty()) {
        labels_suspended_.clear();
        result += "; labels are managed again (they were suspended by remove_all_labels)";
      }
    } else if (name == "pause_dependents" || name == "resume_dependents") {
      const bool pause = name == "pause_dependents";
      Status set = safety_.SetPause(pause, source + " (command " + std::to_string(id) + ")");
      if (!set.ok()) {
        ok = false;
        result = "not run: " + set.message();
      } else {
        result = pause ? "dependents are not restarted until resume_dependents"
                       : "dependents are restarted again when misplaced";
        if (!dry) result += "; stored in Swarm before the next action";
      }
    } else if (!config && (name == "update_dependents" || name == "remove_all_labels")) {
      ok = false;
      result = "no configuration in force";
    } else if (name == "update_dependents") {
      CommandGates gates;
      gates.dry_run = dry;
      gates.dependents_paused = safety_.pause().paused;
      gates.dependents_held = !held_.empty() ? held_ : labels_suspended_;
      Result<Snapshot> read = read_swarm();
      carry_out(PlanUpdateDependents(config->swarm, settings_.stack_name, arg, read, gates), read,
                "no dependents");
    } else if (name == "remove_all_labels") {
      Result<Snapshot> read = read_swarm();
      if (carry_out(PlanRemoveAllLabels(config->swarm, read, dry), read,
                    "no managed label on any node")) {
        if (dry) {
          result += "\n(dry run: nothing was removed, labels stay managed)";
        } else if (read.ok()) {
          labels_suspended_ = "remove_all_labels (command " + std::to_string(id) + ", " + source +
                              ") took them off; relabel_all applies them again";
          result += "\nlabel management is suspended until relabel_all";
        }
      }
    } else if (name == "rebalance" && owner_.options_.rebalance) {
      owner_.options_.rebalance(id, source);  // the rebalancer records the result
      return;
    } else if (name == "bootstrap_swarm" || name == "remove_node") {
      if (owner_.options_.heal_commands) {
        Status queued = owner_.options_.heal_commands({id, text, source, name, arg});
        if (queued.ok()) return;  // the healer answers
        ok = false;
        result = "not run: " + queued.message();
      } else {
        ok = false;
        result = "no healer in this process";
      }
    } else if (name == "gc" || name == "rotate_logs" || name == "refresh_mods") {
      if (owner_.options_.agent_commands) {
        // The agents answer asynchronously; the Endpoints record the result event.
        owner_.options_.agent_commands({id, text, source, name, arg});
        return;
      }
      ok = false;
      result = "no connection to the agents in this process";
    } else {
      ok = false;
      result = "'" + name + "' is not implemented in this version";
    }
    Emit("command", text, result,
         {{"id", std::to_string(id)},
          {"source", source},
          {"result", !ok   ? "failed"
                     : dry ? "dry_run"
                           : "ok"}});
  }

  Controller& owner_;
  const config::Settings settings_;
  Reconciler reconciler_;
  config::ConfigReloader reloader_;
  // The stored configuration (leader/config_store/): in force while store_config_ is set.
  std::shared_ptr<const config::Config> store_config_;
  std::optional<StoredVersion> store_version_;
  std::shared_ptr<const ConfigSet> stored_set_;
  std::set<std::uint64_t> refused_versions_;  // stored versions that did not validate here
  std::string store_problem_;
  bool files_present_ = false;
  SteadyTime next_store_read_{};
  SwarmSafetyStore safety_store_;
  SafetyKeeper safety_;
  SafeCycle cycle_;
  std::string config_problem_;
  std::string last_command_text_;
  std::string last_command_error_;  // the last problem reading the command file, reported once
  bool was_leader_ = false;
  std::string held_;              // this pass: why dependents are held ("" when not)
  std::string labels_suspended_;  // not empty after remove_all_labels, until relabel_all
  std::set<std::string> warned_;  // "anchor/service" reported for the configuration in force
};

Controller::Controller(ControllerOptions options, SwarmApi& api, const Clock& clock,
                       std::function<bool()> is_leader, Report report, Publish publish)
    : Service("controller"),
      options_(std::move(options)),
      api_(api),
      clock_(clock),
      is_leader_(std::move(is_leader)),
      report_(std::move(report)),
      publish_(std::move(publish)) {}

Controller::~Controller() { Stop(); }

Result<std::uint64_t> Controller::Submit(const std::string& text, const std::string& source) {
  auto parsed = config::ParseCommandFile("- " + text + "\n", source);
  if (parsed.entries.size() != 1 || !parsed.entries[0].runnable()) {
    std::string why = parsed.entries.empty() ? "not a command" : parsed.entries[0].problem;
    return Status::InvalidArgument("'" + text + "': " + why);
  }
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    if (inbox_.size() >= kMaxQueuedCommands) {
      return Status::Unavailable("'" + text + "': " + std::to_string(inbox_.size()) +
                                 " commands are already waiting; try again when they have run");
    }
    id = next_id_++;
    inbox_.push_back({id, parsed.entries[0].text, source});
  }
  Poke();
  return id;
}

std::chrono::milliseconds Controller::Step() {
  if (!loop_) loop_ = std::make_unique<Loop>(*this);
  const SteadyTime now = clock_.Now();
  // At least min_spacing between passes, whatever wakes us.
  if (last_pass_ && now < *last_pass_ + options_.min_spacing) {
    return std::min(kTick, std::chrono::ceil<std::chrono::milliseconds>(
                               *last_pass_ + options_.min_spacing - now));
  }
  bool due = !last_pass_ || now >= next_pass_ || loop_->IsLeader() != loop_->was_leader();
  {
    std::lock_guard lock(mutex_);
    due = due || woken_;
  }
  if (!due && now >= next_watch_) {
    next_watch_ = now + kWatchPeriod;
    due = loop_->HasWork();
  }
  if (!due) return kTick;
  {
    std::lock_guard lock(mutex_);
    woken_ = false;  // a wake from now on runs another pass
  }
  const std::chrono::milliseconds pause = loop_->Pass();
  ++passes_;
  const SteadyTime end = clock_.Now();
  last_pass_ = end;
  next_pass_ = end + pause;
  next_watch_ = end + kWatchPeriod;
  return kTick;
}

void Controller::Run(std::stop_token stop) {
  // A (re)started run begins from a fresh state.
  loop_ = std::make_unique<Loop>(*this);
  last_pass_.reset();
  while (!stop.stop_requested()) {
    if (!WaitFor(stop, Step())) break;
  }
}

void Controller::PokeStore() {
  store_woken_ = true;
  Poke();
}

void Controller::Poke() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  Wake();
}

}  // namespace orcastra::leader
