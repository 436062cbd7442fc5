// The leader's picture of the cluster: Docker's node list merged with the agents' reports, the
// event log, and the JSON documents the CLI shows (`orcastra nodes --json`, `orcastra status
// --json`, `orcastra events`, see doc/cli.md for the field names).
//
// Pure and clock-free: every method takes `now`. Not thread-safe; the leader guards it with a
// mutex. A failed Docker read never replaces the last good node list (design.md §4 rule 1); it is
// only recorded, so answers say how old the list is.
//
// Bounded whatever peers send (doc/architecture.md "Bounds"): agent records exist only for the
// nodes of Swarm's last complete node list, plus at most kMaxUnlistedAgents others (agents heard
// before their node was listed, or before any list); the event log keeps at most kMaxEvents events
// and kMaxEventLogBytes bytes, and each event's texts are cut to the kMaxEvent* lengths.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/docker_types.h"
#include "common/status.h"
#include "common/utf8.h"
#include "protocol/messages.h"

namespace orcastra::leader {

// An agent counts as connected while its last message is younger than this many report intervals.
inline constexpr int kMissedReportsBeforeDisconnected = 3;

// The report interval an agent claims (hello, node_report) is clamped to this range where it
// enters; 0 means "not said" and keeps what was known (kDefaultReportInterval at first). So no
// claim makes an agent look connected for ever (2^32-1 ms) or never (1 ms).
inline constexpr std::chrono::milliseconds kMinReportInterval{100};
inline constexpr std::chrono::milliseconds kMaxReportInterval{300000};
inline constexpr std::chrono::milliseconds kDefaultReportInterval{5000};
std::chrono::milliseconds EffectiveReportInterval(std::chrono::milliseconds claimed,
                                                  std::chrono::milliseconds known);

// Makes room for one more record of a node that is not in Swarm's node list: when `records` (a map
// by node id whose values have `last_seen`) holds `limit` or more entries whose id fails
// `listed`, the least recently seen of them is erased.
template <typename Map, typename Listed>
void MakeRoomForUnlisted(Map& records, const Listed& listed, std::size_t limit) {
  std::size_t unlisted = 0;
  auto oldest = records.end();
  for (auto it = records.begin(); it != records.end(); ++it) {
    if (listed(it->first)) continue;
    ++unlisted;
    if (oldest == records.end() || it->second.last_seen < oldest->second.last_seen) oldest = it;
  }
  if (unlisted >= limit && oldest != records.end()) records.erase(oldest);
}

struct AgentRecord {
  protocol::NodeReport report;  // the latest one; empty until the first report
  bool has_report = false;
  SteadyTime report_at{};     // when `report` arrived
  std::string agent_version;  // from its hello
  std::chrono::milliseconds report_interval = kDefaultReportInterval;
  SteadyTime last_seen{};
  // How its connection proved the node: protocol::kAttestSwarmCert, kAttestManagerToken, or
  // "none" (plain text, --insecure); "" before its first hello.
  std::string attestation;
};

// The last hello that claimed a node and did not prove it (doc/security.md).
struct AttestationFailure {
  std::string reason;
  std::int64_t ts_ms = 0;
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
  std::uint64_t seq = 0;  // this instance's event number, from 1, increasing
  std::int64_t ts_ms = 0;
  std::string node_id;  // the node the event is about or came from
  protocol::Event event;
};

// One page of `orcastra events` (ClusterState::Events).
struct EventsQuery {
  std::uint64_t after = 0;    // only events with a greater seq
  std::int64_t since_ms = 0;  // only events newer than this (wall clock, exclusive)
  std::string node{};         // a node id or hostname; "" for all
  std::string kind{};         // an event kind; "" for all
  std::size_t limit = 1000;   // at most this many events
};
struct EventsPage {
  nlohmann::json events = nlohmann::json::array();  // oldest first
  bool more = false;         // further events after `cursor` may match: ask again with after=cursor
  std::uint64_t cursor = 0;  // the seq of the last event looked at (or `after` when none was)
};

// One node's figures as /metrics exports them (a small copy, taken under the lock and rendered
// after it is released).
struct NodeFigures {
  std::string id;
  std::string hostname;
  bool connected = false;
  bool has_report = false;
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t available_bytes = 0;
  bool psi_present = false;
  double psi_some_avg10 = 0;  // percent
  double psi_full_avg10 = 0;
};

class ClusterState {
 public:
  void SetIdentity(InstanceIdentity identity) { identity_ = std::move(identity); }
  const InstanceIdentity& identity() const { return identity_; }
  // Names this instance's event log (its seq numbers start at 1 again when the process restarts;
  // a paging client that sees another id starts over). Set once at start.
  void SetEventLogId(std::string id) { event_log_id_ = std::move(id); }
  const std::string& event_log_id() const { return event_log_id_; }

  // Replaces the node list with a complete, freshly read one, and drops the agent records of
  // nodes that are not in it.
  void SetNodes(std::vector<docker::Node> nodes, SteadyTime now);
  // Records that reading the node list failed; the last good list stays.
  void RecordDockerFailure(const Status& status, SteadyTime now);
  // Counts complete node lists (SetNodes calls); 0 before the first.
  std::uint64_t node_list_generation() const { return node_list_generation_; }
  // Whether `node_id` is in the last complete node list (false before the first).
  bool IsListed(const std::string& node_id) const { return listed_.count(node_id) > 0; }
  const std::set<std::string>& listed_node_ids() const { return listed_; }
  // The last complete node list (empty before the first).
  const std::vector<docker::Node>& nodes() const { return nodes_; }
  // When the last complete node list was read.
  SteadyTime nodes_read_at() const { return nodes_read_at_; }

