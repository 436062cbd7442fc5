// A hostile peer for tests/e2e/hostile_test and security_test: sends a leader instance everything
// a careless or malicious agent or CLI could, and counts what comes back. It asserts nothing
// itself; the tests check afterwards, on Swarm and through the CLI, that every leader instance and
// agent stayed up, kept answering and counted every refusal.
//
//   orcastra_hostile_client --agents tcp://HOST:7470 --control tcp://HOST:7471 [--seconds N]
//       [--agent-key FILE] [--client-key FILE] [--phases hostile,impersonate,join,flood]
//       [--swarm-certs DIR --node-id ID --other-node ID] [--flood-connections N]
//       [--load-connections N --load-rate PER_SECOND]
//
// With --agent-key / --client-key (an agent's key file and an operator's) it speaks CURVE as an
// authenticated agent and CLI: the interesting attacker once the ports need keys. Phases:
// - hostile: malformed, oversized, deep, wrong-typed, unknown, floods (as before CURVE);
// - impersonate: with the real agent key and this node's own Swarm certificate (--swarm-certs,
//   --node-id): a hello claiming --other-node, then a proven hello and reports, events and
//   command results for --other-node, and reports with no hello at all;
// - join: asks for a join token in plain text, with the operator key, with the agent key and no
//   hello, proven as --node-id (not down) and claiming --other-node (healing_test);
// - flood: --flood-connections (default 2000) each of junk TCP connections, half-open ZMTP
//   greetings held open, plain-text ZMTP clients and CURVE clients with unknown keys, on both
//   ports;
// - load (tests/bench/curve_cost): --load-connections agents of --node-id (proven with
//   --swarm-certs when --agent-key is given), each sending node reports at --load-rate per second
//   for --seconds.
// Every phase is bounded by a count and by time; the whole run by --seconds (default 60). Prints
// one JSON object: per phase, messages sent and answers received by kind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "protocol/attestation.h"
#include "protocol/curve.h"
#include "protocol/keys.h"
#include "protocol/protocol.h"
#include "protocol/transport.h"

namespace {

using namespace orcastra;
using Clock = std::chrono::steady_clock;
using Packer = msgpack::packer<msgpack::sbuffer>;

struct Tally {
  long sent = 0;
  long send_refused = 0;                // the socket would not queue it (HWM, too large)
  std::map<std::string, long> answers;  // "reply", "error:bad_message", "undecodable", ...
};

std::string Bytes(const msgpack::sbuffer& buffer) { return {buffer.data(), buffer.size()}; }

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An envelope {v:1, type, node, seq, ts, body} whose body the caller packs.
template <typename PackBody>
std::string Envelope(const std::string& type, const std::string& node, PackBody pack_body) {
  msgpack::sbuffer buffer;
  Packer pk(buffer);
  pk.pack_map(6);
  pk.pack("v");
  pk.pack(1);
  pk.pack("type");
  pk.pack(type);
  pk.pack("node");
  pk.pack(node);
  pk.pack("seq");
  pk.pack(1);
  pk.pack("ts");
  pk.pack(1);
  pk.pack("body");
  pack_body(pk);
  return Bytes(buffer);
}

class Peer {
 public:
  // CURVE with `key` (trusting its first leader key), or plain text when it is nullptr; connected
  // at once unless `connect` is false (Connect() then, after attaching a monitor).
  Peer(zmq::context_t& context, const std::string& endpoint, const protocol::KeyFile* key,
       bool connect = true)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, 100000);
    socket_.set(zmq::sockopt::sndtimeo, 200);
    if (key != nullptr) {
      if (!protocol::ConfigureCurveClient(socket_, *key, key->leader_public_keys.at(0)).ok()) {
        throw std::runtime_error("cannot configure CURVE");
      }
    }
    if (connect) socket_.connect(endpoint);
  }
  void Connect(const std::string& endpoint) { socket_.connect(endpoint); }
  void Send(const std::string& frame, Tally& tally) {
    zmq::message_t message(frame.data(), frame.size());
    if (socket_.send(message, zmq::send_flags::none)) {
      ++tally.sent;
    } else {
      ++tally.send_refused;
    }
  }
  // Reads what has arrived within `wait`.
  void Drain(Tally& tally, std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() < 0) left = std::chrono::milliseconds(0);
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, left);
      if ((items[0].revents & ZMQ_POLLIN) == 0) return;
      zmq::message_t message;
      if (!socket_.recv(message, zmq::recv_flags::dontwait)) return;
      auto decoded = protocol::Decode(message.to_string_view(), "leader");
      std::string kind = "undecodable";
      if (decoded.ok()) {
        kind = std::string(protocol::TypeName(decoded->body));
        if (const auto* error = std::get_if<protocol::Error>(&decoded->body))
          kind += ":" + error->code;
        if (const auto* reply = std::get_if<protocol::Reply>(&decoded->body)) {
          kind += reply->ok ? ":ok" : ":error";
        }
        if (const auto* join = std::get_if<protocol::JoinAnswer>(&decoded->body)) {
          kind += join->granted ? ":granted" : ":refused";
          if (!join->join_token.empty()) kind += ":token";
        }
      }
      ++tally.answers[kind];
    }
  }
  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

