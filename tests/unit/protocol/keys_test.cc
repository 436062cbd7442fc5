// Key files and the clients file (protocol/keys.h): Z85, parsing with FILE:LINE errors, and where
// the CLI looks for its key.
#include "protocol/keys.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>

namespace orcastra::protocol {
namespace {

std::string ErrorOf(const Result<KeyFile>& result) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == Status::Code::kParseError);
  return result.status().message();
}
std::string ErrorOf(const Result<KeySet>& result) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == Status::Code::kParseError);
  return result.status().message();
}

TEST_CASE("keys: Z85 as ZeroMQ RFC 32 specifies it", "[keys]") {
  const std::string binary("\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B", 8);
  CHECK(Z85Encode(binary) == "HelloWorld");
  CHECK(Z85Decode("HelloWorld") == binary);
  CHECK_FALSE(Z85Encode("abc").has_value());                        // not a multiple of 4
  CHECK_FALSE(Z85Decode("Hello1").has_value());                     // not a multiple of 5
  CHECK_FALSE(Z85Decode("Hell\"").has_value());                     // outside the alphabet
  CHECK_FALSE(Z85Decode("#####").has_value());                      // 84*85^4+... > 2^32-1
  CHECK(Z85Decode("%nSc0") == std::string("\xff\xff\xff\xff", 4));  // the largest group
  const KeyFile pair = *NewKeyPair();
  CHECK(Z85Encode(*Z85Decode(pair.public_key)) == pair.public_key);
  CHECK(CheckZ85Key(pair.public_key, "k").ok());
  CHECK_THAT(CheckZ85Key("abc", "k").message(), Catch::Contains("k: 3 characters"));
  CHECK_THAT(CheckZ85Key(std::string(39, 'a') + "\"", "k").message(),
             Catch::Contains("character 40 is not in the Z85 alphabet"));
  CHECK_THAT(CheckZ85Key(std::string(40, '#'), "k").message(), Catch::Contains("out of range"));
}

TEST_CASE("keys: a key file round-trips and keeps the leader keys in order", "[keys]") {
  KeyFile key = *NewKeyPair();
  key.leader_public_keys = {NewKeyPair()->public_key, NewKeyPair()->public_key};
  const std::string text = FormatKeyFile(key, "a comment\nover two lines");
  CHECK(text.rfind("# a comment\n# over two lines\n", 0) == 0);
  auto parsed = ParseKeyFile(text, "agent.key", /*require_secret=*/true);
  REQUIRE(parsed.ok());
  CHECK(parsed->public_key == key.public_key);
  CHECK(parsed->secret_key == key.secret_key);
  CHECK(parsed->leader_public_keys == key.leader_public_keys);

  // Bare values, spaces, CRLF and blank lines are fine too.
  const std::string loose = "\r\n  public-key=" + key.public_key + "\r\n\n\tsecret-key =  \"" +
                            key.secret_key + "\"  \r\n";
  auto loose_parsed = ParseKeyFile(loose, "x", true);
  INFO(loose_parsed.status().ToString());
  REQUIRE(loose_parsed.ok());
  CHECK(loose_parsed->secret_key == key.secret_key);

  // A public key alone is a valid file where no secret is needed.
  auto pub = ParseKeyFile("public-key = " + key.public_key + "\n", "leader.pub", false);
  REQUIRE(pub.ok());
  CHECK(pub->secret_key.empty());
}

