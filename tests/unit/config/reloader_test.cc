// ConfigReloader against a temporary directory: unchanged, replaced, refused keeps the old one.
#include "config/reloader.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using Kind = ConfigReloader::Outcome::Kind;
using testing::Formatted;
using testing::TempDir;

Settings SettingsFor(const TempDir& dir) {
  Settings settings;
  settings.paths = DefaultPaths(dir.path());
  return settings;
}

// Moves a file's mtime so that a rewrite within the same clock tick is still seen as a change.
void Touch(const std::string& path, int seconds_ahead) {
  auto now = std::filesystem::last_write_time(path);
  std::filesystem::last_write_time(path, now + std::chrono::seconds(seconds_ahead));
}

TEST_CASE("reloader: the pure decision", "[config][reloader]") {
  FileSet a = {{"/c/swarm.yml", {true, 10, 1}}, {"/c/nodes.yml", {}}};
  FileSet b = {{"/c/swarm.yml", {true, 11, 2}}, {"/c/nodes.yml", {}}};
  FileSet c = {{"/c/swarm.yml", {true, 11, 2}}, {"/c/nodes.yml", {true, 3, 3}}};
  ReloadState state;
  CHECK(DecideReload(&state, a, 2) == ReloadAction::kLoad);  // first poll: never waits
  state.applied = a;
  CHECK(DecideReload(&state, a, 2) == ReloadAction::kNothing);
  CHECK(DecideReload(&state, b, 2) == ReloadAction::kWait);  // seen once
  CHECK(DecideReload(&state, b, 2) == ReloadAction::kWait);  // unchanged for 1 poll
  CHECK(DecideReload(&state, c, 2) == ReloadAction::kWait);  // moved again: start over
  CHECK(state.pending == c);
  CHECK(state.pending_polls == 0);
  CHECK(DecideReload(&state, c, 2) == ReloadAction::kWait);
  CHECK(DecideReload(&state, c, 2) == ReloadAction::kLoad);  // unchanged for 2 polls
  // Going back to what is applied cancels the pending change.
  CHECK(DecideReload(&state, a, 2) == ReloadAction::kNothing);
  CHECK_FALSE(state.pending.has_value());
  CHECK(DecideReload(&state, b, 0) == ReloadAction::kLoad);  // settle 0: load at first sight
}

TEST_CASE("reloader: first poll loads; unchanged files stay unchanged", "[config][reloader]") {
  TempDir dir;
  dir.CopyFixture("reference/swarm.yml", "swarm.yml");
  ConfigReloader reloader(SettingsFor(dir), /*settle_polls=*/0);
  CHECK(reloader.current() == nullptr);

  auto first = reloader.Poll();
  CHECK(first.kind == Kind::kReplaced);
  REQUIRE(first.config != nullptr);
  CHECK(first.config->swarm.dependencies.size() == 18);
  CHECK(reloader.current() == first.config);

  auto second = reloader.Poll();
  CHECK(second.kind == Kind::kUnchanged);
  CHECK(second.config == first.config);
  CHECK(second.diagnostics.empty());

  // A new mtime with the same content is not a change.
  Touch(dir.File("swarm.yml"), 5);
  CHECK(reloader.Poll().kind == Kind::kUnchanged);
}