  // A hello from a connection that proved hello.node_id by `attestation` (see AgentRecord).
  void RecordHello(const protocol::Hello& hello, SteadyTime now, std::string attestation = "none");
  // A hello that claimed `node_id` and did not prove it. Kept for listed nodes only (at most one
  // per node, dropped with the node or by the node's next proven hello); shown in `nodes` and
  // counted in `status` while no proven agent of that node is connected.
  void RecordAttestationFailure(const std::string& node_id, std::string reason, std::int64_t ts_ms);
  // Whether Swarm's last node list has `node_id` as a manager.
  bool IsManager(const std::string& node_id) const;
  void RecordReport(const protocol::NodeReport& report, SteadyTime now);
  // Appends an event (its texts cut to the kMaxEvent* lengths), dropping the oldest while the log
  // holds more than kMaxEvents events or kMaxEventLogBytes bytes. Returns its seq.
  std::uint64_t RecordEvent(const std::string& node_id, const protocol::Event& event,
                            std::int64_t ts_ms);

  // True when `agent` reported within kMissedReportsBeforeDisconnected of its intervals.
  static bool IsConnected(const AgentRecord& agent, SteadyTime now);

  void SetLease(LeaseView lease) { lease_ = std::move(lease); }
  // This instance is the active one while it holds the lease.
  bool IsActive() const { return lease_.we_lead; }
  const docker::Node* RaftLeaderNode() const;
  bool has_node_list() const { return has_node_list_; }

  nlohmann::json NodesJson(SteadyTime now) const;
  // The figures of every node of the list, in its order (the values NodesJson shows).
  std::vector<NodeFigures> Figures(SteadyTime now) const;
  // The events matching `query`, oldest first, as many as fit in `max_json_bytes` of serialised
  // JSON (at least one, whatever its size) and `query.limit`.
  EventsPage Events(const EventsQuery& query, std::size_t max_json_bytes) const;
  nlohmann::json StatusJson(SteadyTime now) const;

  std::size_t agent_count() const { return agents_.size(); }
  // Node reports received since the start (the ingest rate is its rate, /metrics).
  std::uint64_t reports_received() const { return reports_received_; }
  // Events recorded since the start.
  std::uint64_t events_recorded() const { return next_event_seq_ - 1; }
  // The agents' records by node id (the rebalancer reads them with nodes(), under the same mutex
  // as everyone else).
  const std::map<std::string, AgentRecord>& agents() const { return agents_; }
  std::size_t event_count() const { return events_.size(); }
  std::size_t event_log_bytes() const { return event_bytes_; }

  static constexpr std::size_t kMaxEvents = 1000;
  static constexpr std::size_t kMaxEventLogBytes = 4 << 20;
  static constexpr std::size_t kMaxEventKindBytes = 64;
  static constexpr std::size_t kMaxEventSubjectBytes = 256;
  static constexpr std::size_t kMaxEventMessageBytes = 8192;
  static constexpr std::size_t kMaxEventAttrs = 32;
  static constexpr std::size_t kMaxEventAttrKeyBytes = 64;
  static constexpr std::size_t kMaxEventAttrValueBytes = 1024;
  static constexpr std::size_t kMaxEventNodeIdBytes = 128;
  static constexpr std::size_t kMaxUnlistedAgents = 32;
  // An attestation failure's reason is cut to this.
  static constexpr std::size_t kMaxAttestationReasonBytes = 512;
  // Texts from agents that the documents show (agent version, memory source) are cut to this.
  static constexpr std::size_t kMaxShownTextBytes = 256;
  // `status` shows the recent events' messages cut to this (`events` has them whole), so ten
  // events of the largest size cannot make the status answer too large for a frame.
  static constexpr std::size_t kMaxRecentMessageBytes = 256;

 private:
  nlohmann::json NodeJson(const docker::Node& node, SteadyTime now) const;
  nlohmann::json EventJson(const LoggedEvent& e) const;
  // The record of `node_id`, created if needed (evicting the least recently seen unlisted record
  // when kMaxUnlistedAgents would be exceeded).
  AgentRecord& Agent(const std::string& node_id, SteadyTime now);

  InstanceIdentity identity_;
  std::string event_log_id_;
  LeaseView lease_;
  std::vector<docker::Node> nodes_;
  std::set<std::string> listed_;                  // ids of nodes_
  std::map<std::string, std::string> hostnames_;  // node id -> hostname, of nodes_
  bool has_node_list_ = false;
  std::uint64_t node_list_generation_ = 0;
  SteadyTime nodes_read_at_{};
  std::optional<std::string> docker_error_;    // the last read failed with this
  std::map<std::string, AgentRecord> agents_;  // by node id
  std::map<std::string, AttestationFailure> attestation_failures_;  // by node id, listed only
  std::deque<LoggedEvent> events_;                                  // by seq
  std::size_t event_bytes_ = 0;  // sum of EventBytes() over events_
  std::uint64_t next_event_seq_ = 1;
  std::uint64_t reports_received_ = 0;
};

}  // namespace orcastra::leader
