#include "agent/modcache/service.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/files.h"
#include "common/log.h"

namespace orcastra::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxConfigBytes = 4 << 20;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "1048576", "512K", "256M", "1G" (binary multiples; "KiB", "MB", ... accepted too).
Result<std::int64_t> ParseBytes(const std::string& name, const std::string& value) {
  std::size_t digits = 0;
  while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) {
    ++digits;
  }
  std::string unit = Lower(value.substr(digits));
  int shift = -1;
  if (unit.empty() || unit == "b") shift = 0;
  if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  if (digits == 0 || digits > 12 || shift < 0) {
    return Status::InvalidArgument(name + "='" + value +
                                   "': expected a size in bytes (like 1048576, 512K, 256M, 1G)");
  }
  std::int64_t bytes = std::stoll(value.substr(0, digits)) << shift;
  if (bytes < 1 || bytes > (std::int64_t{1} << 40)) {
    return Status::InvalidArgument(name + "='" + value + "': must be from 1 byte to 1T");
  }
  return bytes;
}

protocol::Event MakeEvent(std::string kind, const config::ModSource& source, std::string message) {
  protocol::Event event;
  event.kind = std::move(kind);
  event.subject = source.file;
  event.message = std::move(message);
  event.attrs["url"] = source.url;
  event.attrs["origin"] = source.origin;
  return event;
}

// Every diagnostic, one per line (no trailing newline).
std::string Summary(const std::vector<config::Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += (out.empty() ? "" : "\n") + config::FormatDiagnostic(d);
  return out;
}

}  // namespace

