// The standalone agent's re-join loop (agent/rejoin/service.h) with a fake daemon, fake leader
// endpoints and a simulated clock: it remembers while in the swarm, asks the active instance once
// out, joins with exactly what the grant says, backs off on refusals and failures, and never
// joins without a grant.
#include "agent/rejoin/service.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;

class World {
 public:
  World() {
    info.name = "w2";
    info.swarm_node_id = "w2old";
    info.swarm_node_addr = "198.51.100.22";
    info.swarm_local_node_state = "active";
    info.swarm_remote_managers = {{"m1", "198.51.100.11:2377"}, {"m2", "198.51.100.12:2377"}};
    answers["tcp://198.51.100.11:7470"] = AskOutcome{.standby = true};
    protocol::JoinAnswer grant;
    grant.granted = true;
    grant.retry = false;
    grant.join_token = "SWMTKN-1-secret";
    grant.manager_addrs = {"198.51.100.12:2377"};
    answers["tcp://198.51.100.12:7470"] = AskOutcome{.answer = grant};
    RejoinHooks hooks;
    hooks.info = [this]() -> Result<docker::SystemInfo> {
      if (!info_ok) return Status::Unavailable("daemon down");
      return info;
    };
    hooks.join = [this](const docker::SwarmJoinRequest& r) {
      joins.push_back(r);
      if (join_fails) return Status::Unavailable("join failed");
      info.swarm_local_node_state = "active";
      info.swarm_node_id = "w2new";
      return Status::Ok();
    };
    hooks.ask = [this](const std::string& endpoint, const Membership& m) {
      asked.push_back(endpoint + " as " + m.node_id);
      auto it = answers.find(endpoint);
      if (it == answers.end()) return AskOutcome{.status = Status::Timeout("no answer")};
      return it->second;
    };
    hooks.load = [this]() -> Result<Membership> {
      if (!stored) return Status::NotFound("none");
      return *stored;
    };
    hooks.save = [this](const Membership& m) {
      ++saves;
      stored = m;
      return Status::Ok();
    };
    hooks.report = [this](protocol::Event e) { events.push_back(e.kind); };
    loop = std::make_unique<RejoinLoop>(7470, clock, std::move(hooks));
  }

  testing::FakeClock clock;
  docker::SystemInfo info;
  bool info_ok = true;
  bool join_fails = false;
  std::map<std::string, AskOutcome> answers;
  std::optional<Membership> stored;
  int saves = 0;
  std::vector<docker::SwarmJoinRequest> joins;
  std::vector<std::string> asked;
  std::vector<std::string> events;
  std::unique_ptr<RejoinLoop> loop;
};

TEST_CASE("rejoin loop: remembers in the swarm, asks the active instance once out, joins",
          "[rejoin]") {
  World w;
  w.loop->Pass();
  REQUIRE(w.stored);
  CHECK(w.stored->node_id == "w2old");
  CHECK(w.stored->leader_endpoints ==
        std::vector<std::string>{"tcp://198.51.100.11:7470", "tcp://198.51.100.12:7470"});
  CHECK(w.asked.empty());

  w.info.swarm_local_node_state = "inactive";
  w.info.swarm_node_id.clear();
  w.info.swarm_remote_managers.clear();
  w.loop->Pass();
  // m1 is a standby: m2 is asked next, as the node it remembers.
  CHECK(w.asked == std::vector<std::string>{"tcp://198.51.100.11:7470 as w2old",
                                            "tcp://198.51.100.12:7470 as w2old"});
  REQUIRE(w.joins.size() == 1);
  CHECK(w.joins[0].join_token == "SWMTKN-1-secret");
  CHECK(w.joins[0].remote_addrs == std::vector<std::string>{"198.51.100.12:2377"});
  CHECK(w.joins[0].advertise_addr == "198.51.100.22");
  CHECK(w.joins[0].listen_addr == "0.0.0.0:2377");
  CHECK(w.events == std::vector<std::string>{"node_rejoined"});
  // Back in: the new id is remembered at once, before the next pass.
  CHECK(w.stored->node_id == "w2new");
  w.info.swarm_remote_managers = {{"m2", "198.51.100.12:2377"}};
  w.loop->Pass();
  CHECK(w.stored->leader_endpoints == std::vector<std::string>{"tcp://198.51.100.12:7470"});
  CHECK(w.loop->waiting_for().empty());
}

