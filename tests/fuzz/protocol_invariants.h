// The invariants of protocol::Decode that both protocol fuzz targets check on every frame.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include "common/utf8.h"
#include "protocol/protocol.h"
#include "tests/fuzz/fuzz_check.h"

namespace orcastra::fuzz {

// Decode never throws or crashes; a refusal has a message, and the error reply that answers it
// carries valid UTF-8 and the refusal's code; an accepted frame survives Encode → Decode, and
// encoding the second decode gives the same bytes (nothing is lost or invented on the way).
inline void CheckDecode(std::string_view frame) {
  protocol::Refusal refusal = protocol::Refusal::kBadMessage;
  auto decoded = protocol::Decode(frame, "fuzz peer", protocol::kMaxMessageBytes, &refusal);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.status().message().empty());
    protocol::Message reply = protocol::ErrorReplyFor(decoded.status(), refusal, {});
    const auto& error = std::get<protocol::Error>(reply.body);
    FUZZ_CHECK(IsValidUtf8(error.message));
    FUZZ_CHECK(error.code == protocol::RefusalCode(refusal));
    return;
  }
  // A re-encoding may be larger than the frame (defaults written out), so no size limit here.
  const std::string encoded = protocol::Encode(*decoded);
  auto again = protocol::Decode(encoded, "re-encoded", std::numeric_limits<std::size_t>::max());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(protocol::TypeName(again->body) == protocol::TypeName(decoded->body));
  FUZZ_CHECK(again->header == decoded->header);
  FUZZ_CHECK(protocol::Encode(*again) == encoded);
}

}  // namespace orcastra::fuzz
