#include "leader/leader.h"

#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/docker_events.h"
#include "common/log.h"
#include "common/service.h"
#include "common/utf8.h"
#include "config/settings.h"
#include "leader/anchors/reconciler.h"
#include "leader/anchors/views.h"
#include "leader/controller/service.h"
#include "leader/election/service.h"
#include "leader/endpoints/remote_commands.h"
#include "leader/state/cluster_state.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace orcastra::leader {
namespace {

constexpr std::chrono::milliseconds kPollTick{250};
// How long a command sent to agents waits for their answer: `orcastra logs` (the CLI waits 15 s
// by default) and the controller's gc/rotate_logs/refresh_mods (`orcastra command` waits 30 s).
constexpr std::chrono::seconds kLogsDeadline{10};
constexpr std::chrono::seconds kAgentCommandDeadline{20};
// A reply carrying logs is cut further when its JSON (escaping can grow the agent's 256 KiB)
// would come near the frame limit.
constexpr std::size_t kMaxLogsReplyJson = 768 * 1024;

// The state the threads share.
struct SharedState {
  std::mutex mutex;
  ClusterState cluster;  // guarded by mutex
  ControllerView view;   // guarded by mutex; the controller's last cycle
};

// Reads Docker's node list; wakes on node events.
class NodeWatcher final : public Service {
 public:
  NodeWatcher(const LeaderOptions& options, SharedState& shared)
      : Service("node-watcher"), options_(options), shared_(shared) {}

 protected:
  void Run(std::stop_token stop) override {
    auto log = Logger("leader");
    docker::Client docker({.socket_path = options_.docker_socket});
    while (!stop.stop_requested()) {
      auto nodes = docker.Nodes();
      {
        std::lock_guard lock(shared_.mutex);
        if (nodes.ok()) {
          shared_.cluster.SetNodes(std::move(nodes).value(), clock_.Now());
        } else {
          shared_.cluster.RecordDockerFailure(nodes.status(), clock_.Now());
        }
      }
      if (!nodes.ok())
        log->warn("node list not refreshed, keeping the last good one: {}",
                  nodes.status().ToString());
      if (!WaitFor(stop, options_.poll_interval)) break;
    }
  }

 private:
  const LeaderOptions& options_;
  SharedState& shared_;
  SystemClock clock_;
};

// Follows Swarm node and service events: a node event makes the NodeWatcher re-read the list at
// once, and with EVENT_MODE either kind runs a controller cycle.
class NodeEventWatcher final : public Service {
 public:
  NodeEventWatcher(const LeaderOptions& options, NodeWatcher& watcher, Controller& controller)
      : Service("node-event-watcher"),
        options_(options),
        watcher_(watcher),
        controller_(controller) {}

 protected:
  void Run(std::stop_token stop) override {
    docker::Client docker({.socket_path = options_.docker_socket});
    docker::FollowEvents(
        docker, {{"type", {"node", "service"}}},
        [&](const docker::Event& event) {
          if (event.type == "node") watcher_.Wake();
          if (options_.settings.event_mode) controller_.Poke();
        },
        stop, [&](std::chrono::milliseconds pause) { return WaitFor(stop, pause); },
        "node and service");
  }

 private:
  const LeaderOptions& options_;
  NodeWatcher& watcher_;
  Controller& controller_;
};

// Serves agents (reports in) and the CLI (queries in, replies out) on two ROUTER sockets.
class Endpoints final : public Service {
 public:
  Endpoints(const LeaderOptions& options, SharedState& shared, const LeaseKeeper& lease,
            Controller& controller, AgentCommandOutbox& outbox, zmq::socket_t agents,
            zmq::socket_t control)
      : Service("endpoints"),
        options_(options),
        shared_(shared),
        lease_(lease),
        controller_(controller),
        outbox_(outbox),
        agents_(std::move(agents)),
        control_(std::move(control)) {}

