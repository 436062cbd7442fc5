// ZeroMQ transport helpers over real sockets (inproc:// and tcp://127.0.0.1 with OS-chosen ports).
#include "protocol/transport.h"

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <zmq.hpp>

namespace orcastra::protocol {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPatience(3000);  // how long a test waits for something that should come

// Plain text, as --insecure (CURVE is tested in tests/unit/leader/security/).
ClientSecurity Plain() {
  ClientSecurity security;
  security.insecure = true;
  return security;
}

Message HelloFrom(const std::string& node) {
  return {Header{.node = node, .seq = 1, .ts_ms = 1700000000000}, Hello{.agent_version = "0.1.0",
                                                                        .node_id = node,
                                                                        .hostname = node + "-host",
                                                                        .report_interval_ms = 5000,
                                                                        .memory_source = "procfs"}};
}

bool WaitReadable(zmq::socket_t& socket, milliseconds timeout) {
  std::array<zmq::pollitem_t, 1> items = {{{socket.handle(), 0, ZMQ_POLLIN, 0}}};
  zmq::poll(items, timeout);
  return (items[0].revents & ZMQ_POLLIN) != 0;
}

// Waits for one message on `socket` and returns it.
Incoming ReceiveOne(zmq::socket_t& socket, bool is_router) {
  REQUIRE(WaitReadable(socket, kPatience));
  std::optional<Incoming> incoming = TryReceive(socket, is_router);
  REQUIRE(incoming.has_value());
  return std::move(*incoming);
}

zmq::socket_t MakeDealer(zmq::context_t& ctx, const std::string& identity,
                         const std::string& endpoint) {
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  ConfigureSocket(dealer);
  dealer.set(zmq::sockopt::routing_id, identity);
  dealer.connect(endpoint);
  return dealer;
}

// A bound, configured ROUTER; returns the endpoint it is bound to (the real port for tcp://...:*).
std::string BindRouter(zmq::socket_t& router, const std::string& endpoint) {
  ConfigureSocket(router);
  router.bind(endpoint);
  return router.get(zmq::sockopt::last_endpoint);
}

void RoundTrip(const std::string& bind_endpoint) {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  const std::string endpoint = BindRouter(router, bind_endpoint);
  zmq::socket_t dealer = MakeDealer(ctx, "agent-1", endpoint);

  const Message hello = HelloFrom("node-1");
  REQUIRE(Send(dealer, hello).ok());
  Incoming at_router = ReceiveOne(router, /*is_router=*/true);
  CHECK(at_router.peer_identity == "agent-1");
  REQUIRE(at_router.message.ok());
  CHECK(*at_router.message == hello);

  const Message welcome{
      Header{.node = "leader-0", .seq = 5, .ts_ms = 1700000000001},
      Welcome{.leader_node_id = "leader-0", .leader_hostname = "m1", .active = true}};
  REQUIRE(SendTo(router, at_router.peer_identity, welcome).ok());
  Incoming at_dealer = ReceiveOne(dealer, /*is_router=*/false);
  CHECK(at_dealer.peer_identity.empty());
  REQUIRE(at_dealer.message.ok());
  CHECK(*at_dealer.message == welcome);
}

TEST_CASE("transport: ROUTER/DEALER round trip over inproc", "[protocol][transport]") {
  RoundTrip("inproc://transport-round-trip");
}

TEST_CASE("transport: ROUTER/DEALER round trip over tcp on an OS-chosen port",
          "[protocol][transport]") {
  RoundTrip("tcp://127.0.0.1:*");
}

TEST_CASE("transport: ConfigureSocket sets the common options", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  ConfigureSocket(router, 4096);
  CHECK(router.get(zmq::sockopt::linger) == 0);
  CHECK(router.get(zmq::sockopt::maxmsgsize) == 4096);
  CHECK(router.get(zmq::sockopt::tcp_keepalive) == 1);
  CHECK(router.get(zmq::sockopt::heartbeat_ivl) == 2000);
  CHECK(router.get(zmq::sockopt::heartbeat_timeout) == 6000);

  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  ConfigureSocket(dealer, kMaxMessageBytes, milliseconds(250));
  CHECK(dealer.get(zmq::sockopt::linger) == 250);
  CHECK(dealer.get(zmq::sockopt::maxmsgsize) == static_cast<std::int64_t>(kMaxMessageBytes));
}

TEST_CASE("transport: SendTo reaches the right peer only", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  const std::string endpoint = BindRouter(router, "tcp://127.0.0.1:*");
  zmq::socket_t alice = MakeDealer(ctx, "alice", endpoint);
  zmq::socket_t bob = MakeDealer(ctx, "bob", endpoint);

  // Both introduce themselves, so the router knows both identities.
  REQUIRE(Send(alice, HelloFrom("a")).ok());
  REQUIRE(Send(bob, HelloFrom("b")).ok());
  std::set<std::string> seen;
  seen.insert(ReceiveOne(router, true).peer_identity);
  seen.insert(ReceiveOne(router, true).peer_identity);
  CHECK(seen == std::set<std::string>{"alice", "bob"});

  const Message for_bob{Header{.node = "leader"},
                        Reply{.ok = true, .result_json = "{}", .answered_by = "l"}};
  REQUIRE(SendTo(router, "bob", for_bob).ok());
  Incoming at_bob = ReceiveOne(bob, false);
  REQUIRE(at_bob.message.ok());
  CHECK(*at_bob.message == for_bob);
  CHECK_FALSE(WaitReadable(alice, milliseconds(100)));
  CHECK_FALSE(TryReceive(alice, false).has_value());

  const Status to_nobody = SendTo(router, "carol", for_bob);
  CHECK(to_nobody.code() == Status::Code::kUnavailable);
  CHECK_THAT(to_nobody.message(), Catch::Contains("carol"));
}

TEST_CASE("transport: TryReceive returns nothing when nothing is ready", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  BindRouter(router, "inproc://transport-empty");
  CHECK_FALSE(TryReceive(router, true).has_value());
}

TEST_CASE("transport: malformed frames come back as errors naming the peer",
          "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  const std::string endpoint = BindRouter(router, "inproc://transport-malformed");
  zmq::socket_t dealer = MakeDealer(ctx, "rogue", endpoint);

  SECTION("garbage payload") {
    REQUIRE(dealer.send(zmq::str_buffer("not msgpack"), zmq::send_flags::none));
    Incoming incoming = ReceiveOne(router, true);
    CHECK(incoming.peer_identity == "rogue");
    REQUIRE_FALSE(incoming.message.ok());
    CHECK(incoming.message.status().code() == Status::Code::kParseError);
    CHECK_THAT(incoming.message.status().message(), Catch::Contains("rogue"));
  }
  SECTION("two payload frames") {
    REQUIRE(dealer.send(zmq::str_buffer("a"), zmq::send_flags::sndmore));
    REQUIRE(dealer.send(zmq::str_buffer("b"), zmq::send_flags::none));
    Incoming incoming = ReceiveOne(router, true);
    CHECK(incoming.peer_identity == "rogue");
    REQUIRE_FALSE(incoming.message.ok());
    CHECK_THAT(incoming.message.status().message(), Catch::Contains("3 frames"));
  }
  SECTION("a multipart answer on the DEALER side") {
    REQUIRE(Send(dealer, HelloFrom("r")).ok());
    Incoming hello = ReceiveOne(router, true);
    REQUIRE(router.send(zmq::buffer(hello.peer_identity), zmq::send_flags::sndmore));
    REQUIRE(router.send(zmq::str_buffer("x"), zmq::send_flags::sndmore));
    REQUIRE(router.send(zmq::str_buffer("y"), zmq::send_flags::none));
    Incoming incoming = ReceiveOne(dealer, false);
    REQUIRE_FALSE(incoming.message.ok());
    CHECK_THAT(incoming.message.status().message(),
               Catch::Contains("2 frames") && Catch::Contains("inproc://transport-malformed"));
  }
}

TEST_CASE("transport: libzmq drops frames over the size limit", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  ConfigureSocket(router, 1024);
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);
  zmq::socket_t dealer = MakeDealer(ctx, "big", endpoint);
  const std::string big(4096, 'x');
  REQUIRE(dealer.send(zmq::buffer(big), zmq::send_flags::none));
  CHECK_FALSE(WaitReadable(router, milliseconds(300)));
}

