// UTF-8 validation and repair (common/utf8.h), including the bytes of the issue-8 crash: an event
// whose text was not UTF-8 took every leader down at the next `orcastra status`.
#include "common/utf8.h"

#include <catch2/catch.hpp>

namespace orcastra {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

TEST_CASE("utf8: well-formed text is valid and unchanged", "[utf8]") {
  for (std::string text : {std::string(""), std::string("plain ascii"), std::string("Zürich €"),
                           std::string("\xF0\x9F\x90\xB3 whale"), std::string("\xF4\x8F\xBF\xBF"),
                           std::string("nul \0 inside", 13)}) {
    INFO(text);
    CHECK(IsValidUtf8(text));
    CHECK(ToValidUtf8(text) == text);
  }
}

TEST_CASE("utf8: ill-formed sequences are found and replaced", "[utf8]") {
  struct Case {
    std::string in;
    std::size_t first_bad;
    std::string repaired;
  };
  const Case cases[] = {
      {"\xFF", 0, kReplacement},
      {"ab\xC3", 2, "ab" + kReplacement},                               // truncated 2-byte
      {"\xC0\xAF", 0, kReplacement + kReplacement},                     // overlong '/'
      {"\xE0\x80\xAF", 0, kReplacement + kReplacement + kReplacement},  // overlong, 3 bytes
      {"\xED\xA0\x80", 0, kReplacement + kReplacement + kReplacement},  // a surrogate
      {"\xF4\x90\x80\x80", 0, std::string(4 * 3, ' ')},  // above U+10FFFF (checked below)
      {"\xF0\x9F\x90x", 0, kReplacement + "x"},          // truncated 4-byte: one U+FFFD
      {"ok\x80"
       "ok",
       2, "ok" + kReplacement + "ok"},  // a lone continuation byte
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK_FALSE(IsValidUtf8(c.in));
    REQUIRE(FirstInvalidUtf8(c.in).has_value());
    CHECK(*FirstInvalidUtf8(c.in) == c.first_bad);
    std::string repaired = ToValidUtf8(c.in);
    CHECK(IsValidUtf8(repaired));
    if (c.repaired.find(' ') == std::string::npos) CHECK(repaired == c.repaired);
  }
  CHECK(ToValidUtf8("\xF4\x90\x80\x80") ==
        kReplacement + kReplacement + kReplacement + kReplacement);
}

TEST_CASE("regression: a JSON dump of text that is not UTF-8 never throws", "[utf8][issue8]") {
  nlohmann::json event = {{"kind", "event"}, {"message", std::string("bad \xC3\x28 bytes")}};
  CHECK_THROWS(event.dump());  // what took the leaders down
  std::string dumped;
  CHECK_NOTHROW(dumped = DumpJson(event));
  CHECK(IsValidUtf8(dumped));
  CHECK(dumped.find("bad " + kReplacement + "( bytes") != std::string::npos);
  CHECK(DumpJson({{"a", "é"}}, 2) == "{\n  \"a\": \"é\"\n}");
}

}  // namespace
}  // namespace orcastra
