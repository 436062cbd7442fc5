// The event stream of GET /events as the daemon's bytes arrive: cut into lines in chunks of sizes
// the input chooses (EventLineSplitter), each line decoded (DecodeEventLine). Invariants: nothing
// throws; the unfinished line never exceeds the limit while Append() says the stream may go on;
// the lines delivered are the input's non-blank lines in order whatever the chunking.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/docker_events.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t limit = in.ConsumeIntegralInRange<std::size_t>(1, 4096);
  const std::size_t seed = in.ConsumeIntegral<std::uint8_t>();
  const std::string stream = in.ConsumeRemainingBytesAsString();

  std::vector<std::string> whole_lines;
  docker::EventLineSplitter whole(stream.size() + 1);
  FUZZ_CHECK(whole.Append(stream, [&](std::string_view line) {
    whole_lines.emplace_back(line);
    auto event = docker::DecodeEventLine(line);
    if (!event.ok()) FUZZ_CHECK(!event.status().message().empty());
  }));

  // The same bytes in chunks of 1 .. 64 bytes, with a bounded line.
  std::vector<std::string> chunked_lines;
  docker::EventLineSplitter chunked(limit);
  std::size_t pos = 0;
  std::size_t step = seed;
  bool alive = true;
  while (pos < stream.size() && alive) {
    step = step * 1103515245 + 12345;
    const std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + (step >> 16) % 64);
    alive = chunked.Append(std::string_view(stream).substr(pos, n),
                           [&](std::string_view line) { chunked_lines.emplace_back(line); });
    pos += n;
    if (alive) FUZZ_CHECK(chunked.pending().size() <= limit);
  }
  if (alive) {
    FUZZ_CHECK(chunked_lines == whole_lines);
  } else {
    FUZZ_CHECK(chunked_lines.size() <= whole_lines.size());
    for (std::size_t i = 0; i < chunked_lines.size(); ++i)
      FUZZ_CHECK(chunked_lines[i] == whole_lines[i]);
  }
  return 0;
}
