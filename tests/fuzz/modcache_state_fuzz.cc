// agent::DecodeModcacheState on the modcache's state file (the validators of each downloaded mod,
// kept across restarts), and EncodeModcacheState on records made from the input (an ETag or
// Last-Modified comes from a server, byte for byte). Invariants: nothing throws; what decodes
// encodes and decodes back the same; what is encoded always decodes, with every field that was
// valid UTF-8 kept as it was and every other one dropped (an empty validator only costs a full
// download; a wrong one would be sent to the server).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/modcache/plan.h"
#include "common/utf8.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

namespace {

std::string Kept(const std::string& field) { return IsValidUtf8(field) ? field : std::string(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = agent::DecodeModcacheState(fuzz::Bytes(data, size));
  if (decoded.ok()) {
    auto again = agent::DecodeModcacheState(agent::EncodeModcacheState(*decoded));
    FUZZ_CHECK(again.ok() && *again == *decoded);
  }

  FuzzedDataProvider in(data, size);
  std::vector<agent::PersistedMod> mods;
  while (in.remaining_bytes() > 0 && mods.size() < 8) {
    agent::PersistedMod mod;
    mod.file = in.ConsumeRandomLengthString(24);
    mod.url = in.ConsumeRandomLengthString(48);
    mod.etag = in.ConsumeRandomLengthString(24);
    mod.last_modified = in.ConsumeRandomLengthString(24);
    mod.sha256 = in.ConsumeRandomLengthString(64);
    mod.bytes = in.ConsumeIntegral<std::int64_t>();
    mods.push_back(std::move(mod));
  }
  auto back = agent::DecodeModcacheState(agent::EncodeModcacheState(mods));
  FUZZ_CHECK(back.ok());
  std::vector<agent::PersistedMod> expected;
  for (const auto& mod : mods) {
    if (!IsValidUtf8(mod.file) || !IsValidUtf8(mod.url) || mod.bytes < 0) continue;
    expected.push_back(
        {mod.file, mod.url, Kept(mod.etag), Kept(mod.last_modified), Kept(mod.sha256), mod.bytes});
  }
  FUZZ_CHECK(*back == expected);
  return 0;
}
