#include "common/strings.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orcastra {
namespace {

TEST_CASE("edit distance and the closest match", "[strings]") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("compress", "compress") == 0);
  CHECK(EditDistance("compres", "compress") == 1);
  CHECK(EditDistance("kitten", "sitting") == 3);
  CHECK(EditDistance("", "abc") == 3);
  std::vector<std::string_view> known = {"cooldown_minutes", "sustained_high_minutes", "rotate"};
  CHECK(ClosestMatch("colldown_minutes", known) == "cooldown_minutes");
  CHECK(ClosestMatch("rotat", known) == "rotate");
  CHECK(ClosestMatch("something_else", known).empty());
  CHECK(ClosestMatch("rotatexx", known, 2).empty());
  CHECK(ClosestMatch("rotatexx", known, 3) == "rotate");
  CHECK(ClosestMatch("", {"ab", "abcd"}) == "ab");
  CHECK(ClosestMatch(std::string(100'000, 'r'), known).empty());
}

}  // namespace
}  // namespace orcastra
