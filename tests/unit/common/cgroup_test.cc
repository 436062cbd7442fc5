#include "common/cgroup.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/procfs.h"

namespace orcastra::cgroup {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

const std::string kDockerId = "3f1c2a9be7d04e5c8a1b6f0d2e4c7a9b8d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
const std::string kHostCgroup = "/process_api/1099ab296da18f3f483c6484781aad23";
constexpr std::uint64_t kV1Unlimited = 9223372036854771712ull;

std::string Fixture(const std::string& relative) {
  return std::string(ORCASTRA_FIXTURES_DIR) + "/cgroup/" + relative;
}

std::string Load(const std::string& relative) {
  Result<std::string> text = procfs::ReadFile(Fixture(relative));
  INFO(text.status().ToString());
  REQUIRE(text.ok());
  return *text;
}

// ---------------------------------------------------------------------------------------------
// ParseLimit

TEST_CASE("ParseLimit: max and numbers", "[cgroup]") {
  Result<std::optional<std::uint64_t>> max = ParseLimit("max\n", "memory.max");
  REQUIRE(max.ok());
  CHECK_FALSE(max->has_value());

  Result<std::optional<std::uint64_t>> limited = ParseLimit("536870912\n", "memory.max");
  REQUIRE(limited.ok());
  REQUIRE(limited->has_value());
  CHECK(**limited == 536870912);

  Result<std::optional<std::uint64_t>> zero = ParseLimit("0\n", "memory.max");
  REQUIRE(zero.ok());
  CHECK(*zero == std::optional<std::uint64_t>(0));
}

TEST_CASE("ParseLimit: v1 unlimited values are nullopt", "[cgroup]") {
  // LONG_MAX rounded down to 4 KiB pages (x86_64) and to 64 KiB pages (arm64/ppc64le).
  CHECK_FALSE(ParseLimit("9223372036854771712\n", "l")->has_value());
  CHECK_FALSE(ParseLimit("9223372036854710272\n", "l")->has_value());
  CHECK_FALSE(ParseLimit("9223372036854775807\n", "l")->has_value());
  CHECK_FALSE(ParseLimit("18446744073709551615\n", "l")->has_value());
  CHECK_FALSE(ParseLimit(std::to_string(kUnlimitedThreshold) + "\n", "l")->has_value());
  CHECK(*ParseLimit(std::to_string(kUnlimitedThreshold - 1) + "\n", "l") ==
        std::optional<std::uint64_t>(kUnlimitedThreshold - 1));
  CHECK(kUnlimitedThreshold == 4611686018427387904ull);
}

TEST_CASE("ParseLimit rejects malformed text naming source and line", "[cgroup]") {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "memory.max: empty file"},
      {"max", "memory.max:1: truncated line (no newline at end of file)"},
      {"5368", "memory.max:1: truncated line (no newline at end of file)"},
      {"-1\n", "memory.max:1: limit: value '-1' is not a decimal number"},
      {"MAX\n", "memory.max:1: limit: value 'MAX' is not a decimal number"},
      {"unlimited\n", "memory.max:1: limit: value 'unlimited' is not a decimal number"},
      {"99999999999999999999\n",
       "memory.max:1: limit: value '99999999999999999999' overflows 64 bits"},
      {"\n", "memory.max:1: expected one value, got 0 in ''"},
      {"12 34\n", "memory.max:1: expected one value, got 2 in '12 34'"},
      {"12\n34\n", "memory.max:2: expected one line, got 2"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Result<std::optional<std::uint64_t>> r = ParseLimit(c.text, "memory.max");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kParseError);
    CHECK(r.status().message() == c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// ParseCounter

TEST_CASE("ParseCounter", "[cgroup]") {
  CHECK(*ParseCounter("155058176\n", "memory.current") == 155058176);
  CHECK(*ParseCounter("0\n", "memory.current") == 0);
  CHECK(*ParseCounter("18446744073709551615\n", "c") == 18446744073709551615ull);

  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "c: empty file"},
      {"2107", "c:1: truncated line (no newline at end of file)"},
      {"max\n", "c:1: counter: value 'max' is not a decimal number"},
      {"12a\n", "c:1: counter: value '12a' is not a decimal number"},
      {"18446744073709551616\n", "c:1: counter: value '18446744073709551616' overflows 64 bits"},
      {"1 2\n", "c:1: expected one value, got 2 in '1 2'"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Result<std::uint64_t> r = ParseCounter(c.text, "c");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kParseError);
    CHECK(r.status().message() == c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// ParseStat

TEST_CASE("ParseStat on this machine's v1 memory.stat", "[cgroup]") {
  Result<std::map<std::string, std::uint64_t>> stat =
      ParseStat(Load("v1/memory" + kHostCgroup + "/memory.stat"), "memory.stat");
  REQUIRE(stat.ok());
  CHECK(stat->size() == 42);
  CHECK(stat->at("total_inactive_file") == 139968512);
  CHECK(stat->at("total_cache") == 246640640);
  CHECK(stat->at("hierarchical_memory_limit") == kV1Unlimited);
  CHECK(stat->at("rss_huge") == 0);
}

TEST_CASE("ParseStat on a v2 memory.stat", "[cgroup]") {
  Result<std::map<std::string, std::uint64_t>> stat =
      ParseStat(Load("v2/system.slice/docker-" + kDockerId + ".scope/memory.stat"), "memory.stat");
  REQUIRE(stat.ok());
  CHECK(stat->size() == 56);
  CHECK(stat->at("anon") == 98304000);
  CHECK(stat->at("file") == 52428800);
  CHECK(stat->at("inactive_file") == 31457280);
  CHECK(stat->at("thp_swpout_fallback") == 0);
}

TEST_CASE("ParseStat rejects malformed text naming source and line", "[cgroup]") {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "s: empty file"},
      {"cache 1\nrss 2", "s:2: truncated line (no newline at end of file)"},
      {"cache 1\nrss\n", "s:2: expected 'key value', got 'rss'"},
      {"cache 1\nrss 2 3\n", "s:2: expected 'key value', got 'rss 2 3'"},
      {"cache 1\n\n", "s:2: expected 'key value', got ''"},
      {"cache 1\nrss x\n", "s:2: key 'rss': value 'x' is not a decimal number"},
      {"cache -1\n", "s:1: key 'cache': value '-1' is not a decimal number"},
      {"cache 123456789012345678901\n",
       "s:1: key 'cache': value '123456789012345678901' overflows 64 bits"},
      {"cache 1\nrss 2\ncache 3\n", "s:3: key 'cache' appears twice"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Result<std::map<std::string, std::uint64_t>> r = ParseStat(c.text, "s");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kParseError);
    CHECK(r.status().message() == c.message);
  }

  Result<std::map<std::string, std::uint64_t>> garbage =
      ParseStat(Load("../proc/bad/garbage.bin"), "g");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.status().message(), StartsWith("g:1: "));
}

