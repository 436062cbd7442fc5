#include "agent/rejoin/service.h"

#include <array>

#include "agent/agent.h"
#include "agent/identity/attester.h"
#include "common/log.h"
#include "common/utf8.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace orcastra::agent {
namespace {

constexpr std::size_t kMaxJoinTokenBytes = 512;
constexpr std::size_t kMaxManagerAddrBytes = 128;

// A manager address as Swarm writes ManagerStatus.Addr: HOST:PORT, nothing a shell or a URL
// could read differently.
bool PlainAddress(const std::string& addr) {
  if (addr.empty() || addr.size() > kMaxManagerAddrBytes) return false;
  for (char c : addr) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == ':' || c == '-' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// Why a granted answer cannot be used; "" when it can.
std::string UnusableGrant(const protocol::JoinAnswer& answer) {
  if (answer.join_token.empty() || answer.join_token.size() > kMaxJoinTokenBytes) {
    return "the join token is empty or too long";
  }
  if (answer.manager_addrs.empty() ||
      answer.manager_addrs.size() > protocol::kMaxJoinManagerAddrs) {
    return "it names " + std::to_string(answer.manager_addrs.size()) + " managers (1 to " +
           std::to_string(protocol::kMaxJoinManagerAddrs) + ")";
  }
  for (const auto& addr : answer.manager_addrs) {
    if (!PlainAddress(addr)) return "a manager address is not HOST:PORT";
  }
  return "";
}

}  // namespace

RejoinLoop::RejoinLoop(std::uint16_t leader_port, const Clock& clock, RejoinHooks hooks)
    : leader_port_(leader_port), clock_(clock), hooks_(std::move(hooks)) {}

std::string RejoinLoop::waiting_for() const {
  std::lock_guard lock(mutex_);
  return waiting_for_;
}

void RejoinLoop::Emit(const std::string& kind, const std::string& message,
                      std::map<std::string, std::string> attrs) {
  protocol::Event event;
  event.kind = kind;
  event.subject = memory_ ? memory_->node_id : std::string();
  event.message = message;
  event.attrs = std::move(attrs);
  if (hooks_.report) hooks_.report(std::move(event));
}

void RejoinLoop::Wait(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    waiting_for_ = why;
  }
  if (why == last_wait_) return;
  last_wait_ = why;
  if (!why.empty()) Logger("agent")->warn("re-join: {}", why);
}

void RejoinLoop::Pass() {
  auto info = hooks_.info();
  if (!info.ok()) {
    Wait("cannot read the local daemon's info: " + info.status().message());
    return;
  }
  if (!memory_read_) {
    memory_read_ = true;
    auto loaded = hooks_.load();
    if (loaded.ok()) {
      memory_ = std::move(loaded).value();
    } else if (loaded.status().code() != Status::Code::kNotFound) {
      Logger("agent")->error("re-join: the remembered membership is not used: {}",
                             loaded.status().message());
    }
  }
  const RejoinStep step =
      PlanRejoin({info->swarm_local_node_state, memory_.has_value(), next_ask_, clock_.Now()});
  switch (step.kind) {
    case RejoinStepKind::kRemember:
      Remember(*info);
      break;
    case RejoinStepKind::kAsk:
      Ask(info->swarm_local_node_state);
      break;
    case RejoinStepKind::kWait:
      if (!step.backoff) Wait(step.why);  // in a backoff, the failure that caused it still says why
      break;
  }
}

void RejoinLoop::Remember(const docker::SystemInfo& info) {
  failures_ = 0;
  last_refusal_.clear();
  next_ask_.reset();
  Membership m;
  m.node_id = info.swarm_node_id;
  m.hostname = info.name;
  m.node_addr = info.swarm_node_addr;
  m.leader_endpoints = LeaderEndpointsFromInfo(info, leader_port_);
  if (m.leader_endpoints.size() > kMaxRememberedEndpoints) {
    m.leader_endpoints.resize(kMaxRememberedEndpoints);
  }
  m.saved_ms = clock_.WallMs();
  if (m.node_id.empty() || m.leader_endpoints.empty()) {
    Wait("in the swarm, but the daemon names no node id or manager yet");
    return;
  }
  // Every pass: the certificate copy follows a renewal (the save writes only what changed).
  if (Status saved = hooks_.save(m); !saved.ok()) {
    Wait("cannot remember this node's membership: " + saved.message());
    return;
  }
  if (!memory_ || !memory_->SameAs(m)) {
    Logger("agent")->info("re-join: remembering node {} ({}), {} leader endpoint(s)", m.node_id,
                          m.hostname, m.leader_endpoints.size());
  }
  memory_ = std::move(m);
  Wait("");
}

