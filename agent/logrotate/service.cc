#include "agent/logrotate/service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/logrotate/files.h"
#include "agent/logrotate/path_glob.h"
#include "common/docker_client.h"
#include "common/log.h"
#include "common/utf8.h"

namespace orcastra::agent {
namespace {

constexpr std::chrono::milliseconds kMaxSignalGrace = std::chrono::seconds(10);
constexpr std::chrono::seconds kRestartStopTimeout{10};
// The config fingerprint while the rules directory does not exist.
constexpr char kNoDirectory[] = "\x01no directory";

// The whole content of a file, or why not.
Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return Status::IoError("cannot read '" + path + "': " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read '" + path + "'");
  return text.str();
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

protocol::Event MakeEvent(std::string kind, std::string subject, std::string message) {
  protocol::Event event;
  event.kind = std::move(kind);
  event.subject = std::move(subject);
  event.message = std::move(message);
  return event;
}

// The file part of a parse error "<file>:<line>: ..." (the whole message when it has no colon).
std::string ErrorFile(const std::string& message) {
  auto colon = message.find(':');
  return colon == std::string::npos ? message : message.substr(0, colon);
}

}  // namespace

struct LogRotator::PlanOutcome {
  Status status;
  std::string failed_step;             // the action that failed ("" when all ran)
  std::vector<std::string> done;       // the actions that ran, as text
  std::set<std::string> live_rotated;  // live files whose content was moved, copied or removed
  std::vector<std::chrono::nanoseconds> windows;  // copytruncate loss windows
};

Result<LogRotateOptions> LogRotateOptionsFromEnv(const EnvLookup& env) {
  const EnvReader reader(env);
  LogRotateOptions options;
  ORC_RETURN_IF_ERROR(reader.ReadBool("LOGROTATE_ENABLED", &options.enabled));
  if (auto name = reader.FirstSet({"LOGROTATE_DRY_RUN", "DRY_RUN"})) {
    ORC_RETURN_IF_ERROR(reader.ReadBool(*name, &options.dry_run));
  }
  auto absolute = [](const char* name, const std::string& value) -> Status {
    if (value.empty() || value.front() != '/') {
      return Status::InvalidArgument(std::string(name) + "='" + value +
                                     "': expected an absolute path");
    }
    return Status::Ok();
  };
  if (auto v = reader.Get("LOGROTATE_DIR")) {
    ORC_RETURN_IF_ERROR(absolute("LOGROTATE_DIR", *v));
    options.config_dir = *v;
  }
  if (auto v = reader.Get("LOGROTATE_STATE_FILE")) {
    ORC_RETURN_IF_ERROR(absolute("LOGROTATE_STATE_FILE", *v));
    options.state_file = *v;
  }
  if (auto v = reader.Get("ORCASTRA_HOST_ROOT")) {
    std::string root = *v;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (root == "/") root.clear();
    if (!root.empty()) ORC_RETURN_IF_ERROR(absolute("ORCASTRA_HOST_ROOT", root));
    options.host_root = root;
  }
  ORC_RETURN_IF_ERROR(reader.ReadDuration("LOGROTATE_INTERVAL", std::chrono::seconds(1),
                                          std::chrono::seconds(1), std::chrono::hours(24),
                                          &options.interval));
  ORC_RETURN_IF_ERROR(reader.ReadDuration("LOGROTATE_SIGNAL_GRACE", std::chrono::seconds(1),
                                          std::chrono::milliseconds(0), kMaxSignalGrace,
                                          &options.signal_grace));
  return options;
}

LogRotator::LogRotator(std::string docker_socket, LogRotateOptions options, Report report)
    : Service("logrotate"),
      docker_socket_(std::move(docker_socket)),
      options_(std::move(options)),
      report_(std::move(report)) {}

// Joins the thread before the members it uses go away.
LogRotator::~LogRotator() { Stop(); }

void LogRotator::RunNow(bool force) {
  {
    std::lock_guard lock(request_mutex_);
    force_requested_ = force_requested_ || force;
  }
  Wake();
}

void LogRotator::Run(std::stop_token stop) {
  auto log = Logger("logrotate");
  if (!options_.enabled) {
    log->info("log rotation off (LOGROTATE_ENABLED)");
    return;
  }
  log->info("log rotation on: rules in '{}', state in '{}', every {} s{}{}", options_.config_dir,
            options_.state_file, options_.interval.count() / 1000,
            options_.host_root.empty() ? "" : ", paths under '" + options_.host_root + "'",
            options_.dry_run ? ", dry run" : "");
  while (!stop.stop_requested()) {
    bool force = false;
    {
      std::lock_guard lock(request_mutex_);
      std::swap(force, force_requested_);
    }
    (void)RunPass(force);
    if (!WaitFor(stop, options_.interval)) break;
  }
}

void LogRotator::ReportErrorOnce(protocol::Event event) {
  std::string key = event.kind + "\n" + event.subject + "\n" + event.message;
  errors_seen_.insert(key);
  if (errors_reported_.count(key)) return;
  errors_reported_.insert(key);
  report_(std::move(event));
}

void LogRotator::LoadState() {
  if (state_loaded_) return;
  state_loaded_ = true;
  auto log = Logger("logrotate");
  auto text = ReadFile(options_.state_file);
  if (!text.ok()) {
    if (text.status().code() != Status::Code::kNotFound) {
      log->error("state file unreadable, starting empty: {}", text.status().ToString());
      ReportErrorOnce(
          MakeEvent("logrotate_failed", options_.state_file,
                    "state file unreadable, starting empty: " + text.status().ToString()));
    }
    return;
  }
  auto parsed = ParseStateFile(*text, options_.state_file);
  if (!parsed.ok()) {
    log->error("state file does not parse, starting empty: {}", parsed.status().ToString());
    ReportErrorOnce(
        MakeEvent("logrotate_failed", options_.state_file,
                  "state file does not parse, starting empty: " + parsed.status().message()));
    return;
  }
  state_ = std::move(parsed).value();
  log->debug("state: {} file(s) from '{}'", state_.last_rotated.size(), options_.state_file);
}

void LogRotator::LoadConfig(RotationPassSummary& summary) {
  auto log = Logger("logrotate");
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> names;
  fs::directory_iterator it(options_.config_dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      // No rules at all: nothing to rotate (and nothing to report, it is the default).
      if (config_fingerprint_ != kNoDirectory) {
        log->info("no directory '{}': no rules", options_.config_dir);
      }
      config_ = LogrotateConfig{};
      config_fingerprint_ = kNoDirectory;
      return;
    }
    std::string message = "cannot list '" + options_.config_dir + "': " + ec.message();
    summary.config_ok = false;
    summary.errors.push_back(message);
    ReportErrorOnce(MakeEvent("logrotate_config_error", options_.config_dir, message));
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    if (name.empty() || name.front() == '.' || name.size() <= 5 ||
        name.substr(name.size() - 5) != ".conf") {
      continue;
    }
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;  // follows symlinks (mounted configs)
    names.push_back(it->path().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<LogrotateFile> files;
  std::string fingerprint;
  for (const std::string& path : names) {
    auto text = ReadFile(path);
    if (!text.ok()) {
      summary.config_ok = false;
      summary.errors.push_back(text.status().message());
      ReportErrorOnce(MakeEvent("logrotate_config_error", path, text.status().message()));
      return;
    }
    fingerprint += path + '\0' + *text + '\0';
    files.push_back({path, std::move(text).value()});
  }
  auto parsed = ParseLogrotateFiles(files);
  if (!parsed.ok()) {
    const std::string message = parsed.status().message();
    summary.config_ok = false;
    summary.errors.push_back(message);
    if (fingerprint != failed_fingerprint_) {
      failed_fingerprint_ = fingerprint;
      log->error("config error, {}: {}",
                 config_ ? "keeping the last rules that parsed" : "no rules run", message);
    }
    ReportErrorOnce(MakeEvent("logrotate_config_error", ErrorFile(message), message));
    return;
  }
  if (fingerprint != config_fingerprint_) {
    log->info("{} rule(s) from {} file(s) in '{}'", parsed->rules.size(), files.size(),
              options_.config_dir);
    for (const std::string& warning : parsed->warnings) log->warn("{}", warning);
  }
  config_ = std::move(parsed).value();
  config_fingerprint_ = std::move(fingerprint);
}

RotationPassSummary LogRotator::RunPass(bool force) {
  std::lock_guard lock(pass_mutex_);
  auto log = Logger("logrotate");
  RotationPassSummary summary;
  errors_seen_.clear();
  LoadState();
  LoadConfig(summary);
  const WallTime now = std::chrono::system_clock::now();
  std::set<std::string> handled;  // a file matched by two rules rotates once per pass
  if (config_) {
    for (const LogrotateRule& rule : config_->rules) RotateRule(rule, force, now, handled, summary);
  }
  // Forget files no rule needs any more (bounded state), but only with rules that parsed this
  // pass: a config error or a missing directory must not wipe every date.
  if (config_ && summary.config_ok && !config_->rules.empty()) {
    std::vector<std::string> patterns;
    for (const LogrotateRule& rule : config_->rules) {
      patterns.insert(patterns.end(), rule.patterns.begin(), rule.patterns.end());
    }
    const std::size_t dropped = PruneRotationState(state_, patterns, [&](const std::string& path) {
      struct stat st {};
      if (::lstat(RealPath(path).c_str(), &st) == 0) return S_ISREG(st.st_mode);
      return errno != ENOENT && errno != ENOTDIR;  // cannot tell: keep the date
    });
    if (dropped > 0) {
      log->info("state: forgot {} file(s) that no rule needs any more", dropped);
      state_dirty_ = true;
    }
  }
  if (state_dirty_ && !options_.dry_run) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(options_.state_file).parent_path(),
                                        ec);
    Status written = WriteFileAtomic(options_.state_file, SerializeStateFile(state_));
    if (written.ok()) {
      state_dirty_ = false;
    } else {
      log->error("state not saved: {}", written.ToString());
      summary.errors.push_back(written.message());
      ReportErrorOnce(MakeEvent("logrotate_failed", options_.state_file,
                                "state not saved: " + written.message()));
    }
  }
  // Errors not seen this pass have cleared: report them again if they come back.
  errors_reported_ = errors_seen_;
  return summary;
}

void LogRotator::RotateRule(const LogrotateRule& rule, bool force, WallTime now,
                            std::set<std::string>& handled, RotationPassSummary& summary) {
  auto log = Logger("logrotate");
  // Paths as the rules name them (without the host root), in match order.
  std::vector<std::string> paths;
  std::set<std::string> in_rule;
  std::vector<std::string> unmatched;
  for (const std::string& pattern : rule.patterns) {
    auto expanded = ExpandGlob(RealPath(pattern));
    if (!expanded.ok()) {
      std::string message =
          rule.source + ": pattern '" + pattern + "': " + expanded.status().message();
      summary.errors.push_back(message);
      ReportErrorOnce(MakeEvent("logrotate_failed", pattern, message));
      continue;
    }
    for (const std::string& warning : expanded->warnings) log->warn("{}: {}", rule.source, warning);
    for (const std::string& link : expanded->skipped_symlinks) {
      log->debug("{}: '{}' is a symbolic link, never rotated", rule.source, link);
    }
    if (expanded->truncated)
      log->warn("{}: pattern '{}' matched too many files", rule.source, pattern);
    if (expanded->paths.empty()) unmatched.push_back(pattern);
    for (const std::string& real : expanded->paths) {
      std::string path = real.substr(options_.host_root.size());
      if (in_rule.insert(path).second) paths.push_back(path);
    }
  }
  for (const std::string& pattern : unmatched) {
    // logrotate's rule: a pattern that matches nothing is a missing file.
    Decision decision = Decide(rule, FileFacts{}, StateEntry{}, now, {.force = force});
    if (decision.IsError()) {
      std::string message =
          rule.source + ": no file matches '" + pattern + "' and missingok is not set";
      summary.errors.push_back(message);
      ReportErrorOnce(MakeEvent("logrotate_failed", pattern, message));
    }
  }

  std::vector<DueFile> due;
  std::map<std::string, std::string> rule_path_of;  // real path -> path as the rule names it
  std::map<std::string, Decision> decisions;        // by path as the rule names it
  for (const std::string& path : paths) {
    if (!handled.insert(path).second) {
      log->debug("{}: '{}' was handled by an earlier rule this pass", rule.source, path);
      continue;
    }
    const std::string real = RealPath(path);
    FileFacts facts;
    struct stat st {};
    if (::lstat(real.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      facts.exists = true;
      facts.size = static_cast<std::uint64_t>(st.st_size);
      facts.mtime = WallTime(std::chrono::seconds(st.st_mtim.tv_sec));
    }
    Decision decision = Decide(rule, facts, state_.Lookup(path), now, {.force = force});
    if (decision.reason == DecisionReason::kFirstSeen) {
      state_.last_rotated[path] = now;
      state_dirty_ = true;
    }
    if (decision.IsError()) {
      std::string message = rule.source + ": '" + path + "': " + decision.explanation;
      summary.errors.push_back(message);
      ReportErrorOnce(MakeEvent("logrotate_failed", path, message));
      continue;
    }
    if (!decision.rotate) {
      log->debug("{}: '{}' stays: {}", rule.source, path, decision.explanation);
      continue;
    }
    due.push_back({real, ListSiblings(real)});
    rule_path_of[real] = path;
    decisions.emplace(path, std::move(decision));
  }
  if (due.empty()) return;

  auto event_for = [&](std::string kind, const std::string& path, std::string message) {
    protocol::Event event = MakeEvent(std::move(kind), path, std::move(message));
    event.attrs["rule"] = rule.source;
    event.attrs["reason"] = decisions.at(path).explanation;
    return event;
  };

  if (options_.dry_run) {
    for (const DueFile& file : due) {
      const std::string& path = rule_path_of.at(file.path);
      std::vector<std::string> steps;
      for (const RotationAction& action : PlanRotation(rule, file.path, file.existing_rotated)) {
        steps.push_back(action.ToString());
      }
      log->info("dry run: would rotate '{}' ({}): {}", path, decisions.at(path).explanation,
                Join(steps, "; "));
      // Remembered in memory only, so that time-based rules behave as they would.
      state_.last_rotated[path] = now;
      ++summary.rotated;
      report_(event_for("logrotate_dry_run", path, "would: " + Join(steps, "; ")));
    }
    return;
  }

  std::set<std::string> live;
  std::map<std::string, std::uintmax_t> sizes;  // before the rotation, for the byte counter
  for (const DueFile& file : due) {
    live.insert(file.path);
    std::error_code size_error;
    const std::uintmax_t size = std::filesystem::file_size(file.path, size_error);
    sizes[file.path] = size_error ? 0 : size;
  }
  PlanOutcome outcome = Execute(PlanRuleRotation(rule, due), live);
  summary.copytruncate_windows.insert(summary.copytruncate_windows.end(), outcome.windows.begin(),
                                      outcome.windows.end());
  std::string window_us;
  if (!outcome.windows.empty()) {
    auto longest = *std::max_element(outcome.windows.begin(), outcome.windows.end());
    window_us =
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(longest).count());
  }
  for (const DueFile& file : due) {
    const std::string& path = rule_path_of.at(file.path);
    // A file whose content moved is rotated, even if a later step failed: recording it keeps a
    // time-based rule from rotating it again at the next pass.
    if (outcome.live_rotated.count(file.path)) {
      state_.last_rotated[path] = now;
      state_dirty_ = true;
    }
    if (outcome.status.ok()) {
      counters_.rotations.fetch_add(1, std::memory_order_relaxed);
      counters_.bytes_rotated.fetch_add(sizes[file.path], std::memory_order_relaxed);
      ++summary.rotated;
      log->info("rotated '{}' ({})", path, decisions.at(path).explanation);
      protocol::Event event =
          event_for("logrotate_rotated", path, "rotated: " + decisions.at(path).explanation);
      event.attrs["actions"] = Join(outcome.done, "; ");
      if (!window_us.empty()) event.attrs["copytruncate_window_us"] = window_us;
      report_(std::move(event));
    } else {
      counters_.failures.fetch_add(1, std::memory_order_relaxed);
      ++summary.failed;
      std::string message =
          "step '" + outcome.failed_step + "' failed: " + outcome.status.ToString();
      log->error("rotation of '{}' failed: {}", path, message);
      summary.errors.push_back(path + ": " + message);
      protocol::Event event = event_for("logrotate_failed", path, message);
      event.attrs["step"] = outcome.failed_step;
      event.attrs["done"] = Join(outcome.done, "; ");
      report_(std::move(event));
    }
  }
}

LogRotator::PlanOutcome LogRotator::Execute(const std::vector<RotationAction>& actions,
                                            const std::set<std::string>& live_paths) {
  using Kind = RotationAction::Kind;
  auto log = Logger("logrotate");
  PlanOutcome outcome;
  std::map<std::string, std::optional<FileAttributes>> attributes;  // of live files, before
  bool told_application = false;  // a signal or restart ran: the next compression waits
  bool waited = false;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const RotationAction& action = actions[i];
    std::string text = action.ToString();
    const bool is_live = live_paths.count(action.path) > 0;
    if (is_live && !attributes.count(action.path)) {
      attributes[action.path] = ReadAttributes(action.path);
    }
    Status status;
    switch (action.kind) {
      case Kind::kDelete:
        if (::unlink(action.path.c_str()) != 0 && errno != ENOENT) {
          status = Status::IoError("cannot remove '" + action.path + "': " + std::strerror(errno));
        }
        break;
      case Kind::kRename:
        status = RenameNoReplace(action.path, action.target);
        break;
      case Kind::kCopy: {
        if (i + 1 >= actions.size() || actions[i + 1].kind != Kind::kTruncate ||
            actions[i + 1].path != action.path) {
          status = Status::Unsupported("a copy without the truncation that follows it");
          break;
        }
        auto copied = CopyTruncateFile(action.path, action.target);
        if (copied.ok()) {
          outcome.windows.push_back(copied->window);
          log->debug("copytruncate '{}': {} bytes, window {} us", action.path, copied->bytes_copied,
                     std::chrono::duration_cast<std::chrono::microseconds>(copied->window).count());
          ++i;  // the truncation is done
          text += "; " + actions[i].ToString();
        } else {
          status = copied.status();
        }
        break;
      }
      case Kind::kTruncate:
        status = TruncateFile(action.path);
        break;
      case Kind::kCreate: {
        auto it = attributes.find(action.path);
        status = CreateLogFile(action.path, action.create,
                               it == attributes.end() ? std::nullopt : it->second);
        break;
      }
      case Kind::kSignal:
        told_application = true;
        status = ForEachTarget(action.container, [&](const std::string& target) {
          std::string path = "/containers/" + docker::UrlEncode(target) +
                             "/kill?signal=" + docker::UrlEncode(action.signal);
          auto response = docker_->Call("POST", path);
          if (!response.ok()) return response.status();
          if (response->http_status != 204) {
            return docker::ErrorFromResponse("POST", path, *response);
          }
          return Status::Ok();
        });
        break;
      case Kind::kRestart:
        told_application = true;
        status = ForEachTarget(action.container, [&](const std::string& target) {
          return docker_->RestartContainer(docker::UrlEncode(target), kRestartStopTimeout);
        });
        break;
      case Kind::kCompress:
        if (told_application && !waited) {
          // The application may still be writing to its old file until it handles the signal.
          std::this_thread::sleep_for(std::min(options_.signal_grace, kMaxSignalGrace));
          waited = true;
        }
        status = GzipFile(action.path, action.target);
        break;
    }
    if (!status.ok()) {
      outcome.status = status;
      outcome.failed_step = text;
      return outcome;
    }
    outcome.done.push_back(text);
    if (is_live && action.kind != Kind::kCreate) outcome.live_rotated.insert(action.path);
  }
  return outcome;
}

