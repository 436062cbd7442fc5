#include "common/observe.h"

#include <sys/stat.h>

#include <cstdio>

#include "common/files.h"
#include "common/strings.h"

namespace orcastra {
namespace {

constexpr std::size_t kMaxTokenBytes = 4096;

// RFC 4648 base64, for HTTP Basic; nullopt when `text` is not base64.
std::optional<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = text[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

Result<HttpOptions> ParseHttpOptions(const OptionSource& source, const EnvLookup& env,
                                     std::uint16_t default_port) {
  HttpOptions options;
  options.listen = http::ListenAddress{"0.0.0.0", default_port};
  if (auto listen = source.Value("http-listen", "ORCASTRA_HTTP_LISTEN")) {
    if (*listen == "off") {
      options.listen.reset();
    } else {
      auto parsed = http::ParseListenAddress(*listen, "--http-listen/ORCASTRA_HTTP_LISTEN");
      if (!parsed.ok()) return parsed.status();
      options.listen = *parsed;
    }
  }
  if (auto file = source.Value("http-token-file", "ORCASTRA_HTTP_TOKEN_FILE")) {
    options.token_file = *file;
    options.token_file_explicit = true;
  }
  const EnvReader reader(env);
  ORC_RETURN_IF_ERROR(reader.ReadBool("ORCASTRA_HTTP_METRICS_AUTH", &options.metrics_auth));
  if (auto limit = source.Value("health-stall-limit", "ORCASTRA_HEALTH_STALL_LIMIT")) {
    auto parsed =
        ParseDurationIn(*limit, std::chrono::seconds(1), std::chrono::seconds(5),
                        std::chrono::hours(1), "--health-stall-limit/ORCASTRA_HEALTH_STALL_LIMIT");
    if (!parsed.ok()) return parsed.status();
    options.stall_limit = *parsed;
  }
  return options;
}

Result<std::optional<std::string>> ReadHttpToken(const HttpOptions& options) {
  struct stat info {};
  if (::stat(options.token_file.c_str(), &info) != 0 && !options.token_file_explicit) {
    return std::optional<std::string>();
  }
  auto text = ReadFileBounded(options.token_file, kMaxTokenBytes);
  if (!text.ok()) {
    return Status::InvalidArgument(
        "the read-only token file '" + options.token_file +
        "' (--http-token-file/ORCASTRA_HTTP_TOKEN_FILE): " + text.status().message());
  }
  std::string token(Trim(*text));
  if (token.empty()) {
    return Status::InvalidArgument("the read-only token file '" + options.token_file +
                                   "' is empty");
  }
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) {
      return Status::InvalidArgument("the read-only token file '" + options.token_file +
                                     "' holds a character that is not printable ASCII");
    }
  }
  return std::optional<std::string>(std::move(token));
}

bool ConstantTimeEquals(std::string_view expected, std::string_view presented) {
  // Every byte of `presented` is looked at, against a byte of `expected` (or a constant when
  // `expected` is shorter); the length difference is folded in at the end.
  volatile unsigned char diff = expected.size() == presented.size() ? 0 : 1;
  for (std::size_t i = 0; i < presented.size(); ++i) {
    const unsigned char e = i < expected.size() ? static_cast<unsigned char>(expected[i])
                                                : static_cast<unsigned char>(0);
    diff = static_cast<unsigned char>(diff | (e ^ static_cast<unsigned char>(presented[i])));
  }
  return diff == 0 && !expected.empty();
}

bool Authorized(const http::Request& request, std::string_view token) {
  std::string_view header = Trim(request.Header("authorization"));
  if (StartsWithNoCase(header, "bearer ")) {
    return ConstantTimeEquals(token, Trim(header.substr(7)));
  }
  if (StartsWithNoCase(header, "basic ")) {
    auto decoded = DecodeBase64(Trim(header.substr(6)));
    if (!decoded) return false;
    std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    return ConstantTimeEquals(token, std::string_view(*decoded).substr(colon + 1));
  }
  return false;
}

http::Response Unauthorized() {
  http::Response r;
  r.status = 401;
  r.body =
      "401: this page needs Orcastra's read-only token: as a bearer token (Authorization: Bearer "
      "TOKEN), or in the browser's login prompt (any user name, the token as the password)\n";
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"orcastra\", charset=\"UTF-8\"");
  AddSecurityHeaders(r);
  return r;
}

http::Response NoTokenConfigured(std::string_view what) {
  http::Response r;
  r.status = 403;
  r.body = std::string("403: ") + std::string(what) +
           " is disabled: this process has no read-only token. Mount it as the secret "
           "'orcastra-http-token' (deploy/secrets makes that secret from http.token in the keys "
           "directory) or give --http-token-file / ORCASTRA_HTTP_TOKEN_FILE, and restart it; see "
           "doc/observability.md\n";
  AddSecurityHeaders(r);
  return r;
}

http::Response HealthzResponse(const std::vector<ServiceBeat>& loops) {
  std::string stalled_lines, other_lines;
  bool ok = true;
  for (const ServiceBeat& loop : loops) {
    char age[32];
    std::snprintf(age, sizeof(age), "%.1f", loop.seconds_since_beat);
    std::string line = loop.name;
    switch (loop.state) {
      case Service::State::kNotStarted:
        line += " not started";
        break;
      case Service::State::kFinished:
        line += " finished";
        break;
      case Service::State::kRunning:
        line += loop.stalled ? " STALLED" : " running";
        line += std::string(", last beat ") + age + " s ago";
        break;
    }
    if (loop.failures > 0) line += ", restarted " + std::to_string(loop.failures) + " times";
    line += "\n";
    if (loop.stalled) {
      ok = false;
      stalled_lines += line;
    } else {
      other_lines += line;
    }
  }
  http::Response r;
  r.status = ok ? 200 : 503;
  r.body = (ok ? "ok\n" : "stalled\n") + stalled_lines + other_lines;
  AddSecurityHeaders(r);
  return r;
}

http::Response ReadyzResponse(bool ready, std::string_view detail) {
  http::Response r;
  r.status = ready ? 200 : 503;
  r.body = std::string(ready ? "ready: " : "not ready: ") + std::string(detail) + "\n";
  AddSecurityHeaders(r);
  return r;
}

void AddSecurityHeaders(http::Response& response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

}  // namespace orcastra
