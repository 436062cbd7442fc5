// What both daemons' HTTP endpoints share (common/observe.h), the Engine API endpoint names of
// /metrics (common/docker_client.h), the process figures and the healthcheck's URL.
#include "common/observe.h"

#include <catch2/catch.hpp>
#include <map>

#include "common/docker_client.h"
#include "common/health_command.h"
#include "common/process_stats.h"
#include "tests/support/temp_dir.h"

namespace orcastra {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<HttpOptions> Parse(std::vector<std::string> args, std::map<std::string, std::string> env) {
  FlagSpec spec;
  spec.with_value.insert(std::begin(kHttpValueFlags), std::end(kHttpValueFlags));
  auto source = OptionSource::Parse(args, spec, Env(env));
  REQUIRE(source.ok());
  return ParseHttpOptions(*source, Env(env), 9471);
}

TEST_CASE("http options: defaults, flags over env, off, and errors naming the knob", "[observe]") {
  auto defaults = Parse({}, {});
  REQUIRE(defaults.ok());
  REQUIRE(defaults->listen);
  CHECK(defaults->listen->ToString() == "0.0.0.0:9471");
  CHECK(defaults->token_file == kDefaultTokenFile);
  CHECK_FALSE(defaults->token_file_explicit);
  CHECK_FALSE(defaults->metrics_auth);
  CHECK(defaults->stall_limit == kDefaultStallLimit);
  auto set = Parse({"--http-listen", "127.0.0.1:19471", "--health-stall-limit", "20s"},
                   {{"ORCASTRA_HTTP_LISTEN", "0.0.0.0:1"},
                    {"ORCASTRA_HTTP_TOKEN_FILE", "/tmp/t"},
                    {"ORCASTRA_HTTP_METRICS_AUTH", "true"}});
  REQUIRE(set.ok());
  CHECK(set->listen->ToString() == "127.0.0.1:19471");
  CHECK(set->token_file == "/tmp/t");
  CHECK(set->token_file_explicit);
  CHECK(set->metrics_auth);
  CHECK(set->stall_limit == std::chrono::seconds(20));
  CHECK_FALSE(Parse({}, {{"ORCASTRA_HTTP_LISTEN", "off"}})->listen);
  auto bad = Parse({}, {{"ORCASTRA_HTTP_LISTEN", "9470"}});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("ORCASTRA_HTTP_LISTEN"));
  CHECK_FALSE(Parse({"--health-stall-limit", "1s"}, {}).ok());
  CHECK_FALSE(Parse({}, {{"ORCASTRA_HTTP_METRICS_AUTH", "maybe"}}).ok());
}

TEST_CASE("the read-only token file", "[observe]") {
  testing::TempDir dir;
  HttpOptions options;
  options.token_file = dir.path() + "/missing";
  CHECK_FALSE(ReadHttpToken(options)->has_value());  // the default file may be absent
  options.token_file_explicit = true;
  CHECK_FALSE(ReadHttpToken(options).ok());  // a named file must exist
  options.token_file = dir.path() + "/token";
  testing::WriteFile(options.token_file, "  abc-123_XYZ\n");
  CHECK(**ReadHttpToken(options) == "abc-123_XYZ");
  testing::WriteFile(options.token_file, "\n \n");
  CHECK_FALSE(ReadHttpToken(options).ok());
  testing::WriteFile(options.token_file, "two words");
  CHECK_FALSE(ReadHttpToken(options).ok());
  testing::WriteFile(options.token_file, std::string(5000, 'a'));
  CHECK_FALSE(ReadHttpToken(options).ok());
}

