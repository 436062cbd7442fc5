// The readers of settings values from the environment: config::SettingsFromEnv, the agent's and
// the leader's option parsers (every *_FromEnv of their duties), and the value readers under them
// (ParseDuration, ParseBool, ParseInt, ParsePort). The input is an environment: each line is the
// value of one variable, `NAME=value` names it, other lines go to the known names in turn.
// Invariants: nothing throws; every settings diagnostic names the environment and its variable;
// the durations the settings keep are at least 1 s; ParseDuration gives a non-negative duration
// that reads back from its own "<n>ms"; ParseInt stays in its range, ParsePort is never 0.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/agent.h"
#include "common/flags.h"
#include "config/settings.h"
#include "leader/leader.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

namespace {

// Every variable the settings and option readers look up.
constexpr std::string_view kNames[] = {"ANCHOR_FOLLOW_WINDOW",
                                       "ANCHOR_GRACE_PERIOD",
                                       "AUTOHEAL_BACKOFF_BASE",
                                       "AUTOHEAL_BACKOFF_MAX",
                                       "AUTOHEAL_CONTAINER_LABEL",
                                       "AUTOHEAL_DEFAULT_STOP_TIMEOUT",
                                       "AUTOHEAL_DRY_RUN",
                                       "AUTOHEAL_ENABLED",
                                       "AUTOHEAL_INTERVAL",
                                       "AUTOHEAL_MAX_RESTARTS",
                                       "AUTOHEAL_START_PERIOD",
                                       "AUTOHEAL_WINDOW",
                                       "COMMAND_FILE",
                                       "DEBUG",
                                       "DEPENDENCIES_FILE",
                                       "DOCKER_HOST",
                                       "DRY_RUN",
                                       "EVENT_MODE",
                                       "GC_CLEAN_UP_VOLUMES",
                                       "GC_CRON",
                                       "GC_DRY_RUN",
                                       "GC_ENABLED",
                                       "GC_GRACE_PERIOD_SECONDS",
                                       "GC_MINIMUM_IMAGES_TO_SAVE",
                                       "GC_REMOVABLE_VOLUMES",
                                       "LOGROTATE_DIR",
                                       "LOGROTATE_DRY_RUN",
                                       "LOGROTATE_ENABLED",
                                       "LOGROTATE_INTERVAL",
                                       "LOGROTATE_SIGNAL_GRACE",
                                       "LOGROTATE_STATE_FILE",
                                       "LOOP_INTERVAL",
                                       "MOD_MANAGER_BACKOFF_BASE",
                                       "MOD_MANAGER_BACKOFF_MAX",
                                       "MOD_MANAGER_CONCURRENCY",
                                       "MOD_MANAGER_CONFIG",
                                       "MOD_MANAGER_DEST",
                                       "MOD_MANAGER_DRY_RUN",
                                       "MOD_MANAGER_ENABLED",
                                       "MOD_MANAGER_MAX_BYTES",
                                       "MOD_MANAGER_REFRESH_INTERVAL_MINUTES",
                                       "NODES_FILE",
                                       "ORCASTRA_AGENT_PORT",
                                       "ORCASTRA_BIND",
                                       "ORCASTRA_CGROUP_ROOT",
                                       "ORCASTRA_CONFIG_DIR",
                                       "ORCASTRA_CONTROL_PORT",
                                       "ORCASTRA_HOST_ROOT",
                                       "ORCASTRA_LEADER",
                                       "ORCASTRA_LEASE_DURATION",
                                       "ORCASTRA_LEASE_FOLLOW_RENEWALS",
                                       "ORCASTRA_LEASE_RENEW_DEADLINE",
                                       "ORCASTRA_LEASE_RENEW_INTERVAL",
                                       "ORCASTRA_LEASE_RETRY_PERIOD",
                                       "ORCASTRA_MEMORY_SOURCE",
                                       "ORCASTRA_POLL_INTERVAL",
                                       "ORCASTRA_PROC_ROOT",
                                       "POLLING_MODE",
                                       "PRUNE_UNKNOWN_LABELS",
                                       "REBALANCE_CONFIG",
                                       "REBALANCE_DRY_RUN",
                                       "REBALANCE_GLOBAL_COOLDOWN_MINUTES",
                                       "REBALANCE_GLOBAL_MEM_THRESHOLD_PERCENT",
                                       "REBALANCE_MEMORY_DIFFERENCE_GB",
                                       "REBALANCE_MONITOR_INTERVAL_SECONDS",
                                       "REBALANCE_MOVES_PER_HOUR",
                                       "REBALANCE_PSI_THRESHOLD",
                                       "REBALANCE_SUSTAINED_HIGH_MINUTES",
                                       "RELABEL_TIME",
                                       "REPORT_INTERVAL",
                                       "RESTART_DEPENDENTS",
                                       "RUN_ONCE",
                                       "STACK_NAME",
                                       "SWARM_FILE"};

void CheckValueReaders(const std::string& value) {
  for (auto unit : {std::chrono::milliseconds(1), std::chrono::milliseconds(1000),
                    std::chrono::milliseconds(3'600'000)}) {
    auto duration = ParseDuration(value, unit);
    if (!duration.ok()) continue;
    FUZZ_CHECK(duration->count() >= 0);
    auto back = ParseDuration(std::to_string(duration->count()) + "ms", unit);
    FUZZ_CHECK(back.ok() && *back == *duration);
  }
  (void)ParseBool("FUZZ", value);
  if (auto n = ParseInt(value, -5, 1000, "fuzz"); n.ok()) FUZZ_CHECK(*n >= -5 && *n <= 1000);
  if (auto port = ParsePort(value, "fuzz port"); port.ok()) FUZZ_CHECK(*port != 0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the option readers warn; not what is fuzzed
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  std::map<std::string, std::string, std::less<>> env;
  std::size_t next_name = size > 0 ? data[0] % std::size(kNames) : 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const std::size_t eq = line.find('=');
    if (eq != std::string_view::npos && eq > 0 &&
        line.substr(0, eq).find(' ') == std::string_view::npos) {
      env[std::string(line.substr(0, eq))] = line.substr(eq + 1);
    } else {
      env[std::string(kNames[next_name++ % std::size(kNames)])] = line;
    }
  }
  for (const auto& [name, value] : env) CheckValueReaders(value);

  const EnvLookup lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  config::SettingsRequest request;
  request.dir_exists = [](const std::string&) { return false; };
  auto settings = config::SettingsFromEnv(lookup, request);
  for (const auto& d : settings.diagnostics) {
    FUZZ_CHECK(d.file == config::kEnvironmentFile);
    FUZZ_CHECK(!d.field.empty());
    FUZZ_CHECK(!d.message.empty());
  }
  FUZZ_CHECK(settings.settings.relabel_time >= std::chrono::seconds(1));
  FUZZ_CHECK(settings.settings.loop_interval >= std::chrono::seconds(1));

  (void)agent::ParseAgentOptions({}, lookup);
  (void)leader::ParseLeaderOptions({}, lookup);
  return 0;
}