// ---------------------------------------------------------------------------------------------
// Memory::WorkingSetBytes

TEST_CASE("Memory::WorkingSetBytes subtracts inactive file, floored at 0", "[cgroup]") {
  Memory m;
  m.usage_bytes = 100;
  m.inactive_file_bytes = 30;
  CHECK(m.WorkingSetBytes() == 70);
  m.inactive_file_bytes = 100;
  CHECK(m.WorkingSetBytes() == 0);
  m.inactive_file_bytes = 101;
  CHECK(m.WorkingSetBytes() == 0);
  m.usage_bytes = 0;
  m.inactive_file_bytes = 0;
  CHECK(m.WorkingSetBytes() == 0);
}

// ---------------------------------------------------------------------------------------------
// ReadMemory

TEST_CASE("ReadMemory: v1 root cgroup of this machine", "[cgroup][read]") {
  Result<Memory> m = ReadMemory(Fixture("v1/memory"));
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  CHECK(m->version == 1);
  CHECK_FALSE(m->limit_bytes.has_value());
  CHECK(m->usage_bytes == 307912704);
  CHECK(m->inactive_file_bytes == 155967488);  // total_inactive_file, not inactive_file
  CHECK(m->cache_bytes == 296071168);          // total_cache, not cache
  CHECK(m->WorkingSetBytes() == 307912704 - 155967488);
}

