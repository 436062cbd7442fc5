#include "leader/endpoints/endpoints.h"

#include <cerrno>
#include <exception>
#include <limits>
#include <set>
#include <utility>

#include "common/flags.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "leader/anchors/views.h"
#include "leader/config_store/store.h"
#include "leader/heal/join.h"
#include "leader/state/documents.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kPollTick{250};
constexpr std::chrono::milliseconds kPlanPollTick{10};

std::string Arg(const protocol::Query& query, const char* key) {
  auto it = query.args.find(key);
  return it == query.args.end() ? std::string() : it->second;
}

std::string PeerName(const AgentPeer& peer) {
  return peer.hostname.empty() ? peer.node_id : peer.hostname;
}

// Halves `output`, keeping its end, with a note (only for replies whose JSON grew too large).
std::string CapOutputForReply(const std::string& output) {
  return "[truncated to fit the reply]\n" + output.substr(output.size() / 2);
}

// The connection a message came on: its ZAP serial, or (plain text) its routing id.
std::string ConnectionKey(const PeerAuth& auth, const std::string& identity) {
  return auth.authenticated ? "c" + std::to_string(auth.serial) : "r" + identity;
}

}  // namespace

Status ZmqOutbound::Send(Port port, const std::string& identity, const protocol::Message& message) {
  return protocol::SendTo(port == Port::kAgents ? agents_ : control_, identity, message);
}

EndpointsCore::EndpointsCore(EndpointsContext context, Outbound& out)
    : context_(std::move(context)),
      clock_(*context_.clock),
      shared_(*context_.shared),
      out_(out),
      next_insecure_warning_(clock_.Now() + kInsecureWarningPeriod) {}

protocol::Header EndpointsCore::OwnHeader() {
  std::lock_guard lock(shared_.mutex);
  return {protocol::kMajorVersion, shared_.cluster.identity().node_id, ++seq_, clock_.WallMs()};
}

