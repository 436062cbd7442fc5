#include "common/docker_events.h"

#include <algorithm>

#include "common/log.h"

namespace orcastra::docker {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{1000};
constexpr std::chrono::milliseconds kMaxRetry{30000};
constexpr std::chrono::minutes kHealthyStream{1};

}  // namespace

Result<Event> DecodeEventLine(std::string_view line) {
  const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::ParseError("not JSON");
  return DecodeEvent(parsed);
}

bool EventLineSplitter::Append(std::string_view bytes,
                               const std::function<void(std::string_view)>& on_line) {
  buffer_.append(bytes);
  std::size_t start = 0;
  while (true) {
    const std::size_t end = buffer_.find('\n', std::max(start, scanned_));
    if (end == std::string::npos) break;
    const std::string_view line(buffer_.data() + start, end - start);
    start = end + 1;
    scanned_ = start;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    try {
      on_line(line);
    } catch (...) {
      buffer_.erase(0, start);
      scanned_ = 0;
      throw;
    }
  }
  buffer_.erase(0, start);
  scanned_ = buffer_.size();
  return buffer_.size() <= max_line_bytes_;
}

void FollowEvents(Client& docker, const nlohmann::json& filters,
                  const std::function<void(const Event&)>& on_event, const std::stop_token& stop,
                  const WaitFunction& wait, std::string_view what, const EventStreamHooks& hooks) {
  std::chrono::milliseconds retry = kFirstRetry;
  while (!stop.stop_requested()) {
    if (hooks.on_connect) hooks.on_connect();
    const auto started = std::chrono::steady_clock::now();
    bool delivered = false;
    Status ended = docker.StreamEvents(
        filters,
        [&](const Event& event) {
          delivered = true;
          on_event(event);
        },
        stop);
    if (hooks.on_lost) hooks.on_lost(ended);
    if (stop.stop_requested()) return;
    if (delivered || std::chrono::steady_clock::now() - started >= kHealthyStream) {
      retry = kFirstRetry;
    }
    Logger("docker")->warn("{} event stream ended, retrying in {} ms: {}", what, retry.count(),
                           ended.ToString());
    if (!wait(retry)) return;
    retry = std::min(retry * 2, kMaxRetry);
  }
}

}  // namespace orcastra::docker
