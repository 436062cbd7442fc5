// protocol::ParseKeyFile (with and without a required secret), ParseClientsFile and Z85 on any
// text: key files and the clients file come from files an operator (or a careless tool) writes,
// and reach the leader, the agents and the CLI as Docker secrets. Invariants: errors are
// ParseError "FILE:LINE: ..." (the clients file's "no keys" names the file only) with LINE within
// the file; an accepted key file holds valid keys (a secret that belongs to its public key, leader
// keys unique and at most kMaxLeaderKeys) and reads back the same from FormatKeyFile; an accepted
// clients file has 1..kMaxClients entries with unique keys and names and reads back the same;
// Z85 decodes what it encodes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/keys.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

namespace {

std::size_t LineCount(std::string_view text) {
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

// The LINE of "FILE:LINE: ..." (0 when there is none).
std::size_t ErrorLine(const std::string& message, const std::string& file) {
  FUZZ_CHECK(message.rfind(file + ":", 0) == 0);
  std::size_t pos = file.size() + 1;
  std::size_t line = 0;
  while (pos < message.size() && message[pos] >= '0' && message[pos] <= '9') {
    line = line * 10 + static_cast<std::size_t>(message[pos] - '0');
    ++pos;
  }
  return line;
}

void CheckKey(const std::string& key) { FUZZ_CHECK(protocol::CheckZ85Key(key, "k").ok()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  const std::size_t lines = LineCount(text);
  for (bool require_secret : {false, true}) {
    auto key = protocol::ParseKeyFile(text, "k.key", require_secret);
    if (!key.ok()) {
      FUZZ_CHECK(key.status().code() == Status::Code::kParseError);
      const std::size_t line = ErrorLine(key.status().message(), "k.key");
      FUZZ_CHECK(line >= 1 && line <= lines);
      continue;
    }
    CheckKey(key->public_key);
    FUZZ_CHECK(!require_secret || !key->secret_key.empty());
    if (!key->secret_key.empty()) CheckKey(key->secret_key);
    FUZZ_CHECK(key->leader_public_keys.size() <= protocol::kMaxLeaderKeys);
    for (std::size_t i = 0; i < key->leader_public_keys.size(); ++i) {
      CheckKey(key->leader_public_keys[i]);
      for (std::size_t j = 0; j < i; ++j) {
        FUZZ_CHECK(key->leader_public_keys[i] != key->leader_public_keys[j]);
      }
    }
    auto back = protocol::ParseKeyFile(protocol::FormatKeyFile(*key, "x"), "k.key", require_secret);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back->public_key == key->public_key && back->secret_key == key->secret_key &&
               back->leader_public_keys == key->leader_public_keys);
  }

  auto clients = protocol::ParseClientsFile(text, "clients");
  if (!clients.ok()) {
    FUZZ_CHECK(clients.status().code() == Status::Code::kParseError);
    const std::size_t line = ErrorLine(clients.status().message(), "clients");
    FUZZ_CHECK(line <= lines);  // 0: about the whole file ("no keys")
  } else {
    FUZZ_CHECK(!clients->clients.empty() && clients->clients.size() <= protocol::kMaxClients);
    for (std::size_t i = 0; i < clients->clients.size(); ++i) {
      const auto& client = clients->clients[i];
      CheckKey(client.public_key);
      FUZZ_CHECK(!client.name.empty() && client.name.size() <= protocol::kMaxClientNameBytes);
      FUZZ_CHECK(clients->FindByKey(client.public_key) == &client);
      FUZZ_CHECK(clients->FindByName(client.name) == &client);
      FUZZ_CHECK(client.line >= 1 && static_cast<std::size_t>(client.line) <= lines);
    }
    auto back = protocol::ParseClientsFile(protocol::FormatClientsFile(*clients, "x"), "clients");
    FUZZ_CHECK(back.ok() && back->clients.size() == clients->clients.size());
    for (std::size_t i = 0; i < back->clients.size(); ++i) {
      FUZZ_CHECK(back->clients[i].role == clients->clients[i].role &&
                 back->clients[i].public_key == clients->clients[i].public_key &&
                 back->clients[i].name == clients->clients[i].name);
    }
  }

  if (auto decoded = protocol::Z85Decode(text)) {
    FUZZ_CHECK(decoded->size() == size / 5 * 4);
    FUZZ_CHECK(protocol::Z85Encode(*decoded) == text);
  }
  if (size % 4 == 0) {
    auto encoded = protocol::Z85Encode(text);
    FUZZ_CHECK(encoded && protocol::Z85Decode(*encoded) == text);
  }
  return 0;
}
