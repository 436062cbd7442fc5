// UTF-8 at the edges. Text from peers, files and daemons is checked or repaired where it enters,
// and every JSON document is serialised so that no byte sequence can make the serialiser throw
// (nlohmann::json::dump() throws on invalid UTF-8 by default: one bad byte from a peer would take
// the process down at the next `orcastra status`).
//
// Pure and thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace orcastra {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The byte offset of the first byte that is not part of a well-formed sequence; nullopt when
// `text` is valid.
std::optional<std::size_t> FirstInvalidUtf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD (the replacement character, one per
// maximal ill-formed subsequence, as the Unicode standard recommends); valid text is returned
// unchanged.
std::string ToValidUtf8(std::string_view text);

// `text` cut to at most `max_bytes` bytes at a UTF-8 character boundary; a cut text ends in "…"
// (within the budget). Text within the limit is returned unchanged.
std::string CutText(std::string_view text, std::size_t max_bytes);

// `json.dump(indent)` that never throws: strings that are not valid UTF-8 are written with
// U+FFFD in place of their bad bytes. Use it for every document that may hold outside text.
std::string DumpJson(const nlohmann::json& json, int indent = -1);

}  // namespace orcastra
