// Small string helpers shared by the parsers.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace orcastra {

// Levenshtein distance (insertions, deletions, substitutions).
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` with an edit distance below `max_distance`, or "" when none is:
// the "did you mean ...?" of a misspelled key or directive.
std::string_view ClosestMatch(std::string_view word,
                              const std::vector<std::string_view>& candidates,
                              std::size_t max_distance = 3);

}  // namespace orcastra