 protected:
  void Run(std::stop_token stop) override {
    zmq::pollitem_t items[] = {{agents_.handle(), 0, ZMQ_POLLIN, 0},
                               {control_.handle(), 0, ZMQ_POLLIN, 0}};
    while (!stop.stop_requested()) {
      try {
        zmq::poll(items, 2, kPollTick);
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        Logger("leader")->error("poll failed: {}", e.what());
        break;
      }
      if (items[0].revents & ZMQ_POLLIN) DrainAgents();
      if (items[1].revents & ZMQ_POLLIN) DrainControl();
      SendOutbox();
      SendServiceImages();
      Deliver(pending_.Expire(clock_.Now()));
    }
    agents_.close();
    control_.close();
  }

 private:
  protocol::Header OwnHeader() {
    std::lock_guard lock(shared_.mutex);
    return {protocol::kMajorVersion, shared_.cluster.identity().node_id, ++seq_, clock_.WallMs()};
  }

  void Refuse(zmq::socket_t& socket, const std::string& peer, const Status& why,
              protocol::Refusal refusal = protocol::Refusal::kBadMessage) {
    Logger("leader")->warn("refused a message: {}", why.ToString());
    (void)protocol::SendTo(socket, peer, protocol::ErrorReplyFor(why, refusal, OwnHeader()));
  }

  void DrainAgents() {
    while (auto incoming = protocol::TryReceive(agents_, /*is_router=*/true)) {
      if (!incoming->message.ok()) {
        Refuse(agents_, incoming->peer_identity, incoming->message.status(), incoming->refusal);
        continue;
      }
      const protocol::Message& message = *incoming->message;
      SteadyTime now = clock_.Now();
      if (const auto* report = std::get_if<protocol::NodeReport>(&message.body)) {
        peers_.See(report->node_id, report->hostname, incoming->peer_identity,
                   std::chrono::milliseconds(report->report_interval_ms), now);
        std::lock_guard lock(shared_.mutex);
        shared_.cluster.RecordReport(*report, now);
      } else if (const auto* result = std::get_if<protocol::AgentCommandResult>(&message.body)) {
        Deliver(pending_.OnResult(*result, message.header.node));
      } else if (const auto* error = std::get_if<protocol::Error>(&message.body)) {
        // An agent refused something we sent (an older agent and agent_command): never answered;
        // the pending command times out naming the node.
        Logger("leader")->warn("the agent of node '{}' refused a message: {} ({})",
                               message.header.node, error->message, error->code);
      } else if (const auto* hello = std::get_if<protocol::Hello>(&message.body)) {
        peers_.See(hello->node_id, hello->hostname, incoming->peer_identity,
                   std::chrono::milliseconds(hello->report_interval_ms), now);
        RefreshLease();
        protocol::Welcome welcome;
        {
          std::lock_guard lock(shared_.mutex);
          shared_.cluster.RecordHello(*hello, now);
          welcome = {shared_.cluster.identity().node_id, shared_.cluster.identity().hostname,
                     shared_.cluster.IsActive()};
        }
        Logger("leader")->debug("hello from agent on '{}' ({}), version {}", hello->hostname,
                                hello->node_id, hello->agent_version);
        (void)protocol::SendTo(agents_, incoming->peer_identity, {OwnHeader(), welcome});
      } else if (const auto* event = std::get_if<protocol::Event>(&message.body)) {
        {
          std::lock_guard lock(shared_.mutex);
          shared_.cluster.RecordEvent(message.header.node, *event, message.header.ts_ms);
        }
        // A container of the node died or changed health: maybe an anchor or a dependent.
        if (options_.settings.event_mode && event->kind.rfind("container_", 0) == 0) {
          controller_.Poke();
        }
      } else {
        Refuse(agents_, incoming->peer_identity,
               Status::Unsupported(std::string("message type '") +
                                   std::string(protocol::TypeName(message.body)) +
                                   "' is not accepted on the agent endpoint"),
               protocol::Refusal::kUnknownType);
      }
    }
  }

