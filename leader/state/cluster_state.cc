#include "leader/state/cluster_state.h"

#include <algorithm>
#include <cmath>

#include "common/docker_client.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

double Round(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

json NullableString(const std::string& s) { return s.empty() ? json() : json(s); }

}  // namespace

void ClusterState::SetNodes(std::vector<docker::Node> nodes, SteadyTime now) {
  nodes_ = std::move(nodes);
  std::sort(nodes_.begin(), nodes_.end(), [](const docker::Node& a, const docker::Node& b) {
    return std::tie(a.hostname, a.id) < std::tie(b.hostname, b.id);
  });
  has_node_list_ = true;
  nodes_read_at_ = now;
  docker_error_.reset();
}

void ClusterState::RecordDockerFailure(const Status& status, SteadyTime /*now*/) {
  docker_error_ = status.ToString();
}

void ClusterState::RecordHello(const protocol::Hello& hello, SteadyTime now) {
  if (hello.node_id.empty()) return;
  AgentRecord& agent = agents_[hello.node_id];
  agent.agent_version = hello.agent_version;
  if (hello.report_interval_ms > 0) agent.report_interval_ms = hello.report_interval_ms;
  agent.last_seen = now;
}

void ClusterState::RecordReport(const protocol::NodeReport& report, SteadyTime now) {
  if (report.node_id.empty()) return;
  AgentRecord& agent = agents_[report.node_id];
  agent.report = report;
  agent.has_report = true;
  if (report.report_interval_ms > 0) agent.report_interval_ms = report.report_interval_ms;
  agent.last_seen = now;
}

void ClusterState::RecordEvent(const std::string& node_id, const protocol::Event& event,
                               std::int64_t ts_ms) {
  events_.push_back({ts_ms, node_id, event});
  while (events_.size() > kMaxEvents) events_.pop_front();
}

bool ClusterState::IsConnected(const AgentRecord& agent, SteadyTime now) {
  auto limit = std::chrono::milliseconds(static_cast<std::int64_t>(agent.report_interval_ms) *
                                         kMissedReportsBeforeDisconnected);
  return agent.last_seen != SteadyTime{} && now - agent.last_seen <= limit;
}

const docker::Node* ClusterState::RaftLeaderNode() const {
  for (const auto& node : nodes_) {
    if (node.manager_leader) return &node;
  }
  return nullptr;
}

json ClusterState::NodeJson(const docker::Node& node, SteadyTime now) const {
  json out = {
      {"id", node.id},
      {"hostname", node.hostname},
      {"role", node.role},
      {"state", node.state},
      {"availability", node.availability},
      {"addr", node.addr},
      {"manager", node.role == "manager"
                      ? json{{"leader", node.manager_leader},
                             {"reachability", NullableString(node.manager_reachability)},
                             {"addr", NullableString(node.manager_addr)}}
                      : json()},
      {"labels", node.labels},
  };
  auto found = agents_.find(node.id);
  const AgentRecord* agent = found == agents_.end() ? nullptr : &found->second;
  json agent_json = {{"connected", false},
                     {"last_seen_seconds", nullptr},
                     {"version", nullptr},
                     {"report_interval_seconds", nullptr}};
  json memory = {{"total_bytes", nullptr},
                 {"available_bytes", nullptr},
                 {"used_bytes", nullptr},
                 {"used_percent", nullptr},
                 {"source", nullptr}};
  json pressure = {{"present", false}, {"some_avg10", nullptr}, {"full_avg10", nullptr}};
  json load = nullptr;
  json cpu_percent = nullptr;
  json containers = nullptr;
  if (agent != nullptr) {
    agent_json["connected"] = IsConnected(*agent, now);
    agent_json["last_seen_seconds"] = Round(SecondsBetween(agent->last_seen, now), 1);
    agent_json["version"] = NullableString(agent->agent_version);
    agent_json["report_interval_seconds"] = agent->report_interval_ms / 1000.0;
    if (agent->has_report) {
      const auto& r = agent->report;
      memory["total_bytes"] = r.memory.total_bytes;
      memory["available_bytes"] = r.memory.available_bytes;
      memory["used_bytes"] = r.memory.used_bytes;
      memory["used_percent"] = r.memory.total_bytes == 0
                                   ? json()
                                   : json(Round(100.0 * static_cast<double>(r.memory.used_bytes) /
                                                    static_cast<double>(r.memory.total_bytes),
                                                1));
      memory["source"] = r.memory.source;
      pressure = {{"present", r.psi.present},
                  {"some_avg10", r.psi.present ? json(r.psi.some_avg10) : json()},
                  {"full_avg10", r.psi.present ? json(r.psi.full_avg10) : json()}};
      load = {{"avg1", r.load.avg1}, {"avg5", r.load.avg5}, {"avg15", r.load.avg15}};
      cpu_percent = Round(r.cpu_percent, 1);
      int running = 0, unhealthy = 0;
      for (const auto& c : r.containers) {
        if (c.state == "running") ++running;
        if (c.health == "unhealthy") ++unhealthy;
      }
      containers = {{"total", r.containers.size()}, {"running", running}, {"unhealthy", unhealthy}};
    }
  }
  out["agent"] = agent_json;
  out["memory"] = memory;
  out["pressure"] = pressure;
  out["load"] = load;
  out["cpu_percent"] = cpu_percent;
  out["containers"] = containers;
  return out;
}

