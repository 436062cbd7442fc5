#include "agent/logrotate/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace orcastra::agent {
namespace {

namespace fs = std::filesystem;
using orcastra::testing::TempDir;
const auto& Write = orcastra::testing::WriteFile;
const auto& Read = orcastra::testing::ReadFile;

std::string Lines(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

TEST_CASE("GzipFile round trip: a gzip file, the source removed, no temporary left",
          "[logrotate][files]") {
  TempDir dir;
  // Incompressible bytes as well as text, and more than one buffer (64 KiB).
  std::string content = Lines(0, 20000);
  std::mt19937 random(42);
  for (int i = 0; i < 100000; ++i) content += static_cast<char>(random() & 0xff);
  Write(dir / "app.log.1", content);
  REQUIRE(::chmod((dir / "app.log.1").c_str(), 0640) == 0);

  REQUIRE(GzipFile(dir / "app.log.1", dir / "app.log.1.gz").ok());
  CHECK_FALSE(fs::exists(dir / "app.log.1"));
  CHECK_FALSE(fs::exists(TempPathFor(dir / "app.log.1.gz")));
  std::string gz = Read(dir / "app.log.1.gz");
  REQUIRE(gz.size() > 2);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gz.size() < content.size());
  auto back = ReadGzipFile(dir / "app.log.1.gz");
  REQUIRE(back.ok());
  CHECK(*back == content);
  struct stat st {};
  REQUIRE(::stat((dir / "app.log.1.gz").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);  // the source's mode
}

TEST_CASE("GzipFile of an empty file and of a missing one", "[logrotate][files]") {
  TempDir dir;
  Write(dir / "empty", "");
  REQUIRE(GzipFile(dir / "empty", dir / "empty.gz").ok());
  auto back = ReadGzipFile(dir / "empty.gz");
  REQUIRE(back.ok());
  CHECK(back->empty());

  Status missing = GzipFile(dir / "nope", dir / "nope.gz");
  CHECK(missing.code() == Status::Code::kIoError);
  CHECK(missing.message().find("nope") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "nope.gz"));
}

TEST_CASE("GzipFile replaces a stale temporary from a crash", "[logrotate][files]") {
  TempDir dir;
  Write(dir / "a.1", "fresh\n");
  Write(TempPathFor(dir / "a.1.gz"), "half-written junk");
  REQUIRE(GzipFile(dir / "a.1", dir / "a.1.gz").ok());
  CHECK(ReadGzipFile(dir / "a.1.gz").value_or("") == "fresh\n");
  CHECK_FALSE(fs::exists(TempPathFor(dir / "a.1.gz")));
}

TEST_CASE("TempPathFor is a dot file beside the target", "[logrotate][files]") {
  CHECK(TempPathFor("/var/log/app.log.1.gz") == "/var/log/.app.log.1.gz.orcastra-tmp");
  CHECK(TempPathFor("/x") == "/.x.orcastra-tmp");
}

TEST_CASE("WriteFileAtomic replaces the content and leaves no temporary", "[logrotate][files]") {
  TempDir dir;
  REQUIRE(WriteFileAtomic(dir / "state", "one\n").ok());
  REQUIRE(WriteFileAtomic(dir / "state", "two\n").ok());
  CHECK(Read(dir / "state") == "two\n");
  CHECK_FALSE(fs::exists(TempPathFor(dir / "state")));
  CHECK(WriteFileAtomic(dir / "no-such-dir/state", "x").code() == Status::Code::kIoError);
}

TEST_CASE("CopyTruncateFile copies, truncates in place and keeps the inode", "[logrotate][files]") {
  TempDir dir;
  Write(dir / "app.log", Lines(0, 1000));
  REQUIRE(::chmod((dir / "app.log").c_str(), 0600) == 0);
  struct stat before {};
  REQUIRE(::stat((dir / "app.log").c_str(), &before) == 0);

  auto stats = CopyTruncateFile(dir / "app.log", dir / "app.log.1");
  REQUIRE(stats.ok());
  CHECK(stats->bytes_copied == Lines(0, 1000).size());
  CHECK(stats->window.count() >= 0);
  CHECK(Read(dir / "app.log.1") == Lines(0, 1000));
  CHECK(Read(dir / "app.log").empty());
  struct stat after {};
  REQUIRE(::stat((dir / "app.log").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // the application's descriptor still points at it
  struct stat copy {};
  REQUIRE(::stat((dir / "app.log.1").c_str(), &copy) == 0);
  CHECK((copy.st_mode & 07777) == 0600);
  CHECK_FALSE(fs::exists(TempPathFor(dir / "app.log.1")));
}

TEST_CASE("CopyTruncateFile never overwrites an existing copy", "[logrotate][files]") {
  TempDir dir;
  Write(dir / "app.log", "new\n");
  Write(dir / "app.log.1", "old\n");
  auto stats = CopyTruncateFile(dir / "app.log", dir / "app.log.1");
  REQUIRE_FALSE(stats.ok());
  CHECK(Read(dir / "app.log.1") == "old\n");
  // The data is not lost: the copy stays at the temporary name, and the error says where.
  CHECK(Read(TempPathFor(dir / "app.log.1")) == "new\n");
  CHECK(stats.status().message().find(TempPathFor(dir / "app.log.1")) != std::string::npos);
}

TEST_CASE("RenameNoReplace refuses to replace", "[logrotate][files]") {
  TempDir dir;
  Write(dir / "a", "a");
  Write(dir / "b", "b");
  CHECK_FALSE(RenameNoReplace(dir / "a", dir / "b").ok());
  CHECK(Read(dir / "b") == "b");
  REQUIRE(RenameNoReplace(dir / "a", dir / "c").ok());
  CHECK(Read(dir / "c") == "a");
  CHECK_FALSE(fs::exists(dir / "a"));
}

TEST_CASE("CreateLogFile: mode from the spec, else the previous file's; never replaces",
          "[logrotate][files]") {
  TempDir dir;
  CreateSpec spec;
  spec.mode = 0640;
  REQUIRE(CreateLogFile(dir / "a.log", spec, std::nullopt).ok());
  struct stat st {};
  REQUIRE(::stat((dir / "a.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);  // not masked by the umask
  CHECK(st.st_size == 0);

  FileAttributes previous{0604, ::getuid(), ::getgid()};
  REQUIRE(CreateLogFile(dir / "b.log", CreateSpec{}, previous).ok());
  REQUIRE(::stat((dir / "b.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0604);

  // Numeric owner and group.
  CreateSpec numeric;
  numeric.owner = std::to_string(::getuid());
  numeric.group = std::to_string(::getgid());
  REQUIRE(CreateLogFile(dir / "c.log", numeric, std::nullopt).ok());
  REQUIRE(::stat((dir / "c.log").c_str(), &st) == 0);
  CHECK(st.st_uid == ::getuid());

  // The application reopened its log first: kept as it is.
  Write(dir / "d.log", "already\n");
  REQUIRE(CreateLogFile(dir / "d.log", spec, std::nullopt).ok());
  CHECK(Read(dir / "d.log") == "already\n");

  CreateSpec unknown;
  unknown.owner = "no-such-user-orcastra";
  CHECK(CreateLogFile(dir / "e.log", unknown, std::nullopt).code() ==
        Status::Code::kInvalidArgument);
  CHECK_FALSE(fs::exists(dir / "e.log"));
}

// Regression (issue 8): an id that does not fit threw std::out_of_range (20 digits) or wrapped to
// uid 0 (2^32). The parser refuses them; a spec built otherwise must still not chown to root.
TEST_CASE("CreateLogFile: a numeric id out of range is an unknown user, never root",
          "[logrotate][files]") {
  TempDir dir;
  for (const char* id : {"4294967296", "4294967295", "99999999999999999999999"}) {
    INFO(id);
    CreateSpec owner;
    owner.owner = id;
    CHECK(CreateLogFile(dir / "u.log", owner, std::nullopt).code() ==
          Status::Code::kInvalidArgument);
    CreateSpec group;
    group.group = id;
    CHECK(CreateLogFile(dir / "g.log", group, std::nullopt).code() ==
          Status::Code::kInvalidArgument);
  }
  CHECK_FALSE(fs::exists(dir / "u.log"));
  CHECK_FALSE(fs::exists(dir / "g.log"));
}

TEST_CASE("ListSiblings lists NAME.* in the same directory", "[logrotate][files]") {
  TempDir dir;
  for (const char* name :
       {"app.log", "app.log.1", "app.log.2.gz", "app.log.old", "app.logx", "other.log.1"}) {
    Write(dir / name, "");
  }
  CHECK(ListSiblings(dir / "app.log") ==
        std::vector<std::string>{dir / "app.log.1", dir / "app.log.2.gz", dir / "app.log.old"});
  CHECK(ListSiblings(dir / "missing/app.log").empty());
}

}  // namespace
}  // namespace orcastra::agent
