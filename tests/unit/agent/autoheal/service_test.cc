// The autoheal service's pure parts: its options from the environment and the policy's view of a
// container list (agent/autoheal/service.h).
#include "agent/autoheal/service.h"

#include <catch2/catch.hpp>
#include <map>

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string ErrorOf(std::map<std::string, std::string> vars) {
  auto options = AutohealOptionsFromEnv(Env(std::move(vars)));
  return options.ok() ? "" : options.status().message();
}

TEST_CASE("autoheal options: defaults and every variable", "[autoheal][options]") {
  auto defaults = AutohealOptionsFromEnv(Env({}));
  REQUIRE(defaults.ok());
  CHECK(defaults->enabled);
  CHECK_FALSE(defaults->dry_run);
  CHECK(defaults->policy.interval == 5s);

  auto set = AutohealOptionsFromEnv(Env({{"AUTOHEAL_ENABLED", "false"},
                                         {"DRY_RUN", "true"},
                                         {"AUTOHEAL_CONTAINER_LABEL", "all"},
                                         {"AUTOHEAL_INTERVAL", "10"},
                                         {"AUTOHEAL_START_PERIOD", "1m"},
                                         {"AUTOHEAL_DEFAULT_STOP_TIMEOUT", "20s"},
                                         {"AUTOHEAL_BACKOFF_BASE", "15"},
                                         {"AUTOHEAL_BACKOFF_MAX", "1h"},
                                         {"AUTOHEAL_MAX_RESTARTS", "9"},
                                         {"AUTOHEAL_WINDOW", "2h"}}));
  REQUIRE(set.ok());
  CHECK_FALSE(set->enabled);
  CHECK(set->dry_run);
  CHECK(set->policy.container_label == "all");
  CHECK(set->policy.interval == 10s);
  CHECK(set->policy.start_period == 60s);
  CHECK(set->policy.default_stop_timeout == 20s);
  CHECK(set->policy.backoff_base == 15s);
  CHECK(set->policy.backoff_max == 3600s);
  CHECK(set->policy.max_restarts == 9);
  CHECK(set->policy.window == 7200s);
  // AUTOHEAL_DRY_RUN wins over DRY_RUN; empty values count as unset.
  auto own = AutohealOptionsFromEnv(
      Env({{"AUTOHEAL_DRY_RUN", "false"}, {"DRY_RUN", "true"}, {"AUTOHEAL_INTERVAL", ""}}));
  REQUIRE(own.ok());
  CHECK_FALSE(own->dry_run);
  CHECK(own->policy.interval == 5s);
}

TEST_CASE("autoheal options: out of range values name the variable", "[autoheal][options]") {
  CHECK(ErrorOf({{"AUTOHEAL_INTERVAL", "0"}}) ==
        "AUTOHEAL_INTERVAL='0': expected a duration from 1s to 1h (a bare number is seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_INTERVAL", "nan"}}) ==
        "AUTOHEAL_INTERVAL='nan': expected a duration from 1s to 1h (a bare number is seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_INTERVAL", "500ms"}}) ==
        "AUTOHEAL_INTERVAL='500ms': expected a duration from 1s to 1h (a bare number is seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_INTERVAL", "1500ms"}}) ==
        "AUTOHEAL_INTERVAL='1500ms': must be whole 1s units");
  CHECK(ErrorOf({{"AUTOHEAL_START_PERIOD", "25h"}}) ==
        "AUTOHEAL_START_PERIOD='25h': expected a duration from 0s to 24h (a bare number is "
        "seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_DEFAULT_STOP_TIMEOUT", "3601"}}) ==
        "AUTOHEAL_DEFAULT_STOP_TIMEOUT='3601': expected a duration from 0s to 1h (a bare number "
        "is seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_BACKOFF_MAX", "99999999999999999999"}}) ==
        "AUTOHEAL_BACKOFF_MAX='99999999999999999999': expected a duration from 1s to 24h (a bare "
        "number is seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_WINDOW", "-1"}}) ==
        "AUTOHEAL_WINDOW='-1': expected a duration from 1s to 168h (a bare number is seconds)");
  CHECK(ErrorOf({{"AUTOHEAL_MAX_RESTARTS", "0"}}) ==
        "AUTOHEAL_MAX_RESTARTS '0' is not a whole number from 1 to 1000");
  CHECK(ErrorOf({{"AUTOHEAL_MAX_RESTARTS", "4294967297"}}) ==
        "AUTOHEAL_MAX_RESTARTS '4294967297' is not a whole number from 1 to 1000");
  CHECK(ErrorOf({{"AUTOHEAL_ENABLED", "maybe"}}) ==
        "AUTOHEAL_ENABLED='maybe': expected true or false");
  CHECK(ErrorOf({{"DRY_RUN", "2"}}) == "DRY_RUN='2': expected true or false");
  // Each in range, but not together.
  CHECK(ErrorOf({{"AUTOHEAL_BACKOFF_BASE", "2h"}, {"AUTOHEAL_BACKOFF_MAX", "1h"}}) ==
        "autoheal: backoff max 3600s is below the backoff base 7200s");
}

TEST_CASE("AutohealInputs keeps an unhealthy container whose inspect failed",
          "[autoheal][service]") {
  std::vector<docker::ContainerSummary> listed(3);
  listed[0].id = "ok";
  listed[0].state = "running";
  listed[0].status = "Up 3 minutes (unhealthy)";
  listed[1].id = "broken";
  listed[1].state = "running";
  listed[1].status = "Up 3 minutes (unhealthy)";
  listed[1].labels = {{"autoheal", "true"}};
  listed[2].id = "fine";
  listed[2].status = "Up 1 hour (healthy)";
  std::vector<std::string> inspected;
  const WallTime now = std::chrono::system_clock::from_time_t(1'700'000'000);
  auto containers = AutohealInputs(
      listed,
      [&](const std::string& id) -> Result<docker::ContainerDetails> {
        inspected.push_back(id);
        if (id == "broken") return Status::Unavailable("inspect timed out");
        docker::ContainerDetails details;
        details.id = id;
        details.state = "running";
        details.health = "unhealthy";
        details.started_at = "2023-11-14T22:13:10Z";  // now - 10 s
        return details;
      },
      now);
  CHECK(inspected == std::vector<std::string>{"ok", "broken"});
  REQUIRE(containers.size() == 3);
  CHECK(containers[0].details_known);
  CHECK(containers[0].uptime == 10s);
  CHECK(containers[1].id == "broken");
  CHECK_FALSE(containers[1].details_known);
  CHECK(containers[1].health == "unhealthy");
  CHECK(containers[2].health == "healthy");
  CHECK(containers[2].details_known);
}

}  // namespace
}  // namespace orcastra::agent
