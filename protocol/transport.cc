#include "protocol/transport.h"

#include <array>
#include <cerrno>
#include <exception>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>
#include <zmq_addon.hpp>

#include "common/log.h"

namespace orcastra::protocol {
namespace {

constexpr std::chrono::milliseconds kHeartbeatInterval(2000);
constexpr std::chrono::milliseconds kHeartbeatTimeout(6000);

std::string Quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += '\'';
  return out;
}

// The endpoint a DEALER is connected to, to name its peer in errors; "" when unknown.
std::string ConnectedEndpoint(zmq::socket_t& socket) {
  try {
    return socket.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t&) {
    return "";
  }
}

// Encodes `message` and checks it against the size every receiver accepts.
Result<std::string> EncodeForSending(const Message& message) {
  std::string payload = Encode(message);
  if (payload.size() > kMaxMessageBytes) {
    return Status::InvalidArgument(std::string(TypeName(message.body)) + " message is " +
                                   std::to_string(payload.size()) + " bytes, over the limit of " +
                                   std::to_string(kMaxMessageBytes) + " bytes");
  }
  return payload;
}

// A metadata property of a received message ("User-Id", "Identity"); "" when it has none.
std::string Property(zmq::message_t& frame, const char* name) {
  const char* value = zmq_msg_gets(frame.handle(), name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::string PeerLabel(std::string_view peer_identity) {
  if (peer_identity.empty()) return "<no identity>";
  bool printable = true;
  for (char c : peer_identity) {
    if (c < 0x20 || c > 0x7e) {
      printable = false;
      break;
    }
  }
  if (printable) return std::string(peer_identity);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (char c : peer_identity) {
    const auto byte = static_cast<unsigned char>(c);
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

void ConfigureSocket(zmq::socket_t& socket, std::size_t max_bytes,
                     std::chrono::milliseconds linger) {
  try {
    socket.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
    const auto limit =
        max_bytes > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
            ? std::int64_t{-1}
            : static_cast<std::int64_t>(max_bytes);
    socket.set(zmq::sockopt::maxmsgsize, limit);
    socket.set(zmq::sockopt::tcp_keepalive, 1);
    socket.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(kHeartbeatInterval.count()));
    socket.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(kHeartbeatTimeout.count()));
    if (socket.get(zmq::sockopt::type) == ZMQ_ROUTER)
      socket.set(zmq::sockopt::router_mandatory, true);
  } catch (const zmq::error_t& e) {
    Logger("protocol")->error("cannot configure socket: {}", e.what());
  }
}

Status Send(zmq::socket_t& socket, const Message& message) {
  Result<std::string> payload = EncodeForSending(message);
  if (!payload.ok()) return payload.status();
  try {
    zmq::message_t frame(payload->data(), payload->size());
    if (!socket.send(frame, zmq::send_flags::dontwait)) {
      return Status::Unavailable("cannot queue " + std::string(TypeName(message.body)) + " to " +
                                 Quoted(ConnectedEndpoint(socket)) +
                                 ": send queue full or no peer");
    }
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    return Status::IoError("sending " + std::string(TypeName(message.body)) + " to " +
                           Quoted(ConnectedEndpoint(socket)) + ": " + e.what());
  }
}

Status SendTo(zmq::socket_t& router, std::string_view peer_identity, const Message& message) {
  Result<std::string> payload = EncodeForSending(message);
  if (!payload.ok()) return payload.status();
  const std::string what =
      std::string(TypeName(message.body)) + " to peer " + Quoted(PeerLabel(peer_identity));
  try {
    zmq::message_t identity(peer_identity.data(), peer_identity.size());
    if (!router.send(identity, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return Status::Unavailable("cannot queue " + what + ": its send queue is full");
    }
    // The first frame was accepted, so the rest of this multipart message is too (atomic delivery).
    zmq::message_t frame(payload->data(), payload->size());
    if (!router.send(frame, zmq::send_flags::dontwait)) {
      return Status::Unavailable("cannot queue " + what + ": its send queue is full");
    }
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      return Status::Unavailable("cannot send " + what + ": no such peer is connected");
    }
    return Status::IoError("sending " + what + ": " + e.what());
  }
}

std::optional<Incoming> TryReceive(zmq::socket_t& socket, bool is_router) {
  std::vector<zmq::message_t> frames;
  try {
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return std::nullopt;
    }
  } catch (const zmq::error_t& e) {
    return Incoming{"", Status::IoError(std::string("receiving: ") + e.what())};
  }

  if (is_router) {
    std::string identity = frames.empty() ? std::string() : frames.front().to_string();
    if (frames.size() != 2) {
      return Incoming{identity,
                      Status::ParseError("message from peer " + Quoted(PeerLabel(identity)) +
                                         " has " + std::to_string(frames.size()) +
                                         " frames; expected [identity, payload]")};
    }
    std::string peer = "peer " + PeerLabel(identity);
    Refusal refusal = Refusal::kBadMessage;
    Result<Message> message = Decode(frames[1].to_string_view(), peer, kMaxMessageBytes, &refusal);
    Incoming incoming{std::move(identity), std::move(message), refusal};
    incoming.user_id = Property(frames[1], "User-Id");
    incoming.declared_identity = Property(frames[1], "Identity");
    incoming.peer_address = Property(frames[1], "Peer-Address");
    incoming.source_fd = zmq_msg_get(frames[1].handle(), ZMQ_SRCFD);
    return incoming;
  }

  const std::string endpoint = ConnectedEndpoint(socket);
  if (frames.size() != 1) {
    return Incoming{
        "", Status::ParseError("message from " + Quoted(endpoint) + " has " +
                               std::to_string(frames.size()) + " frames; expected exactly one")};
  }
  Refusal refusal = Refusal::kBadMessage;
  Result<Message> message =
      Decode(frames[0].to_string_view(), endpoint, kMaxMessageBytes, &refusal);
  return Incoming{"", std::move(message), refusal};
}

Result<Message> Request(zmq::context_t& ctx, const std::string& endpoint, const Message& request,
                        std::chrono::milliseconds timeout, const ClientSecurity& security) {
  const std::string what = std::string(TypeName(request.body)) + " to " + Quoted(endpoint);
  const std::size_t attempts = security.insecure ? 1 : security.key.leader_public_keys.size();
  if (attempts == 0) {
    return Status::InvalidArgument("the key file " + Quoted(security.key_path) +
                                   " has no leader-public-key line: this client cannot know the "
                                   "leader it talks to");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last = Status::Timeout("no answer to " + what);
  try {
    for (std::size_t attempt = 0; attempt < attempts; ++attempt) {
      zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
      ConfigureSocket(dealer);
      if (!security.insecure) {
        ORC_RETURN_IF_ERROR(
            ConfigureCurveClient(dealer, security.key, security.key.leader_public_keys[attempt]));
      }
      auto monitor = HandshakeMonitor::Attach(ctx, dealer);
      if (!monitor.ok()) return monitor.status();
      try {
        dealer.connect(endpoint);
      } catch (const zmq::error_t& e) {
        if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT || e.num() == ENOCOMPATPROTO) {
          return Status::InvalidArgument("cannot connect to " + Quoted(endpoint) + ": " + e.what());
        }
        return Status::Unavailable("cannot connect to " + Quoted(endpoint) + ": " + e.what());
      }
      ORC_RETURN_IF_ERROR(Send(dealer, request));

      bool next_key = false;
      std::size_t wrong_key_events = 0;
      while (!next_key) {
        const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (remaining.count() <= 0) {
          return Status::Timeout("no answer to " + what + " within " +
                                 std::to_string(timeout.count()) + " ms");
        }
        std::array<zmq::pollitem_t, 2> items = {
            {{dealer.handle(), 0, ZMQ_POLLIN, 0}, {monitor->socket().handle(), 0, ZMQ_POLLIN, 0}}};
        zmq::poll(items, remaining);
        if (items[0].revents & ZMQ_POLLIN) {
          std::optional<Incoming> incoming = TryReceive(dealer, /*is_router=*/false);
          if (incoming) return std::move(incoming->message);
        }
        if ((items[1].revents & ZMQ_POLLIN) == 0) continue;
        for (const HandshakeMonitor::Event& event : monitor->Drain()) {
          using Outcome = HandshakeMonitor::Outcome;
          if (security.insecure && (event.outcome == Outcome::kWrongServerKey ||
                                    event.outcome == Outcome::kMechanismMismatch)) {
            // A plain-text client sees a CURVE server close the connection: no key to blame.
            return Status::PermissionDenied(DescribeHandshake(
                {Outcome::kMechanismMismatch, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH},
                endpoint));
          }
          if (event.outcome == Outcome::kKeyRefused ||
              event.outcome == Outcome::kMechanismMismatch) {
            return Status::PermissionDenied(DescribeHandshake(event, endpoint));
          }
          if (event.outcome == Outcome::kWrongServerKey) {
            // Once may be a busy leader closing a slow handshake (libzmq reconnects and the
            // request goes again); again means the leader holds another key: a rotation.
            if (++wrong_key_events < kWrongKeyConfirmations) continue;
            last = Status::PermissionDenied(DescribeHandshake(event, endpoint));
            next_key = true;
            break;
          }
        }
      }
    }
    return last;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR)
      return Status::IoError("interrupted while waiting for the answer to " + what);
    return Status::IoError("request " + what + ": " + e.what());
  } catch (const std::exception& e) {
    return Status::Internal("request " + what + ": " + e.what());
  }
}

}  // namespace orcastra::protocol
