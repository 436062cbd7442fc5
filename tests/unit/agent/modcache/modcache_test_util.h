// Helpers shared by the modcache unit tests: sources, fetch results, a policy.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "agent/modcache/downloader.h"
#include "agent/modcache/plan.h"
#include "config/modcache_config.h"

namespace orcastra::agent::testing {

using config::ModSource;
using namespace std::chrono_literals;

inline const std::string kShaA = std::string(64, 'a');
inline const std::string kShaB = std::string(64, 'b');

inline ModSource Src(std::string file, std::string url,
                     std::optional<std::string> sha = std::nullopt) {
  return {std::move(url), std::move(file), std::move(sha), "test"};
}

inline ModFetchResult Downloaded(std::string etag, std::string sha,
                                 std::string last_modified = "") {
  ModFetchResult r;
  r.status = ModFetchStatus::kDownloaded;
  r.http_status = 200;
  r.etag = std::move(etag);
  r.last_modified = std::move(last_modified);
  r.sha256 = std::move(sha);
  r.bytes = 10;
  return r;
}

inline ModFetchResult Fetched(ModFetchStatus status, std::string error = "") {
  ModFetchResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

inline ModcachePolicy Policy() {
  return {.refresh_interval = 1h, .backoff_base = 30s, .backoff_max = 10min};
}

}  // namespace orcastra::agent::testing
