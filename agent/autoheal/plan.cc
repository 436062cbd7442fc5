#include "agent/autoheal/plan.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>
#include <utility>

namespace orcastra::agent {
namespace {

using std::chrono::seconds;

std::string Seconds(seconds s) { return std::to_string(s.count()) + "s"; }

AutohealDecision MakeDecision(AutohealDecision::Action action, AutohealReason reason,
                              const AutohealContainer& container, std::string detail) {
  AutohealDecision d;
  d.action = action;
  d.reason = reason;
  d.container_id = container.id;
  d.container_name = container.name;
  d.detail = std::move(detail);
  return d;
}

AutohealDecision Skip(AutohealReason reason, const AutohealContainer& container,
                      std::string detail) {
  return MakeDecision(AutohealDecision::Action::kSkip, reason, container, std::move(detail));
}

}  // namespace

Status ValidateAutohealConfig(const AutohealConfig& config) {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("autoheal: " + what); };
  if (config.container_label.empty()) return bad("container label is empty");
  if (config.interval.count() <= 0)
    return bad("interval " + Seconds(config.interval) + " is not positive");
  if (config.start_period.count() < 0) {
    return bad("start period " + Seconds(config.start_period) + " is negative");
  }
  if (config.default_stop_timeout.count() < 0 ||
      config.default_stop_timeout > kAutohealMaxStopTimeout) {
    return bad("default stop timeout " + Seconds(config.default_stop_timeout) + " is outside 0s.." +
               Seconds(kAutohealMaxStopTimeout));
  }
  if (config.backoff_base.count() <= 0) {
    return bad("backoff base " + Seconds(config.backoff_base) + " is not positive");
  }
  if (config.backoff_max < config.backoff_base) {
    return bad("backoff max " + Seconds(config.backoff_max) + " is below the backoff base " +
               Seconds(config.backoff_base));
  }
  if (config.max_restarts < 1) {
    return bad("max restarts " + std::to_string(config.max_restarts) + " is below 1");
  }
  if (config.window.count() <= 0)
    return bad("window " + Seconds(config.window) + " is not positive");
  if (config.healthy_reset.count() <= 0) {
    return bad("healthy reset " + Seconds(config.healthy_reset) + " is not positive");
  }
  return Status::Ok();
}

AutohealContainer AutohealContainerFrom(const docker::ContainerDetails& details,
                                        std::optional<seconds> uptime) {
  AutohealContainer c;
  c.id = details.id;
  c.name = details.name;
  c.state = details.state;
  c.health = details.health;
  c.labels = details.labels;
  // The decoder also lifts the task id out of the labels; keep the policy's single test (a label).
  if (!details.task_id.empty()) c.labels.emplace(std::string(kSwarmTaskIdLabel), details.task_id);
  c.uptime = uptime;
  return c;
}

std::string_view AutohealReasonName(AutohealReason reason) {
  switch (reason) {
    case AutohealReason::kUnhealthy:
      return "unhealthy";
    case AutohealReason::kBackoff:
      return "backoff";
    case AutohealReason::kCapReached:
      return "cap_reached";
    case AutohealReason::kGaveUpEarlier:
      return "gave_up_earlier";
    case AutohealReason::kNotUnhealthy:
      return "not_unhealthy";
    case AutohealReason::kSwarmTask:
      return "swarm_task";
    case AutohealReason::kNotSelected:
      return "not_selected";
    case AutohealReason::kNotRunning:
      return "not_running";
    case AutohealReason::kInStartPeriod:
      return "in_start_period";
    case AutohealReason::kUptimeUnknown:
      return "uptime_unknown";
    case AutohealReason::kDetailsUnknown:
      return "details_unknown";
    case AutohealReason::kTrackLimit:
      return "track_limit";
  }
  return "unknown";
}

