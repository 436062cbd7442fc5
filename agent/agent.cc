#include "agent/agent.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <zmq.hpp>

#include "agent/commands/remote_logs.h"
#include "agent/commands/runner.h"
#include "agent/identity/attester.h"
#include "agent/observe/endpoint.h"
#include "agent/rejoin/service.h"
#include "agent/rejoin/standalone_lock.h"
#include "agent/report/containers.h"
#include "agent/report/reporter_status.h"
#include "common/clock.h"
#include "common/docker_client.h"
#include "common/docker_events.h"
#include "common/log.h"
#include "protocol/curve.h"
#include "protocol/keys.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace orcastra::agent {
namespace {

constexpr char kVersion[] = ORCASTRA_VERSION;
constexpr std::size_t kMaxQueuedEvents = 256;
// Managers change rarely; the list is re-read this often (sooner while no leader is known).
constexpr std::chrono::seconds kDiscoveryInterval{30};
constexpr std::chrono::seconds kDiscoveryRetry{5};
// A burst of events (a crash-looping container) causes at most one extra report per this gap.
constexpr std::chrono::milliseconds kMinReportGap{500};
// Between reports the Reporter looks for leaders' commands and finished results this often.
constexpr std::chrono::milliseconds kCommandTick{100};
// A leader that refused this agent's key (or disagrees on encryption) is tried again after this.
constexpr std::chrono::seconds kRefusedRetry{30};
// Wrong-key handshakes in a row before a link gives a leader key up (protocol::Request does the
// same).
constexpr std::size_t kWrongKeyConfirmations = protocol::kWrongKeyConfirmations;
// A hello answering a `not_attested` refusal comes at most this often per link.
constexpr std::chrono::milliseconds kMinHelloGap{2000};
// Link troubles are logged at most once per this period (the next line counts the rest).
constexpr std::chrono::seconds kLinkLogPeriod{30};
// With --insecure, the warning is logged again this often.
constexpr std::chrono::hours kInsecureWarningPeriod{1};

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// The host part of "HOST:PORT" or "[V6]:PORT".
std::string HostOf(const std::string& addr) {
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find(']');
    return close == std::string::npos ? addr : addr.substr(0, close + 1);
  }
  auto colon = addr.rfind(':');
  return colon == std::string::npos ? addr : addr.substr(0, colon);
}

// Owns the connections to the leader instances and sends reports and events.
class Reporter final : public Service {
 public:
  Reporter(const AgentOptions& options, const protocol::ClientSecurity& security,
           EventQueue& events, AgentCommandRunner& commands, LeaderServiceImages& service_images,
           ReporterStatus& status)
      : Service("reporter"),
        options_(options),
        security_(security),
        events_(events),
        commands_(commands),
        service_images_(service_images),
        status_(status) {}

 protected:
  void Run(std::stop_token stop) override;

 private:
  // One leader instance's connection: a DEALER, its handshake monitor, and which of the trusted
  // leader keys it uses (doc/security.md "Leader key rotation").
  struct Link {
    zmq::socket_t socket{};
    std::optional<protocol::HandshakeMonitor> monitor{};
    std::size_t key_index = 0;
    std::size_t wrong_in_row = 0;  // wrong-key handshakes in a row with the current key
    std::size_t failed_keys = 0;   // keys given up on in a row (all of them: pause)
    bool paused = false;           // refused or no trusted key works: recreated at `retry_at`
    bool greeted = false;          // a hello went out on the current connection
    SteadyTime retry_at{};
    SteadyTime last_hello{};
    SteadyTime switched_at{};
  };

  void Discover(docker::Client& docker, zmq::context_t& context);
  std::optional<Link> MakeLink(zmq::context_t& context, const std::string& endpoint,
                               std::size_t key_index);
  // Sends a hello (with a fresh attestation for the link's leader key) on one link.
  void SendHello(const std::string& endpoint, Link& link);
  // Sends to every leader link; true when at least one took it.
  bool Broadcast(const protocol::Body& body);
  void DrainReplies();
  // Handles the links' handshake events: hello on a new connection, the next leader key when the
  // leader holds another one, a pause when the leader refuses this agent's key.
  void ServiceLinks(zmq::context_t& context);
  // Sends the results of finished commands to the leader endpoints they came from.
  void SendCommandResults();
  // Waits up to `timeout` (false: stop requested), answering commands meanwhile; returns early when
  // an event is waiting to be sent.
  bool WaitServingCommands(const std::stop_token& stop, std::chrono::milliseconds timeout,
                           zmq::context_t& context);