TEST_CASE("reloader: a valid change replaces, an invalid one is refused and the old stays",
          "[config][reloader]") {
  TempDir dir;
  dir.Write("swarm.yml", "dependencies:\n  db: [app]\n");
  ConfigReloader reloader(SettingsFor(dir), /*settle_polls=*/0);
  auto first = reloader.Poll();
  REQUIRE(first.kind == Kind::kReplaced);

  dir.Write("swarm.yml", "dependencies:\n  db: [app, worker]\n  bogus_key_here: [x]\nfoo: 1\n");
  Touch(dir.File("swarm.yml"), 10);
  auto replaced = reloader.Poll();
  CHECK(replaced.kind == Kind::kReplaced);
  REQUIRE(replaced.config != nullptr);
  CHECK(replaced.config->swarm.DependentCount() == 3);
  CHECK(Formatted(replaced.diagnostics) ==
        std::vector<std::string>{dir.File("swarm.yml") +
                                 ":4:1: warning: foo: unknown key \"foo\" (ignored)"});
  CHECK(reloader.current() == replaced.config);

  dir.Write("swarm.yml", "dependencies:\n  db: [app, db]\nmanagers: 2\n");
  Touch(dir.File("swarm.yml"), 20);
  auto refused = reloader.Poll();
  CHECK(refused.kind == Kind::kRefused);
  CHECK(refused.config == replaced.config);  // the previous configuration stays current
  CHECK(reloader.current() == replaced.config);
  CHECK(Formatted(refused.diagnostics) ==
        std::vector<std::string>{
            dir.File("swarm.yml") + ":2:13: error: dependencies.db[1]: anchor \"db\" lists "
                                    "itself as its own dependent",
            dir.File("swarm.yml") + ":3:11: error: managers: must be an odd number from 1 to 99 "
                                    "(a quorum needs a majority), got 2"});
  // Refused once; not refused again until the files change.
  CHECK(reloader.Poll().kind == Kind::kUnchanged);

  // Fixing the file is picked up.
  dir.Write("swarm.yml", "dependencies:\n  db: [app]\nmanagers: 3\n");
  Touch(dir.File("swarm.yml"), 30);
  auto fixed = reloader.Poll();
  CHECK(fixed.kind == Kind::kReplaced);
  CHECK(fixed.config->swarm.managers == 3);
}

TEST_CASE("reloader: a change must hold still for settle_polls polls", "[config][reloader]") {
  TempDir dir;
  dir.Write("swarm.yml", "dependencies:\n  db: [app]\n");
  ConfigReloader reloader(SettingsFor(dir), /*settle_polls=*/1);
  REQUIRE(reloader.Poll().kind == Kind::kReplaced);  // the first load never waits

  dir.Write("swarm.yml", "dependencies:\n  db: [app, half");  // caught while being written
  Touch(dir.File("swarm.yml"), 10);
  CHECK(reloader.Poll().kind == Kind::kUnchanged);  // seen, settling
  dir.Write("swarm.yml", "dependencies:\n  db: [app, half_written]\n");
  Touch(dir.File("swarm.yml"), 20);
  CHECK(reloader.Poll().kind == Kind::kUnchanged);  // changed again: settling again
  auto settled = reloader.Poll();
  CHECK(settled.kind == Kind::kReplaced);
  CHECK(settled.config->swarm.DependentCount() == 2);
}

TEST_CASE("reloader: files appearing and disappearing are changes", "[config][reloader]") {
  TempDir dir;
  dir.Write("swarm.yml", "dependencies:\n  db: [app]\n");
  ConfigReloader reloader(SettingsFor(dir), 0);
  REQUIRE(reloader.Poll().kind == Kind::kReplaced);

  dir.Write("rebalance_config.yml", "default: {cooldown_minutes: 42}\n");
  auto added = reloader.Poll();
  CHECK(added.kind == Kind::kReplaced);
  CHECK(added.config->rebalance.defaults.cooldown_minutes == 42);

  dir.Remove("swarm.yml");
  auto removed = reloader.Poll();
  CHECK(removed.kind == Kind::kRefused);  // no swarm configuration left: keep the old one
  CHECK(removed.config == added.config);
  CHECK(CountErrors(removed.diagnostics) == 1);
}

TEST_CASE("reloader: a first load that fails leaves no configuration", "[config][reloader]") {
  TempDir dir;
  dir.Write("swarm.yml", "nodes: [\n");
  ConfigReloader reloader(SettingsFor(dir));
  auto first = reloader.Poll();
  CHECK(first.kind == Kind::kRefused);
  CHECK(first.config == nullptr);
  CHECK(reloader.Poll().kind == Kind::kUnchanged);
  CHECK(ContentHash("") == 14695981039346656037ULL);
  CHECK(ContentHash("a") != ContentHash("b"));
}

}  // namespace
}  // namespace orcastra::config