StopTimeout StopTimeoutFor(const docker::Labels& labels, seconds fallback) {
  StopTimeout out{fallback, std::nullopt};
  auto it = labels.find(std::string(kAutohealStopTimeoutLabel));
  if (it == labels.end()) return out;
  const std::string& text = it->second;
  // Digits only (no sign, blank or unit), at most 7 of them so the value cannot overflow.
  bool valid = !text.empty() && text.size() <= 7;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      valid = false;
      break;
    }
    value = value * 10 + (c - '0');
  }
  if (valid && value <= kAutohealMaxStopTimeout.count()) {
    out.value = seconds(value);
    return out;
  }
  out.warning = "label " + std::string(kAutohealStopTimeoutLabel) + "='" + text +
                "' is not a whole number of seconds in 0.." +
                std::to_string(kAutohealMaxStopTimeout.count()) + "; using " + Seconds(fallback);
  return out;
}

seconds AutohealBackoff(const AutohealConfig& config, int restarts) {
  if (restarts < 1) return seconds(0);
  seconds delay = config.backoff_base;
  for (int i = 1; i < restarts && delay < config.backoff_max; ++i) delay *= 2;
  return std::min(delay, config.backoff_max);
}

Result<AutohealPolicy> AutohealPolicy::Create(AutohealConfig config) {
  ORC_RETURN_IF_ERROR(ValidateAutohealConfig(config));
  return AutohealPolicy(std::move(config));
}

bool AutohealPolicy::Selected(const AutohealContainer& container) const {
  if (config_.container_label == kAutohealAllContainers) return true;
  auto it = container.labels.find(config_.container_label);
  return it != container.labels.end() && it->second == "true";
}

bool AutohealPolicy::StreakLongEnough(const Track& track, SteadyTime now) const {
  return track.healthy_since && now - *track.healthy_since >= config_.healthy_reset;
}

void AutohealPolicy::SeenHealthy(const std::string& id, SteadyTime now) {
  auto it = tracks_.find(id);
  if (it == tracks_.end()) return;  // nothing to reset
  Track& track = it->second;
  if (!track.healthy_since) track.healthy_since = now;
  if (StreakLongEnough(track, now)) tracks_.erase(it);
}

void AutohealPolicy::SeenNotHealthy(const std::string& id, SteadyTime now) {
  auto it = tracks_.find(id);
  if (it == tracks_.end()) return;
  // Healthy from healthy_since until now, with no other observation between: long enough counts.
  if (StreakLongEnough(it->second, now)) {
    tracks_.erase(it);
    return;
  }
  it->second.healthy_since.reset();
}