void RejoinLoop::Ask(const std::string& local_state) {
  const SteadyTime now = clock_.Now();
  std::optional<protocol::JoinAnswer> answer;
  std::string problem = "no leader endpoint is remembered";
  for (const auto& endpoint : memory_->leader_endpoints) {
    AskOutcome outcome = hooks_.ask(endpoint, *memory_);
    if (!outcome.status.ok()) {
      problem = endpoint + ": " + outcome.status.message();
      continue;
    }
    if (outcome.standby) {
      problem = endpoint + " is a standby";
      continue;
    }
    answer = std::move(outcome.answer);
    break;
  }
  if (!answer) {
    ++failures_;
    next_ask_ = now + RejoinBackoff(failures_, false);
    Wait("the daemon is in no swarm and no active leader instance answered (" + problem + ")");
    return;
  }
  if (!answer->granted) {
    ++failures_;
    next_ask_ = now + RejoinBackoff(failures_, !answer->retry);
    const std::string why = "the active leader instance does not hand out a join token: " +
                            CutText(answer->reason, 512);
    if (why != last_refusal_) {
      last_refusal_ = why;
      Emit("rejoin_refused", why, {{"retry", answer->retry ? "yes" : "no"}});
    }
    Wait(why);
    return;
  }
  if (std::string bad = UnusableGrant(*answer); !bad.empty()) {
    ++failures_;
    next_ask_ = now + RejoinBackoff(failures_, false);
    Wait("the leader's join answer is not used: " + bad);
    return;
  }
  docker::SwarmJoinRequest request;
  request.advertise_addr = memory_->node_addr;
  request.remote_addrs = answer->manager_addrs;
  request.join_token = std::move(answer->join_token);
  std::string managers;
  for (const auto& addr : request.remote_addrs) managers += (managers.empty() ? "" : ", ") + addr;
  Logger("agent")->info("re-join: joining the swarm again as a worker at {} (node {} was {})",
                        managers, memory_->hostname, memory_->node_id);
  Status joined = hooks_.join(request);
  if (!joined.ok()) {
    ++failures_;
    next_ask_ = now + RejoinBackoff(failures_, false);
    const std::string why = "the join failed: " + joined.message();
    Emit("rejoin_failed", why, {{"attempt", std::to_string(failures_)}});
    Wait(why);
    return;
  }
  Emit("node_rejoined",
       "the daemon joined the swarm again; it was node " + memory_->node_id + " (" +
           memory_->hostname + "), local state was " + local_state,
       {{"previous_node_id", memory_->node_id}, {"hostname", memory_->hostname}});
  Logger("agent")->info("re-join: the daemon joined the swarm again");
  failures_ = 0;
  next_ask_.reset();
  Wait("");
  // Remember the new membership at once: the node may go again before the next pass.
  // The daemon may not list its managers yet: those it joined at stand in.
  if (auto member = hooks_.info(); member.ok() && member->swarm_local_node_state == "active") {
    if (member->swarm_remote_managers.empty()) {
      for (const auto& addr : request.remote_addrs) {
        member->swarm_remote_managers.push_back({"", addr});
      }
    }
    Remember(*member);
  }
}

