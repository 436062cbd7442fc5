// A hostile peer for tests/e2e/hostile_test: sends a leader instance everything a careless or
// malicious agent or CLI could, with no credentials, and counts what comes back. It asserts
// nothing itself; the test checks afterwards, on Swarm and through the CLI, that every leader
// instance and agent stayed up and keeps answering.
//
//   orcastra_hostile_client --agents tcp://HOST:7470 --control tcp://HOST:7471 [--seconds N]
//
// Every phase is bounded by a count and by time; the whole run by --seconds (default 60). Prints
// one JSON object: per phase, messages sent and answers received by kind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

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
  Peer(zmq::context_t& context, const std::string& endpoint)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, 100000);
    socket_.set(zmq::sockopt::sndtimeo, 200);
    socket_.connect(endpoint);
  }
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
      }
      ++tally.answers[kind];
    }
  }

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

}  // namespace

int main(int argc, char** argv) {
  std::string agents_endpoint, control_endpoint;
  int seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--agents") agents_endpoint = argv[i + 1];
    if (flag == "--control") control_endpoint = argv[i + 1];
    if (flag == "--seconds") seconds = std::stoi(argv[i + 1]);
  }
  if (agents_endpoint.empty() || control_endpoint.empty()) {
    std::cerr
        << "usage: orcastra_hostile_client --agents tcp://HOST:7470 --control tcp://HOST:7471 "
           "[--seconds N]\n";
    return 2;
  }
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  auto time_left = [&] { return Clock::now() < end; };
  std::mt19937 random(42);
  zmq::context_t context(1);
  nlohmann::json summary = nlohmann::json::object();
  using std::chrono::milliseconds;

  // 1. The message: an event whose text is not UTF-8, as an agent.
  {
    Tally tally;
    Peer agent(context, agents_endpoint);
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
      Peer agent(context, agents_endpoint);
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
    Peer agent(context, agents_endpoint);
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
    Peer agent(context, agents_endpoint);
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
    Peer agent(context, agents_endpoint);
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
    Peer cli(context, control_endpoint);
    auto query = [&](const std::string& what, std::map<std::string, std::string> args) {
      cli.Send(protocol::Encode({{1, "", 1, 1}, protocol::Query{what, std::move(args)}}), tally);
    };
    for (int i = 0; i < 20 && time_left(); ++i) {
      cli.Send(Envelope("query", "",
                        [](Packer& pk) {
                          pk.pack_map(2);
                          pk.pack("what");
                          pk.pack("status");
                          pk.pack("args");
                          pk.pack_map(1);
                          pk.pack("node");
                          pk.pack(std::string("\xFF\xFE"));
                        }),
               tally);
      query("no-such-query", {});
      query("events", {{"since_ms", "-99999999999999999999"}, {"limit", "99999999999"}});
      query("events", {{"after", "not-a-number"}});
      query("command", {{"command", std::string(100000, 'x')}});
      cli.Send(protocol::Encode({{1, "", 1, 1}, protocol::Hello{"x", "y", "z", 1, "w"}}), tally);
    }
    for (int i = 0; i < 500 && time_left(); ++i)
      query("logs", {{"node", "no-such-node-" + std::to_string(i)}});
    for (int i = 0; i < 100 && time_left(); ++i) query("plan", {});
    cli.Drain(tally, milliseconds(15000));
    summary["cli"] = Report(tally);
  }
  std::cout << summary.dump() << std::endl;
  return 0;
}
