#include "leader/leader.h"

#include <memory>
#include <mutex>
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
#include "leader/state/cluster_state.h"
#include "leader/state/node_watcher.h"
#include "leader/state/shared_state.h"
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
  SystemClock clock;
  // The real side effects, one Docker client per thread that uses it; they outlive the services
  // (the runner stops every service before this function returns).
  std::shared_ptr<SwarmApi> lease_api = MakeDockerSwarmApi(LeaseClientOptions(options));
  SwarmLeaseStore lease_store(*lease_api);
  DockerLeaseEvents lease_events({.socket_path = options.docker_socket});
  std::shared_ptr<SwarmApi> controller_api =
      MakeDockerSwarmApi({.socket_path = options.docker_socket});
  const Candidate self = MakeCandidate(info->swarm_node_id, info->name);
  auto lease =
      std::make_shared<LeaseKeeper>(lease_store, clock, self, options.lease, &lease_events);
  const std::string self_node_id = info->swarm_node_id;
  auto outbox = std::make_shared<AgentCommandOutbox>();
  // The healer (leader/heal/service.h): its own Docker client; it hands its view to the CLI.
  std::shared_ptr<SwarmApi> heal_api = MakeDockerSwarmApi({.socket_path = options.docker_socket});
  HealLoopOptions heal_options{
      .settings = options.settings, .heal = options.heal, .instance_id = self.instance};
  heal_options.heal.self_node_id = info->swarm_node_id;
  auto healer = std::make_shared<Healer>(
      heal_options, *heal_api, clock,
      HealLoop::Hooks{
          .config = [&shared]() -> std::shared_ptr<const config::Config> {
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
          .report =
              [&shared, &clock, self_node_id = info->swarm_node_id](protocol::Event event) {
                std::lock_guard lock(shared.mutex);
                shared.cluster.RecordEvent(self_node_id, event, clock.WallMs());
              },
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
              }},
      *controller_api, clock, [lease] { return lease->IsLeader(); },
      [&shared, &clock, self_node_id](protocol::Event event) {
        std::lock_guard lock(shared.mutex);
        shared.cluster.RecordEvent(self_node_id, event, clock.WallMs());
      },
      [&shared](ControllerView view) {
        std::lock_guard lock(shared.mutex);
        shared.view = std::move(view);
      });
  shared.cluster.SetEventLogId(self_node_id + "/" + std::to_string(clock.WallMs()));
  auto node_docker =
      std::make_shared<docker::Client>(docker::ClientOptions{.socket_path = options.docker_socket});
  auto watcher = std::make_shared<NodeWatcher>([node_docker] { return node_docker->Nodes(); },
                                               options.poll_interval, shared, clock);
  auto node_events = std::make_shared<NodeEventWatcher>(
      options.docker_socket, options.settings.event_mode, *watcher, [controller, healer] {
        controller->Poke();
        healer->Poke();
      });
  // `orcastra plan` reads Swarm on a thread of its own, so a slow daemon stalls no endpoint.
  docker::ClientOptions plan_client{.socket_path = options.docker_socket};
  plan_client.request_timeout = std::chrono::seconds(10);
  auto plans = std::make_shared<PlanWorker>(MakeDockerSwarmApi(plan_client), clock);
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
  auto endpoints = std::make_shared<Endpoints>(std::move(wiring), std::move(agents).value(),
                                               std::move(control).value());
  log->info("configuration from '{}'{}; stack '{}'", options.settings.paths.dir,
            options.settings.dry_run ? "; DRY_RUN: no change is made to Swarm" : "",
            options.settings.stack_name);
  ServiceRunner runner;
  runner.Add(lease);
  runner.Add(watcher);
  runner.Add(node_events);
  runner.Add(controller);
  runner.Add(healer);
  runner.Add(plans);
  runner.Add(endpoints);
  runner.StartAll();
  int signal_number = WaitForShutdownSignal();
  log->info("signal {} received, stopping", signal_number);
  runner.StopAll();
  return 0;
}

}  // namespace orcastra::leader
