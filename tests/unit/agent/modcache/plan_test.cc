// Modcache decisions (issue 4): validators, hash pinning, backoff and its cap, reset after a
// success, source changes, the state file.
#include "agent/modcache/plan.h"

#include <catch2/catch.hpp>

#include "tests/fakes/fake_clock.h"
#include "tests/unit/agent/modcache/modcache_test_util.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using namespace testing;
using orcastra::testing::FakeClock;

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

// Issue 8: sources come from containers' labels, so their number and the records of forgotten
// ones are bounded.
TEST_CASE("modcache state: at most kMaxModSources sources are followed", "[modcache][bounds]") {
  FakeClock clock;
  ModcacheState state(Policy());
  std::vector<ModSource> many;
  for (std::size_t i = 0; i < kMaxModSources + 5; ++i) {
    many.push_back(Src("f" + std::to_string(i), "https://h/" + std::to_string(i)));
  }
  CHECK(state.SetSources(many, clock.Now()) == 5);
  CHECK(state.sources().size() == kMaxModSources);
  CHECK(state.Find("f0") != nullptr);
  CHECK(state.Find("f" + std::to_string(kMaxModSources)) == nullptr);  // the first beyond the cap
  CHECK(state.SetSources({Src("f0", "https://h/0")}, clock.Now()) == 0);
}

TEST_CASE("modcache state: records of removed sources go with their files", "[modcache][bounds]") {
  FakeClock clock;
  ModcacheState state(Policy());
  state.SetSources({Src("kept", "https://h/kept"), Src("gone", "https://h/gone"),
                    Src("current", "https://h/current")},
                   clock.Now());
  for (const char* file : {"kept", "gone", "current"}) {
    (void)state.OnResult(file, Downloaded("\"e\"", kShaA), clock.Now());
  }
  state.SetSources({Src("current", "https://h/current")}, clock.Now());
  CHECK(state.ToPersist().size() == 3);
  // "gone" was deleted from the destination: its validators can never be sent again.
  std::vector<std::string> asked;
  auto present = [&](const std::string& file) {
    asked.push_back(file);
    return file != "gone";
  };
  CHECK(state.PruneForgotten(present) == 1);
  CHECK(asked == std::vector<std::string>{"gone", "kept"});  // never the current sources
  std::vector<std::string> files;
  for (const auto& mod : state.ToPersist()) files.push_back(mod.file);
  CHECK(files == std::vector<std::string>{"current", "kept"});

  // The records are capped too.
  std::vector<PersistedMod> persisted;
  for (std::size_t i = 0; i < kMaxModSources + 3; ++i) {
    persisted.push_back({"p" + std::to_string(1000000 + i), "https://h/p", "", "", kShaA, 1});
  }
  ModcacheState restored(Policy(), persisted);
  CHECK(restored.PruneForgotten([](const std::string&) { return true; }) == 3);
  CHECK(restored.ToPersist().size() == kMaxModSources);
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

// Issue 8 (fuzz_modcache_state): an ETag is a server's bytes and JSON holds UTF-8 only; written
// with U+FFFD it would come back as a validator the server never sent. Such a field is written
// empty (a full download next time), a record whose file or URL is not UTF-8 is left out, and a
// byte count that is negative or beyond int64 is refused on reading.
TEST_CASE("modcache state file: fields that are not UTF-8 are dropped, never altered",
          "[modcache]") {
  std::vector<PersistedMod> mods = {
      {"a.tar.gz", "https://x/a", "\"e\xff\"", "Tue, 01 Dec 2026 \xfe", "abc", 5},
      {"b\xff", "https://x/b", "\"e\"", "", "", 1},
      {"c", "https://x/c", "\"ok\"", "Tue", "def", -1},
      {"d", "https://x/d", "\"\xc3\xa9\"", "", "", 7},
  };
  auto back = DecodeModcacheState(EncodeModcacheState(mods));
  REQUIRE(back.ok());
  CHECK(*back == std::vector<PersistedMod>{{"a.tar.gz", "https://x/a", "", "", "abc", 5},
                                           {"d", "https://x/d", "\"\xc3\xa9\"", "", "", 7}});
  for (const char* bytes : {"-1", "9223372036854775808", "1.5", "\"5\""}) {
    INFO(bytes);
    const std::string text = std::string(R"({"version": 1, "mods": [{"file": "a", "url": "u",)") +
                             R"( "etag": "", "last_modified": "", "sha256": "", "bytes": )" +
                             bytes + "}]}";
    CHECK_FALSE(DecodeModcacheState(text).ok());
  }
}

}  // namespace
}  // namespace orcastra::agent
