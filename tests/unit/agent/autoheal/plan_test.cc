#include "agent/autoheal/plan.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using Action = AutohealDecision::Action;

const SteadyTime kT0 = SteadyTime{} + 10h;

// Small numbers so sequences stay readable: backoff 10s, 20s, 40s, 80s (max); 3 restarts per
// 10 minutes; 60 s healthy resets everything.
AutohealConfig TestConfig() {
  AutohealConfig c;
  c.backoff_base = 10s;
  c.backoff_max = 80s;
  c.max_restarts = 3;
  c.window = 10min;
  c.healthy_reset = 60s;
  c.default_stop_timeout = 10s;
  return c;
}

AutohealPolicy Policy(AutohealConfig config = TestConfig()) {
  auto policy = AutohealPolicy::Create(std::move(config));
  REQUIRE(policy.ok());
  return std::move(policy).value();
}

AutohealContainer Sick(std::string id, docker::Labels labels = {{"autoheal", "true"}}) {
  AutohealContainer c;
  c.name = "n-" + id;
  c.id = std::move(id);
  c.state = "running";
  c.health = "unhealthy";
  c.labels = std::move(labels);
  c.uptime = 1h;
  return c;
}

AutohealContainer WithHealth(AutohealContainer c, std::string health) {
  c.health = std::move(health);
  return c;
}

// Restarts `id` at `at` and reports it done at once, so the backoff counts from `at`.
void RestartAt(AutohealPolicy& policy, const AutohealContainer& c, SteadyTime at) {
  auto d = policy.OnUnhealthy(c, at);
  REQUIRE(d.action == Action::kRestart);
  policy.OnRestarted(c.id, at, true);
}

// ---------------------------------------------------------------------------------------------
// Selection.

TEST_CASE("selection by the label filter, as willfarrell/autoheal", "[autoheal][select]") {
  struct Case {
    std::string filter;
    docker::Labels labels;
    bool selected;
  };
  const std::vector<Case> cases = {
      {"autoheal", {{"autoheal", "true"}}, true},  {"autoheal", {{"autoheal", "false"}}, false},
      {"autoheal", {{"autoheal", "TRUE"}}, false}, {"autoheal", {{"autoheal", "1"}}, false},
      {"autoheal", {{"autoheal", ""}}, false},     {"autoheal", {}, false},
      {"autoheal", {{"heal.me", "true"}}, false},  {"heal.me", {{"heal.me", "true"}}, true},
      {"heal.me", {{"autoheal", "true"}}, false},  {"all", {}, true},
      {"all", {{"autoheal", "false"}}, true},      {"all", {{"all", "false"}}, true},
  };
  for (const auto& c : cases) {
    INFO(c.filter << " with " << c.labels.size() << " label(s)");
    auto config = TestConfig();
    config.container_label = c.filter;
    auto policy = Policy(config);
    auto d = policy.OnUnhealthy(Sick("x", c.labels), kT0);
    if (c.selected) {
      CHECK(d.action == Action::kRestart);
      CHECK(d.reason == AutohealReason::kUnhealthy);
    } else {
      CHECK(d.action == Action::kSkip);
      CHECK(d.reason == AutohealReason::kNotSelected);
      CHECK(d.detail == "label " + c.filter + "=true not set");
      CHECK(policy.tracked() == 0);
    }
  }
}

TEST_CASE("Swarm tasks are never restarted, whatever their labels", "[autoheal][select]") {
  for (const std::string filter : {"autoheal", "all"}) {
    INFO(filter);
    auto config = TestConfig();
    config.container_label = filter;
    auto policy = Policy(config);
    auto d = policy.OnUnhealthy(
        Sick("task", {{"autoheal", "true"}, {"com.docker.swarm.task.id", "t1"}}), kT0);
    CHECK(d.action == Action::kSkip);
    CHECK(d.reason == AutohealReason::kSwarmTask);
    CHECK(policy.tracked() == 0);
  }
  SECTION("the task id from the decoded details counts too") {
    docker::ContainerDetails details;
    details.id = "abc";
    details.name = "web.1.xyz";
    details.state = "running";
    details.health = "unhealthy";
    details.labels = {{"autoheal", "true"}};
    details.task_id = "t9";
    auto facts = AutohealContainerFrom(details, 30s);
    CHECK(facts.id == "abc");
    CHECK(facts.name == "web.1.xyz");
    CHECK(facts.uptime == 30s);
    CHECK(facts.labels.at("com.docker.swarm.task.id") == "t9");
    auto policy = Policy();
    CHECK(policy.OnUnhealthy(facts, kT0).reason == AutohealReason::kSwarmTask);

    details.task_id.clear();
    CHECK(policy.OnUnhealthy(AutohealContainerFrom(details, 30s), kT0).action == Action::kRestart);
  }
}

