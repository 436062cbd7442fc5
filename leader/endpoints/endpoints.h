// The leader's two ZeroMQ endpoints: agents (ROUTER :7470: hello, node_report, event,
// agent_command_result in; welcome, agent_command, service_images out) and the CLI (ROUTER :7471:
// query in, reply out). doc/protocol.md is the wire reference.
//
// EndpointsCore is all the handling, without sockets, threads or real time: it takes one received
// message at a time (OnAgentMessage, OnControlMessage) and does the periodic work (Tick), and it
// sends through an Outbound. Everything it works with comes in through EndpointsContext. Endpoints
// is the thin Service around it that owns the sockets and polls them.
//
// Rules the core keeps (doc/protocol.md §9):
// - Every query is answered: with its reply, or an error reply (busy, too large, a handler that
//   failed). A reply too large for one frame becomes an error reply saying so.
// - A refused frame is answered with one `error` (its Refusal's code); an `error` is never
// answered.
// - No exception leaves a handler: it is logged, counted and, for a query, answered.
// - Send failures are counted and logged at most once per kLogPeriod per kind.
// - Bounded per peer: AgentPeers and PendingCommands (remote_commands.h), the service-images
//   bookkeeping (one entry per connected agent identity), the plan worker's queue, the node
//   bindings and the per-connection rate limiters (leader/security/).
// - Security (doc/security.md, EndpointsContext::Security): every message is checked against the
//   role of its connection's key; an agent speaks only for the node its connection proved.
//
// Thread-safety: EndpointsCore is used from one thread (the Endpoints service's); what it shares
// with other threads (SharedState, the outbox, the plan worker, the controller) is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/service.h"
#include "common/status.h"
#include "leader/endpoints/forward.h"
#include "leader/endpoints/plan_worker.h"
#include "leader/endpoints/remote_commands.h"
#include "leader/security/bindings.h"
#include "leader/security/plan.h"
#include "leader/security/zap_handler.h"
#include "leader/state/shared_state.h"
#include "protocol/curve.h"
#include "protocol/keys.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace orcastra::leader {

// How often every connected agent gets the service image references again (agents use them for
// at most protocol::kServiceImagesMaxAge); a send that failed is retried after kServiceImagesRetry.
inline constexpr std::chrono::seconds kServiceImagesResend = protocol::kServiceImagesResendInterval;
inline constexpr std::chrono::seconds kServiceImagesRetry{5};
// How long a command sent to agents waits for their answer: `orcastra logs` (the CLI waits 15 s
// by default) and the controller's gc/rotate_logs/refresh_mods (`orcastra command` waits 30 s).
inline constexpr std::chrono::seconds kLogsDeadline{10};
inline constexpr std::chrono::seconds kAgentCommandDeadline{20};
// A reply carrying logs is cut further when its JSON (escaping can grow the agent's 256 KiB)
// would come near the frame limit; a page of events holds at most this much JSON too.
inline constexpr std::size_t kMaxLogsReplyJson = 768 * 1024;
inline constexpr std::size_t kMaxEventsPageJson = 768 * 1024;
// The most events one `events` page holds (the query's `limit`, 1..this).
inline constexpr std::size_t kMaxEventsPageLimit = 1000;
// Longest node id and hostname accepted in a hello or node_report (Swarm ids are 25 characters;
// DNS names at most 253).
inline constexpr std::size_t kMaxNodeIdBytes = 64;
inline constexpr std::size_t kMaxHostnameBytes = 253;
// A failure of one kind is logged at most once per this period (the next line counts the rest).
inline constexpr std::chrono::seconds kLogPeriod{10};

// Where the core's messages go: the endpoints' ROUTER sockets, or a test's recorder.
class Outbound {
 public:
  enum class Port { kAgents, kControl };
  virtual ~Outbound() = default;
  // Sends `message` to the peer `identity` on `port` without blocking. InvalidArgument when the
  // message is over protocol::kMaxMessageBytes once encoded (nothing is sent); Unavailable when no
  // such peer is connected or its queue is full; IoError for other socket errors.
  virtual Status Send(Port port, const std::string& identity, const protocol::Message& message) = 0;
};