  void DrainControl() {
    while (auto incoming = protocol::TryReceive(control_, /*is_router=*/true)) {
      if (!incoming->message.ok()) {
        Refuse(control_, incoming->peer_identity, incoming->message.status(), incoming->refusal);
        continue;
      }
      const auto* query = std::get_if<protocol::Query>(&incoming->message->body);
      if (query == nullptr) {
        Refuse(control_, incoming->peer_identity,
               Status::Unsupported("only queries are accepted on the control endpoint"),
               protocol::Refusal::kUnknownType);
        continue;
      }
      if (query->what == "logs") {
        StartLogs(incoming->peer_identity, *query);  // answered when the agent's result is in
        continue;
      }
      protocol::Reply reply;
      if (query->what == "plan") {
        reply = AnswerPlan();
      } else if (query->what == "command") {
        reply = AnswerCommand(*query);
      } else {
        reply = Answer(*query);
      }
      (void)protocol::SendTo(control_, incoming->peer_identity, {OwnHeader(), reply});
    }
  }

  protocol::Reply Answer(const protocol::Query& query) {
    RefreshLease();
    std::lock_guard lock(shared_.mutex);
    const ClusterState& cluster = shared_.cluster;
    protocol::Reply reply;
    reply.answered_by = cluster.identity().node_id;
    reply.from_active_leader = cluster.IsActive();
    SteadyTime now = clock_.Now();
    if (!cluster.has_node_list()) {
      reply.error =
          "this leader instance has not read the node list yet (is its Docker daemon a manager?)";
    } else if (query.what == "status") {
      reply.ok = true;
      nlohmann::json status = cluster.StatusJson(now);
      const ControllerView& view = shared_.view;
      status["anchors"] =
          AnchorSummaryJson(view.plan, view.dry_run, view.dependents_paused, view.config_problem);
      reply.result_json = DumpJson(status);
    } else if (query.what == "events") {
      std::int64_t since_ms = 0;
      if (auto it = query.args.find("since_ms"); it != query.args.end()) {
        auto parsed = ParseInt(it->second, 0, std::numeric_limits<std::int64_t>::max(), "since_ms");
        if (!parsed.ok()) {
          reply.error = parsed.status().message();
          return reply;
        }
        since_ms = *parsed;
      }
      auto arg = [&](const char* key) {
        auto it = query.args.find(key);
        return it == query.args.end() ? std::string() : it->second;
      };
      reply.ok = true;
      reply.result_json = DumpJson(cluster.EventsJson(since_ms, arg("node"), arg("type")));
    } else if (query.what == "nodes") {
      reply.ok = true;
      reply.result_json = DumpJson(cluster.NodesJson(now));
    } else if (query.what == "anchors" || query.what == "services") {
      const ControllerView& view = shared_.view;
      if (!view.has_config) {
        reply.error = "no configuration in force" +
                      (view.config_problem.empty() ? std::string() : ":\n" + view.config_problem);
      } else if (view.plan.is_null()) {
        reply.error = "no reconcile cycle has completed yet (is the Docker daemon reachable?)";
      } else {
        reply.ok = true;
        reply.result_json =
            DumpJson({{query.what, query.what == "anchors" ? view.plan["anchors"] : view.services},
                      {"cycle_ts_ms", view.cycle_ts_ms},
                      {"from_active_leader", view.acted},
                      {"dry_run", view.dry_run},
                      {"dependents_paused", view.dependents_paused}});
      }
    } else {
      reply.error = "unknown query '" + query.what + "'";
    }
    return reply;
  }

