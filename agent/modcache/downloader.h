// Modcache, one download: a conditional GET with libcurl (http and https only, redirects too),
// the body streamed into a temporary file in the destination directory under a size bound, its
// SHA-256 checked, then fsync + rename into place + fsync of the directory. On any failure the
// temporary file is removed: the destination never holds a partial file, and the last good file
// stays. Thread-safe: each call uses its own curl handle; calls for different files may run at
// once (two calls for the same file must not).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/modcache/plan.h"
#include "common/status.h"

namespace orcastra::agent {

struct DownloadLimits {
  std::int64_t max_bytes = 256LL << 20;  // a larger body is refused (and removed)
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds total_timeout{30 * 60};  // the whole transfer
  std::chrono::seconds stall_timeout{60};       // aborted when under 1 byte/s for this long
  long max_redirects = 5;
};

// Temporary files are `.<file>.part-XXXXXX`; the state file is `.modcache-state.json`.
inline constexpr std::string_view kModTempMarker = ".part-";
inline constexpr std::string_view kModStateFile = ".modcache-state.json";

// Fetches `request` into `dest_dir`/`request.file`. 304 leaves the file alone (kNotModified); a
// body equal to `request.current_sha256` leaves it alone too (kSameContent). `cancel`, when set,
// aborts the transfer (the agent is stopping). Never throws.
ModFetchResult FetchMod(const ModFetchRequest& request, const std::string& dest_dir,
                        const DownloadLimits& limits, const std::atomic<bool>* cancel = nullptr);

// Lowercase hex SHA-256 of `data` (OpenSSL EVP).
std::string Sha256Hex(std::string_view data);


// Removes temporary files left in `dir` by a process that died mid-download. Returns how many.
int RemoveStaleModTemps(const std::string& dir);

}  // namespace orcastra::agent