// Outbound over the two ROUTER sockets (protocol::SendTo).
class ZmqOutbound final : public Outbound {
 public:
  ZmqOutbound(zmq::socket_t& agents, zmq::socket_t& control) : agents_(agents), control_(control) {}
  Status Send(Port port, const std::string& identity, const protocol::Message& message) override;

 private:
  zmq::socket_t& agents_;
  zmq::socket_t& control_;
};

// What the endpoints work with; every member outlives the core.
struct EndpointsContext {
  const Clock* clock = nullptr;
  SharedState* shared = nullptr;
  // The election as it is now (LeaseKeeper::IsLeader, ObservedHolder).
  std::function<LeaseView()> lease;
  // Controller::Submit(text, source): queues a command, returns its id or why not.
  std::function<Result<std::uint64_t>(const std::string&, const std::string&)> submit;
  // Controller::Poke: a container event arrived (with event_mode).
  std::function<void()> poke;
  AgentCommandOutbox* outbox = nullptr;
  PlanWorker* plans = nullptr;
  bool event_mode = true;
  // Every command from any manager (forward.h): a standby hands what must run on the active
  // instance to `forwards` (a PlanWorker of its own), whose jobs call `forward` (leader.cc: one
  // request to the active instance's control endpoint with the leaders' own key, which every
  // instance admits as kPeerLeaderKeyName). Without them a standby refuses such a query, naming
  // the active instance and its address. `control_port`: every instance's control port.
  PlanWorker* forwards = nullptr;
  std::function<Result<protocol::Message>(const std::string& endpoint, const protocol::Message&)>
      forward;
  int control_port = 7471;
  // `config apply` (leader/config_store/): validated with the leader's settings, stored by a job
  // on `plans`; `poke_store` (Controller::PokeStore) then makes this instance read it at once.
  config::Settings settings;
  std::function<void()> poke_store;
  // doc/security.md. With `insecure` (plain text, --insecure) there are no keys and no roles:
  // every peer may send anything, and hellos need no attestation. Otherwise every message must
  // come with the ZAP user id of its connection, its role must permit it, and an agent speaks
  // only for the node its connection proved.
  struct Security {
    bool insecure = true;
    std::string leader_public_key;                       // the key this leader serves with (Z85)
    const protocol::KeySet* keys = nullptr;              // the clients file
    std::function<ZapHandler::Counters()> zap_counters;  // the ZAP handler's refusals
  } security;
};

class EndpointsCore {
 public:
  struct Counters {
    std::uint64_t refused = 0;        // frames refused (undecodable, wrong endpoint, bad fields)
    std::uint64_t send_failures = 0;  // sends that failed (after a too-large one's error reply)
    std::uint64_t replies_too_large = 0;    // replies replaced by an error reply
    std::uint64_t handler_failures = 0;     // exceptions caught in a handler
    std::uint64_t busy = 0;                 // requests refused as busy (logs, plan, agent commands)
    std::uint64_t forbidden = 0;            // refused for the sender's role or node identity
    std::uint64_t not_attested = 0;         // agent messages on a connection that proved no node
    std::uint64_t attestation_refused = 0;  // hellos whose attestation did not prove the node
    std::uint64_t rate_limited = 0;         // dropped over a peer's rate limit (not answered)
    std::uint64_t handshake_plaintext = 0;  // handshakes refused: plain text against CURVE
    std::uint64_t handshake_failed = 0;     // other handshakes that failed before ZAP
    std::uint64_t connections_accepted = 0;  // TCP connections taken on both ports
    std::uint64_t handshakes_succeeded = 0;  // of them, the ones that completed their handshake
  };

  // Per-connection message rate limits (RateLimiter keys: the ZAP serial), and how many
  // connections they track. An agent sends a report per interval and bursts of container events
  // (the agent queues at most 256); a CLI a few queries per second.
  static constexpr RateLimiter::Limits kAgentLimits{300, 50};
  static constexpr RateLimiter::Limits kControlLimits{100, 50};
  static constexpr std::size_t kMaxRateLimitedPeers = 4096;
  // With --insecure, the warning is logged again this often.
  static constexpr std::chrono::hours kInsecureWarningPeriod{1};

