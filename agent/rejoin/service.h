// The standalone agent's re-join loop (`orcastra agent --rejoin`; doc/healing.md "Re-join"). Every
// `interval` it reads the local daemon's Swarm state and follows PlanRejoin (agent/rejoin/plan.h):
// while the node is in the swarm it keeps its memory (agent/rejoin/memory.h) current; once the
// daemon is out of every swarm it asks each remembered leader endpoint in turn until the active
// instance answers, and joins with the worker token and the managers the answer names, as the
// node's old advertise address. Every join and every change of what it waits for is an event.
//
// Its side effects come in at construction (the daemon's info and join, the ask over the
// network, the memory's files, the clock), so Pass() runs in unit tests on a simulated clock.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "agent/rejoin/memory.h"
#include "agent/rejoin/plan.h"
#include "common/clock.h"
#include "common/docker_types.h"
#include "common/service.h"
#include "protocol/curve.h"
#include "protocol/messages.h"

namespace orcastra::agent {

// The answer of one leader endpoint to a join request: its JoinAnswer, or that it is a standby
// (`standby`: try the next one), or why none came (`status`).
struct AskOutcome {
  Status status = Status::Ok();
  bool standby = false;
  protocol::JoinAnswer answer{};
};

struct RejoinHooks {
  std::function<Result<docker::SystemInfo>()> info;
  std::function<Status(const docker::SwarmJoinRequest&)> join;
  std::function<AskOutcome(const std::string& endpoint, const Membership& membership)> ask;
  std::function<Result<Membership>()> load;
  // Stores the membership (and copies the node's certificate); called only when it changed.
  std::function<Status(const Membership&)> save;
  std::function<void(protocol::Event)> report;
};

class RejoinLoop {
 public:
  RejoinLoop(std::uint16_t leader_port, const Clock& clock, RejoinHooks hooks);
  // One look at the daemon, and what it calls for.
  void Pass();
  // What the loop is doing, for /readyz and logs ("" when the node is in the swarm).
  std::string waiting_for() const;

 private:
  void Remember(const docker::SystemInfo& info);
  void Ask(const std::string& local_state);
  void Wait(const std::string& why);
  void Emit(const std::string& kind, const std::string& message,
            std::map<std::string, std::string> attrs = {});

  const std::uint16_t leader_port_;
  const Clock& clock_;
  RejoinHooks hooks_;
  std::optional<Membership> memory_;
  bool memory_read_ = false;
  int failures_ = 0;
  std::optional<SteadyTime> next_ask_;
  std::string last_wait_;
  std::string last_refusal_;  // reported once until it changes or the node is in a swarm again
  mutable std::mutex mutex_;
  std::string waiting_for_;  // guarded by mutex_
};

// The request of one endpoint over CURVE: a hello attested with the remembered certificate
// (`memory_dir`), then a join_request, each answer awaited up to `timeout`.
AskOutcome AskLeaderToJoin(zmq::context_t& context, const std::string& endpoint,
                           const Membership& membership, const std::string& memory_dir,
                           const protocol::ClientSecurity& security, const std::string& version,
                           const Clock& clock, std::chrono::milliseconds timeout);

// The Service around RejoinLoop: a pass every `interval`.
class Rejoiner final : public Service {
 public:
  Rejoiner(std::chrono::milliseconds interval, std::unique_ptr<RejoinLoop> loop);
  const RejoinLoop& loop() const { return *loop_; }

 protected:
  void Run(std::stop_token stop) override;

 private:
  const std::chrono::milliseconds interval_;
  std::unique_ptr<RejoinLoop> loop_;
};

}  // namespace orcastra::agent