AskOutcome AskLeaderToJoin(zmq::context_t& context, const std::string& endpoint,
                           const Membership& membership, const std::string& memory_dir,
                           const protocol::ClientSecurity& security, const std::string& version,
                           const Clock& clock, std::chrono::milliseconds timeout) {
  AskOutcome outcome;
  if (security.insecure || security.key.leader_public_keys.empty()) {
    outcome.status = Status::PermissionDenied(
        "a join token travels only over CURVE: this agent runs --insecure");
    return outcome;
  }
  NodeAttester attester(memory_dir, [] { return Result<std::string>(Status::Unavailable("")); });
  Status last = Status::Timeout("no answer");
  std::uint64_t seq = 0;
  for (const std::string& leader_key : security.key.leader_public_keys) {
    try {
      zmq::socket_t dealer(context, zmq::socket_type::dealer);
      protocol::ConfigureSocket(dealer);
      if (Status curve = protocol::ConfigureCurveClient(dealer, security.key, leader_key);
          !curve.ok()) {
        outcome.status = curve;
        return outcome;
      }
      dealer.connect(endpoint);
      auto exchange = [&](protocol::Body request) -> Result<protocol::Message> {
        protocol::Message message{
            {protocol::kMajorVersion, membership.node_id, ++seq, clock.WallMs()},
            std::move(request)};
        ORC_RETURN_IF_ERROR(protocol::Send(dealer, message));
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
          const auto left = std::chrono::ceil<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now());
          if (left.count() <= 0)
            return Status::Timeout("no answer within " + std::to_string(timeout.count()) + " ms");
          std::array<zmq::pollitem_t, 1> items = {{{dealer.handle(), 0, ZMQ_POLLIN, 0}}};
          zmq::poll(items, left);
          if (!(items[0].revents & ZMQ_POLLIN)) continue;
          std::optional<protocol::Incoming> in = protocol::TryReceive(dealer, false);
          if (!in) continue;
          if (!in->message.ok()) return in->message.status();
          // Service images and agent commands may come first on a fresh connection: skipped.
          const auto& body = in->message->body;
          if (const auto* error = std::get_if<protocol::Error>(&body)) {
            return Status::PermissionDenied("refused (" + CutText(error->code, 32) +
                                            "): " + CutText(error->message, 512));
          }
          if (std::holds_alternative<protocol::Welcome>(body) ||
              std::holds_alternative<protocol::JoinAnswer>(body)) {
            return std::move(in->message).value();
          }
        }
      };
      protocol::Hello hello{version, membership.node_id, membership.hostname, 5000, ""};
      hello.attestation =
          attester.Attest(membership.node_id, leader_key, security.key.public_key, clock.WallMs());
      if (!attester.LastProblem().empty()) {
        outcome.status =
            Status::Unavailable("cannot prove node " + membership.node_id +
                                " with the remembered certificate: " + attester.LastProblem());
        return outcome;
      }
      auto welcome = exchange(std::move(hello));
      if (!welcome.ok()) {
        last = welcome.status();
        if (last.code() == Status::Code::kTimeout) continue;  // maybe another leader key
        outcome.status = last;
        return outcome;
      }
      const auto* greeting = std::get_if<protocol::Welcome>(&welcome->body);
      if (greeting == nullptr || !greeting->active) {
        outcome.standby = true;
        return outcome;
      }
      auto answer = exchange(protocol::JoinRequest{"inactive"});
      if (!answer.ok()) {
        outcome.status = answer.status();
        return outcome;
      }
      const auto* join = std::get_if<protocol::JoinAnswer>(&answer->body);
      if (join == nullptr) {
        outcome.status = Status::ParseError("the answer to join_request is not a join_answer");
        return outcome;
      }
      outcome.answer = *join;
      return outcome;
    } catch (const zmq::error_t& e) {
      outcome.status = Status::IoError("join request to " + endpoint + ": " + e.what());
      return outcome;
    }
  }
  outcome.status = last;
  return outcome;
}

Rejoiner::Rejoiner(std::chrono::milliseconds interval, std::unique_ptr<RejoinLoop> loop)
    : Service("rejoin"), interval_(interval), loop_(std::move(loop)) {}

void Rejoiner::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    loop_->Pass();
    if (!WaitFor(stop, interval_)) break;
  }
}

}  // namespace orcastra::agent