  EndpointsCore(EndpointsContext context, Outbound& out);

  // One message received on the agent endpoint (port 7470).
  void OnAgentMessage(const protocol::Incoming& incoming);
  // One message received on the control endpoint (port 7471).
  void OnControlMessage(const protocol::Incoming& incoming);
  // The periodic work, every poll round: the controller's agent commands, the service image
  // references, finished plans, expired commands, pruning to Swarm's node list, the hourly
  // warning of --insecure.
  void Tick();
  // A connection of the agent endpoint closed (socket monitor: its descriptor): its node binding
  // goes, and no command is sent on its routing id any more.
  void OnAgentConnectionClosed(int fd);
  // A connection on `port` came in, completed its handshake or failed it (socket monitor),
  // counted: every connection that is not admitted shows as accepted and not handshaken.
  void OnConnectionEvent(Outbound::Port port, const protocol::HandshakeMonitor::Event& event);

  // True while a plan is being made, an apply stored or a query forwarded for a CLI that waits
  // (poll more often then).
  bool WaitingForPlans() const {
    return (context_.plans != nullptr && context_.plans->in_flight() > 0) ||
           (context_.forwards != nullptr && context_.forwards->in_flight() > 0);
  }
  const Counters& counters() const { return counters_; }
  // The counters as SharedState publishes them.
  EndpointsHealth Health() const;
  const AgentPeers& peers() const { return peers_; }
  const PendingCommands& pending() const { return pending_; }
  // How many agent identities the service-images bookkeeping holds.
  std::size_t images_sent_size() const { return images_due_.size(); }
  const NodeBindings& bindings() const { return bindings_; }

 private:
  // Runs `handle`; "" when it returned, else what the exception it threw says.
  static std::string Failure(const std::function<void()>& handle);
  void HandleAgent(const protocol::Incoming& incoming);
  void HandleControl(const protocol::Incoming& incoming);
  protocol::Header OwnHeader();
  void Refuse(Outbound::Port port, const std::string& peer, const Status& why,
              protocol::Refusal refusal);
  // Who sent `incoming`, after the checks every frame passes, in this order: a ZAP identity, no
  // routing id of its own choosing, the connection's rate limit (over it: dropped, not answered),
  // a frame that decodes, the role's permission; nullopt when it was refused or dropped here.
  std::optional<PeerAuth> Admit(Outbound::Port port, const protocol::Incoming& incoming);
  // Refuses with an `error` of `code` (kErrorForbidden, kErrorNotAttested), a log line and a
  // `forbidden` event naming the peer (both rate-limited), counting it in `*counter`.
  void Forbid(Outbound::Port port, const protocol::Incoming& incoming, const PeerAuth& auth,
              const Status& why, const char* code, std::uint64_t* counter);
  // The hello of an authenticated agent: its attestation checked, its connection bound.
  void HandleAttestedHello(const protocol::Incoming& incoming, const PeerAuth& auth,
                           const protocol::Hello& hello);
  // The hello, once its node is known (proven, or --insecure): recorded and welcomed.
  void WelcomeAgent(const std::string& peer, const protocol::Hello& hello,
                    const std::string& attestation);
  // A join_request (leader/heal/join.h): answered with the worker token or why not, and recorded
  // as an event (a refusal only when its reason for that node changed).
  void HandleJoinRequest(const std::string& peer, const std::optional<NodeBinding>& bound,
                         const protocol::JoinRequest& request);
  nlohmann::json SecurityJson() const;
  // Sends `reply` to CLI peer `identity`; one too large for a frame is replaced by an error reply
  // naming `what` and the size.
  void SendReply(const std::string& identity, const std::string& what, protocol::Reply reply);
  // Sends on the agent endpoint; failures are counted and logged (rate-limited) as `what`.
  Status SendToAgentPeer(const std::string& identity, protocol::Body body, const char* what);
  void NoteSendFailure(const std::string& what, const std::string& identity, const Status& why);
  // A field of a hello/node_report out of range: the refusal, or Ok.
  static Status CheckNodeFields(const std::string& type, const std::string& node_id,
                                const std::string& hostname);

