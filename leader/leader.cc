#include "leader/leader.h"

#include <memory>
#include <mutex>
#include <optional>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/docker_client.h"
#include "common/log.h"
#include "common/service.h"
#include "config/settings.h"
#include "leader/controller/service.h"
#include "leader/election/service.h"
#include "leader/endpoints/endpoints.h"
#include "leader/endpoints/plan_worker.h"
#include "leader/endpoints/remote_commands.h"
#include "leader/heal/service.h"
#include "leader/observe/endpoint.h"
#include "leader/rebalance/service.h"
#include "leader/security/zap_handler.h"
#include "leader/state/cluster_state.h"
#include "leader/state/node_watcher.h"
#include "leader/state/shared_state.h"
#include "protocol/curve.h"
#include "protocol/keys.h"
#include "protocol/transport.h"

namespace orcastra::leader {
namespace {

// The election's Docker client: a lease call that hangs (a manager without a Raft leader holds a
// write until Raft answers) must fail in time for the retry period, not after the default 15 s,
// or a standby's takeover waits for the timeout after Swarm has recovered.
docker::ClientOptions LeaseClientOptions(const LeaderOptions& options) {
  docker::ClientOptions client{.socket_path = options.docker_socket};
  client.request_timeout = std::max(options.lease.retry_period + std::chrono::milliseconds(1000),
                                    std::chrono::milliseconds(2000));
  return client;
}

// What one peer's connection may hold in the leader: messages waiting to be read (libzmq stops
// reading its TCP stream beyond this) and replies waiting to be sent; and how long a connection
// may take to complete its handshake (half-open connections go after this).
constexpr int kServerHighWaterMark = 64;
constexpr std::chrono::milliseconds kServerHandshakeTimeout{5000};
// Socket monitor events waiting for the endpoints thread (a few dozen bytes each): a flood of
// thousands of connections is counted whole.
constexpr int kMonitorQueue = 100000;

// A bound ROUTER (a CURVE server asking ZAP in `zap_domain` unless `secret_key` is empty), with a
// monitor attached before it binds.
Result<zmq::socket_t> BindRouter(zmq::context_t& context, const std::string& endpoint,
                                 const std::string& secret_key, const std::string& zap_domain,
                                 std::optional<protocol::HandshakeMonitor>* monitor) {
  zmq::socket_t socket(context, zmq::socket_type::router);
  protocol::ConfigureSocket(socket);
  try {
    socket.set(zmq::sockopt::rcvhwm, kServerHighWaterMark);
    socket.set(zmq::sockopt::sndhwm, kServerHighWaterMark);
    socket.set(zmq::sockopt::handshake_ivl, static_cast<int>(kServerHandshakeTimeout.count()));
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("cannot configure a ROUTER socket: ") + e.what());
  }
  if (!secret_key.empty()) {
    ORC_RETURN_IF_ERROR(protocol::ConfigureCurveServer(socket, secret_key, zap_domain));
  }
  auto attached = protocol::HandshakeMonitor::Attach(context, socket, kMonitorQueue);
  if (!attached.ok()) return attached.status();
  monitor->emplace(std::move(attached).value());
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
  FlagSpec spec{{"docker-host", "bind", "agent-port", "control-port", "poll-interval", "log-level",
                 "config", "lease-duration", "lease-renew-deadline", "lease-renew-interval",
                 "lease-retry-period", "key", "clients"},
                {"insecure"}};
  spec.with_value.insert(std::begin(kHttpValueFlags), std::end(kHttpValueFlags));
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
  if (auto insecure = pick("insecure", "ORCASTRA_INSECURE")) {
    // The flag gives "", the variable a boolean.
    auto parsed =
        insecure->empty() ? Result<bool>(true) : ParseBool("ORCASTRA_INSECURE", *insecure);
    if (!parsed.ok()) return parsed.status();
    options.insecure = *parsed;
  }
  if (auto key = pick("key", "ORCASTRA_KEY")) options.key_path = *key;
  if (auto clients = pick("clients", "ORCASTRA_CLIENTS")) options.clients_path = *clients;
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
    auto parsed = ParseDurationIn(*interval, std::chrono::seconds(1), std::chrono::seconds(1),
                                  std::chrono::hours(1), "--poll-interval/ORCASTRA_POLL_INTERVAL");
    if (!parsed.ok()) return parsed.status();
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
      // Their order is checked by Validate(); each one alone is at most 10 minutes.
      auto parsed =
          ParseDurationIn(*value, std::chrono::seconds(1), std::chrono::milliseconds(1),
                          std::chrono::minutes(10), std::string("--") + f.flag + "/" + f.env);
      if (!parsed.ok()) return parsed.status();
      *f.target = *parsed;
    }
  }
  ORC_RETURN_IF_ERROR(
      EnvReader(env).ReadBool("ORCASTRA_LEASE_FOLLOW_RENEWALS", &options.lease.follow_renewals));
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
  // Both 0..24h: longer would leave an anchor's dependents alone for days.
  const EnvReader reader(env);
  options.anchor_grace = kDefaultAnchorGrace;
  ORC_RETURN_IF_ERROR(reader.ReadDuration("ANCHOR_GRACE_PERIOD", std::chrono::seconds(1),
                                          std::chrono::milliseconds(0), std::chrono::hours(24),
                                          &options.anchor_grace));
  ORC_RETURN_IF_ERROR(reader.ReadDuration("ANCHOR_FOLLOW_WINDOW", std::chrono::seconds(1),
                                          std::chrono::milliseconds(0), std::chrono::hours(24),
                                          &options.follow_window));
  // 1 s..24 h: shorter than a heartbeat would take a node that restarts for gone.
  ORC_RETURN_IF_ERROR(reader.ReadDuration("HEAL_PHANTOM_GRACE", std::chrono::seconds(1),
                                          std::chrono::seconds(1), std::chrono::hours(24),
                                          &options.heal.phantom_grace));
  ORC_RETURN_IF_ERROR(reader.ReadDuration("HEAL_MANAGER_GRACE", std::chrono::seconds(1),
                                          std::chrono::seconds(1), std::chrono::hours(24),
                                          &options.heal.manager_grace));
  ORC_RETURN_IF_ERROR(reader.ReadDuration("HEAL_PROMOTION_TIMEOUT", std::chrono::seconds(1),
                                          std::chrono::seconds(5), std::chrono::hours(1),
                                          &options.heal.promotion_timeout));
  auto http = ParseHttpOptions(*options_source, env, 9470);
  if (!http.ok()) return http.status();
  options.http = *http;
  return options;
}

