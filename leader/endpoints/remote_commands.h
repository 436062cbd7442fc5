// Leader → agent commands (protocol AgentCommand / AgentCommandResult), the leader's bookkeeping:
// which ROUTER identity reaches which node's agent, which commands wait for an answer and until
// when, and how their results become answers (a CLI reply, a `command` event).
//
// Everything here but AgentCommandOutbox is pure and clock-free (every call takes `now`) and not
// thread-safe: the Endpoints thread, which owns the sockets, is its only user. The controller hands
// its agent commands (gc[:NODE], rotate_logs[:NODE], refresh_mods[:NODE]) to that thread through
// an AgentCommandOutbox.
//
// Bounded whatever peers send: AgentPeers keeps the nodes of Swarm's last complete node list plus
// at most kMaxUnlisted others; PendingCommands holds at most kMaxCliRequests `logs` requests and
// kMaxEntries commands in all (more are refused as busy); the outbox holds kMaxRequests.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "leader/state/cluster_state.h"
#include "protocol/messages.h"

namespace orcastra::leader {

// An agent as the agent endpoint (ROUTER) last heard from it.
struct AgentPeer {
  std::string node_id;
  std::string hostname;
  std::string identity;  // ROUTER routing identity of its connection to this instance
  std::chrono::milliseconds report_interval = kDefaultReportInterval;
  SteadyTime last_seen{};
};

class AgentPeers {
 public:
  // Records a message from `node_id` on `identity` (the latest identity wins: an agent that
  // reconnected has a new one). Empty `hostname` / zero `report_interval` keep what was known; the
  // interval is clamped (EffectiveReportInterval). A node id that is not listed (PruneTo) takes
  // the place of the least recently seen unlisted peer when kMaxUnlisted are kept.
  void See(const std::string& node_id, const std::string& hostname, const std::string& identity,
           std::chrono::milliseconds report_interval, SteadyTime now);
  // The connection answering on `identity` closed: no command goes there any more (the node's
  // agent is reachable again once a message comes from its next connection).
  void ForgetIdentity(const std::string& identity);
  // Keeps only the peers of the nodes in `listed` (Swarm's last complete node list), which from
  // now on tells listed from unlisted node ids.
  void PruneTo(std::set<std::string> listed);

  // The agent of `node` (a node id or hostname). NotFound when no agent of that node has talked to
  // this instance; Unavailable when it has been silent for kMissedReports report intervals.
  Result<AgentPeer> Find(const std::string& node, SteadyTime now) const;
  // The agents heard from recently, by hostname.
  std::vector<AgentPeer> Connected(SteadyTime now) const;

  std::size_t size() const { return by_node_id_.size(); }

  static constexpr int kMissedReports = kMissedReportsBeforeDisconnected;
  static constexpr std::size_t kMaxUnlisted = ClusterState::kMaxUnlistedAgents;

 private:
  bool Fresh(const AgentPeer& peer, SteadyTime now) const;
  std::map<std::string, AgentPeer> by_node_id_;
  std::set<std::string> listed_;
};

// A controller command for agents, as the controller hands it over.
struct AgentCommandRequest {
  std::uint64_t id = 0;             // the controller's command id (the event's attrs.id)
  std::string text;                 // "gc:w2", as submitted
  std::string source;               // "cli", "file"
  std::string name;                 // "gc", "rotate_logs", "refresh_mods"
  std::optional<std::string> node;  // a node id or hostname; nullopt: every connected agent
};

// Thread-safe hand-over of AgentCommandRequests from the controller to the Endpoints thread.
// Holds at most kMaxRequests; a request pushed beyond that is handed over as refused (at most
// kMaxRequests of those too; further ones are only counted), so its `command` event says busy.
class AgentCommandOutbox {
 public:
  struct Taken {
    std::vector<AgentCommandRequest> requests;
    std::vector<AgentCommandRequest> refused;  // pushed while the outbox was full
    std::size_t dropped = 0;                   // refused and not even kept for the event
  };
  void Push(AgentCommandRequest request);
  Taken TakeAll();

