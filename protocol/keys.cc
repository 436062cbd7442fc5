#include "protocol/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <map>

#include "common/files.h"
#include "common/strings.h"

namespace orcastra::protocol {
namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// The value of a Z85 character, or -1.
int Z85Value(char c) {
  static const std::array<int, 256> kTable = [] {
    std::array<int, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < kZ85Alphabet.size(); ++i) {
      table[static_cast<unsigned char>(kZ85Alphabet[i])] = static_cast<int>(i);
    }
    return table;
  }();
  return kTable[static_cast<unsigned char>(c)];
}

std::string At(std::string_view path, int line) {
  return std::string(path) + ":" + std::to_string(line) + ": ";
}

// The lines of `text` (without their LF; a CR before it is kept and treated as whitespace).
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits `line` into whitespace-separated fields.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size()) break;
    std::size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

// A key value as written: bare or in double quotes.
std::string_view Unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxClientNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The Z85 public key of a Z85 secret key (libzmq's curve25519 base point multiplication).
std::optional<std::string> PublicOf(const std::string& secret_z85) {
  char public_key[kZ85KeyChars + 1] = {};
  if (zmq_curve_public(public_key, secret_z85.c_str()) != 0) return std::nullopt;
  return std::string(public_key, kZ85KeyChars);
}

std::string CommentLines(std::string_view comment) {
  std::string out;
  for (std::string_view line : Lines(comment)) {
    out += "# ";
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace

std::optional<std::string> Z85Encode(std::string_view binary) {
  if (binary.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(binary.size() / 4 * 5);
  for (std::size_t i = 0; i < binary.size(); i += 4) {
    std::uint32_t value = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      value = value * 256 + static_cast<unsigned char>(binary[i + j]);
    }
    char group[5];
    for (int j = 4; j >= 0; --j) {
      group[j] = kZ85Alphabet[value % 85];
      value /= 85;
    }
    out.append(group, 5);
  }
  return out;
}

std::optional<std::string> Z85Decode(std::string_view text) {
  if (text.size() % 5 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (std::size_t i = 0; i < text.size(); i += 5) {
    std::uint64_t value = 0;
    for (std::size_t j = 0; j < 5; ++j) {
      const int digit = Z85Value(text[i + j]);
      if (digit < 0) return std::nullopt;
      value = value * 85 + static_cast<std::uint64_t>(digit);
    }
    if (value > 0xFFFFFFFFull) return std::nullopt;
    for (int shift = 24; shift >= 0; shift -= 8) {
      out += static_cast<char>((value >> shift) & 0xFF);
    }
  }
  return out;
}

Status CheckZ85Key(std::string_view text, std::string_view what) {
  const std::string prefix = std::string(what) + ": ";
  if (text.size() != kZ85KeyChars) {
    return Status::ParseError(prefix + std::to_string(text.size()) +
                              " characters; a CurveZMQ key in Z85 has " +
                              std::to_string(kZ85KeyChars));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (Z85Value(text[i]) < 0) {
      return Status::ParseError(prefix + "character " + std::to_string(i + 1) +
                                " is not in the Z85 alphabet");
    }
  }
  if (!Z85Decode(text)) return Status::ParseError(prefix + "not a valid Z85 key (out of range)");
  return Status::Ok();
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAgent:
      return "agent";
    case Role::kOperator:
      return "operator";
    case Role::kReadOnly:
      return "read-only";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view text) {
  for (Role role : {Role::kAgent, Role::kOperator, Role::kReadOnly}) {
    if (text == RoleName(role)) return role;
  }
  return std::nullopt;
}

Result<KeyFile> ParseKeyFile(std::string_view text, std::string_view path, bool require_secret) {
  KeyFile key;
  int public_line = 0;
  int secret_line = 0;
  std::map<std::string, int> leader_lines;
  const std::vector<std::string_view> lines = Lines(text);
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const int number = static_cast<int>(index) + 1;
    const std::string_view raw = lines[index];
    if (raw.size() > kMaxKeyLineBytes) {
      return Status::ParseError(At(path, number) + "line longer than " +
                                std::to_string(kMaxKeyLineBytes) + " bytes");
    }
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Status::ParseError(At(path, number) +
                                "expected NAME = KEY (public-key, secret-key, leader-public-key)");
    }
    const std::string_view name = Trim(line.substr(0, equals));
    const std::string_view value = Unquote(Trim(line.substr(equals + 1)));
    if (name != "public-key" && name != "secret-key" && name != "leader-public-key") {
      std::string_view guess =
          ClosestMatch(name, {"public-key", "secret-key", "leader-public-key"});
      // `name` is what precedes '=': it cannot hold a key, so it may be quoted.
      return Status::ParseError(At(path, number) + "unknown entry " + Quote(name.substr(0, 64)) +
                                (guess.empty()
                                     ? std::string(" (public-key, secret-key, leader-public-key)")
                                     : "; did you mean " + Quote(guess) + "?"));
    }
    const std::string field(name);
    if (Status bad = CheckZ85Key(value, At(path, number) + field); !bad.ok()) return bad;
    if (name == "public-key") {
      if (public_line != 0) {
        return Status::ParseError(At(path, number) + "a second public-key (the first is on line " +
                                  std::to_string(public_line) + ")");
      }
      public_line = number;
      key.public_key = std::string(value);
    } else if (name == "secret-key") {
      if (secret_line != 0) {
        return Status::ParseError(At(path, number) + "a second secret-key (the first is on line " +
                                  std::to_string(secret_line) + ")");
      }
      secret_line = number;
      key.secret_key = std::string(value);
    } else {
      auto [it, fresh] = leader_lines.emplace(std::string(value), number);
      if (!fresh) {
        return Status::ParseError(At(path, number) + "the same leader-public-key as on line " +
                                  std::to_string(it->second));
      }
      if (key.leader_public_keys.size() == kMaxLeaderKeys) {
        return Status::ParseError(At(path, number) + "more than " + std::to_string(kMaxLeaderKeys) +
                                  " leader-public-key lines");
      }
      key.leader_public_keys.emplace_back(value);
    }
  }
  const int end = static_cast<int>(lines.size());
  if (public_line == 0) {
    return Status::ParseError(At(path, end == 0 ? 1 : end) + "no public-key in the file");
  }
  if (secret_line == 0 && require_secret) {
    return Status::ParseError(At(path, end) +
                              "no secret-key in the file (this is a public key only; the key "
                              "file with both keys is needed here)");
  }
  if (secret_line != 0) {
    std::optional<std::string> derived = PublicOf(key.secret_key);
    if (!derived || *derived != key.public_key) {
      return Status::ParseError(At(path, secret_line) +
                                "secret-key does not belong to the public-key on line " +
                                std::to_string(public_line));
    }
  }
  return key;
}

std::string FormatKeyFile(const KeyFile& key, std::string_view comment) {
  std::string out = CommentLines(comment);
  out += "public-key = \"" + key.public_key + "\"\n";
  if (!key.secret_key.empty()) out += "secret-key = \"" + key.secret_key + "\"\n";
  for (const std::string& leader : key.leader_public_keys) {
    out += "leader-public-key = \"" + leader + "\"\n";
  }
  return out;
}

const ClientKey* KeySet::FindByKey(std::string_view z85) const {
  for (const ClientKey& client : clients) {
    if (client.public_key == z85) return &client;
  }
  return nullptr;
}

const ClientKey* KeySet::FindByName(std::string_view name) const {
  for (const ClientKey& client : clients) {
    if (client.name == name) return &client;
  }
  return nullptr;
}

std::size_t KeySet::CountRole(Role role) const {
  std::size_t count = 0;
  for (const ClientKey& client : clients) count += client.role == role ? 1 : 0;
  return count;
}

Result<KeySet> ParseClientsFile(std::string_view text, std::string_view path) {
  KeySet keys;
  const std::vector<std::string_view> lines = Lines(text);
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const int number = static_cast<int>(index) + 1;
    if (lines[index].size() > kMaxKeyLineBytes) {
      return Status::ParseError(At(path, number) + "line longer than " +
                                std::to_string(kMaxKeyLineBytes) + " bytes");
    }
    std::vector<std::string_view> fields = Fields(lines[index]);
    if (fields.empty() || fields.front().front() == '#') continue;
    // A comment may follow the three fields (a key may contain '#', so only after them).
    if (fields.size() > 3 && fields[3].front() == '#') fields.resize(3);
    if (fields.size() != 3) {
      return Status::ParseError(At(path, number) + "expected ROLE KEY NAME, got " +
                                std::to_string(fields.size()) + " field" +
                                (fields.size() == 1 ? "" : "s"));
    }
    ClientKey client;
    client.line = number;
    std::optional<Role> role = ParseRole(fields[0]);
    if (!role) {
      std::string_view guess = ClosestMatch(fields[0], {"agent", "operator", "read-only"});
      return Status::ParseError(At(path, number) + "unknown role " +
                                Quote(fields[0].substr(0, 64)) +
                                (guess.empty() ? std::string(" (agent, operator, read-only)")
                                               : "; did you mean " + Quote(guess) + "?"));
    }
    client.role = *role;
    const std::string_view key = Unquote(fields[1]);
    if (Status bad = CheckZ85Key(key, At(path, number) + "key"); !bad.ok()) return bad;
    client.public_key = std::string(key);
    if (!ValidName(fields[2])) {
      return Status::ParseError(At(path, number) + "name " + Quote(fields[2].substr(0, 64)) +
                                ": 1 to " + std::to_string(kMaxClientNameBytes) +
                                " of A-Z a-z 0-9 . _ -");
    }
    client.name = std::string(fields[2]);
    if (const ClientKey* earlier = keys.FindByKey(client.public_key)) {
      return Status::ParseError(At(path, number) + "the same key as line " +
                                std::to_string(earlier->line) + " ('" + earlier->name + "')");
    }
    if (const ClientKey* earlier = keys.FindByName(client.name)) {
      return Status::ParseError(At(path, number) + "the name '" + client.name +
                                "' is taken by line " + std::to_string(earlier->line));
    }
    if (keys.clients.size() == kMaxClients) {
      return Status::ParseError(At(path, number) + "more than " + std::to_string(kMaxClients) +
                                " keys");
    }
    keys.clients.push_back(std::move(client));
  }
  if (keys.clients.empty()) {
    return Status::ParseError(std::string(path) +
                              ": no keys: nobody could connect (a line is ROLE KEY NAME)");
  }
  return keys;
}

std::string FormatClientsFile(const KeySet& keys, std::string_view comment) {
  std::string out = CommentLines(comment);
  for (const ClientKey& client : keys.clients) {
    std::string role(RoleName(client.role));
    role.resize(10, ' ');
    out += role + client.public_key + "  " + client.name + "\n";
  }
  return out;
}

Result<KeyFile> NewKeyPair() {
  char public_key[kZ85KeyChars + 1] = {};
  char secret_key[kZ85KeyChars + 1] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Unsupported(
        "this libzmq cannot make CurveZMQ keys (built without CURVE support)");
  }
  KeyFile key;
  key.public_key.assign(public_key, kZ85KeyChars);
  key.secret_key.assign(secret_key, kZ85KeyChars);
  return key;
}