TEST_CASE("rejoin loop: a refusal is never a join, and backs off", "[rejoin]") {
  World w;
  w.loop->Pass();
  w.info.swarm_local_node_state = "inactive";
  protocol::JoinAnswer no;
  no.granted = false;
  no.retry = true;
  no.reason = "Swarm sees node w2old (w2) as ready, not down: not yet";
  w.answers["tcp://198.51.100.12:7470"] = AskOutcome{.answer = no};
  w.loop->Pass();
  CHECK(w.joins.empty());
  CHECK(w.events == std::vector<std::string>{"rejoin_refused"});
  CHECK_THAT(w.loop->waiting_for(), Catch::Contains("not down"));
  const auto asks = w.asked.size();
  w.clock.Advance(4s);
  w.loop->Pass();
  CHECK(w.asked.size() == asks);  // within the 5 s backoff
  w.clock.Advance(1s);
  w.loop->Pass();
  CHECK(w.asked.size() == asks + 2);
  CHECK(w.events.size() == 1);  // the same refusal is not reported again
  // Second failure in a row: 10 s.
  w.clock.Advance(9s);
  w.loop->Pass();
  CHECK(w.asked.size() == asks + 2);
  // A final refusal waits 5 minutes.
  no.retry = false;
  no.reason = "the hostname w2 is not listed in swarm.yml's nodes";
  w.answers["tcp://198.51.100.12:7470"] = AskOutcome{.answer = no};
  w.clock.Advance(1s);
  w.loop->Pass();
  CHECK(w.events.back() == "rejoin_refused");
  const auto after_final = w.asked.size();
  w.clock.Advance(299s);
  w.loop->Pass();
  CHECK(w.asked.size() == after_final);
  w.clock.Advance(1s);
  w.loop->Pass();
  CHECK(w.asked.size() > after_final);
  CHECK(w.joins.empty());
}

TEST_CASE("rejoin loop: no answer, a failed join, an unusable grant", "[rejoin]") {
  SECTION("no endpoint answers") {
    World w;
    w.loop->Pass();
    w.info.swarm_local_node_state = "inactive";
    w.answers.clear();
    w.loop->Pass();
    CHECK(w.joins.empty());
    CHECK_THAT(w.loop->waiting_for(), Catch::Contains("no active leader instance answered"));
  }
  SECTION("the join fails: reported, retried after the backoff") {
    World w;
    w.loop->Pass();
    w.info.swarm_local_node_state = "inactive";
    w.join_fails = true;
    w.loop->Pass();
    CHECK(w.joins.size() == 1);
    CHECK(w.events == std::vector<std::string>{"rejoin_failed"});
    w.clock.Advance(5s);
    w.loop->Pass();
    CHECK(w.joins.size() == 2);
  }
  SECTION("a grant with a strange manager address or no token is not used") {
    for (auto change : std::vector<std::function<void(protocol::JoinAnswer&)>>{
             [](protocol::JoinAnswer& a) { a.manager_addrs = {"198.51.100.12:2377; rm -rf /"}; },
             [](protocol::JoinAnswer& a) { a.manager_addrs.clear(); },
             [](protocol::JoinAnswer& a) { a.manager_addrs.assign(17, "198.51.100.12:2377"); },
             [](protocol::JoinAnswer& a) { a.join_token.clear(); },
             [](protocol::JoinAnswer& a) { a.join_token.assign(513, 'x'); }}) {
      World w;
      w.loop->Pass();
      w.info.swarm_local_node_state = "inactive";
      change(w.answers["tcp://198.51.100.12:7470"].answer);
      w.loop->Pass();
      CHECK(w.joins.empty());
      CHECK_THAT(w.loop->waiting_for(), Catch::Contains("not used"));
    }
  }
}

TEST_CASE("rejoin loop: without a memory, or in another state, nothing is asked", "[rejoin]") {
  World w;
  w.info.swarm_local_node_state = "inactive";
  w.loop->Pass();
  CHECK(w.asked.empty());
  CHECK_THAT(w.loop->waiting_for(), Catch::Contains("by hand once"));
  for (const char* state : {"pending", "locked", "error"}) {
    World v;
    v.loop->Pass();
    v.info.swarm_local_node_state = state;
    v.loop->Pass();
    CHECK(v.asked.empty());
    CHECK(v.joins.empty());
  }
  World down;
  down.info_ok = false;
  down.loop->Pass();
  CHECK(down.saves == 0);
  CHECK_THAT(down.loop->waiting_for(), Catch::Contains("cannot read"));
}

TEST_CASE("rejoin loop: a memory on disk from before a restart is used", "[rejoin]") {
  World w;
  w.stored = Membership{"w2old", "w2", "198.51.100.22", {"tcp://198.51.100.12:7470"}, 1};
  w.info.swarm_local_node_state = "inactive";
  w.loop->Pass();
  REQUIRE(w.joins.size() == 1);
  CHECK(w.asked == std::vector<std::string>{"tcp://198.51.100.12:7470 as w2old"});
}

}  // namespace
}  // namespace orcastra::agent
