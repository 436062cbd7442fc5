// The leader's security decisions, pure (doc/security.md):
// - DecideZap: which client keys a ZAP request admits, and the user id that carries the key's role
//   and name and a connection serial to every message of that connection ("User-Id");
// - Permit: which message types (and queries) a role may send;
// - TokenBucket and RateLimiter: per-peer rate limits on an injected clock.
//
// No I/O, no clock reads, no logging; thread-compatible.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "protocol/keys.h"
#include "protocol/protocol.h"

namespace orcastra::leader {

// One ZAP request (RFC 27), as libzmq sends it to inproc://zeromq.zap.01.
struct ZapRequest {
  std::string version{};                   // "1.0"
  std::string request_id{};                // echoed in the reply
  std::string domain{};                    // the socket's ZAP domain: "agents" or "control"
  std::string address{};                   // the peer's IP address
  std::string identity{};                  // the server socket's own routing id (unused)
  std::string mechanism{};                 // "CURVE", "NULL", "PLAIN", ...
  std::vector<std::string> credentials{};  // CURVE: the client's 32-byte public key
};

// The frames of a ZAP request; ParseError when there are fewer than 6 or more than 7, or
// (bounded so a broken libzmq cannot make it allocate) a frame over 256 bytes.
Result<ZapRequest> ParseZapRequest(const std::vector<std::string>& frames);

// What ZAP answers, and why.
struct ZapDecision {
  bool admit = false;
  std::string status_code{};  // "200" admitted, "400" refused, "500" a malformed request
  std::string status_text{};  // into the reply (no key in it)
  std::string user_id{};      // admitted: PeerAuth::Format
  protocol::Role role = protocol::Role::kReadOnly;
  std::string key_name{};  // admitted: the name in the clients file
  std::string reason{};    // refused: for the log line and the counters' kind
};

// Admits a CURVE client whose public key is in `keys` on either domain, with user id
// "ROLE:NAME:SERIAL" (`serial` numbers the connection; the caller gives every request a new one).
// Refuses a version other than "1.0", an unknown domain, a mechanism other than CURVE, missing
// or malformed credentials, and unknown keys.
ZapDecision DecideZap(const ZapRequest& request, const protocol::KeySet& keys,
                      std::uint64_t serial);

// Who sent a message, as far as the leader knows: from the ZAP user id of its connection.
struct PeerAuth {
  bool authenticated = false;  // false: plain text (--insecure), any role
  protocol::Role role = protocol::Role::kReadOnly;
  std::string key_name{};
  std::uint64_t serial = 0;  // the connection's number (unique per leader process)

  // "ROLE:NAME:SERIAL".
  std::string Format() const;
  // A ZAP user id back; nullopt when it is not one DecideZap makes.
  static std::optional<PeerAuth> Parse(std::string_view user_id);
  // "agent key 'agents'" (or "a plain-text peer"), for messages and events.
  std::string Describe() const;
};

// Whether `role` may send `body` (for a query: its `what`). Agent: hello, node_report, event,
// join_request, agent_command_result. Operator: every query. Read-only: the queries that only read
// cluster state: status, nodes, events, anchors, services, plan, config_show, config_get (not logs,
// not command, not config_apply). An `error` is permitted to everyone (it is never answered).
// PermissionDenied says who may not send what.
Status Permit(const PeerAuth& auth, const protocol::Body& body);

// A token bucket: `capacity` tokens, refilled at `per_second`; starts full.
class TokenBucket {
 public:
  TokenBucket(double capacity, double per_second, SteadyTime now)
      : capacity_(capacity), per_second_(per_second), tokens_(capacity), last_(now) {}
  // Takes one token when there is one; false when the bucket is empty.
  bool Take(SteadyTime now);
  // The tokens there would be at `now` (for tests and pruning).
  double Available(SteadyTime now) const;

 private:
  double capacity_;
  double per_second_;
  double tokens_;
  SteadyTime last_;
};

// A token bucket per key (a connection, an address), holding at most `max_keys` of them: a new
// key beyond that takes the place of the least recently used one (which then starts full again
// when it comes back: eviction can only make the limit more lenient, never refuse a peer).
class RateLimiter {
 public:
  struct Limits {
    double burst = 100;
    double per_second = 50;
  };
  RateLimiter(Limits limits, std::size_t max_keys) : limits_(limits), max_keys_(max_keys) {}
  // Whether `key` may do one more thing at `now`.
  bool Allow(const std::string& key, SteadyTime now);
  // Forgets `key` (its connection closed).
  void Forget(const std::string& key);
  std::size_t size() const { return buckets_.size(); }

 private:
  using Order = std::list<std::string>;  // most recently used first
  struct Entry {
    TokenBucket bucket;
    Order::iterator position;
  };
  Limits limits_;
  std::size_t max_keys_;
  Order order_;
  std::unordered_map<std::string, Entry> buckets_;
};

}  // namespace orcastra::leader