TEST_CASE("only unhealthy containers are restarted", "[autoheal][select]") {
  auto policy = Policy();
  for (const std::string health : {"healthy", "starting", ""}) {
    INFO("'" << health << "'");
    auto d = policy.OnUnhealthy(WithHealth(Sick("x"), health), kT0);
    CHECK(d.action == Action::kSkip);
    CHECK(d.reason == AutohealReason::kNotUnhealthy);
  }
  CHECK(policy.OnUnhealthy(WithHealth(Sick("x"), ""), kT0).detail == "health is 'none'");
  CHECK(policy.tracked() == 0);
  std::vector<AutohealContainer> all = {WithHealth(Sick("a"), "healthy"),
                                        WithHealth(Sick("b"), "starting"),
                                        WithHealth(Sick("c"), "")};
  CHECK(policy.Sweep(all, kT0).empty());
}

TEST_CASE("only running containers are restarted", "[autoheal][select]") {
  auto policy = Policy();
  for (const std::string state : {"restarting", "paused", "exited", "created", "dead"}) {
    INFO(state);
    auto c = Sick("x");
    c.state = state;
    auto d = policy.OnUnhealthy(c, kT0);
    CHECK(d.action == Action::kSkip);
    CHECK(d.reason == AutohealReason::kNotRunning);
    CHECK(d.detail == "state is '" + state + "'");
  }
  CHECK(policy.tracked() == 0);
}

TEST_CASE("the start period counts from the container's start", "[autoheal][select]") {
  auto config = TestConfig();
  config.start_period = 30s;
  auto policy = Policy(config);
  auto c = Sick("x");

  c.uptime = 29s;
  auto young = policy.OnUnhealthy(c, kT0);
  CHECK(young.action == Action::kSkip);
  CHECK(young.reason == AutohealReason::kInStartPeriod);
  CHECK(young.until == kT0 + 1s);
  CHECK(young.detail == "up 29s of a start period of 30s");

  c.uptime = std::nullopt;
  auto unknown = policy.OnUnhealthy(c, kT0);
  CHECK(unknown.action == Action::kSkip);
  CHECK(unknown.reason == AutohealReason::kUptimeUnknown);
  CHECK(policy.tracked() == 0);

  c.uptime = 30s;  // exactly the start period
  CHECK(policy.OnUnhealthy(c, kT0).action == Action::kRestart);

  SECTION("without a start period the uptime is not needed") {
    auto p = Policy();
    auto u = Sick("u");
    u.uptime = std::nullopt;
    CHECK(p.OnUnhealthy(u, kT0).action == Action::kRestart);
  }
}

// ---------------------------------------------------------------------------------------------
// Stop timeout.

TEST_CASE("the stop timeout comes from the autoheal.stop.timeout label", "[autoheal][timeout]") {
  CHECK(StopTimeoutFor({}, 10s).value == 10s);
  CHECK_FALSE(StopTimeoutFor({}, 10s).warning);
  for (const auto& [text, want] : std::vector<std::pair<std::string, std::chrono::seconds>>{
           {"20", 20s}, {"0", 0s}, {"007", 7s}, {"3600", 3600s}}) {
    INFO(text);
    auto t = StopTimeoutFor({{"autoheal.stop.timeout", text}}, 10s);
    CHECK(t.value == want);
    CHECK_FALSE(t.warning);
  }
  for (const std::string text : {"abc", "-5", "+5", "1.5", "", " 20", "20s", "3601", "99999999"}) {
    INFO("'" << text << "'");
    auto t = StopTimeoutFor({{"autoheal.stop.timeout", text}}, 10s);
    CHECK(t.value == 10s);
    REQUIRE(t.warning);
    CHECK(*t.warning == "label autoheal.stop.timeout='" + text +
                            "' is not a whole number of seconds in 0..3600; using 10s");
  }
}

