// The leader's ZAP handler (ZeroMQ RFC 27): a REP socket on inproc://zeromq.zap.01 in the
// leader's ZeroMQ context, which libzmq asks about every CURVE client of both ROUTER sockets before
// the connection may carry a message. It answers with DecideZap (plan.h) and a per-address limit
// on handshakes, numbers every admitted connection (the serial in the user id), counts refusals,
// logs them at most once per kLogPeriod per kind and records them as `auth_refused` events at the
// same pace.
//
// Why a thread of its own rather than a third socket polled by the Endpoints thread: a handshake
// waits for its ZAP answer, and the Endpoints thread can be busy for a whole round with 256
// messages per socket; a flood of handshakes (junk connections) must not slow down reports and
// replies, nor the other way round. It shares only atomics and the event callback.
//
// Bind() before binding the ROUTERs: a CURVE client that connects while no ZAP handler is bound
// is admitted without any check (libzmq's default).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/service.h"
#include "leader/security/plan.h"
#include "protocol/keys.h"
#include "protocol/messages.h"

namespace orcastra::leader {

class ZapHandler final : public Service {
 public:
  // Handshakes one address may start: a burst, then this many per second; the addresses tracked.
  static constexpr RateLimiter::Limits kHandshakeLimits{60, 20};
  static constexpr std::size_t kMaxTrackedAddresses = 4096;

  struct Counters {
    std::uint64_t admitted = 0;
    std::uint64_t refused_unknown_key = 0;  // CURVE with a key not in the clients file
    std::uint64_t refused_rate_limited = 0;
    std::uint64_t refused_other = 0;  // not CURVE, no key, unknown domain, malformed
  };

  // Binds the REP socket in `context`. Unavailable when another handler holds the address.
  static Result<zmq::socket_t> Bind(zmq::context_t& context);

  // `socket` from Bind(); `keys` the clients file; `record_event` files an event in the cluster
  // state (any thread may call it). `clock` outlives the handler.
  ZapHandler(zmq::socket_t socket, protocol::KeySet keys, const Clock& clock,
             std::function<void(protocol::Event)> record_event);

  // Any thread.
  Counters counters() const;
  const protocol::KeySet& keys() const { return keys_; }

  // Answers one request's frames (the socket-free part of Run, for tests): the reply's frames.
  std::vector<std::string> Answer(const std::vector<std::string>& request);

 protected:
  void Run(std::stop_token stop) override;

 private:
  void NoteRefusal(const ZapRequest& request, const ZapDecision& decision);

  zmq::socket_t socket_;
  const protocol::KeySet keys_;
  const Clock& clock_;
  std::function<void(protocol::Event)> record_event_;
  RateLimiter per_address_{kHandshakeLimits, kMaxTrackedAddresses};
  std::uint64_t next_serial_ = 1;
  std::map<std::string, LogLimiter> limiters_;  // per refusal reason (a fixed, small set)
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<std::uint64_t> refused_unknown_key_{0};
  std::atomic<std::uint64_t> refused_rate_limited_{0};
  std::atomic<std::uint64_t> refused_other_{0};
};

}  // namespace orcastra::leader
