// Modcache, the I/O side (issue 4): SHA-256, the env options, and the ModCache loop with a fake
// fetcher and a fake clock.
#include "agent/modcache/service.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "agent/modcache/downloader.h"
#include "tests/fakes/fake_clock.h"
#include "tests/unit/agent/modcache/modcache_test_util.h"
#include "tests/unit/config/config_test_util.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using config::ModSource;
using orcastra::testing::FakeClock;
using namespace agent::testing;

TEST_CASE("modcache: SHA-256 of known inputs", "[modcache]") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("test") == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

TEST_CASE("modcache options from the environment", "[modcache]") {
  using config::testing::FakeEnv;
  auto defaults = ModCacheOptionsFromEnv(FakeEnv({}), "/cfg");
  REQUIRE(defaults.ok());
  CHECK(defaults->enabled);
  CHECK_FALSE(defaults->dry_run);
  CHECK(defaults->dest == "/var/lib/orcastra/mods");
  CHECK(defaults->config_path == "/cfg/modcache.yml");
  CHECK(defaults->policy.refresh_interval == 1h);
  CHECK(defaults->limits.max_bytes == 256 << 20);
  CHECK(defaults->concurrency == 2);

  auto set = ModCacheOptionsFromEnv(FakeEnv({{"MOD_MANAGER_ENABLED", "No"},
                                             {"DRY_RUN", "true"},
                                             {"MOD_MANAGER_DEST", "/mods"},
                                             {"MOD_MANAGER_CONFIG", "mods.yml"},
                                             {"MOD_MANAGER_REFRESH_INTERVAL_MINUTES", "15"},
                                             {"MOD_MANAGER_MAX_BYTES", "64M"},
                                             {"MOD_MANAGER_CONCURRENCY", "4"},
                                             {"MOD_MANAGER_BACKOFF_BASE", "10s"},
                                             {"MOD_MANAGER_BACKOFF_MAX", "5m"}}),
                                    "/cfg");
  REQUIRE(set.ok());
  CHECK_FALSE(set->enabled);
  CHECK(set->dry_run);
  CHECK(set->dest == "/mods");
  CHECK(set->config_path == "/cfg/mods.yml");
  CHECK(set->policy.refresh_interval == 15min);
  CHECK(set->limits.max_bytes == 64 << 20);
  CHECK(set->concurrency == 4);
  CHECK(set->policy.backoff_base == 10s);
  CHECK(set->policy.backoff_max == 5min);

  // MOD_MANAGER_DRY_RUN wins over DRY_RUN; empty values count as unset.
  auto dry = ModCacheOptionsFromEnv(
      FakeEnv({{"DRY_RUN", "true"}, {"MOD_MANAGER_DRY_RUN", "false"}, {"MOD_MANAGER_DEST", ""}}),
      "/cfg");
  REQUIRE(dry.ok());
  CHECK_FALSE(dry->dry_run);
  CHECK(dry->dest == "/var/lib/orcastra/mods");

  auto error = [](std::map<std::string, std::string> vars) {
    auto r = ModCacheOptionsFromEnv(FakeEnv(std::move(vars)), "/cfg");
    return r.ok() ? std::string() : r.status().message();
  };
  CHECK_THAT(error({{"MOD_MANAGER_REFRESH_INTERVAL_MINUTES", "0"}}),
             Catch::Contains("MOD_MANAGER_REFRESH_INTERVAL_MINUTES"));
  CHECK_THAT(error({{"MOD_MANAGER_REFRESH_INTERVAL_MINUTES", "1h"}}),
             Catch::Contains("MOD_MANAGER_REFRESH_INTERVAL_MINUTES"));
  CHECK_THAT(error({{"MOD_MANAGER_MAX_BYTES", "lots"}}), Catch::Contains("MOD_MANAGER_MAX_BYTES"));
  CHECK_THAT(error({{"MOD_MANAGER_MAX_BYTES", "0"}}), Catch::Contains("MOD_MANAGER_MAX_BYTES"));
  CHECK_THAT(error({{"MOD_MANAGER_CONCURRENCY", "17"}}),
             Catch::Contains("MOD_MANAGER_CONCURRENCY"));
  CHECK_THAT(error({{"MOD_MANAGER_ENABLED", "maybe"}}), Catch::Contains("MOD_MANAGER_ENABLED"));
  CHECK_THAT(error({{"MOD_MANAGER_DRY_RUN", "maybe"}}), Catch::Contains("MOD_MANAGER_DRY_RUN"));
  CHECK_THAT(error({{"MOD_MANAGER_DEST", "relative/dir"}}), Catch::Contains("MOD_MANAGER_DEST"));
  CHECK(error({{"MOD_MANAGER_BACKOFF_BASE", "25h"}}) ==
        "MOD_MANAGER_BACKOFF_BASE='25h': expected a duration from 1s to 24h (a bare number is "
        "seconds)");
  CHECK(error({{"MOD_MANAGER_BACKOFF_MAX", "inf"}}) ==
        "MOD_MANAGER_BACKOFF_MAX='inf': expected a duration from 1s to 24h (a bare number is "
        "seconds)");
  CHECK(error({{"MOD_MANAGER_CONCURRENCY", "99999999999999999999"}}) ==
        "MOD_MANAGER_CONCURRENCY '99999999999999999999' is not a whole number from 1 to 16");
  CHECK_THAT(error({{"MOD_MANAGER_BACKOFF_BASE", "10m"}, {"MOD_MANAGER_BACKOFF_MAX", "1m"}}),
             Catch::Contains("MOD_MANAGER_BACKOFF_MAX"));
}

