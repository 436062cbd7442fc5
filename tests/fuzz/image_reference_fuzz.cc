// agent::ParseImageReference on image references as Docker answers carry them (container Image,
// RepoTags, RepoDigests, service specs): GC decides from them which images a service still needs.
// Invariants: nothing throws; exactly one of id and repository is set; a repository reference
// written back as "repository[:tag][@digest]" parses to the same reference.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/gc/plan.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = agent::ParseImageReference(fuzz::Bytes(data, size));
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(parsed->id.empty() != parsed->repository.empty());
  if (parsed->repository.empty()) return 0;
  std::string written = parsed->repository;
  if (!parsed->tag.empty()) written += ":" + parsed->tag;
  if (!parsed->digest.empty()) written += "@" + parsed->digest;
  auto again = agent::ParseImageReference(written);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->repository == parsed->repository && again->tag == parsed->tag &&
             again->digest == parsed->digest && again->id.empty());
  return 0;
}
