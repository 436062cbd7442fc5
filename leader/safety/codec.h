// The safety record as JSON, pure (the format is written as a grammar in doc/anchors.md):
//
//   {"format": 1,
//    "dependents": {"<full service name>": {"attempts": 2, "next_allowed_ms": 1700000065000,
//                                           "last_force_update_ms": 1700000005000}, ...},
//    "pause": {"paused": true, "by": "cli", "at_ms": 1700000000000}}
//
// Decoding refuses, with an error naming the field: more than kMaxSafetyRecordBytes, anything that
// is not JSON (or not UTF-8), a duplicate key, nesting deeper than the format has, a missing or
// unknown "format", a wrong type, a number out of its range, a service name IsSafetyServiceName
// refuses, more than kMaxSafetyEntries entries. Unknown keys are ignored (a newer version may add
// some; an incompatible change raises "format"). Never throws, whatever the input.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "leader/safety/record.h"

namespace orcastra::leader {

inline constexpr int kSafetyRecordFormat = 1;
// A record at every bound (1024 entries with 255-byte names and every field at its widest) takes
// about 70 % of this.
inline constexpr std::size_t kMaxSafetyRecordBytes = 512 * 1024;

// json::parse refusing duplicate keys and nesting deeper than `max_depth` (nlohmann keeps the last
// duplicate silently, so a record could say two things at once): ParseError prefixed by `where`.
// Never throws. Also used by the rebalance record (leader/rebalance/record.h).
Result<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view where,
                                       int max_depth);

// The field readers of the records kept in labels (this one, the heal and the rebalance records).
// Errors are ParseError "WHERE: field 'PATH' WHAT".
Status RecordFieldError(std::string_view where, const std::string& path, const std::string& what);
// An integer within [lo, hi]; any other JSON value, or one out of range, is an error.
Result<std::int64_t> RecordInteger(const nlohmann::json& value, std::int64_t lo, std::int64_t hi,
                                   std::string_view where, const std::string& path);
// object[key] as a time in ms within [0, max_ms], its path PATH.KEY; absent or null is none.
Result<std::optional<std::int64_t>> RecordOptionalTime(const nlohmann::json& object,
                                                       const char* key, std::int64_t max_ms,
                                                       std::string_view where,
                                                       const std::string& path);

// ParseError (or Unsupported for another format) naming the field; `where` prefixes the message
// ("safety record in config 'orcastra-safety-record'").
Result<SafetyRecord> DecodeSafetyRecord(std::string_view text, std::string_view where);

// The JSON text; InvalidArgument when `record` is outside the bounds (RecordFromMemory never
// makes such a record).
Result<std::string> EncodeSafetyRecord(const SafetyRecord& record);

}  // namespace orcastra::leader
