#include "common/health_command.h"

#include "common/curl_easy.h"
#include "common/http_server.h"

namespace orcastra {

std::string HealthUrl(const std::string& host, std::uint16_t port, bool ready) {
  std::string h = host;
  if (h == "0.0.0.0" || h.empty()) h = "127.0.0.1";
  if (h == "::") h = "::1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port) + (ready ? "/readyz" : "/healthz");
}

int RunHealthCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                     std::ostream& err) {
  auto flags = ParseFlags(args, FlagSpec{{"url", "timeout"}, {"ready"}});
  if (!flags.ok() || flags->positional.size() > 1 ||
      (flags->positional.size() == 1 && flags->positional[0] != "agent" &&
       flags->positional[0] != "leader")) {
    err << "usage: orcastra health agent|leader [--ready] [--url URL] [--timeout 3s]\n";
    if (!flags.ok()) err << flags.status().message() << "\n";
    return 2;
  }
  const bool ready = flags->Has("ready");
  std::string url;
  if (auto given = flags->Get("url")) {
    url = *given;
  } else {
    const bool leader = !flags->positional.empty() && flags->positional[0] == "leader";
    http::ListenAddress address{"0.0.0.0", static_cast<std::uint16_t>(leader ? 9470 : 9471)};
    if (auto listen = EnvReader(env).Get("ORCASTRA_HTTP_LISTEN")) {
      if (*listen == "off") {
        err << "health: ORCASTRA_HTTP_LISTEN is off: nothing to ask\n";
        return 1;
      }
      auto parsed = http::ParseListenAddress(*listen, "ORCASTRA_HTTP_LISTEN");
      if (!parsed.ok()) {
        err << "health: " << parsed.status().message() << "\n";
        return 2;
      }
      address = *parsed;
    }
    url = HealthUrl(address.host, address.port, ready);
  }
  std::chrono::milliseconds timeout{3000};
  if (auto t = flags->Get("timeout")) {
    auto parsed = ParseDurationIn(*t, std::chrono::seconds(1), std::chrono::milliseconds(100),
                                  std::chrono::minutes(1), "--timeout");
    if (!parsed.ok()) {
      err << "health: " << parsed.status().message() << "\n";
      return 2;
    }
    timeout = *parsed;
  }
  curl::Handle handle = curl::NewHandle();
  if (!handle) {
    err << "health: libcurl could not start\n";
    return 1;
  }
  curl::SetCommonOptions(handle.get(), timeout, timeout);
  curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle.get(), CURLOPT_PROTOCOLS_STR, "http");
  curl::BoundedBody body{.data = {}, .max_bytes = 64 * 1024};
  curl::CollectBody(handle.get(), &body);
  CURLcode rc = curl_easy_perform(handle.get());
  if (rc != CURLE_OK && !body.overflow) {
    err << "health: " << url << ": " << curl_easy_strerror(rc) << "\n";
    return 1;
  }
  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  std::string first = body.data.substr(0, body.data.find('\n'));
  (status == 200 ? out : err) << url << ": HTTP " << status << ": " << first << "\n";
  if (status != 200) err << body.data.substr(0, 2048);
  return status == 200 ? 0 : 1;
}

}  // namespace orcastra
