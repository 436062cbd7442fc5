// DecodeMembership (agent/rejoin/memory.h) on the standalone agent's membership.json, a file on
// the node's disk. Invariants: nothing throws; a refusal names the membership; what decodes is
// within the bounds and round-trips through EncodeMembership.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/rejoin/memory.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra::agent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = DecodeMembership(orcastra::fuzz::Bytes(data, size));
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().message().starts_with("membership: "));
    return 0;
  }
  FUZZ_CHECK(!decoded->node_id.empty() && decoded->node_id.size() <= 64);
  FUZZ_CHECK(!decoded->hostname.empty());
  FUZZ_CHECK(!decoded->leader_endpoints.empty() &&
             decoded->leader_endpoints.size() <= kMaxRememberedEndpoints);
  for (const auto& endpoint : decoded->leader_endpoints) {
    FUZZ_CHECK(endpoint.starts_with("tcp://"));
  }
  const std::string text = EncodeMembership(*decoded);
  FUZZ_CHECK(text.size() <= kMaxMembershipBytes);
  auto again = DecodeMembership(text);
  FUZZ_CHECK(again.ok() && *again == *decoded);
  return 0;
}
