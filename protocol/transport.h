// Thin helpers that move protocol Messages over cppzmq sockets. No threads inside: callers own
// their sockets, use each from one thread at a time, and poll them (zmq::poll) for readiness.
//
// Sockets: the leader binds ROUTER sockets (agent reports on 7470, control/CLI on 7471); agents and
// the CLI connect DEALER sockets. Each protocol message is one frame (a ROUTER adds or strips the
// peer identity frame). No function here throws; zmq errors come back as a Status.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "common/status.h"
#include "protocol/curve.h"
#include "protocol/protocol.h"

namespace orcastra::protocol {

// Default TCP ports of the leader (design.md "Ports").
inline constexpr int kAgentPort = 7470;
inline constexpr int kControlPort = 7471;

// Applies the common socket options: linger `linger` (0: pending messages are dropped at close, so
// shutdown never hangs), ZMQ_MAXMSGSIZE = max_bytes (libzmq itself drops a peer
// that sends a bigger frame), TCP keepalive on, ZMTP heartbeats (every 2 s, timeout 6 s) so dead
// peers are noticed, and on a ROUTER socket ZMQ_ROUTER_MANDATORY so SendTo reports unknown peers.
// Call before bind/connect. Failures (only possible on a closed socket) are logged, not thrown.
void ConfigureSocket(zmq::socket_t& socket, std::size_t max_bytes = kMaxMessageBytes,
                     std::chrono::milliseconds linger = std::chrono::milliseconds(0));

// DEALER (or REQ) side: sends `message` as one frame without blocking. Unavailable when the send
// queue is full (high-water mark) or there is no peer to queue for; InvalidArgument when the
// encoded message exceeds kMaxMessageBytes (the peer would drop it).
Status Send(zmq::socket_t& socket, const Message& message);

// ROUTER side: sends [peer_identity, encoded message] without blocking. Unavailable when no
// connected peer has that identity (needs ROUTER_MANDATORY, set by ConfigureSocket) or its queue is
// full.
Status SendTo(zmq::socket_t& router, std::string_view peer_identity, const Message& message);

// One received message: who sent it (the routing identity; empty on a DEALER) and the decoded
// message, or the Status that explains why it could not be decoded.
struct Incoming {
  std::string peer_identity{};
  Result<Message> message;
  Refusal refusal = Refusal::kBadMessage;  // why, when `message` holds an error
  // On a ROUTER, from the message's connection: the ZAP user id ("" without ZAP), the routing id
  // the peer chose itself ("" when the ROUTER made one up) and the connection's descriptor (-1
  // when unknown).
  std::string user_id{};
  std::string declared_identity{};
  std::string peer_address{};  // the peer's IP address ("Peer-Address"); "" when unknown
  int source_fd = -1;
};

// Receives one message if one is ready, without blocking; nullopt when none is. A ROUTER expects
// [identity, payload] and a DEALER [payload]; any other shape, an undecodable payload or a socket
// error gives an Incoming whose `message` holds the error (its peer_identity set when known).
std::optional<Incoming> TryReceive(zmq::socket_t& socket, bool is_router);

// A printable name for a routing identity in logs and errors: the identity itself when it is
// printable ASCII, else "0x" and its hex digits (libzmq's generated identities are binary).
std::string PeerLabel(std::string_view peer_identity);

// Sends `request` from a fresh, configured DEALER connected to `endpoint` and waits up to `timeout`
// for the first answer (used by the CLI). Returns the answer as is, including an Error body.
// With CURVE (`security` not insecure) it tries the leader keys of `security.key` in order: when
// the handshake fails because the leader holds another key, it sends again with the next one
// (a leader key rotation). PermissionDenied when the leader refused our key, holds none of the
// trusted keys, or disagrees on encryption (plain text against CURVE); Timeout when nothing came
// back in time; Unavailable when the request could not be queued; InvalidArgument for a
// malformed endpoint or a key file without leader keys. Each message names the endpoint.
Result<Message> Request(zmq::context_t& ctx, const std::string& endpoint, const Message& request,
                        std::chrono::milliseconds timeout, const ClientSecurity& security);

}  // namespace orcastra::protocol
