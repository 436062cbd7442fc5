// The byte-level pieces of remote logs (agent/commands/remote_logs.h) on a container's log answer:
// DemuxDockerLogStream, LastLines, ContainerLogText (what the agent sends for `orcastra logs`) and
// CapOutput. Invariants: nothing throws; demuxing never grows the text; LastLines keeps at most n
// lines and a suffix of its text; the log text sent to the leader is valid UTF-8 (the leader
// refuses a frame that is not); CapOutput stays within its bound, keeps valid UTF-8 valid, and
// returns short text unchanged.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/commands/remote_logs.h"
#include "common/utf8.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t tail = in.ConsumeIntegralInRange<std::size_t>(0, 20);
  const std::size_t cap = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
  const bool tty = in.ConsumeBool();
  const std::string body = in.ConsumeRemainingBytesAsString();

  agent::DemuxedLogs demuxed = agent::DemuxDockerLogStream(body);
  FUZZ_CHECK(demuxed.text.size() <= body.size());

  const std::string last = agent::LastLines(body, tail);
  FUZZ_CHECK(body.ends_with(last));
  const std::size_t newlines = static_cast<std::size_t>(std::count(last.begin(), last.end(), '\n'));
  FUZZ_CHECK(newlines <= tail);

  const std::string text = agent::ContainerLogText(body, tty, tail);
  FUZZ_CHECK(IsValidUtf8(text));

  const std::string capped = agent::CapOutput(text, cap);
  FUZZ_CHECK(capped.size() <= cap || text.size() <= cap);
  if (text.size() <= cap) FUZZ_CHECK(capped == text);
  FUZZ_CHECK(IsValidUtf8(capped));
  return 0;
}