TEST_CASE("a restart carries the stop timeout and any warning about the label",
          "[autoheal][timeout]") {
  auto policy = Policy();
  auto good =
      policy.OnUnhealthy(Sick("g", {{"autoheal", "true"}, {"autoheal.stop.timeout", "25"}}), kT0);
  CHECK(good.action == Action::kRestart);
  CHECK(good.stop_timeout == 25s);
  CHECK(good.warnings.empty());
  CHECK(good.detail == "unhealthy: restart 1 with a 25s stop timeout");

  auto bad =
      policy.OnUnhealthy(Sick("b", {{"autoheal", "true"}, {"autoheal.stop.timeout", "soon"}}), kT0);
  CHECK(bad.action == Action::kRestart);
  CHECK(bad.stop_timeout == 10s);
  CHECK(bad.warnings == std::vector<std::string>{
                            "label autoheal.stop.timeout='soon' is not a whole number of seconds "
                            "in 0..3600; using 10s"});
}

// ---------------------------------------------------------------------------------------------
// Backoff.

TEST_CASE("backoff doubles from the base up to the maximum", "[autoheal][backoff]") {
  const auto config = TestConfig();
  CHECK(AutohealBackoff(config, 0) == 0s);
  CHECK(AutohealBackoff(config, -3) == 0s);
  CHECK(AutohealBackoff(config, 1) == 10s);
  CHECK(AutohealBackoff(config, 2) == 20s);
  CHECK(AutohealBackoff(config, 3) == 40s);
  CHECK(AutohealBackoff(config, 4) == 80s);
  CHECK(AutohealBackoff(config, 5) == 80s);
  CHECK(AutohealBackoff(config, 1000) == 80s);  // no overflow
  auto odd = config;
  odd.backoff_max = 50s;
  CHECK(AutohealBackoff(odd, 3) == 40s);
  CHECK(AutohealBackoff(odd, 4) == 50s);
}

TEST_CASE("restarts back off exponentially from the end of each restart", "[autoheal][backoff]") {
  auto config = TestConfig();
  config.max_restarts = 100;  // the cap is tested elsewhere
  auto policy = Policy(config);
  auto c = Sick("x");

  auto first = policy.OnUnhealthy(c, kT0);
  CHECK(first.action == Action::kRestart);
  CHECK(first.container_id == "x");
  CHECK(first.container_name == "n-x");
  CHECK(first.stop_timeout == 10s);
  policy.OnRestarted("x", kT0 + 2s, true);  // the restart took 2 s

  auto wait = policy.OnUnhealthy(c, kT0 + 11s);
  CHECK(wait.action == Action::kWait);
  CHECK(wait.reason == AutohealReason::kBackoff);
  CHECK(wait.until == kT0 + 12s);
  CHECK(wait.detail == "backing off after 1 restart(s)");

  CHECK(policy.OnUnhealthy(c, kT0 + 12s).action == Action::kRestart);
  policy.OnRestarted("x", kT0 + 13s, true);
  CHECK(policy.OnUnhealthy(c, kT0 + 32s).until == kT0 + 33s);
  CHECK(policy.OnUnhealthy(c, kT0 + 33s).action == Action::kRestart);
  policy.OnRestarted("x", kT0 + 33s, true);
  CHECK(policy.OnUnhealthy(c, kT0 + 72s).until == kT0 + 73s);
  CHECK(policy.OnUnhealthy(c, kT0 + 73s).action == Action::kRestart);
  policy.OnRestarted("x", kT0 + 73s, true);
  CHECK(policy.OnUnhealthy(c, kT0 + 152s).until == kT0 + 153s);  // 80 s: the maximum
  CHECK(policy.OnUnhealthy(c, kT0 + 153s).action == Action::kRestart);
  policy.OnRestarted("x", kT0 + 153s, true);
  CHECK(policy.OnUnhealthy(c, kT0 + 232s).until == kT0 + 233s);  // stays at the maximum

  auto state = policy.StateOf("x", kT0 + 232s);
  REQUIRE(state);
  CHECK(state->restarts == 5);
  CHECK(state->restarts_in_window == 5);
  CHECK(state->failed_restarts == 0);
  CHECK(state->next_restart_at == kT0 + 233s);
  CHECK_FALSE(state->gave_up);
}

