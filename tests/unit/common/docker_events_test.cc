// The event stream's bytes cut into lines and decoded (common/docker_events.h), as they arrive.
#include "common/docker_events.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace orcastra::docker {
namespace {

std::vector<std::string> Feed(EventLineSplitter& splitter, const std::vector<std::string>& chunks,
                              bool* alive = nullptr) {
  std::vector<std::string> lines;
  bool ok = true;
  for (const auto& chunk : chunks) {
    ok = splitter.Append(chunk, [&](std::string_view line) { lines.emplace_back(line); });
    if (!ok) break;
  }
  if (alive != nullptr) *alive = ok;
  return lines;
}

TEST_CASE("docker events: lines are cut however the chunks fall; blank lines are skipped",
          "[docker]") {
  EventLineSplitter splitter;
  CHECK(Feed(splitter, {"{\"a\"", ":1}\n\n  \r\n{\"b\":2}\r", "\n{\"c\""}) ==
        std::vector<std::string>{"{\"a\":1}", "{\"b\":2}\r"});
  CHECK(splitter.pending() == "{\"c\"");
  CHECK(Feed(splitter, {"}\n"}) == std::vector<std::string>{"{\"c\"}"});
  CHECK(splitter.pending().empty());
}

// Issue 8 (fuzz_docker_events): the unfinished line is bounded, and each byte is scanned once (a
// long line in small chunks was searched from its start at every chunk: quadratic).
TEST_CASE("docker events: a line longer than the limit ends the stream", "[docker]") {
  EventLineSplitter splitter(8);
  bool alive = true;
  CHECK(Feed(splitter, {"12345", "678\n1234", "56789"}, &alive) ==
        std::vector<std::string>{"12345678"});
  CHECK_FALSE(alive);

  EventLineSplitter big;
  const std::string chunk(16 * 1024, 'x');
  std::size_t total = 0;
  bool ok = true;
  while (ok && total <= kMaxEventLineBytes) {
    ok = big.Append(chunk, [](std::string_view) { FAIL("no line ends"); });
    total += chunk.size();
  }
  CHECK_FALSE(ok);
  CHECK(total == kMaxEventLineBytes + chunk.size());
}

TEST_CASE("docker events: a line decodes into an event or says why not", "[docker]") {
  auto event = DecodeEventLine(
      R"({"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"1"}},"scope":"local","timeNano":5})");
  REQUIRE(event.ok());
  CHECK(event->type == "container");
  CHECK(event->actor_attributes.at("exitCode") == "1");
  CHECK(DecodeEventLine("{").status().message() == "not JSON");
  CHECK_FALSE(DecodeEventLine(R"({"Type":5,"Action":"x"})").ok());
  CHECK_FALSE(DecodeEventLine("\xff").ok());
}

}  // namespace
}  // namespace orcastra::docker
