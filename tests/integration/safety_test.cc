// The safety record in a real Swarm (the lab's single manager): the config object's
// compare-and-swap and its fencing by the lease term (leader/safety/store.h), a record at every
// bound stored and read back, and two keepers handing the backoff over (leader/safety/keeper.h).
#include <catch2/catch.hpp>
#include <cstdlib>

#include "common/clock.h"
#include "leader/safety/codec.h"
#include "leader/safety/keeper.h"
#include "leader/safety/store.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

docker::ClientOptions LabOptions() {
  const char* socket = std::getenv("ORCASTRA_TEST_DOCKER_SOCKET");
  if (socket == nullptr)
    FAIL("ORCASTRA_TEST_DOCKER_SOCKET is not set; run through tests/integration/with_lab");
  return {.socket_path = socket};
}

// A record object of the test's own, removed at the end.
struct ScopedConfigName {
  explicit ScopedConfigName(std::string n) : name(std::move(n)) { Remove(); }
  ~ScopedConfigName() { Remove(); }
  void Remove() {
    docker::Client docker(LabOptions());
    auto configs = docker.GetJson("/configs");
    if (!configs.ok()) return;
    for (const auto& c : *configs) {
      if (c["Spec"]["Name"] == name)
        (void)docker.Call("DELETE", "/configs/" + c["ID"].get<std::string>());
    }
  }
  std::string name;
};

TEST_CASE("safety store on Swarm: created once, swapped only over the version read",
          "[integration][safety]") {
  ScopedConfigName config("orcastra-test-safety-cas");
  docker::Client docker(LabOptions());
  DockerSwarmApi api(docker);
  SwarmSafetyStore store(api, config.name);
  auto none = store.Read();
  REQUIRE(none.ok());
  CHECK_FALSE(none->exists);

  auto created = store.Write(R"({"format":1})", 1, "node-a/1", *none);
  REQUIRE(created.ok());
  CHECK(created->exists);
  CHECK(created->term == 1);
  CHECK(created->writer == "node-a/1");
  CHECK(created->problem.empty());

  // A second creator finds the name taken.
  auto twice = store.Write("{}", 1, "node-b/1", *none);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().code() == Status::Code::kConflict);

  // Read from the list (not by id): what a new instance does. Its data is there, so an update
  // built from it is accepted (Swarm refuses a changed data).
  auto listed = store.Read();
  REQUIRE(listed.ok());
  CHECK(listed->object.version == created->object.version);
  CHECK_FALSE(listed->object.data.empty());
  auto updated = store.Write(R"({"format":1,"dependents":{}})", 1, "node-a/1", *listed);
  REQUIRE(updated.ok());
  CHECK(updated->object.version > created->object.version);
  CHECK(updated->record_json == R"({"format":1,"dependents":{}})");

  // Over the old version: refused by Swarm ("update out of sequence"), seen as a Conflict.
  auto stale = store.Write("{}", 1, "node-a/1", *created);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Status::Code::kConflict);
  CHECK(store.Read()->object.version == updated->object.version);
}

TEST_CASE("safety store on Swarm: a deposed instance's write is aborted by the newer term",
          "[integration][safety]") {
  ScopedConfigName config("orcastra-test-safety-fence");
  docker::Client docker_a(LabOptions()), docker_b(LabOptions());
  DockerSwarmApi api_a(docker_a), api_b(docker_b);
  SwarmSafetyStore a(api_a, config.name), b(api_b, config.name);

  auto a_wrote = a.Write(R"({"format":1})", 4, "node-a/1", {});
  REQUIRE(a_wrote.ok());
  // b wins the lease (term 5) and writes over a's version.
  auto b_read = b.Read();
  REQUIRE(b_read.ok());
  auto b_wrote = b.Write(R"({"format":1,"pause":{"paused":true}})", 5, "node-b/1", *b_read);
  REQUIRE(b_wrote.ok());

  // a still holds its own last write: Swarm refuses the version and the store sees term 5.
  auto late = a.Write("{}", 4, "node-a/1", *a_wrote);
  REQUIRE_FALSE(late.ok());
  CHECK(late.status().code() == Status::Code::kAborted);
  // a reads again: the newer term stops it before anything is sent.
  auto a_reread = a.Read();
  REQUIRE(a_reread.ok());
  const std::uint64_t version = a_reread->object.version;
  auto still = a.Write("{}", 4, "node-a/1", *a_reread);
  CHECK(still.status().code() == Status::Code::kAborted);
  // Not leading at all (term 0): refused too.
  CHECK(a.Write("{}", 0, "node-a/1", *a_reread).status().code() == Status::Code::kAborted);
  auto after = b.Read();
  REQUIRE(after.ok());
  CHECK(after->object.version == version);
  CHECK(after->writer == "node-b/1");
  CHECK(after->term == 5);
}