TEST_CASE("until the restart is reported, the backoff also covers the stop timeout",
          "[autoheal][backoff]") {
  auto policy = Policy();
  auto c = Sick("x", {{"autoheal", "true"}, {"autoheal.stop.timeout", "30"}});
  CHECK(policy.OnUnhealthy(c, kT0).action == Action::kRestart);
  // The container may still show unhealthy while Docker stops it: no second restart.
  auto during = policy.OnUnhealthy(c, kT0 + 39s);
  CHECK(during.action == Action::kWait);
  CHECK(during.until == kT0 + 40s);  // 30 s stop timeout + 10 s backoff
  CHECK(policy.OnUnhealthy(c, kT0 + 40s).action == Action::kRestart);
}

TEST_CASE("an event and a sweep at the same moment restart once", "[autoheal][backoff]") {
  auto policy = Policy();
  auto c = Sick("x");
  CHECK(policy.OnUnhealthy(c, kT0).action == Action::kRestart);
  auto decisions = policy.Sweep({c}, kT0);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].action == Action::kWait);
}

TEST_CASE("a failed restart counts and backs off like a good one", "[autoheal][backoff]") {
  auto policy = Policy();
  auto c = Sick("x");
  CHECK(policy.OnUnhealthy(c, kT0).action == Action::kRestart);
  policy.OnRestarted("x", kT0 + 1s, false);
  auto state = policy.StateOf("x", kT0 + 1s);
  REQUIRE(state);
  CHECK(state->restarts == 1);
  CHECK(state->failed_restarts == 1);
  CHECK(state->next_restart_at == kT0 + 11s);
  CHECK(policy.OnUnhealthy(c, kT0 + 10s).action == Action::kWait);
  CHECK(policy.OnUnhealthy(c, kT0 + 11s).action == Action::kRestart);
}

TEST_CASE("backoff resets only after the container was healthy for healthy_reset",
          "[autoheal][backoff][reset]") {
  auto config = TestConfig();
  config.max_restarts = 100;
  auto policy = Policy(config);
  auto c = Sick("x");
  RestartAt(policy, c, kT0);
  RestartAt(policy, c, kT0 + 10s);  // next backoff: 20 s, until kT0 + 30s

  SECTION("healthy for 59 s, then unhealthy: the backoff goes on") {
    policy.OnHealthy("x", kT0 + 100s);
    policy.Sweep({WithHealth(c, "healthy")}, kT0 + 130s);  // still the same streak
    CHECK(policy.StateOf("x", kT0 + 130s)->healthy_since == kT0 + 100s);
    auto d = policy.OnUnhealthy(c, kT0 + 159s);
    CHECK(d.action == Action::kRestart);
    CHECK(d.detail == "unhealthy: restart 3 with a 10s stop timeout");
    CHECK_FALSE(policy.StateOf("x", kT0 + 159s)->healthy_since);
  }
  SECTION("healthy for 60 s, then unhealthy: starts afresh") {
    policy.OnHealthy("x", kT0 + 100s);
    auto d = policy.OnUnhealthy(c, kT0 + 160s);
    CHECK(d.action == Action::kRestart);
    CHECK(d.detail == "unhealthy: restart 1 with a 10s stop timeout");
    CHECK(policy.StateOf("x", kT0 + 160s)->restarts == 1);
  }
  SECTION("a sweep that sees 60 s of health forgets the container") {
    policy.Sweep({WithHealth(c, "healthy")}, kT0 + 100s);
    CHECK(policy.tracked() == 1);
    policy.Sweep({WithHealth(c, "healthy")}, kT0 + 159s);
    CHECK(policy.tracked() == 1);
    policy.Sweep({WithHealth(c, "healthy")}, kT0 + 160s);
    CHECK(policy.tracked() == 0);
  }
  SECTION("a streak broken by 'starting' does not count") {
    policy.OnHealthy("x", kT0 + 100s);
    policy.Sweep({WithHealth(c, "starting")}, kT0 + 120s);
    policy.OnHealthy("x", kT0 + 130s);
    policy.Sweep({WithHealth(c, "healthy")}, kT0 + 189s);
    CHECK(policy.StateOf("x", kT0 + 189s)->restarts == 2);
    policy.Sweep({WithHealth(c, "healthy")}, kT0 + 190s);
    CHECK(policy.tracked() == 0);
  }
  SECTION("health of an unknown container changes nothing") {
    policy.OnHealthy("other", kT0 + 100s);
    CHECK(policy.tracked() == 1);
    CHECK_FALSE(policy.StateOf("other", kT0 + 100s));
  }
}

