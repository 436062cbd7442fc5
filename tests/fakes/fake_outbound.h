// An Outbound (leader/endpoints/endpoints.h) that records what the endpoints send instead of
// sending it. Like the real one it refuses a message over kMaxMessageBytes (InvalidArgument) and
// answers Unavailable for an identity the test marks unreachable; every message it accepts is
// encoded and decoded again, so a test sees exactly what a peer would (and `undecodable` counts
// frames a peer would refuse).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "leader/endpoints/endpoints.h"
#include "protocol/protocol.h"

namespace orcastra::testing {

class FakeOutbound final : public leader::Outbound {
 public:
  struct Sent {
    Port port;
    std::string identity;
    protocol::Message message;
    std::size_t bytes = 0;  // encoded size
  };

  Status Send(Port port, const std::string& identity, const protocol::Message& message) override {
    const std::string frame = protocol::Encode(message);
    if (frame.size() > protocol::kMaxMessageBytes) {
      return Status::InvalidArgument(std::string(protocol::TypeName(message.body)) +
                                     " message is " + std::to_string(frame.size()) +
                                     " bytes, over the limit");
    }
    if (unreachable.contains(identity)) {
      return Status::Unavailable("no such peer is connected");
    }
    auto decoded = protocol::Decode(frame, "fake outbound");
    if (!decoded.ok()) {
      ++undecodable;
      return Status::Ok();
    }
    sent.push_back({port, identity, std::move(decoded).value(), frame.size()});
    return Status::Ok();
  }

  // What was sent since the last call, oldest first.
  std::vector<Sent> Take() {
    std::vector<Sent> out = std::move(sent);
    sent.clear();
    return out;
  }

  std::vector<Sent> sent;
  std::set<std::string> unreachable;
  int undecodable = 0;
};

}  // namespace orcastra::testing
