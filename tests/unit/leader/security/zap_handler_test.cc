// The ZAP handler and CURVE over real sockets (tcp://127.0.0.1, OS-chosen ports): who is
// admitted, what a refused client sees (protocol::Request says why instead of timing out), the
// per-address handshake limit, and a client switching to its next leader key.
#include "leader/security/zap_handler.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "protocol/curve.h"
#include "protocol/transport.h"
#include "tests/fakes/fake_clock.h"

namespace orcastra::leader {
namespace {

using protocol::Role;
using std::chrono::milliseconds;

struct Keys {
  Keys() {
    leader = *protocol::NewKeyPair();
    agent = *protocol::NewKeyPair();
    op = *protocol::NewKeyPair();
    for (protocol::KeyFile* client : {&agent, &op}) {
      client->leader_public_keys = {leader.public_key};
    }
    set.clients = {{Role::kAgent, agent.public_key, "agents", 1},
                   {Role::kOperator, op.public_key, "alice", 2}};
  }
  protocol::KeyFile leader, agent, op;
  protocol::KeySet set;
};

// A CURVE ROUTER with the ZAP handler running, answering every query with a reply whose
// result_json is the message's User-Id.
class Server {
 public:
  explicit Server(const Keys& keys)
      : handler_(ZapHandler::Bind(context_).value(), keys.set, clock_,
                 [this](protocol::Event event) {
                   std::lock_guard lock(mutex_);
                   events_.push_back(std::move(event));
                 }),
        router_(context_, zmq::socket_type::router) {
    protocol::ConfigureSocket(router_);
    REQUIRE(protocol::ConfigureCurveServer(router_, keys.leader.secret_key, "control").ok());
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    handler_.Start();
    thread_ = std::thread([this] { Serve(); });
  }
  ~Server() {
    stop_ = true;
    thread_.join();
    handler_.Stop();
  }
  const std::string& endpoint() const { return endpoint_; }
  std::vector<protocol::Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  ZapHandler& handler() { return handler_; }

 private:
  void Serve() {
    while (!stop_) {
      zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, milliseconds(20));
      if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
      auto incoming = protocol::TryReceive(router_, /*is_router=*/true);
      if (!incoming || !incoming->message.ok()) continue;
      protocol::Reply reply;
      reply.ok = true;
      reply.result_json = incoming->user_id;
      (void)protocol::SendTo(router_, incoming->peer_identity, {{}, reply});
    }
    router_.close();
  }