  // `orcastra plan`: a fresh read of Swarm planned with the controller's configuration and memory,
  // nothing changed. Reads Docker on this thread (3 calls).
  protocol::Reply AnswerPlan() {
    RefreshLease();
    protocol::Reply reply;
    ControllerView view;
    {
      std::lock_guard lock(shared_.mutex);
      reply.answered_by = shared_.cluster.identity().node_id;
      reply.from_active_leader = shared_.cluster.IsActive();
      view = shared_.view;
    }
    if (!view.has_config) {
      reply.error = "no configuration in force" +
                    (view.config_problem.empty() ? std::string() : ":\n" + view.config_problem);
      return reply;
    }
    if (!plan_docker_) {
      plan_docker_ = std::make_unique<docker::Client>(
          docker::ClientOptions{.socket_path = options_.docker_socket});
    }
    DockerSwarmApi api(*plan_docker_);
    auto snapshot = ReadSnapshot(api, view.config->swarm, view.settings.default_stack);
    if (!snapshot.ok()) {
      reply.error = "no plan on partial data: " + snapshot.status().ToString();
      return reply;
    }
    Plan plan =
        PlanReconcile(view.config->swarm, view.settings, *snapshot, view.memory, clock_.Now());
    nlohmann::json result = PlanJson(plan);
    result["dry_run"] = view.dry_run;
    result["dependents_paused"] = view.dependents_paused;
    result["from_active_leader"] = reply.from_active_leader;
    reply.ok = true;
    reply.result_json = DumpJson(result);
    return reply;
  }

  // `orcastra command NAME[:ARG]`: queued on the active instance; the result goes to the events.
  protocol::Reply AnswerCommand(const protocol::Query& query) {
    RefreshLease();
    protocol::Reply reply;
    LeaseView lease;
    {
      std::lock_guard lock(shared_.mutex);
      reply.answered_by = shared_.cluster.identity().node_id;
      reply.from_active_leader = shared_.cluster.IsActive();
    }
    auto text = query.args.find("command");
    if (text == query.args.end() || text->second.empty()) {
      reply.error = "no command given";
      return reply;
    }
    if (!reply.from_active_leader) {
      LeaseRecord holder = lease_.ObservedHolder();
      reply.error =
          "this instance is a standby; the active leader is on '" +
          (holder.holder_hostname.empty() ? std::string("(unknown)") : holder.holder_hostname) +
          "': ask it (--leader tcp://ITS_ADDRESS:7471)";
      return reply;
    }
    auto id = controller_.Submit(text->second, "cli");
    if (!id.ok()) {
      reply.error = id.status().message();
      return reply;
    }
    reply.ok = true;
    reply.result_json = DumpJson({{"id", *id}, {"command", text->second}});
    return reply;
  }

  // The reply's answered_by / from_active_leader.
  protocol::Reply NewReply() {
    protocol::Reply reply;
    std::lock_guard lock(shared_.mutex);
    reply.answered_by = shared_.cluster.identity().node_id;
    reply.from_active_leader = shared_.cluster.IsActive();
    return reply;
  }

  // Sends `command` to `peer`'s agent. Unavailable when the agent is not connected to this
  // instance's ROUTER (any more).
  Status SendToAgent(const AgentPeer& peer, protocol::AgentCommand command) {
    Status sent = protocol::SendTo(agents_, peer.identity, {OwnHeader(), std::move(command)});
    if (!sent.ok()) {
      return Status::Unavailable("cannot reach the agent on '" + PeerName(peer) +
                                 "': " + sent.message());
    }
    return sent;
  }

  static std::string PeerName(const AgentPeer& peer) {
    return peer.hostname.empty() ? peer.node_id : peer.hostname;
  }

  // `orcastra logs NODE [--container C] [--tail N]`: forwarded to the node's agent; the CLI peer is
  // answered by Deliver() (or at once when the node cannot be asked).
  void StartLogs(const std::string& cli_identity, const protocol::Query& query) {
    RefreshLease();
    auto arg = [&](const char* key) {
      auto it = query.args.find(key);
      return it == query.args.end() ? std::string() : it->second;
    };
    const std::string node = arg("node");
    auto fail = [&](const std::string& why) {
      protocol::Reply reply = NewReply();
      reply.error = why;
      (void)protocol::SendTo(control_, cli_identity, {OwnHeader(), reply});
    };
    if (node.empty()) return fail("no node given");
    const SteadyTime now = clock_.Now();
    auto peer = peers_.Find(node, now);
    if (!peer.ok()) return fail(peer.status().message());
    protocol::AgentCommand command{0, "logs", {}};
    if (!arg("container").empty()) command.args["container"] = arg("container");
    if (!arg("tail").empty()) command.args["tail"] = arg("tail");
    command.id =
        pending_.StartCli(cli_identity, {peer->node_id, PeerName(*peer)}, now + kLogsDeadline);
    if (Status sent = SendToAgent(*peer, command); !sent.ok()) {
      Deliver(pending_.OnResult({command.id, false, sent.message(), ""}, peer->node_id));
    }
  }

