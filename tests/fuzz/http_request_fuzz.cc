// The HTTP request head parser (common/http_server.h): what any client on the network sends to
// ports 9470/9471. Invariants: it never throws; what it accepts has a method of token characters,
// a path starting with '/', at most kMaxHeaders headers with lower-case names, a target that is
// path + ('?' query), and came from at most kMaxHeadBytes. The credential check on what was
// accepted (Authorization: Bearer / Basic) never admits a request when no token is set, and admits
// one for a set token only when the header carries it.
#include <cstdint>

#include "common/http_server.h"
#include "common/observe.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = orcastra::fuzz::Bytes(data, size);
  auto parsed = orcastra::http::ParseRequestHead(input);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(input.size() <= orcastra::http::kMaxHeadBytes);
  FUZZ_CHECK(!parsed->method.empty());
  FUZZ_CHECK(!parsed->path.empty() && parsed->path[0] == '/');
  FUZZ_CHECK(parsed->target ==
             parsed->path +
                 (parsed->target.find('?') == std::string::npos ? "" : "?" + parsed->query));
  FUZZ_CHECK(parsed->headers.size() <= orcastra::http::kMaxHeaders);
  for (const auto& [name, value] : parsed->headers) {
    FUZZ_CHECK(!name.empty());
    for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    for (char c : value) FUZZ_CHECK(c == '\t' || static_cast<unsigned char>(c) >= 0x20);
  }
  FUZZ_CHECK(parsed->minor_version == 0 || parsed->minor_version == 1);
  (void)parsed->QueryParam("after");
  FUZZ_CHECK(!orcastra::Authorized(*parsed, ""));
  constexpr std::string_view kToken = "fuzz-token";
  if (orcastra::Authorized(*parsed, kToken)) {
    const std::string_view header = parsed->Header("authorization");
    // Bearer carries the token as is; Basic carries base64("user:fuzz-token"), whose encoding
    // is at least as long as the token.
    FUZZ_CHECK(header.find(kToken) != std::string_view::npos || header.size() >= kToken.size());
  }
  return 0;
}