// The loop with a scripted fetcher: no network, no sleeping.
struct Harness {
  config::testing::TempDir dir;
  FakeClock clock;
  std::mutex mutex;
  std::vector<protocol::Event> events;
  std::vector<ModFetchRequest> requests;
  std::function<ModFetchResult(const ModFetchRequest&)> answer;
  Result<std::vector<config::ContainerLabels>> labels = std::vector<config::ContainerLabels>{};

  ModCacheOptions Options(bool dry_run = false) {
    ModCacheOptions o;
    o.dest = dir.File("dest");
    o.config_path = dir.File("modcache.yml");
    o.dry_run = dry_run;
    o.policy = Policy();
    return o;
  }
  std::unique_ptr<ModCache> Make(bool dry_run = false) {
    return std::make_unique<ModCache>(
        Options(dry_run), [this] { return labels; },
        [this](protocol::Event e) {
          std::lock_guard lock(mutex);
          events.push_back(std::move(e));
        },
        &clock,
        [this](const ModFetchRequest& r, const std::atomic<bool>*) {
          std::lock_guard lock(mutex);
          requests.push_back(r);
          return answer(r);
        });
  }
  ModFetchRequest RequestFor(const std::string& file) {
    for (const auto& r : requests) {
      if (r.file == file) return r;
    }
    FAIL("no request for " + file);
    return {};
  }
  std::vector<std::string> Kinds() {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.kind + ":" + e.subject);
    std::sort(out.begin(), out.end());
    events.clear();
    return out;
  }
};