Result<KeyFile> LoadKeyFile(const std::string& path, bool require_secret, std::string* warning) {
  auto text = ReadFileBounded(path, kMaxKeyFileBytes);
  if (!text.ok()) return text.status();
  auto key = ParseKeyFile(*text, path, require_secret);
  if (key.ok() && warning != nullptr && !key->secret_key.empty()) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
      *warning = "the key file '" + path + "' holds a secret key and can be read by " +
                 ((info.st_mode & 007) != 0 ? "anyone" : "its group") + " (mode " +
                 std::to_string((info.st_mode >> 6) & 7) + std::to_string((info.st_mode >> 3) & 7) +
                 std::to_string(info.st_mode & 7) + "); make it 0600 or 0400";
    }
  }
  return key;
}

Result<KeySet> LoadClientsFile(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxClientsFileBytes);
  if (!text.ok()) return text.status();
  return ParseClientsFile(*text, path);
}

Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.ok()) {
    if (errno == EEXIST) {
      return Status::InvalidArgument("'" + path + "' exists; it is never overwritten");
    }
    return IoFailure("cannot create", path, errno);
  }
  // The umask may have taken bits away; never added any. Make the mode exact.
  if (::fchmod(fd.get(), mode) != 0) return IoFailure("cannot chmod", path, errno);
  ORC_RETURN_IF_ERROR(WriteAll(fd.get(), content, path));
  if (::fsync(fd.get()) != 0) return IoFailure("cannot fsync", path, errno);
  if (int error = fd.Close(); error != 0) return IoFailure("cannot close", path, error);
  return Status::Ok();
}

std::vector<std::string> ClientKeyCandidates(const EnvLookup& env) {
  if (auto explicit_path = env("ORCASTRA_KEY"); explicit_path && !explicit_path->empty()) {
    return {*explicit_path};
  }
  std::vector<std::string> out;
  if (auto home = env("HOME"); home && !home->empty()) {
    out.push_back(*home + "/.config/orcastra/client.key");
  }
  out.push_back("/etc/orcastra/client.key");
  return out;
}

}  // namespace orcastra::protocol