TEST_CASE("ReadMemory: v1 unlimited child cgroup of this machine", "[cgroup][read]") {
  Result<Memory> m = ReadMemory(Fixture("v1/memory" + kHostCgroup));
  REQUIRE(m.ok());
  CHECK(m->version == 1);
  CHECK_FALSE(m->limit_bytes.has_value());
  CHECK(m->usage_bytes == 252416000);
  CHECK(m->inactive_file_bytes == 139968512);
  CHECK(m->cache_bytes == 246640640);
  CHECK(m->WorkingSetBytes() == 112447488);
}

TEST_CASE("ReadMemory: v1 limited docker container", "[cgroup][read]") {
  Result<Memory> m = ReadMemory(Fixture("v1/memory/docker/" + kDockerId + "/"));
  REQUIRE(m.ok());
  CHECK(m->version == 1);
  CHECK(m->limit_bytes == std::optional<std::uint64_t>(536870912));
  CHECK(m->usage_bytes == 210763776);
  CHECK(m->inactive_file_bytes == 62914560);
  CHECK(m->cache_bytes == 104857600);
  CHECK(m->WorkingSetBytes() == 147849216);
}

TEST_CASE("ReadMemory: v2 limited docker scope", "[cgroup][read]") {
  Result<Memory> m = ReadMemory(Fixture("v2/system.slice/docker-" + kDockerId + ".scope"));
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  CHECK(m->version == 2);
  CHECK(m->limit_bytes == std::optional<std::uint64_t>(536870912));
  CHECK(m->usage_bytes == 155058176);
  CHECK(m->inactive_file_bytes == 31457280);
  CHECK(m->cache_bytes == 52428800);
  CHECK(m->WorkingSetBytes() == 123600896);
}

TEST_CASE("ReadMemory: v2 unlimited cgroup", "[cgroup][read]") {
  Result<Memory> m = ReadMemory(Fixture("v2/orclab/m1/unlimited"));
  REQUIRE(m.ok());
  CHECK(m->version == 2);
  CHECK_FALSE(m->limit_bytes.has_value());
  CHECK(m->usage_bytes == 73728000);
  CHECK(m->inactive_file_bytes == 45056000);
  CHECK(m->cache_bytes == 49152000);
  CHECK(m->WorkingSetBytes() == 28672000);
}

TEST_CASE("ReadMemory: inactive_file above usage gives working set 0", "[cgroup][read]") {
  Result<Memory> m = ReadMemory(Fixture("v2/orclab/m1/racy"));
  REQUIRE(m.ok());
  CHECK(m->usage_bytes == 40960000);
  CHECK(m->inactive_file_bytes == 41943040);
  CHECK(m->WorkingSetBytes() == 0);
}