AutohealDecision AutohealPolicy::Evaluate(const AutohealContainer& c, SteadyTime now) {
  using Action = AutohealDecision::Action;
  if (c.health == "healthy") {
    SeenHealthy(c.id, now);
  } else {
    SeenNotHealthy(c.id, now);
  }
  if (c.health != "unhealthy") {
    return Skip(AutohealReason::kNotUnhealthy, c,
                "health is '" + (c.health.empty() ? std::string("none") : c.health) + "'");
  }
  if (!c.details_known) {
    return Skip(AutohealReason::kDetailsUnknown, c,
                "listed as unhealthy but its inspect failed; not acted on this time");
  }
  if (c.labels.count(std::string(kSwarmTaskIdLabel)) > 0) {
    return Skip(AutohealReason::kSwarmTask, c, "a Swarm task: Swarm replaces it");
  }
  if (!Selected(c)) {
    return Skip(AutohealReason::kNotSelected, c,
                "label " + config_.container_label + "=true not set");
  }
  if (c.state != "running") {
    return Skip(AutohealReason::kNotRunning, c, "state is '" + c.state + "'");
  }
  if (config_.start_period.count() > 0) {
    if (!c.uptime) {
      return Skip(AutohealReason::kUptimeUnknown, c, "start time unknown");
    }
    if (*c.uptime < config_.start_period) {
      AutohealDecision d = Skip(
          AutohealReason::kInStartPeriod, c,
          "up " + Seconds(*c.uptime) + " of a start period of " + Seconds(config_.start_period));
      d.until = now + (config_.start_period - *c.uptime);
      return d;
    }
  }

  auto found = tracks_.find(c.id);
  if (found == tracks_.end()) {
    if (tracks_.size() >= kAutohealMaxTracked) {
      return Skip(AutohealReason::kTrackLimit, c,
                  std::to_string(kAutohealMaxTracked) +
                      " containers are already in backoff; not restarted until one recovers");
    }
    found = tracks_.emplace(c.id, Track{}).first;
  }
  Track& track = found->second;
  while (!track.window_restarts.empty() && now - track.window_restarts.front() >= config_.window) {
    track.window_restarts.pop_front();
  }
  const auto in_window = static_cast<int>(track.window_restarts.size());
  if (in_window >= config_.max_restarts) {
    const SteadyTime slot_free = track.window_restarts.front() + config_.window;
    const std::string counted =
        std::to_string(in_window) + " restarts in the last " + Seconds(config_.window);
    if (track.gave_up) {
      AutohealDecision d = Skip(AutohealReason::kGaveUpEarlier, c, "gave up earlier: " + counted);
      d.until = slot_free;
      return d;
    }
    track.gave_up = true;
    AutohealDecision d =
        MakeDecision(Action::kGaveUp, AutohealReason::kCapReached, c,
                     "giving up: " + counted + "; next try when the window frees a slot or after " +
                         Seconds(config_.healthy_reset) + " healthy");
    d.until = slot_free;
    return d;
  }
  track.gave_up = false;
  if (track.next_restart_at && now < *track.next_restart_at) {
    AutohealDecision d =
        MakeDecision(Action::kWait, AutohealReason::kBackoff, c,
                     "backing off after " + std::to_string(track.restarts) + " restart(s)");
    d.until = track.next_restart_at;
    return d;
  }

  StopTimeout stop = StopTimeoutFor(c.labels, config_.default_stop_timeout);
  ++track.restarts;
  track.window_restarts.push_back(now);
  track.next_restart_at = now + stop.value + AutohealBackoff(config_, track.restarts);
  AutohealDecision d = MakeDecision(Action::kRestart, AutohealReason::kUnhealthy, c,
                                    "unhealthy: restart " + std::to_string(track.restarts) +
                                        " with a " + Seconds(stop.value) + " stop timeout");
  d.stop_timeout = stop.value;
  if (stop.warning) d.warnings.push_back(std::move(*stop.warning));
  return d;
}

AutohealDecision AutohealPolicy::OnUnhealthy(const AutohealContainer& container, SteadyTime now) {
  return Evaluate(container, now);
}

void AutohealPolicy::OnHealthy(const std::string& id, SteadyTime now) { SeenHealthy(id, now); }

void AutohealPolicy::OnRestarted(const std::string& id, SteadyTime now, bool ok) {
  auto it = tracks_.find(id);
  if (it == tracks_.end()) return;
  Track& track = it->second;
  if (!ok) ++track.failed_restarts;
  track.next_restart_at = now + AutohealBackoff(config_, track.restarts);
}

std::vector<AutohealDecision> AutohealPolicy::Sweep(
    const std::vector<AutohealContainer>& containers, SteadyTime now) {
  // Forget the containers that are gone first, so that their entries are free for this sweep.
  std::set<std::string> present;
  for (const auto& c : containers) present.insert(c.id);
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    it = present.count(it->first) > 0 ? std::next(it) : tracks_.erase(it);
  }
  std::vector<AutohealDecision> decisions;
  for (const auto& c : containers) {
    if (c.health == "unhealthy") {
      decisions.push_back(Evaluate(c, now));
    } else if (c.health == "healthy") {
      SeenHealthy(c.id, now);
    } else {
      SeenNotHealthy(c.id, now);
    }
  }
  return decisions;
}

std::optional<AutohealState> AutohealPolicy::StateOf(const std::string& id, SteadyTime now) const {
  auto it = tracks_.find(id);
  if (it == tracks_.end()) return std::nullopt;
  const Track& track = it->second;
  AutohealState state;
  state.restarts = track.restarts;
  state.failed_restarts = track.failed_restarts;
  for (SteadyTime t : track.window_restarts) {
    if (now - t < config_.window) ++state.restarts_in_window;
  }
  state.next_restart_at = track.next_restart_at;
  state.healthy_since = track.healthy_since;
  state.gave_up = track.gave_up;
  return state;
}

}  // namespace orcastra::agent
