// protocol::Decode on raw frames, as any peer can send them to the leader's or an agent's socket;
// the invariants are those of protocol_invariants.h.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/protocol_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  orcastra::fuzz::CheckDecode(orcastra::fuzz::Bytes(data, size));
  return 0;
}
