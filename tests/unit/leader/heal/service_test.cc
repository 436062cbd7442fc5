// The healer's loop (leader/heal/service.h) on a simulated clock over a fake Swarm: the active
// instance carries the plan out and reports it, a standby and a dry run write nothing, a failed
// read changes nothing, the backoff is stored in Swarm before any write and continued by a new
// active instance, and the operator's commands are answered.
#include "leader/heal/service.h"

#include <catch2/catch.hpp>

#include "leader/heal/record.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_swarm_api.h"

namespace orcastra::leader {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeSwarmApi;

docker::Node N(const std::string& id, const std::string& hostname, const std::string& role,
               const std::string& state, bool leader = false) {
  docker::Node n;
  n.id = id;
  n.hostname = hostname;
  n.role = role;
  n.state = state;
  n.availability = "active";
  n.version = 5;
  if (role == "manager") {
    n.manager_reachability = state == "ready" ? "reachable" : "unreachable";
    n.manager_leader = leader;
  }
  n.spec = {{"Role", role}, {"Availability", "active"}};
  return n;
}

struct Rig {
  FakeClock clock;
  FakeSwarmApi api;
  SwarmSafetyStore store{api, kHealConfigName};
  std::shared_ptr<config::Config> config = std::make_shared<config::Config>();
  bool leader = true;
  // While set, the lease renewals stopped then (quorum lost); otherwise one was just committed.
  std::optional<SteadyTime> writes_stopped_at;
  std::vector<protocol::Event> events;
  HealView view;
  HealLoopOptions options;

