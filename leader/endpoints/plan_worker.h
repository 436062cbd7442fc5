// `orcastra plan` off the endpoints thread. Making a plan reads Swarm (ReadSnapshot: 3 Engine API
// calls), and a slow daemon must not stall agent reports and CLI replies, so the endpoints thread
// hands each plan query to the PlanWorker, a Service with its own Docker client, and sends the
// finished reply when it comes back (TakeAnswers).
//
// The same worker runs any other request that waits on something slow, as a job with its own
// `run`: `config apply` (Swarm writes) on the plans' worker, and a query forwarded to the active
// instance (a blocking request to another leader) on a second worker of its own.
//
// Bounded: at most `max_jobs` plans are queued, running or finished and not yet taken; Submit
// refuses more as busy. Submit and TakeAnswers are thread-safe; RunOne runs on one thread at a time
// (the worker's, or a test's that never starts it).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/service.h"
#include "common/status.h"
#include "leader/anchors/reconciler.h"
#include "leader/controller/service.h"
#include "leader/heal/service.h"
#include "leader/rebalance/service.h"
#include "protocol/messages.h"

namespace orcastra::leader {

struct PlanJob {
  std::string cli_identity;   // who asked (control endpoint identity)
  ControllerView view;        // the controller's configuration and memory when the query came
  protocol::Reply reply;      // answered_by and from_active_leader filled in
  RebalanceView rebalance{};  // the rebalancer's pressure, memory and settings likewise
  std::string what = "plan";  // the query, for the answer's error texts
  // When set, the job: runs on the worker's thread with its SwarmApi (null on a worker without
  // one) and makes the reply itself. Otherwise a plan is made (MakePlanReply).
  std::function<protocol::Reply(SwarmApi*)> run{};
  HealView heal{};  // the healer's settings and memory then (leader/heal/service.h)
};

struct PlanAnswer {
  std::string cli_identity;
  protocol::Reply reply;
  std::string what = "plan";
};

// The `plan` reply: a fresh complete read of Swarm through `api`, planned with the view's
// configuration, settings and backoff memory; nothing is changed. An error reply when there is no
// configuration or the read is incomplete (no plan on partial data). With `rebalance`, the reply
// has the rebalancer's plan too (RebalancePlanNow) under "rebalance"; with `heal`, a "heal" part:
// the healing actions with their reasons, made from the same node list.
protocol::Reply MakePlanReply(SwarmApi& api, const ControllerView& view, protocol::Reply reply,
                              SteadyTime now, const RebalanceView* rebalance = nullptr,
                              std::int64_t now_ms = 0, const HealView* heal = nullptr);

class PlanWorker final : public Service {
 public:
  // `api` is used only by the thread that runs the jobs (may be null for a worker whose jobs all
  // have their own `run` and need no Swarm); `name` names the Service.
  PlanWorker(std::shared_ptr<SwarmApi> api, const Clock& clock, std::size_t max_jobs = kMaxPlanJobs,
             std::string name = "plan-worker");

  // Queues `job`. Unavailable ("busy", naming how many wait) when max_jobs are in flight.
  Status Submit(PlanJob job);
  // The replies finished since the last call, oldest first.
  std::vector<PlanAnswer> TakeAnswers();
  // Runs the oldest queued job on the calling thread; false when none was queued. A job that
  // throws is answered with an error reply, never dropped.
  bool RunOne();
  // How many plans are queued, running or finished and not yet taken.
  std::size_t in_flight();

  static constexpr std::size_t kMaxPlanJobs = 4;

 protected:
  void Run(std::stop_token stop) override;

 private:
  const std::shared_ptr<SwarmApi> api_;
  const Clock& clock_;
  const std::size_t max_jobs_;
  std::mutex mutex_;
  std::deque<PlanJob> jobs_;         // guarded by mutex_
  std::vector<PlanAnswer> answers_;  // guarded by mutex_
  std::size_t in_flight_ = 0;        // guarded by mutex_: queued + running + unanswered
};

}  // namespace orcastra::leader
