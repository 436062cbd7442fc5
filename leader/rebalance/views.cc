#include "leader/rebalance/views.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

double Seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

double Round1(double value) { return static_cast<double>(static_cast<long long>(value * 10)) / 10; }

}  // namespace

json RebalanceNodeJson(const RebalanceNode& node) {
  json j = {{"node_id", node.node_id},
            {"hostname", node.hostname},
            {"pressure", PressureStateName(node.state)},
            {"used_percent", Round1(node.used_percent)},
            {"total_bytes", node.total_bytes},
            {"used_bytes", node.used_bytes},
            {"high_for_s", Seconds(node.high_for)},
            {"sustained_after_s", Seconds(node.sustained_after)},
            {"source", node.source},
            {"promised_bytes", node.promised_bytes},
            {"why", node.why}};
  j["psi_some_avg10"] = node.psi_present ? json(node.psi_some_avg10) : json();
  return j;
}

json MoveJson(const MoveRecord& move, std::int64_t now_ms) {
  json j = {{"service", move.service},
            {"dependents", move.dependents},
            {"from", move.from_hostname},
            {"to", move.to_hostname},
            {"from_node_id", move.from_node},
            {"to_node_id", move.to_node},
            {"memory_bytes", move.memory_bytes},
            {"constraints", move.constraints},
            {"outcome", MoveOutcomeName(move.outcome)},
            {"started_ms", move.started_ms},
            {"age_s", static_cast<double>(now_ms - move.started_ms) / 1000.0},
            {"why", move.why},
            {"result", move.result}};
  j["ended_ms"] = move.ended_ms == 0 ? json() : json(move.ended_ms);
  j["deadline_ms"] = InFlight(move.outcome) ? json(move.deadline_ms) : json();
  return j;
}

json MovesJson(const RebalanceMemory& memory, std::int64_t now_ms, std::size_t recent) {
  json in_flight = json::array();
  json ended = json::array();
  for (auto it = memory.moves.rbegin(); it != memory.moves.rend(); ++it) {
    if (InFlight(it->outcome)) {
      in_flight.push_back(MoveJson(*it, now_ms));
    } else if (ended.size() < recent) {
      ended.push_back(MoveJson(*it, now_ms));
    }
  }
  return {{"in_flight", std::move(in_flight)}, {"recent", std::move(ended)}};
}

json RebalancePlanJson(const RebalancePlan& plan, const RebalanceMemory& memory, bool dry_run,
                       std::int64_t now_ms) {
  json nodes = json::array();
  for (const RebalanceNode& node : plan.nodes) nodes.push_back(RebalanceNodeJson(node));
  json candidates = json::array();
  for (const RebalanceCandidate& c : plan.candidates) {
    json j = {{"service", c.service}, {"dependents", c.dependents},
              {"node", c.hostname},   {"memory_bytes", c.memory_bytes},
              {"movable", c.movable}, {"relieves", c.relieves},
              {"dry_run", c.dry_run}, {"why", c.why}};
    j["target"] = c.movable ? json(c.target_hostname) : json();
    if (c.movable) {
      j["source_after_percent"] = Round1(c.source_after_percent);
      j["target_after_percent"] = Round1(c.target_after_percent);
    }
    candidates.push_back(std::move(j));
  }
  json moves = MovesJson(memory, now_ms);
  json out = {{"decision", plan.decision},       {"dry_run", dry_run || plan.move_dry_run},
              {"nodes", std::move(nodes)},       {"candidates", std::move(candidates)},
              {"in_flight", moves["in_flight"]}, {"recent", moves["recent"]}};
  out["move"] = plan.move ? MoveJson(*plan.move, now_ms) : json();
  return out;
}

}  // namespace orcastra::leader