  Rig() {
    api.apply_writes = true;
    for (const char* h : {"m1", "m2", "m3", "w1", "w2"}) {
      config::NodeSpec spec;
      spec.hostname = h;
      config->swarm.nodes[h] = spec;
    }
    config->swarm.managers = 3;
    api.nodes = {N("m1id", "m1", "manager", "ready", true), N("m2id", "m2", "manager", "ready"),
                 N("m3id", "m3", "manager", "ready"), N("w1id", "w1", "worker", "ready"),
                 N("w2id", "w2", "worker", "ready")};
    options.heal.phantom_grace = 30s;
    options.heal.manager_grace = 60s;
    options.heal.self_node_id = "m1id";
    options.instance_id = "m1id/1";
  }
  HealLoop Loop() {
    return HealLoop(
        api, store, clock, options,
        {.config = [this]() -> std::shared_ptr<const config::Config> { return config; },
         .cached_nodes = [this]() -> std::optional<std::vector<docker::Node>> { return api.nodes; },
         .is_leader = [this] { return leader; },
         .lease_term = [this]() -> std::uint64_t { return leader ? 7 : 0; },
         .last_raft_write = [this]() -> std::optional<SteadyTime> {
           if (!leader) return std::nullopt;
           return writes_stopped_at.value_or(clock.Now());
         },
         .report = [this](protocol::Event e) { events.push_back(std::move(e)); },
         .publish = [this](HealView v) { view = std::move(v); }});
  }
  int Count(const std::string& kind) const {
    int n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
  }
  bool Has(const std::string& id) const {
    for (const auto& n : api.nodes)
      if (n.id == id) return true;
    return false;
  }
  void Rejoin(const std::string& hostname, const std::string& new_id) {
    for (auto& n : api.nodes)
      if (n.hostname == hostname) n.state = "down";
    api.nodes.push_back(N(new_id, hostname, "worker", "ready"));
  }
};

TEST_CASE("heal loop: no action while the lease renewals fail (quorum unproven)",
          "[heal][service]") {
  Rig rig;
  HealLoop loop = rig.Loop();
  rig.Rejoin("w2", "w2new");
  loop.Pass();
  rig.clock.Advance(31s);
  rig.writes_stopped_at = rig.clock.Now() - 13s;  // the list may be stale
  loop.Pass();
  CHECK(rig.Has("w2id"));
  CHECK(rig.Count("node_healed") == 0);
  CHECK(rig.view.status["blocked"].get<std::string>().find("quorum unproven") != std::string::npos);
  rig.writes_stopped_at.reset();  // renewals succeed again
  loop.Pass();
  CHECK_FALSE(rig.Has("w2id"));
  CHECK(rig.Count("node_healed") == 1);
}

TEST_CASE("heal loop: between passes the view says at once when the quorum proof lapses",
          "[heal][service]") {
  Rig rig;
  HealLoop loop = rig.Loop();
  loop.Pass();
  CHECK(rig.view.status["blocked"] == "");
  CHECK_FALSE(loop.Refresh());  // nothing changed: no pass due
  rig.writes_stopped_at = rig.clock.Now();
  rig.clock.Advance(13s);
  CHECK_FALSE(loop.Refresh());
  CHECK(rig.view.status["blocked"].get<std::string>().find("quorum unproven") !=
        std::string::npos);
  rig.leader = false;  // the lease lapsed: a pass (the standby's) is due now
  CHECK(loop.Refresh());
}

TEST_CASE("heal loop: a phantom worker is removed after the grace, stored first, reported",
          "[heal][service]") {
  Rig rig;
  HealLoop loop = rig.Loop();
  rig.Rejoin("w2", "w2new");
  loop.Pass();
  CHECK(rig.Has("w2id"));  // within the grace
  CHECK(rig.view.status["phantoms"] == 1);
  rig.clock.Advance(31s);
  loop.Pass();
  CHECK_FALSE(rig.Has("w2id"));
  CHECK(rig.Count("node_healed") == 1);
  // The attempt was stored in Swarm before the removal.
  auto stored = rig.store.Read();
  REQUIRE(stored.ok());
  REQUIRE(stored->exists);
  auto record = DecodeHealRecord(stored->record_json, "test");
  REQUIRE(record.ok());
  CHECK(record->nodes.count("w2id") == 1);
  CHECK(stored->term == 7);
}

TEST_CASE("heal loop: dry run reports and writes nothing, not even the record", "[heal][service]") {
  Rig rig;
  rig.options.settings.dry_run = true;
  HealLoop loop = rig.Loop();
  rig.Rejoin("w2", "w2new");
  loop.Pass();
  rig.clock.Advance(31s);
  loop.Pass();
  CHECK(rig.Has("w2id"));
  CHECK(rig.api.writes.empty());
  CHECK(rig.Count("dry_run") == 1);
  auto stored = rig.store.Read();
  REQUIRE(stored.ok());
  CHECK_FALSE(stored->exists);
}

TEST_CASE("heal loop: a standby writes nothing and refuses commands; a failed read changes nothing",
          "[heal][service]") {
  Rig rig;
  rig.leader = false;
  HealLoop loop = rig.Loop();
  rig.Rejoin("w2", "w2new");
  loop.Pass();
  rig.clock.Advance(31s);
  loop.Pass({{.id = 3, .text = "bootstrap_swarm", .source = "cli", .name = "bootstrap_swarm"}});
  CHECK(rig.api.writes.empty());
  REQUIRE(rig.Count("command") == 1);
  CHECK(rig.events.back().attrs.at("result") == "failed");
  CHECK_FALSE(rig.view.active);

  rig.leader = true;
  rig.api.fail_nodes = true;
  loop.Pass();
  rig.clock.Advance(2s);
  loop.Pass();  // the same reason again: reported once
  CHECK(rig.api.writes.empty());
  CHECK(rig.Count("heal_skipped") == 1);
  CHECK(rig.view.status["problem"].get<std::string>().find("nothing changed") != std::string::npos);
  // The standby's observation kept the grace: once the read works it acts at once.
  rig.api.fail_nodes = false;
  loop.Pass();
  CHECK_FALSE(rig.Has("w2id"));
}

TEST_CASE("heal loop: a failed removal backs off, and a new active instance continues it",
          "[heal][service]") {
  Rig rig;
  rig.api.fail_removals = true;
  {
    HealLoop loop = rig.Loop();
    rig.Rejoin("w2", "w2new");
    loop.Pass();
    rig.clock.Advance(31s);
    loop.Pass();
    CHECK(rig.Count("action_failed") == 1);
    rig.clock.Advance(2s);
    loop.Pass();
    CHECK(rig.Count("action_failed") == 1);  // backing off (10 s)
  }
  // Another instance becomes active: it reads the record and holds the action until the backoff
  // ends, and its own grace starts from zero (only later, never sooner).
  HealLoop next = rig.Loop();
  rig.api.fail_removals = false;
  next.Pass();
  CHECK(rig.Has("w2id"));
  rig.clock.Advance(31s);
  next.Pass();
  CHECK_FALSE(rig.Has("w2id"));
  CHECK(rig.Count("node_healed") == 1);
}

TEST_CASE("heal loop: remove_node removes a down node without a twin, refuses a ready one",
          "[heal][service]") {
  Rig rig;
  HealLoop loop = rig.Loop();
  for (auto& n : rig.api.nodes)
    if (n.id == "w1id") n.state = "down";
  loop.Pass();
  CHECK(rig.Has("w1id"));  // no twin: never removed by itself
  rig.clock.Advance(600s);
  loop.Pass();
  CHECK(rig.Has("w1id"));
  loop.Pass(
      {{.id = 4, .text = "remove_node:w2id", .source = "cli", .name = "remove_node", .arg = "w2id"},
       {.id = 5,
        .text = "remove_node:w1id",
        .source = "cli",
        .name = "remove_node",
        .arg = "w1id"}});
  CHECK_FALSE(rig.Has("w1id"));
  CHECK(rig.Has("w2id"));
  std::map<std::string, std::string> results;
  for (const auto& e : rig.events)
    if (e.kind == "command") results[e.attrs.at("id")] = e.attrs.at("result");
  CHECK(results["4"] == "failed");
  CHECK(results["5"] == "ok");
}

TEST_CASE("heal loop: a lost manager is demoted, removed, and a worker promoted, one at a time",
          "[heal][service]") {
  Rig rig;
  HealLoop loop = rig.Loop();
  for (auto& n : rig.api.nodes)
    if (n.id == "m3id") {
      n.state = "down";
      n.manager_reachability = "unreachable";
    }
  loop.Pass();
  CHECK(rig.api.writes.empty());
  CHECK_FALSE(rig.view.status["blocked"].get<std::string>().empty());
  rig.clock.Advance(61s);
  loop.Pass();
  // Demoted (Swarm takes it out of Raft afterwards).
  REQUIRE(rig.api.writes.size() == 1);
  for (auto& n : rig.api.nodes)
    if (n.id == "m3id") {
      CHECK(n.role == "worker");
      n.manager_reachability.clear();
    }
  rig.clock.Advance(2s);
  loop.Pass();
  // Now 2 managers: w1 promoted; m3 (down, no twin) stays, reported.
  bool promoted = false;
  for (auto& n : rig.api.nodes)
    if (n.id == "w1id" && n.role == "manager") {
      promoted = true;
      n.manager_reachability = "reachable";
    }
  CHECK(promoted);
  rig.clock.Advance(2s);
  loop.Pass();
  int managers = 0;
  for (const auto& n : rig.api.nodes) managers += n.role == "manager";
  CHECK(managers == 3);
  CHECK(rig.view.status["managers"] == 3);
  // The demoted lost manager, out of Raft and still down, was removed.
  CHECK_FALSE(rig.Has("m3id"));
}

}  // namespace
}  // namespace orcastra::leader
