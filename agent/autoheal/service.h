// Autoheal, the I/O side: every AUTOHEAL_INTERVAL (and at once when a health event arrives) it
// lists the node's containers, asks the AutohealPolicy (agent/autoheal/plan.h) what to do, restarts
// what the policy says through the local daemon, and reports every restart, failure and give-up as
// an event. A failed container list skips the cycle: nothing is restarted on partial data.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "agent/autoheal/plan.h"
#include "common/flags.h"
#include "common/service.h"
#include "common/time_format.h"
#include "protocol/messages.h"

namespace orcastra::agent {

struct AutohealOptions {
  bool enabled = true;   // AUTOHEAL_ENABLED; the label filter keeps it opt-in per container
  bool dry_run = false;  // AUTOHEAL_DRY_RUN, else DRY_RUN: decide and report, restart nothing
  AutohealConfig policy;
};

// AUTOHEAL_ENABLED, AUTOHEAL_DRY_RUN / DRY_RUN, AUTOHEAL_CONTAINER_LABEL, AUTOHEAL_INTERVAL
// (1s..1h), AUTOHEAL_START_PERIOD (0..24h), AUTOHEAL_DEFAULT_STOP_TIMEOUT (0..1h; whole seconds,
// willfarrell/autoheal's names and defaults), AUTOHEAL_BACKOFF_BASE, AUTOHEAL_BACKOFF_MAX
// (1s..24h), AUTOHEAL_MAX_RESTARTS (1..1000), AUTOHEAL_WINDOW (1s..7 days). A bad value is an error
// naming the variable; an empty one counts as unset (common/flags.h EnvReader).
Result<AutohealOptions> AutohealOptionsFromEnv(const EnvLookup& env);

// Pure: the health in a container list's status text ("Up 3 minutes (unhealthy)" -> "unhealthy",
// "(health: starting)" -> "starting", no health check -> "").
std::string HealthFromStatusText(std::string_view status);

// Pure given `inspect`: the policy's view of a container list. Only unhealthy containers are
// inspected (start time, Swarm task labels); one whose inspect fails is kept with details_known
// false, so that the policy neither acts on it nor forgets its backoff. `wall_now` measures
// uptimes.
using InspectContainer = std::function<Result<docker::ContainerDetails>(const std::string& id)>;
std::vector<AutohealContainer> AutohealInputs(const std::vector<docker::ContainerSummary>& listed,
                                              const InspectContainer& inspect, WallTime wall_now);

class Autohealer final : public Service {
 public:
  // `report` receives the events (kind autoheal_restart, autoheal_restart_failed, autoheal_gave_up,
  // autoheal_dry_run); it is called from this service's thread.
  using Report = std::function<void(protocol::Event)>;
  Autohealer(std::string docker_socket, AutohealOptions options, Report report);

  // What it did since the process started (/metrics). Any thread.
  struct Counters {
    std::atomic<std::uint64_t> restarts{0};          // restarts that worked
    std::atomic<std::uint64_t> restart_failures{0};  // restarts the daemon refused
    std::atomic<std::uint64_t> gave_up{0};           // containers given up on (the cap)
    std::atomic<std::uint64_t> dry_runs{0};          // restarts a dry run would have made
  };
  const Counters& counters() const { return counters_; }

 protected:
  void Run(std::stop_token stop) override;

 private:
  const std::string docker_socket_;
  const AutohealOptions options_;
  const Report report_;
  Counters counters_;
};

}  // namespace orcastra::agent