// ---------------------------------------------------------------------------------------------
// Cap per window and the single "gave up".

TEST_CASE("the cap gives up once, then stays quiet until the window frees a slot",
          "[autoheal][cap]") {
  auto policy = Policy();  // 3 restarts per 10 min
  auto c = Sick("x");
  RestartAt(policy, c, kT0);        // backoff 10 s
  RestartAt(policy, c, kT0 + 10s);  // backoff 20 s
  RestartAt(policy, c, kT0 + 30s);  // backoff 40 s

  auto gave_up = policy.OnUnhealthy(c, kT0 + 70s);
  CHECK(gave_up.action == Action::kGaveUp);
  CHECK(gave_up.reason == AutohealReason::kCapReached);
  CHECK(gave_up.until == kT0 + 10min);
  CHECK(gave_up.detail ==
        "giving up: 3 restarts in the last 600s; next try when the window frees a slot or after "
        "60s healthy");
  CHECK(policy.StateOf("x", kT0 + 70s)->gave_up);

  // Events and sweeps after that: no second "gave up", no restart.
  for (auto t = kT0 + 71s; t < kT0 + 10min; t += 5s) {
    auto d = policy.OnUnhealthy(c, t);
    CHECK(d.action == Action::kSkip);
    CHECK(d.reason == AutohealReason::kGaveUpEarlier);
    auto swept = policy.Sweep({c}, t);
    REQUIRE(swept.size() == 1);
    CHECK(swept[0].action == Action::kSkip);
  }
  CHECK(policy.OnUnhealthy(c, kT0 + 10min - 1s).until == kT0 + 10min);

  SECTION("the window passes: one slot, one restart, then a new give-up") {
    auto d = policy.OnUnhealthy(c, kT0 + 10min);
    CHECK(d.action == Action::kRestart);
    CHECK(d.detail == "unhealthy: restart 4 with a 10s stop timeout");
    CHECK_FALSE(policy.StateOf("x", kT0 + 10min)->gave_up);
    policy.OnRestarted("x", kT0 + 10min, true);
    // Three restarts in the window again (kT0+10s, kT0+30s, kT0+10min): a new give-up, reported.
    auto again = policy.OnUnhealthy(c, kT0 + 10min + 1s);
    CHECK(again.action == Action::kGaveUp);
    CHECK(again.until == kT0 + 10min + 10s);
    CHECK(policy.OnUnhealthy(c, kT0 + 10min + 2s).reason == AutohealReason::kGaveUpEarlier);
  }
  SECTION("sustained health lifts the give-up") {
    policy.OnHealthy("x", kT0 + 100s);
    CHECK(policy.OnUnhealthy(c, kT0 + 160s).action == Action::kRestart);
    CHECK(policy.StateOf("x", kT0 + 160s)->restarts_in_window == 1);
  }
  SECTION("a short healthy spell does not") {
    policy.OnHealthy("x", kT0 + 100s);
    auto d = policy.OnUnhealthy(c, kT0 + 130s);
    CHECK(d.action == Action::kSkip);
    CHECK(d.reason == AutohealReason::kGaveUpEarlier);
  }
}

TEST_CASE("restarts leave the window exactly one window later", "[autoheal][cap]") {
  auto config = TestConfig();
  config.max_restarts = 1;
  auto policy = Policy(config);
  auto c = Sick("x");
  RestartAt(policy, c, kT0);
  CHECK(policy.StateOf("x", kT0 + 10min - 1s)->restarts_in_window == 1);
  CHECK(policy.OnUnhealthy(c, kT0 + 10min - 1s).action == Action::kGaveUp);
  CHECK(policy.StateOf("x", kT0 + 10min)->restarts_in_window == 0);
  CHECK(policy.OnUnhealthy(c, kT0 + 10min).action == Action::kRestart);
}

// ---------------------------------------------------------------------------------------------
// Sweep and forgetting.

