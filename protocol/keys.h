// CurveZMQ keys and the files that hold them (doc/security.md "Key files").
//
// A *key file* holds one key pair (public-key, secret-key) and, for a client (an agent or the
// CLI), the leader public keys it trusts in order of preference (leader-public-key, one line
// each; two during a leader key rotation). The *clients file* lists the public keys the leader
// admits, each with a role and a name. Both are line-based text; every error names FILE:LINE.
// Keys are Z85 text (40 characters for 32 bytes). Nothing here logs; callers must never log or
// print a secret key (KeyFile::secret_key) and print public keys only where a person asked for
// them (`orcastra keys show`).
//
// Pure functions of their input except LoadKeyFile/LoadClientsFile (bounded file reads) and
// NewKeyPair (libzmq's key generation). Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/flags.h"
#include "common/status.h"

namespace orcastra::protocol {

// Z85 text of a CurveZMQ key, and its binary size.
inline constexpr std::size_t kZ85KeyChars = 40;
inline constexpr std::size_t kBinaryKeyBytes = 32;

// Largest key file and clients file read; longest line; most keys in a clients file.
inline constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
inline constexpr std::size_t kMaxClientsFileBytes = 256 * 1024;
inline constexpr std::size_t kMaxKeyLineBytes = 1024;
inline constexpr std::size_t kMaxClients = 1024;
inline constexpr std::size_t kMaxLeaderKeys = 8;
// A client's name in the clients file: 1..64 of [A-Za-z0-9._-].
inline constexpr std::size_t kMaxClientNameBytes = 64;

// Z85 (ZeroMQ RFC 32) of `binary`, whose size is a multiple of 4; nullopt otherwise.
std::optional<std::string> Z85Encode(std::string_view binary);
// The bytes of Z85 `text` (a multiple of 5 characters of the Z85 alphabet, each group of 5 at
// most 0xFFFFFFFF); nullopt for anything else.
std::optional<std::string> Z85Decode(std::string_view text);

// Ok when `text` is a CurveZMQ key in Z85 (40 characters that decode); else ParseError saying
// what is wrong (length, the first character outside the alphabet, a group out of range),
// prefixed by `what`. Never quotes the text itself: it may be a secret key.
Status CheckZ85Key(std::string_view text, std::string_view what);

// Who a client key belongs to, and what it may do (leader/security/plan.h has the table).
enum class Role { kAgent, kOperator, kReadOnly };
// "agent", "operator", "read-only".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view text);

// A key file: a key pair, and for a client the leader public keys it trusts.
struct KeyFile {
  std::string public_key{};                       // Z85
  std::string secret_key{};                       // Z85; never logged
  std::vector<std::string> leader_public_keys{};  // Z85, in order of preference
};

// Parses a key file:
//   file  = *( [ ws ] [ entry / "#" comment ] LF )
//   entry = ( "public-key" / "secret-key" / "leader-public-key" ) ws? "=" ws? key
//   key   = 40 Z85 characters, optionally in double quotes
// public-key and secret-key at most once each, secret-key only with public-key and matching it;
// leader-public-key up to kMaxLeaderKeys times, no duplicates. `require_secret`: a file without
// secret-key is an error (a daemon's or the CLI's own key). Errors: ParseError "PATH:LINE: ...".
Result<KeyFile> ParseKeyFile(std::string_view text, std::string_view path, bool require_secret);

// The text of a key file (ParseKeyFile reads it back); `comment` becomes "# " lines at the top.
std::string FormatKeyFile(const KeyFile& key, std::string_view comment);

// One admitted client key.
struct ClientKey {
  Role role = Role::kReadOnly;
  std::string public_key{};  // Z85
  std::string name{};        // unique in the file
  int line = 0;              // where it is in the clients file
};

// The keys a leader admits (the parsed clients file).
struct KeySet {
  std::vector<ClientKey> clients;
  // The client with this Z85 public key, or nullptr.
  const ClientKey* FindByKey(std::string_view z85) const;
  // The client with this name, or nullptr.
  const ClientKey* FindByName(std::string_view name) const;
  std::size_t CountRole(Role role) const;
};

// Parses a clients file:
//   file  = *( [ ws ] [ entry ] [ ws ] [ "#" comment ] LF )
//   entry = role ws key ws name
//   role  = "agent" / "operator" / "read-only"
//   name  = 1*64( ALPHA / DIGIT / "." / "_" / "-" )
// No key or name twice (the error names both lines), at most kMaxClients entries, at least one.
// Errors: ParseError "PATH:LINE: ..." (an unknown role gets a "did you mean").
Result<KeySet> ParseClientsFile(std::string_view text, std::string_view path);

// The text of a clients file (ParseClientsFile reads it back).
std::string FormatClientsFile(const KeySet& keys, std::string_view comment);

// A fresh CurveZMQ key pair (libzmq, from libsodium's random source).
Result<KeyFile> NewKeyPair();

// Reads and parses a key file (at most kMaxKeyFileBytes). `*warning` (when given) is set to a
// sentence when a file with a secret key can be read by group or others.
Result<KeyFile> LoadKeyFile(const std::string& path, bool require_secret,
                            std::string* warning = nullptr);
Result<KeySet> LoadClientsFile(const std::string& path);

// Writes `content` to `path` with `mode`, refusing to replace an existing file (O_EXCL).
Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode);

// Where the CLI looks for its key, in order: $ORCASTRA_KEY (when set, the only place), then
// $HOME/.config/orcastra/client.key, then /etc/orcastra/client.key.
std::vector<std::string> ClientKeyCandidates(const EnvLookup& env);

}  // namespace orcastra::protocol
