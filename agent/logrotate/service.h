// Log rotation, the I/O side: every LOGROTATE_INTERVAL (and at once on RunNow()) it reads the
// logrotate.d directory, expands each rule's patterns, asks Decide() (agent/logrotate/rules.h)
// which files are due, executes PlanRuleRotation() with the file operations of
// agent/logrotate/files.h and the container actions through the local daemon's Engine API, records
// rotations in the state file, and reports every rotation, failure and dry run as an event.
//
// Failure policy: a plan stops at its first failed step (nothing after it runs: a file whose
// application was not told to reopen is never compressed under it) and is reported as
// logrotate_failed; the next pass plans again from what is on disk. A config that does not parse is
// reported once per distinct error (logrotate_config_error, "<file>:<line>: ...") and the last
// config that parsed keeps running. A missing or unreadable state file starts from an empty state.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "agent/logrotate/plan.h"
#include "agent/logrotate/state_file.h"
#include "common/flags.h"
#include "common/service.h"
#include "protocol/messages.h"

namespace orcastra::docker {
class Client;
}

namespace orcastra::agent {

struct LogRotateOptions {
  bool enabled = true;   // LOGROTATE_ENABLED
  bool dry_run = false;  // LOGROTATE_DRY_RUN, else DRY_RUN: decide and report, touch nothing
  std::string config_dir = "/etc/orcastra/logrotate.d";           // LOGROTATE_DIR
  std::string state_file = "/var/lib/orcastra/logrotate.status";  // LOGROTATE_STATE_FILE
  std::chrono::milliseconds interval = std::chrono::minutes(5);   // LOGROTATE_INTERVAL
  // ORCASTRA_HOST_ROOT: prepended to every path of the rules (and of nothing else) when the agent
  // sees the host's files under a mount point; "" when the rules name paths as the agent sees them.
  std::string host_root;
  // LOGROTATE_SIGNAL_GRACE: after a signal or restart, compression waits this long so that the
  // application has reopened its log before the old file is read and removed (at most 10 s).
  std::chrono::milliseconds signal_grace = std::chrono::seconds(1);
};

// LOGROTATE_ENABLED, LOGROTATE_DRY_RUN / DRY_RUN, LOGROTATE_DIR, LOGROTATE_STATE_FILE,
// LOGROTATE_INTERVAL (seconds, or with a unit; at least 1 s), LOGROTATE_SIGNAL_GRACE (0 to 10 s),
// ORCASTRA_HOST_ROOT. A bad value is an error naming the variable.
Result<LogRotateOptions> LogRotateOptionsFromEnv(const EnvLookup& env);

// What one pass did (for the caller of RunPass(); the events carry the same facts).
struct RotationPassSummary {
  bool config_ok = true;            // the config read this pass parsed (else the last good one ran)
  int rotated = 0;                  // files rotated (or, in a dry run, that would have been)
  int failed = 0;                   // plans or files that failed
  std::vector<std::string> errors;  // config, state and plan errors, as reported
  // One per copytruncate: the time between the end of the copy and the end of the truncation.
  std::vector<std::chrono::nanoseconds> copytruncate_windows;
};

class LogRotator final : public Service {
 public:
  // `report` receives the events (kinds logrotate_rotated, logrotate_failed, logrotate_dry_run,
  // logrotate_config_error; subject: the log path as the rules name it, or the config/state file).
  // It is called from the thread running the pass (the service's, or RunPass()'s caller).
  using Report = std::function<void(protocol::Event)>;
  LogRotator(std::string docker_socket, LogRotateOptions options, Report report);
  ~LogRotator() override;

  // Asks the service thread for a pass now; with `force`, every existing matched file rotates
  // whether due or not (missingok and notifempty still apply), as `logrotate -f`. Thread-safe and
  // non-blocking; requests made during a pass run one more pass after it.
  void RunNow(bool force = false);

  // Runs one pass on the calling thread and returns what it did. Thread-safe: passes are
  // serialized with the service's own. It may block for the signal grace (at most 10 s).
  RotationPassSummary RunPass(bool force);

  // What it did since the process started (/metrics). Any thread.
  struct Counters {
    std::atomic<std::uint64_t> rotations{0};      // files rotated
    std::atomic<std::uint64_t> bytes_rotated{0};  // their sizes when they were rotated
    std::atomic<std::uint64_t> failures{0};       // rotations that failed
  };
  const Counters& counters() const { return counters_; }

 protected:
  void Run(std::stop_token stop) override;

 private:
  struct PlanOutcome;
  void LoadConfig(RotationPassSummary& summary);
  void LoadState();
  void RotateRule(const LogrotateRule& rule, bool force, WallTime now,
                  std::set<std::string>& handled, RotationPassSummary& summary);
  PlanOutcome Execute(const std::vector<RotationAction>& actions,
                      const std::set<std::string>& live_paths);
  // Runs `action` on the container named (or, when no container has that name, on every running
  // task container of the Swarm service of that name on this node).
  Status ForEachTarget(const std::string& container,
                       const std::function<Status(const std::string&)>& action);
  // Reports `event` unless the same error was reported by the previous pass (and keeps it for the
  // next pass's check); errors are re-reported after they cleared once.
  void ReportErrorOnce(protocol::Event event);
  std::string RealPath(const std::string& path) const { return options_.host_root + path; }

  // Constant after construction.
  const std::string docker_socket_;
  const LogRotateOptions options_;
  const Report report_;

  std::mutex request_mutex_;
  bool force_requested_ = false;  // guarded by request_mutex_

  // Guarded by pass_mutex_ (one pass at a time).
  std::mutex pass_mutex_;
  std::unique_ptr<docker::Client> docker_;
  std::optional<LogrotateConfig> config_;  // the last config that parsed
  std::string config_fingerprint_;         // the text it was parsed from
  std::string failed_fingerprint_;         // the text of the last config that did not parse
  bool state_loaded_ = false;
  RotationState state_;
  bool state_dirty_ = false;               // state_ changed since it was last written
  std::set<std::string> errors_reported_;  // error messages reported and still present
  std::set<std::string> errors_seen_;      // this pass's error messages
  Counters counters_;
};

}  // namespace orcastra::agent