  const AgentOptions& options_;
  const protocol::ClientSecurity& security_;
  EventQueue& events_;
  AgentCommandRunner& commands_;
  LeaderServiceImages& service_images_;
  ReporterStatus& status_;
  SystemClock clock_;
  std::map<std::string, Link> links_;  // endpoint -> its connection
  std::unique_ptr<NodeAttester> attester_;
  std::string node_id_;
  std::string hostname_;
  std::uint64_t seq_ = 0;
  LogLimiter link_log_{kLinkLogPeriod};
  LogLimiter refusal_log_{kLinkLogPeriod};
  std::string last_attestation_problem_;
  SteadyTime next_insecure_warning_{};
};

std::optional<Reporter::Link> Reporter::MakeLink(zmq::context_t& context,
                                                 const std::string& endpoint,
                                                 std::size_t key_index) {
  auto log = Logger("agent");
  Link link;
  link.socket = zmq::socket_t(context, zmq::socket_type::dealer);
  protocol::ConfigureSocket(link.socket);
  // Reports are only worth sending fresh: never queue them for a leader that is not connected.
  link.socket.set(zmq::sockopt::immediate, 1);
  link.socket.set(zmq::sockopt::sndhwm, 16);
  link.key_index = key_index;
  if (!security_.insecure) {
    const auto& keys = security_.key.leader_public_keys;
    if (Status curve = protocol::ConfigureCurveClient(link.socket, security_.key,
                                                      keys[key_index % keys.size()]);
        !curve.ok()) {
      log->error("cannot secure the link to '{}': {}", endpoint, curve.ToString());
      return std::nullopt;
    }
  }
  auto monitor = protocol::HandshakeMonitor::Attach(context, link.socket);
  if (!monitor.ok()) {
    log->error("cannot watch the link to '{}': {}", endpoint, monitor.status().ToString());
    return std::nullopt;
  }
  link.monitor.emplace(std::move(monitor).value());
  try {
    link.socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    log->error("cannot connect to leader endpoint '{}': {}", endpoint, e.what());
    return std::nullopt;
  }
  return link;
}

void Reporter::Discover(docker::Client& docker, zmq::context_t& context) {
  auto log = Logger("agent");
  auto info = docker.Info();
  if (!info.ok()) {
    log->warn("cannot read the local daemon's info, keeping {} leader link(s): {}", links_.size(),
              info.status().ToString());
    return;
  }
  node_id_ = info->swarm_node_id;
  hostname_ = info->name;
  std::vector<std::string> wanted = options_.leader_endpoints.empty()
                                        ? LeaderEndpointsFromInfo(*info, options_.leader_port)
                                        : options_.leader_endpoints;
  if (wanted.empty()) {
    log->warn("no leader known: node '{}' is not in a swarm and no --leader was given", hostname_);
  }
  std::set<std::string> wanted_set(wanted.begin(), wanted.end());
  for (auto it = links_.begin(); it != links_.end();) {
    if (wanted_set.count(it->first)) {
      ++it;
    } else {
      log->info("leader endpoint '{}' is gone, disconnecting", it->first);
      it = links_.erase(it);
    }
  }
  const SteadyTime now = clock_.Now();
  for (const auto& endpoint : wanted) {
    auto existing = links_.find(endpoint);
    std::size_t key_index = 0;
    if (existing != links_.end()) {
      if (!existing->second.paused || now < existing->second.retry_at) continue;
      key_index = existing->second.key_index;  // try again where it stopped
      links_.erase(existing);
    }
    std::optional<Link> link = MakeLink(context, endpoint, key_index);
    if (!link) continue;
    log->info("connecting to leader endpoint '{}'{}", endpoint,
              security_.insecure ? " (plain text, --insecure)" : "");
    links_.emplace(endpoint, std::move(*link));
  }
  status_.leader_links = links_.size();
  // Announce ourselves (again) to every instance; a hello is cheap and lets a restarted leader
  // check our version (and proof of node) at once.
  for (auto& [endpoint, link] : links_) {
    if (!link.paused) SendHello(endpoint, link);
  }
}

void Reporter::SendHello(const std::string& endpoint, Link& link) {
  protocol::Hello hello{kVersion, node_id_, hostname_,
                        static_cast<std::uint32_t>(options_.report_interval.count()),
                        options_.memory_source.ToString()};
  if (!security_.insecure) {
    const auto& keys = security_.key.leader_public_keys;
    hello.attestation = attester_->Attest(node_id_, keys[link.key_index % keys.size()],
                                          security_.key.public_key, clock_.WallMs());
    if (attester_->LastProblem() != last_attestation_problem_) {
      last_attestation_problem_ = attester_->LastProblem();
      if (last_attestation_problem_.empty()) {
        Logger("agent")->info("this agent proves its node with its {}", attester_->LastMethod());
      } else {
        Logger("agent")->error(
            "this agent cannot prove which node it runs on, so leaders refuse its reports: {}",
            last_attestation_problem_);
      }
    }
  }
  link.last_hello = clock_.Now();
  protocol::Message message{{protocol::kMajorVersion, node_id_, ++seq_, clock_.WallMs()},
                            std::move(hello)};
  Status sent = protocol::Send(link.socket, message);
  if (!sent.ok()) {
    Logger("agent")->debug("hello to '{}' not sent: {}", endpoint, sent.ToString());
  }
  link.greeted = sent.ok();
}