  protocol::Reply NewReply();
  protocol::Reply Answer(const protocol::Query& query);
  protocol::Reply AnswerEvents(const protocol::Query& query, protocol::Reply reply);
  protocol::Reply AnswerCommand(const protocol::Query& query);
  // `config show` and `config get` (the stored set in force, for `config diff`): from the
  // controller's view.
  protocol::Reply AnswerConfig(const protocol::Query& query);
  // `config apply` on the active instance: a job on the plans' worker.
  void StartApply(const std::string& cli_identity, const protocol::Query& query,
                  const PeerAuth& auth, bool from_peer);
  // A query that must run on the active instance, asked of a standby: a job on `forwards`.
  void StartForward(const std::string& cli_identity, const protocol::Query& query,
                    const PeerAuth& auth, const std::string& endpoint, const std::string& active);
  // {"node_id", "hostname", "active"} of this instance, for answers that say who ran them.
  nlohmann::json InstanceJson();
  void StartPlan(const std::string& cli_identity);
  void StartLogs(const std::string& cli_identity, const protocol::Query& query);
  void SendOutbox();
  void SendServiceImages();
  void PruneToNodeList();
  void Deliver(Completions done);
  void RecordOwnEvent(const protocol::Event& event);
  void RefreshLease();

  const EndpointsContext context_;
  const Clock& clock_;
  SharedState& shared_;
  Outbound& out_;
  AgentPeers peers_;                      // which ROUTER identity reaches which node's agent
  PendingCommands pending_;               // commands sent to agents, waiting for results
  std::vector<std::string> images_sent_;  // the service image references last sent
  std::map<std::string, SteadyTime> images_due_;  // agent identity -> when to send them again
  std::uint64_t seen_node_list_ = 0;              // the node list generation peers_ is pruned to
  std::uint64_t seq_ = 0;
  Counters counters_;
  LogLimiter refusal_log_{kLogPeriod};
  LogLimiter send_log_{kLogPeriod};
  LogLimiter rate_log_{kLogPeriod};
  NodeBindings bindings_;  // agent connections that proved their node
  // Join requests, by node id (pruned to Swarm's node list): the last grant and the last refusal.
  struct JoinMemory {
    std::optional<SteadyTime> last_grant;
    std::string last_refusal;
  };
  std::map<std::string, JoinMemory> joins_;
  RateLimiter agent_limits_{kAgentLimits, kMaxRateLimitedPeers};
  RateLimiter control_limits_{kControlLimits, kMaxRateLimitedPeers};
  // `forbidden` events, at most one per kLogPeriod per key name (bounded by the clients file).
  std::map<std::string, LogLimiter> forbidden_events_;
  SteadyTime next_insecure_warning_{};
};

// The Service: owns the two ROUTER sockets, polls them every 250 ms at most (10 ms while a plan is
// being made, so its reply goes out soon after it is done), hands what arrives
// to the core (at most kMaxMessagesPerRound per socket per round, so a flood on one endpoint does
// not starve the other) and calls Tick().
class Endpoints final : public Service {
 public:
  // The two bound ROUTERs and, when given, their socket monitors (connections that closed, and
  // handshakes that failed before ZAP, are seen through them).
  struct Sockets {
    zmq::socket_t agents;
    zmq::socket_t control;
    std::optional<protocol::HandshakeMonitor> agents_monitor;
    std::optional<protocol::HandshakeMonitor> control_monitor;
  };
  Endpoints(EndpointsContext context, Sockets sockets);

  static constexpr int kMaxMessagesPerRound = 256;

 protected:
  void Run(std::stop_token stop) override;

 private:
  void DrainMonitors();

  Sockets sockets_;
  ZmqOutbound outbound_;
  EndpointsCore core_;
};

}  // namespace orcastra::leader
