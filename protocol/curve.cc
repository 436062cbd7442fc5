#include "protocol/curve.h"

#include <atomic>
#include <cstring>
#include <iterator>
#include <zmq_addon.hpp>

namespace orcastra::protocol {
namespace {

constexpr int kWatchedEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED;

HandshakeMonitor::Outcome Classify(std::uint16_t event, std::uint32_t value) {
  using Outcome = HandshakeMonitor::Outcome;
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      return Outcome::kSucceeded;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return Outcome::kKeyRefused;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) return Outcome::kMechanismMismatch;
      if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) return Outcome::kWrongServerKey;
      return Outcome::kOtherFailure;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      // A CURVE client holding the wrong server key sees the server close the connection in the
      // middle of the handshake (EPIPE or ECONNRESET), with no detail (../shared/notes).
      return value == EPIPE || value == ECONNRESET ? Outcome::kWrongServerKey
                                                   : Outcome::kOtherFailure;
    case ZMQ_EVENT_DISCONNECTED:
      return Outcome::kDisconnected;
    case ZMQ_EVENT_ACCEPTED:
      return Outcome::kAccepted;
    default:
      return Outcome::kOtherFailure;
  }
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") == 1; }

Result<KeyFile> LoadDaemonKey(const std::string& key_path, std::string_view who,
                              std::string* warning) {
  if (!CurveAvailable()) {
    return Status::Unsupported(
        "this libzmq was built without CURVE (zmq_has(\"curve\") is false): refusing to run in "
        "plain text; use a libzmq with CURVE, or --insecure");
  }
  auto key = LoadKeyFile(key_path, /*require_secret=*/true, warning);
  if (!key.ok()) {
    // The caller only reports it: the kind of failure is in the text.
    return Status::InvalidArgument("no " + std::string(who) + " key: " + key.status().message() +
                                   "; " + kHowToMakeKeys);
  }
  return key;
}

Status ConfigureCurveServer(zmq::socket_t& socket, const std::string& secret_key,
                            const std::string& zap_domain) {
  ORC_RETURN_IF_ERROR(CheckZ85Key(secret_key, "the leader's secret key"));
  try {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, secret_key);
    socket.set(zmq::sockopt::zap_domain, zap_domain);
  } catch (const zmq::error_t& e) {
    return Status::Unsupported(std::string("cannot make a CURVE server socket: ") + e.what());
  }
  return Status::Ok();
}

Status ConfigureCurveClient(zmq::socket_t& socket, const KeyFile& key,
                            const std::string& leader_key) {
  ORC_RETURN_IF_ERROR(CheckZ85Key(leader_key, "leader-public-key"));
  ORC_RETURN_IF_ERROR(CheckZ85Key(key.public_key, "public-key"));
  ORC_RETURN_IF_ERROR(CheckZ85Key(key.secret_key, "secret-key"));
  try {
    socket.set(zmq::sockopt::curve_serverkey, leader_key);
    socket.set(zmq::sockopt::curve_publickey, key.public_key);
    socket.set(zmq::sockopt::curve_secretkey, key.secret_key);
  } catch (const zmq::error_t& e) {
    return Status::Unsupported(std::string("cannot make a CURVE client socket: ") + e.what());
  }
  return Status::Ok();
}

Result<HandshakeMonitor> HandshakeMonitor::Attach(zmq::context_t& context, zmq::socket_t& socket,
                                                  int queue) {
  static std::atomic<std::uint64_t> next{0};
  const std::string address =
      "inproc://orcastra-monitor-" + std::to_string(next.fetch_add(1, std::memory_order_relaxed));
  if (zmq_socket_monitor(socket.handle(), address.c_str(), kWatchedEvents) != 0) {
    return Status::IoError(std::string("cannot monitor a socket: ") + zmq_strerror(zmq_errno()));
  }
  try {
    zmq::socket_t pair(context, zmq::socket_type::pair);
    pair.set(zmq::sockopt::linger, 0);
    pair.set(zmq::sockopt::rcvhwm, queue);
    pair.connect(address);
    return HandshakeMonitor(std::move(pair));
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("cannot connect a socket monitor: ") + e.what());
  }
}

std::vector<HandshakeMonitor::Event> HandshakeMonitor::Drain() {
  std::vector<Event> out;
  // A bounded drain per call: a flood of events cannot hold the caller here.
  for (int i = 0; i < 1024; ++i) {
    std::vector<zmq::message_t> frames;
    try {
      if (!zmq::recv_multipart(pair_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
    } catch (const zmq::error_t&) {
      break;
    }
    if (frames.empty() || frames[0].size() < 6) continue;
    std::uint16_t event = 0;
    std::uint32_t value = 0;
    std::memcpy(&event, frames[0].data(), sizeof event);
    std::memcpy(&value, static_cast<const char*>(frames[0].data()) + 2, sizeof value);
    if ((event & kWatchedEvents) == 0) continue;
    out.push_back({Classify(event, value), value});
  }
  return out;
}

std::string DescribeHandshake(const HandshakeMonitor::Event& event, const std::string& endpoint) {
  using Outcome = HandshakeMonitor::Outcome;
  const std::string at = "'" + endpoint + "'";
  switch (event.outcome) {
    case Outcome::kSucceeded:
      return "connected to " + at;
    case Outcome::kKeyRefused:
      return "the leader at " + at +
             " refused this key: it is not in the leader's clients file (doc/security.md)";
    case Outcome::kWrongServerKey:
      return "the leader at " + at +
             " does not hold the leader key this client trusts (a leader-public-key line of its "
             "key file; is the key file older or newer than the leader's?), or runs --insecure";
    case Outcome::kMechanismMismatch:
      return "the leader at " + at +
             " and this client disagree on encryption: one runs --insecure (plain text), the other "
             "CURVE";
    case Outcome::kOtherFailure:
      return "the handshake with " + at + " failed (libzmq event value " +
             std::to_string(event.value) + ")";
    case Outcome::kDisconnected:
      return "disconnected from " + at;
    case Outcome::kAccepted:
      return "a connection came in on " + at;
  }
  return "handshake event from " + at;
}

}  // namespace orcastra::protocol