  // The controller's agent commands: each goes to its node's agent, or to every connected agent.
  // Every connected agent gets the service image references of the controller's last complete
  // read, once per change (and again when it reconnects with a new identity).
  void SendServiceImages() {
    std::optional<std::vector<std::string>> refs;
    {
      std::lock_guard lock(shared_.mutex);
      refs = shared_.view.service_images;
    }
    if (!refs) return;
    if (*refs != images_sent_) {
      images_sent_ = *refs;
      images_sent_to_.clear();
    }
    for (const AgentPeer& peer : peers_.Connected(clock_.Now())) {
      if (!images_sent_to_.insert(peer.identity).second) continue;
      (void)protocol::SendTo(agents_, peer.identity,
                             {OwnHeader(), protocol::ServiceImages{images_sent_}});
    }
  }

  void SendOutbox() {
    for (AgentCommandRequest& request : outbox_.TakeAll()) {
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
      std::vector<std::uint64_t> ids =
          pending_.StartBatch(std::move(request), std::move(labels), now + kAgentCommandDeadline);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (Status sent = SendToAgent(targets[i], {ids[i], name, {}}); !sent.ok()) {
          Deliver(pending_.OnResult({ids[i], false, sent.message(), ""}, targets[i].node_id));
        }
      }
    }
  }

  // Answers finished CLI requests and records finished controller requests as events.
  void Deliver(Completions done) {
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
      Status sent = protocol::SendTo(control_, answer.cli_identity, {OwnHeader(), reply});
      if (!sent.ok()) {
        Logger("leader")->debug("logs of '{}' not delivered: {}", answer.node, sent.ToString());
      }
    }
    for (const BatchOutcome& outcome : done.batches) RecordOwnEvent(BatchEvent(outcome));
  }

  // Halves `output`, keeping its end, with a note (only for replies whose JSON grew too large).
  static std::string CapOutputForReply(const std::string& output) {
    return "[truncated to fit the reply]\n" + output.substr(output.size() / 2);
  }

  void RecordOwnEvent(const protocol::Event& event) {
    SystemClock clock;
    std::lock_guard lock(shared_.mutex);
    shared_.cluster.RecordEvent(shared_.cluster.identity().node_id, event, clock.WallMs());
  }

  // Copies the election's state into the cluster state (call without holding shared_.mutex).
  void RefreshLease() {
    LeaseRecord holder = lease_.ObservedHolder();
    LeaseView view{lease_.IsLeader(), holder.term, holder.holder_node_id, holder.holder_hostname};
    std::lock_guard lock(shared_.mutex);
    shared_.cluster.SetLease(std::move(view));
  }

  const LeaderOptions& options_;
  SharedState& shared_;
  const LeaseKeeper& lease_;
  Controller& controller_;
  AgentCommandOutbox& outbox_;
  std::vector<std::string> images_sent_;         // the service images last sent
  std::set<std::string> images_sent_to_;         // the agent identities that have them
  AgentPeers peers_;                             // which ROUTER identity reaches which node's agent
  PendingCommands pending_;                      // commands sent to agents, waiting for results
  std::unique_ptr<docker::Client> plan_docker_;  // for `plan`, created on first use
  zmq::socket_t agents_;
  zmq::socket_t control_;
  SystemClock clock_;
  std::uint64_t seq_ = 0;
};

// The election's Docker client: a lease call that hangs (a manager without a Raft leader holds a
// write until Raft answers) must fail in time for the retry period, not after the default 15 s,
// or a standby's takeover waits for the timeout after Swarm has recovered.
docker::ClientOptions LeaseClientOptions(const LeaderOptions& options) {
  docker::ClientOptions client{.socket_path = options.docker_socket};
  client.request_timeout = std::max(options.lease.retry_period + std::chrono::milliseconds(1000),
                                    std::chrono::milliseconds(2000));
  return client;
}