// What an exception that reached a handler says.
std::string EndpointsCore::Failure(const std::function<void()>& handle) {
  try {
    handle();
    return "";
  } catch (const std::exception& e) {
    return e.what()[0] == '\0' ? std::string("an exception without a message") : e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

void EndpointsCore::OnAgentMessage(const protocol::Incoming& incoming) {
  const std::string failure = Failure([&] { HandleAgent(incoming); });
  if (failure.empty()) return;
  ++counters_.handler_failures;
  Logger("leader")->error("handling a message from agent peer '{}' failed: {}",
                          protocol::PeerLabel(incoming.peer_identity), failure);
}

void EndpointsCore::OnControlMessage(const protocol::Incoming& incoming) {
  const std::string failure = Failure([&] { HandleControl(incoming); });
  if (failure.empty()) return;
  ++counters_.handler_failures;
  Logger("leader")->error("handling a message from CLI peer '{}' failed: {}",
                          protocol::PeerLabel(incoming.peer_identity), failure);
  // The CLI waits for an answer: it gets one (unless the failure was in sending it).
  const auto* query =
      incoming.message.ok() ? std::get_if<protocol::Query>(&incoming.message->body) : nullptr;
  if (query == nullptr || incoming.peer_identity.empty()) return;
  const std::string again = Failure([&] {
    protocol::Reply reply = NewReply();
    reply.error = "internal error answering '" + query->what + "': " + failure;
    SendReply(incoming.peer_identity, query->what, std::move(reply));
  });
  if (!again.empty()) {
    Logger("leader")->error("answering the failed query failed too: {}", again);
  }
}

void EndpointsCore::Refuse(Outbound::Port port, const std::string& peer, const Status& why,
                           protocol::Refusal refusal) {
  ++counters_.refused;
  std::uint64_t suppressed = 0;
  if (refusal_log_.Allow(clock_.Now(), &suppressed)) {
    Logger("leader")->warn("refused a message: {}{}", why.ToString(), Suppressed(suppressed));
  }
  if (peer.empty()) return;  // a socket error: nobody to answer
  Status sent = out_.Send(port, peer, protocol::ErrorReplyFor(why, refusal, OwnHeader()));
  if (!sent.ok()) NoteSendFailure("error", peer, sent);
}

void EndpointsCore::NoteSendFailure(const std::string& what, const std::string& identity,
                                    const Status& why) {
  ++counters_.send_failures;
  std::uint64_t suppressed = 0;
  if (send_log_.Allow(clock_.Now(), &suppressed)) {
    Logger("leader")->warn("{} to peer '{}' not sent: {}{}", what, protocol::PeerLabel(identity),
                           why.ToString(), Suppressed(suppressed));
  }
}

void EndpointsCore::SendReply(const std::string& identity, const std::string& what,
                              protocol::Reply reply) {
  Status sent = out_.Send(Outbound::Port::kControl, identity, {OwnHeader(), reply});
  if (sent.code() == Status::Code::kInvalidArgument) {
    // Too large for one frame: the CLI gets an error saying so instead of waiting in vain.
    ++counters_.replies_too_large;
    Logger("leader")->warn("the answer to '{}' is too large to send: {}", what, sent.message());
    reply.ok = false;
    reply.result_json.clear();
    reply.error = "the answer to '" + what + "' is too large to send (" + sent.message() + ")";
    sent = out_.Send(Outbound::Port::kControl, identity, {OwnHeader(), reply});
  }
  if (!sent.ok()) NoteSendFailure("reply to '" + what + "'", identity, sent);
}

Status EndpointsCore::SendToAgentPeer(const std::string& identity, protocol::Body body,
                                      const char* what) {
  Status sent = out_.Send(Outbound::Port::kAgents, identity, {OwnHeader(), std::move(body)});
  if (!sent.ok()) NoteSendFailure(what, identity, sent);
  return sent;
}

Status EndpointsCore::CheckNodeFields(const std::string& type, const std::string& node_id,
                                      const std::string& hostname) {
  if (node_id.size() > kMaxNodeIdBytes) {
    return Status::ParseError(type + ": field body.node_id: " + std::to_string(node_id.size()) +
                              " bytes; a node id has at most " + std::to_string(kMaxNodeIdBytes));
  }
  if (hostname.size() > kMaxHostnameBytes) {
    return Status::ParseError(type + ": field body.hostname: " + std::to_string(hostname.size()) +
                              " bytes; a hostname has at most " +
                              std::to_string(kMaxHostnameBytes));
  }
  return Status::Ok();
}

std::optional<PeerAuth> EndpointsCore::Admit(Outbound::Port port,
                                             const protocol::Incoming& incoming) {
  const std::string& peer = incoming.peer_identity;
  if (peer.empty() && !incoming.message.ok()) {
    // A socket error, not a peer's message: nobody to answer, no role to check.
    Refuse(port, peer, incoming.message.status(), incoming.refusal);
    return std::nullopt;
  }
  PeerAuth auth;
  if (!context_.security.insecure) {
    std::optional<PeerAuth> parsed = PeerAuth::Parse(incoming.user_id);
    if (!parsed) {
      // Only a socket without ZAP could deliver this; refuse rather than guess a role.
      Forbid(port, incoming, auth,
             Status::PermissionDenied("a message without an authenticated key"),
             protocol::kErrorForbidden, &counters_.forbidden);
      return std::nullopt;
    }
    auth = *parsed;
    if (!incoming.declared_identity.empty()) {
      Forbid(port, incoming, auth,
             Status::PermissionDenied(
                 auth.Describe() + ": a peer may not choose its own routing id (ZMQ_ROUTING_ID)"),
             protocol::kErrorForbidden, &counters_.forbidden);
      return std::nullopt;
    }
  }
  RateLimiter& limiter = port == Outbound::Port::kAgents ? agent_limits_ : control_limits_;
  if (!limiter.Allow(ConnectionKey(auth, peer), clock_.Now())) {
    ++counters_.rate_limited;
    std::uint64_t suppressed = 0;
    if (rate_log_.Allow(clock_.Now(), &suppressed)) {
      Logger("leader")->warn("dropped a message from {} (peer '{}', {}): over its rate limit{}",
                             auth.Describe(), protocol::PeerLabel(peer),
                             incoming.peer_address.empty() ? "?" : incoming.peer_address,
                             Suppressed(suppressed));
    }
    return std::nullopt;
  }
  if (!incoming.message.ok()) {
    Refuse(port, peer, incoming.message.status(), incoming.refusal);
    return std::nullopt;
  }
  if (Status permitted = Permit(auth, incoming.message->body); !permitted.ok()) {
    Forbid(port, incoming, auth, permitted, protocol::kErrorForbidden, &counters_.forbidden);
    return std::nullopt;
  }
  return auth;
}

void EndpointsCore::Forbid(Outbound::Port port, const protocol::Incoming& incoming,
                           const PeerAuth& auth, const Status& why, const char* code,
                           std::uint64_t* counter) {
  ++*counter;
  const SteadyTime now = clock_.Now();
  const std::string address = incoming.peer_address.empty() ? "?" : incoming.peer_address;
  const std::string type = incoming.message.ok()
                               ? std::string(protocol::TypeName(incoming.message->body))
                               : std::string("message");
  const std::string text = "refused " + type + " from " + address + " (peer '" +
                           protocol::PeerLabel(incoming.peer_identity) + "'): " + why.message();
  std::uint64_t suppressed = 0;
  if (refusal_log_.Allow(now, &suppressed)) {
    Logger("leader")->warn("{}{}", text, Suppressed(suppressed));
  }
  const std::string who = auth.authenticated ? auth.key_name : std::string("(plain text)");
  if (forbidden_events_.size() < protocol::kMaxClients + 8 || forbidden_events_.contains(who)) {
    auto [limiter, fresh] = forbidden_events_.try_emplace(who, kLogPeriod);
    std::uint64_t left_out = 0;
    if (limiter->second.Allow(now, &left_out)) {
      protocol::Event event;
      event.kind = code == std::string(protocol::kErrorNotAttested) ? "not_attested" : "forbidden";
      event.subject = who;
      event.message = text;
      event.attrs = {{"address", address}, {"type", type}, {"code", code}};
      if (auth.authenticated) {
        event.attrs["key"] = auth.key_name;
        event.attrs["role"] = std::string(protocol::RoleName(auth.role));
      }
      if (left_out > 0) event.attrs["suppressed"] = std::to_string(left_out);
      RecordOwnEvent(event);
    }
  }
  if (incoming.peer_identity.empty()) return;
  Status sent = out_.Send(port, incoming.peer_identity,
                          {OwnHeader(), protocol::Error{code, CutText(text, 4096)}});
  if (!sent.ok()) NoteSendFailure("error", incoming.peer_identity, sent);
}

void EndpointsCore::WelcomeAgent(const std::string& peer, const protocol::Hello& hello,
                                 const std::string& attestation) {
  const SteadyTime now = clock_.Now();
  peers_.See(hello.node_id, hello.hostname, peer,
             std::chrono::milliseconds(hello.report_interval_ms), now);
  RefreshLease();
  protocol::Welcome welcome;
  {
    std::lock_guard lock(shared_.mutex);
    shared_.cluster.RecordHello(hello, now, attestation);
    welcome = {shared_.cluster.identity().node_id, shared_.cluster.identity().hostname,
               shared_.cluster.IsActive()};
  }
  Logger("leader")->debug("hello from agent on '{}' ({}), version {}, attestation {}",
                          hello.hostname, hello.node_id, hello.agent_version, attestation);
  // A failed send is counted and logged; the agent says hello again when it reconnects.
  (void)SendToAgentPeer(peer, welcome, "welcome");
}

void EndpointsCore::HandleAttestedHello(const protocol::Incoming& incoming, const PeerAuth& auth,
                                        const protocol::Hello& hello) {
  protocol::AttestationCheck check;
  check.claimed_node_id = hello.node_id;
  check.leader_public_keys = {context_.security.leader_public_key};
  if (context_.security.keys != nullptr) {
    if (const protocol::ClientKey* key = context_.security.keys->FindByName(auth.key_name)) {
      check.agent_public_key = key->public_key;
    }
  }
  check.now_ms = clock_.WallMs();
  protocol::SwarmTrust trust;
  {
    std::lock_guard lock(shared_.mutex);
    trust = shared_.trust;
    check.claimed_node_is_manager = shared_.cluster.IsManager(hello.node_id);
  }
  Result<protocol::AttestedIdentity> proven =
      protocol::VerifyAttestation(hello.attestation, check, trust);
  if (!proven.ok()) {
    const bool retry = proven.status().code() == Status::Code::kUnavailable;
    {
      std::lock_guard lock(shared_.mutex);
      shared_.cluster.RecordAttestationFailure(hello.node_id, proven.status().message(),
                                               clock_.WallMs());
    }
    Forbid(Outbound::Port::kAgents, incoming, auth,
           Status::PermissionDenied("hello for node '" + CutText(hello.node_id, 64) +
                                    "': " + proven.status().message()),
           retry ? protocol::kErrorNotAttested : protocol::kErrorForbidden,
           &counters_.attestation_refused);
    return;
  }
  NodeBinding binding;
  binding.node_id = proven->node_id;
  binding.method = proven->method;
  binding.swarm_role = proven->swarm_role;
  binding.identity = incoming.peer_identity;
  binding.fd = incoming.source_fd;
  bindings_.Bind(ConnectionKey(auth, incoming.peer_identity), std::move(binding), clock_.Now());
  WelcomeAgent(incoming.peer_identity, hello, proven->method);
}

void EndpointsCore::HandleAgent(const protocol::Incoming& incoming) {
  const std::string& peer = incoming.peer_identity;
  std::optional<PeerAuth> auth = Admit(Outbound::Port::kAgents, incoming);
  if (!auth) return;
  const protocol::Message& message = *incoming.message;
  const SteadyTime now = clock_.Now();
  const std::string from = "from peer '" + protocol::PeerLabel(peer) + "'";
  const bool secure = !context_.security.insecure;

  if (const auto* error = std::get_if<protocol::Error>(&message.body)) {
    // An agent refused something we sent (an older agent and agent_command): never answered;
    // a pending command times out naming the node.
    std::uint64_t suppressed = 0;
    if (refusal_log_.Allow(now, &suppressed)) {
      Logger("leader")->warn("the agent of node '{}' refused a message: {} ({}){}",
                             message.header.node, error->message, error->code,
                             Suppressed(suppressed));
    }
    return;
  }
  if (const auto* hello = std::get_if<protocol::Hello>(&message.body)) {
    if (Status bad = CheckNodeFields("hello " + from, hello->node_id, hello->hostname); !bad.ok()) {
      Refuse(Outbound::Port::kAgents, peer, bad, protocol::Refusal::kBadMessage);
      return;
    }
    if (secure) {
      HandleAttestedHello(incoming, *auth, *hello);
    } else {
      WelcomeAgent(peer, *hello, "none");
    }
    return;
  }

  // Everything else speaks for a node: the one its connection proved (plain text: any).
  std::optional<NodeBinding> bound;
  if (secure) {
    bound = bindings_.Touch(ConnectionKey(*auth, peer), peer, incoming.source_fd, now);
    if (!bound) {
      Forbid(Outbound::Port::kAgents, incoming, *auth,
             Status::PermissionDenied(
                 "this connection has not proved its node yet: say hello with an attestation"),
             protocol::kErrorNotAttested, &counters_.not_attested);
      return;
    }
  }
  auto speaks_for = [&](const std::string& claimed, const char* field) {
    if (!bound || claimed.empty() || claimed == bound->node_id) return true;
    Forbid(Outbound::Port::kAgents, incoming, *auth,
           Status::PermissionDenied("the connection of node '" + bound->node_id +
                                    "' may not speak for node '" + CutText(claimed, 64) + "' (" +
                                    field + ")"),
           protocol::kErrorForbidden, &counters_.forbidden);
    return false;
  };

  if (const auto* report = std::get_if<protocol::NodeReport>(&message.body)) {
    if (Status bad = CheckNodeFields("node_report " + from, report->node_id, report->hostname);
        !bad.ok()) {
      Refuse(Outbound::Port::kAgents, peer, bad, protocol::Refusal::kBadMessage);
      return;
    }
    if (!speaks_for(report->node_id, "body.node_id") || !speaks_for(message.header.node, "node")) {
      return;
    }
    if (bound && report->node_id.empty()) return;  // nothing to record
    peers_.See(report->node_id, report->hostname, peer,
               std::chrono::milliseconds(report->report_interval_ms), now);
    std::lock_guard lock(shared_.mutex);
    shared_.cluster.RecordReport(*report, now);
  } else if (const auto* result = std::get_if<protocol::AgentCommandResult>(&message.body)) {
    if (!speaks_for(message.header.node, "node")) return;
    Deliver(pending_.OnResult(*result, bound ? bound->node_id : message.header.node));
  } else if (const auto* join = std::get_if<protocol::JoinRequest>(&message.body)) {
    HandleJoinRequest(peer, bound, *join);
  } else if (const auto* event = std::get_if<protocol::Event>(&message.body)) {
    if (!speaks_for(message.header.node, "node")) return;
    {
      std::lock_guard lock(shared_.mutex);
      shared_.cluster.RecordEvent(bound ? bound->node_id : message.header.node, *event,
                                  message.header.ts_ms);
    }
    // A container of the node died or changed health: maybe an anchor or a dependent.
    if (context_.event_mode && context_.poke && event->kind.rfind("container_", 0) == 0) {
      context_.poke();
    }
  } else {
    Refuse(Outbound::Port::kAgents, peer,
           Status::Unsupported(std::string(protocol::TypeName(message.body)) + " " + from +
                               ": this message type is not accepted on the agent endpoint"),
           protocol::Refusal::kUnknownType);
  }
}

void EndpointsCore::HandleJoinRequest(const std::string& peer,
                                      const std::optional<NodeBinding>& bound,
                                      const protocol::JoinRequest& request) {
  protocol::JoinAnswer answer;
  answer.answered_by = OwnHeader().node;
  if (!bound) {
    // --insecure: no connection proves a node, so no join token travels (it would in plain text).
    answer.retry = false;
    answer.reason =
        "join tokens are handed out only over CURVE to an agent that proved its node; this leader "
        "runs --insecure";
    (void)SendToAgentPeer(peer, answer, "join_answer");
    return;
  }
  JoinInputs in;
  in.node_id = bound->node_id;
  in.now = clock_.Now();
  const LeaseView lease = context_.lease ? context_.lease() : LeaseView{};
  if (!lease.holder_hostname.empty()) {
    in.active_hint = lease.holder_hostname + " (node " + lease.holder_node_id + ")";
  }
  std::vector<docker::Node> nodes;
  std::shared_ptr<const config::Config> config;
  HealView heal;
  std::string token;
  SteadyTime read_at{};
  {
    std::lock_guard lock(shared_.mutex);
    in.active = shared_.cluster.IsActive();
    if (shared_.view.has_config) config = shared_.view.config;
    if (shared_.cluster.node_list_generation() > 0) {
      nodes = shared_.cluster.nodes();
      read_at = shared_.cluster.nodes_read_at();
    }
    heal = shared_.heal;
    token = shared_.worker_join_token;
  }
  in.has_config = config != nullptr;
  in.dry_run = heal.dry_run;
  in.worker_token_known = !token.empty();
  JoinMemory& memory = joins_[in.node_id];
  in.last_grant = memory.last_grant;
  HealPlan plan;
  if (config && read_at != SteadyTime{}) {
    plan = PlanHeal(config->swarm, heal.settings,
                    HealSnapshot{nodes, RaftWriteAge(heal.last_raft_write, read_at)}, heal.memory,
                    in.now);
    in.plan = &plan;
    in.nodes = &nodes;
  }
  const JoinDecision decision = DecideJoin(in);
  answer.granted = decision.grant;
  answer.retry = decision.retry;
  answer.reason = decision.reason;
  protocol::Event event;
  event.subject = in.node_id;
  event.message = decision.reason;
  event.attrs = {{"node_id", in.node_id},
                 {"hostname", decision.hostname},
                 {"local_state", CutText(request.local_state, 32)}};
  if (decision.grant) {
    answer.join_token = std::move(token);
    answer.manager_addrs = decision.manager_addrs;
    memory.last_grant = in.now;
    memory.last_refusal.clear();
    event.kind = "join_granted";
    RecordOwnEvent(event);
  } else if (in.active && decision.reason != memory.last_refusal) {
    memory.last_refusal = decision.reason;
    event.kind = in.dry_run && decision.retry ? "dry_run" : "join_refused";
    RecordOwnEvent(event);
  }
  Logger("leader")->info("join_request from the agent of node '{}': {}{}", in.node_id,
                         decision.grant ? "granted: " : "refused: ", decision.reason);
  (void)SendToAgentPeer(peer, std::move(answer), "join_answer");
}

void EndpointsCore::HandleControl(const protocol::Incoming& incoming) {
  const std::string& peer = incoming.peer_identity;
  const std::optional<PeerAuth> auth = Admit(Outbound::Port::kControl, incoming);
  if (!auth) return;
  const protocol::Body& body = incoming.message->body;
  if (const auto* error = std::get_if<protocol::Error>(&body)) {
    std::uint64_t suppressed = 0;
    if (refusal_log_.Allow(clock_.Now(), &suppressed)) {
      Logger("leader")->warn("CLI peer '{}' sent an error (not answered): {} ({}){}",
                             protocol::PeerLabel(peer), error->message, error->code,
                             Suppressed(suppressed));
    }
    return;
  }
  const auto* query = std::get_if<protocol::Query>(&body);
  if (query == nullptr) {
    Refuse(Outbound::Port::kControl, peer,
           Status::Unsupported(std::string(protocol::TypeName(body)) + " from peer '" +
                               protocol::PeerLabel(peer) +
                               "': only queries are accepted on the control endpoint"),
           protocol::Refusal::kUnknownType);
    return;
  }
  // Forwarded by another leader instance: only a connection with the leaders' own key says so
  // (plain text: anyone may, as anyone may do anything).
  const bool from_peer = auth->authenticated ? auth->key_name == kPeerLeaderKeyName
                                             : query->args.contains(kArgForwardedBy);
  RouteInput input;
  input.runs_on_active = RunsOnActive(*query);
  input.forwarded = from_peer;
  input.control_port = context_.control_port;
  if (input.runs_on_active) {
    RefreshLease();
    const LeaseView lease = context_.lease ? context_.lease() : LeaseView{};
    std::lock_guard lock(shared_.mutex);
    input.we_are_active = shared_.cluster.IsActive();
    input.holder_node_id = lease.holder_node_id;
    input.holder_hostname = lease.holder_hostname;
    input.holder_address = NodeAddress(shared_.cluster.nodes(), lease.holder_node_id);
  }
  const Route route = DecideRoute(input);
  if (route.kind == Route::Kind::kNoActive) {
    protocol::Reply reply = NewReply();
    reply.error = route.reason;
    reply.result_json = DumpJson({{"reason", kNoActiveReason}});
    SendReply(peer, query->what, std::move(reply));
    return;
  }
  if (route.kind == Route::Kind::kForward) {
    StartForward(peer, *query, *auth, route.endpoint,
                 input.holder_hostname.empty() ? input.holder_node_id : input.holder_hostname);
    return;
  }
  if (query->what == "logs") {
    StartLogs(peer, *query);  // answered when the agent's result is in
  } else if (query->what == "plan") {
    StartPlan(peer);  // answered when the plan worker is done
  } else if (query->what == "command") {
    SendReply(peer, query->what, AnswerCommand(*query));
  } else if (query->what == "config_apply") {
    StartApply(peer, *query, *auth, from_peer);  // answered when the store is written
  } else if (query->what == "config_show" || query->what == "config_get") {
    SendReply(peer, query->what, AnswerConfig(*query));
  } else {
    SendReply(peer, query->what, Answer(*query));
  }
}

protocol::Reply EndpointsCore::NewReply() {
  protocol::Reply reply;
  std::lock_guard lock(shared_.mutex);
  reply.answered_by = shared_.cluster.identity().node_id;
  reply.from_active_leader = shared_.cluster.IsActive();
  return reply;
}

protocol::Reply EndpointsCore::Answer(const protocol::Query& query) {
  RefreshLease();
  std::lock_guard lock(shared_.mutex);
  const ClusterState& cluster = shared_.cluster;
  protocol::Reply reply;
  reply.answered_by = cluster.identity().node_id;
  reply.from_active_leader = cluster.IsActive();
  const SteadyTime now = clock_.Now();
  if (!cluster.has_node_list()) {
    reply.error =
        "this leader instance has not read the node list yet (is its Docker daemon a manager?)";
  } else if (query.what == "status") {
    reply.ok = true;
    reply.result_json = DumpJson(StatusDocument(shared_, Health(), now));
  } else if (query.what == "events") {
    reply = AnswerEvents(query, std::move(reply));
  } else if (query.what == "nodes") {
    reply.ok = true;
    reply.result_json = DumpJson(cluster.NodesJson(now));
  } else if (query.what == "anchors" || query.what == "services") {
    auto document = ViewDocument(shared_.view, query.what);
    if (document.ok()) {
      reply.ok = true;
      reply.result_json = DumpJson(*document);
    } else {
      reply.error = document.status().message();
    }
  } else {
    reply.error = "unknown query '" + query.what + "'";
  }
  return reply;
}

// Called with shared_.mutex held (from Answer).
protocol::Reply EndpointsCore::AnswerEvents(const protocol::Query& query, protocol::Reply reply) {
  EventsQuery events;
  if (std::string after = Arg(query, "after"); !after.empty()) {
    auto parsed = ParseDecimal(after);
    if (!parsed) {
      reply.error = "events: after '" + after + "' is not an event sequence number";
      return reply;
    }
    events.after = *parsed;
  }
  if (std::string since = Arg(query, "since_ms"); !since.empty()) {
    auto parsed = ParseInt(since, 0, std::numeric_limits<std::int64_t>::max(), "since_ms");
    if (!parsed.ok()) {
      reply.error = parsed.status().message();
      return reply;
    }
    events.since_ms = *parsed;
  }
  events.limit = kMaxEventsPageLimit;
  if (std::string limit = Arg(query, "limit"); !limit.empty()) {
    auto parsed =
        ParseInt(limit, 1, static_cast<std::int64_t>(kMaxEventsPageLimit), "events limit");
    if (!parsed.ok()) {
      reply.error = parsed.status().message();
      return reply;
    }
    events.limit = static_cast<std::size_t>(*parsed);
  }
  events.node = Arg(query, "node");
  events.kind = Arg(query, "type");
  EventsPage page = shared_.cluster.Events(events, kMaxEventsPageJson);
  reply.ok = true;
  reply.result_json = DumpJson({{"events", std::move(page.events)},
                                {"more", page.more},
                                {"cursor", page.cursor},
                                {"log_id", shared_.cluster.event_log_id()}});
  return reply;
}

// `orcastra command NAME[:ARG]`: queued on the active instance; the result goes to the events.
protocol::Reply EndpointsCore::AnswerCommand(const protocol::Query& query) {
  RefreshLease();
  protocol::Reply reply = NewReply();
  const std::string text = Arg(query, "command");
  if (text.empty()) {
    reply.error = "no command given";
    return reply;
  }
  if (!reply.from_active_leader) {
    // Only when the lease moved between the routing and here (HandleControl forwards otherwise).
    reply.error = "this instance stopped being the active one; retry";
    reply.result_json = DumpJson({{"reason", kNoActiveReason}});
    return reply;
  }
  if (!context_.submit) {
    reply.error = "this instance runs no controller";
    return reply;
  }
  auto id = context_.submit(text, "cli");
  if (!id.ok()) {
    reply.error = id.status().message();
    return reply;
  }
  reply.ok = true;
  reply.result_json = DumpJson({{"id", *id}, {"command", text}, {"instance", InstanceJson()}});
  return reply;
}

json EndpointsCore::InstanceJson() {
  std::lock_guard lock(shared_.mutex);
  const InstanceIdentity& self = shared_.cluster.identity();
  return {{"node_id", self.node_id},
          {"hostname", self.hostname},
          {"active", shared_.cluster.IsActive()}};
}

protocol::Reply EndpointsCore::AnswerConfig(const protocol::Query& query) {
  RefreshLease();
  protocol::Reply reply = NewReply();
  json instance = InstanceJson();
  std::lock_guard lock(shared_.mutex);
  const ControllerView& view = shared_.view;
  json result = view.config_source.is_object() ? view.config_source : json::object();
  result["instance"] = std::move(instance);
  result["files"] = view.config ? json(view.config->files) : json::array();
  result["config_problem"] = view.config_problem;
  if (query.what == "config_get") {
    // The stored set in force here, as `config apply` sends it (EncodeSet), for `config diff`.
    result["set"] = view.stored_set ? json(EncodeSet(*view.stored_set)) : json();
  }
  reply.ok = true;
  reply.result_json = DumpJson(result);
  return reply;
}

void EndpointsCore::StartApply(const std::string& cli_identity, const protocol::Query& query,
                               const PeerAuth& auth, bool from_peer) {
  protocol::Reply base = NewReply();
  auto fail = [&](const std::string& why) {
    protocol::Reply reply = base;
    reply.error = why;
    SendReply(cli_identity, "config_apply", std::move(reply));
  };
  auto set = DecodeSet(Arg(query, "set"));
  if (!set.ok()) return fail("config apply: the configuration sent: " + set.status().message());
  AppliedBy by;
  if (from_peer) {
    by.name = CutText(Arg(query, kArgOnBehalfOfName), 128);
    by.public_key = CutText(Arg(query, kArgOnBehalfOfKey), 64);
  } else if (auth.authenticated) {
    by.name = auth.key_name;
    if (const protocol::KeySet* keys = context_.security.keys) {
      if (const protocol::ClientKey* key = keys->FindByName(auth.key_name)) {
        by.public_key = key->public_key;
      }
    }
  }
  if (by.name.empty()) by.name = "insecure (plain text: no key)";
  json instance = InstanceJson();
  by.via = instance.value("hostname", "") + " (" + instance.value("node_id", "") + ")";
  if (from_peer) by.via += ", forwarded by " + CutText(Arg(query, kArgForwardedBy), 253);
  PlanJob job;
  job.cli_identity = cli_identity;
  job.what = "config_apply";
  job.reply = base;
  job.run = [set = std::move(*set), by, base, instance, settings = context_.settings,
             clock = context_.clock, poke = context_.poke_store](SwarmApi* api) {
    protocol::Reply reply = base;
    if (api == nullptr) {
      reply.error = "config apply: this worker cannot write to Swarm";
      return reply;
    }
    ApplyOutcome outcome = ExecuteApply(*api, set, by, clock->WallMs(), settings);
    outcome.answer["instance"] = instance;
    reply.result_json = DumpJson(outcome.answer);
    if (!outcome.status.ok()) {
      reply.error = outcome.status.message();
      for (const auto& line : outcome.answer.value("diagnostics", json::array())) {
        if (line.is_string()) reply.error += "\n" + line.get<std::string>();
      }
      return reply;
    }
    reply.ok = true;
    if (poke && outcome.answer.value("result", "") == "stored") poke();
    return reply;
  };
  Status queued = context_.plans == nullptr ? Status::Unavailable("no worker to store it")
                                            : context_.plans->Submit(std::move(job));
  if (!queued.ok()) {
    ++counters_.busy;
    fail("config apply: " + queued.message());
  }
}

void EndpointsCore::StartForward(const std::string& cli_identity, const protocol::Query& query,
                                 const PeerAuth& auth, const std::string& endpoint,
                                 const std::string& active) {
  protocol::Reply base = NewReply();
  json self = InstanceJson();
  auto fail = [&](const std::string& why) {
    protocol::Reply reply = base;
    reply.error = why;
    SendReply(cli_identity, query.what, std::move(reply));
  };
  if (context_.forwards == nullptr || !context_.forward) {
    return fail("this instance is a standby and cannot forward; the active instance is '" + active +
                "': ask it with --leader " + endpoint);
  }
  protocol::Query forwarded = query;
  forwarded.args[kArgForwardedBy] = self.value("hostname", "");
  forwarded.args.erase(kArgOnBehalfOfKey);
  if (auth.authenticated) {
    forwarded.args[kArgOnBehalfOfName] = auth.key_name;
    if (const protocol::KeySet* keys = context_.security.keys) {
      if (const protocol::ClientKey* key = keys->FindByName(auth.key_name)) {
        forwarded.args[kArgOnBehalfOfKey] = key->public_key;
      }
    }
  } else {
    forwarded.args.erase(kArgOnBehalfOfName);
  }
  PlanJob job;
  job.cli_identity = cli_identity;
  job.what = query.what;
  job.reply = base;
  protocol::Message message{OwnHeader(), std::move(forwarded)};
  job.run = [forward = context_.forward, endpoint, active, base, message,
             by = self.value("hostname", "")](SwarmApi*) {
    return ForwardedReply(forward(endpoint, message), base, endpoint, active, by);
  };
  Status queued = context_.forwards->Submit(std::move(job));
  if (!queued.ok()) {
    ++counters_.busy;
    fail("forwarding to the active instance '" + active + "': " + queued.message());
  }
}

// `orcastra plan`: made by the plan worker (it reads Swarm); answered from Tick().
void EndpointsCore::StartPlan(const std::string& cli_identity) {
  RefreshLease();
  PlanJob job;
  job.cli_identity = cli_identity;
  job.reply = NewReply();
  protocol::Reply busy = job.reply;
  {
    std::lock_guard lock(shared_.mutex);
    job.view = shared_.view;
    job.heal = shared_.heal;
    job.rebalance = shared_.rebalance;
  }
  Status queued = context_.plans == nullptr ? Status::Unavailable("no plan worker")
                                            : context_.plans->Submit(std::move(job));
  if (!queued.ok()) {
    ++counters_.busy;
    busy.error = "plan: " + queued.message();
    SendReply(cli_identity, "plan", std::move(busy));
  }
}

// `orcastra logs NODE [--container C] [--tail N]`: forwarded to the node's agent; the CLI peer is
// answered by Deliver() (or at once when the node cannot be asked).
void EndpointsCore::StartLogs(const std::string& cli_identity, const protocol::Query& query) {
  RefreshLease();
  const std::string node = Arg(query, "node");
  auto fail = [&](const std::string& why) {
    protocol::Reply reply = NewReply();
    reply.error = why;
    SendReply(cli_identity, "logs", std::move(reply));
  };
  if (node.empty()) return fail("no node given");
  const SteadyTime now = clock_.Now();
  auto peer = peers_.Find(node, now);
  if (!peer.ok()) return fail(peer.status().message());
  protocol::AgentCommand command{0, "logs", {}};
  if (std::string container = Arg(query, "container"); !container.empty()) {
    command.args["container"] = container;
  }
  if (std::string tail = Arg(query, "tail"); !tail.empty()) command.args["tail"] = tail;
  auto id = pending_.StartCli(cli_identity, {peer->node_id, PeerName(*peer)}, now + kLogsDeadline);
  if (!id.ok()) {
    ++counters_.busy;
    return fail("logs of '" + PeerName(*peer) + "': " + id.status().message());
  }
  command.id = *id;
  if (Status sent = SendToAgentPeer(peer->identity, command, "agent_command"); !sent.ok()) {
    Deliver(pending_.OnResult(
        {command.id, false,
         "cannot reach the agent on '" + PeerName(*peer) + "': " + sent.message(), ""},
        peer->node_id));
  }
}

// The controller's agent commands: each goes to its node's agent, or to every connected agent.
void EndpointsCore::SendOutbox() {
  if (context_.outbox == nullptr) return;
  AgentCommandOutbox::Taken taken = context_.outbox->TakeAll();
  for (const AgentCommandRequest& refused : taken.refused) {
    ++counters_.busy;
    RecordOwnEvent(
        FailedRequestEvent(refused, "busy: " + std::to_string(AgentCommandOutbox::kMaxRequests) +
                                        " agent commands were waiting to be sent already"));
  }
  if (taken.dropped > 0) {
    counters_.busy += taken.dropped;
    Logger("leader")->warn("{} agent commands refused as busy and not recorded as events",
                           taken.dropped);
  }
  for (AgentCommandRequest& request : taken.requests) {
    const SteadyTime now = clock_.Now();
    std::vector<AgentPeer> targets;
    if (request.node) {
      auto peer = peers_.Find(*request.node, now);
      if (!peer.ok()) {
        RecordOwnEvent(FailedRequestEvent(request, peer.status().message()));
        continue;
      }
      targets.push_back(*peer);
    } else {
      targets = peers_.Connected(now);
      if (targets.empty()) {
        RecordOwnEvent(FailedRequestEvent(request, "no agent is connected to this instance"));
        continue;
      }
    }
    std::vector<PendingCommands::Target> labels;
    for (const auto& peer : targets) labels.push_back({peer.node_id, PeerName(peer)});
    const std::string name = request.name;
    const AgentCommandRequest copy = request;
    auto ids =
        pending_.StartBatch(std::move(request), std::move(labels), now + kAgentCommandDeadline);
    if (!ids.ok()) {
      ++counters_.busy;
      RecordOwnEvent(FailedRequestEvent(copy, ids.status().message()));
      continue;
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      Status sent = SendToAgentPeer(targets[i].identity,
                                    protocol::AgentCommand{(*ids)[i], name, {}}, "agent_command");
      if (!sent.ok()) {
        Deliver(pending_.OnResult(
            {(*ids)[i], false,
             "cannot reach the agent on '" + PeerName(targets[i]) + "': " + sent.message(), ""},
            targets[i].node_id));
      }
    }
  }
}

// Every connected agent gets the service image references of the controller's last complete
// read: at once when it is new (a new identity: it (re)connected) or the references changed, and
// again every kServiceImagesResend so that they stay fresh for its GC.
void EndpointsCore::SendServiceImages() {
  const SteadyTime now = clock_.Now();
  bool have_refs = false;
  {
    std::lock_guard lock(shared_.mutex);
    const auto& refs = shared_.view.service_images;
    have_refs = refs.has_value();
    if (have_refs && *refs != images_sent_) {
      images_sent_ = *refs;
      images_due_.clear();
    }
  }
  const std::vector<AgentPeer> connected = peers_.Connected(now);
  std::set<std::string> identities;
  for (const AgentPeer& peer : connected) identities.insert(peer.identity);
  std::erase_if(images_due_, [&](const auto& entry) { return !identities.contains(entry.first); });
  if (!have_refs) return;  // no complete read of the service list: nothing to vouch for
  for (const std::string& identity : identities) {
    auto due = images_due_.find(identity);
    if (due != images_due_.end() && now < due->second) continue;
    Status sent =
        SendToAgentPeer(identity, protocol::ServiceImages{images_sent_}, "service_images");
    images_due_[identity] = now + (sent.ok() ? std::chrono::milliseconds(kServiceImagesResend)
                                             : std::chrono::milliseconds(kServiceImagesRetry));
  }
}

// Peers of nodes that left Swarm's node list are forgotten once a newer complete list is in.
void EndpointsCore::PruneToNodeList() {
  std::set<std::string> listed;
  {
    std::lock_guard lock(shared_.mutex);
    const std::uint64_t generation = shared_.cluster.node_list_generation();
    if (generation == seen_node_list_) return;
    seen_node_list_ = generation;
    listed = shared_.cluster.listed_node_ids();
  }
  std::erase_if(joins_, [&](const auto& entry) { return !listed.count(entry.first); });
  peers_.PruneTo(std::move(listed));
}

// Answers finished CLI requests and records finished controller requests as events.
void EndpointsCore::Deliver(Completions done) {
  for (CliAnswer& answer : done.cli) {
    protocol::Reply reply = NewReply();
    if (!answer.result.ok) {
      reply.error = "logs of '" + answer.node + "': " + answer.result.error;
    } else {
      std::string output = std::move(answer.result.output);
      while (true) {
        reply.result_json = DumpJson({{"node", answer.node}, {"output", output}});
        if (reply.result_json.size() <= kMaxLogsReplyJson || output.size() < 1024) break;
        output = CapOutputForReply(output);
      }
      reply.ok = true;
    }
    SendReply(answer.cli_identity, "logs", std::move(reply));
  }
  for (const BatchOutcome& outcome : done.batches) RecordOwnEvent(BatchEvent(outcome));
}

void EndpointsCore::RecordOwnEvent(const protocol::Event& event) {
  std::lock_guard lock(shared_.mutex);
  shared_.cluster.RecordEvent(shared_.cluster.identity().node_id, event, clock_.WallMs());
}

// Copies the election's state into the cluster state (call without holding shared_.mutex).
void EndpointsCore::RefreshLease() {
  if (!context_.lease) return;
  LeaseView view = context_.lease();
  std::lock_guard lock(shared_.mutex);
  shared_.cluster.SetLease(std::move(view));
}

json EndpointsCore::SecurityJson() const {
  if (context_.security.insecure) {
    return {{"mode", "insecure"},
            {"warning",
             "plain text: no encryption, no authentication; anyone who reaches ports 7470/7471 "
             "can report for any node and run commands"}};
  }
  json clients = json::object();
  if (const protocol::KeySet* keys = context_.security.keys) {
    for (protocol::Role role :
         {protocol::Role::kAgent, protocol::Role::kOperator, protocol::Role::kReadOnly}) {
      clients[std::string(protocol::RoleName(role))] = keys->CountRole(role);
    }
    // The leaders' own key (forwarding between instances) is not a client of the clients file.
    if (const protocol::ClientKey* peer = keys->FindByName(kPeerLeaderKeyName)) {
      auto& count = clients[std::string(protocol::RoleName(peer->role))];
      count = count.get<std::size_t>() - 1;
    }
  }
  ZapHandler::Counters zap;
  if (context_.security.zap_counters) zap = context_.security.zap_counters();
  return {{"mode", "curve"},
          {"clients", clients},
          {"connections",
           {{"accepted", counters_.connections_accepted},
            {"handshaken", counters_.handshakes_succeeded},
            {"not_admitted", counters_.connections_accepted >= counters_.handshakes_succeeded
                                 ? counters_.connections_accepted - counters_.handshakes_succeeded
                                 : 0},
            {"admitted_by_zap", zap.admitted},
            {"agents_attested", bindings_.size()}}},
          {"refused",
           {{"unknown_key", zap.refused_unknown_key},
            {"handshake_rate_limited", zap.refused_rate_limited},
            {"handshake_other", zap.refused_other},
            {"handshake_plaintext", counters_.handshake_plaintext},
            {"handshake_failed", counters_.handshake_failed},
            {"forbidden", counters_.forbidden},
            {"not_attested", counters_.not_attested},
            {"attestation_refused", counters_.attestation_refused},
            {"rate_limited", counters_.rate_limited}}}};
}

void EndpointsCore::OnAgentConnectionClosed(int fd) {
  for (const std::string& identity : bindings_.DropFd(fd)) peers_.ForgetIdentity(identity);
}

void EndpointsCore::OnConnectionEvent(Outbound::Port /*port*/,
                                      const protocol::HandshakeMonitor::Event& event) {
  using Outcome = protocol::HandshakeMonitor::Outcome;
  switch (event.outcome) {
    case Outcome::kAccepted:
      ++counters_.connections_accepted;
      break;
    case Outcome::kSucceeded:
      ++counters_.handshakes_succeeded;
      break;
    case Outcome::kMechanismMismatch:
      ++counters_.handshake_plaintext;
      break;
    case Outcome::kWrongServerKey:
    case Outcome::kOtherFailure:
      ++counters_.handshake_failed;
      break;
    case Outcome::kKeyRefused:  // counted by the ZAP handler, by reason
    case Outcome::kDisconnected:
      break;
  }
}

void EndpointsCore::Tick() {
  if (context_.security.insecure && clock_.Now() >= next_insecure_warning_) {
    next_insecure_warning_ = clock_.Now() + kInsecureWarningPeriod;
    Logger("leader")->warn(
        "running --insecure: ports 7470/7471 are plain text and unauthenticated; anyone who "
        "reaches them can report for any node and run commands (doc/security.md)");
  }
  auto guarded = [this](const char* what, const std::function<void()>& step) {
    if (std::string failure = Failure(step); !failure.empty()) {
      ++counters_.handler_failures;
      Logger("leader")->error("endpoints: {} failed: {}", what, failure);
    }
  };
  guarded("pruning peers", [&] { PruneToNodeList(); });
  guarded("sending agent commands", [&] { SendOutbox(); });
  guarded("sending service images", [&] { SendServiceImages(); });
  guarded("answering plans", [&] {
    for (PlanWorker* worker : {context_.plans, context_.forwards}) {
      if (worker == nullptr) continue;
      for (PlanAnswer& answer : worker->TakeAnswers()) {
        SendReply(answer.cli_identity, answer.what, std::move(answer.reply));
      }
    }
  });
  guarded("expiring agent commands", [&] { Deliver(pending_.Expire(clock_.Now())); });
  std::lock_guard lock(shared_.mutex);
  shared_.endpoints = Health();
}

EndpointsHealth EndpointsCore::Health() const {
  return {counters_.refused,          counters_.send_failures, counters_.replies_too_large,
          counters_.handler_failures, counters_.busy,          SecurityJson()};
}

Endpoints::Endpoints(EndpointsContext context, Sockets sockets)
    : Service("endpoints"),
      sockets_(std::move(sockets)),
      outbound_(sockets_.agents, sockets_.control),
      core_(std::move(context), outbound_) {}

void Endpoints::DrainMonitors() {
  if (sockets_.agents_monitor) {
    for (const auto& event : sockets_.agents_monitor->Drain()) {
      if (event.outcome == protocol::HandshakeMonitor::Outcome::kDisconnected) {
        core_.OnAgentConnectionClosed(static_cast<int>(event.value));
      } else {
        core_.OnConnectionEvent(Outbound::Port::kAgents, event);
      }
    }
  }
  if (sockets_.control_monitor) {
    for (const auto& event : sockets_.control_monitor->Drain()) {
      core_.OnConnectionEvent(Outbound::Port::kControl, event);
    }
  }
}

void Endpoints::Run(std::stop_token stop) {
  std::vector<zmq::pollitem_t> items = {{sockets_.agents.handle(), 0, ZMQ_POLLIN, 0},
                                        {sockets_.control.handle(), 0, ZMQ_POLLIN, 0}};
  if (sockets_.agents_monitor) {
    items.push_back({sockets_.agents_monitor->socket().handle(), 0, ZMQ_POLLIN, 0});
  }
  if (sockets_.control_monitor) {
    items.push_back({sockets_.control_monitor->socket().handle(), 0, ZMQ_POLLIN, 0});
  }
  while (!stop.stop_requested()) {
    Heartbeat();  // the loop polls, it never waits in WaitFor()
    try {
      zmq::poll(items.data(), items.size(), core_.WaitingForPlans() ? kPlanPollTick : kPollTick);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      Logger("leader")->error("poll failed: {}", e.what());
      if (!WaitFor(stop, std::chrono::seconds(1))) break;
      continue;
    }
    // Closed connections first: a binding must not outlive its connection into this round.
    DrainMonitors();
    if (items[0].revents & ZMQ_POLLIN) {
      for (int i = 0; i < kMaxMessagesPerRound; ++i) {
        auto incoming = protocol::TryReceive(sockets_.agents, /*is_router=*/true);
        if (!incoming) break;
        core_.OnAgentMessage(*incoming);
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      for (int i = 0; i < kMaxMessagesPerRound; ++i) {
        auto incoming = protocol::TryReceive(sockets_.control, /*is_router=*/true);
        if (!incoming) break;
        core_.OnControlMessage(*incoming);
      }
    }
    core_.Tick();
  }
  sockets_.agents.close();
  sockets_.control.close();
}

}  // namespace orcastra::leader
