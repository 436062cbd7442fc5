#include "leader/leader.h"

#include <limits>
#include <memory>
#include <mutex>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/log.h"
#include "common/service.h"
#include "leader/cluster_state.h"
#include "leader/lease_keeper.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace orcastra::leader {
namespace {

constexpr std::chrono::milliseconds kPollTick{250};

// The state both threads share.
struct SharedState {
  std::mutex mutex;
  ClusterState cluster;  // guarded by mutex
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

// Follows Swarm node events and makes the NodeWatcher re-read the list at once.
class NodeEventWatcher final : public Service {
 public:
  NodeEventWatcher(const LeaderOptions& options, NodeWatcher& watcher)
      : Service("node-event-watcher"), options_(options), watcher_(watcher) {}

 protected:
  void Run(std::stop_token stop) override {
    docker::Client docker({.socket_path = options_.docker_socket});
    std::chrono::milliseconds backoff{1000};
    while (!stop.stop_requested()) {
      Status ended = docker.StreamEvents(
          {{"type", {"node"}}},
          [&](const docker::Event&) {
            backoff = std::chrono::milliseconds(1000);
            watcher_.Wake();
          },
          stop);
      if (stop.stop_requested()) break;
      Logger("leader")->warn("node event stream ended, retrying in {} ms: {}", backoff.count(),
                             ended.ToString());
      if (!WaitFor(stop, backoff)) break;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }

 private:
  const LeaderOptions& options_;
  NodeWatcher& watcher_;
};

// Serves agents (reports in) and the CLI (queries in, replies out) on two ROUTER sockets.
class Endpoints final : public Service {
 public:
  Endpoints(SharedState& shared, const LeaseKeeper& lease, zmq::socket_t agents,
            zmq::socket_t control)
      : Service("endpoints"),
        shared_(shared),
        lease_(lease),
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
    }
    agents_.close();
    control_.close();
  }

 private:
  protocol::Header OwnHeader() {
    std::lock_guard lock(shared_.mutex);
    return {protocol::kMajorVersion, shared_.cluster.identity().node_id, ++seq_, clock_.WallMs()};
  }

  void Refuse(zmq::socket_t& socket, const std::string& peer, const Status& why) {
    Logger("leader")->warn("refused a message: {}", why.ToString());
    (void)protocol::SendTo(socket, peer, protocol::ErrorReplyFor(why, OwnHeader()));
  }

  void DrainAgents() {
    while (auto incoming = protocol::TryReceive(agents_, /*is_router=*/true)) {
      if (!incoming->message.ok()) {
        Refuse(agents_, incoming->peer_identity, incoming->message.status());
        continue;
      }
      const protocol::Message& message = *incoming->message;
      SteadyTime now = clock_.Now();
      if (const auto* report = std::get_if<protocol::NodeReport>(&message.body)) {
        std::lock_guard lock(shared_.mutex);
        shared_.cluster.RecordReport(*report, now);
      } else if (const auto* hello = std::get_if<protocol::Hello>(&message.body)) {
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
        std::lock_guard lock(shared_.mutex);
        shared_.cluster.RecordEvent(message.header.node, *event, message.header.ts_ms);
      } else {
        Refuse(agents_, incoming->peer_identity,
               Status::Unsupported(std::string("message type '") +
                                   std::string(protocol::TypeName(message.body)) +
                                   "' is not accepted on the agent endpoint"));
      }
    }
  }

  void DrainControl() {
    while (auto incoming = protocol::TryReceive(control_, /*is_router=*/true)) {
      if (!incoming->message.ok()) {
        Refuse(control_, incoming->peer_identity, incoming->message.status());
        continue;
      }
      const auto* query = std::get_if<protocol::Query>(&incoming->message->body);
      if (query == nullptr) {
        Refuse(control_, incoming->peer_identity,
               Status::Unsupported("only queries are accepted on the control endpoint"));
        continue;
      }
      (void)protocol::SendTo(control_, incoming->peer_identity, {OwnHeader(), Answer(*query)});
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
      reply.result_json = cluster.StatusJson(now).dump();
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
      reply.result_json = cluster.EventsJson(since_ms, arg("node"), arg("type")).dump();
    } else if (query.what == "nodes") {
      reply.ok = true;
      reply.result_json = cluster.NodesJson(now).dump();
    } else {
      reply.error = "unknown query '" + query.what + "'";
    }
    return reply;
  }

  // Copies the election's state into the cluster state (call without holding shared_.mutex).
  void RefreshLease() {
    LeaseRecord holder = lease_.ObservedHolder();
    LeaseView view{lease_.IsLeader(), holder.term, holder.holder_node_id, holder.holder_hostname};
    std::lock_guard lock(shared_.mutex);
    shared_.cluster.SetLease(std::move(view));
  }

  SharedState& shared_;
  const LeaseKeeper& lease_;
  zmq::socket_t agents_;
  zmq::socket_t control_;
  SystemClock clock_;
  std::uint64_t seq_ = 0;
};

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
      {"docker-host", "bind", "agent-port", "control-port", "poll-interval", "log-level",
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
  ORC_RETURN_IF_ERROR(options.lease.Validate());
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
  auto lease =
      std::make_shared<LeaseKeeper>(docker::ClientOptions{.socket_path = options.docker_socket},
                                    MakeCandidate(info->swarm_node_id, info->name), options.lease);
  auto watcher = std::make_shared<NodeWatcher>(options, shared);
  auto node_events = std::make_shared<NodeEventWatcher>(options, *watcher);
  auto endpoints = std::make_shared<Endpoints>(shared, *lease, std::move(agents).value(),
                                               std::move(control).value());
  ServiceRunner runner;
  runner.Add(lease);
  runner.Add(watcher);
  runner.Add(node_events);
  runner.Add(endpoints);
  runner.StartAll();
  int signal_number = WaitForShutdownSignal();
  log->info("signal {} received, stopping", signal_number);
  runner.StopAll();
  return 0;
}

}  // namespace orcastra::leader