void Reporter::ServiceLinks(zmq::context_t& context) {
  auto log = Logger("agent");
  const SteadyTime now = clock_.Now();
  using Outcome = protocol::HandshakeMonitor::Outcome;
  for (auto& [endpoint, link] : links_) {
    if (link.paused || !link.monitor) continue;
    bool recreate = false;
    for (const auto& event : link.monitor->Drain()) {
      switch (event.outcome) {
        case Outcome::kSucceeded:
          // A new connection: the leader knows nothing of it; the hello goes first.
          link.wrong_in_row = 0;
          link.failed_keys = 0;
          link.greeted = false;
          SendHello(endpoint, link);
          break;
        case Outcome::kWrongServerKey: {
          const std::size_t keys = security_.insecure ? 1 : security_.key.leader_public_keys.size();
          // One failure may be a busy leader closing a slow handshake (libzmq retries at once);
          // the same failure again means the leader holds another key.
          if (++link.wrong_in_row < kWrongKeyConfirmations) break;
          link.wrong_in_row = 0;
          ++link.failed_keys;
          if (link.failed_keys >= keys) {
            std::uint64_t suppressed = 0;
            if (link_log_.Allow(now, &suppressed)) {
              log->error("{}{}", protocol::DescribeHandshake(event, endpoint),
                         Suppressed(suppressed));
            }
            link.failed_keys = 0;
            link.paused = true;
            link.retry_at = now + kDiscoveryRetry;
          } else if (now - link.switched_at >= std::chrono::milliseconds(200)) {
            // The leader holds another key than this one: during a rotation, the next one.
            link.key_index = (link.key_index + 1) % keys;
            link.switched_at = now;
            recreate = true;
            log->info("leader '{}' holds another key; trying leader key {} of {}", endpoint,
                      link.key_index + 1, keys);
          }
          break;
        }
        case Outcome::kKeyRefused:
        case Outcome::kMechanismMismatch: {
          std::uint64_t suppressed = 0;
          if (link_log_.Allow(now, &suppressed)) {
            log->error("{}; trying again in {}s{}", protocol::DescribeHandshake(event, endpoint),
                       kRefusedRetry.count(), Suppressed(suppressed));
          }
          link.paused = true;
          link.retry_at = now + kRefusedRetry;
          break;
        }
        case Outcome::kDisconnected:
          link.greeted = false;
          break;
        case Outcome::kOtherFailure:
        case Outcome::kAccepted:
          break;
      }
      if (recreate || link.paused) break;
    }
    if (link.paused) {
      // Closed until retry_at: a DEALER with a wrong server key would reconnect every 100 ms.
      link.monitor.reset();
      link.socket.close();
    } else if (recreate) {
      std::optional<Link> fresh = MakeLink(context, endpoint, link.key_index);
      if (fresh) {
        fresh->switched_at = link.switched_at;
        fresh->failed_keys = link.failed_keys;
        fresh->wrong_in_row = 0;
        link = std::move(*fresh);
      }
    }
  }
}