int RunLeader(const LeaderOptions& options) {
  auto log = Logger("leader");
  // Keys first: without them (and without --insecure) nothing may listen.
  protocol::KeyFile key;
  protocol::KeySet clients;
  if (options.insecure) {
    log->warn(
        "running --insecure: ports 7470/7471 are plain text and unauthenticated; anyone who "
        "reaches them can report for any node and run commands (doc/security.md)");
  } else {
    std::string warning;
    auto loaded = protocol::LoadDaemonKey(options.key_path, "leader", &warning);
    if (!loaded.ok()) {
      log->critical("{}", loaded.status().message());
      return 1;
    }
    if (!warning.empty()) log->warn("{}", warning);
    key = std::move(loaded).value();
    auto read = protocol::LoadClientsFile(options.clients_path);
    if (!read.ok()) {
      log->critical("no clients file: {}; {}", read.status().message(), protocol::kHowToMakeKeys);
      return 1;
    }
    clients = std::move(read).value();
    if (clients.CountRole(protocol::Role::kAgent) == 0) {
      log->warn("the clients file '{}' has no agent key: no agent can report",
                options.clients_path);
    }
    log->info("CURVE on both ports; clients file '{}': {} agent, {} operator, {} read-only key(s)",
              options.clients_path, clients.CountRole(protocol::Role::kAgent),
              clients.CountRole(protocol::Role::kOperator),
              clients.CountRole(protocol::Role::kReadOnly));
    // The other leader instances forward queries with the leaders' own key (forward.h).
    if (clients.FindByKey(key.public_key) == nullptr) {
      clients.clients.push_back({protocol::Role::kOperator, key.public_key, kPeerLeaderKeyName, 0});
    }
  }
  zmq::context_t context(1);
  // The ZAP handler is bound before the ROUTERs: a CURVE client connecting while none is bound
  // would be admitted unchecked.
  std::optional<zmq::socket_t> zap_socket;
  if (!options.insecure) {
    auto bound = ZapHandler::Bind(context);
    if (!bound.ok()) {
      log->critical("{}", bound.status().ToString());
      return 1;
    }
    zap_socket.emplace(std::move(bound).value());
  }
  const std::string secret = options.insecure ? std::string() : key.secret_key;
  Endpoints::Sockets sockets;
  auto agents = BindRouter(
      context, "tcp://" + options.bind_address + ":" + std::to_string(options.agent_port), secret,
      protocol::kAgentsZapDomain, &sockets.agents_monitor);
  auto control = BindRouter(
      context, "tcp://" + options.bind_address + ":" + std::to_string(options.control_port), secret,
      protocol::kControlZapDomain, &sockets.control_monitor);
  for (const Status& s : {agents.status(), control.status()}) {
    if (!s.ok()) {
      log->critical("{}", s.ToString());
      return 1;
    }
  }
  sockets.agents = std::move(agents).value();
  sockets.control = std::move(control).value();
  log->info("leader listening: agents on {}:{}, CLI on {}:{} ({}); docker '{}'",
            options.bind_address, options.agent_port, options.bind_address, options.control_port,
            options.insecure ? "PLAIN TEXT" : "CURVE", options.docker_socket);

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
  SystemClock clock;
  // The real side effects, one Docker client per thread that uses it; they outlive the services
  // (the runner stops every service before this function returns).
  std::shared_ptr<SwarmApi> lease_api = MakeDockerSwarmApi(LeaseClientOptions(options));
  SwarmLeaseStore lease_store(*lease_api);
  DockerLeaseEvents lease_events({.socket_path = options.docker_socket});
  std::shared_ptr<SwarmApi> controller_api =
      MakeDockerSwarmApi({.socket_path = options.docker_socket});
  std::shared_ptr<SwarmApi> rebalancer_api =
      MakeDockerSwarmApi({.socket_path = options.docker_socket});
  const Candidate self = MakeCandidate(info->swarm_node_id, info->name);
  auto lease =
      std::make_shared<LeaseKeeper>(lease_store, clock, self, options.lease, &lease_events);
  const std::string self_node_id = info->swarm_node_id;
  auto outbox = std::make_shared<AgentCommandOutbox>();
  auto record_event = [&shared, &clock, self_node_id](protocol::Event event) {
    std::lock_guard lock(shared.mutex);
    shared.cluster.RecordEvent(self_node_id, event, clock.WallMs());
  };
  // Created before the controller (which hands it `rebalance`), started after it.
  std::shared_ptr<Rebalancer> rebalancer;
  // The healer (leader/heal/service.h): its own Docker client; it hands its view to the CLI.
  std::shared_ptr<SwarmApi> heal_api = MakeDockerSwarmApi({.socket_path = options.docker_socket});
  HealLoopOptions heal_options{
      .settings = options.settings, .heal = options.heal, .instance_id = self.instance};
  heal_options.heal.self_node_id = info->swarm_node_id;
  auto healer = std::make_shared<Healer>(
      heal_options, *heal_api, clock,
      HealLoop::Hooks{.config = [&shared]() -> std::shared_ptr<const config::Config> {
                        std::lock_guard lock(shared.mutex);
                        return shared.view.has_config ? shared.view.config : nullptr;
                      },
                      .cached_nodes = [&shared]() -> std::optional<std::vector<docker::Node>> {
                        std::lock_guard lock(shared.mutex);
                        if (shared.cluster.node_list_generation() == 0) return std::nullopt;
                        return shared.cluster.nodes();
                      },
                      .is_leader = [lease] { return lease->IsLeader(); },
                      .lease_term = [lease] { return lease->Term(); },
                      .last_raft_write = [lease] { return lease->LastWriteSent(); },
                      .report = record_event,
                      .publish =
                          [&shared](HealView view) {
                            std::lock_guard lock(shared.mutex);
                            shared.heal = std::move(view);
                          }});
  auto controller = std::make_shared<Controller>(
      ControllerOptions{
          .settings = options.settings,
          .anchor_grace = options.anchor_grace,
          .follow_window = options.follow_window,
          .lease_term = [lease] { return lease->Term(); },
          .instance_id = self.instance,
          .agent_commands =
              [outbox](AgentCommandRequest request) { outbox->Push(std::move(request)); },
          .heal_commands =
              [healer](AgentCommandRequest r) {
                return healer->Submit({r.id, r.text, r.source, r.name, r.node});
              },
          .rebalance =
              [&rebalancer](std::uint64_t id, const std::string& source) {
                rebalancer->RequestEvaluation(id, source);
              }},
      *controller_api, clock, [lease] { return lease->IsLeader(); }, record_event,
      [&shared](ControllerView view) {
        std::lock_guard lock(shared.mutex);
        shared.view = std::move(view);
      });
  RebalanceLoop::Hooks rebalance_hooks;
  rebalance_hooks.inputs = [&shared, &clock] {
    std::lock_guard lock(shared.mutex);
    return InputsFrom(shared.cluster, shared.view.config, clock.Now());
  };
  rebalance_hooks.is_leader = [lease] { return lease->IsLeader(); };
  rebalance_hooks.lease_term = [lease] { return lease->Term(); };
  rebalance_hooks.report = record_event;
  rebalance_hooks.publish = [&shared](RebalanceView view) {
    std::lock_guard lock(shared.mutex);
    shared.rebalance = std::move(view);
  };
  rebalance_hooks.poke_controller = [controller] { controller->Poke(); };
  rebalancer = std::make_shared<Rebalancer>(
      RebalanceLoopOptions{.settings = options.settings, .instance_id = self.instance},
      *rebalancer_api, clock, std::move(rebalance_hooks));
  shared.cluster.SetEventLogId(self_node_id + "/" + std::to_string(clock.WallMs()));
  auto node_docker =
      std::make_shared<docker::Client>(docker::ClientOptions{.socket_path = options.docker_socket});
  auto watcher = std::make_shared<NodeWatcher>([node_docker] { return node_docker->Nodes(); },
                                               options.poll_interval, shared, clock,
                                               [node_docker] { return node_docker->Swarm(); });
  auto node_events = std::make_shared<NodeEventWatcher>(
      options.docker_socket, options.settings.event_mode, *watcher,
      [controller, healer] {
        controller->Poke();
        healer->Poke();
      },
      [controller] { controller->PokeStore(); });
  // `orcastra plan` reads Swarm on a thread of its own, so a slow daemon stalls no endpoint.
  docker::ClientOptions plan_client{.socket_path = options.docker_socket};
  plan_client.request_timeout = std::chrono::seconds(10);
  auto plans = std::make_shared<PlanWorker>(MakeDockerSwarmApi(plan_client), clock);
  // Queries a standby forwards to the active instance wait on a thread of their own; they speak
  // to it with the leaders' own key, which every instance admits (kPeerLeaderKeyName).
  auto forwards = std::make_shared<PlanWorker>(nullptr, clock, kMaxForwardJobs, "forwarder");
  protocol::ClientSecurity peer_security;
  peer_security.insecure = options.insecure;
  if (!options.insecure) {
    peer_security.key.public_key = key.public_key;
    peer_security.key.secret_key = key.secret_key;
    peer_security.key.leader_public_keys = {key.public_key};
    peer_security.key_path = options.key_path;
  }
  EndpointsContext wiring;
  wiring.clock = &clock;
  wiring.shared = &shared;
  wiring.lease = [lease] {
    LeaseRecord holder = lease->ObservedHolder();
    return LeaseView{lease->IsLeader(), holder.term, holder.holder_node_id, holder.holder_hostname};
  };
  wiring.submit = [controller](const std::string& text, const std::string& source) {
    return controller->Submit(text, source);
  };
  wiring.poke = [controller] { controller->Poke(); };
  wiring.outbox = outbox.get();
  wiring.plans = plans.get();
  wiring.event_mode = options.settings.event_mode;
  wiring.forwards = forwards.get();
  wiring.forward = [&context, peer_security](const std::string& endpoint,
                                             const protocol::Message& message) {
    return protocol::Request(context, endpoint, message, kForwardTimeout, peer_security);
  };
  wiring.control_port = options.control_port;
  wiring.settings = options.settings;
  wiring.poke_store = [controller] { controller->PokeStore(); };
  std::shared_ptr<ZapHandler> zap;
  if (zap_socket) {
    zap = std::make_shared<ZapHandler>(std::move(*zap_socket), std::move(clients), clock,
                                       record_event);
    wiring.security.insecure = false;
    wiring.security.leader_public_key = key.public_key;
    wiring.security.keys = &zap->keys();
    wiring.security.zap_counters = [zap] { return zap->counters(); };
  } else {
    wiring.security.insecure = true;
  }
  auto endpoints = std::make_shared<Endpoints>(std::move(wiring), std::move(sockets));
  log->info("configuration from '{}'{}; stack '{}'", options.settings.paths.dir,
            options.settings.dry_run ? "; DRY_RUN: no change is made to Swarm" : "",
            options.settings.stack_name);
  // The HTTP endpoint's token is read before anything starts: a named file that cannot be read
  // is a configuration error.
  std::optional<std::string> http_token;
  if (options.http.listen) {
    auto token = ReadHttpToken(options.http);
    if (!token.ok()) {
      log->critical("{}", token.status().message());
      return 1;
    }
    http_token = *token;
  }
  ServiceRunner runner;
  runner.Add(lease);
  runner.Add(watcher);
  runner.Add(node_events);
  runner.Add(controller);
  runner.Add(healer);
  runner.Add(rebalancer);
  runner.Add(plans);
  runner.Add(forwards);
  if (zap) runner.Add(zap);
  runner.Add(endpoints);
  // The HTTP endpoint last: it reports on every loop above and reads only what they publish.
  LeaderEndpoint web;
  web.version = ORCASTRA_VERSION;
  web.clock = &clock;
  web.shared = &shared;
  web.lease = [lease] {
    LeaseRecord holder = lease->ObservedHolder();
    return LeaseView{lease->IsLeader(), holder.term, holder.holder_node_id, holder.holder_hostname};
  };
  web.controller = &controller->counters();
  web.queued_commands = [controller] { return controller->queued_commands(); };
  web.loops = &runner.services();
  web.stall_limit = options.http.stall_limit;
  web.ready_within = options.poll_interval * 2 + std::chrono::seconds(15);
  web.token = http_token;
  web.metrics_auth = options.http.metrics_auth;
  if (options.http.listen) {
    http::ServerOptions server_options;
    server_options.name = "http";
    server_options.address = *options.http.listen;
    auto server = http::Server::Listen(
        server_options, [&web](const http::Request& request) { return web.Handle(request); });
    if (!server.ok()) {
      log->critical("{}", server.status().message());
      return 1;
    }
    web.http = &(*server)->counters();
    runner.Add(*server);
    log->info("metrics and health on http://{}/metrics, /healthz, /readyz; web view and /api {}",
              options.http.listen->ToString(),
              http_token ? "with the read-only token"
                         : "disabled (no token file: see doc/observability.md)");
  } else {
    log->info("no HTTP endpoint (--http-listen off)");
  }
  runner.StartAll();
  int signal_number = WaitForShutdownSignal();
  log->info("signal {} received, stopping", signal_number);
  runner.StopAll();
  return 0;
}

}  // namespace orcastra::leader
