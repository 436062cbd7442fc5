// CurveZMQ on Orcastra's sockets (doc/security.md): the leader's ROUTERs are CURVE servers with
// the leader's secret key and a ZAP domain ("agents", "control"); agents and the CLI are CURVE
// clients with their own key pair and one of the leader public keys they trust.
//
// A CURVE client learns nothing from recv() when its handshake fails (it just times out, and with
// a wrong server key libzmq reconnects every 100 ms for ever): HandshakeMonitor watches the
// socket's monitor events instead and says what happened, so a client can switch to its next
// leader key (a rotation), or stop and say why (its key refused, plain text on the other side).
//
// Not thread-safe: a socket and its monitor belong to one thread. No function throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/status.h"
#include "protocol/keys.h"

namespace orcastra::protocol {

// ZAP domains of the leader's two ROUTER sockets.
inline constexpr char kAgentsZapDomain[] = "agents";
inline constexpr char kControlZapDomain[] = "control";

// How many wrong-server-key handshakes in a row a client takes as "the leader holds another key"
// (one alone may be a busy leader closing a slow handshake).
inline constexpr std::size_t kWrongKeyConfirmations = 2;

// Whether this libzmq was built with CURVE (zmq_has("curve")). Without it nothing may run except
// with --insecure: never fall back to plain text silently.
bool CurveAvailable();

// What every "no key" error of a daemon says to do.
inline constexpr char kHowToMakeKeys[] =
    "make keys with `orcastra keys init DIR` and give them to the stack as Docker secrets "
    "(deploy/quickstart does both; doc/security.md), or run with --insecure "
    "(ORCASTRA_INSECURE=true) on a network you trust";

// What a daemon (`who`: "agent", "leader") needs before it may start without --insecure: CURVE in
// this libzmq, and its key file at `key_path` with the secret key. The error says what is missing
// and kHowToMakeKeys; `*warning` gets what the caller should log as a warning (a loose mode).
Result<KeyFile> LoadDaemonKey(const std::string& key_path, std::string_view who,
                              std::string* warning);

// How a client secures its connections: CURVE with `key` (its pair and the leader keys it
// trusts, in order of preference), or plain text when `insecure`.
struct ClientSecurity {
  bool insecure = false;
  KeyFile key{};
  std::string key_path{};  // where `key` came from, for messages
};

// Server side: the socket becomes a CURVE server with `secret_key` (Z85) that asks ZAP (domain
// `zap_domain`) about every client. Call before bind.
Status ConfigureCurveServer(zmq::socket_t& socket, const std::string& secret_key,
                            const std::string& zap_domain);
// Client side: CURVE client with `key`'s pair, trusting the server key `leader_key` (Z85). Call
// before connect.
Status ConfigureCurveClient(zmq::socket_t& socket, const KeyFile& key,
                            const std::string& leader_key);

// Watches the handshakes of one socket through zmq_socket_monitor (used by clients, and by the
// leader to count handshakes that failed before ZAP was asked: plain-text peers, junk).
class HandshakeMonitor {
 public:
  enum class Outcome {
    kSucceeded,          // the handshake completed: a (new) connection is up
    kKeyRefused,         // the server's ZAP refused our key (status 400); libzmq will not retry
    kWrongServerKey,     // the server does not hold the secret key of the leader key we trust
    kMechanismMismatch,  // one side speaks CURVE and the other plain text
    kOtherFailure,       // any other handshake failure (the value says which)
    kDisconnected,       // an established connection was closed
    kAccepted,           // (a listening socket) a connection came in; its handshake follows
  };
  struct Event {
    Outcome outcome;
    std::uint32_t value = 0;  // libzmq's event value (errno, protocol error, ZAP status)
  };

  // Starts monitoring `socket` (call before connect or bind), in `context` (the socket's). Up to
  // `queue` events wait to be drained (beyond that libzmq drops them): a leader's ROUTER sees a
  // connection flood as thousands of events, and every refusal must be counted.
  static Result<HandshakeMonitor> Attach(zmq::context_t& context, zmq::socket_t& socket,
                                         int queue = 1000);

  // The events received so far, oldest first; never blocks.
  std::vector<Event> Drain();
  // The monitor's own socket, to poll for ZMQ_POLLIN beside others.
  zmq::socket_t& socket() { return pair_; }

 private:
  explicit HandshakeMonitor(zmq::socket_t pair) : pair_(std::move(pair)) {}
  // Closing it is safe in any order with the monitored socket: libzmq sends events without
  // blocking and drops them when nobody listens.
  zmq::socket_t pair_;
};

// A person-readable sentence for an event (no key in it).
std::string DescribeHandshake(const HandshakeMonitor::Event& event, const std::string& endpoint);

}  // namespace orcastra::protocol