TEST_CASE("a sweep decides for every unhealthy container, in order", "[autoheal][sweep]") {
  auto policy = Policy();
  std::vector<AutohealContainer> all = {
      Sick("b"),
      WithHealth(Sick("ok"), "healthy"),
      Sick("task", {{"autoheal", "true"}, {"com.docker.swarm.task.id", "t"}}),
      Sick("plain", {}),
      Sick("a"),
  };
  auto decisions = policy.Sweep(all, kT0);
  REQUIRE(decisions.size() == 4);
  CHECK(decisions[0].container_id == "b");
  CHECK(decisions[0].action == Action::kRestart);
  CHECK(decisions[1].container_id == "task");
  CHECK(decisions[1].reason == AutohealReason::kSwarmTask);
  CHECK(decisions[2].container_id == "plain");
  CHECK(decisions[2].reason == AutohealReason::kNotSelected);
  CHECK(decisions[3].container_id == "a");
  CHECK(decisions[3].action == Action::kRestart);
  CHECK(policy.tracked() == 2);
}

TEST_CASE("containers that disappear are forgotten", "[autoheal][sweep]") {
  auto policy = Policy();
  RestartAt(policy, Sick("gone"), kT0);
  RestartAt(policy, Sick("stays"), kT0);
  CHECK(policy.tracked() == 2);

  policy.Sweep({WithHealth(Sick("stays"), "starting")}, kT0 + 5s);
  CHECK(policy.tracked() == 1);
  CHECK_FALSE(policy.StateOf("gone", kT0 + 5s));
  REQUIRE(policy.StateOf("stays", kT0 + 5s));

  // A late report about the forgotten container changes nothing.
  policy.OnRestarted("gone", kT0 + 6s, true);
  CHECK(policy.tracked() == 1);

  policy.Forget("stays");
  CHECK(policy.tracked() == 0);
  // Should the same id come back, it starts afresh.
  CHECK(policy.OnUnhealthy(Sick("stays"), kT0 + 7s).action == Action::kRestart);
  CHECK(policy.StateOf("stays", kT0 + 7s)->restarts == 1);

  policy.Sweep({}, kT0 + 8s);
  CHECK(policy.tracked() == 0);
}

// Regression (issue 8): a container whose inspect failed was left out of the sweep, which took it
// for gone and erased its backoff, so it was restarted again 10 s after a restart that had a 30 s
// backoff. Driven like the service: a sweep every AUTOHEAL_INTERVAL (5 s) on a simulated clock.
TEST_CASE("a failed inspect keeps the container's backoff", "[autoheal][sweep]") {
  AutohealConfig config;  // the defaults: backoff 30 s, stop timeout 10 s, interval 5 s
  auto policy = Policy(config);
  testing::FakeClock clock;
  const SteadyTime start = clock.Now();
  auto c = Sick("x");
  auto unreadable = c;
  unreadable.details_known = false;

  auto first = policy.Sweep({c}, clock.Now());
  REQUIRE(first.size() == 1);
  REQUIRE(first[0].action == Action::kRestart);
  policy.OnRestarted("x", clock.Now(), true);  // backoff until start + 30 s

  clock.Advance(config.interval);  // the inspect fails: skipped, not forgotten
  auto skipped = policy.Sweep({unreadable}, clock.Now());
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].action == Action::kSkip);
  CHECK(skipped[0].reason == AutohealReason::kDetailsUnknown);
  REQUIRE(policy.StateOf("x", clock.Now()));
  CHECK(policy.StateOf("x", clock.Now())->next_restart_at == start + 30s);

  int restarts = 0;
  SteadyTime second{};
  while (clock.Now() < start + 60s) {
    clock.Advance(config.interval);
    for (const auto& d : policy.Sweep({clock.Now() - start == 15s ? unreadable : c}, clock.Now())) {
      if (d.action == Action::kRestart) {
        if (++restarts == 1) second = clock.Now();
        policy.OnRestarted("x", clock.Now(), true);
      } else if (clock.Now() - start < 30s && clock.Now() - start != 15s) {
        CHECK(d.action == Action::kWait);
        CHECK(d.until == start + 30s);
      }
    }
  }
  CHECK(restarts == 1);
  CHECK(second == start + 30s);  // exactly when the backoff ends, not 10 s after the first
  CHECK(policy.StateOf("x", clock.Now())->restarts == 2);
}

TEST_CASE("a failed inspect is never acted on, whatever the labels say", "[autoheal][sweep]") {
  auto policy = Policy();
  auto c = Sick("fresh");
  c.details_known = false;
  auto d = policy.OnUnhealthy(c, kT0);
  CHECK(d.action == Action::kSkip);
  CHECK(d.reason == AutohealReason::kDetailsUnknown);
  CHECK(policy.tracked() == 0);  // nothing to remember about it yet
}

