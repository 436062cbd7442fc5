// The cgroup readers (common/cgroup.h) on the same text: ParseLimit, ParseCounter, ParseStat and
// ParseMemoryCgroupPath, then MemoryDirFor with the path found. Invariants: nothing throws; every
// error starts with the source; a limit is below the unlimited threshold; a cgroup path is
// absolute, and MemoryDirFor never accepts one with a ".." component.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/cgroup.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

namespace {

template <typename T>
void CheckError(const Result<T>& result) {
  if (!result.ok()) FUZZ_CHECK(result.status().message().starts_with("cg/x"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  auto limit = cgroup::ParseLimit(text, "cg/x");
  CheckError(limit);
  if (limit.ok() && *limit) FUZZ_CHECK(**limit < cgroup::kUnlimitedThreshold);
  CheckError(cgroup::ParseCounter(text, "cg/x"));
  CheckError(cgroup::ParseStat(text, "cg/x"));
  auto path = cgroup::ParseMemoryCgroupPath(text, "cg/x");
  CheckError(path);
  if (!path.ok()) return 0;
  FUZZ_CHECK(!path->empty() && path->front() == '/');
  auto dir = cgroup::MemoryDirFor("/nonexistent-cgroup-root", *path);
  FUZZ_CHECK(!dir.ok());
  const bool climbs = ("/" + *path + "/").find("/../") != std::string::npos;
  if (climbs) FUZZ_CHECK(dir.status().code() == Status::Code::kInvalidArgument);
  return 0;
}