Status LogRotator::ForEachTarget(const std::string& container,
                                 const std::function<Status(const std::string&)>& action) {
  if (!docker_)
    docker_ =
        std::make_unique<docker::Client>(docker::ClientOptions{.socket_path = docker_socket_});
  Status direct = action(container);
  if (direct.code() != Status::Code::kNotFound) return direct;
  // Swarm names task containers "SERVICE.SLOT.TASKID": a service name reaches its tasks here.
  nlohmann::json filters = {{"label", {"com.docker.swarm.service.name=" + container}},
                            {"status", {"running"}}};
  auto tasks = docker_->GetJson("/containers/json?filters=" + docker::UrlEncode(DumpJson(filters)));
  if (!tasks.ok())
    return tasks.status().WithContext("looking for tasks of service '" + container + "'");
  std::vector<std::string> ids;
  if (tasks->is_array()) {
    for (const auto& task : *tasks) {
      if (task.contains("Id") && task["Id"].is_string())
        ids.push_back(task["Id"].get<std::string>());
    }
  }
  if (ids.empty()) {
    return Status::NotFound("no container '" + container +
                            "' and no running task of a service of that name on this node");
  }
  for (const std::string& id : ids) ORC_RETURN_IF_ERROR(action(id));
  return Status::Ok();
}

}  // namespace orcastra::agent