TEST_CASE("keys: key file errors name the file, the line and the problem", "[keys]") {
  const KeyFile key = *NewKeyPair();
  const KeyFile other = *NewKeyPair();
  const std::string pub = "public-key = \"" + key.public_key + "\"\n";
  const std::string sec = "secret-key = \"" + key.secret_key + "\"\n";

  CHECK(ErrorOf(ParseKeyFile("", "k.key", false)) == "k.key:1: no public-key in the file");
  CHECK(ErrorOf(ParseKeyFile("# only a comment\n", "k.key", false)) ==
        "k.key:1: no public-key in the file");
  CHECK_THAT(ErrorOf(ParseKeyFile(pub, "k.key", true)),
             Catch::StartsWith("k.key:1: no secret-key in the file"));
  CHECK_THAT(ErrorOf(ParseKeyFile("# x\npublic-kye = " + key.public_key + "\n", "k.key", false)),
             Catch::Equals("k.key:2: unknown entry 'public-kye'; did you mean 'public-key'?"));
  CHECK_THAT(ErrorOf(ParseKeyFile(pub + "just words\n", "k.key", false)),
             Catch::StartsWith("k.key:2: expected NAME = KEY"));
  CHECK_THAT(ErrorOf(ParseKeyFile(pub + pub, "k.key", false)),
             Catch::Equals("k.key:2: a second public-key (the first is on line 1)"));
  CHECK_THAT(ErrorOf(ParseKeyFile(pub + sec + sec, "k.key", false)),
             Catch::Equals("k.key:3: a second secret-key (the first is on line 2)"));
  CHECK_THAT(ErrorOf(ParseKeyFile("public-key = abc\n", "k.key", false)),
             Catch::StartsWith("k.key:1: public-key: 3 characters"));
  // A secret key of another pair: caught, and the secret is not quoted in the message.
  const std::string mismatched = pub + "secret-key = " + other.secret_key + "\n";
  const std::string error = ErrorOf(ParseKeyFile(mismatched, "k.key", true));
  CHECK(error == "k.key:2: secret-key does not belong to the public-key on line 1");
  CHECK(error.find(other.secret_key) == std::string::npos);
  // Leader keys: no duplicates, at most kMaxLeaderKeys.
  const std::string leader = "leader-public-key = " + other.public_key + "\n";
  CHECK_THAT(ErrorOf(ParseKeyFile(pub + leader + leader, "k.key", false)),
             Catch::Equals("k.key:3: the same leader-public-key as on line 2"));
  std::string many = pub;
  for (std::size_t i = 0; i <= kMaxLeaderKeys; ++i) {
    many += "leader-public-key = " + NewKeyPair()->public_key + "\n";
  }
  CHECK_THAT(ErrorOf(ParseKeyFile(many, "k.key", false)),
             Catch::Contains("more than 8 leader-public-key lines"));
  CHECK_THAT(ErrorOf(ParseKeyFile(std::string(2000, 'x') + "\n", "k.key", false)),
             Catch::Equals("k.key:1: line longer than 1024 bytes"));
}

TEST_CASE("keys: a clients file round-trips", "[keys]") {
  KeySet keys;
  keys.clients = {{Role::kAgent, NewKeyPair()->public_key, "agents", 0},
                  {Role::kOperator, NewKeyPair()->public_key, "alice", 0},
                  {Role::kReadOnly, NewKeyPair()->public_key, "grafana.prod_1", 0}};
  auto parsed = ParseClientsFile(FormatClientsFile(keys, "who may connect"), "clients");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->clients.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(parsed->clients[i].role == keys.clients[i].role);
    CHECK(parsed->clients[i].public_key == keys.clients[i].public_key);
    CHECK(parsed->clients[i].name == keys.clients[i].name);
    CHECK(parsed->clients[i].line == static_cast<int>(i) + 2);  // after the comment line
  }
  CHECK(parsed->FindByKey(keys.clients[1].public_key)->name == "alice");
  CHECK(parsed->FindByName("grafana.prod_1")->role == Role::kReadOnly);
  CHECK(parsed->FindByKey(NewKeyPair()->public_key) == nullptr);
  CHECK(parsed->CountRole(Role::kAgent) == 1);

  // A comment after the fields; a key that contains '#' (Z85 has it) is not cut.
  std::string hashed;
  do {
    hashed = NewKeyPair()->public_key;
  } while (hashed.find('#') == std::string::npos && hashed.find('=') == std::string::npos);
  auto commented = ParseClientsFile(
      "  # header\n\noperator " + hashed + " bob   # added 2026-12-01\n", "clients");
  REQUIRE(commented.ok());
  CHECK(commented->clients.at(0).public_key == hashed);
  CHECK(commented->clients.at(0).line == 3);
}

