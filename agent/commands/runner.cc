#include "agent/commands/runner.h"

#include "agent/commands/remote_logs.h"
#include "common/flags.h"
#include "common/log.h"

namespace orcastra::agent {
namespace {

protocol::AgentCommandResult Failed(std::uint64_t id, std::string why) {
  return {id, false, std::move(why), ""};
}

protocol::AgentCommandResult FromResult(std::uint64_t id, Result<std::string> outcome) {
  if (!outcome.ok()) return Failed(id, outcome.status().ToString());
  return {id, true, "", CapOutput(*outcome, protocol::kMaxCommandOutputBytes)};
}

}  // namespace

protocol::AgentCommandResult ExecuteAgentCommand(const protocol::AgentCommand& command,
                                                 const AgentCommandHandlers& handlers) {
  const std::uint64_t id = command.id;
  auto not_available = [&] {
    return Failed(id, "'" + command.name + "' is not available on this agent");
  };
  if (command.name == "gc" || command.name == "rotate_logs" || command.name == "refresh_mods") {
    const auto& handler = command.name == "gc"            ? handlers.gc
                          : command.name == "rotate_logs" ? handlers.rotate_logs
                                                          : handlers.refresh_mods;
    if (!handler) return not_available();
    return FromResult(id, handler());
  }
  if (command.name == "logs") {
    std::size_t tail = kDefaultLogTail;
    if (auto it = command.args.find("tail"); it != command.args.end() && !it->second.empty()) {
      auto parsed = ParseInt(it->second, 1, static_cast<std::int64_t>(kMaxLogTail), "tail");
      if (!parsed.ok()) return Failed(id, parsed.status().message());
      tail = static_cast<std::size_t>(*parsed);
    }
    auto container = command.args.find("container");
    if (container == command.args.end() || container->second.empty()) {
      if (!handlers.own_logs) return not_available();
      return FromResult(id, handlers.own_logs(tail));
    }
    if (!handlers.container_logs) return not_available();
    return FromResult(id, handlers.container_logs(container->second, tail));
  }
  return Failed(id, "unknown agent command '" + command.name + "'");
}

AgentCommandRunner::AgentCommandRunner(AgentCommandHandlers handlers)
    : Service("agent-commands"), handlers_(std::move(handlers)) {}

bool AgentCommandRunner::Submit(std::string endpoint, protocol::AgentCommand command) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) return false;
    queue_.push_back({std::move(endpoint), std::move(command)});
  }
  Wake();
  return true;
}

std::vector<AgentCommandRunner::Done> AgentCommandRunner::TakeDone() {
  std::lock_guard lock(mutex_);
  std::vector<Done> out;
  out.swap(done_);
  return out;
}

void AgentCommandRunner::Run(std::stop_token stop) {
  auto log = Logger("agent");
  while (!stop.stop_requested()) {
    std::optional<Queued> next;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        next = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (!next) {
      if (!WaitFor(stop, std::chrono::seconds(5))) break;
      continue;
    }
    log->info("running command '{}' (id {}) from leader '{}'", next->command.name, next->command.id,
              next->endpoint);
    protocol::AgentCommandResult result = ExecuteAgentCommand(next->command, handlers_);
    if (!result.ok) {
      log->warn("command '{}' (id {}) failed: {}", next->command.name, next->command.id,
                result.error);
    }
    {
      std::lock_guard lock(mutex_);
      done_.push_back({std::move(next->endpoint), std::move(result)});
    }
    if (on_done_) on_done_();
  }
}

}  // namespace orcastra::agent