Result<zmq::socket_t> BindRouter(zmq::context_t& context, const std::string& endpoint) {
  zmq::socket_t socket(context, zmq::socket_type::router);
  protocol::ConfigureSocket(socket);
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot listen on " + endpoint + ": " + e.what());
  }
  return socket;
}

}  // namespace

Result<LeaderOptions> ParseLeaderOptions(const std::vector<std::string>& args,
                                         const EnvLookup& env) {
  FlagSpec spec{
      {"docker-host", "bind", "agent-port", "control-port", "poll-interval", "log-level", "config",
       "lease-duration", "lease-renew-deadline", "lease-renew-interval", "lease-retry-period"},
      {}};
  auto options_source = OptionSource::Parse(args, spec, env);
  if (!options_source.ok()) return options_source.status();
  auto pick = [&](const char* flag, const char* var) { return options_source->Value(flag, var); };
  LeaderOptions options;
  if (auto host = pick("docker-host", "DOCKER_HOST")) {
    auto socket = docker::SocketPathFromHost(*host);
    if (!socket.ok()) return socket.status();
    options.docker_socket = *socket;
  }
  if (auto bind = pick("bind", "ORCASTRA_BIND")) options.bind_address = *bind;
  if (auto port = pick("agent-port", "ORCASTRA_AGENT_PORT")) {
    auto parsed = ParsePort(*port, "agent port");
    if (!parsed.ok()) return parsed.status();
    options.agent_port = *parsed;
  }
  if (auto port = pick("control-port", "ORCASTRA_CONTROL_PORT")) {
    auto parsed = ParsePort(*port, "control port");
    if (!parsed.ok()) return parsed.status();
    options.control_port = *parsed;
  }
  if (auto interval = pick("poll-interval", "ORCASTRA_POLL_INTERVAL")) {
    auto parsed = ParseDuration(*interval, std::chrono::seconds(1));
    if (!parsed.ok()) return parsed.status().WithContext("poll interval");
    options.poll_interval = *parsed;
  }
  struct {
    const char* flag;
    const char* env;
    std::chrono::milliseconds* target;
  } lease_flags[] = {
      {"lease-duration", "ORCASTRA_LEASE_DURATION", &options.lease.lease_duration},
      {"lease-renew-deadline", "ORCASTRA_LEASE_RENEW_DEADLINE", &options.lease.renew_deadline},
      {"lease-renew-interval", "ORCASTRA_LEASE_RENEW_INTERVAL", &options.lease.renew_interval},
      {"lease-retry-period", "ORCASTRA_LEASE_RETRY_PERIOD", &options.lease.retry_period},
  };
  for (const auto& f : lease_flags) {
    if (auto value = pick(f.flag, f.env)) {
      auto parsed = ParseDuration(*value, std::chrono::seconds(1));
      if (!parsed.ok()) return parsed.status().WithContext(f.flag);
      *f.target = *parsed;
    }
  }
  if (auto follow = env("ORCASTRA_LEASE_FOLLOW_RENEWALS"); follow && !follow->empty()) {
    auto parsed = ParseBool("ORCASTRA_LEASE_FOLLOW_RENEWALS", *follow);
    if (!parsed.ok()) return parsed.status();
    options.lease.follow_renewals = *parsed;
  }
  ORC_RETURN_IF_ERROR(options.lease.Validate());

  config::SettingsRequest request;
  request.explicit_dir = options_source->Value("config", "");
  if (request.explicit_dir && request.explicit_dir->empty()) request.explicit_dir.reset();
  request.dir_exists = config::DirectoryExists;
  auto settings = config::SettingsFromEnv(env, request);
  for (const auto& d : settings.diagnostics) {
    if (d.severity == config::Severity::kError) {
      return Status::InvalidArgument(config::FormatDiagnostic(d));
    }
    Logger("leader")->warn("{}", config::FormatDiagnostic(d));
  }
  options.settings = std::move(settings.settings);
  auto grace = DurationFromEnv(env, "ANCHOR_GRACE_PERIOD", kDefaultAnchorGrace);
  if (!grace.ok()) return grace.status();
  options.anchor_grace = *grace;
  auto follow = DurationFromEnv(env, "ANCHOR_FOLLOW_WINDOW", std::chrono::milliseconds(0));
  if (!follow.ok()) return follow.status();
  options.follow_window = *follow;
  return options;
}

