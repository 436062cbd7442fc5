// Modcache, the decisions: per source, what to ask the server next (conditional-GET validators),
// what an answer means (updated, unchanged, failed), and when to try again (the refresh interval
// after a success; exponential backoff with a cap after failures). No I/O and no clock reads: the
// caller passes `now`. The I/O side is agent/modcache/downloader.h (one fetch) and ModCache (the
// loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/modcache_config.h"

namespace orcastra::agent {

struct ModcachePolicy {
  std::chrono::seconds refresh_interval{3600};  // after a success, the next check
  std::chrono::seconds backoff_base{30};        // after the 1st consecutive failure
  std::chrono::seconds backoff_max{3600};       // the cap of base * 2^(n-1)
};

// What one fetch asks for. Empty strings mean "none".
struct ModFetchRequest {
  std::string file;
  std::string url;
  std::optional<std::string> expected_sha256;
  std::string etag;            // sent as If-None-Match
  std::string last_modified;   // sent as If-Modified-Since
  std::string current_sha256;  // of the file in place: identical content leaves it untouched
};

// What one fetch did (filled by the downloader).
enum class ModFetchStatus {
  kDownloaded,    // 200, verified, renamed into place
  kNotModified,   // 304: the file in place is current
  kSameContent,   // 200, but the body equals the file in place: left untouched
  kHashMismatch,  // 200, but the body's sha256 is not the expected one: discarded
  kFailed,        // anything else (network, HTTP status, size bound, disk): discarded
};
std::string_view ModFetchStatusName(ModFetchStatus status);

struct ModFetchResult {
  ModFetchStatus status = ModFetchStatus::kFailed;
  int http_status = 0;        // of the final response; 0 when none arrived
  std::string etag;           // of the response (kDownloaded, kSameContent)
  std::string last_modified;  // likewise
  std::string sha256;         // of the body (kDownloaded, kSameContent, kHashMismatch)
  std::int64_t bytes = 0;     // body size
  std::string error;          // kFailed, kHashMismatch: why, for people
};

// What the state machine concluded from a result.
enum class ModOutcome { kUpdated, kUnchanged, kFailed };
std::string_view ModOutcomeName(ModOutcome outcome);

struct ModDecision {
  ModOutcome outcome = ModOutcome::kFailed;
  int consecutive_failures = 0;     // after this result
  std::chrono::seconds retry_in{};  // until the next attempt
  std::string detail;               // the error, for kFailed
};

// What survives a restart (the state file): the validators and hash of the file in place.
struct PersistedMod {
  std::string file;
  std::string url;
  std::string etag;
  std::string last_modified;
  std::string sha256;
  std::int64_t bytes = 0;

  bool operator==(const PersistedMod&) const = default;
};

// The state file's text (JSON, versioned) and back. Decoding refuses unknown versions and
// malformed text (a negative or oversized byte count included); the caller then starts without
// validators (every source downloads afresh). Encoding writes UTF-8 only: a field that is not is
// written empty, a record whose file or URL is not (or whose byte count is negative) is left out.
std::string EncodeModcacheState(const std::vector<PersistedMod>& mods);
Result<std::vector<PersistedMod>> DecodeModcacheState(std::string_view text);

// The state of one source.
struct ModSourceState {
  config::ModSource source;
  std::string etag;
  std::string last_modified;
  std::string sha256;      // of the last good file; empty when there is none
  std::int64_t bytes = 0;  // likewise
  bool have_file = false;  // a verified file was installed (now or before a restart)
  int consecutive_failures = 0;
  SteadyTime next_attempt{};
  std::string last_error;
};

// The most sources the mod cache follows (modcache.yml and container labels together, in that
// order); the rest are ignored with a warning until some go away. Also the most records of
// forgotten sources kept for their validators.
inline constexpr std::size_t kMaxModSources = 1024;

// The per-source state machine. Not thread-safe: one owner (the ModCache thread).
class ModcacheState {
 public:
  // `persisted` (from the state file) restores validators for sources that come back with the same
  // file, URL and (when pinned) hash.
  explicit ModcacheState(ModcachePolicy policy, std::vector<PersistedMod> persisted = {});

  // Replaces the set of sources. A new source is due at `now`. A source whose URL or expected hash
  // changed starts afresh: validators and backoff are forgotten (the file in place stays until a
  // verified replacement arrives). Sources no longer listed are forgotten; their files stay.
  // Only the first kMaxModSources sources are taken; returns how many were ignored beyond it.
  std::size_t SetSources(const std::vector<config::ModSource>& sources, SteadyTime now);

  // Drops the records of forgotten sources whose file is no longer in the destination
  // (`file_present` false: their validators could never be sent again), then keeps at most
  // kMaxModSources of them (by file name). Returns how many went.
  std::size_t PruneForgotten(const std::function<bool(const std::string&)>& file_present);

  // The files whose next attempt is at or before `now` (all of them with `force`), in source order.
  std::vector<std::string> Due(SteadyTime now, bool force) const;
  // The earliest next attempt of any source; nullopt when there is none.
  std::optional<SteadyTime> NextAttempt() const;

  // The request for `file`. Validators and the current hash are sent only when `file_present`
  // (the destination file exists): a file deleted by hand is downloaded again.
  ModFetchRequest Request(const std::string& file, bool file_present) const;

  // Applies the result of the request for `file`. Success (downloaded, same content, not
  // modified) resets the failures and schedules the next check after the refresh interval; a
  // failure or hash mismatch keeps the last good file and validators, counts the failure and
  // schedules a retry after Backoff(failures).
  ModDecision OnResult(const std::string& file, const ModFetchResult& result, SteadyTime now);
  // Dry run: nothing was fetched; the next look is after the refresh interval.
  void OnSkipped(const std::string& file, SteadyTime now);

  // base * 2^(failures-1), capped at backoff_max; 0 for no failure.
  std::chrono::seconds Backoff(int failures) const;

  const ModSourceState* Find(const std::string& file) const;
  const std::vector<ModSourceState>& sources() const { return sources_; }
  // What to write to the state file: every source with a file installed.
  std::vector<PersistedMod> ToPersist() const;

 private:
  ModSourceState* Mutable(const std::string& file);

  ModcachePolicy policy_;                          // constant after construction
  std::map<std::string, PersistedMod> persisted_;  // by file; consumed by SetSources
  std::vector<ModSourceState> sources_;
};

}  // namespace orcastra::agent