  zmq::context_t context_;
  testing::FakeClock clock_;
  std::mutex mutex_;
  std::vector<protocol::Event> events_;
  ZapHandler handler_;
  zmq::socket_t router_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Result<protocol::Message> Ask(const std::string& endpoint, const protocol::ClientSecurity& security,
                              milliseconds timeout = milliseconds(3000)) {
  zmq::context_t context;
  return protocol::Request(context, endpoint, {{}, protocol::Query{"status", {}}}, timeout,
                           security);
}

protocol::ClientSecurity Curve(const protocol::KeyFile& key) {
  protocol::ClientSecurity security;
  security.key = key;
  security.key_path = "test.key";
  return security;
}

TEST_CASE("curve: a known key is admitted and its role travels as the User-Id", "[security]") {
  Keys keys;
  Server server(keys);
  auto first = Ask(server.endpoint(), Curve(keys.op));
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  CHECK(std::get<protocol::Reply>(first->body).result_json == "operator:alice:1");
  auto second = Ask(server.endpoint(), Curve(keys.agent));
  REQUIRE(second.ok());
  // Every connection gets its own serial.
  CHECK(std::get<protocol::Reply>(second->body).result_json == "agent:agents:2");
  CHECK(server.handler().counters().admitted == 2);
}

TEST_CASE("curve: an unknown key is refused; the client says so at once", "[security]") {
  Keys keys;
  Server server(keys);
  protocol::KeyFile stranger = *protocol::NewKeyPair();
  stranger.leader_public_keys = {keys.leader.public_key};
  const auto started = std::chrono::steady_clock::now();
  auto answer = Ask(server.endpoint(), Curve(stranger), milliseconds(5000));
  CHECK(std::chrono::steady_clock::now() - started < milliseconds(4000));  // not a timeout
  CHECK(answer.status().code() == Status::Code::kPermissionDenied);
  CHECK_THAT(answer.status().message(), Catch::Contains("refused this key"));
  CHECK(server.handler().counters().refused_unknown_key == 1);
  // Logged as an event naming the address, without any key.
  std::vector<protocol::Event> events = server.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == "auth_refused");
  CHECK(events[0].attrs.at("address") == "127.0.0.1");
  CHECK(events[0].message.find(stranger.public_key) == std::string::npos);
}

TEST_CASE("curve: plain text against CURVE is refused on both sides", "[security]") {
  Keys keys;
  Server server(keys);
  protocol::ClientSecurity plain;
  plain.insecure = true;
  auto answer = Ask(server.endpoint(), plain, milliseconds(3000));
  CHECK(answer.status().code() == Status::Code::kPermissionDenied);
  CHECK_THAT(answer.status().message(), Catch::Contains("disagree on encryption"));
  CHECK(server.handler().counters().admitted == 0);
}

TEST_CASE("curve: a client tries its next leader key when the leader holds another one",
          "[security]") {
  Keys keys;
  Server server(keys);
  protocol::KeyFile rotating = keys.op;
  // The old leader key first, as during a rotation after the leader switched.
  rotating.leader_public_keys = {protocol::NewKeyPair()->public_key, keys.leader.public_key};
  auto answer = Ask(server.endpoint(), Curve(rotating), milliseconds(5000));
  INFO(answer.status().ToString());
  REQUIRE(answer.ok());
  CHECK(std::get<protocol::Reply>(answer->body).ok);
  // With no key the leader holds: refused, saying which file to look at.
  protocol::KeyFile stale = keys.op;
  stale.leader_public_keys = {protocol::NewKeyPair()->public_key};
  auto refused = Ask(server.endpoint(), Curve(stale), milliseconds(5000));
  CHECK(refused.status().code() == Status::Code::kPermissionDenied);
  CHECK_THAT(refused.status().message(), Catch::Contains("does not hold the leader key"));
  protocol::KeyFile none = keys.op;
  none.leader_public_keys.clear();
  CHECK(Ask(server.endpoint(), Curve(none)).status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("zap handler: handshakes per address are limited; refusals logged at a bounded pace",
          "[security]") {
  Keys keys;
  zmq::context_t context;
  testing::FakeClock clock;
  int events = 0;
  ZapHandler handler(ZapHandler::Bind(context).value(), keys.set, clock,
                     [&](protocol::Event) { ++events; });
  const std::string key = *protocol::Z85Decode(keys.agent.public_key);
  auto request = [&](const std::string& address) {
    return handler.Answer({"1.0", "9", "agents", address, "", "CURVE", key});
  };
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += request("198.51.100.51")[2] == "200" ? 1 : 0;
  CHECK(admitted == static_cast<int>(ZapHandler::kHandshakeLimits.burst));
  CHECK(handler.counters().refused_rate_limited == static_cast<std::uint64_t>(1000 - admitted));
  CHECK(request("198.51.100.52")[2] == "200");  // another address has its own budget
  clock.Advance(std::chrono::seconds(1));
  CHECK(request("198.51.100.51")[2] == "200");  // refilled
  // One event (and one log line) per kind per 10 s, whatever the flood.
  CHECK(events == 1);
  clock.Advance(std::chrono::seconds(11));
  for (int i = 0; i < 100; ++i) (void)request("198.51.100.51");
  CHECK(events == 2);
  // A reply always has six frames and echoes the request id; a malformed request gets 500.
  const auto reply = handler.Answer({"1.0", "x"});
  REQUIRE(reply.size() == 6);
  CHECK(reply[1] == "x");
  CHECK(reply[2] == "500");
  CHECK(reply[4].empty());
}

}  // namespace
}  // namespace orcastra::leader
