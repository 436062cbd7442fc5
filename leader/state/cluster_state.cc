#include "leader/state/cluster_state.h"

#include <algorithm>
#include <cmath>

#include "common/docker_client.h"
#include "common/utf8.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

double Round(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

json NullableString(const std::string& s) { return s.empty() ? json() : json(s); }

// What an event costs the log: its texts and a fixed overhead for the rest.
std::size_t EventBytes(const LoggedEvent& e) {
  std::size_t bytes =
      64 + e.node_id.size() + e.event.kind.size() + e.event.subject.size() + e.event.message.size();
  for (const auto& [key, value] : e.event.attrs) bytes += 16 + key.size() + value.size();
  return bytes;
}

}  // namespace

std::chrono::milliseconds EffectiveReportInterval(std::chrono::milliseconds claimed,
                                                  std::chrono::milliseconds known) {
  if (claimed.count() <= 0) return known;
  return std::clamp(claimed, kMinReportInterval, kMaxReportInterval);
}

void ClusterState::SetNodes(std::vector<docker::Node> nodes, SteadyTime now) {
  nodes_ = std::move(nodes);
  std::sort(nodes_.begin(), nodes_.end(), [](const docker::Node& a, const docker::Node& b) {
    return std::tie(a.hostname, a.id) < std::tie(b.hostname, b.id);
  });
  listed_.clear();
  hostnames_.clear();
  for (const auto& node : nodes_) {
    listed_.insert(node.id);
    hostnames_[node.id] = node.hostname;
  }
  std::erase_if(agents_, [&](const auto& entry) { return listed_.count(entry.first) == 0; });
  std::erase_if(attestation_failures_,
                [&](const auto& entry) { return listed_.count(entry.first) == 0; });
  has_node_list_ = true;
  ++node_list_generation_;
  nodes_read_at_ = now;
  docker_error_.reset();
}

void ClusterState::RecordDockerFailure(const Status& status, SteadyTime /*now*/) {
  docker_error_ = status.ToString();
}

AgentRecord& ClusterState::Agent(const std::string& node_id, SteadyTime now) {
  if (auto it = agents_.find(node_id); it != agents_.end()) return it->second;
  if (!IsListed(node_id)) {
    MakeRoomForUnlisted(
        agents_, [&](const std::string& id) { return IsListed(id); }, kMaxUnlistedAgents);
  }
  AgentRecord& agent = agents_[node_id];
  agent.last_seen = now;
  return agent;
}

void ClusterState::RecordHello(const protocol::Hello& hello, SteadyTime now,
                               std::string attestation) {
  if (hello.node_id.empty()) return;
  AgentRecord& agent = Agent(hello.node_id, now);
  agent.attestation = std::move(attestation);
  attestation_failures_.erase(hello.node_id);
  agent.agent_version = CutText(hello.agent_version, kMaxShownTextBytes);
  agent.report_interval = EffectiveReportInterval(
      std::chrono::milliseconds(hello.report_interval_ms), agent.report_interval);
  agent.last_seen = now;
}

void ClusterState::RecordAttestationFailure(const std::string& node_id, std::string reason,
                                            std::int64_t ts_ms) {
  if (!IsListed(node_id)) return;
  attestation_failures_[node_id] = {CutText(reason, kMaxAttestationReasonBytes), ts_ms};
}

bool ClusterState::IsManager(const std::string& node_id) const {
  for (const auto& node : nodes_) {
    if (node.id == node_id) return node.role == "manager";
  }
  return false;
}

void ClusterState::RecordReport(const protocol::NodeReport& report, SteadyTime now) {
  if (report.node_id.empty()) return;
  ++reports_received_;
  AgentRecord& agent = Agent(report.node_id, now);
  agent.report = report;
  agent.report.memory.source = CutText(report.memory.source, kMaxShownTextBytes);
  agent.has_report = true;
  agent.report_at = now;
  agent.report_interval = EffectiveReportInterval(
      std::chrono::milliseconds(report.report_interval_ms), agent.report_interval);
  agent.last_seen = now;
}

std::uint64_t ClusterState::RecordEvent(const std::string& node_id, const protocol::Event& event,
                                        std::int64_t ts_ms) {
  LoggedEvent logged;
  logged.seq = next_event_seq_++;
  logged.ts_ms = ts_ms;
  logged.node_id = CutText(node_id, kMaxEventNodeIdBytes);
  logged.event.kind = CutText(event.kind, kMaxEventKindBytes);
  logged.event.subject = CutText(event.subject, kMaxEventSubjectBytes);
  logged.event.message = CutText(event.message, kMaxEventMessageBytes);
  std::size_t dropped = 0;
  for (const auto& [key, value] : event.attrs) {
    if (logged.event.attrs.size() >= kMaxEventAttrs) {
      ++dropped;
      continue;
    }
    logged.event.attrs.emplace(CutText(key, kMaxEventAttrKeyBytes),
                               CutText(value, kMaxEventAttrValueBytes));
  }
  if (dropped > 0) logged.event.attrs["attrs_dropped"] = std::to_string(dropped);
  event_bytes_ += EventBytes(logged);
  events_.push_back(std::move(logged));
  while (events_.size() > kMaxEvents || (event_bytes_ > kMaxEventLogBytes && events_.size() > 1)) {
    event_bytes_ -= EventBytes(events_.front());
    events_.pop_front();
  }
  return events_.back().seq;
}

