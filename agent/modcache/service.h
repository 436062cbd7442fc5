// Modcache, the loop: keeps the files listed in modcache.yml and in the containers'
// `com.linuxserver.mod.*` labels downloaded into MOD_MANAGER_DEST. Every minute it re-reads the
// sources; each source is checked every MOD_MANAGER_REFRESH_INTERVAL_MINUTES (conditional GET),
// retried with backoff after a failure, and all of them at once on RefreshNow() (the leader's
// `refresh_mods` command). The decisions are agent/modcache/plan.h; one download is
// agent/modcache/downloader.h. Validators survive restarts in
// MOD_MANAGER_DEST/.modcache-state.json.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "agent/modcache/downloader.h"
#include "agent/modcache/plan.h"
#include "common/clock.h"
#include "common/flags.h"
#include "common/service.h"
#include "config/modcache_config.h"
#include "protocol/messages.h"

namespace orcastra::agent {

struct ModCacheOptions {
  bool enabled = true;   // MOD_MANAGER_ENABLED; with no source it does nothing
  bool dry_run = false;  // MOD_MANAGER_DRY_RUN, else DRY_RUN: report what would be fetched
  std::string dest = "/var/lib/orcastra/mods";             // MOD_MANAGER_DEST
  std::string config_path = "/etc/orcastra/modcache.yml";  // MOD_MANAGER_CONFIG
  int concurrency = 2;                                     // MOD_MANAGER_CONCURRENCY, 1..16
  ModcachePolicy policy;  // refresh_interval: MOD_MANAGER_REFRESH_INTERVAL_MINUTES; backoff:
                          // MOD_MANAGER_BACKOFF_BASE, MOD_MANAGER_BACKOFF_MAX
  DownloadLimits limits;  // max_bytes: MOD_MANAGER_MAX_BYTES
  std::chrono::seconds sources_poll{60};  // how often modcache.yml and the labels are re-read
};

// MOD_MANAGER_ENABLED, MOD_MANAGER_DRY_RUN / DRY_RUN, MOD_MANAGER_DEST, MOD_MANAGER_CONFIG
// (relative paths are relative to `config_dir`), MOD_MANAGER_REFRESH_INTERVAL_MINUTES (whole
// minutes), MOD_MANAGER_MAX_BYTES (bytes, or with K/M/G = KiB/MiB/GiB), MOD_MANAGER_CONCURRENCY,
// MOD_MANAGER_BACKOFF_BASE, MOD_MANAGER_BACKOFF_MAX (durations). A bad value is an error naming
// the variable.
Result<ModCacheOptions> ModCacheOptionsFromEnv(const EnvLookup& env,
                                               const std::string& config_dir = "/etc/orcastra");

class ModCache final : public Service {
 public:
  // Receives the events modcache_updated, modcache_failed, modcache_dry_run (subject: the file
  // name; attrs: url, and sha256/bytes or error/failures/retry_in_s). Called from this service's
  // thread. Unchanged files are only logged (at debug), not reported.
  using Report = std::function<void(protocol::Event)>;
  // Lists the local containers' labels; called from this service's thread at every source poll.
  // A failure keeps the label sources of the last successful list.
  using LabelLister = std::function<Result<std::vector<config::ContainerLabels>>()>;
  // One download; FetchMod by default. Called from worker threads, several at once.
  using Fetcher = std::function<ModFetchResult(const ModFetchRequest&, const std::atomic<bool>*)>;

  // `clock` must outlive the service; nullptr means the system clock.
  ModCache(ModCacheOptions options, LabelLister labels, Report report, const Clock* clock = nullptr,
           Fetcher fetcher = nullptr);

  // Checks every source now, backoff or not. Thread-safe; returns at once (the work happens on
  // the service's thread).
  void RefreshNow();

  // One pass on the calling thread: re-read the sources, fetch what is due (everything with
  // `force`), persist the state. For tests and one-shot runs; not while the service runs.
  void RunOnce(bool force);

  // The state machine (for tests and status); only from the thread that runs the passes.
  const ModcacheState& state() const { return state_; }

  // What the downloads gave since the process started (/metrics), one count per fetch. Any thread.
  struct Counters {
    std::atomic<std::uint64_t> downloaded{0};     // 200, verified, put in place
    std::atomic<std::uint64_t> not_modified{0};   // 304
    std::atomic<std::uint64_t> same_content{0};   // 200 with the content already in place
    std::atomic<std::uint64_t> hash_mismatch{0};  // the sha256 was not the expected one
    std::atomic<std::uint64_t> failed{0};         // network, HTTP status, size, disk
    std::atomic<std::uint64_t> bytes{0};          // bytes of the downloads put in place
  };
  const Counters& counters() const { return counters_; }

 protected:
  void Run(std::stop_token stop) override;

 private:
  void LoadPersisted();
  void ReloadSources();
  void FetchDue(bool force);
  void Persist();

  // Constant after construction.
  const ModCacheOptions options_;
  const LabelLister labels_;
  const Report report_;
  SystemClock system_clock_;
  const Clock& clock_;
  const Fetcher fetcher_;

  std::atomic<bool> refresh_requested_{false};
  std::atomic<bool> cancel_{false};  // set when the service stops: aborts running downloads

  // Owned by the thread that runs the passes.
  ModcacheState state_;
  bool started_ = false;
  SteadyTime next_sources_poll_{};
  std::vector<config::ModSource> file_sources_;   // of the last valid modcache.yml
  std::vector<config::ModSource> label_sources_;  // of the last successful label list
  std::string last_config_problem_;               // logged once until it changes
  std::string last_label_problems_;               // likewise
  std::string last_persisted_;                    // the state file's text, to skip rewrites
  Counters counters_;
};

}  // namespace orcastra::agent