Result<ModCacheOptions> ModCacheOptionsFromEnv(const EnvLookup& env,
                                               const std::string& config_dir) {
  ModCacheOptions options;
  options.config_path = config_dir + "/modcache.yml";
  const EnvReader reader(env);  // an empty value counts as unset (doc/configuration.md)
  auto get = [&](const char* name) { return reader.Get(name); };
  ORC_RETURN_IF_ERROR(reader.ReadBool("MOD_MANAGER_ENABLED", &options.enabled));
  if (auto name = reader.FirstSet({"MOD_MANAGER_DRY_RUN", "DRY_RUN"})) {
    ORC_RETURN_IF_ERROR(reader.ReadBool(*name, &options.dry_run));
  }
  if (auto v = get("MOD_MANAGER_DEST")) {
    if (v->front() != '/') {
      return Status::InvalidArgument("MOD_MANAGER_DEST='" + *v + "': must be an absolute path");
    }
    options.dest = *v;
  }
  if (auto v = get("MOD_MANAGER_CONFIG")) {
    options.config_path = v->front() == '/' ? *v : config_dir + "/" + *v;
  }
  if (auto v = get("MOD_MANAGER_REFRESH_INTERVAL_MINUTES")) {
    auto minutes = ParseInt(*v, 1, 525'600, "MOD_MANAGER_REFRESH_INTERVAL_MINUTES");
    if (!minutes.ok()) return minutes.status();
    options.policy.refresh_interval = std::chrono::minutes(*minutes);
  }
  if (auto v = get("MOD_MANAGER_MAX_BYTES")) {
    auto bytes = ParseBytes("MOD_MANAGER_MAX_BYTES", *v);
    if (!bytes.ok()) return bytes.status();
    options.limits.max_bytes = *bytes;
  }
  ORC_RETURN_IF_ERROR(reader.ReadInt("MOD_MANAGER_CONCURRENCY", 1, 16, &options.concurrency));
  ORC_RETURN_IF_ERROR(reader.ReadDuration("MOD_MANAGER_BACKOFF_BASE", std::chrono::seconds(1),
                                          std::chrono::seconds(1), std::chrono::hours(24),
                                          &options.policy.backoff_base));
  ORC_RETURN_IF_ERROR(reader.ReadDuration("MOD_MANAGER_BACKOFF_MAX", std::chrono::seconds(1),
                                          std::chrono::seconds(1), std::chrono::hours(24),
                                          &options.policy.backoff_max));
  if (options.policy.backoff_max < options.policy.backoff_base) {
    return Status::InvalidArgument(
        "MOD_MANAGER_BACKOFF_MAX must not be below MOD_MANAGER_BACKOFF_BASE");
  }
  return options;
}

ModCache::ModCache(ModCacheOptions options, LabelLister labels, Report report, const Clock* clock,
                   Fetcher fetcher)
    : Service("modcache"),
      options_(std::move(options)),
      labels_(std::move(labels)),
      report_(std::move(report)),
      clock_(clock != nullptr ? *clock : system_clock_),
      fetcher_(fetcher ? std::move(fetcher)
                       : Fetcher([this](const ModFetchRequest& request,
                                        const std::atomic<bool>* cancel) {
                           return FetchMod(request, options_.dest, options_.limits, cancel);
                         })),
      state_(options_.policy) {}

void ModCache::RefreshNow() {
  refresh_requested_ = true;
  Wake();
}

void ModCache::Run(std::stop_token stop) {
  auto log = Logger("modcache");
  std::stop_callback on_stop(stop, [this] { cancel_ = true; });
  if (!options_.enabled) {
    log->info("modcache off (MOD_MANAGER_ENABLED=false)");
    return;
  }
  log->info(
      "modcache on: sources '{}' and labels {}*, into '{}', every {} min, at most {} at once{}",
      options_.config_path, config::kModLabelPrefix, options_.dest,
      options_.policy.refresh_interval.count() / 60, options_.concurrency,
      options_.dry_run ? ", dry run" : "");
  while (!stop.stop_requested()) {
    RunOnce(refresh_requested_.exchange(false));
    SteadyTime now = clock_.Now();
    SteadyTime until = next_sources_poll_;
    if (auto next = state_.NextAttempt(); next && *next < until) until = *next;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
    if (!WaitFor(stop, std::max(wait, std::chrono::milliseconds(100)))) break;
  }
}

void ModCache::RunOnce(bool force) {
  if (!started_) {
    started_ = true;
    if (!options_.dry_run) {
      std::error_code ec;
      fs::create_directories(options_.dest, ec);
      int removed = RemoveStaleModTemps(options_.dest);
      if (removed > 0) {
        Logger("modcache")
            ->warn("removed {} temporary file(s) left by an interrupted download", removed);
      }
    }
    LoadPersisted();
  }
  SteadyTime now = clock_.Now();
  if (force || now >= next_sources_poll_) {
    ReloadSources();
    next_sources_poll_ = now + options_.sources_poll;
  }
  FetchDue(force);
  if (!options_.dry_run) Persist();
}

void ModCache::LoadPersisted() {
  auto log = Logger("modcache");
  std::string path = options_.dest + "/" + std::string(kModStateFile);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    state_ = ModcacheState(options_.policy);
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto decoded = DecodeModcacheState(text.str());
  if (!decoded.ok()) {
    log->warn("state file '{}' ignored, every source downloads afresh: {}", path,
              decoded.status().ToString());
    state_ = ModcacheState(options_.policy);
    return;
  }
  state_ = ModcacheState(options_.policy, std::move(decoded).value());
  last_persisted_ = text.str();
}

void ModCache::ReloadSources() {
  auto log = Logger("modcache");
  std::vector<config::Diagnostic> diagnostics;
  std::error_code ec;
  bool exists = fs::exists(options_.config_path, ec);
  std::string problem;
  if (!exists) {
    file_sources_.clear();
    problem = options_.config_path + ": not found; only container labels are sources";
  } else if (auto size = fs::file_size(options_.config_path, ec); ec || size > kMaxConfigBytes) {
    problem = options_.config_path + ": unreadable or larger than 4 MiB; the previous sources stay";
  } else {
    std::ifstream in(options_.config_path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    config::ModcacheParse parse = config::ParseModcacheYaml(text.str(), options_.config_path);
    problem = Summary(parse.diagnostics);
    if (parse.config) {
      file_sources_ = parse.config->sources;
    } else {
      problem += (problem.empty() ? "" : "\n") + options_.config_path +
                 ": refused; the previous sources stay";
    }
  }
  if (problem != last_config_problem_) {
    if (!problem.empty()) log->warn("{}", problem);
    last_config_problem_ = problem;
  }
  if (labels_) {
    auto listed = labels_();
    if (listed.ok()) {
      config::LabelSources from_labels = config::ModSourcesFromLabels(*listed);
      label_sources_ = std::move(from_labels.sources);
      diagnostics = std::move(from_labels.diagnostics);
    } else {
      log->warn("container list failed, keeping the previous label sources: {}",
                listed.status().ToString());
    }
  }
  auto merged = config::MergeModSources(file_sources_, label_sources_, &diagnostics);
  std::string label_problems = Summary(diagnostics);
  if (label_problems != last_label_problems_) {
    if (!label_problems.empty()) log->warn("{}", label_problems);
    last_label_problems_ = label_problems;
  }
  const std::size_t ignored = state_.SetSources(merged, clock_.Now());
  if (ignored > 0) {
    log->warn("{} source(s) ignored: at most {} are followed", ignored, kMaxModSources);
  }
  const std::size_t forgotten = state_.PruneForgotten([&](const std::string& file) {
    std::error_code exists_ec;
    const bool present = fs::is_regular_file(options_.dest + "/" + file, exists_ec);
    return present || (exists_ec && exists_ec != std::errc::no_such_file_or_directory);
  });
  if (forgotten > 0) {
    log->debug("forgot the records of {} removed source(s) whose file is gone", forgotten);
  }
}

void ModCache::FetchDue(bool force) {
  auto log = Logger("modcache");
  std::vector<std::string> due = state_.Due(clock_.Now(), force);
  if (due.empty()) return;
  if (options_.dry_run) {
    for (const auto& file : due) {
      const config::ModSource& source = state_.Find(file)->source;
      log->info("dry run: would fetch '{}' into '{}'", source.url, file);
      report_(MakeEvent("modcache_dry_run", source, "would fetch (dry run)"));
      state_.OnSkipped(file, clock_.Now());
    }
    return;
  }
  std::error_code ec;
  fs::create_directories(options_.dest, ec);
  std::vector<ModFetchRequest> requests;
  for (const auto& file : due) {
    bool present = fs::is_regular_file(options_.dest + "/" + file, ec);
    requests.push_back(state_.Request(file, present));
  }
  std::vector<ModFetchResult> results(requests.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < requests.size(); i = next++) {
      results[i] = fetcher_(requests[i], &cancel_);
    }
  };
  {
    std::size_t workers =
        std::min<std::size_t>(static_cast<std::size_t>(options_.concurrency), requests.size());
    std::vector<std::jthread> threads;
    for (std::size_t i = 1; i < workers; ++i) threads.emplace_back(work);
    work();
  }  // joined
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string& file = requests[i].file;
    const ModFetchResult& result = results[i];
    switch (result.status) {
      case ModFetchStatus::kDownloaded:
        counters_.downloaded.fetch_add(1, std::memory_order_relaxed);
        counters_.bytes.fetch_add(
            static_cast<std::uint64_t>(std::max<std::int64_t>(result.bytes, 0)),
            std::memory_order_relaxed);
        break;
      case ModFetchStatus::kNotModified:
        counters_.not_modified.fetch_add(1, std::memory_order_relaxed);
        break;
      case ModFetchStatus::kSameContent:
        counters_.same_content.fetch_add(1, std::memory_order_relaxed);
        break;
      case ModFetchStatus::kHashMismatch:
        counters_.hash_mismatch.fetch_add(1, std::memory_order_relaxed);
        break;
      case ModFetchStatus::kFailed:
        if (!cancel_) counters_.failed.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    ModDecision decision = state_.OnResult(file, result, clock_.Now());
    const ModSourceState* s = state_.Find(file);
    if (s == nullptr) continue;
    switch (decision.outcome) {
      case ModOutcome::kUpdated: {
        log->info("updated '{}' from '{}' ({} bytes, sha256 {})", file, s->source.url, result.bytes,
                  result.sha256);
        auto event = MakeEvent("modcache_updated", s->source,
                               "downloaded " + std::to_string(result.bytes) + " bytes");
        event.attrs["sha256"] = result.sha256;
        event.attrs["bytes"] = std::to_string(result.bytes);
        report_(std::move(event));
        break;
      }
      case ModOutcome::kUnchanged:
        log->debug("'{}' unchanged ({})", file, ModFetchStatusName(result.status));
        break;
      case ModOutcome::kFailed: {
        if (cancel_) break;  // stopping: not a failure of the source
        log->warn("'{}' from '{}' failed ({} in a row), retry in {} s{}: {}", file, s->source.url,
                  decision.consecutive_failures, decision.retry_in.count(),
                  s->have_file ? ", the last good file stays" : "", decision.detail);
        auto event = MakeEvent("modcache_failed", s->source, decision.detail);
        event.attrs["error"] = decision.detail;
        event.attrs["failures"] = std::to_string(decision.consecutive_failures);
        event.attrs["retry_in_s"] = std::to_string(decision.retry_in.count());
        report_(std::move(event));
        break;
      }
    }
  }
}

void ModCache::Persist() {
  std::string text = EncodeModcacheState(state_.ToPersist());
  if (text == last_persisted_) return;
  Status written = WriteFileAtomic(options_.dest + "/" + std::string(kModStateFile), text);
  if (!written.ok()) {
    Logger("modcache")
        ->warn("state file not written (validators will not survive a restart): {}",
               written.ToString());
    return;
  }
  last_persisted_ = std::move(text);
}

}  // namespace orcastra::agent
