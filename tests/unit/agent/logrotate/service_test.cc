// LogRotator against a temporary directory: the rename chain, compression, create, copytruncate,
// the state file, config errors and dry runs. No Docker daemon: the one container action tested
// here is a signal that cannot be delivered (the rest is tests/integration/logrotate_test.cc).
#include "agent/logrotate/service.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "agent/logrotate/files.h"
#include "tests/support/temp_dir.h"

namespace orcastra::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
const auto& Write = orcastra::testing::WriteFile;
const auto& Read = orcastra::testing::ReadFile;

// A scratch directory with the rotator's conf/ and logs/ subdirectories.
struct TempDir : orcastra::testing::TempDir {
  TempDir() : orcastra::testing::TempDir("rotator") {
    fs::create_directories(File("conf"));
    fs::create_directories(File("logs"));
  }
};

// The names in `dir`, sorted.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

using Names_ = std::vector<std::string>;

// A rotator on `dir` with its events collected.
struct Harness {
  explicit Harness(const TempDir& dir, LogRotateOptions extra = {}) {
    options = std::move(extra);
    options.config_dir = dir / "conf";
    options.state_file = dir / "state/logrotate.status";
    options.signal_grace = 0ms;
    rotator =
        std::make_unique<LogRotator>(dir / "no-docker.sock", options, [this](protocol::Event e) {
          std::lock_guard lock(mutex);
          events.push_back(std::move(e));
        });
  }
  std::vector<protocol::Event> Take(const std::string& kind) {
    std::lock_guard lock(mutex);
    std::vector<protocol::Event> out;
    for (const auto& e : events) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }
  void Clear() {
    std::lock_guard lock(mutex);
    events.clear();
  }

  LogRotateOptions options;
  std::mutex mutex;
  std::vector<protocol::Event> events;
  std::unique_ptr<LogRotator> rotator;
};

EnvLookup MapEnv(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST_CASE("LogRotateOptionsFromEnv: defaults, overrides and bad values", "[logrotate][rotator]") {
  auto defaults = LogRotateOptionsFromEnv(MapEnv({}));
  REQUIRE(defaults.ok());
  CHECK(defaults->enabled);
  CHECK_FALSE(defaults->dry_run);
  CHECK(defaults->config_dir == "/etc/orcastra/logrotate.d");
  CHECK(defaults->state_file == "/var/lib/orcastra/logrotate.status");
  CHECK(defaults->interval == 5min);
  CHECK(defaults->host_root.empty());
  CHECK(defaults->signal_grace == 1s);

  auto set = LogRotateOptionsFromEnv(MapEnv({{"LOGROTATE_ENABLED", "false"},
                                             {"DRY_RUN", "true"},
                                             {"LOGROTATE_DIR", "/conf"},
                                             {"LOGROTATE_STATE_FILE", "/data/state"},
                                             {"LOGROTATE_INTERVAL", "90"},
                                             {"LOGROTATE_SIGNAL_GRACE", "250ms"},
                                             {"ORCASTRA_HOST_ROOT", "/host/"}}));
  REQUIRE(set.ok());
  CHECK_FALSE(set->enabled);
  CHECK(set->dry_run);
  CHECK(set->config_dir == "/conf");
  CHECK(set->state_file == "/data/state");
  CHECK(set->interval == 90s);
  CHECK(set->signal_grace == 250ms);
  CHECK(set->host_root == "/host");

  // LOGROTATE_DRY_RUN wins over DRY_RUN; "/" as host root is no prefix.
  auto specific = LogRotateOptionsFromEnv(
      MapEnv({{"LOGROTATE_DRY_RUN", "false"}, {"DRY_RUN", "true"}, {"ORCASTRA_HOST_ROOT", "/"}}));
  REQUIRE(specific.ok());
  CHECK_FALSE(specific->dry_run);
  CHECK(specific->host_root.empty());

  for (auto [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"LOGROTATE_ENABLED", "maybe"},
                                                        {"LOGROTATE_INTERVAL", "0"},
                                                        {"LOGROTATE_INTERVAL", "2d"},
                                                        {"LOGROTATE_SIGNAL_GRACE", "11s"},
                                                        {"LOGROTATE_DIR", "relative/dir"},
                                                        {"LOGROTATE_INTERVAL", "nan"},
                                                        {"LOGROTATE_SIGNAL_GRACE", "-1"},
                                                        {"ORCASTRA_HOST_ROOT", "host"}}) {
    auto bad = LogRotateOptionsFromEnv(MapEnv({{name, value}}));
    INFO(name << "=" << value);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find(name) != std::string::npos);
  }
  // An empty value counts as unset (doc/configuration.md).
  auto empty =
      LogRotateOptionsFromEnv(MapEnv({{"LOGROTATE_STATE_FILE", ""}, {"LOGROTATE_INTERVAL", ""}}));
  REQUIRE(empty.ok());
  CHECK(empty->state_file == "/var/lib/orcastra/logrotate.status");
  CHECK(empty->interval == 5min);
}