  static constexpr std::size_t kMaxRequests = 64;

 private:
  std::mutex mutex_;
  std::deque<AgentCommandRequest> requests_;  // guarded by mutex_
  std::vector<AgentCommandRequest> refused_;  // guarded by mutex_
  std::size_t dropped_ = 0;                   // guarded by mutex_
};

// A finished `orcastra logs` request: the CLI peer to answer and the agent's result.
struct CliAnswer {
  std::string cli_identity;
  std::string node;  // hostname (or id) of the node asked
  protocol::AgentCommandResult result;
};

// A finished controller request: one result per target, in target order.
struct BatchOutcome {
  AgentCommandRequest request;
  std::vector<std::string> nodes;  // hostnames (or ids) of the targets
  std::vector<protocol::AgentCommandResult> results;
};

struct Completions {
  std::vector<CliAnswer> cli;
  std::vector<BatchOutcome> batches;
  bool empty() const { return cli.empty() && batches.empty(); }
};

// Commands sent to agents and waiting for their results. Each agent command has its own wire id
// (AgentCommand::id), unique within this instance.
class PendingCommands {
 public:
  struct Target {
    std::string node_id;
    std::string label;  // hostname, or the id when unknown
  };

  // One `logs` request from CLI peer `cli_identity` to `target`; returns the wire id.
  // Unavailable ("busy") when kMaxCliRequests CLI requests or kMaxEntries commands wait already.
  Result<std::uint64_t> StartCli(std::string cli_identity, Target target, SteadyTime deadline);
  // A controller request to `targets` (at least one); returns one wire id per target, in order.
  // Unavailable ("busy") when the targets would take the commands waiting over kMaxEntries.
  Result<std::vector<std::uint64_t>> StartBatch(AgentCommandRequest request,
                                                std::vector<Target> targets, SteadyTime deadline);

  // A result from the agent of `from_node_id`. A result with an unknown id (late, duplicate) or
  // from another node than the one asked is ignored (empty Completions).
  Completions OnResult(const protocol::AgentCommandResult& result, const std::string& from_node_id);
  // Ends what is past its deadline with the error "no answer from the agent on 'NODE' within Ns".
  Completions Expire(SteadyTime now);

  std::size_t size() const { return entries_.size(); }
  std::size_t cli_size() const { return cli_entries_; }

  static constexpr std::size_t kMaxCliRequests = 32;
  static constexpr std::size_t kMaxEntries = 1024;

 private:
  struct Entry {
    bool for_cli = false;
    std::string cli_identity;
    Target target;
    std::uint64_t batch = 0;
    std::size_t index = 0;  // in the batch
    SteadyTime started{};
    SteadyTime deadline{};
  };
  struct Batch {
    AgentCommandRequest request;
    std::vector<std::string> nodes;
    std::vector<std::optional<protocol::AgentCommandResult>> results;
    std::size_t outstanding = 0;
  };

  // Files `result` for the entry `it` points at (and erases it).
  void Finish(std::map<std::uint64_t, Entry>::iterator it, protocol::AgentCommandResult result,
              Completions& out);

  std::uint64_t next_id_ = 1;
  std::uint64_t next_batch_ = 1;
  std::map<std::uint64_t, Entry> entries_;  // by wire id
  std::size_t cli_entries_ = 0;             // entries_ that are for_cli
  std::map<std::uint64_t, Batch> batches_;
};

// The `command` event recording a finished controller request: subject the command text, message
// one line per node ("w2: gc run started ..."), attrs id, source, result ("ok" when every target
// succeeded, else "failed") and node (the targets' names, comma-separated).
protocol::Event BatchEvent(const BatchOutcome& outcome);

// The `command` event for a request that reached no agent at all (unknown node, none connected).
protocol::Event FailedRequestEvent(const AgentCommandRequest& request, const std::string& why);

}  // namespace orcastra::leader