bool Reporter::Broadcast(const protocol::Body& body) {
  protocol::Message message{{protocol::kMajorVersion, node_id_, ++seq_, clock_.WallMs()}, body};
  bool any = false;
  for (auto& [endpoint, link] : links_) {
    if (link.paused) continue;
    // Nothing before the hello on a connection (it would be refused as not attested).
    if (!link.greeted) SendHello(endpoint, link);
    if (!link.greeted) {
      status_.send_failures.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    Status sent = protocol::Send(link.socket, message);
    any = any || sent.ok();
    if (!sent.ok()) {
      status_.send_failures.fetch_add(1, std::memory_order_relaxed);
      Logger("agent")->debug("{} to '{}' not sent: {}", protocol::TypeName(body), endpoint,
                             sent.ToString());
    }
  }
  return any;
}

void Reporter::DrainReplies() {
  auto log = Logger("agent");
  for (auto& [endpoint, link] : links_) {
    if (link.paused) continue;
    zmq::socket_t& socket = link.socket;
    while (auto incoming = protocol::TryReceive(socket, /*is_router=*/false)) {
      if (!incoming->message.ok()) {
        log->warn("bad message from leader '{}': {}", endpoint,
                  incoming->message.status().ToString());
        continue;
      }
      const auto& body = incoming->message->body;
      if (const auto* error = std::get_if<protocol::Error>(&body)) {
        if (error->code == protocol::kErrorNotAttested) {
          // The leader does not know this connection's node (a reconnection raced the hello, or
          // it could not check yet): prove it again. Expected now and then, so not an error.
          log->debug("leader '{}' asks for the node's proof again: {}", endpoint, error->message);
          if (clock_.Now() - link.last_hello >= kMinHelloGap) SendHello(endpoint, link);
          continue;
        }
        std::uint64_t suppressed = 0;
        if (refusal_log_.Allow(clock_.Now(), &suppressed)) {
          log->error("leader '{}' refused our message: {} ({}){}", endpoint, error->message,
                     error->code, Suppressed(suppressed));
        }
      } else if (const auto* welcome = std::get_if<protocol::Welcome>(&body)) {
        log->debug("welcomed by leader instance on '{}' (active: {})", welcome->leader_hostname,
                   welcome->active);
      } else if (const auto* images = std::get_if<protocol::ServiceImages>(&body)) {
        service_images_.Set(images->refs, clock_.Now());
      } else if (const auto* command = std::get_if<protocol::AgentCommand>(&body)) {
        if (!commands_.Submit(endpoint, *command)) {
          protocol::Message busy{
              {protocol::kMajorVersion, node_id_, ++seq_, clock_.WallMs()},
              protocol::AgentCommandResult{
                  command->id, false,
                  "the agent is busy: " + std::to_string(AgentCommandRunner::kMaxQueued) +
                      " commands are waiting",
                  ""}};
          (void)protocol::Send(socket, busy);
        }
      }
    }
  }
}

void Reporter::SendCommandResults() {
  for (auto& done : commands_.TakeDone()) {
    auto link = links_.find(done.endpoint);
    if (link == links_.end() || link->second.paused) {
      Logger("agent")->warn("result of command {} dropped: leader endpoint '{}' is gone",
                            done.result.id, done.endpoint);
      continue;
    }
    protocol::Message message{{protocol::kMajorVersion, node_id_, ++seq_, clock_.WallMs()},
                              std::move(done.result)};
    Status sent = protocol::Send(link->second.socket, message);
    if (!sent.ok()) {
      Logger("agent")->warn("result of command {} not sent to '{}': {}",
                            std::get<protocol::AgentCommandResult>(message.body).id, done.endpoint,
                            sent.ToString());
    }
  }
}

bool Reporter::WaitServingCommands(const std::stop_token& stop, std::chrono::milliseconds timeout,
                                   zmq::context_t& context) {
  const SteadyTime deadline = clock_.Now() + timeout;
  while (true) {
    ServiceLinks(context);
    DrainReplies();
    SendCommandResults();
    if (events_.HasPending()) return !stop.stop_requested();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.Now());
    if (left <= std::chrono::milliseconds::zero()) return !stop.stop_requested();
    if (!WaitFor(stop, std::min(left, kCommandTick))) return false;
  }
}