json ClusterState::NodesJson(SteadyTime now) const {
  json out = json::array();
  for (const auto& node : nodes_) out.push_back(NodeJson(node, now));
  return out;
}

json ClusterState::EventsJson(std::int64_t since_ms, const std::string& node,
                              const std::string& kind) const {
  std::map<std::string, std::string> hostnames;
  for (const auto& n : nodes_) hostnames[n.id] = n.hostname;
  json out = json::array();
  for (const auto& e : events_) {
    if (e.ts_ms <= since_ms) continue;
    auto hostname = hostnames.find(e.node_id);
    std::string host = hostname == hostnames.end() ? std::string() : hostname->second;
    if (!node.empty() && node != e.node_id && node != host) continue;
    if (!kind.empty() && kind != e.event.kind) continue;
    out.push_back({{"ts_ms", e.ts_ms},
                   {"node_id", e.node_id},
                   {"hostname", NullableString(host)},
                   {"kind", e.event.kind},
                   {"subject", e.event.subject},
                   {"message", e.event.message},
                   {"attrs", e.event.attrs}});
  }
  return out;
}

json ClusterState::StatusJson(SteadyTime now) const {
  int ready = 0, down = 0, other = 0, managers = 0, reachable = 0, connected = 0;
  for (const auto& node : nodes_) {
    if (node.state == "ready") {
      ++ready;
    } else if (node.state == "down") {
      ++down;
    } else {
      ++other;
    }
    if (node.role == "manager") {
      ++managers;
      if (node.manager_reachability == "reachable") ++reachable;
    }
    auto agent = agents_.find(node.id);
    if (agent != agents_.end() && IsConnected(agent->second, now)) ++connected;
  }
  json leader = lease_.holder_node_id.empty() ? json()
                                              : json{{"node_id", lease_.holder_node_id},
                                                     {"hostname", lease_.holder_hostname},
                                                     {"term", lease_.term}};
  const docker::Node* raft_leader = RaftLeaderNode();
  json recent = json::array();
  std::size_t first = events_.size() > 10 ? events_.size() - 10 : 0;
  for (std::size_t i = first; i < events_.size(); ++i) {
    const auto& e = events_[i];
    recent.push_back({{"ts_ms", e.ts_ms},
                      {"node_id", e.node_id},
                      {"kind", e.event.kind},
                      {"subject", e.event.subject},
                      {"message", e.event.message}});
  }
  return {
      {"leader", leader},
      {"swarm_raft_leader", raft_leader == nullptr ? json() : json(raft_leader->hostname)},
      {"answered_by",
       {{"node_id", identity_.node_id}, {"hostname", identity_.hostname}, {"active", IsActive()}}},
      {"nodes", {{"total", nodes_.size()}, {"ready", ready}, {"down", down}, {"other", other}}},
      {"managers", {{"total", managers}, {"reachable", reachable}}},
      {"agents", {{"connected", connected}, {"expected", nodes_.size()}}},
      {"docker",
       {{"ok", has_node_list_ && !docker_error_},
        {"node_list_age_seconds",
         has_node_list_ ? json(Round(SecondsBetween(nodes_read_at_, now), 1)) : json()},
        {"error", docker_error_ ? json(*docker_error_) : json()},
        {"api_calls", docker::ApiCallCount()}}},
      {"recent_events", recent},
  };
}

}  // namespace orcastra::leader