// Issue 8: the state is keyed by paths from outside; a pass with rules that parsed forgets the
// files no rule needs, a pass whose config does not parse forgets nothing.
TEST_CASE("the state file forgets the logs of removed containers, never on a config error",
          "[logrotate][rotator][bounds]") {
  TempDir dir;
  fs::create_directories(dir / "logs/c1");
  Write(dir / "conf/app.conf", dir / "logs/*/*.log {\n  daily\n  missingok\n}\n");
  Write(dir / "logs/c1/c1.log", "data\n");
  RotationState old;
  const auto now = std::chrono::system_clock::now();
  old.last_rotated[dir / "logs/c1/c1.log"] = now - 1h;
  old.last_rotated[dir / "logs/c2/c2.log"] = now - 1h;  // its container is gone
  fs::create_directories(dir / "state");
  REQUIRE(WriteFileAtomic(dir / "state/logrotate.status", SerializeStateFile(old)).ok());

  Write(dir / "conf/broken.conf", "bogus\n");
  {
    Harness h(dir);
    CHECK_FALSE(h.rotator->RunPass(false).config_ok);
  }
  auto kept = ParseStateFile(Read(dir / "state/logrotate.status"), "state");
  REQUIRE(kept.ok());
  CHECK(kept->last_rotated.size() == 2);

  fs::remove(dir / "conf/broken.conf");
  {
    Harness h(dir);
    CHECK(h.rotator->RunPass(false).config_ok);
  }
  auto pruned = ParseStateFile(Read(dir / "state/logrotate.status"), "state");
  REQUIRE(pruned.ok());
  CHECK(pruned->last_rotated.size() == 1);
  CHECK(pruned->last_rotated.count(dir / "logs/c1/c1.log") == 1);
}

TEST_CASE("rotate N with compress keeps N compressed copies, newest first, and creates the log",
          "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf", dir / "logs/*.log {\n  rotate 3\n  compress\n  create 0640\n}\n");
  Harness h(dir);
  for (int round = 1; round <= 5; ++round) {
    Write(dir / "logs/app.log", "round " + std::to_string(round) + "\n");
    RotationPassSummary summary = h.rotator->RunPass(/*force=*/true);
    INFO(round);
    CHECK(summary.rotated == 1);
    CHECK(summary.errors.empty());
  }
  CHECK(Names(dir / "logs") == Names_{"app.log", "app.log.1.gz", "app.log.2.gz", "app.log.3.gz"});
  CHECK(ReadGzipFile(dir / "logs/app.log.1.gz").value_or("") == "round 5\n");
  CHECK(ReadGzipFile(dir / "logs/app.log.3.gz").value_or("") == "round 3\n");
  CHECK(Read(dir / "logs/app.log").empty());
  struct stat st {};
  REQUIRE(::stat((dir / "logs/app.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);

  auto rotated = h.Take("logrotate_rotated");
  REQUIRE(rotated.size() == 5);
  CHECK(rotated[0].subject == dir / "logs/app.log");
  CHECK(rotated[0].attrs.at("rule") == dir / "conf/app.conf:1");
  CHECK(rotated[4].attrs.at("actions").find("delete " + dir / "logs/app.log.3.gz") !=
        std::string::npos);
  // The state file records the rotation.
  CHECK(Read(dir / "state/logrotate.status").find("\"" + dir / "logs/app.log" + "\"") !=
        std::string::npos);
}

TEST_CASE("delaycompress leaves the newest copy uncompressed", "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf",
        dir / "logs/app.log {\n  rotate 5\n  compress\n  delaycompress\n}\n");
  Harness h(dir);
  Write(dir / "logs/app.log", "one\n");
  (void)h.rotator->RunPass(true);
  CHECK(Names(dir / "logs") == Names_{"app.log.1"});  // no create: the application makes it
  Write(dir / "logs/app.log", "two\n");
  (void)h.rotator->RunPass(true);
  CHECK(Names(dir / "logs") == Names_{"app.log.1", "app.log.2.gz"});
  CHECK(Read(dir / "logs/app.log.1") == "two\n");
  CHECK(ReadGzipFile(dir / "logs/app.log.2.gz").value_or("") == "one\n");
}

TEST_CASE("copytruncate keeps the live file and reports the loss window", "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  rotate 2\n  copytruncate\n}\n");
  Harness h(dir);
  Write(dir / "logs/app.log", "content\n");
  RotationPassSummary summary = h.rotator->RunPass(true);
  CHECK(summary.rotated == 1);
  REQUIRE(summary.copytruncate_windows.size() == 1);
  CHECK(Read(dir / "logs/app.log").empty());
  CHECK(Read(dir / "logs/app.log.1") == "content\n");
  auto rotated = h.Take("logrotate_rotated");
  REQUIRE(rotated.size() == 1);
  CHECK(rotated[0].attrs.count("copytruncate_window_us") == 1);
}