TEST_CASE("transport: Send refuses a message over the limit", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  const std::string endpoint = BindRouter(router, "inproc://transport-too-big");
  zmq::socket_t dealer = MakeDealer(ctx, "big", endpoint);
  const Message huge{Header{},
                     Reply{.ok = true, .result_json = std::string(kMaxMessageBytes, 'j')}};
  const Status sent = Send(dealer, huge);
  CHECK(sent.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(sent.message(), Catch::Contains("reply"));
}

TEST_CASE("transport: Send without any peer is Unavailable", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  ConfigureSocket(dealer);
  const Status sent = Send(dealer, HelloFrom("lonely"));
  CHECK(sent.code() == Status::Code::kUnavailable);
}

TEST_CASE("transport: Request times out when nobody answers", "[protocol][transport]") {
  zmq::context_t ctx;
  const Message query{Header{}, Query{.what = "status"}};
  std::string endpoint;
  zmq::socket_t silent(ctx, zmq::socket_type::router);
  SECTION("a router that never answers") { endpoint = BindRouter(silent, "tcp://127.0.0.1:*"); }
  SECTION("a port where nothing listens") {
    // A free port below Linux's ephemeral range (32768 and up): a connection to a free port in
    // that range can get the same port as its own source and talk to itself (TCP simultaneous
    // open), and the request then "answers" itself.
    for (int port = 21000; port < 21200 && endpoint.empty(); ++port) {
      zmq::socket_t probe(ctx, zmq::socket_type::router);
      try {
        endpoint = BindRouter(probe, "tcp://127.0.0.1:" + std::to_string(port));
      } catch (const zmq::error_t&) {
      }
    }
    REQUIRE_FALSE(endpoint.empty());
  }
  const auto start = std::chrono::steady_clock::now();
  Result<Message> answer = Request(ctx, endpoint, query, milliseconds(200), Plain());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.status().code() == Status::Code::kTimeout);
  CHECK_THAT(answer.status().message(), Catch::Contains(endpoint) && Catch::Contains("200 ms"));
  CHECK(elapsed >= milliseconds(195));
  CHECK(elapsed < milliseconds(2000));
}

