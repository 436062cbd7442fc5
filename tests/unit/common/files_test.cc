// File building blocks (common/files.h): atomic replacement, bounded reads, descriptors.
#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace orcastra {
namespace {

namespace fs = std::filesystem;
using orcastra::testing::TempDir;

TEST_CASE("files: WriteFileAtomic replaces the content and leaves no temporary", "[files]") {
  TempDir dir;
  const std::string path = dir.path() + "/state";
  REQUIRE(WriteFileAtomic(path, "one\n").ok());
  REQUIRE(WriteFileAtomic(path, "two\n", 0600).ok());
  CHECK(ReadFileBounded(path, 100).value() == "two\n");
  CHECK_FALSE(fs::exists(TempPathFor(path)));
  // A stale temporary of an earlier crash is replaced, not an obstacle.
  std::ofstream(TempPathFor(path)) << "junk";
  REQUIRE(WriteFileAtomic(path, "three\n").ok());
  CHECK(ReadFileBounded(path, 100).value() == "three\n");
  CHECK_FALSE(fs::exists(TempPathFor(path)));
  Status refused = WriteFileAtomic(dir.path() + "/missing-dir/state", "x");
  CHECK(refused.code() == Status::Code::kIoError);
  CHECK(refused.message().find("missing-dir") != std::string::npos);
}

TEST_CASE("files: ReadFileBounded refuses what is larger than its bound", "[files]") {
  TempDir dir;
  const std::string path = dir.path() + "/big";
  std::ofstream(path) << std::string(1000, 'x');
  CHECK(ReadFileBounded(path, 1000).value().size() == 1000);
  auto refused = ReadFileBounded(path, 999);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("1000 bytes") != std::string::npos);
  CHECK(ReadFileBounded(dir.path() + "/none", 10).status().code() == Status::Code::kNotFound);
  CHECK_FALSE(ReadFileBounded(dir.path(), 10).ok());  // a directory is not a regular file
}

TEST_CASE("files: UniqueFd closes once, moves and releases", "[files]") {
  TempDir dir;
  int raw = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(raw >= 0);
  UniqueFd a(raw);
  UniqueFd b(std::move(a));
  CHECK_FALSE(a.ok());
  CHECK(b.get() == raw);
  CHECK(b.Close() == 0);
  CHECK(b.Close() == 0);  // closing twice is harmless
  CHECK(::fcntl(raw, F_GETFD) == -1);
  CHECK(DirName("/var/log/a.log") == "/var/log");
  CHECK(DirName("/a") == "/");
  CHECK(DirName("a") == ".");
  CHECK(BaseName("/var/log/a.log") == "a.log");
  CHECK(TempPathFor("/var/log/app.log.1.gz") == "/var/log/.app.log.1.gz.orcastra-tmp");
}

}  // namespace
}  // namespace orcastra