TEST_CASE("notifempty, missingok, and a missing file reported once while it stays missing",
          "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/a.conf", dir / "logs/empty.log {\n  notifempty\n  rotate 1\n}\n" +
                                 dir / "logs/gone-ok.log {\n  missingok\n}\n" +
                                 dir / "logs/gone.log {\n  rotate 1\n}\n");
  Write(dir / "logs/empty.log", "");
  Harness h(dir);
  RotationPassSummary first = h.rotator->RunPass(true);
  CHECK(first.rotated == 0);
  CHECK(Names(dir / "logs") == Names_{"empty.log"});
  REQUIRE(first.errors.size() == 1);
  CHECK(first.errors[0].find("gone.log") != std::string::npos);
  (void)h.rotator->RunPass(true);
  auto failed = h.Take("logrotate_failed");
  REQUIRE(failed.size() == 1);  // not again at the second pass
  CHECK(failed[0].subject == dir / "logs/gone.log");
  CHECK(failed[0].message.find("missingok") != std::string::npos);
}

TEST_CASE("a config error is reported with file:line once, and the last good rules keep running",
          "[logrotate][rotator]") {
  TempDir dir;
  const std::string good = dir / "logs/app.log {\n  rotate 2\n}\n";
  Write(dir / "conf/app.conf", good);
  Harness h(dir);
  Write(dir / "logs/app.log", "one\n");
  CHECK(h.rotator->RunPass(true).rotated == 1);

  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  rotate 2\n  compres\n}\n");
  Write(dir / "logs/app.log", "two\n");
  RotationPassSummary bad = h.rotator->RunPass(true);
  CHECK_FALSE(bad.config_ok);
  CHECK(bad.rotated == 1);  // by the last good rules (no compression)
  Write(dir / "logs/app.log", "three\n");
  CHECK(h.rotator->RunPass(true).rotated == 1);
  CHECK(Names(dir / "logs") == Names_{"app.log.1", "app.log.2"});

  auto errors = h.Take("logrotate_config_error");
  REQUIRE(errors.size() == 1);  // reported once while it persists
  CHECK(errors[0].subject == dir / "conf/app.conf");
  CHECK(errors[0].message.rfind(dir / "conf/app.conf:3:", 0) == 0);

  // Fixed, then broken again: reported again.
  Write(dir / "conf/app.conf", good);
  CHECK(h.rotator->RunPass(false).config_ok);
  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  rotate 2\n  compres\n}\n");
  CHECK_FALSE(h.rotator->RunPass(false).config_ok);
  CHECK(h.Take("logrotate_config_error").size() == 2);
}

TEST_CASE("the state file carries decisions across restarts", "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  daily\n  rotate 2\n}\n");
  Write(dir / "logs/app.log", "data\n");
  {
    Harness h(dir);
    RotationPassSummary summary = h.rotator->RunPass(false);
    CHECK(summary.rotated == 0);  // first seen: the daily period starts now
  }
  REQUIRE(fs::exists(dir / "state/logrotate.status"));
  auto state = ParseStateFile(Read(dir / "state/logrotate.status"), "state");
  REQUIRE(state.ok());
  REQUIRE(state->last_rotated.count(dir / "logs/app.log") == 1);

  // A new instance reads it: still not due (same day), and not "first seen" again.
  {
    Harness h(dir);
    CHECK(h.rotator->RunPass(false).rotated == 0);
  }
  // A rotation a day ago in the state: due now.
  RotationState old;
  old.last_rotated[dir / "logs/app.log"] = std::chrono::system_clock::now() - 48h;
  REQUIRE(WriteFileAtomic(dir / "state/logrotate.status", SerializeStateFile(old)).ok());
  {
    Harness h(dir);
    CHECK(h.rotator->RunPass(false).rotated == 1);
    CHECK(Names(dir / "logs") == Names_{"app.log.1"});
  }
}

