// The leader's picture of the cluster: Docker's node list merged with the agents' reports, and the
// JSON documents the CLI shows (`orcastra nodes --json`, `orcastra status --json`, see
// doc/cli.md for the field names).
//
// Pure and clock-free: every method takes `now`. Not thread-safe; the leader guards it with a
// mutex. A failed Docker read never replaces the last good node list (design.md §4 rule 1); it is
// only recorded, so answers say how old the list is.
#pragma once

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/docker_types.h"
#include "common/status.h"
#include "protocol/messages.h"

namespace orcastra::leader {

// An agent counts as connected while its last message is younger than this many report intervals.
inline constexpr int kMissedReportsBeforeDisconnected = 3;

struct AgentRecord {
  protocol::NodeReport report;  // the latest one; empty until the first report
  bool has_report = false;
  std::string agent_version;  // from its hello
  std::uint32_t report_interval_ms = 5000;
  SteadyTime last_seen{};
};

// Who this leader instance is.
struct InstanceIdentity {
  std::string node_id;
  std::string hostname;
};

// The election as this instance last saw it (leader/election/service.h).
struct LeaseView {
  bool we_lead = false;
  std::uint64_t term = 0;  // the holder's term
  std::string holder_node_id;
  std::string holder_hostname;
};

struct LoggedEvent {
  std::int64_t ts_ms = 0;
  std::string node_id;  // the node the event is about or came from
  protocol::Event event;
};

class ClusterState {
 public:
  void SetIdentity(InstanceIdentity identity) { identity_ = std::move(identity); }
  const InstanceIdentity& identity() const { return identity_; }

  // Replaces the node list with a complete, freshly read one.
  void SetNodes(std::vector<docker::Node> nodes, SteadyTime now);
  // Records that reading the node list failed; the last good list stays.
  void RecordDockerFailure(const Status& status, SteadyTime now);

  void RecordHello(const protocol::Hello& hello, SteadyTime now);
  void RecordReport(const protocol::NodeReport& report, SteadyTime now);
  // Keeps the last kMaxEvents events for `orcastra events` and `status`.
  void RecordEvent(const std::string& node_id, const protocol::Event& event, std::int64_t ts_ms);

  // True when `agent` reported within kMissedReportsBeforeDisconnected of its intervals.
  static bool IsConnected(const AgentRecord& agent, SteadyTime now);

  void SetLease(LeaseView lease) { lease_ = std::move(lease); }
  // This instance is the active one while it holds the lease.
  bool IsActive() const { return lease_.we_lead; }
  const docker::Node* RaftLeaderNode() const;
  bool has_node_list() const { return has_node_list_; }

  nlohmann::json NodesJson(SteadyTime now) const;
  // Events newer than `since_ms` (wall clock, exclusive), oldest first; `node` matches a node id or
  // hostname and `kind` an event kind, each only when not empty (`orcastra events`).
  nlohmann::json EventsJson(std::int64_t since_ms, const std::string& node,
                            const std::string& kind) const;
  nlohmann::json StatusJson(SteadyTime now) const;

  static constexpr std::size_t kMaxEvents = 1000;

 private:
  nlohmann::json NodeJson(const docker::Node& node, SteadyTime now) const;

  InstanceIdentity identity_;
  LeaseView lease_;
  std::vector<docker::Node> nodes_;
  bool has_node_list_ = false;
  SteadyTime nodes_read_at_{};
  std::optional<std::string> docker_error_;    // the last read failed with this
  std::map<std::string, AgentRecord> agents_;  // by node id
  std::deque<LoggedEvent> events_;
};

}  // namespace orcastra::leader
