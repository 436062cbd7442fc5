// Commands a leader sends to this agent (protocol AgentCommand): gc, rotate_logs, refresh_mods and
// logs. The Reporter receives them on a leader's socket and hands them to the AgentCommandRunner,
// whose own thread runs them one at a time, so a slow Docker call never holds up reports; the
// Reporter sends each result back on the socket its command came from.
//
// gc, rotate_logs and refresh_mods only ask the service concerned for a run (RunNow(), which
// returns at once) and answer "started"; the run's outcome follows as that service's own events
// (gc_*, logrotate_*, modcache_*). logs answers with the lines themselves.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/service.h"
#include "common/status.h"
#include "protocol/messages.h"

namespace orcastra::agent {

// What the agent can run; called on the runner's thread. An empty function: the command is not
// available on this agent (answered as a failure saying so).
struct AgentCommandHandlers {
  std::function<Result<std::string>()> gc;
  std::function<Result<std::string>()> rotate_logs;
  std::function<Result<std::string>()> refresh_mods;
  std::function<Result<std::string>(const std::string& container, std::size_t tail)> container_logs;
  std::function<std::string(std::size_t tail)> own_logs;
};

// Runs `command` with `handlers` and says how it went: an unknown name or a bad argument ("tail"
// not a number in 1..kMaxLogTail) is a failure naming it; output is cut to kMaxCommandOutputBytes
// (CapOutput). `logs` takes "tail" (default kDefaultLogTail) and optional "container" (without it:
// the agent's own log lines).
protocol::AgentCommandResult ExecuteAgentCommand(const protocol::AgentCommand& command,
                                                 const AgentCommandHandlers& handlers);

class AgentCommandRunner final : public Service {
 public:
  // At most this many commands wait; more are refused at once ("busy").
  static constexpr std::size_t kMaxQueued = 16;

  struct Done {
    std::string endpoint;  // the leader endpoint the command came from
    protocol::AgentCommandResult result;
  };

  explicit AgentCommandRunner(AgentCommandHandlers handlers);

  // Called after each command finished (the Reporter's Wake()). Set before Start().
  void SetOnDone(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  // Queues `command` from `endpoint`; false when kMaxQueued are already waiting. Thread-safe.
  bool Submit(std::string endpoint, protocol::AgentCommand command);
  // The finished results, oldest first. Thread-safe.
  std::vector<Done> TakeDone();

 protected:
  void Run(std::stop_token stop) override;

 private:
  struct Queued {
    std::string endpoint;
    protocol::AgentCommand command;
  };

  // Constant after Start().
  const AgentCommandHandlers handlers_;
  std::function<void()> on_done_;

  std::mutex mutex_;
  std::deque<Queued> queue_;  // guarded by mutex_
  std::vector<Done> done_;    // guarded by mutex_
};

}  // namespace orcastra::agent
