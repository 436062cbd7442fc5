// Autoheal: restart unhealthy local containers that Swarm does not look after, with backoff and a
// cap, as a pure state machine driven by health events and a periodic sweep.
//
// Selection follows willfarrell/autoheal: a container is watched when its label
// AUTOHEAL_CONTAINER_LABEL (default "autoheal") has the value "true", or every container when that
// setting is "all"; its stop timeout for the restart comes from the label "autoheal.stop.timeout"
// (seconds), else AUTOHEAL_DEFAULT_STOP_TIMEOUT. Differences, on purpose:
// - Swarm tasks (label com.docker.swarm.task.id) are never restarted: Swarm replaces its own
//   unhealthy tasks, and a restart behind its back fights it.
// - Only running containers are restarted (willfarrell skips only `restarting` ones); a stopped or
//   paused container is its owner's business.
// - AUTOHEAL_START_PERIOD counts from each container's start, not from the agent's, so a container
//   that has just been (re)started gets the same time to settle whenever the agent started.
// - Restarts of one container back off exponentially and are capped per window (below).
//
// Backoff and cap, per container: the first restart is immediate; after the n-th restart the next
// one waits min(backoff_base * 2^(n-1), backoff_max), counted from the end of the restart
// (OnRestarted) or, until that is reported, from the decision plus the stop timeout. At most
// `max_restarts` restarts fit in any `window`; when the cap is hit the policy gives up on the
// container with one kGaveUp decision, then only kSkip(kGaveUpEarlier) until a slot in the window
// frees up. Everything (backoff, window, gave-up) is reset only when the container has been seen
// healthy without interruption for `healthy_reset`: a container that flaps healthy/unhealthy
// cannot escape the cap, and a success does not wipe the backoff (the Python Orcastra's bug).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/docker_types.h"
#include "common/status.h"

namespace orcastra::agent {

// AUTOHEAL_CONTAINER_LABEL value that selects every container.
inline constexpr std::string_view kAutohealAllContainers = "all";
// Per-container stop timeout in seconds, as in willfarrell/autoheal.
inline constexpr std::string_view kAutohealStopTimeoutLabel = "autoheal.stop.timeout";
// Present on every container that Swarm runs as a task.
inline constexpr std::string_view kSwarmTaskIdLabel = "com.docker.swarm.task.id";
// Stop timeouts above this (from the label) are taken for mistakes.
inline constexpr std::chrono::seconds kAutohealMaxStopTimeout{3600};
// At most this many containers are remembered (one entry per container restarted since it was last
// healthy for healthy_reset). A container that would need a new entry beyond it is not restarted
// (kTrackLimit): forgetting another one's backoff instead could restart it in a loop.
inline constexpr std::size_t kAutohealMaxTracked = 4096;

// Autoheal settings (env AUTOHEAL_*). The first four keep willfarrell/autoheal's names and
// defaults.
struct AutohealConfig {
  // AUTOHEAL_CONTAINER_LABEL: the label whose value "true" selects a container; "all" selects all.
  std::string container_label = "autoheal";
  // AUTOHEAL_INTERVAL: how often the caller runs Sweep(). The policy itself does not use it.
  std::chrono::seconds interval{5};
  // AUTOHEAL_START_PERIOD: a container younger than this (since its start) is left alone.
  std::chrono::seconds start_period{0};
  // AUTOHEAL_DEFAULT_STOP_TIMEOUT: seconds Docker waits for a stop before it kills, on restart.
  std::chrono::seconds default_stop_timeout{10};
  // Wait after the first restart; it doubles after each further restart, up to backoff_max.
  std::chrono::seconds backoff_base{30};
  std::chrono::seconds backoff_max{std::chrono::minutes(10)};
  // At most max_restarts restarts of one container in any window.
  int max_restarts = 5;
  std::chrono::seconds window{std::chrono::hours(1)};
  // Seen healthy this long without interruption: backoff, window and gave-up are forgotten.
  std::chrono::seconds healthy_reset{std::chrono::minutes(5)};
};

// InvalidArgument naming the setting when one is out of range (empty label, negative period,
// backoff_base not positive or above backoff_max, max_restarts < 1, window or healthy_reset not
// positive, default stop timeout outside 0..kAutohealMaxStopTimeout).
Status ValidateAutohealConfig(const AutohealConfig& config);

// What the policy needs to know about one container, from GET /containers/{id}/json.
struct AutohealContainer {
  std::string id;
  std::string name;
  std::string state;   // running, restarting, paused, exited, ...
  std::string health;  // "" (no healthcheck), starting, healthy, unhealthy
  docker::Labels labels;
  // Time since State.StartedAt, measured by the caller on the daemon's wall clock when it read the
  // container; nullopt when unknown. Only needed when start_period is not zero.
  std::optional<std::chrono::seconds> uptime;
  // False when the list says unhealthy but the inspect failed: the container still exists (it is
  // in the list), so its backoff, window and give-up are kept, but it is not acted on this time.
  bool details_known = true;
};

// The policy's view of an inspected container; `uptime` as in AutohealContainer.
AutohealContainer AutohealContainerFrom(const docker::ContainerDetails& details,
                                        std::optional<std::chrono::seconds> uptime);

// Why a decision was taken. AutohealReasonName() gives the stable snake_case name.
enum class AutohealReason {
  kUnhealthy,       // kRestart: selected, unhealthy, running, past its start period
  kBackoff,         // kWait: restarted recently; `until` is when the backoff ends
  kCapReached,      // kGaveUp: max_restarts in the window; `until` is when a slot frees up
  kGaveUpEarlier,   // kSkip: the gave-up decision was already made; `until` as above
  kNotUnhealthy,    // kSkip: the container's health is not "unhealthy"
  kSwarmTask,       // kSkip: a Swarm task; Swarm replaces it itself
  kNotSelected,     // kSkip: the label filter does not select it
  kNotRunning,      // kSkip: not in state running (restarting, paused, exited, ...)
  kInStartPeriod,   // kSkip: started less than start_period ago; `until` is when that ends
  kUptimeUnknown,   // kSkip: start_period is set but the container's uptime is not known
  kDetailsUnknown,  // kSkip: listed as unhealthy, but its inspect failed; state kept
  kTrackLimit,      // kSkip: kMaxAutohealTracked containers are tracked already; not restarted
};

std::string_view AutohealReasonName(AutohealReason reason);

// One decision about one unhealthy container.
struct AutohealDecision {
  enum class Action {
    kRestart,  // POST /containers/{id}/restart?t=<stop_timeout>, then OnRestarted()
    kWait,     // backoff: nothing now
    kGaveUp,   // report loudly (event, warn log): emitted once per give-up
    kSkip,     // nothing; for `plan` and debug logs
  };
  Action action = Action::kSkip;
  AutohealReason reason = AutohealReason::kNotUnhealthy;
  std::string container_id;
  std::string container_name;
  std::chrono::seconds stop_timeout{0};  // kRestart only
  std::optional<SteadyTime> until;       // see AutohealReason
  std::string detail;                    // for people
  std::vector<std::string> warnings;     // e.g. an invalid autoheal.stop.timeout label
};

// The stop timeout for a container: its autoheal.stop.timeout label when that is a whole number
// of seconds in 0..kAutohealMaxStopTimeout, else `fallback` and a warning naming the bad value.
struct StopTimeout {
  std::chrono::seconds value{0};
  std::optional<std::string> warning;
};
StopTimeout StopTimeoutFor(const docker::Labels& labels, std::chrono::seconds fallback);

// The wait after the n-th restart (n >= 1): min(base * 2^(n-1), max). Zero for n < 1.
std::chrono::seconds AutohealBackoff(const AutohealConfig& config, int restarts);

// What the policy remembers about one container, for `orcastra plan` and tests.
struct AutohealState {
  int restarts = 0;            // since the last reset; drives the backoff
  int restarts_in_window = 0;  // at the time asked
  int failed_restarts = 0;     // restarts reported with ok=false since the last reset
  std::optional<SteadyTime> next_restart_at;
  std::optional<SteadyTime> healthy_since;
  bool gave_up = false;
};

// The autoheal state machine. Every call takes the current monotonic time; nothing reads a clock.
// Not thread-safe: one thread (the autoheal service) owns it. State is in memory only: an agent
// restart starts every container's backoff afresh, which the cap per window still bounds.
class AutohealPolicy {
 public:
  // InvalidArgument when `config` fails ValidateAutohealConfig().
  static Result<AutohealPolicy> Create(AutohealConfig config);