bool ClusterState::IsConnected(const AgentRecord& agent, SteadyTime now) {
  return agent.last_seen != SteadyTime{} &&
         now - agent.last_seen <= agent.report_interval * kMissedReportsBeforeDisconnected;
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
                     {"report_interval_seconds", nullptr},
                     {"service_images_age_seconds", nullptr},
                     {"attestation", nullptr},
                     {"attestation_error", nullptr}};
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
    agent_json["attestation"] = NullableString(agent->attestation);
    agent_json["report_interval_seconds"] =
        static_cast<double>(agent->report_interval.count()) / 1000.0;
    if (agent->has_report) {
      const auto& r = agent->report;
      // The age the agent reported, grown by the time since its report (absent: it holds none).
      if (r.service_images_age_ms >= 0) {
        agent_json["service_images_age_seconds"] =
            Round(static_cast<double>(r.service_images_age_ms) / 1000.0 +
                      SecondsBetween(agent->report_at, now),
                  1);
      }
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
  // A refused hello shows while no proven agent of the node is connected.
  if (auto failure = attestation_failures_.find(node.id);
      failure != attestation_failures_.end() && (agent == nullptr || !IsConnected(*agent, now))) {
    agent_json["attestation_error"] = failure->second.reason;
  }
  out["agent"] = agent_json;
  out["memory"] = memory;
  out["pressure"] = pressure;
  out["load"] = load;
  out["cpu_percent"] = cpu_percent;
  out["containers"] = containers;
  return out;
}

std::vector<NodeFigures> ClusterState::Figures(SteadyTime now) const {
  std::vector<NodeFigures> out;
  out.reserve(nodes_.size());
  for (const auto& node : nodes_) {
    NodeFigures f;
    f.id = node.id;
    f.hostname = node.hostname;
    auto found = agents_.find(node.id);
    if (found != agents_.end()) {
      const AgentRecord& agent = found->second;
      f.connected = IsConnected(agent, now);
      if (agent.has_report) {
        const auto& r = agent.report;
        f.has_report = true;
        f.total_bytes = r.memory.total_bytes;
        f.used_bytes = r.memory.used_bytes;
        f.available_bytes = r.memory.available_bytes;
        f.psi_present = r.psi.present;
        f.psi_some_avg10 = r.psi.some_avg10;
        f.psi_full_avg10 = r.psi.full_avg10;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

json ClusterState::NodesJson(SteadyTime now) const {
  json out = json::array();
  for (const auto& node : nodes_) out.push_back(NodeJson(node, now));
  return out;
}

json ClusterState::EventJson(const LoggedEvent& e) const {
  auto hostname = hostnames_.find(e.node_id);
  return {{"seq", e.seq},
          {"ts_ms", e.ts_ms},
          {"node_id", e.node_id},
          {"hostname", hostname == hostnames_.end() ? json() : NullableString(hostname->second)},
          {"kind", e.event.kind},
          {"subject", e.event.subject},
          {"message", e.event.message},
          {"attrs", e.event.attrs}};
}

EventsPage ClusterState::Events(const EventsQuery& query, std::size_t max_json_bytes) const {
  EventsPage page;
  page.cursor = query.after;
  auto it =
      std::upper_bound(events_.begin(), events_.end(), query.after,
                       [](std::uint64_t after, const LoggedEvent& e) { return after < e.seq; });
  std::size_t bytes = 2;  // "[]"
  std::size_t count = 0;
  for (; it != events_.end(); ++it) {
    const LoggedEvent& e = *it;
    if (e.ts_ms > query.since_ms && (query.kind.empty() || query.kind == e.event.kind)) {
      auto hostname = hostnames_.find(e.node_id);
      bool node_matches = query.node.empty() || query.node == e.node_id ||
                          (hostname != hostnames_.end() && query.node == hostname->second);
      if (node_matches) {
        if (count >= query.limit) break;
        json rendered = EventJson(e);
        const std::size_t size = DumpJson(rendered).size() + 1;  // and a comma
        if (count > 0 && bytes + size > max_json_bytes) break;
        bytes += size;
        ++count;
        page.events.push_back(std::move(rendered));
      }
    }
    page.cursor = e.seq;
  }
  page.more = it != events_.end();
  return page;
}

json ClusterState::StatusJson(SteadyTime now) const {
  int ready = 0, down = 0, other = 0, managers = 0, reachable = 0, connected = 0, unattested = 0;
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
    const bool is_connected = agent != agents_.end() && IsConnected(agent->second, now);
    if (is_connected) ++connected;
    if (!is_connected && attestation_failures_.contains(node.id)) ++unattested;
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
                      {"message", CutText(e.event.message, kMaxRecentMessageBytes)}});
  }
  return {
      {"leader", leader},
      {"swarm_raft_leader", raft_leader == nullptr ? json() : json(raft_leader->hostname)},
      {"answered_by",
       {{"node_id", identity_.node_id}, {"hostname", identity_.hostname}, {"active", IsActive()}}},
      {"nodes", {{"total", nodes_.size()}, {"ready", ready}, {"down", down}, {"other", other}}},
      {"managers", {{"total", managers}, {"reachable", reachable}}},
      {"agents",
       {{"connected", connected}, {"expected", nodes_.size()}, {"unattested", unattested}}},
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