nlohmann::json Report(const Tally& tally) {
  return {{"sent", tally.sent}, {"send_refused", tally.send_refused}, {"answers", tally.answers}};
}

std::string RandomId(std::mt19937& random) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  for (int i = 0; i < 25; ++i) id += kAlphabet[random() % 36];
  return id;
}

// Raw TCP connections that send half a ZMTP greeting and then hold still.
int HalfOpen(const std::string& endpoint, int count, std::chrono::seconds hold) {
  // endpoint: tcp://A.B.C.D:PORT
  std::string rest = endpoint.substr(6);
  std::string host = rest.substr(0, rest.rfind(':'));
  int port = std::stoi(rest.substr(rest.rfind(':') + 1));
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      continue;
    }
    const char greeting[] = "\xff\x00\x00\x00\x00\x00\x00\x00";  // the first 5 of 64 bytes
    (void)!::write(fd, greeting, 5);
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(hold);
  for (int fd : fds) ::close(fd);
  return static_cast<int>(fds.size());
}

// A key file, or exits saying why.
protocol::KeyFile LoadKey(const std::string& path) {
  auto key = protocol::LoadKeyFile(path, /*require_secret=*/true);
  if (!key.ok() || key->leader_public_keys.empty()) {
    std::cerr << "hostile client: key file '" << path
              << "': " << (key.ok() ? "no leader-public-key" : key.status().ToString()) << "\n";
    std::exit(2);
  }
  return *key;
}

