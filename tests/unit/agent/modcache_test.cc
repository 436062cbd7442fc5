// Modcache decisions (issue 4): validators, hash pinning, backoff and its cap, reset after a
// success, source changes, the state file, the env options; and the ModCache loop with a fake
// fetcher and a fake clock.
#include "agent/modcache.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "agent/mod_downloader.h"
#include "agent/modcacher.h"
#include "tests/fakes/fake_clock.h"
#include "tests/unit/config/config_test_util.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using config::ModSource;
using orcastra::testing::FakeClock;

const std::string kShaA = std::string(64, 'a');
const std::string kShaB = std::string(64, 'b');

ModSource Src(std::string file, std::string url, std::optional<std::string> sha = std::nullopt) {
  return {std::move(url), std::move(file), std::move(sha), "test"};
}

ModFetchResult Downloaded(std::string etag, std::string sha, std::string last_modified = "") {
  ModFetchResult r;
  r.status = ModFetchStatus::kDownloaded;
  r.http_status = 200;
  r.etag = std::move(etag);
  r.last_modified = std::move(last_modified);
  r.sha256 = std::move(sha);
  r.bytes = 10;
  return r;
}

ModFetchResult Fetched(ModFetchStatus status, std::string error = "") {
  ModFetchResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

ModcachePolicy Policy() {
  return {.refresh_interval = 1h, .backoff_base = 30s, .backoff_max = 10min};
}

TEST_CASE("modcache state: first fetch is unconditional and due at once", "[modcache]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("a.tgz", "https://h/a.tgz", kShaA)}, clock.Now());
  CHECK(state.Due(clock.Now(), false) == std::vector<std::string>{"a.tgz"});
  // Even when a file of that name is present, nothing is known about it: no validators.
  ModFetchRequest r = state.Request("a.tgz", /*file_present=*/true);
  CHECK(r.url == "https://h/a.tgz");
  CHECK(r.expected_sha256 == kShaA);
  CHECK(r.etag.empty());
  CHECK(r.last_modified.empty());
  CHECK(r.current_sha256.empty());
}

TEST_CASE("modcache state: 200 updates, 304 keeps, validators sent only with the file",
          "[modcache]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("a", "https://h/a")}, clock.Now());

  ModDecision d = state.OnResult("a", Downloaded("\"v1\"", kShaA, "Mon, 01 Jan 2024 00:00:00 GMT"),
                                 clock.Now());
  CHECK(d.outcome == ModOutcome::kUpdated);
  CHECK(d.retry_in == 1h);
  CHECK(state.Due(clock.Now(), false).empty());
  CHECK(state.NextAttempt() == clock.Now() + 1h);

  ModFetchRequest with_file = state.Request("a", true);
  CHECK(with_file.etag == "\"v1\"");
  CHECK(with_file.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT");
  CHECK(with_file.current_sha256 == kShaA);
  ModFetchRequest deleted = state.Request("a", false);  // someone removed the file
  CHECK(deleted.etag.empty());
  CHECK(deleted.last_modified.empty());
  CHECK(deleted.current_sha256.empty());

  clock.Advance(1h);
  CHECK(state.Due(clock.Now(), false) == std::vector<std::string>{"a"});
  d = state.OnResult("a", Fetched(ModFetchStatus::kNotModified), clock.Now());
  CHECK(d.outcome == ModOutcome::kUnchanged);
  CHECK(d.consecutive_failures == 0);
  CHECK(state.Find("a")->etag == "\"v1\"");
  CHECK(state.Find("a")->sha256 == kShaA);
  CHECK(state.NextAttempt() == clock.Now() + 1h);

  // Same content without validators from the server: unchanged, validators refreshed.
  clock.Advance(1h);
  ModFetchResult same = Downloaded("\"v2\"", kShaA);
  same.status = ModFetchStatus::kSameContent;
  d = state.OnResult("a", same, clock.Now());
  CHECK(d.outcome == ModOutcome::kUnchanged);
  CHECK(state.Find("a")->etag == "\"v2\"");

  // Changed content.
  clock.Advance(1h);
  d = state.OnResult("a", Downloaded("\"v3\"", kShaB), clock.Now());
  CHECK(d.outcome == ModOutcome::kUpdated);
  CHECK(state.Find("a")->sha256 == kShaB);
  CHECK(state.Request("a", true).etag == "\"v3\"");
}

TEST_CASE("modcache state: a hash mismatch keeps the last good file and backs off", "[modcache]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("a", "https://h/a", kShaA)}, clock.Now());
  REQUIRE(state.OnResult("a", Downloaded("\"good\"", kShaA), clock.Now()).outcome ==
          ModOutcome::kUpdated);
  clock.Advance(1h);
  ModFetchResult bad = Downloaded("\"evil\"", kShaB);
  bad.status = ModFetchStatus::kHashMismatch;
  bad.error = "sha256 mismatch";
  ModDecision d = state.OnResult("a", bad, clock.Now());
  CHECK(d.outcome == ModOutcome::kFailed);
  CHECK(d.detail == "sha256 mismatch");
  CHECK(d.consecutive_failures == 1);
  CHECK(d.retry_in == 30s);
  const ModSourceState* s = state.Find("a");
  CHECK(s->have_file);
  CHECK(s->sha256 == kShaA);  // the last good file
  CHECK(s->etag == "\"good\"");
  CHECK(s->last_error == "sha256 mismatch");
  clock.Advance(29s);
  CHECK(state.Due(clock.Now(), false).empty());
  clock.Advance(1s);
  CHECK(state.Due(clock.Now(), false) == std::vector<std::string>{"a"});
  CHECK(state.OnResult("a", bad, clock.Now()).retry_in == 60s);
}

TEST_CASE("modcache state: the backoff sequence, its cap, and the reset after a success",
          "[modcache]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("a", "https://h/a")}, clock.Now());
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 8; ++i) {
    ModDecision d =
        state.OnResult("a", Fetched(ModFetchStatus::kFailed, "connection refused"), clock.Now());
    CHECK(d.outcome == ModOutcome::kFailed);
    CHECK(d.consecutive_failures == i + 1);
    CHECK(state.Due(clock.Now(), false).empty());
    delays.push_back(d.retry_in.count());
    clock.Advance(d.retry_in);
    CHECK(state.Due(clock.Now(), false) == std::vector<std::string>{"a"});
  }
  CHECK(delays == std::vector<std::int64_t>{30, 60, 120, 240, 480, 600, 600, 600});
  CHECK(state.Backoff(0) == 0s);
  CHECK(state.Backoff(1000) == 10min);  // no overflow

  // A 304 without a cached copy is a failure too (the server is confused).
  CHECK(state.OnResult("a", Fetched(ModFetchStatus::kNotModified), clock.Now()).outcome ==
        ModOutcome::kFailed);
  CHECK(state.Find("a")->consecutive_failures == 9);

  ModDecision ok = state.OnResult("a", Downloaded("\"e\"", kShaA), clock.Now());
  CHECK(ok.outcome == ModOutcome::kUpdated);
  CHECK(ok.consecutive_failures == 0);
  CHECK(state.Find("a")->last_error.empty());
  ModDecision again = state.OnResult("a", Fetched(ModFetchStatus::kFailed, "x"), clock.Now());
  CHECK(again.retry_in == 30s);  // from the base again
  // Validators survive failures.
  CHECK(state.Request("a", true).etag == "\"e\"");
}

TEST_CASE("modcache state: force ignores the schedule and the backoff", "[modcache]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("a", "https://h/a"), Src("b", "https://h/b")}, clock.Now());
  (void)state.OnResult("a", Downloaded("", kShaA), clock.Now());
  (void)state.OnResult("b", Fetched(ModFetchStatus::kFailed, "x"), clock.Now());
  CHECK(state.Due(clock.Now(), false).empty());
  CHECK(state.Due(clock.Now(), true) == std::vector<std::string>{"a", "b"});
  CHECK(state.NextAttempt() == clock.Now() + 30s);
}

TEST_CASE("modcache state: changed, removed and returning sources", "[modcache]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("a", "https://h/a"), Src("b", "https://h/b")}, clock.Now());
  (void)state.OnResult("a", Downloaded("\"a1\"", kShaA), clock.Now());
  (void)state.OnResult("b", Downloaded("\"b1\"", kShaB), clock.Now());
  (void)state.OnResult("a", Fetched(ModFetchStatus::kFailed, "x"), clock.Now());
  clock.Advance(1s);

  // a: same target, keeps everything (backoff included). b: new URL, starts afresh but keeps
  // knowing the file in place.
  state.SetSources({Src("a", "https://h/a"), Src("b", "https://mirror/b")}, clock.Now());
  CHECK(state.Find("a")->consecutive_failures == 1);
  CHECK(state.Find("a")->etag == "\"a1\"");
  CHECK(state.Due(clock.Now(), false) == std::vector<std::string>{"b"});
  ModFetchRequest b = state.Request("b", true);
  CHECK(b.etag.empty());
  CHECK(b.current_sha256 == kShaB);

  // A newly pinned hash also starts afresh.
  state.SetSources({Src("a", "https://h/a", kShaA), Src("b", "https://mirror/b")}, clock.Now());
  CHECK(state.Find("a")->consecutive_failures == 0);
  CHECK(state.Find("a")->etag.empty());

  // a removed, then back: its validators are remembered.
  (void)state.OnResult("a", Downloaded("\"a2\"", kShaA), clock.Now());
  state.SetSources({Src("b", "https://mirror/b")}, clock.Now());
  CHECK(state.Find("a") == nullptr);
  CHECK(state.ToPersist().size() == 2);  // a's record is kept for its return
  state.SetSources({Src("a", "https://h/a", kShaA), Src("b", "https://mirror/b")}, clock.Now());
  CHECK(state.Find("a")->etag == "\"a2\"");
  CHECK(state.Due(clock.Now(), false) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("modcache state: persisted validators come back only for the same target", "[modcache]") {
  FakeClock clock;
  std::vector<PersistedMod> persisted = {
      {"same", "https://h/same", "\"s\"", "Mon, 01 Jan 2024 00:00:00 GMT", kShaA, 5},
      {"moved", "https://old/moved", "\"m\"", "", kShaA, 5},
      {"repinned", "https://h/repinned", "\"r\"", "", kShaA, 5},
      {"pinned", "https://h/pinned", "\"p\"", "", kShaB, 5}};
  ModcacheState state(Policy(), persisted);
  state.SetSources({Src("same", "https://h/same"), Src("moved", "https://new/moved"),
                    Src("repinned", "https://h/repinned", kShaB),
                    Src("pinned", "https://h/pinned", kShaB), Src("new", "https://h/new")},
                   clock.Now());
  CHECK(state.Request("same", true).etag == "\"s\"");
  CHECK(state.Request("same", true).last_modified == "Mon, 01 Jan 2024 00:00:00 GMT");
  CHECK(state.Request("moved", true).etag.empty());
  CHECK(state.Request("moved", true).current_sha256 == kShaA);
  CHECK(state.Request("repinned", true).etag.empty());
  CHECK(state.Request("pinned", true).etag == "\"p\"");
  CHECK_FALSE(state.Find("new")->have_file);
  // Everything is checked at start.
  CHECK(state.Due(clock.Now(), false).size() == 5);
}

TEST_CASE("modcache state file: round trip and refusals", "[modcache]") {
  std::vector<PersistedMod> mods = {{"a", "https://h/a", "\"x\\\"y\"", "", kShaA, 12},
                                    {"b", "https://h/b", "", "Tue", kShaB, 0}};
  auto decoded = DecodeModcacheState(EncodeModcacheState(mods));
  REQUIRE(decoded.ok());
  CHECK(*decoded == mods);
  CHECK(DecodeModcacheState(EncodeModcacheState({}))->empty());
  CHECK_FALSE(DecodeModcacheState("").ok());
  CHECK_FALSE(DecodeModcacheState("{\"version\":2,\"mods\":[]}").ok());
  CHECK_FALSE(DecodeModcacheState("{\"version\":1,\"mods\":[{\"file\":\"a\"}]}").ok());
  CHECK_FALSE(DecodeModcacheState("[1,2]").ok());
}

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
