#include "common/utf8.h"

namespace orcastra {
namespace {

// The length of the well-formed sequence starting at `i`, or 0 when the bytes there do not start
// one. Follows Table 3-7 of the Unicode standard (well-formed UTF-8 byte sequences).
std::size_t SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 == 0xE0) {
    length = 3, low = 0xA0;
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    length = 3;
  } else if (b0 == 0xED) {
    length = 3, high = 0x9F;  // no surrogates
  } else if (b0 == 0xF0) {
    length = 4, low = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    length = 4;
  } else if (b0 == 0xF4) {
    length = 4, high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// How many bytes from `i` form the maximal prefix of a well-formed sequence (at least 1): the
// bytes one U+FFFD replaces.
std::size_t MaximalIllFormed(std::string_view text, std::size_t i) {
  std::size_t longest = 1;
  for (std::size_t end = i + 2; end <= text.size() && end <= i + 4; ++end) {
    // A prefix is viable when some completion of it would be well-formed: test by padding.
    std::string probe(text.substr(i, end - i));
    const std::size_t have = probe.size();
    while (probe.size() < 4) probe += '\x80';
    std::size_t full = SequenceLength(probe, 0);
    if (full == 0 || full < have) break;
    longest = have;
  }
  return longest;
}

}  // namespace

std::optional<std::size_t> FirstInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = SequenceLength(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

bool IsValidUtf8(std::string_view text) { return !FirstInvalidUtf8(text).has_value(); }

std::string ToValidUtf8(std::string_view text) {
  std::optional<std::size_t> first = FirstInvalidUtf8(text);
  if (!first) return std::string(text);
  std::string out(text.substr(0, *first));
  std::size_t i = *first;
  while (i < text.size()) {
    std::size_t length = SequenceLength(text, i);
    if (length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      i += MaximalIllFormed(text, i);
    }
  }
  return out;
}

std::string DumpJson(const nlohmann::json& json, int indent) {
  return json.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string CutText(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  static constexpr std::string_view kEllipsis = "\u2026";
  if (max_bytes < kEllipsis.size()) return std::string();
  std::size_t end = max_bytes - kEllipsis.size();
  // Back up to the first byte of a character (continuation bytes are 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  std::string out(text.substr(0, end));
  out += kEllipsis;
  return out;
}

}  // namespace orcastra
