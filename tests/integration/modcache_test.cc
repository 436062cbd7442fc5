// Modcache downloads against a real HTTP server (issue 4): tests/integration/fixtures/mod_server.py
// on 127.0.0.1, started per test case and always killed. No Docker needed: run
// `orcastra_integration_tests "[modcache]"` directly.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/modcache/downloader.h"
#include "agent/modcache/service.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The fixture server as a child process, killed (SIGKILL) and reaped on destruction.
class ModServer {
 public:
  ModServer() {
    std::string script = (fs::path(__FILE__).parent_path() / "fixtures" / "mod_server.py").string();
    int to_child[2];
    int from_child[2];
    REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    std::vector<std::string> args = {"python3", script};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
    REQUIRE(rc == 0);
    std::string line = ReadLine(10s);
    REQUIRE(line.rfind("port ", 0) == 0);
    port_ = std::stoi(line.substr(5));
  }
  ~ModServer() {
    Kill();
    if (in_ >= 0) ::close(in_);
    if (out_ >= 0) ::close(out_);
  }
  ModServer(const ModServer&) = delete;
  ModServer& operator=(const ModServer&) = delete;

  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Sends one command, returns its one-line answer.
  std::string Command(const std::string& line) {
    std::string text = line + "\n";
    REQUIRE(::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    return ReadLine(10s);
  }

  // The next line the server prints; "" after the timeout.
  std::string ReadLine(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return "";
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[256];
      ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int port_ = 0;
  std::string buffer_;
};

// A fresh destination directory, removed at the end.
struct Dest : orcastra::testing::TempDir {
  Dest() : orcastra::testing::TempDir("modcache") {}
  // Every entry of the directory (temporary files included), sorted.
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path())) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

ModFetchRequest Request(const std::string& file, const std::string& url) {
  ModFetchRequest r;
  r.file = file;
  r.url = url;
  return r;
}

// The next request for the same file after `result`, as the state machine builds it.
ModFetchRequest Conditional(ModFetchRequest r, const ModFetchResult& result) {
  r.etag = result.etag;
  r.last_modified = result.last_modified;
  r.current_sha256 = result.sha256;
  return r;
}

struct stat Stat(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

TEST_CASE("modcache download: 200 then 304 leaves the file untouched", "[integration][modcache]") {
  ModServer server;
  Dest dest;
  auto first = FetchMod(Request("static.bin", server.Url("/files/static")), dest.path(), {});
  INFO(first.error);
  REQUIRE(first.status == ModFetchStatus::kDownloaded);
  CHECK(first.http_status == 200);
  CHECK_FALSE(first.etag.empty());
  CHECK_FALSE(first.last_modified.empty());
  CHECK(first.bytes == 14000);
  CHECK(dest.Read("static.bin").size() == 14000);
  CHECK(first.sha256 == Sha256Hex(dest.Read("static.bin")));
  struct stat before = Stat(dest.File("static.bin"));
  CHECK((before.st_mode & 0777) == 0644);

  std::this_thread::sleep_for(20ms);  // a rewrite would show in the mtime
  ModFetchRequest again = Conditional(Request("static.bin", server.Url("/files/static")), first);
  auto second = FetchMod(again, dest.path(), {});
  CHECK(second.status == ModFetchStatus::kNotModified);
  CHECK(second.http_status == 304);
  struct stat after = Stat(dest.File("static.bin"));
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);

  // Only If-Modified-Since: the server also answers 304.
  again.etag.clear();
  CHECK(FetchMod(again, dest.path(), {}).status == ModFetchStatus::kNotModified);
  CHECK(server.Command("stats static") == "200=1 304=2");

  // Same body without validators: kept as is (no rename).
  ModFetchRequest plain = Request("static.bin", server.Url("/files/static"));
  plain.current_sha256 = first.sha256;
  CHECK(FetchMod(plain, dest.path(), {}).status == ModFetchStatus::kSameContent);
  CHECK(Stat(dest.File("static.bin")).st_ino == before.st_ino);
  CHECK(dest.Entries() == std::vector<std::string>{"static.bin"});
}

TEST_CASE("modcache download: changed content replaces the file", "[integration][modcache]") {
  ModServer server;
  Dest dest;
  REQUIRE(server.Command("set mod version-one") == "ok");
  auto one = FetchMod(Request("mod.tgz", server.Url("/files/mod")), dest.path(), {});
  REQUIRE(one.status == ModFetchStatus::kDownloaded);
  CHECK(dest.Read("mod.tgz") == "version-one\n");
  REQUIRE(server.Command("set mod version-two") == "ok");
  auto two =
      FetchMod(Conditional(Request("mod.tgz", server.Url("/files/mod")), one), dest.path(), {});
  REQUIRE(two.status == ModFetchStatus::kDownloaded);
  CHECK(dest.Read("mod.tgz") == "version-two\n");
  CHECK(two.etag != one.etag);
  CHECK(dest.Entries() == std::vector<std::string>{"mod.tgz"});
}

TEST_CASE("modcache download: a hash mismatch keeps the last good file",
          "[integration][modcache]") {
  ModServer server;
  Dest dest;
  REQUIRE(server.Command("set pinned good") == "ok");
  ModFetchRequest request = Request("pinned", server.Url("/files/pinned"));
  request.expected_sha256 = Sha256Hex("good\n");
  auto good = FetchMod(request, dest.path(), {});
  REQUIRE(good.status == ModFetchStatus::kDownloaded);
  REQUIRE(server.Command("set pinned evil") == "ok");
  auto bad = FetchMod(Conditional(request, good), dest.path(), {});
  CHECK(bad.status == ModFetchStatus::kHashMismatch);
  CHECK(bad.sha256 == Sha256Hex("evil\n"));
  CHECK_THAT(bad.error, Catch::Contains("sha256 mismatch"));
  CHECK(dest.Read("pinned") == "good\n");
  CHECK(dest.Entries() == std::vector<std::string>{"pinned"});
}

TEST_CASE("modcache download: a dropped connection leaves no partial file",
          "[integration][modcache]") {
  ModServer server;
  Dest dest;
  auto fresh = FetchMod(Request("t.bin", server.Url("/truncated")), dest.path(), {});
  CHECK(fresh.status == ModFetchStatus::kFailed);
  CHECK_THAT(fresh.error, Catch::Contains("download failed"));
  CHECK(dest.Entries().empty());

  dest.Write("t.bin", "last good");
  auto over = FetchMod(Request("t.bin", server.Url("/truncated")), dest.path(), {});
  CHECK(over.status == ModFetchStatus::kFailed);
  CHECK(dest.Read("t.bin") == "last good");
  CHECK(dest.Entries() == std::vector<std::string>{"t.bin"});

  auto missing = FetchMod(Request("t.bin", server.Url("/status/500")), dest.path(), {});
  CHECK(missing.status == ModFetchStatus::kFailed);
  CHECK(missing.http_status == 500);
  CHECK(dest.Read("t.bin") == "last good");
}

TEST_CASE("modcache download: the server killed mid-transfer leaves no partial file",
          "[integration][modcache]") {
  ModServer server;
  Dest dest;
  dest.Write("s.bin", "last good");
  ModFetchResult result;
  std::thread fetch(
      [&] { result = FetchMod(Request("s.bin", server.Url("/stall")), dest.path(), {}); });
  std::string line = server.ReadLine(10s);
  CHECK(line == "stalled");
  // Mid-transfer: the body so far is in a temporary file, the destination is untouched.
  bool temp_seen = false;
  for (int i = 0; i < 200 && !temp_seen; ++i) {
    for (const auto& e : dest.Entries()) {
      if (e.find(".part-") != std::string::npos) temp_seen = true;
    }
    if (!temp_seen) std::this_thread::sleep_for(10ms);
  }
  CHECK(temp_seen);
  CHECK(dest.Read("s.bin") == "last good");
  server.Kill();
  fetch.join();
  CHECK(result.status == ModFetchStatus::kFailed);
  CHECK(dest.Read("s.bin") == "last good");
  CHECK(dest.Entries() == std::vector<std::string>{"s.bin"});
}

TEST_CASE("modcache download: the size bound", "[integration][modcache]") {
  ModServer server;
  Dest dest;
  DownloadLimits limits;
  limits.max_bytes = 1 << 20;
  for (const char* path : {"/large", "/large-unannounced"}) {
    INFO(path);
    auto r = FetchMod(Request("big", server.Url(path)), dest.path(), limits);
    CHECK(r.status == ModFetchStatus::kFailed);
    CHECK_THAT(r.error, Catch::Contains("larger than the limit of 1048576 bytes"));
    CHECK(dest.Entries().empty());
  }
  limits.max_bytes = 4 << 20;  // exactly the size: allowed
  auto fits = FetchMod(Request("big", server.Url("/large-unannounced")), dest.path(), limits);
  CHECK(fits.status == ModFetchStatus::kDownloaded);
  CHECK(fits.bytes == 4 << 20);
}

TEST_CASE("modcache download: http(s) only, redirects included", "[integration][modcache]") {
  ModServer server;
  Dest dest;
  auto redirected = FetchMod(Request("r", server.Url("/redirect")), dest.path(), {});
  CHECK(redirected.status == ModFetchStatus::kDownloaded);
  CHECK(redirected.bytes == 14000);
  CHECK_FALSE(redirected.etag.empty());  // the final response's validators
  auto to_ftp = FetchMod(Request("f", server.Url("/redirect-ftp")), dest.path(), {});
  CHECK(to_ftp.status == ModFetchStatus::kFailed);
  CHECK_THAT(to_ftp.error, Catch::Contains("\"ftp\" not supported or disabled"));
  auto ftp = FetchMod(Request("f", "ftp://127.0.0.1:1/x"), dest.path(), {});
  CHECK(ftp.status == ModFetchStatus::kFailed);
  CHECK_THAT(ftp.error, Catch::Contains("\"ftp\" not supported or disabled"));
  auto file = FetchMod(Request("f", "file:///etc/hostname"), dest.path(), {});
  CHECK(file.status == ModFetchStatus::kFailed);
  CHECK_THAT(file.error, Catch::Contains("\"file\" not supported or disabled"));
  CHECK(dest.Entries() == std::vector<std::string>{"r"});
}

TEST_CASE("modcache service: file and label sources, restart keeps validators",
          "[integration][modcache]") {
  ModServer server;
  Dest dest;
  Dest config;
  REQUIRE(server.Command("set labelled from-a-label") == "ok");
  config.Write("modcache.yml", "- url: " + server.Url("/files/static") + "\n  file: static.mod\n");
  ModCacheOptions options;
  options.dest = dest.path() + "/mods";
  options.config_path = config.File("modcache.yml");
  std::vector<protocol::Event> events;
  auto labels = [&]() -> Result<std::vector<config::ContainerLabels>> {
    return std::vector<config::ContainerLabels>{
        {"web",
         {{"com.linuxserver.mod.labelled.mod",
           server.Url("/files/labelled") + "#sha256=" + Sha256Hex("from-a-label\n")}}}};
  };
  auto report = [&](protocol::Event e) { events.push_back(std::move(e)); };
  {
    ModCache cache(options, labels, report);
    cache.RunOnce(false);
  }
  REQUIRE(events.size() == 2);
  for (const auto& e : events) CHECK(e.kind == "modcache_updated");
  CHECK(fs::exists(options.dest + "/static.mod"));
  CHECK(fs::exists(options.dest + "/labelled.mod"));
  CHECK(fs::exists(options.dest + "/.modcache-state.json"));
  ino_t inode = Stat(options.dest + "/static.mod").st_ino;

  // A restart: the validators come from the state file, so both answers are 304.
  events.clear();
  {
    ModCache cache(options, labels, report);
    cache.RunOnce(false);
  }
  CHECK(events.empty());
  CHECK(server.Command("stats static") == "200=1 304=1");
  CHECK(server.Command("stats labelled") == "200=1 304=1");
  CHECK(Stat(options.dest + "/static.mod").st_ino == inode);

  // The pinned label source changes on the server: refused, the last good file stays.
  REQUIRE(server.Command("set labelled tampered") == "ok");
  {
    ModCache cache(options, labels, report);
    cache.RunOnce(true);
  }
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == "modcache_failed");
  CHECK(events[0].subject == "labelled.mod");
  CHECK(events[0].attrs.at("retry_in_s") == "30");
  std::ifstream in(options.dest + "/labelled.mod");
  std::string content;
  std::getline(in, content);
  CHECK(content == "from-a-label");
}

}  // namespace
}  // namespace orcastra::agent