TEST_CASE("ReadMemory errors name the directory or file", "[cgroup][read]") {
  const std::string b = Fixture("broken/");
  struct Case {
    std::string dir;
    Status::Code code;
    std::string message;  // exact, or a prefix when it ends in strerror text
    bool exact;
  };
  const Case cases[] = {
      {b + "neither", Status::Code::kNotFound,
       b + "neither: neither memory.max (cgroup v2) nor memory.limit_in_bytes (cgroup v1) found",
       true},
      {b + "no_such_dir", Status::Code::kNotFound, b + "no_such_dir: no such cgroup directory",
       true},
      {b + "v2_no_current", Status::Code::kNotFound,
       b + "v2_no_current/memory.current: cannot open: ", false},
      {b + "v2_bad_max", Status::Code::kParseError,
       b + "v2_bad_max/memory.max:1: limit: value 'unlimited' is not a decimal number", true},
      {b + "v2_stat_no_inactive", Status::Code::kParseError,
       b + "v2_stat_no_inactive/memory.stat: no 'inactive_file' key", true},
      {b + "v2_stat_dup", Status::Code::kParseError,
       b + "v2_stat_dup/memory.stat:57: key 'anon' appears twice", true},
      {b + "v1_bad_limit", Status::Code::kParseError,
       b + "v1_bad_limit/memory.limit_in_bytes:1: limit: value '-1' is not a decimal number", true},
      {b + "v1_truncated_usage", Status::Code::kParseError,
       b + "v1_truncated_usage/memory.usage_in_bytes:1: truncated line (no newline at end of file)",
       true},
      {b + "v1_stat_no_cache", Status::Code::kParseError,
       b + "v1_stat_no_cache/memory.stat: no 'total_cache' or 'cache' key", true},
  };
  for (const Case& c : cases) {
    INFO(c.dir);
    Result<Memory> m = ReadMemory(c.dir);
    REQUIRE_FALSE(m.ok());
    INFO(m.status().ToString());
    CHECK(m.status().code() == c.code);
    if (c.exact) {
      CHECK(m.status().message() == c.message);
    } else {
      CHECK_THAT(m.status().message(), StartsWith(c.message));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ParseMemoryCgroupPath

TEST_CASE("ParseMemoryCgroupPath: v1 hybrid of this machine", "[cgroup][path]") {
  Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v1_hybrid"), "cg");
  REQUIRE(path.ok());
  CHECK(*path == kHostCgroup);
}

TEST_CASE("ParseMemoryCgroupPath: v1 docker wins over an earlier 0:: line", "[cgroup][path]") {
  Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v1_docker"), "cg");
  REQUIRE(path.ok());
  CHECK(*path == "/docker/" + kDockerId);
}

TEST_CASE("ParseMemoryCgroupPath: comma-joined v1 controllers", "[cgroup][path]") {
  Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v1_combined"), "cg");
  REQUIRE(path.ok());
  CHECK(*path == "/orclab/m1/abc");
  CHECK(*ParseMemoryCgroupPath("5:cpu,memory:/a\n", "cg") == "/a");
  CHECK(*ParseMemoryCgroupPath("5:cpu,memory,pids:/b\n", "cg") == "/b");
}

TEST_CASE("ParseMemoryCgroupPath: pure v2", "[cgroup][path]") {
  Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v2_pure"), "cg");
  REQUIRE(path.ok());
  CHECK(*path == "/system.slice/docker-" + kDockerId + ".scope");
  CHECK(*ParseMemoryCgroupPath("0::/\n", "cg") == "/");
  // Paths may contain colons: everything after the second colon is the path.
  CHECK(*ParseMemoryCgroupPath("0::/a:b/c\n", "cg") == "/a:b/c");
  // A v1 hierarchy without controllers (id != 0, empty list) is not the v2 line.
  CHECK_FALSE(ParseMemoryCgroupPath("3::/x\n", "cg").ok());
}

TEST_CASE("ParseMemoryCgroupPath errors name source and line", "[cgroup][path]") {
  struct Case {
    const char* file;
    std::string suffix;
  };
  const Case cases[] = {
      {"proc_pid_cgroup/no_memory", ": no v1 'memory' controller line and no v2 '0::' line"},
      {"proc_pid_cgroup/memory_lookalike", ": no v1 'memory' controller line and no v2 '0::' line"},
      {"proc_pid_cgroup/truncated", ":3: truncated line (no newline at end of file)"},
      {"proc_pid_cgroup/malformed",
       ":2: line '4 memory /process_api' is not 'hierarchy-id:controllers:path'"},
      {"proc_pid_cgroup/bad_id", ":2: hierarchy id: value 'x4' is not a decimal number"},
      {"proc_pid_cgroup/relative_path", ":1: path 'process_api' does not start with '/'"},
      {"../proc/bad/empty", ": empty file"},
  };
  for (const Case& c : cases) {
    const std::string path = Fixture(c.file);
    Result<std::string> r = ParseMemoryCgroupPath(Load(c.file), path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kParseError);
    CHECK(r.status().message() == path + c.suffix);
  }
  Result<std::string> one_colon = ParseMemoryCgroupPath("4:memory\n", "cg");
  REQUIRE_FALSE(one_colon.ok());
  CHECK(one_colon.status().message() ==
        "cg:1: line '4:memory' is not 'hierarchy-id:controllers:path'");
  Result<std::string> empty_path = ParseMemoryCgroupPath("4:memory:\n", "cg");
  REQUIRE_FALSE(empty_path.ok());
  CHECK(empty_path.status().message() == "cg:1: path '' does not start with '/'");
  Result<std::string> garbage = ParseMemoryCgroupPath(Load("../proc/bad/garbage.bin"), "g");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.status().message(), StartsWith("g:1: "));
}

// ---------------------------------------------------------------------------------------------
// MemoryDirFor

TEST_CASE("MemoryDirFor: v1 root maps to root/memory + path", "[cgroup][path]") {
  const std::string root = Fixture("v1");
  CHECK(*MemoryDirFor(root, kHostCgroup) == root + "/memory" + kHostCgroup);
  CHECK(*MemoryDirFor(root + "/", kHostCgroup) == root + "/memory" + kHostCgroup);
  CHECK(*MemoryDirFor(root, kHostCgroup + "/") == root + "/memory" + kHostCgroup);
  CHECK(*MemoryDirFor(root, "/") == root + "/memory");
  // The directory itself is not checked.
  CHECK(*MemoryDirFor(root, "/not/there") == root + "/memory/not/there");
}

TEST_CASE("MemoryDirFor: v2 root maps to root + path", "[cgroup][path]") {
  const std::string root = Fixture("v2");
  CHECK(*MemoryDirFor(root, "/orclab/m1/unlimited") == root + "/orclab/m1/unlimited");
  CHECK(*MemoryDirFor(root + "//", "/orclab/m1/unlimited") == root + "/orclab/m1/unlimited");
  CHECK(*MemoryDirFor(root, "/") == root);
  CHECK(*MemoryDirFor(root, "/a..b/c") == root + "/a..b/c");
}

TEST_CASE("MemoryDirFor rejects unsafe paths and unknown roots", "[cgroup][path]") {
  const std::string root = Fixture("v2");
  struct Case {
    std::string path;
    std::string message;
  };
  const Case cases[] = {
      {"", "cgroup path '' is not absolute"},
      {"orclab/m1", "cgroup path 'orclab/m1' is not absolute"},
      {"/..", "cgroup path '/..' contains '..'"},
      {"/../../etc", "cgroup path '/../../etc' contains '..'"},
      {"/a/../b", "cgroup path '/a/../b' contains '..'"},
      {"/a/..", "cgroup path '/a/..' contains '..'"},
      {"/a\nb", "cgroup path '/a\\x0ab' contains a newline or NUL"},
      {std::string("/a\0b", 4), "cgroup path '/a\\x00b' contains a newline or NUL"},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    Result<std::string> r = MemoryDirFor(root, c.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(r.status().message() == c.message);
  }

  const std::string not_cgroup = Fixture("broken");
  Result<std::string> unknown = MemoryDirFor(not_cgroup, "/x");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == Status::Code::kNotFound);
  CHECK_THAT(unknown.status().message(), StartsWith(not_cgroup + ": neither a cgroup v1"));
  Result<std::string> missing = MemoryDirFor(Fixture("no_such_root") + "/", "/x");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kNotFound);
  CHECK_THAT(missing.status().message(), StartsWith(Fixture("no_such_root") + ": "));
}

// ---------------------------------------------------------------------------------------------
// End to end: /proc/<pid>/cgroup -> directory -> figures

TEST_CASE("From /proc/pid/cgroup to memory figures, v1 and v2", "[cgroup][e2e]") {
  SECTION("v1 hybrid (this machine)") {
    Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v1_hybrid"), "cg");
    REQUIRE(path.ok());
    Result<std::string> dir = MemoryDirFor(Fixture("v1"), *path);
    REQUIRE(dir.ok());
    Result<Memory> m = ReadMemory(*dir);
    REQUIRE(m.ok());
    CHECK(m->version == 1);
    CHECK(m->usage_bytes == 252416000);
  }
  SECTION("v1 docker") {
    Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v1_docker"), "cg");
    REQUIRE(path.ok());
    Result<std::string> dir = MemoryDirFor(Fixture("v1"), *path);
    REQUIRE(dir.ok());
    Result<Memory> m = ReadMemory(*dir);
    REQUIRE(m.ok());
    CHECK(m->limit_bytes == std::optional<std::uint64_t>(536870912));
    CHECK(m->WorkingSetBytes() == 147849216);
  }
  SECTION("v2 pure") {
    Result<std::string> path = ParseMemoryCgroupPath(Load("proc_pid_cgroup/v2_pure"), "cg");
    REQUIRE(path.ok());
    Result<std::string> dir = MemoryDirFor(Fixture("v2"), *path);
    REQUIRE(dir.ok());
    CHECK(*dir == Fixture("v2/system.slice/docker-" + kDockerId + ".scope"));
    Result<Memory> m = ReadMemory(*dir);
    REQUIRE(m.ok());
    CHECK(m->version == 2);
    CHECK(m->WorkingSetBytes() == 123600896);
  }
}

TEST_CASE("This machine's own memory cgroup can be located", "[cgroup][e2e]") {
  Result<std::string> text = procfs::ReadFile("/proc/self/cgroup");
  REQUIRE(text.ok());
  Result<std::string> path = ParseMemoryCgroupPath(*text, "/proc/self/cgroup");
  INFO(path.status().ToString());
  REQUIRE(path.ok());
  CHECK_THAT(*path, StartsWith("/"));
  if (!std::filesystem::exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") &&
      !std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers")) {
    return;  // no cgroup file system mounted here
  }
  Result<std::string> dir = MemoryDirFor("/sys/fs/cgroup", *path);
  INFO(dir.status().ToString());
  REQUIRE(dir.ok());
  if (std::filesystem::exists(*dir + "/memory.max") ||
      std::filesystem::exists(*dir + "/memory.limit_in_bytes")) {
    Result<Memory> m = ReadMemory(*dir);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    CHECK(m->usage_bytes > 0);
  }
}

// ---------------------------------------------------------------------------------------------
// DefaultRoot

TEST_CASE("cgroup::DefaultRoot prefers an existing host directory", "[cgroup]") {
  CHECK(DefaultRoot(Fixture("v2"), "/sys/fs/cgroup") == Fixture("v2"));
  CHECK(DefaultRoot(Fixture("no_such_root"), "/sys/fs/cgroup") == "/sys/fs/cgroup");
  // A regular file is not a mount root.
  CHECK(DefaultRoot(Fixture("v2/cgroup.controllers"), "/sys/fs/cgroup") == "/sys/fs/cgroup");
  const bool host = std::filesystem::is_directory("/host/sys/fs/cgroup");
  CHECK(DefaultRoot() == (host ? "/host/sys/fs/cgroup" : "/sys/fs/cgroup"));
}

}  // namespace
}  // namespace orcastra::cgroup
