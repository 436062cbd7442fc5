// Base64 (RFC 4648, standard alphabet, padded): Docker's config and secret objects carry their
// data so (Spec.Data). Pure; never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace orcastra {

std::string Base64Encode(std::string_view bytes);
// The bytes of `text` (ASCII whitespace ignored); nullopt when it is not padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace orcastra