TEST_CASE("safety store on Swarm: a record at every bound is stored and read back",
          "[integration][safety]") {
  ScopedConfigName config("orcastra-test-safety-big");
  docker::Client docker(LabOptions());
  DockerSwarmApi api(docker);
  SwarmSafetyStore store(api, config.name);
  SafetyRecord record;
  for (std::size_t i = 0; i < kMaxSafetyEntries; ++i) {
    std::string name = std::to_string(i);
    name += std::string(kMaxSafetyServiceNameBytes - name.size(), 'x');
    record.dependents[name] = {kMaxSafetyAttempts, kMaxSafetyEpochMs, kMaxSafetyEpochMs};
  }
  record.pause = {true, std::string(kMaxSafetyPauseByBytes, 'b'), kMaxSafetyEpochMs};
  auto text = EncodeSafetyRecord(record);
  REQUIRE(text.ok());
  INFO("record of " << text->size() << " bytes");
  auto written = store.Write(*text, 1, "node-a/1", {});
  REQUIRE(written.ok());
  auto read = store.Read();
  REQUIRE(read.ok());
  auto decoded = DecodeSafetyRecord(read->record_json, "lab");
  REQUIRE(decoded.ok());
  CHECK(*decoded == record);
}

TEST_CASE("safety keepers on Swarm: the next instance continues the backoff and the pause",
          "[integration][safety]") {
  ScopedConfigName config("orcastra-test-safety-keepers");
  config::SwarmConfig swarm;
  config::Anchor db;
  db.name = "db";
  db.services = {"app"};
  db.retry_intervals = {2s, 60s};
  swarm.dependencies = {db};
  SystemClock clock;

  docker::Client docker_a(LabOptions());
  DockerSwarmApi api_a(docker_a);
  SwarmSafetyStore store_a(api_a, config.name);
  std::uint64_t term_a = 1;
  SafetyKeeper a(store_a, clock, [&] { return term_a; }, "node-a/1", {});
  REQUIRE(a.Load(swarm, "st", {}).ok());
  REQUIRE(a.SetPause(true, "cli (command 1)").ok());
  REQUIRE(a.Persist({{"st_app", {2, clock.Now() + 60s, clock.Now()}}}).ok());

  docker::Client docker_b(LabOptions());
  DockerSwarmApi api_b(docker_b);
  SwarmSafetyStore store_b(api_b, config.name);
  SafetyKeeper b(store_b, clock, [] { return std::uint64_t{2}; }, "node-b/1", {});
  auto loaded = b.Load(swarm, "st", {});
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  const DependentMemory& app = (*loaded)->at("st_app");
  CHECK(app.attempts == 2);
  REQUIRE(app.next_allowed.has_value());
  auto left = *app.next_allowed - clock.Now();
  CHECK(left > 55s);  // the wall-clock round trip through Swarm costs milliseconds
  CHECK(left <= 60s);
  CHECK(b.pause().paused);
  REQUIRE(b.SetPause(false, "cli (command 2)").ok());
  REQUIRE(b.Persist(**loaded).ok());
  // a, deposed, is refused.
  CHECK(a.Persist({}).code() == Status::Code::kAborted);
}

}  // namespace
}  // namespace orcastra::leader