TEST_CASE("an unreadable state file is reported and the rotator starts empty",
          "[logrotate][rotator]") {
  TempDir dir;
  fs::create_directories(dir / "state");
  Write(dir / "state/logrotate.status", "not a state file\n");
  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  rotate 1\n}\n");
  Write(dir / "logs/app.log", "x\n");
  Harness h(dir);
  CHECK(h.rotator->RunPass(true).rotated == 1);
  auto failed = h.Take("logrotate_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].subject == dir / "state/logrotate.status");
  // Rewritten in the right format.
  CHECK(ParseStateFile(Read(dir / "state/logrotate.status"), "state").ok());
}

TEST_CASE("dry run: events only, nothing on disk changes", "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  rotate 2\n  compress\n}\n");
  Write(dir / "logs/app.log", "x\n");
  LogRotateOptions options;
  options.dry_run = true;
  Harness h(dir, options);
  CHECK(h.rotator->RunPass(true).rotated == 1);
  CHECK(Names(dir / "logs") == Names_{"app.log"});
  CHECK_FALSE(fs::exists(dir / "state"));
  auto dry = h.Take("logrotate_dry_run");
  REQUIRE(dry.size() == 1);
  CHECK(dry[0].message == "would: rename " + dir / "logs/app.log" + " -> " +
                              dir / "logs/app.log.1; compress " + dir / "logs/app.log.1" + " -> " +
                              dir / "logs/app.log.1.gz");
}

TEST_CASE("a signal that cannot be delivered stops the plan before compression",
          "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf",
        dir / "logs/app.log {\n  rotate 2\n  compress\n  signal app-writer HUP\n}\n");
  Write(dir / "logs/app.log", "x\n");
  Harness h(dir);
  RotationPassSummary summary = h.rotator->RunPass(true);
  CHECK(summary.failed == 1);
  // Renamed, but not compressed: the application may still write to app.log.1.
  CHECK(Names(dir / "logs") == Names_{"app.log.1"});
  auto failed = h.Take("logrotate_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].attrs.at("step") == "signal container app-writer with SIGHUP");
  CHECK(failed[0].attrs.at("done") ==
        "rename " + dir / "logs/app.log" + " -> " + dir / "logs/app.log.1");
  // The file counts as rotated in the state (its content moved).
  CHECK(Read(dir / "state/logrotate.status").find(dir / "logs/app.log") != std::string::npos);
}

TEST_CASE("ORCASTRA_HOST_ROOT: rules name host paths, files live under the root",
          "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf", "/logs/app.log {\n  rotate 1\n}\n");
  Write(dir / "logs/app.log", "x\n");
  LogRotateOptions options;
  options.host_root = dir.path();
  Harness h(dir, options);
  CHECK(h.rotator->RunPass(true).rotated == 1);
  CHECK(Names(dir / "logs") == Names_{"app.log.1"});
  auto rotated = h.Take("logrotate_rotated");
  REQUIRE(rotated.size() == 1);
  CHECK(rotated[0].subject == "/logs/app.log");  // as the rule names it
  auto state = ParseStateFile(Read(dir / "state/logrotate.status"), "state");
  REQUIRE(state.ok());
  CHECK(state->last_rotated.count("/logs/app.log") == 1);
}

TEST_CASE("RunNow(force) on the running service rotates at once", "[logrotate][rotator]") {
  TempDir dir;
  Write(dir / "conf/app.conf", dir / "logs/app.log {\n  rotate 1\n}\n");
  Write(dir / "logs/app.log", "x\n");
  LogRotateOptions options;
  options.interval = 1h;
  Harness h(dir, options);
  h.rotator->Start();
  h.rotator->RunNow(true);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (h.Take("logrotate_rotated").empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  h.rotator->Stop();
  CHECK(h.Take("logrotate_rotated").size() == 1);
  CHECK(Names(dir / "logs") == Names_{"app.log.1"});
}

}  // namespace
}  // namespace orcastra::agent