// Raw TCP: connects to `endpoint` and returns the descriptor (-1 on failure).
int Dial(const std::string& endpoint) {
  std::string rest = endpoint.substr(6);
  std::string host = rest.substr(0, rest.rfind(':'));
  int port = std::stoi(rest.substr(rest.rfind(':') + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// This node's Swarm identity (CERTS/swarm-node.crt and .key): attestations of any node id the
// caller claims, for `agent_key`.
class NodeIdentity {
 public:
  static std::optional<NodeIdentity> Read(const std::string& certs) {
    auto key = protocol::ParseSwarmNodeKey(ReadFileText(certs + "/swarm-node.key"));
    std::string cert = ReadFileText(certs + "/swarm-node.crt");
    if (!key.ok() || cert.empty()) return std::nullopt;
    return NodeIdentity(std::move(cert), std::move(key).value());
  }
  protocol::Attestation Attest(const std::string& claimed,
                               const protocol::KeyFile& agent_key) const {
    protocol::AttestationInput input{claimed, WallMs(), *protocol::NewNonce(),
                                     agent_key.leader_public_keys.at(0), agent_key.public_key};
    auto made = protocol::MakeCertAttestation(input, cert_, key_);
    return made.ok() ? *made : protocol::NoAttestation(made.status().message());
  }

 private:
  NodeIdentity(std::string cert, protocol::NodeKey key)
      : cert_(std::move(cert)), key_(std::move(key)) {}
  std::string cert_;
  protocol::NodeKey key_;
};

// The impersonation phase: the real agent key and this node's own Swarm identity, used to speak
// for another node. Every attempt must be refused; the test checks the other node's record.
nlohmann::json Impersonate(zmq::context_t& context, const std::string& endpoint,
                           const protocol::KeyFile& agent_key, const std::string& certs,
                           const std::string& own_node, const std::string& other_node) {
  nlohmann::json out = nlohmann::json::object();
  const std::optional<NodeIdentity> identity = NodeIdentity::Read(certs);
  if (!identity) {
    out["error"] = "cannot read this node's Swarm identity in " + certs;
    return out;
  }
  auto attest = [&](const std::string& claimed) { return identity->Attest(claimed, agent_key); };
  auto hello = [&](const std::string& claimed, protocol::Attestation attestation) {
    protocol::Hello h{"9.9.9", claimed, "impostor", 5000, "procfs"};
    h.attestation = std::move(attestation);
    return protocol::Encode({{1, claimed, 1, WallMs()}, h});
  };
  protocol::NodeReport report;
  report.node_id = other_node;
  report.hostname = "impostor";
  report.report_interval_ms = 5000;
  report.memory = {1, 1, 0, "forged"};  // a figure no real node reports
  const std::string forged_report = protocol::Encode({{1, other_node, 1, WallMs()}, report});
  const std::string forged_event =
      protocol::Encode({{1, other_node, 1, WallMs()},
                        protocol::Event{"container_die", "impostor", "forged by an impostor", {}}});
  const std::string forged_result = protocol::Encode(
      {{1, other_node, 1, WallMs()}, protocol::AgentCommandResult{1, true, "", "forged"}});
  // a. A hello claiming the other node with this node's certificate.
  {
    Tally tally;
    Peer agent(context, endpoint, &agent_key);
    agent.Send(hello(other_node, attest(other_node)), tally);
    agent.Send(forged_report, tally);
    agent.Drain(tally, std::chrono::milliseconds(2000));
    out["claim_other_node"] = Report(tally);
  }
  // b. Reports with no hello at all.
  {
    Tally tally;
    Peer agent(context, endpoint, &agent_key);
    for (int i = 0; i < 5; ++i) agent.Send(forged_report, tally);
    agent.Drain(tally, std::chrono::milliseconds(2000));
    out["no_hello"] = Report(tally);
  }
  // c. Proven as itself (a real hello), then speaking for the other node.
  {
    Tally tally;
    Peer agent(context, endpoint, &agent_key);
    agent.Send(hello(own_node, attest(own_node)), tally);
    for (int i = 0; i < 5; ++i) {
      agent.Send(forged_report, tally);
      agent.Send(forged_event, tally);
      agent.Send(forged_result, tally);
    }
    agent.Drain(tally, std::chrono::milliseconds(2000));
    out["proven_then_other_node"] = Report(tally);
  }
  return out;
}

// The join phase (healing_test): asks for a join token every way a peer without the right could:
// in plain text, with the operator's key, with the agent key and no hello, proven as `own_node`
// (a node that has not left), and claiming `other_node` with this node's certificate. Each case
// reports what came back; an answer holding a token is counted as "join_answer:...:token".
nlohmann::json AskJoin(zmq::context_t& context, const std::string& endpoint,
                       const protocol::KeyFile* agent_key, const protocol::KeyFile* client_key,
                       const std::string& certs, const std::string& own_node,
                       const std::string& other_node) {
  nlohmann::json out = nlohmann::json::object();
  const std::string ask =
      protocol::Encode({{1, own_node, 2, WallMs()}, protocol::JoinRequest{"inactive"}});
  auto run = [&](const char* name, const protocol::KeyFile* key,
                 const std::vector<std::string>& frames) {
    Tally tally;
    Peer peer(context, endpoint, key);
    for (const auto& frame : frames) peer.Send(frame, tally);
    peer.Drain(tally, std::chrono::milliseconds(2500));
    out[name] = Report(tally);
  };
  run("plain_text", nullptr, {ask});
  if (client_key != nullptr) run("operator_key", client_key, {ask});
  if (agent_key == nullptr) return out;
  run("no_hello", agent_key, {ask});
  const std::optional<NodeIdentity> identity = NodeIdentity::Read(certs);
  if (!identity) {
    out["error"] = "cannot read this node's Swarm identity in " + certs;
    return out;
  }
  auto hello = [&](const std::string& claimed) {
    protocol::Hello h{"9.9.9", claimed, "asker", 5000, "procfs"};
    h.attestation = identity->Attest(claimed, *agent_key);
    return protocol::Encode({{1, claimed, 1, WallMs()}, h});
  };
  run("proven_not_down", agent_key, {hello(own_node), ask});
  if (!other_node.empty()) run("claiming_other_node", agent_key, {hello(other_node), ask});
  return out;
}

// The flood phase: junk and half-open connections, plain-text and unknown-key clients, on one
// endpoint, `count` of each kind, within `deadline`.
nlohmann::json Flood(zmq::context_t& /*context*/, const std::string& endpoint, int count,
                     const protocol::KeyFile* trusted_leader_source, Clock::time_point deadline) {
  nlohmann::json out = nlohmann::json::object();
  std::mt19937 random(7);
  // Junk: connect, write random bytes, close.
  int junk = 0;
  for (int i = 0; i < count && Clock::now() < deadline; ++i) {
    int fd = Dial(endpoint);
    if (fd < 0) continue;
    char bytes[256];
    for (auto& b : bytes) b = static_cast<char>(random());
    (void)!::write(fd, bytes, sizeof bytes);
    ::close(fd);
    ++junk;
  }
  out["junk"] = junk;
  // Half-open: a partial greeting, held open until the leader's handshake timeout closes them.
  std::vector<int> held;
  for (int i = 0; i < count && Clock::now() < deadline; ++i) {
    int fd = Dial(endpoint);
    if (fd < 0) continue;
    const char greeting[] = "\xff\x00\x00\x00\x00\x00\x00\x00";
    (void)!::write(fd, greeting, 5);
    held.push_back(fd);
  }
  out["half_open"] = held.size();
  // Plain-text ZMTP clients and CURVE clients with unknown keys, in batches, each watched until
  // its handshake ends: the outcomes are what the leader must have counted.
  std::map<std::string, long> plain, unknown, monitor_failures;
  const std::string query = protocol::Encode({{1, "", 1, 1}, protocol::Query{"status", {}}});
  for (int batch = 0; batch * 200 < count && Clock::now() < deadline; ++batch) {
    // A context per batch: the sockets of the last batch are gone before the next one starts.
    zmq::context_t batch_context(1);
    batch_context.set(zmq::ctxopt::max_sockets, 4096);
    struct Watched {
      std::unique_ptr<Peer> peer;
      std::unique_ptr<protocol::HandshakeMonitor> monitor;
      std::map<std::string, long>* tally = nullptr;
      bool done = false;
    };
    std::vector<protocol::KeyFile> strangers;
    std::vector<Watched> watched;
    const int first = batch * 200;
    const int last = std::min(count, first + 200);
    strangers.reserve(static_cast<std::size_t>(last - first));
    for (int i = first; i < last; ++i) {
      protocol::KeyFile stranger = *protocol::NewKeyPair();
      stranger.leader_public_keys = trusted_leader_source->leader_public_keys;
      strangers.push_back(std::move(stranger));
    }
    for (int i = first; i < last; ++i) {
      const protocol::KeyFile* stranger = &strangers[static_cast<std::size_t>(i - first)];
      for (const protocol::KeyFile* key :
           {static_cast<const protocol::KeyFile*>(nullptr), stranger}) {
        Watched w;
        w.peer = std::make_unique<Peer>(batch_context, endpoint, key, /*connect=*/false);
        auto monitor = protocol::HandshakeMonitor::Attach(batch_context, w.peer->socket());
        if (monitor.ok()) {
          w.monitor = std::make_unique<protocol::HandshakeMonitor>(std::move(monitor).value());
        } else {
          ++monitor_failures[monitor.status().message()];
        }
        // One connection per peer: no reconnection after its handshake fails (each counts once).
        w.peer->socket().set(zmq::sockopt::reconnect_ivl, -1);
        w.peer->Connect(endpoint);
        Tally ignored;
        w.peer->Send(query, ignored);
        w.tally = key == nullptr ? &plain : &unknown;
        watched.push_back(std::move(w));
      }
    }
    const auto batch_deadline = Clock::now() + std::chrono::seconds(10);
    std::size_t open = watched.size();
    while (open > 0 && Clock::now() < batch_deadline) {
      for (Watched& w : watched) {
        if (w.done || !w.monitor) continue;
        for (const auto& event : w.monitor->Drain()) {
          using Outcome = protocol::HandshakeMonitor::Outcome;
          std::string kind;
          switch (event.outcome) {
            case Outcome::kKeyRefused:
              kind = "key_refused";
              break;
            case Outcome::kMechanismMismatch:
              kind = "mechanism_mismatch";
              break;
            case Outcome::kSucceeded:
              kind = "admitted";  // must never happen
              break;
            case Outcome::kWrongServerKey:
            case Outcome::kOtherFailure:
              kind = "other_failure";
              break;
            case Outcome::kDisconnected:
            case Outcome::kAccepted:
              break;
          }
          if (kind.empty()) continue;
          ++(*w.tally)[kind];
          w.done = true;
          --open;
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (Watched& w : watched) {
      if (!w.done) ++(*w.tally)["no_outcome"];
    }
  }
  out["plain_text"] = plain;
  out["unknown_key"] = unknown;
  if (!monitor_failures.empty()) out["monitor_failures"] = monitor_failures;
  for (int fd : held) ::close(fd);
  return out;
}

// The load phase (tests/bench/curve_cost): `connections` agents of this node (proven when
// `certs` is given), each sending node reports at `rate` per second for `seconds`, the way an agent
// sends them. Returns the counts; the leader's CPU is measured outside.
nlohmann::json Load(zmq::context_t& context, const std::string& endpoint,
                    const protocol::KeyFile* agent_key, const std::string& certs,
                    const std::string& node, int connections, double rate, int seconds) {
  std::vector<std::unique_ptr<Peer>> peers;
  Tally tally;
  std::optional<NodeIdentity> identity;
  if (agent_key != nullptr) {
    identity = NodeIdentity::Read(certs);
    if (!identity) return {{"error", "cannot read the node's Swarm identity"}};
  }
  for (int i = 0; i < connections; ++i) {
    peers.push_back(std::make_unique<Peer>(context, endpoint, agent_key));
    protocol::Hello hello{"load", node, "load", 5000, "procfs"};
    if (identity) hello.attestation = identity->Attest(node, *agent_key);
    peers.back()->Send(protocol::Encode({{1, node, 1, WallMs()}, hello}), tally);
  }
  for (auto& peer : peers) peer->Drain(tally, std::chrono::milliseconds(200));
  protocol::NodeReport report;
  report.node_id = node;
  report.hostname = "load";
  report.report_interval_ms = 5000;
  report.memory = {1 << 30, 1 << 29, 1 << 29, "procfs"};
  for (int c = 0; c < 10; ++c) {
    report.containers.push_back({.id = std::string(64, 'a' + static_cast<char>(c)),
                                 .name = "svc_" + std::to_string(c),
                                 .image = "nginx:1.27",
                                 .state = "running"});
  }
  const std::string frame = protocol::Encode({{1, node, 2, WallMs()}, report});
  const auto gap =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  auto next = start;
  long sent = 0;
  while (Clock::now() < end) {
    for (auto& peer : peers) peer->Send(frame, tally);
    sent += static_cast<long>(peers.size());
    next += gap;
    std::this_thread::sleep_until(next);
    for (auto& peer : peers) peer->Drain(tally, std::chrono::milliseconds(0));
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  nlohmann::json out = Report(tally);
  out["reports"] = sent;
  out["seconds"] = elapsed;
  out["reports_per_second"] = static_cast<double>(sent) / elapsed;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string agents_endpoint, control_endpoint, agent_key_path, client_key_path, certs, own_node,
      other_node, phases = "hostile";
  int seconds = 60;
  int flood_connections = 2000;
  int load_connections = 4;
  double load_rate = 45;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--agents") agents_endpoint = argv[i + 1];
    if (flag == "--control") control_endpoint = argv[i + 1];
    if (flag == "--seconds") seconds = std::stoi(argv[i + 1]);
    if (flag == "--agent-key") agent_key_path = argv[i + 1];
    if (flag == "--client-key") client_key_path = argv[i + 1];
    if (flag == "--phases") phases = argv[i + 1];
    if (flag == "--swarm-certs") certs = argv[i + 1];
    if (flag == "--node-id") own_node = argv[i + 1];
    if (flag == "--other-node") other_node = argv[i + 1];
    if (flag == "--flood-connections") flood_connections = std::stoi(argv[i + 1]);
    if (flag == "--load-connections") load_connections = std::stoi(argv[i + 1]);
    if (flag == "--load-rate") load_rate = std::stod(argv[i + 1]);
  }
  if (agents_endpoint.empty() || control_endpoint.empty()) {
    std::cerr
        << "usage: orcastra_hostile_client --agents tcp://HOST:7470 --control tcp://HOST:7471 "
           "[--seconds N] [--agent-key FILE] [--client-key FILE] [--phases LIST] ...\n";
    return 2;
  }
  // Thousands of connections need descriptors: the soft limit up to the hard one.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  std::set<std::string> wanted;
  {
    std::stringstream list(phases);
    for (std::string phase; std::getline(list, phase, ',');) wanted.insert(phase);
  }
  std::optional<protocol::KeyFile> agent_key_file, client_key_file;
  if (!agent_key_path.empty()) agent_key_file = LoadKey(agent_key_path);
  if (!client_key_path.empty()) client_key_file = LoadKey(client_key_path);
  const protocol::KeyFile* agent_key = agent_key_file ? &*agent_key_file : nullptr;
  const protocol::KeyFile* client_key = client_key_file ? &*client_key_file : nullptr;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  auto time_left = [&] { return Clock::now() < end; };
  std::mt19937 random(42);
  zmq::context_t context(1);
  context.set(zmq::ctxopt::max_sockets, 65536);
  nlohmann::json summary = nlohmann::json::object();
  using std::chrono::milliseconds;

  if (wanted.contains("load")) {
    summary["load"] = Load(context, agents_endpoint, agent_key, certs, own_node, load_connections,
                           load_rate, seconds);
  }
  if (wanted.contains("impersonate") && agent_key != nullptr) {
    summary["impersonate"] =
        Impersonate(context, agents_endpoint, *agent_key, certs, own_node, other_node);
  }
  if (wanted.contains("join")) {
    summary["join"] =
        AskJoin(context, agents_endpoint, agent_key, client_key, certs, own_node, other_node);
  }
  if (wanted.contains("flood")) {
    const protocol::KeyFile* source = client_key != nullptr ? client_key : agent_key;
    if (source != nullptr) {
      summary["flood_agents"] = Flood(context, agents_endpoint, flood_connections, source, end);
      summary["flood_control"] = Flood(context, control_endpoint, flood_connections, source, end);
    }
  }
  if (!wanted.contains("hostile")) {
    std::cout << summary.dump() << std::endl;
    return 0;
  }

  // 1. The message: an event whose text is not UTF-8, as an agent.
  {
    Tally tally;
    Peer agent(context, agents_endpoint, agent_key);
    for (int i = 0; i < 50 && time_left(); ++i) {
      agent.Send(Envelope("event", "fake-node",
                          [](Packer& pk) {
                            pk.pack_map(3);
                            pk.pack("kind");
                            pk.pack("container_die");
                            pk.pack("subject");
                            pk.pack("c1");
                            pk.pack("message");
                            pk.pack(std::string("bad \xC3\x28 text \xFF"));
                          }),
                 tally);
    }
    agent.Drain(tally, milliseconds(2000));
    summary["invalid_utf8_event"] = Report(tally);
  }
  // 2. Huge strings: just under the frame limit (accepted), and over it (libzmq drops the peer).
  {
    Tally tally;
    for (std::size_t size : {std::size_t{900} << 10, std::size_t{2} << 20}) {
      Peer agent(context, agents_endpoint, agent_key);
      for (int i = 0; i < 5 && time_left(); ++i) {
        agent.Send(Envelope("event", "fake-node",
                            [&](Packer& pk) {
                              pk.pack_map(2);
                              pk.pack("kind");
                              pk.pack("huge");
                              pk.pack("message");
                              pk.pack(std::string(size, 'x'));
                            }),
                   tally);
      }
      agent.Drain(tally, milliseconds(1500));
    }
    summary["huge_strings"] = Report(tally);
  }
  // 3. Deep nesting and wrong types, as an agent.
  {
    Tally tally;
    Peer agent(context, agents_endpoint, agent_key);
    std::string deep = Envelope("node_report", "fake-node", [](Packer& pk) {
      for (int i = 0; i < 500; ++i) pk.pack_array(1);
      pk.pack_nil();
    });
    std::string wrong = Envelope("node_report", "fake-node", [](Packer& pk) {
      pk.pack_map(2);
      pk.pack("node_id");
      pk.pack(12345);
      pk.pack("containers");
      pk.pack("not an array");
    });
    std::string garbage(4096, '\0');
    for (auto& c : garbage) c = static_cast<char>(random());
    for (int i = 0; i < 100 && time_left(); ++i) {
      if (i == 50) {
        // A second connection for the second half: within the per-connection rate limit.
        agent.Drain(tally, milliseconds(500));
        agent = Peer(context, agents_endpoint, agent_key);
      }
      agent.Send(deep, tally);
      agent.Send(wrong, tally);
      agent.Send(garbage, tally);
      agent.Send(Envelope("teleport", "x", [](Packer& pk) { pk.pack_map(0); }), tally);
    }
    agent.Drain(tally, milliseconds(2000));
    summary["deep_and_wrong_types"] = Report(tally);
  }
  // 4. Claimed node ids: hellos and reports for thousands of nodes that do not exist.
  {
    Tally tally;
    Peer agent(context, agents_endpoint, agent_key);
    for (int i = 0; i < 5000 && time_left(); ++i) {
      std::string id = RandomId(random);
      protocol::Message hello{
          {1, id, 1, 1}, protocol::Hello{"9.9.9", id, "ghost-" + std::to_string(i), 1, "procfs"}};
      agent.Send(protocol::Encode(hello), tally);
      protocol::NodeReport report;
      report.node_id = id;
      report.hostname = "ghost-" + std::to_string(i);
      report.report_interval_ms = 4294967295u;
      report.memory = {1, 2, 3, "procfs"};
      agent.Send(protocol::Encode({{1, id, 2, 1}, report}), tally);
    }
    agent.Drain(tally, milliseconds(2000));
    summary["claimed_node_ids"] = Report(tally);
  }
  // 5. A flood of valid reports from one peer for 10 s.
  {
    Tally tally;
    Peer agent(context, agents_endpoint, agent_key);
    protocol::NodeReport report;
    report.node_id = "flood-node";
    report.hostname = "flood";
    report.report_interval_ms = 5000;
    for (int c = 0; c < 50; ++c)
      report.containers.push_back({.id = std::to_string(c), .name = "c"});
    const std::string frame = protocol::Encode({{1, "flood-node", 1, 1}, report});
    const auto flood_end = Clock::now() + std::chrono::seconds(10);
    for (long i = 0; i < 200000 && Clock::now() < flood_end && time_left(); ++i)
      agent.Send(frame, tally);
    agent.Drain(tally, milliseconds(1000));
    summary["report_flood"] = Report(tally);
  }
  // 6. Half-open connections on both ports, held for 10 s.
  if (time_left()) {
    summary["half_open"] = {
        {"agent_port", HalfOpen(agents_endpoint, 100, std::chrono::seconds(5))},
        {"control_port", HalfOpen(control_endpoint, 100, std::chrono::seconds(5))}};
  }
  // 7. As a CLI: invalid UTF-8 arguments, unknown queries, absurd arguments, a flood of logs and
  // plan queries, and a wrong type on the control port.
  {
    Tally tally;
    // A new connection every kPerPeer messages: many hostile CLIs, each within the leader's
    // per-connection rate limit (a single one over it is dropped, which the flood phase shows).
    constexpr int kPerPeer = 80;
    std::vector<std::unique_ptr<Peer>> clis;
    int in_current = kPerPeer;
    auto send = [&](const std::string& frame) {
      if (in_current == kPerPeer) {
        clis.push_back(std::make_unique<Peer>(context, control_endpoint, client_key));
        in_current = 0;
      }
      clis.back()->Send(frame, tally);
      ++in_current;
    };
    auto query = [&](const std::string& what, std::map<std::string, std::string> args) {
      send(protocol::Encode({{1, "", 1, 1}, protocol::Query{what, std::move(args)}}));
    };
    for (int i = 0; i < 20 && time_left(); ++i) {
      send(Envelope("query", "", [](Packer& pk) {
        pk.pack_map(2);
        pk.pack("what");
        pk.pack("status");
        pk.pack("args");
        pk.pack_map(1);
        pk.pack("node");
        pk.pack(std::string("\xFF\xFE"));
      }));
      query("no-such-query", {});
      query("events", {{"since_ms", "-99999999999999999999"}, {"limit", "99999999999"}});
      query("events", {{"after", "not-a-number"}});
      query("command", {{"command", std::string(100000, 'x')}});
      send(protocol::Encode({{1, "", 1, 1}, protocol::Hello{"x", "y", "z", 1, "w"}}));
    }
    for (int i = 0; i < 500 && time_left(); ++i)
      query("logs", {{"node", "no-such-node-" + std::to_string(i)}});
    for (int i = 0; i < 100 && time_left(); ++i) query("plan", {});
    for (std::size_t i = 0; i < clis.size(); ++i) {
      clis[i]->Drain(tally, milliseconds(i == 0 ? 15000 : 1000));
    }
    summary["cli"] = Report(tally);
  }
  std::cout << summary.dump() << std::endl;
  return 0;
}
