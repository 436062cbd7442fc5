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
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/docker_client.h"

namespace orcastra::docker {

// GET /events writes one JSON object per line; a line this long is not an event stream.
inline constexpr std::size_t kMaxEventLineBytes = 8u << 20;

// One line of the stream (without its '\n'): the event, or ParseError "not JSON" or DecodeEvent's
// error. Pure; never throws.
Result<Event> DecodeEventLine(std::string_view line);

// Cuts the bytes of an event stream, as they arrive in chunks, into lines. Each byte is looked at
// once however the chunks fall, and the unfinished line is bounded. Not thread-safe: one per
// stream.
class EventLineSplitter {
 public:
  explicit EventLineSplitter(std::size_t max_line_bytes = kMaxEventLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Appends `bytes` and calls `on_line` with each complete line that is not blank (spaces, tabs
  // and '\r' only), in order. Returns false when the unfinished line is longer than
  // max_line_bytes: the stream must be dropped. An exception from `on_line` propagates; the lines
  // before it are consumed.
  bool Append(std::string_view bytes, const std::function<void(std::string_view)>& on_line);

  // The bytes of the unfinished line (the HTTP body of an error answer, when the stream failed).
  const std::string& pending() const { return buffer_; }

 private:
  std::size_t max_line_bytes_;
  std::string buffer_;
  std::size_t scanned_ = 0;  // bytes at the start of buffer_ known to hold no '\n'
};

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
