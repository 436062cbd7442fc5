#include "config/reloader.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace orcastra::config {
namespace {

FileFingerprint FingerprintOf(const std::optional<SourceFile>& source) {
  if (!source) return {};
  return {true, source->text.size(), ContentHash(source->text)};
}

}  // namespace

std::uint64_t ContentHash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

ConfigReloader::ConfigReloader(Settings settings, int settle_polls)
    : settings_(std::move(settings)), settle_polls_(settle_polls < 0 ? 0 : settle_polls) {}

std::vector<std::string> ConfigReloader::WatchedPaths() const {
  const ConfigPaths& p = settings_.paths;
  return {p.swarm_file, p.nodes_file, p.dependencies_file, p.rebalance_file};
}

FileSet ConfigReloader::Observe() {
  FileSet set;
  for (const auto& path : WatchedPaths()) {
    std::error_code ec;
    StatCache now;
    auto status = std::filesystem::status(path, ec);
    now.exists = std::filesystem::exists(status);
    if (now.exists) {
      now.size = std::filesystem::file_size(path, ec);
      if (ec) now.size = 0;
      auto mtime = std::filesystem::last_write_time(path, ec);
      if (!ec) {
        now.mtime_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
      }
    }
    auto cached = stat_cache_.find(path);
    if (cached != stat_cache_.end() && cached->second.exists == now.exists &&
        cached->second.size == now.size && cached->second.mtime_ns == now.mtime_ns) {
      now.fingerprint = cached->second.fingerprint;  // stat unchanged: content taken as unchanged
    } else if (now.exists) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream text;
      if (in) text << in.rdbuf();
      std::string content = text.str();
      // An unreadable file gets a fingerprint of its own so that the load reports why.
      now.fingerprint = {true, content.size(), in ? ContentHash(content) : 0};
    }
    stat_cache_[path] = now;
    set[path] = now.fingerprint;
  }
  return set;
}

ReloadAction DecideReload(ReloadState* state, const FileSet& observed, int settle_polls) {
  if (!state->applied) return ReloadAction::kLoad;
  if (observed == *state->applied) {
    state->pending.reset();
    state->pending_polls = 0;
    return ReloadAction::kNothing;
  }
  if (!state->pending || *state->pending != observed) {
    state->pending = observed;
    state->pending_polls = 0;
  } else {
    ++state->pending_polls;
  }
  return state->pending_polls < settle_polls ? ReloadAction::kWait : ReloadAction::kLoad;
}

ConfigReloader::Outcome ConfigReloader::Poll() {
  FileSet observed = Observe();
  if (DecideReload(&state_, observed, settle_polls_) != ReloadAction::kLoad) {
    return {Outcome::Kind::kUnchanged, current_, {}};
  }
  return Load(observed);
}

ConfigReloader::Outcome ConfigReloader::Load(const FileSet& observed) {
  ConfigSources sources = ReadConfigSources(settings_.paths);
  // The files may have moved on between the observation and the read: load what was read, and
  // remember its fingerprints so that the next poll compares against what was really loaded.
  FileSet loaded = {
      {settings_.paths.swarm_file, FingerprintOf(sources.swarm)},
      {settings_.paths.nodes_file, FingerprintOf(sources.nodes)},
      {settings_.paths.dependencies_file, FingerprintOf(sources.dependencies)},
      {settings_.paths.rebalance_file, FingerprintOf(sources.rebalance)},
  };
  for (auto& [path, fingerprint] : loaded) {
    auto seen = observed.find(path);
    // A file that exists but could not be read keeps its observed fingerprint.
    if (!fingerprint.exists && seen != observed.end() && seen->second.exists) {
      fingerprint = seen->second;
    }
  }
  LoadResult result = LoadFromSources(sources, settings_);
  state_.applied = std::move(loaded);
  state_.pending.reset();
  state_.pending_polls = 0;
  if (!result.ok()) return {Outcome::Kind::kRefused, current_, std::move(result.diagnostics)};
  current_ = std::make_shared<const Config>(std::move(*result.config));
  return {Outcome::Kind::kReplaced, current_, std::move(result.diagnostics)};
}

}  // namespace orcastra::config
