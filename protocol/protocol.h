// The envelope codec of Orcastra's wire protocol: one MessagePack map per ZeroMQ frame,
// {"v", "type", "node", "seq", "ts", "body"}. doc/protocol.md gives the grammar.
//
// Every function here is thread-safe (no shared state) and none throws: malformed input from a peer
// comes back as a Status naming the peer, the message type and the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/status.h"
#include "protocol/messages.h"

namespace orcastra::protocol {

// The major protocol version this build speaks; a frame with another "v" is refused.
inline constexpr std::uint32_t kMajorVersion = 1;

// Default size limit of one frame in bytes; larger frames are refused before decoding.
inline constexpr std::size_t kMaxMessageBytes = 1 << 20;

// Decoder limits (msgpack::unpack_limit) so a small frame cannot make the decoder allocate much: at
// most this many items in one array / pairs in one map (and never more than the frame has bytes),
// and at most this many nested arrays/maps.
inline constexpr std::size_t kMaxArrayItems = 16384;
inline constexpr std::size_t kMaxMapPairs = 16384;
inline constexpr std::size_t kMaxNestingDepth = 16;

// The envelope fields other than the type and the body.
struct Header {
  std::uint32_t version = kMajorVersion;  // "v"
  std::string node{};                     // "node": sender's Swarm node id; "" for the CLI
  std::uint64_t seq = 0;                  // "seq": per-sender counter
  std::int64_t ts_ms = 0;                 // "ts": sender's wall clock, ms since the Unix epoch

  bool operator==(const Header&) const = default;
};

// One message body; the alternative decides the envelope's "type".
using Body = std::variant<Hello, NodeReport, Event, Query, Reply, Welcome, Error, AgentCommand,
                          AgentCommandResult, ServiceImages, JoinRequest, JoinAnswer>;

// A decoded or to-be-encoded message.
struct Message {
  Header header{};
  Body body{};

  bool operator==(const Message&) const = default;
};

// The wire "type" of `body`: "hello", "node_report", "event", "query", "reply", "welcome", "error",
// "agent_command", "agent_command_result", "service_images", "join_request", "join_answer".
std::string_view TypeName(const Body& body);

// The MessagePack bytes of the envelope of `message`, with "v" = message.header.version. A
// node_report's figures go out clamped into the ranges Decode accepts (NaN as 0).
std::string Encode(const Message& message);

// Why Decode refused a frame; each reason is answered with its own wire error code (kError*).
enum class Refusal {
  kBadMessage,          // "bad_message": not MessagePack, wrong shape or type, a str not UTF-8
  kTooLarge,            // "too_large": over the size limit
  kUnsupportedVersion,  // "unsupported_version": another major version
  kUnknownType,         // "unknown_type": a "type" this build does not know
};
std::string_view RefusalCode(Refusal refusal);

// Decodes one frame. `peer` only names the sender in error messages. Errors: ParseError for a frame
// over `max_bytes` (checked before decoding), garbage, truncated or trailing data, a top level that
// is not a map, a missing "v"/"type", a field of the wrong type, a string (anywhere in the frame,
// keys included) that is not well-formed UTF-8 (naming the field), a node_report figure that is
// NaN, infinite or out of its range (load averages 0 to procfs::kMaxLoadAverage, percentages 0 to
// 100; naming the field); Unsupported for a "v" other than kMajorVersion (naming both versions) or
// an unknown "type". One exception to the version check: an "error" of any version decodes
// (header.version says which), because its shape never changes. When the frame is refused and
// `refusal` is given, *refusal says why.
Result<Message> Decode(std::string_view frame, std::string_view peer,
                       std::size_t max_bytes = kMaxMessageBytes, Refusal* refusal = nullptr);

// An Error message answering a refused frame: code RefusalCode(refusal), the refusal's text as the
// message, and `own_header` (the refusing side's node, seq and clock) as the header.
Message ErrorReplyFor(const Status& why, Refusal refusal, const Header& own_header);

}  // namespace orcastra::protocol