TEST_CASE("keys: clients file errors name the file, the line and the problem", "[keys]") {
  const std::string a = NewKeyPair()->public_key;
  const std::string b = NewKeyPair()->public_key;
  CHECK_THAT(ErrorOf(ParseClientsFile("", "clients")), Catch::Contains("clients: no keys"));
  CHECK_THAT(ErrorOf(ParseClientsFile("# nobody\n", "clients")), Catch::Contains("no keys"));
  CHECK(ErrorOf(ParseClientsFile("operater " + a + " x\n", "/run/secrets/c")) ==
        "/run/secrets/c:1: unknown role 'operater'; did you mean 'operator'?");
  CHECK(ErrorOf(ParseClientsFile("admin " + a + " x\n", "c")) ==
        "c:1: unknown role 'admin' (agent, operator, read-only)");
  CHECK(ErrorOf(ParseClientsFile("agent " + a + "\n", "c")) ==
        "c:1: expected ROLE KEY NAME, got 2 fields");
  CHECK(ErrorOf(ParseClientsFile("agent " + a + " x y\n", "c")) ==
        "c:1: expected ROLE KEY NAME, got 4 fields");
  CHECK_THAT(ErrorOf(ParseClientsFile("\nagent " + a.substr(1) + " x\n", "c")),
             Catch::StartsWith("c:2: key: 39 characters"));
  CHECK_THAT(ErrorOf(ParseClientsFile("agent " + a + " bad/name\n", "c")),
             Catch::StartsWith("c:1: name 'bad/name': 1 to 64 of"));
  CHECK_THAT(ErrorOf(ParseClientsFile("agent " + a + " " + std::string(65, 'n') + "\n", "c")),
             Catch::StartsWith("c:1: name"));
  CHECK(ErrorOf(ParseClientsFile("agent " + a + " x\noperator " + a + " y\n", "c")) ==
        "c:2: the same key as line 1 ('x')");
  CHECK(ErrorOf(ParseClientsFile("agent " + a + " x\noperator " + b + " x\n", "c")) ==
        "c:2: the name 'x' is taken by line 1");
  std::string full;
  for (std::size_t i = 0; i <= kMaxClients; ++i) {
    full += "read-only " + NewKeyPair()->public_key + " k" + std::to_string(i) + "\n";
  }
  CHECK_THAT(ErrorOf(ParseClientsFile(full, "c")), Catch::Contains("c:1025: more than 1024 keys"));
}

TEST_CASE("keys: roles by name", "[keys]") {
  for (Role role : {Role::kAgent, Role::kOperator, Role::kReadOnly}) {
    CHECK(ParseRole(RoleName(role)) == role);
  }
  CHECK(RoleName(Role::kReadOnly) == "read-only");
  CHECK_FALSE(ParseRole("Operator").has_value());
  CHECK_FALSE(ParseRole("").has_value());
}

TEST_CASE("keys: where the CLI looks for its key", "[keys]") {
  std::map<std::string, std::string> vars;
  EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  CHECK(ClientKeyCandidates(env) == std::vector<std::string>{"/etc/orcastra/client.key"});
  vars["HOME"] = "/home/op";
  CHECK(ClientKeyCandidates(env) == std::vector<std::string>{"/home/op/.config/orcastra/client.key",
                                                             "/etc/orcastra/client.key"});
  vars["ORCASTRA_KEY"] = "/srv/k.key";
  CHECK(ClientKeyCandidates(env) == std::vector<std::string>{"/srv/k.key"});
  vars["ORCASTRA_KEY"] = "";  // set but empty: as if unset
  CHECK(ClientKeyCandidates(env).size() == 2);
}

}  // namespace
}  // namespace orcastra::protocol
