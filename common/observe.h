// What both daemons serve over HTTP besides their own pages (doc/observability.md): the options
// (where to listen, the read-only token, the liveness bound), the read-only credential check, and
// the answers of /healthz and /readyz. Pure except ReadHttpToken (one bounded file read).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/flags.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/service.h"
#include "common/status.h"

namespace orcastra {

// The flags every daemon takes for its HTTP endpoint (add them to its FlagSpec).
inline constexpr const char* kHttpValueFlags[] = {"http-listen", "http-token-file",
                                                  "health-stall-limit", "log-format"};

// The default file of the read-only token (a Docker secret).
inline constexpr char kDefaultTokenFile[] = "/run/secrets/orcastra-http-token";
// A loop that neither waits nor beats for longer than this is stalled (/healthz fails). Longer
// than any bounded step that does not beat (a Docker call waits at most 2 min, and libcurl beats).
inline constexpr std::chrono::milliseconds kDefaultStallLimit = std::chrono::minutes(3);

struct HttpOptions {
  // Where /metrics, /healthz and /readyz (and the leader's web view) listen; nullopt: no HTTP.
  std::optional<http::ListenAddress> listen;
  // The read-only token's file; "" when none was asked for (then the default file is used if it
  // exists).
  std::string token_file = kDefaultTokenFile;
  bool token_file_explicit = false;  // given by flag or env: a missing file is then an error
  // /metrics asks for the token too (ORCASTRA_HTTP_METRICS_AUTH).
  bool metrics_auth = false;
  std::chrono::milliseconds stall_limit = kDefaultStallLimit;
};

// `--http-listen ADDR:PORT|off` / ORCASTRA_HTTP_LISTEN (default 0.0.0.0:`default_port`),
// `--http-token-file PATH` / ORCASTRA_HTTP_TOKEN_FILE, ORCASTRA_HTTP_METRICS_AUTH (boolean),
// `--health-stall-limit DURATION` / ORCASTRA_HEALTH_STALL_LIMIT (5s..1h). InvalidArgument naming
// the flag or variable.
Result<HttpOptions> ParseHttpOptions(const OptionSource& source, const EnvLookup& env,
                                     std::uint16_t default_port);

// The token in `options.token_file` (surrounding whitespace trimmed): nullopt when the default
// file does not exist; an error when an explicitly named file is missing or unreadable, the file
// is empty, larger than 4 KiB or holds a character that cannot be in an HTTP header.
Result<std::optional<std::string>> ReadHttpToken(const HttpOptions& options);

// Compares in time that depends on `presented`'s length only, never on where the two differ.
bool ConstantTimeEquals(std::string_view expected, std::string_view presented);

// True when `request` carries `token`: "Authorization: Bearer TOKEN", or HTTP Basic with TOKEN as
// the password (any user name; what a browser prompts for).
bool Authorized(const http::Request& request, std::string_view token);

// 401 asking for the token (a browser shows its login prompt: any user, the token as password).
http::Response Unauthorized();
// 403 saying that this page needs a token and how to give the process one.
http::Response NoTokenConfigured(std::string_view what);

// /healthz: 200 "ok" and one line per loop ("reporter running, beat 0.4 s ago"), or 503 with the
// stalled loops first. A loop that has returned is listed as finished and is not a failure.
http::Response HealthzResponse(const std::vector<ServiceBeat>& loops);
// /readyz: 200 "ready: DETAIL" or 503 "not ready: DETAIL".
http::Response ReadyzResponse(bool ready, std::string_view detail);

// The samples of the families every daemon declares for its loops and its HTTP endpoint (`Ids`, the
// component's metric enum, has kLoopRestarts, kLoopBeatAge, kHttpRequests, kHttpRefused): restarts
// and heartbeat age per loop (a loop that is not running has no age), requests and refusals.
template <typename Ids>
void AddLoopAndHttpSamples(metrics::Exposition& e, const std::vector<ServiceBeat>& loops,
                           const http::Server::Counters* http) {
  for (const ServiceBeat& loop : loops) {
    e.Add(Ids::kLoopRestarts, {loop.name}, static_cast<double>(loop.failures));
    if (loop.state == Service::State::kRunning) {
      e.Add(Ids::kLoopBeatAge, {loop.name}, loop.seconds_since_beat);
    }
  }
  if (http == nullptr) return;
  auto load = [](const std::atomic<std::uint64_t>& counter) {
    return static_cast<double>(counter.load(std::memory_order_relaxed));
  };
  e.Add(Ids::kHttpRequests, load(http->requests));
  e.Add(Ids::kHttpRefused, {"busy"}, load(http->busy));
  e.Add(Ids::kHttpRefused, {"bad_request"}, load(http->bad_requests));
  e.Add(Ids::kHttpRefused, {"timeout"}, load(http->timeouts));
}

// Standard headers of every answer: no caching of documents, no sniffing, no framing.
void AddSecurityHeaders(http::Response& response);

}  // namespace orcastra
