// Following the Docker daemon's event stream for as long as a service runs: the one reconnect
// loop every watcher of the agent and the leader uses.
//
// FollowEvents() streams GET /events with `filters` and calls `on_event` for each event, from the
// calling thread. When the stream ends or fails it logs why (naming `what`), calls
// `hooks.on_lost`, waits through `wait` and connects again: the first retry after 1 s, doubling up
// to 30 s, back to 1 s once a stream delivered an event or stayed up for a minute. It returns when
// `stop` is requested or `wait` returns false (the owning Service is stopping). `hooks.on_connect`
// runs before every connection attempt (a watcher that must re-read what it may have missed uses
// it). Exceptions from the callbacks are not caught here: they reach the Service's error boundary.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string_view>

#include "common/docker_client.h"

namespace orcastra::docker {

struct EventStreamHooks {
  std::function<void()> on_connect;
  std::function<void(const Status&)> on_lost;
};

// Interruptible wait of the caller (Service::WaitFor): false when the caller must stop.
using WaitFunction = std::function<bool(std::chrono::milliseconds)>;

void FollowEvents(Client& docker, const nlohmann::json& filters,
                  const std::function<void(const Event&)>& on_event, const std::stop_token& stop,
                  const WaitFunction& wait, std::string_view what,
                  const EventStreamHooks& hooks = {});

}  // namespace orcastra::docker