TEST_CASE("transport: Request refuses a malformed endpoint", "[protocol][transport]") {
  zmq::context_t ctx;
  Result<Message> answer = Request(ctx, "nonsense", Message{Header{}, Query{.what = "status"}},
                                   milliseconds(50), Plain());
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(answer.status().message(), Catch::Contains("nonsense"));
}

TEST_CASE("transport: Request gets the answer of a serving ROUTER", "[protocol][transport]") {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  const std::string endpoint = BindRouter(router, "tcp://127.0.0.1:*");

  // The server thread owns the router from here on; the test thread only calls Request.
  std::atomic<bool> served{false};
  std::thread server([&router, &served] {
    if (!WaitReadable(router, kPatience)) return;
    std::optional<Incoming> incoming = TryReceive(router, true);
    if (!incoming || !incoming->message.ok()) return;
    const auto* query = std::get_if<Query>(&incoming->message->body);
    if (query == nullptr) return;
    const Message reply{Header{.node = "leader-node", .seq = incoming->message->header.seq},
                        Reply{.ok = true,
                              .result_json = R"({"what":")" + query->what + R"("})",
                              .answered_by = "leader-node",
                              .from_active_leader = true}};
    served = SendTo(router, incoming->peer_identity, reply).ok();
  });

  const Message query{Header{.seq = 41}, Query{.what = "nodes", .args = {{"json", "1"}}}};
  Result<Message> answer = Request(ctx, endpoint, query, kPatience, Plain());
  server.join();
  CHECK(served);
  INFO(answer.status().ToString());
  REQUIRE(answer.ok());
  CHECK(answer->header.node == "leader-node");
  CHECK(answer->header.seq == 41);
  const auto* reply = std::get_if<Reply>(&answer->body);
  REQUIRE(reply != nullptr);
  CHECK(*reply == Reply{.ok = true,
                        .result_json = R"({"what":"nodes"})",
                        .answered_by = "leader-node",
                        .from_active_leader = true});
}

TEST_CASE("transport: PeerLabel prints binary identities as hex", "[protocol][transport]") {
  CHECK(PeerLabel("agent-1") == "agent-1");
  CHECK(PeerLabel(std::string("\x00\x6b\x8b\x45\x67", 5)) == "0x006b8b4567");
  CHECK(PeerLabel("") == "<no identity>");
}

}  // namespace
}  // namespace orcastra::protocol