TEST_CASE("at most kAutohealMaxTracked containers are remembered", "[autoheal][bounds]") {
  auto config = TestConfig();
  auto policy = Policy(config);
  std::vector<AutohealContainer> all;
  for (std::size_t i = 0; i < kAutohealMaxTracked; ++i)
    all.push_back(Sick("c" + std::to_string(i)));
  for (const auto& d : policy.Sweep(all, kT0)) REQUIRE(d.action == Action::kRestart);
  CHECK(policy.tracked() == kAutohealMaxTracked);

  // One more: refused without touching anyone else's backoff.
  all.push_back(Sick("extra"));
  auto decisions = policy.Sweep(all, kT0 + 1s);
  REQUIRE(decisions.size() == kAutohealMaxTracked + 1);
  CHECK(decisions.back().action == Action::kSkip);
  CHECK(decisions.back().reason == AutohealReason::kTrackLimit);
  CHECK(decisions.front().action == Action::kWait);
  CHECK(policy.tracked() == kAutohealMaxTracked);

  // Containers that went away free their entries; then the newcomer is handled.
  auto after = policy.Sweep({Sick("extra")}, kT0 + 2s);
  REQUIRE(after.size() == 1);
  CHECK(after[0].action == Action::kRestart);
  CHECK(policy.tracked() == 1);
}

// ---------------------------------------------------------------------------------------------
// Configuration.

TEST_CASE("autoheal defaults match willfarrell/autoheal where it has them", "[autoheal][config]") {
  AutohealConfig c;
  CHECK(c.container_label == "autoheal");
  CHECK(c.interval == 5s);
  CHECK(c.start_period == 0s);
  CHECK(c.default_stop_timeout == 10s);
  CHECK(ValidateAutohealConfig(c).ok());
  CHECK(AutohealPolicy::Create(c).ok());
}

TEST_CASE("autoheal settings out of range are refused", "[autoheal][config]") {
  struct Case {
    void (*change)(AutohealConfig&);
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](AutohealConfig& c) { c.container_label = ""; }, "autoheal: container label is empty"},
      {[](AutohealConfig& c) { c.interval = 0s; }, "autoheal: interval 0s is not positive"},
      {[](AutohealConfig& c) { c.start_period = -1s; }, "autoheal: start period -1s is negative"},
      {[](AutohealConfig& c) { c.default_stop_timeout = -1s; },
       "autoheal: default stop timeout -1s is outside 0s..3600s"},
      {[](AutohealConfig& c) { c.default_stop_timeout = 3601s; },
       "autoheal: default stop timeout 3601s is outside 0s..3600s"},
      {[](AutohealConfig& c) { c.backoff_base = 0s; }, "autoheal: backoff base 0s is not positive"},
      {[](AutohealConfig& c) { c.backoff_max = 5s; },
       "autoheal: backoff max 5s is below the backoff base 10s"},
      {[](AutohealConfig& c) { c.max_restarts = 0; }, "autoheal: max restarts 0 is below 1"},
      {[](AutohealConfig& c) { c.window = 0s; }, "autoheal: window 0s is not positive"},
      {[](AutohealConfig& c) { c.healthy_reset = 0s; },
       "autoheal: healthy reset 0s is not positive"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    auto config = TestConfig();
    c.change(config);
    auto status = ValidateAutohealConfig(config);
    CHECK(status.code() == Status::Code::kInvalidArgument);
    CHECK(status.message() == c.message);
    auto policy = AutohealPolicy::Create(config);
    REQUIRE_FALSE(policy.ok());
    CHECK(policy.status().message() == c.message);
  }
}

TEST_CASE("autoheal reasons have stable names", "[autoheal]") {
  CHECK(AutohealReasonName(AutohealReason::kUnhealthy) == "unhealthy");
  CHECK(AutohealReasonName(AutohealReason::kCapReached) == "cap_reached");
  CHECK(AutohealReasonName(AutohealReason::kGaveUpEarlier) == "gave_up_earlier");
  CHECK(AutohealReasonName(AutohealReason::kSwarmTask) == "swarm_task");
}

}  // namespace
}  // namespace orcastra::agent