int RunLeader(const LeaderOptions& options) {
  auto log = Logger("leader");
  zmq::context_t context(1);
  auto agents = BindRouter(
      context, "tcp://" + options.bind_address + ":" + std::to_string(options.agent_port));
  auto control = BindRouter(
      context, "tcp://" + options.bind_address + ":" + std::to_string(options.control_port));
  for (const Status& s : {agents.status(), control.status()}) {
    if (!s.ok()) {
      log->critical("{}", s.ToString());
      return 1;
    }
  }
  log->info("leader listening: agents on {}:{}, CLI on {}:{}; docker '{}'", options.bind_address,
            options.agent_port, options.bind_address, options.control_port, options.docker_socket);
  log->warn(
      "protocol traffic is not encrypted yet (CURVE is not implemented); keep ports 7470/7471 "
      "on a trusted network");

  // Who we are: the election needs the node's id. Without a daemon there is nothing to lead.
  docker::Client docker({.socket_path = options.docker_socket});
  Result<docker::SystemInfo> info = docker.Info();
  while (!info.ok() || info->swarm_node_id.empty()) {
    log->warn("waiting for the local daemon to be a swarm member: {}",
              info.ok() ? "not in a swarm" : info.status().ToString());
    if (int signal_number = WaitForShutdownSignalFor(std::chrono::seconds(2))) {
      log->info("signal {} received before start, stopping", signal_number);
      return 0;
    }
    info = docker.Info();
  }
  if (!info->swarm_control_available) {
    log->error("the local daemon '{}' is not a swarm manager; the leader must run on managers",
               info->name);
  }
  log->info("leader instance on node '{}' ({})", info->name, info->swarm_node_id);

  SharedState shared;
  shared.cluster.SetIdentity({info->swarm_node_id, info->name});
  auto lease = std::make_shared<LeaseKeeper>(
      LeaseClientOptions(options), MakeCandidate(info->swarm_node_id, info->name), options.lease);
  const std::string self_node_id = info->swarm_node_id;
  auto outbox = std::make_shared<AgentCommandOutbox>();
  auto controller = std::make_shared<Controller>(
      ControllerOptions{
          .docker_socket = options.docker_socket,
          .settings = options.settings,
          .anchor_grace = options.anchor_grace,
          .follow_window = options.follow_window,
          .agent_commands =
              [outbox](AgentCommandRequest request) { outbox->Push(std::move(request)); }},
      [lease] { return lease->IsLeader(); },
      [&shared, self_node_id](protocol::Event event) {
        SystemClock clock;
        std::lock_guard lock(shared.mutex);
        shared.cluster.RecordEvent(self_node_id, event, clock.WallMs());
      },
      [&shared](ControllerView view) {
        std::lock_guard lock(shared.mutex);
        shared.view = std::move(view);
      });
  auto watcher = std::make_shared<NodeWatcher>(options, shared);
  auto node_events = std::make_shared<NodeEventWatcher>(options, *watcher, *controller);
  auto endpoints =
      std::make_shared<Endpoints>(options, shared, *lease, *controller, *outbox,
                                  std::move(agents).value(), std::move(control).value());
  log->info("configuration from '{}'{}; stack '{}'", options.settings.paths.dir,
            options.settings.dry_run ? "; DRY_RUN: no change is made to Swarm" : "",
            options.settings.stack_name);
  ServiceRunner runner;
  runner.Add(lease);
  runner.Add(watcher);
  runner.Add(node_events);
  runner.Add(controller);
  runner.Add(endpoints);
  runner.StartAll();
  int signal_number = WaitForShutdownSignal();
  log->info("signal {} received, stopping", signal_number);
  runner.StopAll();
  return 0;
}

}  // namespace orcastra::leader
