// `orcastra keys` (leader/cli/keys.h): the files it writes, their modes, what it refuses, a
// leader key rotation on files, and that no secret key is ever printed.
#include "leader/cli/keys.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "protocol/keys.h"
#include "tests/support/temp_dir.h"

namespace orcastra::leader {
namespace {

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

Run Keys(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Run run;
  run.code = RunKeysCommand(
      args, [](const std::string&) { return std::nullopt; }, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

unsigned Mode(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

protocol::KeyFile Load(const std::string& path) {
  auto key = protocol::LoadKeyFile(path, /*require_secret=*/false);
  INFO(key.status().ToString());
  REQUIRE(key.ok());
  return *key;
}

TEST_CASE("keys init: a complete set, secrets 0600, clients admitting each", "[keys][cli]") {
  testing::TempDir tmp("keys");
  const std::string dir = tmp / "keys";
  Run run = Keys({"init", dir});
  INFO(run.err);
  REQUIRE(run.code == 0);
  CHECK(Mode(dir) == 0700);
  for (const char* secret : {"leader.key", "agent.key", "operator.key", "read-only.key"}) {
    INFO(secret);
    CHECK(Mode(dir + "/" + secret) == 0600);
  }
  CHECK(Mode(dir + "/leader.pub") == 0644);
  CHECK(Mode(dir + "/clients") == 0644);
  const protocol::KeyFile leader = Load(dir + "/leader.key");
  CHECK_FALSE(leader.secret_key.empty());
  CHECK(Load(dir + "/leader.pub").secret_key.empty());
  auto clients = protocol::LoadClientsFile(dir + "/clients");
  REQUIRE(clients.ok());
  struct Expect {
    const char* file;
    protocol::Role role;
  };
  for (const Expect& e : {Expect{"agent.key", protocol::Role::kAgent},
                          Expect{"operator.key", protocol::Role::kOperator},
                          Expect{"read-only.key", protocol::Role::kReadOnly}}) {
    const protocol::KeyFile key = Load(dir + "/" + e.file);
    CHECK(key.leader_public_keys == std::vector<std::string>{leader.public_key});
    const protocol::ClientKey* admitted = clients->FindByKey(key.public_key);
    REQUIRE(admitted != nullptr);
    CHECK(admitted->role == e.role);
  }
  // Never twice, never overwriting.
  const std::string before = tmp.Read("keys/leader.key");
  Run again = Keys({"init", dir});
  CHECK(again.code == 1);
  CHECK_THAT(again.err, Catch::Contains("keys exist already"));
  CHECK(tmp.Read("keys/leader.key") == before);
  // Nothing secret was printed.
  CHECK(run.out.find(leader.secret_key) == std::string::npos);
}

TEST_CASE("keys new: another client key, added to the clients file", "[keys][cli]") {
  testing::TempDir tmp("keys");
  const std::string dir = tmp / "k";
  REQUIRE(Keys({"init", dir}).code == 0);
  Run run = Keys({"new", "bob", "--role", "operator", dir});
  INFO(run.err);
  REQUIRE(run.code == 0);
  CHECK(Mode(dir + "/bob.key") == 0600);
  const protocol::KeyFile bob = Load(dir + "/bob.key");
  CHECK(bob.leader_public_keys == std::vector<std::string>{Load(dir + "/leader.key").public_key});
  auto clients = protocol::LoadClientsFile(dir + "/clients");
  REQUIRE(clients.ok());
  REQUIRE(clients->FindByName("bob") != nullptr);
  CHECK(clients->FindByName("bob")->public_key == bob.public_key);
  CHECK(clients->FindByName("bob")->role == protocol::Role::kOperator);
  CHECK(Keys({"new", "bob", "--role", "operator", dir}).code == 1);  // the name is taken
  CHECK(Keys({"new", "eve", "--role", "admin", dir}).code == 2);
  CHECK(Keys({"new", "bad/name", "--role", "operator", dir}).code == 1);
  CHECK(Keys({"new", "x", dir}).code == 2);  // no role
}

TEST_CASE("keys rotate-leader and finish-rotation: clients trust both, then the new one",
          "[keys][cli]") {
  testing::TempDir tmp("keys");
  const std::string dir = tmp / "k";
  REQUIRE(Keys({"init", dir}).code == 0);
  const std::string old_key = Load(dir + "/leader.key").public_key;
  Run rotate = Keys({"rotate-leader", dir});
  INFO(rotate.err);
  REQUIRE(rotate.code == 0);
  const std::string next_key = Load(dir + "/leader.next.key").public_key;
  CHECK(Mode(dir + "/leader.next.key") == 0600);
  for (const char* file : {"agent.key", "operator.key", "read-only.key"}) {
    INFO(file);
    CHECK(Load(dir + "/" + file).leader_public_keys == std::vector<std::string>{old_key, next_key});
    CHECK(Mode(dir + "/" + file) == 0600);
    CHECK_THAT(tmp.Read(std::string("k/") + file), Catch::StartsWith("# Orcastra"));
  }
  CHECK(Keys({"rotate-leader", dir}).code == 1);  // one rotation at a time
  // A key made during the rotation trusts both too.
  REQUIRE(Keys({"new", "ci", "--role", "read-only", dir}).code == 0);
  CHECK(Load(dir + "/ci.key").leader_public_keys.size() == 2);
  Run finish = Keys({"finish-rotation", dir});
  INFO(finish.err);
  REQUIRE(finish.code == 0);
  CHECK(Load(dir + "/leader.key").public_key == next_key);
  CHECK(Load(dir + "/leader.old.key").public_key == old_key);
  CHECK(Load(dir + "/leader.pub").public_key == next_key);
  for (const char* file : {"agent.key", "operator.key", "read-only.key", "ci.key"}) {
    CHECK(Load(dir + "/" + file).leader_public_keys == std::vector<std::string>{next_key});
  }
  CHECK(Keys({"finish-rotation", dir}).code == 1);  // nothing under way
}

TEST_CASE("keys show: what a file holds, never the secret; errors with FILE:LINE", "[keys][cli]") {
  testing::TempDir tmp("keys");
  const std::string dir = tmp / "k";
  REQUIRE(Keys({"init", dir}).code == 0);
  const protocol::KeyFile op = Load(dir + "/operator.key");
  Run show = Keys({"show", dir + "/operator.key"});
  REQUIRE(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains(op.public_key) && Catch::Contains("present (not shown)"));
  CHECK(show.out.find(op.secret_key) == std::string::npos);
  Run clients = Keys({"show", dir + "/clients"});
  REQUIRE(clients.code == 0);
  CHECK_THAT(clients.out, Catch::Contains("3 key(s)"));
  tmp.Write("broken", "public-key = tooshort\n");
  Run broken = Keys({"show", tmp / "broken"});
  CHECK(broken.code == 1);
  CHECK_THAT(broken.err, Catch::Contains(tmp / "broken") && Catch::Contains(":1: public-key"));
  CHECK(Keys({}).code == 2);
  CHECK(Keys({"frobnicate"}).code == 2);
}

}  // namespace
}  // namespace orcastra::leader
