// The configuration stored in Swarm (doc/config-store.md), its pure decisions:
// - a *set* is the leader's configuration files by name (swarm.yml, nodes.yml, dependencies.yml,
//   rebalance_config.yml), stored as one Docker config object per version, `orcastra-config-vN`,
//   data a JSON document of the files, labels saying the version, when, by whom and the digest;
// - EncodeSet / DecodeSet: the object's data (DecodeSet parses what comes back from Swarm: outside
//   input, fuzzed by tests/fuzz/config_store_fuzz.cc);
// - VersionFromConfig: a config object's labels as a StoredVersion;
// - ValidateSet: the set through the same loader as `orcastra config check` (config/loader.h);
// - PlanApply: what `orcastra config apply` stores and prunes, or why it stores nothing;
// - ChooseStored: which stored version a leader instance puts in force;
// - DiffSets: what `orcastra config diff` prints.
// No I/O, no clock reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/config_check.h"
#include "config/loader.h"
#include "config/settings.h"
#include "leader/state/swarm_api.h"

namespace orcastra::leader {

// The names a set may hold, in the loader's reading order.
inline constexpr const char* kStoredFileNames[] = {"swarm.yml", "nodes.yml", "dependencies.yml",
                                                   "rebalance_config.yml"};
// A config object's name is this prefix and the version number.
inline constexpr char kConfigObjectPrefix[] = "orcastra-config-v";
// Labels of every stored version.
inline constexpr const char* kLabelVersion = config::kStoredVersionLabel;
inline constexpr char kLabelAppliedAt[] = "orcastra.config.applied_at_ms";
inline constexpr char kLabelAppliedBy[] = "orcastra.config.applied_by";
inline constexpr char kLabelAppliedByKey[] = "orcastra.config.applied_by_key";
inline constexpr char kLabelVia[] = "orcastra.config.via";
inline constexpr char kLabelDigest[] = "orcastra.config.digest";
// Swarm's limit on a config object's data (decoded), 500 KiB (swarmkit MaxConfigSize).
inline constexpr std::size_t kMaxStoredDataBytes = 500 * 1024;
// Versions kept after an apply: the new one and the 4 before it (older ones are deleted).
inline constexpr std::size_t kKeptVersions = 5;
// A decoded set never holds more files than kStoredFileNames (unknown names are refused).

// The files of one configuration, by name (a key of kStoredFileNames).
struct ConfigSet {
  std::map<std::string, std::string> files;

  bool operator==(const ConfigSet&) const = default;
};

// Who applied a version and through what, as recorded in its labels.
struct AppliedBy {
  std::string name;        // the operator key's name in the clients file, or "insecure"
  std::string public_key;  // its CURVE public key (Z85), "" without CURVE
  std::string via;         // the instance that stored it ("hostname (node id)")

  bool operator==(const AppliedBy&) const = default;
};

// One stored version, from its config object.
struct StoredVersion {
  std::string id;            // the config object's id
  std::string name;          // orcastra-config-vN
  std::uint64_t number = 0;  // N
  std::int64_t applied_at_ms = 0;
  AppliedBy by;
  std::string digest;  // sha-256 of the data, hex (the label as stored)
  std::string data;    // Spec.Data as stored (base64)

  bool operator==(const StoredVersion&) const = default;
};

// The data of a set: {"format": 1, "files": {NAME: TEXT, ...}}, keys sorted (deterministic).
std::string EncodeSet(const ConfigSet& set);
// A set back from a config object's decoded data. ParseError naming what is wrong: not JSON, no
// "files" object, a format other than 1, a file name outside kStoredFileNames, a text that is not
// a string or not valid UTF-8; at most kMaxStoredDataBytes are looked at.
Result<ConfigSet> DecodeSet(std::string_view data);
// The set of a stored version: base64 decoded, then DecodeSet; the error names the object.
Result<ConfigSet> SetOfVersion(const StoredVersion& version);

// The stored version a config object is; nullopt when it is not one of ours (its name is not
// kConfigObjectPrefix + a number, or it has no version label); ParseError when it claims to be
// one but its labels disagree with its name or are not numbers.
Result<std::optional<StoredVersion>> VersionFromConfig(const ConfigObject& config);

// sha-256 of `bytes`, lowercase hex.
std::string Sha256Hex(std::string_view bytes);

// The config files of `set` through the loader, as `orcastra config check` reads a directory:
// the files are named `origin`/NAME in the diagnostics ("orcastra-config-v3/swarm.yml:4:3").
config::LoadResult ValidateSet(const ConfigSet& set, const std::string& origin,
                               const config::Settings& settings);

// What `orcastra config apply` does with `set`, given the versions stored now.
struct ApplyPlan {
  enum class Kind {
    kRefused,    // nothing is stored: `refusal` and `diagnostics` say why
    kUnchanged,  // the newest stored version holds exactly this set: nothing is stored
    kStore,      // create `name` (number, labels, data), then delete `prune`
  };
  Kind kind = Kind::kRefused;
  std::string refusal;
  std::vector<config::Diagnostic> diagnostics;  // the validation's (warnings on success)
  std::uint64_t number = 0;
  std::string name;
  Labels labels;
  std::string data;                     // base64, as Swarm takes it
  std::vector<StoredVersion> prune;     // oldest first
  std::optional<StoredVersion> newest;  // the newest stored before this apply
};
ApplyPlan PlanApply(const ConfigSet& set, const std::vector<StoredVersion>& stored,
                    const AppliedBy& by, std::int64_t now_ms, const config::Settings& settings);

// Which stored version an instance puts in force. `stored` in any order; `in_force` the number
// in force now (0: none from Swarm); `refused` numbers already refused (not tried again).
struct StoreChoice {
  enum class Kind {
    kNone,  // nothing is stored: the file directory is the source
    kKeep,  // the version in force is still the newest good one
    kLoad,  // load `version`
  };
  Kind kind = Kind::kNone;
  std::optional<StoredVersion> version;
  // Versions newer than the one chosen that were tried and refused before (they stay refused).
  std::vector<std::uint64_t> skipped;
};
// The newest version not refused. It is `kKeep` when that is `in_force`. With nothing in force
// and the newest refused, the newest older one that was not refused is loaded (a fresh instance
// starts from the last good version); with a version in force, an older one is never loaded.
StoreChoice ChooseStored(const std::vector<StoredVersion>& stored, std::uint64_t in_force,
                         const std::set<std::uint64_t>& refused);

// `orcastra config diff`: per file, "unchanged", "added", "removed", or a line diff ("-"/"+"
// lines with two lines of context, `@@` hunks). Files of more than kMaxDiffLines lines are
// summarised ("changed: A lines -> B lines"). Empty when nothing differs.
inline constexpr std::size_t kMaxDiffLines = 4000;
std::string DiffSets(const ConfigSet& from, const ConfigSet& to, const std::string& from_label,
                     const std::string& to_label);

}  // namespace orcastra::leader
