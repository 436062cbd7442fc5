// One standalone agent per node, and a service agent that steps aside for it (doc/healing.md
// "The standalone agent"): the standalone agent holds a Linux abstract unix socket named
// kStandaloneLockName in the node's network namespace (both agents run with the host network), so
// the lock goes with the process, whatever way it ends, and needs no shared file.
#pragma once

#include <chrono>
#include <string>

#include "common/files.h"
#include "common/status.h"

namespace orcastra::agent {

inline constexpr char kStandaloneLockName[] = "orcastra-agent-standalone";
// How often a service agent looks for a standalone one; a standalone agent waits twice this
// before it acts, so the two never act at once.
inline constexpr std::chrono::seconds kStandaloneWatchInterval{2};

class AbstractSocketLock {
 public:
  // Binds the abstract socket `name`; Unavailable when another process holds it.
  static Result<AbstractSocketLock> Acquire(const std::string& name);
  // Whether some process holds `name` now (bind fails with EADDRINUSE).
  static bool Held(const std::string& name);

 private:
  explicit AbstractSocketLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace orcastra::agent

#include <chrono>
#include <functional>

#include "common/service.h"

namespace orcastra::agent {

// A service agent's watch (not --rejoin): when a standalone agent starts on this node, it calls
// `step_aside` (the agent then stops, and idles after Swarm restarts it) within `interval`.
class StandaloneWatch final : public Service {
 public:
  StandaloneWatch(std::chrono::milliseconds interval, std::function<void()> step_aside)
      : Service("standalone-watch"), interval_(interval), step_aside_(std::move(step_aside)) {}

 protected:
  void Run(std::stop_token stop) override;

 private:
  const std::chrono::milliseconds interval_;
  std::function<void()> step_aside_;
};

}  // namespace orcastra::agent
