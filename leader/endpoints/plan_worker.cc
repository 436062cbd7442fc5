#include "leader/endpoints/plan_worker.h"

#include <exception>

#include "common/log.h"
#include "common/utf8.h"
#include "leader/anchors/views.h"

namespace orcastra::leader {

protocol::Reply MakePlanReply(SwarmApi& api, const ControllerView& view, protocol::Reply reply,
                              SteadyTime now, const RebalanceView* rebalance, std::int64_t now_ms,
                              const HealView* heal) {
  if (!view.has_config || !view.config) {
    reply.error = "no configuration in force" +
                  (view.config_problem.empty() ? std::string() : ":\n" + view.config_problem);
    return reply;
  }
  auto snapshot = ReadSnapshot(api, view.config->swarm, view.settings.default_stack);
  if (!snapshot.ok()) {
    reply.error = "no plan on partial data: " + snapshot.status().ToString();
    return reply;
  }
  Plan plan = PlanReconcile(view.config->swarm, view.settings, *snapshot, view.memory, now);
  nlohmann::json result = PlanJson(plan);
  result["dry_run"] = view.dry_run;
  result["dependents_paused"] = view.dependents_paused;
  result["from_active_leader"] = reply.from_active_leader;
  if (rebalance != nullptr) result["rebalance"] = RebalancePlanNow(api, *rebalance, now, now_ms);
  if (heal != nullptr)
    result["heal"] = HealPlanNow(view.config->swarm, *heal, snapshot->nodes, now);
  reply.ok = true;
  reply.result_json = DumpJson(result);
  return reply;
}

PlanWorker::PlanWorker(std::shared_ptr<SwarmApi> api, const Clock& clock, std::size_t max_jobs,
                       std::string name)
    : Service(std::move(name)), api_(std::move(api)), clock_(clock), max_jobs_(max_jobs) {}

Status PlanWorker::Submit(PlanJob job) {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ >= max_jobs_) {
      return Status::Unavailable("busy: " + std::to_string(in_flight_) +
                                 " requests are being worked on already; try again shortly");
    }
    ++in_flight_;
    jobs_.push_back(std::move(job));
  }
  Wake();
  return Status::Ok();
}

std::vector<PlanAnswer> PlanWorker::TakeAnswers() {
  std::lock_guard lock(mutex_);
  std::vector<PlanAnswer> out = std::move(answers_);
  answers_.clear();
  in_flight_ -= out.size();
  return out;
}

std::size_t PlanWorker::in_flight() {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

bool PlanWorker::RunOne() {
  PlanJob job;
  {
    std::lock_guard lock(mutex_);
    if (jobs_.empty()) return false;
    job = std::move(jobs_.front());
    jobs_.pop_front();
  }
  protocol::Reply reply;
  try {
    if (job.run) {
      reply = job.run(api_.get());
    } else if (api_ == nullptr) {
      reply = job.reply;
      reply.error = "this worker cannot read Swarm";
    } else {
      reply = MakePlanReply(*api_, job.view, job.reply, clock_.Now(), &job.rebalance,
                            clock_.WallMs(), &job.heal);
    }
  } catch (const std::exception& e) {
    Logger("leader")->error("{} failed: {}", job.what, e.what());
    reply = job.reply;
    reply.ok = false;
    reply.result_json.clear();
    reply.error = "internal error while answering '" + job.what + "': " + e.what();
  }
  std::lock_guard lock(mutex_);
  answers_.push_back({std::move(job.cli_identity), std::move(reply), std::move(job.what)});
  return true;
}

void PlanWorker::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    while (!stop.stop_requested() && RunOne()) {
    }
    if (!WaitFor(stop, std::chrono::seconds(1))) break;
  }
}

}  // namespace orcastra::leader
