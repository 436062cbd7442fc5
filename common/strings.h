// Small string helpers shared by the parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orcastra {

// `text` without ASCII whitespace (space, \t, \n, \r, \f, \v) at either end.
std::string_view Trim(std::string_view text);

// `text` in single quotes, for messages: 'text'.
std::string Quote(std::string_view text);

// True when `text` is one or more ASCII digits and nothing else.
bool AllDigits(std::string_view text);

// A decimal number of ASCII digits only (no sign, no spaces) that fits in 64 bits; nullopt for
// anything else.
std::optional<std::uint64_t> ParseDecimal(std::string_view text);

// Levenshtein distance (insertions, deletions, substitutions).
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` with an edit distance below `max_distance`, or "" when none is:
// the "did you mean ...?" of a misspelled key or directive.
std::string_view ClosestMatch(std::string_view word,
                              const std::vector<std::string_view>& candidates,
                              std::size_t max_distance = 3);

}  // namespace orcastra