TEST_CASE("modcache loop: file and label sources, events, backoff, refresh, state file",
          "[modcache]") {
  Harness h;
  h.dir.Write("modcache.yml", "- url: https://h/a.tgz\n- url: https://h/b.tgz\n");
  h.labels = std::vector<config::ContainerLabels>{
      {"web", {{"com.linuxserver.mod.c.tgz", "https://h/c.tgz"}}}};
  h.answer = [](const ModFetchRequest& r) {
    if (r.file == "b.tgz") return Fetched(ModFetchStatus::kFailed, "HTTP status 500");
    return Downloaded("\"" + r.file + "\"", kShaA);
  };
  auto cache = h.Make();
  cache->RunOnce(false);
  CHECK(h.Kinds() == std::vector<std::string>{"modcache_failed:b.tgz", "modcache_updated:a.tgz",
                                              "modcache_updated:c.tgz"});
  CHECK(h.requests.size() == 3);
  std::string state_text = config::testing::ReadText(h.dir.File("dest/.modcache-state.json"));
  CHECK_THAT(state_text, Catch::Contains("\"a.tgz\""));
  CHECK_THAT(state_text, Catch::Contains("\"c.tgz\""));

  // Nothing due before the backoff of b.
  h.requests.clear();
  h.clock.Advance(29s);
  cache->RunOnce(false);
  CHECK(h.requests.empty());
  h.clock.Advance(1s);
  cache->RunOnce(false);
  REQUIRE(h.requests.size() == 1);
  CHECK(h.requests[0].file == "b.tgz");
  CHECK(h.Kinds() == std::vector<std::string>{"modcache_failed:b.tgz"});

  // RefreshNow's pass: everything, conditional where a file is present (here none is: the fake
  // fetcher wrote nothing, so the requests are unconditional).
  h.requests.clear();
  h.answer = [](const ModFetchRequest& r) {
    return r.etag.empty() ? Downloaded("\"" + r.file + "\"", kShaB)
                          : Fetched(ModFetchStatus::kNotModified);
  };
  std::filesystem::create_directories(h.dir.File("dest"));
  std::ofstream(h.dir.File("dest/a.tgz")) << "x";
  cache->RunOnce(true);
  REQUIRE(h.requests.size() == 3);
  CHECK(h.RequestFor("a.tgz").etag == "\"a.tgz\"");  // present: conditional
  CHECK(h.RequestFor("c.tgz").etag.empty());         // absent: unconditional
  // a: 304 -> unchanged (not reported); b and c downloaded.
  CHECK(h.Kinds() == std::vector<std::string>{"modcache_updated:b.tgz", "modcache_updated:c.tgz"});

  // A failed container list keeps the label sources; a refused modcache.yml keeps its sources.
  h.labels = orcastra::Status::Unavailable("docker down");
  h.dir.Write("modcache.yml", "- url: ftp://nope/x\n");
  h.clock.Advance(1min);
  cache->RunOnce(false);
  CHECK(cache->state().sources().size() == 3);

  // A restart reads the validators back.
  h.dir.Write("modcache.yml", "- url: https://h/a.tgz\n- url: https://h/b.tgz\n");
  h.requests.clear();
  h.answer = [](const ModFetchRequest&) { return Fetched(ModFetchStatus::kNotModified); };
  auto restarted = h.Make();
  restarted->RunOnce(false);
  bool asked_a = false;
  for (const auto& r : h.requests) {
    if (r.file == "a.tgz") {
      asked_a = true;
      CHECK(r.etag == "\"a.tgz\"");
      CHECK(r.current_sha256 == kShaA);
    }
  }
  CHECK(asked_a);
}

TEST_CASE("modcache loop: dry run fetches nothing and writes nothing", "[modcache]") {
  Harness h;
  h.dir.Write("modcache.yml", "- https://h/a.tgz\n");
  h.answer = [](const ModFetchRequest&) { return Downloaded("", kShaA); };
  auto cache = h.Make(/*dry_run=*/true);
  cache->RunOnce(false);
  CHECK(h.requests.empty());
  CHECK(h.Kinds() == std::vector<std::string>{"modcache_dry_run:a.tgz"});
  CHECK_FALSE(std::filesystem::exists(h.dir.File("dest")));
  cache->RunOnce(false);
  CHECK(h.Kinds().empty());  // next look after the refresh interval
  h.clock.Advance(1h);
  cache->RunOnce(false);
  CHECK(h.Kinds() == std::vector<std::string>{"modcache_dry_run:a.tgz"});
}

TEST_CASE("modcache loop: RefreshNow from another thread wakes the running service", "[modcache]") {
  Harness h;
  h.dir.Write("modcache.yml", "- https://h/a.tgz\n");
  std::atomic<int> fetches{0};
  h.answer = [&](const ModFetchRequest&) {
    ++fetches;
    return Downloaded("", kShaA);
  };
  auto cache = h.Make();
  cache->Start();
  for (int i = 0; i < 500 && fetches < 1; ++i) std::this_thread::sleep_for(10ms);
  CHECK(fetches == 1);
  cache->RefreshNow();
  for (int i = 0; i < 500 && fetches < 2; ++i) std::this_thread::sleep_for(10ms);
  CHECK(fetches == 2);
  cache->Stop();
}

}  // namespace
}  // namespace orcastra::agent