TEST_CASE("the token comparison", "[observe]") {
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret2"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secre"));
  CHECK_FALSE(ConstantTimeEquals("secret", ""));
  CHECK_FALSE(ConstantTimeEquals("", ""));
  http::Request r;
  auto with = [&](std::string value) {
    r.headers = {{"authorization", std::move(value)}};
    return Authorized(r, "tok");
  };
  CHECK(with("Bearer tok"));
  CHECK(with("bearer  tok "));
  CHECK_FALSE(with("Bearer tok2"));
  CHECK_FALSE(with("tok"));
  CHECK(with("Basic dTp0b2s="));        // u:tok
  CHECK(with("Basic OnRvaw=="));        // :tok
  CHECK_FALSE(with("Basic dG9rOng="));  // tok:x
  CHECK_FALSE(with("Basic !!!"));
  r.headers.clear();
  CHECK_FALSE(Authorized(r, "tok"));
}

TEST_CASE("healthz names the stalled loops first and fails", "[observe]") {
  std::vector<ServiceBeat> loops = {
      {"reporter", Service::State::kRunning, 0.4, 0, false},
      {"gc", Service::State::kFinished, 500, 1, false},
  };
  auto ok = HealthzResponse(loops);
  CHECK(ok.status == 200);
  CHECK_THAT(ok.body, Catch::StartsWith("ok\nreporter running, last beat 0.4 s ago\n"));
  CHECK_THAT(ok.body, Catch::Contains("gc finished, restarted 1 times"));
  loops.push_back({"autoheal", Service::State::kRunning, 200, 0, true});
  auto stalled = HealthzResponse(loops);
  CHECK(stalled.status == 503);
  CHECK_THAT(stalled.body, Catch::StartsWith("stalled\nautoheal STALLED, last beat 200.0 s ago\n"));
  CHECK(ReadyzResponse(false, "why").status == 503);
  CHECK(ReadyzResponse(true, "fine").body == "ready: fine\n");
}

TEST_CASE("Engine API endpoint names are templates", "[observe][docker]") {
  CHECK(docker::ApiEndpointName("GET", "/nodes") == "GET /nodes");
  CHECK(docker::ApiEndpointName("GET", "/nodes/abc123") == "GET /nodes/{id}");
  CHECK(docker::ApiEndpointName("POST", "/nodes/abc/update?version=12") ==
        "POST /nodes/{id}/update");
  CHECK(docker::ApiEndpointName("GET", "/tasks?filters=%7B%7D") == "GET /tasks");
  CHECK(docker::ApiEndpointName("GET", "/images/198.51.100.1:5000/lab/busybox:1/json") ==
        "GET /images/{id}/json");
  CHECK(docker::ApiEndpointName("DELETE", "/containers/x?v=0") == "DELETE /containers/{id}");
  CHECK(docker::ApiEndpointName("GET", "/system/df") == "GET /system/df");
  CHECK(docker::ApiEndpointName("GET", "/whatever/x/y") == "GET /other");
  CHECK(docker::ApiEndpointName("PATCH", "/") == "OTHER /");
}

TEST_CASE("process figures", "[observe]") {
  auto statm = ParseStatm("1000 250 30 1 0 200 0\n", 4096);
  REQUIRE(statm);
  CHECK(statm->virtual_bytes == 4096000);
  CHECK(statm->resident_bytes == 1024000);
  CHECK_FALSE(ParseStatm("", 4096));
  CHECK_FALSE(ParseStatm("x y", 4096));
  auto self = ReadProcessStats();
  CHECK(self.resident_bytes > 0);
  CHECK(self.open_fds > 0);
  CHECK(self.cpu_seconds >= 0);
  CHECK(self.start_time_seconds > 1.7e9);
}

TEST_CASE("the healthcheck's URL", "[observe]") {
  CHECK(HealthUrl("0.0.0.0", 9471, false) == "http://127.0.0.1:9471/healthz");
  CHECK(HealthUrl("::", 9470, true) == "http://[::1]:9470/readyz");
  CHECK(HealthUrl("198.51.100.11", 9470, false) == "http://198.51.100.11:9470/healthz");
}

}  // namespace
}  // namespace orcastra