  // A health_status: unhealthy event, with the container as inspected afterwards. Returns the
  // decision; a kRestart is counted as a restart at once (the caller must do it or OnRestarted
  // with ok=false).
  AutohealDecision OnUnhealthy(const AutohealContainer& container, SteadyTime now);

  // A health_status: healthy event. Starts (or continues) the healthy streak that resets the
  // container's backoff after healthy_reset.
  void OnHealthy(const std::string& id, SteadyTime now);

  // The restart decided earlier finished at `now`; `ok` false when the Docker call failed. The
  // backoff is counted from here. Unknown ids are ignored.
  void OnRestarted(const std::string& id, SteadyTime now, bool ok);

  // Periodic pass over every container of the node (the complete list; skip the sweep when the
  // list could not be read). Returns one decision per unhealthy container, in input order, takes
  // note of healthy ones, and first forgets containers that are no longer in the list. One whose
  // inspect failed stays in the list (details_known false): it is still there, and forgetting it
  // would erase its backoff.
  std::vector<AutohealDecision> Sweep(const std::vector<AutohealContainer>& containers,
                                      SteadyTime now);

  // Forgets a container (destroy event). Entries are also dropped by Sweep (container gone) and
  // after healthy_reset healthy; at most kAutohealMaxTracked exist.
  void Forget(const std::string& id) { tracks_.erase(id); }

  // The remembered state of a container, nullopt when nothing is remembered.
  std::optional<AutohealState> StateOf(const std::string& id, SteadyTime now) const;
  std::size_t tracked() const { return tracks_.size(); }

  const AutohealConfig& config() const { return config_; }

 private:
  struct Track {
    int restarts = 0;
    int failed_restarts = 0;
    std::deque<SteadyTime> window_restarts;  // decision times still inside the window
    std::optional<SteadyTime> next_restart_at;
    std::optional<SteadyTime> healthy_since;
    bool gave_up = false;
  };

  explicit AutohealPolicy(AutohealConfig config) : config_(std::move(config)) {}

  bool Selected(const AutohealContainer& container) const;
  AutohealDecision Evaluate(const AutohealContainer& container, SteadyTime now);
  // Healthy observation: starts the streak, or forgets the container once it is long enough.
  void SeenHealthy(const std::string& id, SteadyTime now);
  // Any other observation of a tracked container: a long enough streak that just ended resets it,
  // then the streak is broken.
  void SeenNotHealthy(const std::string& id, SteadyTime now);
  bool StreakLongEnough(const Track& track, SteadyTime now) const;

  AutohealConfig config_;
  std::map<std::string, Track> tracks_;
};

}  // namespace orcastra::agent