void Reporter::Run(std::stop_token stop) {
  auto log = Logger("agent");
  docker::Client docker({.socket_path = options_.docker_socket});
  zmq::context_t context(1);
  // The manager token, only when the node's key is encrypted (autolock) and this is a manager.
  attester_ =
      std::make_unique<NodeAttester>(options_.swarm_cert_dir, [&docker]() -> Result<std::string> {
        auto swarm = docker.Swarm();
        if (!swarm.ok()) return swarm.status();
        if (swarm->manager_token.empty()) return Status::NotFound("no manager join token");
        return std::move(swarm->manager_token);
      });
  NodeMetricsCollector metrics(options_.proc_root, options_.memory_source);
  ContainerCollector containers(options_.proc_root, options_.cgroup_root);
  SteadyTime next_discovery = clock_.Now();
  SteadyTime last_report{};
  bool first_report = true;
  next_insecure_warning_ = clock_.Now() + kInsecureWarningPeriod;

  while (!stop.stop_requested()) {
    if (security_.insecure && clock_.Now() >= next_insecure_warning_) {
      next_insecure_warning_ = clock_.Now() + kInsecureWarningPeriod;
      log->warn("running --insecure: reports travel in plain text, unauthenticated");
    }
    if (clock_.Now() >= next_discovery) {
      Discover(docker, context);
      next_discovery = clock_.Now() + (links_.empty() ? kDiscoveryRetry : kDiscoveryInterval);
    }
    for (auto& event : events_.TakeAll()) {
      containers.Invalidate(event.subject);
      Broadcast(std::move(event));
      status_.events_sent.fetch_add(1, std::memory_order_relaxed);
    }
    // Events can wake us often; keep reports at least kMinReportGap apart.
    auto since_last = clock_.Now() - last_report;
    if (!first_report && since_last < kMinReportGap) {
      if (!WaitFor(stop, std::chrono::duration_cast<std::chrono::milliseconds>(kMinReportGap -
                                                                               since_last)))
        break;
    }
    protocol::NodeReport report;
    report.node_id = node_id_;
    report.hostname = hostname_;
    report.report_interval_ms = static_cast<std::uint32_t>(options_.report_interval.count());
    report.service_images_age_ms = service_images_.AgeMs(clock_.Now());
    Status collected = metrics.Collect(report);
    auto listed = collected.ok() ? containers.Collect(docker)
                                 : Result<std::vector<protocol::ContainerReport>>(collected);
    if (listed.ok()) {
      report.containers = std::move(listed).value();
      status_.Collected(report, clock_.Now());
      if (Broadcast(report)) status_.reports_sent.fetch_add(1, std::memory_order_relaxed);
      first_report = false;
    } else {
      // Never send half a picture: the leader would take missing containers for stopped ones.
      status_.reports_skipped.fetch_add(1, std::memory_order_relaxed);
      log->warn("report skipped: {}", listed.status().ToString());
    }
    last_report = clock_.Now();
    if (!WaitServingCommands(stop, options_.report_interval, context)) break;
    // A paused link (refused, or no trusted key worked) is tried again at the next discovery.
    for (const auto& [endpoint, link] : links_) {
      if (link.paused) next_discovery = std::min(next_discovery, link.retry_at);
    }
  }
  links_.clear();  // sockets close before the context
}

// Follows the local daemon's container events and passes the important ones to the Reporter.
class EventWatcher final : public Service {
 public:
  // `on_health_event` runs when a container's health changed (autoheal reacts at once).
  EventWatcher(const AgentOptions& options, EventQueue& events, Reporter& reporter,
               std::function<void()> on_health_event)
      : Service("event-watcher"),
        options_(options),
        events_(events),
        reporter_(reporter),
        on_health_event_(std::move(on_health_event)) {}

 protected:
  void Run(std::stop_token stop) override {
    docker::Client docker({.socket_path = options_.docker_socket});
    docker::FollowEvents(
        docker, {{"type", {"container"}}},
        [&](const docker::Event& event) {
          std::string kind = ImportantEventKind(event);
          if (kind.empty()) return;
          protocol::Event out;
          out.kind = kind;
          out.subject = event.actor_id;
          out.message = event.action;
          for (const char* key : {"name", "image", "exitCode", "com.docker.swarm.service.name"}) {
            auto it = event.actor_attributes.find(key);
            if (it != event.actor_attributes.end()) out.attrs[key] = it->second;
          }
          events_.Push(std::move(out));
          reporter_.Wake();
          if (kind == "health_status" && on_health_event_) on_health_event_();
        },
        stop, [&](std::chrono::milliseconds pause) { return WaitFor(stop, pause); }, "container");
  }

 private:
  const AgentOptions& options_;
  EventQueue& events_;
  Reporter& reporter_;
  std::function<void()> on_health_event_;
};

}  // namespace

void EventQueue::Push(protocol::Event event) {
  std::lock_guard lock(mutex_);
  if (events_.size() >= kMaxQueuedEvents) events_.pop_front();
  events_.push_back(std::move(event));
}

bool EventQueue::HasPending() {
  std::lock_guard lock(mutex_);
  return !events_.empty();
}

