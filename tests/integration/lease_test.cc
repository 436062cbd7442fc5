// The lease in a real Swarm (the lab's single manager): the config-object store's compare-and-swap,
// and two keepers contending, one taking over when the other stops renewing.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "leader/election/service.h"
#include "leader/election/store.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;

docker::ClientOptions LabOptions() {
  const char* socket = std::getenv("ORCASTRA_TEST_DOCKER_SOCKET");
  if (socket == nullptr)
    FAIL("ORCASTRA_TEST_DOCKER_SOCKET is not set; run through tests/integration/with_lab");
  return {.socket_path = socket};
}

// A lease object of the test's own, removed at the end.
struct ScopedLeaseName {
  explicit ScopedLeaseName(std::string n) : name(std::move(n)) {}
  ~ScopedLeaseName() {
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

// One candidate's real side effects: its own Docker clients, the lease store, its events.
struct LabLease {
  explicit LabLease(const std::string& name)
      : api(MakeDockerSwarmApi(LabOptions())), store(*api, name), events(LabOptions(), name) {}
  std::shared_ptr<SwarmApi> api;
  SwarmLeaseStore store;
  DockerLeaseEvents events;
};

// A keeper with its side effects, destroyed keeper first.
struct LabKeeper {
  LabKeeper(const std::string& name, Candidate self, LeaseTimings timings,
            bool release_on_stop = true)
      : lease(name),
        keeper(lease.store, clock, std::move(self), timings, &lease.events, release_on_stop) {}
  SystemClock clock;
  LabLease lease;
  LeaseKeeper keeper;
};

LeaseRecord Desired(const std::string& who, std::uint64_t term) {
  return {true, "node-" + who + "/x", "node-" + who, who, term, 0};
}

TEST_CASE("the config store: create once, swap only over the current version",
          "[integration][lease]") {
  ScopedLeaseName lease("orcastra-test-lease-store");
  LabLease lab(lease.name);
  SwarmLeaseStore& store = lab.store;
  auto none = store.Read();
  REQUIRE(none.ok());
  CHECK_FALSE(none->exists);

  auto created = store.Create(Desired("a", 1));
  REQUIRE(created.ok());
  CHECK(created->exists);
  CHECK(created->holder == "node-a/x");
  CHECK(created->holder_hostname == "a");
  CHECK(created->term == 1);
  CHECK(created->version > 0);

  auto again = store.Create(Desired("b", 1));
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == Status::Code::kConflict);

  auto renewed = store.Write(Desired("a", 1), created->version);
  REQUIRE(renewed.ok());
  CHECK(renewed->version > created->version);

  // A write over the old version (a deposed holder) is refused by Swarm.
  auto stale = store.Write(Desired("a", 1), created->version);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Status::Code::kConflict);

  auto taken = store.Write(Desired("b", 2), renewed->version);
  REQUIRE(taken.ok());
  auto read = store.Read();
  REQUIRE(read.ok());
  CHECK(read->holder == "node-b/x");
  CHECK(read->term == 2);
  CHECK(read->version == taken->version);

  // A second store (another process) finds the same record by name.
  LabLease other_lab(lease.name);
  SwarmLeaseStore& other = other_lab.store;
  auto seen = other.Read();
  REQUIRE(seen.ok());
  CHECK(*seen == *read);
}

TEST_CASE("two keepers: one leads; when it stops, the other takes over with a higher term",
          "[integration][lease]") {
  ScopedLeaseName lease("orcastra-test-lease-keepers");
  // Short, but with slack: a daemon answering slowly for up to ~3 s must not flip leadership.
  const LeaseTimings timings{6000ms, 4000ms, 1000ms, 500ms};
  // a does not release on stop: its stop looks like a crash.
  auto a_lab = std::make_unique<LabKeeper>(lease.name, Candidate{"node-a", "a", "node-a/1"},
                                           timings, /*release_on_stop=*/false);
  LeaseKeeper* a = &a_lab->keeper;
  LabKeeper b_lab(lease.name, Candidate{"node-b", "b", "node-b/1"}, timings);
  LeaseKeeper& b = b_lab.keeper;
  a->Start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!a->IsLeader() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  REQUIRE(a->IsLeader());
  std::uint64_t first_term = a->Term();
  CHECK(first_term == 1);

  b.Start();
  std::this_thread::sleep_for(8s);  // longer than the lease: a keeps renewing, b must stay standby
  CHECK(a->IsLeader());
  CHECK_FALSE(b.IsLeader());
  CHECK(b.ObservedHolder().holder == "node-a/1");

  // a stops (as if killed): no release, its renewals just stop.
  auto stopped_at = std::chrono::steady_clock::now();
  a_lab.reset();
  deadline = stopped_at + 20s;
  while (!b.IsLeader() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  auto took = std::chrono::steady_clock::now() - stopped_at;
  REQUIRE(b.IsLeader());
  CHECK(b.Term() == first_term + 1);
  // Not before the lease could have expired for a reader, and within duration + read delays.
  CHECK(took >= 4000ms);  // never before the old holder's renew deadline
  CHECK(took < 15s);      // lease duration + the read delay after the last announcement
  INFO("takeover after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                         << " ms");
}

TEST_CASE("a holder that stops cleanly releases the lease: the standby takes over at once",
          "[integration][lease]") {
  ScopedLeaseName lease("orcastra-test-lease-release");
  const LeaseTimings timings{6000ms, 4000ms, 1000ms, 500ms};
  auto a_lab =
      std::make_unique<LabKeeper>(lease.name, Candidate{"node-a", "a", "node-a/1"}, timings);
  LeaseKeeper* a = &a_lab->keeper;
  LabKeeper b_lab(lease.name, Candidate{"node-b", "b", "node-b/1"}, timings);
  LeaseKeeper& b = b_lab.keeper;
  a->Start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!a->IsLeader() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  REQUIRE(a->IsLeader());
  b.Start();
  std::this_thread::sleep_for(3s);
  REQUIRE_FALSE(b.IsLeader());
  auto stopped_at = std::chrono::steady_clock::now();
  a_lab.reset();  // clean stop: releases
  deadline = stopped_at + 20s;
  while (!b.IsLeader() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  auto took = std::chrono::steady_clock::now() - stopped_at;
  REQUIRE(b.IsLeader());
  CHECK(b.Term() == 2);
  // The release is announced; b reads it renew_interval + retry_period later and takes it at once,
  // well before the 6 s lease could have run out.
  CHECK(took < 4s);
  INFO("takeover after release: "
       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
}

}  // namespace
}  // namespace orcastra::leader
