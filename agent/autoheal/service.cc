#include "agent/autoheal/service.h"

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/log.h"
#include "common/time_format.h"

namespace orcastra::agent {
namespace {

protocol::Event MakeEvent(std::string kind, const AutohealDecision& d, std::string message) {
  protocol::Event event;
  event.kind = std::move(kind);
  event.subject = d.container_id;
  event.message = std::move(message);
  event.attrs["name"] = d.container_name;
  event.attrs["reason"] = std::string(AutohealReasonName(d.reason));
  return event;
}

}  // namespace

Result<AutohealOptions> AutohealOptionsFromEnv(const EnvLookup& env) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const EnvReader reader(env);
  AutohealOptions options;
  ORC_RETURN_IF_ERROR(reader.ReadBool("AUTOHEAL_ENABLED", &options.enabled));
  if (auto name = reader.FirstSet({"AUTOHEAL_DRY_RUN", "DRY_RUN"})) {
    ORC_RETURN_IF_ERROR(reader.ReadBool(*name, &options.dry_run));
  }
  AutohealConfig& c = options.policy;
  if (auto v = reader.Get("AUTOHEAL_CONTAINER_LABEL")) c.container_label = *v;
  struct {
    const char* name;
    milliseconds min;
    milliseconds max;
    seconds* target;
  } durations[] = {
      {"AUTOHEAL_INTERVAL", seconds(1), hours(1), &c.interval},
      {"AUTOHEAL_START_PERIOD", seconds(0), hours(24), &c.start_period},
      {"AUTOHEAL_DEFAULT_STOP_TIMEOUT", seconds(0), kAutohealMaxStopTimeout,
       &c.default_stop_timeout},
      {"AUTOHEAL_BACKOFF_BASE", seconds(1), hours(24), &c.backoff_base},
      {"AUTOHEAL_BACKOFF_MAX", seconds(1), hours(24), &c.backoff_max},
      {"AUTOHEAL_WINDOW", seconds(1), hours(24 * 7), &c.window},
  };
  for (const auto& d : durations) {
    ORC_RETURN_IF_ERROR(reader.ReadDuration(d.name, seconds(1), d.min, d.max, d.target));
  }
  ORC_RETURN_IF_ERROR(reader.ReadInt("AUTOHEAL_MAX_RESTARTS", 1, 1000, &c.max_restarts));
  ORC_RETURN_IF_ERROR(ValidateAutohealConfig(c));
  return options;
}

std::string HealthFromStatusText(std::string_view status) {
  if (status.find("(unhealthy)") != std::string_view::npos) return "unhealthy";
  if (status.find("(healthy)") != std::string_view::npos) return "healthy";
  if (status.find("(health: starting)") != std::string_view::npos) return "starting";
  return "";
}

std::vector<AutohealContainer> AutohealInputs(const std::vector<docker::ContainerSummary>& listed,
                                              const InspectContainer& inspect, WallTime wall_now) {
  std::vector<AutohealContainer> containers;
  containers.reserve(listed.size());
  for (const auto& summary : listed) {
    AutohealContainer c{summary.id,     summary.name,
                        summary.state,  HealthFromStatusText(summary.status),
                        summary.labels, std::nullopt};
    if (c.health == "unhealthy") {
      auto details = inspect(summary.id);
      if (!details.ok()) {
        // Gone meanwhile, or unreadable: not acted on this cycle, but not forgotten either.
        c.details_known = false;
        containers.push_back(std::move(c));
        continue;
      }
      std::optional<std::chrono::seconds> uptime;
      auto started = ParseRfc3339(details->started_at);
      if (started.ok() && started->has_value()) {
        uptime = std::chrono::duration_cast<std::chrono::seconds>(wall_now - **started);
      }
      c = AutohealContainerFrom(*details, uptime);
    }
    containers.push_back(std::move(c));
  }
  return containers;
}

Autohealer::Autohealer(std::string docker_socket, AutohealOptions options, Report report)
    : Service("autoheal"),
      docker_socket_(std::move(docker_socket)),
      options_(std::move(options)),
      report_(std::move(report)) {}

void Autohealer::Run(std::stop_token stop) {
  auto log = Logger("autoheal");
  auto created = AutohealPolicy::Create(options_.policy);
  if (!created.ok()) {
    log->error("autoheal disabled: {}", created.status().ToString());
    return;
  }
  AutohealPolicy policy = std::move(created).value();
  docker::Client docker({.socket_path = docker_socket_});
  SystemClock clock;
  log->info("autoheal {}: containers labelled {}, every {} s{}", options_.enabled ? "on" : "off",
            options_.policy.container_label == "all" ? "(all)"
                                                     : options_.policy.container_label + "=true",
            options_.policy.interval.count(), options_.dry_run ? ", dry run" : "");
  while (options_.enabled && !stop.stop_requested()) {
    auto listed = docker.Containers(/*all=*/true);
    if (!listed.ok()) {
      log->warn("cycle skipped, container list failed: {}", listed.status().ToString());
    } else {
      std::vector<AutohealContainer> containers = AutohealInputs(
          *listed,
          [&](const std::string& id) -> Result<docker::ContainerDetails> {
            auto details = docker.InspectContainer(id);
            if (!details.ok()) {
              log->warn("container '{}' is unhealthy but its inspect failed: {}", id,
                        details.status().ToString());
            }
            return details;
          },
          std::chrono::system_clock::now());
      for (const AutohealDecision& d : policy.Sweep(containers, clock.Now())) {
        for (const auto& warning : d.warnings)
          log->warn("container '{}': {}", d.container_name, warning);
        switch (d.action) {
          case AutohealDecision::Action::kRestart: {
            if (options_.dry_run) {
              log->info("dry run: would restart unhealthy container '{}'", d.container_name);
              policy.OnRestarted(d.container_id, clock.Now(), true);
              counters_.dry_runs.fetch_add(1, std::memory_order_relaxed);
              report_(MakeEvent("autoheal_dry_run", d, "would restart (dry run)"));
              break;
            }
            Status restarted = docker.RestartContainer(d.container_id, d.stop_timeout);
            policy.OnRestarted(d.container_id, clock.Now(), restarted.ok());
            (restarted.ok() ? counters_.restarts : counters_.restart_failures)
                .fetch_add(1, std::memory_order_relaxed);
            if (restarted.ok()) {
              log->info("restarted unhealthy container '{}'", d.container_name);
              report_(MakeEvent("autoheal_restart", d, "restarted: " + d.detail));
            } else {
              log->error("restart of container '{}' failed: {}", d.container_name,
                         restarted.ToString());
              report_(MakeEvent("autoheal_restart_failed", d, restarted.ToString()));
            }
            break;
          }
          case AutohealDecision::Action::kGaveUp:
            log->error("giving up on container '{}': {}", d.container_name, d.detail);
            counters_.gave_up.fetch_add(1, std::memory_order_relaxed);
            report_(MakeEvent("autoheal_gave_up", d, d.detail));
            break;
          case AutohealDecision::Action::kWait:
          case AutohealDecision::Action::kSkip:
            log->debug("container '{}': {} ({})", d.container_name, AutohealReasonName(d.reason),
                       d.detail);
            break;
        }
      }
    }
    if (!WaitFor(stop, options_.policy.interval)) break;
  }
}

}  // namespace orcastra::agent