std::vector<protocol::Event> EventQueue::TakeAll() {
  std::lock_guard lock(mutex_);
  std::vector<protocol::Event> out(std::make_move_iterator(events_.begin()),
                                   std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

std::vector<std::string> LeaderEndpointsFromInfo(const docker::SystemInfo& info,
                                                 std::uint16_t port) {
  std::set<std::string> endpoints;
  for (const auto& manager : info.swarm_remote_managers) {
    std::string host = HostOf(manager.addr);
    if (!host.empty()) endpoints.insert("tcp://" + host + ":" + std::to_string(port));
  }
  return {endpoints.begin(), endpoints.end()};
}

Result<AgentOptions> ParseAgentOptions(const std::vector<std::string>& args, const EnvLookup& env) {
  FlagSpec spec{{"docker-host", "proc-root", "cgroup-root", "memory-source", "report-interval",
                 "leader", "leader-port", "log-level", "key", "swarm-certs", "state-dir"},
                {"insecure", "rejoin"}};
  spec.with_value.insert(std::begin(kHttpValueFlags), std::end(kHttpValueFlags));
  auto options_source = OptionSource::Parse(args, spec, env);
  if (!options_source.ok()) return options_source.status();
  auto pick = [&](const char* flag, const char* var) { return options_source->Value(flag, var); };
  AgentOptions options;
  if (auto host = pick("docker-host", "DOCKER_HOST")) {
    auto socket = docker::SocketPathFromHost(*host);
    if (!socket.ok()) return socket.status();
    options.docker_socket = *socket;
  }
  options.proc_root =
      pick("proc-root", "ORCASTRA_PROC_ROOT").value_or(procfs::ProcReader::DefaultRoot());
  options.cgroup_root = pick("cgroup-root", "ORCASTRA_CGROUP_ROOT").value_or(cgroup::DefaultRoot());
  if (auto source = pick("memory-source", "ORCASTRA_MEMORY_SOURCE")) {
    auto parsed = ParseMemorySource(*source);
    if (!parsed.ok()) return parsed.status();
    options.memory_source = *parsed;
  }
  // Up to 10 minutes: leaders take an agent for gone after 3 intervals, and the interval travels
  // as uint32 milliseconds.
  if (auto interval = pick("report-interval", "REPORT_INTERVAL")) {
    auto parsed =
        ParseDurationIn(*interval, std::chrono::seconds(1), std::chrono::milliseconds(100),
                        std::chrono::minutes(10), "--report-interval/REPORT_INTERVAL");
    if (!parsed.ok()) return parsed.status();
    options.report_interval = *parsed;
  }
  if (auto leader = pick("leader", "ORCASTRA_LEADER"))
    options.leader_endpoints = SplitComma(*leader);
  if (auto insecure = pick("insecure", "ORCASTRA_INSECURE")) {
    // The flag gives "", the variable a boolean.
    auto parsed =
        insecure->empty() ? Result<bool>(true) : ParseBool("ORCASTRA_INSECURE", *insecure);
    if (!parsed.ok()) return parsed.status();
    options.insecure = *parsed;
  }
  if (auto rejoin = pick("rejoin", "ORCASTRA_REJOIN")) {
    auto parsed = rejoin->empty() ? Result<bool>(true) : ParseBool("ORCASTRA_REJOIN", *rejoin);
    if (!parsed.ok()) return parsed.status();
    options.rejoin = *parsed;
  }
  if (auto dir = pick("state-dir", "ORCASTRA_STATE_DIR")) options.state_dir = *dir;
  if (auto key = pick("key", "ORCASTRA_KEY")) options.key_path = *key;
  if (auto certs = pick("swarm-certs", "ORCASTRA_SWARM_CERTS")) options.swarm_cert_dir = *certs;
  auto autoheal = AutohealOptionsFromEnv(env);
  if (!autoheal.ok()) return autoheal.status();
  options.autoheal = std::move(autoheal).value();
  auto gc = GcOptionsFromEnv(env);
  if (!gc.ok()) return gc.status();
  options.gc = std::move(gc).value();
  auto logrotate = LogRotateOptionsFromEnv(env);
  if (!logrotate.ok()) return logrotate.status();
  options.logrotate = std::move(logrotate).value();
  auto modcache = ModCacheOptionsFromEnv(
      env, EnvReader(env).Get("ORCASTRA_CONFIG_DIR").value_or("/etc/orcastra"));
  if (!modcache.ok()) return modcache.status();
  options.modcache = std::move(modcache).value();
  if (auto port = pick("leader-port", "ORCASTRA_AGENT_PORT")) {
    auto parsed = ParsePort(*port, "leader port");
    if (!parsed.ok()) return parsed.status();
    options.leader_port = *parsed;
  }
  auto http = ParseHttpOptions(*options_source, env, 9471);
  if (!http.ok()) return http.status();
  options.http = *http;
  return options;
}

int RunAgent(const AgentOptions& options) {
  auto log = Logger("agent");
  log->info(
      "agent {} starting: docker '{}', proc root '{}', memory source '{}', report every {} ms",
      kVersion, options.docker_socket, options.proc_root, options.memory_source.ToString(),
      options.report_interval.count());
  protocol::ClientSecurity security;
  security.insecure = options.insecure;
  security.key_path = options.key_path;
  if (options.insecure) {
    log->warn(
        "running --insecure: reports travel in plain text, unauthenticated (doc/security.md)");
  } else {
    std::string warning;
    auto key = protocol::LoadDaemonKey(options.key_path, "agent", &warning);
    if (!key.ok()) {
      log->critical("{}", key.status().message());
      return 1;
    }
    if (key->leader_public_keys.empty()) {
      log->critical(
          "the agent key file '{}' has no leader-public-key line: the agent cannot "
          "know its leaders (doc/security.md)",
          options.key_path);
      return 1;
    }
    if (!warning.empty()) log->warn("{}", warning);
    security.key = std::move(key).value();
    log->info("CURVE to the leaders ({} trusted leader key(s)); node proof from '{}'",
              security.key.leader_public_keys.size(), options.swarm_cert_dir);
  }
  // One acting agent per node (doc/healing.md "The standalone agent"): the standalone agent holds
  // the node's lock; a service agent idles while it is held, and steps aside when it appears.
  std::optional<AbstractSocketLock> standalone_lock;
  if (options.rejoin) {
    auto lock = AbstractSocketLock::Acquire(kStandaloneLockName);
    if (!lock.ok()) {
      log->critical("another standalone agent (--rejoin) runs on this node: {}",
                    lock.status().message());
      return 1;
    }
    standalone_lock.emplace(std::move(lock).value());
    log->info(
        "standalone agent: it joins this node again when the daemon leaves the swarm "
        "(memory in '{}/rejoin')",
        options.state_dir);
    // A service agent on this node sees the lock within its watch interval and stops first.
    if (int signal_number = WaitForShutdownSignalFor(2 * kStandaloneWatchInterval);
        signal_number != 0) {
      log->info("signal {} received, stopping", signal_number);
      return 0;
    }
  } else if (AbstractSocketLock::Held(kStandaloneLockName)) {
    log->info("a standalone agent acts on this node: this one idles until it is gone");
    while (AbstractSocketLock::Held(kStandaloneLockName)) {
      if (int signal_number = WaitForShutdownSignalFor(std::chrono::seconds(5));
          signal_number != 0) {
        log->info("signal {} received, stopping", signal_number);
        return 0;
      }
    }
    log->info("the standalone agent is gone: this agent starts");
  }
  SystemClock clock;
  EventQueue events;
  // The services the leader's commands reach are created below; the handlers look them up here.
  std::shared_ptr<GarbageCollector> collector;
  std::shared_ptr<LogRotator> rotator;
  std::shared_ptr<ModCache> modcache;
  AgentCommandHandlers handlers;
  handlers.gc = [&options, &collector]() -> Result<std::string> {
    if (!options.gc.enabled) return Status::Unavailable("gc is disabled on this node (GC_ENABLED)");
    collector->RunNow();
    return std::string("gc run started") +
           (options.gc.dry_run ? " (dry run: nothing is removed)" : "") +
           "; its outcome follows as gc_* events";
  };
  handlers.rotate_logs = [&options, &rotator]() -> Result<std::string> {
    if (!options.logrotate.enabled) {
      return Status::Unavailable("log rotation is disabled on this node (LOGROTATE_ENABLED)");
    }
    rotator->RunNow(/*force=*/true);
    return std::string("forced log rotation pass started") +
           (options.logrotate.dry_run ? " (dry run: nothing is rotated)" : "") +
           "; its outcome follows as logrotate_* events";
  };
  handlers.refresh_mods = [&options, &modcache]() -> Result<std::string> {
    if (!options.modcache.enabled) {
      return Status::Unavailable("the mod cache is disabled on this node (MOD_MANAGER_ENABLED)");
    }
    modcache->RefreshNow();
    return std::string("mod refresh started") +
           (options.modcache.dry_run ? " (dry run: nothing is fetched)" : "") +
           "; its outcome follows as modcache_* events";
  };
  // Docker client of the command runner's thread (one client per thread).
  auto logs_docker =
      std::make_shared<docker::Client>(docker::ClientOptions{.socket_path = options.docker_socket});
  handlers.container_logs = [logs_docker](const std::string& container, std::size_t tail) {
    return FetchContainerLogs(*logs_docker, container, tail);
  };
  handlers.own_logs = [](std::size_t tail) { return OwnRecentLogs(tail); };
  auto commands = std::make_shared<AgentCommandRunner>(std::move(handlers));
  // Service image references from the leaders, for GC on a worker (which cannot list services).
  auto service_images = std::make_shared<LeaderServiceImages>();
  ReporterStatus reporter_status;
  auto reporter = std::make_shared<Reporter>(options, security, events, *commands, *service_images,
                                             reporter_status);
  commands->SetOnDone([reporter] { reporter->Wake(); });
  auto autohealer = std::make_shared<Autohealer>(options.docker_socket, options.autoheal,
                                                 [&events, reporter](protocol::Event event) {
                                                   events.Push(std::move(event));
                                                   reporter->Wake();
                                                 });
  auto report = [&events, reporter](protocol::Event event) {
    events.Push(std::move(event));
    reporter->Wake();
  };
  collector = std::make_shared<GarbageCollector>(
      options.docker_socket, options.gc,
      ServiceImageRefsProvider(options.docker_socket, service_images), report);
  rotator = std::make_shared<LogRotator>(options.docker_socket, options.logrotate, report);
  modcache = std::make_shared<ModCache>(
      options.modcache,
      [socket = options.docker_socket]() -> Result<std::vector<config::ContainerLabels>> {
        docker::Client docker({.socket_path = socket});
        auto listed = docker.Containers(/*all=*/true);
        if (!listed.ok()) return listed.status();
        std::vector<config::ContainerLabels> out;
        for (const auto& c : *listed) out.push_back({c.name, c.labels});
        return out;
      },
      report);
  auto watcher = std::make_shared<EventWatcher>(options, events, *reporter,
                                                [autohealer] { autohealer->Wake(); });
  ServiceRunner runner;
  runner.Add(commands);
  runner.Add(reporter);
  runner.Add(autohealer);
  runner.Add(collector);
  runner.Add(rotator);
  runner.Add(modcache);
  runner.Add(watcher);
  if (options.rejoin) {
    const MembershipFiles files{options.state_dir + "/rejoin"};
    auto rejoin_docker = std::make_shared<docker::Client>(
        docker::ClientOptions{.socket_path = options.docker_socket});
    auto context = std::make_shared<zmq::context_t>(1);
    RejoinHooks hooks;
    hooks.info = [rejoin_docker] { return rejoin_docker->Info(); };
    hooks.join = [rejoin_docker](const docker::SwarmJoinRequest& request) {
      return rejoin_docker->JoinSwarm(request);
    };
    hooks.ask = [context, files, security, &clock](const std::string& endpoint,
                                                   const Membership& membership) {
      return AskLeaderToJoin(*context, endpoint, membership, files.dir, security, kVersion, clock,
                             std::chrono::seconds(5));
    };
    hooks.load = [files] { return LoadMembership(files); };
    hooks.save = [files, certs = options.swarm_cert_dir](const Membership& membership) {
      return SaveMembership(files, membership, certs);
    };
    hooks.report = report;
    runner.Add(std::make_shared<Rejoiner>(
        options.rejoin_interval,
        std::make_unique<RejoinLoop>(options.leader_port, clock, std::move(hooks))));
  } else {
    runner.Add(std::make_shared<StandaloneWatch>(kStandaloneWatchInterval, [] {
      Logger("agent")->warn(
          "a standalone agent started on this node: this agent stops (and idles when Swarm "
          "starts it again)");
      ::kill(::getpid(), SIGTERM);
    }));
  }
  // The HTTP endpoint last: it reports on every loop above, and reads only what they publish.
  AgentEndpoint endpoint;
  endpoint.version = kVersion;
  endpoint.clock = &clock;
  endpoint.reporter = &reporter_status;
  endpoint.autoheal = &autohealer->counters();
  endpoint.gc = &collector->counters();
  endpoint.logrotate = &rotator->counters();
  endpoint.modcache = &modcache->counters();
  endpoint.loops = &runner.services();
  endpoint.stall_limit = options.http.stall_limit;
  endpoint.ready_within = options.report_interval * 3 + std::chrono::seconds(20);
  endpoint.metrics_auth = options.http.metrics_auth;
  if (options.http.listen) {
    auto token = ReadHttpToken(options.http);
    if (!token.ok()) {
      log->critical("{}", token.status().message());
      return 1;
    }
    endpoint.token = *token;
    http::ServerOptions server_options;
    server_options.name = "http";
    server_options.address = *options.http.listen;
    // A stack update starts the new agent before the old one stops (deploy/stack.yml): they share
    // the port while both run.
    server_options.share_port = true;
    auto server = http::Server::Listen(server_options, [&endpoint](const http::Request& request) {
      return endpoint.Handle(request);
    });
    if (!server.ok()) {
      log->critical("{}", server.status().message());
      return 1;
    }
    endpoint.http = &(*server)->counters();
    runner.Add(*server);
    log->info("metrics and health on http://{}/metrics, /healthz, /readyz{}",
              options.http.listen->ToString(),
              options.http.metrics_auth ? " (/metrics asks for the read-only token)" : "");
  } else {
    log->info("no HTTP endpoint (--http-listen off)");
  }
  runner.StartAll();
  int signal_number = WaitForShutdownSignal();
  log->info("signal {} received, stopping", signal_number);
  runner.StopAll();
  return 0;
}

}  // namespace orcastra::agent
