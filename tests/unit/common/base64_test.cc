#include "common/base64.h"

#include <catch2/catch.hpp>

namespace orcastra {
namespace {

TEST_CASE("base64: RFC 4648 test vectors both ways", "[common][base64]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(Base64Encode(plain) == encoded);
    CHECK(Base64Decode(encoded) == std::string(plain));
  }
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  CHECK(Base64Decode(Base64Encode(bytes)) == bytes);
  CHECK(Base64Decode("Zm9v\nYmFy\n") == std::string("foobar"));
}

TEST_CASE("base64: malformed text is refused", "[common][base64]") {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9*", "=Zm9", "Zm=v"}) {
    INFO(bad);
    CHECK_FALSE(Base64Decode(bad).has_value());
  }
}

}  // namespace
}  // namespace orcastra
