// The stored configuration read back from Swarm (leader/config_store/plan.h): any manager can
// create a config object named orcastra-config-vN with any labels and data. The input is used
// three ways: as a set's data (DecodeSet), as the base64 data of a stored version (SetOfVersion),
// and, split at its first newlines, as a config object's name, version label and data
// (VersionFromConfig). Invariants: a refusal is a ParseError with a message; a decoded set holds
// only known file names and valid UTF-8, and encodes to data that decodes to the same set, the
// same bytes every time; a version read from labels has a number > 0 that its name carries; a
// stored version whose data decodes is validated with every diagnostic naming its own object.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/base64.h"
#include "common/utf8.h"
#include "leader/config_store/plan.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;
using namespace orcastra::leader;

namespace {

bool KnownName(const std::string& name) {
  for (const char* known : kStoredFileNames) {
    if (name == known) return true;
  }
  return false;
}

void CheckSet(const Result<ConfigSet>& set) {
  if (!set.ok()) {
    FUZZ_CHECK(set.status().code() == Status::Code::kParseError);
    FUZZ_CHECK(!set.status().message().empty());
    return;
  }
  FUZZ_CHECK(!set->files.empty());
  for (const auto& [name, text] : set->files) {
    FUZZ_CHECK(KnownName(name));
    FUZZ_CHECK(IsValidUtf8(text));
  }
  const std::string encoded = EncodeSet(*set);
  FUZZ_CHECK(encoded == EncodeSet(*set));
  if (encoded.size() <= kMaxStoredDataBytes) {
    auto again = DecodeSet(encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *set);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::Bytes(data, size);
  CheckSet(DecodeSet(input));

  // As a stored version's data, with and without a digest.
  StoredVersion version;
  version.name = "orcastra-config-v7";
  version.number = 7;
  version.data = std::string(input);
  auto from_base64 = SetOfVersion(version);
  if (!from_base64.ok()) {
    FUZZ_CHECK(from_base64.status().message().rfind("orcastra-config-v7: ", 0) == 0);
  }
  version.data = Base64Encode(input);
  version.digest = Sha256Hex(input);
  auto stored = SetOfVersion(version);
  CheckSet(stored);
  if (stored.ok()) {
    config::LoadResult loaded = ValidateSet(*stored, version.name, {});
    for (const auto& d : loaded.diagnostics) {
      FUZZ_CHECK(d.file.rfind("orcastra-config-v7", 0) == 0);
    }
    FUZZ_CHECK(loaded.ok() == !config::HasErrors(loaded.diagnostics));
  }

  // As a config object: NAME \n VERSION-LABEL \n DATA.
  const std::size_t first = input.find('\n');
  const std::size_t second = first == std::string_view::npos ? first : input.find('\n', first + 1);
  if (second != std::string_view::npos) {
    ConfigObject object;
    object.id = "x";
    object.name = std::string(input.substr(0, first));
    object.labels[kLabelVersion] = std::string(input.substr(first + 1, second - first - 1));
    object.data = std::string(input.substr(second + 1));
    auto read = VersionFromConfig(object);
    if (!read.ok()) {
      FUZZ_CHECK(read.status().code() == Status::Code::kParseError);
    } else if (read->has_value()) {
      const StoredVersion& v = **read;
      FUZZ_CHECK(v.number > 0);
      FUZZ_CHECK(v.name == std::string(kConfigObjectPrefix) + std::to_string(v.number));
      CheckSet(SetOfVersion(v));
    }
  }
  return 0;
}
