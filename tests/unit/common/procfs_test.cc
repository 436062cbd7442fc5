#include "common/procfs.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

namespace orcastra::procfs {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

constexpr std::uint64_t kKiB = 1024;

std::string Fixture(const std::string& relative) {
  return std::string(ORCASTRA_FIXTURES_DIR) + "/proc/" + relative;
}

// The text of a fixture file; fails the test when it cannot be read.
std::string Load(const std::string& relative) {
  Result<std::string> text = ReadFile(Fixture(relative));
  INFO(text.status().ToString());
  REQUIRE(text.ok());
  return *text;
}

// Checks that `status` is a parse error whose message starts with `prefix` and mentions `needle`.
void CheckParseError(const Status& status, const std::string& prefix, const std::string& needle) {
  INFO(status.ToString());
  CHECK(status.code() == Status::Code::kParseError);
  CHECK_THAT(status.message(), StartsWith(prefix));
  CHECK_THAT(status.message(), Contains(needle));
}

// ---------------------------------------------------------------------------------------------
// detail helpers

TEST_CASE("detail::ParseU64 accepts plain decimals up to 2^64-1", "[procfs]") {
  CHECK(*detail::ParseU64("0") == 0);
  CHECK(*detail::ParseU64("007") == 7);
  CHECK(*detail::ParseU64("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());

  Result<std::uint64_t> overflow = detail::ParseU64("18446744073709551616");
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.status().message() == "value '18446744073709551616' overflows 64 bits");
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.0", "0x10", "12a", "abc"}) {
    INFO("token: '" << bad << "'");
    Result<std::uint64_t> r = detail::ParseU64(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kParseError);
    CHECK_THAT(r.status().message(), Contains("is not a decimal number"));
  }
}

TEST_CASE("detail::ParseDecimal accepts only plain non-negative decimals", "[procfs]") {
  CHECK(*detail::ParseDecimal("0") == 0.0);
  CHECK(*detail::ParseDecimal("0.52") == 0.52);
  CHECK(*detail::ParseDecimal("100.00") == 100.0);
  CHECK(*detail::ParseDecimal("12") == 12.0);
  for (const char* bad :
       {"", ".", ".5", "5.", "1.2.3", "-0.1", "+1", "1e3", "nan", "inf", "0x1p3", "1,5", " 1"}) {
    INFO("token: '" << bad << "'");
    Result<double> r = detail::ParseDecimal(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("is not a decimal number"));
  }
}

TEST_CASE("detail::Quote escapes non-printable bytes and shortens long text", "[procfs]") {
  CHECK(detail::Quote("MemTotal") == "'MemTotal'");
  CHECK(detail::Quote(std::string_view("a\0b\n\x7f\xff'\\", 8)) ==
        "'a\\x00b\\x0a\\x7f\\xff\\x27\\x5c'");
  CHECK(detail::Quote(std::string(50, 'x')) == "'" + std::string(40, 'x') + "...'");
}

TEST_CASE("detail::CheckComplete rejects empty and unterminated text", "[procfs]") {
  CHECK(detail::CheckComplete("a\n", "src").ok());
  CHECK(detail::CheckComplete("", "src").message() == "src: empty file");
  CHECK(detail::CheckComplete("a\nb\nc", "src").message() ==
        "src:3: truncated line (no newline at end of file)");
}

TEST_CASE("detail::SplitLines and SplitFields", "[procfs]") {
  CHECK(detail::SplitLines("a\n\nb\n") == std::vector<std::string_view>{"a", "", "b"});
  CHECK(detail::SplitLines("a\nb") == std::vector<std::string_view>{"a", "b"});
  CHECK(detail::SplitLines("").empty());
  CHECK(detail::SplitFields(" \tcpu  1\t2 ") == std::vector<std::string_view>{"cpu", "1", "2"});
  CHECK(detail::SplitFields("   ").empty());
}

// ---------------------------------------------------------------------------------------------
// ReadFile

TEST_CASE("ReadFile reads pseudo files whose reported size is 0", "[procfs]") {
  Result<std::string> text = ReadFile("/proc/self/stat");
  REQUIRE(text.ok());
  CHECK_FALSE(text->empty());
  CHECK(text->back() == '\n');
  CHECK_THAT(*text, StartsWith(std::to_string(::getpid()) + " ("));
}

TEST_CASE("ReadFile returns binary content byte for byte", "[procfs]") {
  Result<std::string> text = ReadFile(Fixture("bad/garbage.bin"));
  REQUIRE(text.ok());
  CHECK(text->size() == 310);
  CHECK(text->substr(0, 8) == std::string("\x7f\x45LF\x02\x01\x01\0", 8));
}

TEST_CASE("ReadFile enforces max_bytes exactly", "[procfs]") {
  const std::string path = Fixture("host/meminfo");
  const auto size = static_cast<std::size_t>(std::filesystem::file_size(path));
  CHECK(ReadFile(path, size).ok());
  Result<std::string> too_big = ReadFile(path, size - 1);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.status().code() == Status::Code::kIoError);
  CHECK(too_big.status().message() ==
        path + ": file is larger than " + std::to_string(size - 1) + " bytes");
  CHECK_FALSE(ReadFile(path, 0).ok());
  CHECK(*ReadFile(Fixture("bad/empty"), 0) == "");
}

TEST_CASE("ReadFile reads files larger than its buffer", "[procfs]") {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("orcastra_procfs_test_" + std::to_string(::getpid()));
  std::string content;
  for (int i = 0; i < 5000; ++i) content += "line " + std::to_string(i) + "\n";
  { std::ofstream(path, std::ios::binary) << content; }
  Result<std::string> text = ReadFile(path.string());
  REQUIRE(text.ok());
  CHECK(*text == content);
  CHECK_FALSE(ReadFile(path.string(), content.size() - 1).ok());
  std::filesystem::remove(path);
}

TEST_CASE("ReadFile reports missing paths and directories with the path", "[procfs]") {
  const std::string missing = Fixture("no_such_file");
  Result<std::string> r = ReadFile(missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
  CHECK_THAT(r.status().message(), StartsWith(missing + ": cannot open: "));

  Result<std::string> under_file = ReadFile(Fixture("host/meminfo/x"));
  REQUIRE_FALSE(under_file.ok());
  CHECK(under_file.status().code() == Status::Code::kNotFound);  // ENOTDIR

  Result<std::string> dir = ReadFile(Fixture("host"));
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.status().code() == Status::Code::kIoError);
  CHECK_THAT(dir.status().message(), StartsWith(Fixture("host") + ": cannot read: "));
}

// ---------------------------------------------------------------------------------------------
// ParseMemInfo

TEST_CASE("ParseMemInfo on this machine's /proc/meminfo", "[procfs][meminfo]") {
  Result<MemInfo> info = ParseMemInfo(Load("host/meminfo"), "meminfo");
  INFO(info.status().ToString());
  REQUIRE(info.ok());
  CHECK(info->total_bytes == 24684092 * kKiB);
  CHECK(info->free_bytes == 24225292 * kKiB);
  CHECK(info->available_bytes == 24341372 * kKiB);
  CHECK(info->buffers_bytes == 2520 * kKiB);
  CHECK(info->cached_bytes == 286712 * kKiB);
  CHECK(info->swap_total_bytes == 0);
  CHECK(info->swap_free_bytes == 0);
  CHECK_FALSE(info->available_estimated);
}

TEST_CASE("ParseMemInfo estimates MemAvailable on old kernels", "[procfs][meminfo]") {
  Result<MemInfo> info = ParseMemInfo(Load("old_kernel/meminfo"), "meminfo");
  INFO(info.status().ToString());
  REQUIRE(info.ok());
  CHECK(info->total_bytes == 1922236 * kKiB);
  CHECK(info->free_bytes == 183968 * kKiB);
  CHECK(info->buffers_bytes == 129296 * kKiB);
  CHECK(info->cached_bytes == 1263032 * kKiB);
  CHECK(info->available_bytes == (183968 + 129296 + 1263032) * kKiB);
  CHECK(info->available_estimated);
  CHECK(info->swap_total_bytes == 4128760 * kKiB);
  CHECK(info->swap_free_bytes == 4128504 * kKiB);
}

TEST_CASE("ParseMemInfo minimal text and whitespace variants", "[procfs][meminfo]") {
  Result<MemInfo> info = ParseMemInfo("MemTotal:\t100 kB\nMemFree:50   kB  \n", "m");
  REQUIRE(info.ok());
  CHECK(info->total_bytes == 102400);
  CHECK(info->free_bytes == 51200);
  CHECK(info->available_bytes == 51200);  // free only: no Buffers/Cached lines
  CHECK(info->available_estimated);

  // Unit-less counters (HugePages_*) are accepted on fields that are not read.
  CHECK(ParseMemInfo("MemTotal: 1 kB\nMemFree: 1 kB\nHugePages_Total:       0\n", "m").ok());

  // The largest value that still fits in bytes.
  const std::uint64_t max_kb = std::numeric_limits<std::uint64_t>::max() / 1024;
  Result<MemInfo> big = ParseMemInfo(
      "MemTotal: " + std::to_string(max_kb) + " kB\nMemFree: 0 kB\nMemAvailable: 0 kB\n", "m");
  REQUIRE(big.ok());
  CHECK(big->total_bytes == max_kb * 1024);
}

TEST_CASE("ParseMemInfo estimate saturates instead of wrapping", "[procfs][meminfo]") {
  const std::string max_kb = std::to_string(std::numeric_limits<std::uint64_t>::max() / 1024);
  Result<MemInfo> info = ParseMemInfo(
      "MemTotal: 1 kB\nMemFree: " + max_kb + " kB\nBuffers: " + max_kb + " kB\nCached: 5 kB\n",
      "m");
  REQUIRE(info.ok());
  CHECK(info->available_bytes == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("ParseMemInfo rejects bad fixture files naming file and line", "[procfs][meminfo]") {
  struct Case {
    const char* file;
    std::string where;  // expected message prefix after the path
    const char* needle;
  };
  const Case cases[] = {
      {"bad/empty", ": empty file", "empty"},
      {"bad/meminfo_truncated_midline", ":4: truncated line", "no newline"},
      {"bad/meminfo_truncated_midnumber", ":1: truncated line", "no newline"},
      {"bad/meminfo_no_memtotal", ": required field 'MemTotal' is missing", "MemTotal"},
      {"bad/meminfo_non_numeric", ":3: field 'MemAvailable'", "'2434x372' is not a decimal"},
      {"bad/meminfo_overflow", ":4: field 'Buffers'", "'99999999999999999999' overflows 64 bits"},
      {"bad/meminfo_kb_overflow", ":1: field 'MemTotal'", "overflows 64 bits in bytes"},
      {"bad/meminfo_no_colon", ":2: line 'MemFree         24225292 kB'", "has no colon"},
      {"bad/meminfo_no_number", ":3: field 'MemAvailable' has no number", "no number"},
      {"bad/garbage.bin", ":1: bad field name '\\x7fELF\\x02", "bad field name"},
  };
  for (const Case& c : cases) {
    const std::string path = Fixture(c.file);
    INFO(path);
    Result<MemInfo> info = ParseMemInfo(Load(c.file), path);
    REQUIRE_FALSE(info.ok());
    CheckParseError(info.status(), path + c.where, c.needle);
  }
}

TEST_CASE("ParseMemInfo rejects malformed inline text", "[procfs][meminfo]") {
  const std::string ok_head = "MemTotal: 100 kB\nMemFree: 50 kB\n";
  struct Case {
    std::string text;
    std::string message;  // exact
  };
  const Case cases[] = {
      {ok_head + "MemTotal: 100 kB\n", "src:3: field 'MemTotal' appears twice"},
      {ok_head + "Cached: 12 MB\n", "src:3: field 'Cached' has unknown unit 'MB'"},
      {ok_head + "Cached: 12\n", "src:3: field 'Cached' has no 'kB' unit"},
      {ok_head + "Cached: 12 kB extra\n", "src:3: field 'Cached' has extra text 'extra'"},
      {ok_head + "Cached: -12 kB\n", "src:3: field 'Cached': value '-12' is not a decimal number"},
      {ok_head + "\n", "src:3: line '' has no colon"},
      {ok_head + ": 12 kB\n", "src:3: bad field name ''"},
      {ok_head + "Mem Total: 12 kB\n", "src:3: bad field name 'Mem Total'"},
      {"MemTotal: 100 kB\n", "src: required field 'MemFree' is missing"},
      {"\n", "src:1: line '' has no colon"},
      {ok_head + "Cached: 12 kB", "src:3: truncated line (no newline at end of file)"},
      {ok_head + "Cached: 1\r\n", "src:3: field 'Cached': value '1\\x0d' is not a decimal number"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Result<MemInfo> info = ParseMemInfo(c.text, "src");
    REQUIRE_FALSE(info.ok());
    CHECK(info.status().code() == Status::Code::kParseError);
    CHECK(info.status().message() == c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// ParseLoadAvg

TEST_CASE("ParseLoadAvg on this machine's /proc/loadavg", "[procfs][loadavg]") {
  Result<LoadAvg> load = ParseLoadAvg(Load("host/loadavg"), "loadavg");
  REQUIRE(load.ok());
  CHECK(load->avg1 == 0.07);
  CHECK(load->avg5 == 0.08);
  CHECK(load->avg15 == 0.04);
  CHECK(load->runnable == 1);
  CHECK(load->total == 84);
}

TEST_CASE("ParseLoadAvg accepts large loads and 32-bit counts", "[procfs][loadavg]") {
  Result<LoadAvg> load = ParseLoadAvg("123.45 6.70 0.00 4294967295/4294967295 4194304\n", "l");
  REQUIRE(load.ok());
  CHECK(load->avg1 == 123.45);
  CHECK(load->avg5 == 6.7);
  CHECK(load->avg15 == 0.0);
  CHECK(load->runnable == 4294967295u);
  CHECK(load->total == 4294967295u);
  // Up to pid_max (2^22), the most tasks Linux counts; above it the report could not be sent.
  CHECK(ParseLoadAvg("4194304.00 0.00 0.00 1/1 1\n", "l").ok());
  Result<LoadAvg> beyond = ParseLoadAvg("0.00 18446744073709551616.00 0.00 1/1 1\n", "l");
  REQUIRE_FALSE(beyond.ok());
  CHECK(beyond.status().message() ==
        "l:1: 5-minute average '18446744073709551616.00' is above pid_max (2^22)");
}

TEST_CASE("ParseLoadAvg rejects bad files naming file and line", "[procfs][loadavg]") {
  struct Case {
    const char* file;
    const char* suffix;  // exact message after the path
  };
  const Case cases[] = {
      {"bad/loadavg_missing_columns", ":1: expected 5 fields, got 3"},
      {"bad/loadavg_extra_column", ":1: expected 5 fields, got 6"},
      {"bad/loadavg_truncated", ":1: truncated line (no newline at end of file)"},
      {"bad/loadavg_negative", ":1: 5-minute average: value '-0.08' is not a decimal number"},
      {"broken/loadavg", ":1: expected 5 fields, got 4"},
      {"bad/empty", ": empty file"},
      {"bad/meminfo_overflow", ":2: expected one line, got 4"},
  };
  for (const Case& c : cases) {
    const std::string path = Fixture(c.file);
    Result<LoadAvg> load = ParseLoadAvg(Load(c.file), path);
    REQUIRE_FALSE(load.ok());
    CHECK(load.status().code() == Status::Code::kParseError);
    CHECK(load.status().message() == path + c.suffix);
  }
  Result<LoadAvg> garbage = ParseLoadAvg(Load("bad/garbage.bin"), "g");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.status().message(), StartsWith("g:2: expected one line"));
}

TEST_CASE("ParseLoadAvg rejects malformed inline text", "[procfs][loadavg]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"0.07 0.08 0.04 5/4 5042\n", "l:1: runnable count exceeds total in '5/4'"},
      {"0.07 0.08 0.04 184 5042\n", "l:1: field 4 '184' is not 'runnable/total'"},
      {"0.07 0.08 0.04 1/84x 5042\n", "l:1: total count: value '84x' is not a decimal number"},
      {"0.07 0.08 0.04 /84 5042\n", "l:1: runnable count: value '' is not a decimal number"},
      {"0.07 0.08 0.04 1/4294967296 5042\n", "l:1: field 4 '1/4294967296' overflows 32 bits"},
      {"nan 0.08 0.04 1/84 5042\n", "l:1: 1-minute average: value 'nan' is not a decimal number"},
      {"0.07 0.08 1e3 1/84 5042\n", "l:1: 15-minute average: value '1e3' is not a decimal number"},
      {"0.07 0.08 0.04 1/84 -1\n", "l:1: last pid: value '-1' is not a decimal number"},
      {"0.07 0.08 0.04 1/84 5042\n\n", "l:2: expected one line, got 2"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Result<LoadAvg> load = ParseLoadAvg(c.text, "l");
    REQUIRE_FALSE(load.ok());
    CHECK(load.status().code() == Status::Code::kParseError);
    CHECK(load.status().message() == c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// ParseStatCpu and CpuPercent

TEST_CASE("ParseStatCpu on this machine's /proc/stat", "[procfs][stat]") {
  Result<CpuTimes> cpu = ParseStatCpu(Load("host/stat"), "stat");
  INFO(cpu.status().ToString());
  REQUIRE(cpu.ok());
  CHECK(cpu->user == 2864);
  CHECK(cpu->nice == 0);
  CHECK(cpu->system == 2406);
  CHECK(cpu->idle == 97165);
  CHECK(cpu->iowait == 367);
  CHECK(cpu->irq == 0);
  CHECK(cpu->softirq == 57);
  CHECK(cpu->steal == 10);
  CHECK(cpu->Total() == 2864 + 2406 + 97165 + 367 + 57 + 10);
  CHECK(cpu->Idle() == 97165 + 367);
}

TEST_CASE("ParseStatCpu accepts old kernels with only 4 cpu columns", "[procfs][stat]") {
  Result<CpuTimes> cpu = ParseStatCpu(Load("old_kernel/stat"), "stat");
  REQUIRE(cpu.ok());
  CHECK(cpu->user == 1539);
  CHECK(cpu->nice == 24);
  CHECK(cpu->system == 1122);
  CHECK(cpu->idle == 97634);
  CHECK(cpu->iowait == 0);
  CHECK(cpu->steal == 0);
  CHECK(cpu->Total() == 100319);
  CHECK(cpu->Idle() == 97634);
}

TEST_CASE("ParseStatCpu column counts between 4 and 10 and beyond", "[procfs][stat]") {
  // 2.6.0-2.6.10 kernels: 7 columns (no steal).
  Result<CpuTimes> seven = ParseStatCpu("cpu  1 2 3 4 5 6 7\n", "s");
  REQUIRE(seven.ok());
  CHECK(seven->softirq == 7);
  CHECK(seven->steal == 0);
  CHECK(seven->Total() == 28);
  // guest and guest_nice are part of user/nice: not added to Total.
  Result<CpuTimes> ten = ParseStatCpu("cpu  1 2 3 4 5 6 7 8 100 200\n", "s");
  REQUIRE(ten.ok());
  CHECK(ten->Total() == 36);
  // Future extra columns are validated but ignored.
  Result<CpuTimes> twelve = ParseStatCpu("cpu  1 2 3 4 5 6 7 8 9 10 11 12\n", "s");
  REQUIRE(twelve.ok());
  CHECK(twelve->Total() == 36);
  // The aggregate line need not be first; per-cpu lines are not mistaken for it.
  Result<CpuTimes> later = ParseStatCpu("cpu0 9 9 9 9\nintr 1 2\ncpu 10 0 5 85\n", "s");
  REQUIRE(later.ok());
  CHECK(later->user == 10);
  CHECK(later->Total() == 100);
}

TEST_CASE("ParseStatCpu rejects bad files naming file and line", "[procfs][stat]") {
  struct Case {
    const char* file;
    const char* suffix;
  };
  const Case cases[] = {
      {"bad/stat_3_columns", ":1: 'cpu' line has 3 columns, need at least 4"},
      {"broken/stat", ":1: 'cpu' line has 3 columns, need at least 4"},
      {"bad/stat_no_cpu_line", ": no aggregate 'cpu' line"},
      {"bad/stat_truncated", ":2: truncated line (no newline at end of file)"},
      {"bad/stat_overflow", ":1: 'cpu' column 11: value '18446744073709551616' overflows 64 bits"},
      {"bad/empty", ": empty file"},
      {"bad/garbage.bin", ": no aggregate 'cpu' line"},
  };
  for (const Case& c : cases) {
    const std::string path = Fixture(c.file);
    Result<CpuTimes> cpu = ParseStatCpu(Load(c.file), path);
    REQUIRE_FALSE(cpu.ok());
    CHECK(cpu.status().code() == Status::Code::kParseError);
    CHECK(cpu.status().message() == path + c.suffix);
  }
  Result<CpuTimes> bad_user = ParseStatCpu("intr 5\ncpu  12a 0 1 2\n", "s");
  REQUIRE_FALSE(bad_user.ok());
  CHECK(bad_user.status().message() ==
        "s:2: 'cpu' column 'user': value '12a' is not a decimal number");
  Result<CpuTimes> bad_steal = ParseStatCpu("cpu  1 2 3 4 5 6 7 -8\n", "s");
  REQUIRE_FALSE(bad_steal.ok());
  CHECK(bad_steal.status().message() ==
        "s:1: 'cpu' column 'steal': value '-8' is not a decimal number");
}

TEST_CASE("CpuTimes::Total saturates instead of wrapping", "[procfs][stat]") {
  CpuTimes t;
  t.user = std::numeric_limits<std::uint64_t>::max();
  t.idle = 5;
  t.iowait = std::numeric_limits<std::uint64_t>::max();
  CHECK(t.Total() == std::numeric_limits<std::uint64_t>::max());
  CHECK(t.Idle() == std::numeric_limits<std::uint64_t>::max());
}

CpuTimes Times(std::uint64_t user, std::uint64_t system, std::uint64_t idle,
               std::uint64_t iowait = 0, std::uint64_t steal = 0) {
  CpuTimes t;
  t.user = user;
  t.system = system;
  t.idle = idle;
  t.iowait = iowait;
  t.steal = steal;
  return t;
}

TEST_CASE("CpuPercent arithmetic", "[procfs][stat]") {
  // 100 ticks pass, 50 of them idle.
  CHECK(CpuPercent(Times(100, 0, 900), Times(150, 0, 950)) == 50.0);
  // iowait counts as idle, system and steal as busy: 10 busy out of 40.
  CHECK(CpuPercent(Times(0, 0, 0), Times(0, 5, 20, 10, 5)) == 25.0);
  // Fully busy and fully idle intervals.
  CHECK(CpuPercent(Times(10, 10, 10), Times(60, 60, 10)) == 100.0);
  CHECK(CpuPercent(Times(10, 10, 10), Times(10, 10, 110)) == 0.0);
  // One busy tick in three.
  CHECK(CpuPercent(Times(0, 0, 0), Times(1, 0, 2)) == Approx(100.0 / 3).epsilon(1e-12));
  // Real samples: host stat taken as "after" an earlier made-up sample.
  Result<CpuTimes> host = ParseStatCpu(Load("host/stat"), "stat");
  REQUIRE(host.ok());
  CpuTimes earlier = *host;
  earlier.user -= 64;
  earlier.idle -= 136;
  CHECK(CpuPercent(earlier, *host) == Approx(32.0).epsilon(1e-12));
}

TEST_CASE("CpuPercent is 0 when no time passed or counters went backwards", "[procfs][stat]") {
  const CpuTimes a = Times(100, 50, 900, 10);
  CHECK(CpuPercent(a, a) == 0.0);
  CHECK(CpuPercent(CpuTimes{}, CpuTimes{}) == 0.0);
  // Samples swapped: total goes backwards.
  CHECK(CpuPercent(Times(150, 50, 950), Times(100, 50, 900)) == 0.0);
  // Counter reset (e.g. reading a different host's /proc after a restart).
  CHECK(CpuPercent(Times(100000, 5000, 900000), Times(10, 5, 90)) == 0.0);
  // Idle went backwards while total grew (iowait can decrease on NO_HZ kernels).
  CHECK(CpuPercent(Times(100, 0, 900, 50), Times(300, 0, 900, 10)) == 0.0);
  // Busy went backwards while idle grew more: clamped to 0, never negative.
  CHECK(CpuPercent(Times(100, 0, 900), Times(50, 0, 1000)) == 0.0);
}

// ---------------------------------------------------------------------------------------------
// ParsePressure

TEST_CASE("ParsePressure on this machine's /proc/pressure/memory", "[procfs][psi]") {
  Result<Pressure> p = ParsePressure(Load("host/pressure/memory"), "psi");
  REQUIRE(p.ok());
  CHECK(p->some_avg10 == 0.0);
  CHECK(p->some_total_us == 0);
  CHECK(p->has_full);
  CHECK(p->full_avg300 == 0.0);
}

TEST_CASE("ParsePressure reads all eight figures", "[procfs][psi]") {
  Result<Pressure> p = ParsePressure(Load("busy/pressure/memory"), "psi");
  REQUIRE(p.ok());
  CHECK(p->some_avg10 == 12.34);
  CHECK(p->some_avg60 == 5.67);
  CHECK(p->some_avg300 == 1.02);
  CHECK(p->some_total_us == 987654321);
  CHECK(p->has_full);
  CHECK(p->full_avg10 == 3.5);
  CHECK(p->full_avg60 == 1.25);
  CHECK(p->full_avg300 == 0.3);
  CHECK(p->full_total_us == 123456789);
}

TEST_CASE("ParsePressure accepts a file without the full line", "[procfs][psi]") {
  Result<Pressure> p = ParsePressure(Load("psi_some_only/pressure/memory"), "psi");
  REQUIRE(p.ok());
  CHECK(p->some_avg10 == 0.52);
  CHECK(p->some_avg60 == 0.31);
  CHECK(p->some_avg300 == 0.08);
  CHECK(p->some_total_us == 1234567);
  CHECK_FALSE(p->has_full);
  CHECK(p->full_avg10 == 0.0);
  CHECK(p->full_total_us == 0);
}

TEST_CASE("ParsePressure ignores unknown keys and accepts full before some", "[procfs][psi]") {
  Result<Pressure> p = ParsePressure(
      "full avg10=1.00 avg60=2.00 avg300=3.00 total=4\n"
      "some avg10=5.00 avg60=6.00 avg300=7.00 total=8 avg900=9.00\n",
      "psi");
  REQUIRE(p.ok());
  CHECK(p->full_total_us == 4);
  CHECK(p->some_avg300 == 7.0);
  CHECK(p->some_total_us == 8);
}

TEST_CASE("ParsePressure rejects bad files naming file and line", "[procfs][psi]") {
  struct Case {
    const char* file;
    const char* suffix;
  };
  const Case cases[] = {
      {"bad/pressure_no_some", ": no 'some' line"},
      {"bad/pressure_truncated", ":2: truncated line (no newline at end of file)"},
      {"bad/pressure_non_numeric", ":1: 'some' total: value '12x' is not a decimal number"},
      {"broken/pressure/memory", ":2: 'full' line has no 'avg300'"},
      {"bad/empty", ": empty file"},
  };
  for (const Case& c : cases) {
    const std::string path = Fixture(c.file);
    Result<Pressure> p = ParsePressure(Load(c.file), path);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == Status::Code::kParseError);
    CHECK(p.status().message() == path + c.suffix);
  }
  Result<Pressure> garbage = ParsePressure(Load("bad/garbage.bin"), "g");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.status().message(), StartsWith("g:1: unknown line kind '\\x7fELF"));
}

TEST_CASE("ParsePressure rejects malformed inline text", "[procfs][psi]") {
  const std::string some = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {some + some, "p:2: 'some' line appears twice"},
      {some + "partial avg10=0.00\n", "p:2: unknown line kind 'partial' (want 'some' or 'full')"},
      {some + "\n", "p:2: empty line"},
      {"some avg10=0.00 avg60 avg300=0.00 total=0\n", "p:1: 'some' token 'avg60' is not key=value"},
      {"some avg10=0.00 =1 avg60=0.00 avg300=0.00 total=0\n",
       "p:1: 'some' token '=1' is not key=value"},
      {"some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
       "p:1: 'some' avg10 appears twice"},
      {"some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n",
       "p:1: 'some' avg10 '100.01' is above 100 percent"},
      {"some avg10= avg60=0.00 avg300=0.00 total=0\n",
       "p:1: 'some' avg10: value '' is not a decimal number"},
      {"some avg10=0.00 avg60=-1 avg300=0.00 total=0\n",
       "p:1: 'some' avg60: value '-1' is not a decimal number"},
      {"some avg10=0.00 avg60=0.00 avg300=0.00\n", "p:1: 'some' line has no 'total'"},
      {"some\n", "p:1: 'some' line has no 'avg10'"},
      {"some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999\n",
       "p:1: 'some' total: value '99999999999999999999' overflows 64 bits"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Result<Pressure> p = ParsePressure(c.text, "p");
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == Status::Code::kParseError);
    CHECK(p.status().message() == c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// ProcReader

TEST_CASE("ProcReader reads a fixture proc root", "[procfs][reader]") {
  const ProcReader reader(Fixture("host"));
  CHECK(reader.root() == Fixture("host"));

  Result<MemInfo> mem = reader.ReadMemInfo();
  REQUIRE(mem.ok());
  CHECK(mem->total_bytes == 24684092 * kKiB);
  CHECK(mem->available_bytes == 24341372 * kKiB);

  Result<LoadAvg> load = reader.ReadLoadAvg();
  REQUIRE(load.ok());
  CHECK(load->total == 84);

  Result<CpuTimes> cpu = reader.ReadCpuTimes();
  REQUIRE(cpu.ok());
  CHECK(cpu->Total() == 102869);

  Result<std::optional<Pressure>> psi = reader.ReadMemoryPressure();
  REQUIRE(psi.ok());
  REQUIRE(psi->has_value());
  CHECK((*psi)->has_full);
}

TEST_CASE("ProcReader on an old kernel: estimated MemAvailable, no PSI", "[procfs][reader]") {
  const ProcReader reader(Fixture("old_kernel") + "/");  // a trailing slash is fine
  Result<MemInfo> mem = reader.ReadMemInfo();
  REQUIRE(mem.ok());
  CHECK(mem->available_estimated);
  CHECK(mem->available_bytes == 1576296 * kKiB);

  Result<CpuTimes> cpu = reader.ReadCpuTimes();
  REQUIRE(cpu.ok());
  CHECK(cpu->Idle() == 97634);

  Result<LoadAvg> load = reader.ReadLoadAvg();
  REQUIRE(load.ok());
  CHECK(load->avg1 == 0.2);

  Result<std::optional<Pressure>> psi = reader.ReadMemoryPressure();
  REQUIRE(psi.ok());
  CHECK_FALSE(psi->has_value());
}

TEST_CASE("ProcReader PSI without full line", "[procfs][reader]") {
  Result<std::optional<Pressure>> psi = ProcReader(Fixture("psi_some_only")).ReadMemoryPressure();
  REQUIRE(psi.ok());
  REQUIRE(psi->has_value());
  CHECK_FALSE((*psi)->has_full);
  CHECK((*psi)->some_total_us == 1234567);
}

TEST_CASE("ProcReader errors name the full path and line", "[procfs][reader]") {
  const std::string root = Fixture("broken");
  const ProcReader reader(root + "/");

  Result<MemInfo> mem = reader.ReadMemInfo();
  REQUIRE_FALSE(mem.ok());
  CHECK(mem.status().message() ==
        root + "/meminfo:3: field 'MemAvailable': value 'lots' is not a decimal number");

  Result<LoadAvg> load = reader.ReadLoadAvg();
  REQUIRE_FALSE(load.ok());
  CHECK(load.status().message() == root + "/loadavg:1: expected 5 fields, got 4");

  Result<CpuTimes> cpu = reader.ReadCpuTimes();
  REQUIRE_FALSE(cpu.ok());
  CHECK(cpu.status().message() == root + "/stat:1: 'cpu' line has 3 columns, need at least 4");

  Result<std::optional<Pressure>> psi = reader.ReadMemoryPressure();
  REQUIRE_FALSE(psi.ok());
  CHECK(psi.status().code() == Status::Code::kParseError);
  CHECK(psi.status().message() == root + "/pressure/memory:2: 'full' line has no 'avg300'");
}

TEST_CASE("ProcReader on a missing root reports NotFound", "[procfs][reader]") {
  const std::string root = Fixture("no_such_root");
  const ProcReader reader(root);
  Result<MemInfo> mem = reader.ReadMemInfo();
  REQUIRE_FALSE(mem.ok());
  CHECK(mem.status().code() == Status::Code::kNotFound);
  CHECK_THAT(mem.status().message(), StartsWith(root + "/meminfo: cannot open: "));
  CHECK(reader.ReadLoadAvg().status().code() == Status::Code::kNotFound);
  CHECK(reader.ReadCpuTimes().status().code() == Status::Code::kNotFound);
  // No pressure file means no PSI, not an error.
  Result<std::optional<Pressure>> psi = reader.ReadMemoryPressure();
  REQUIRE(psi.ok());
  CHECK_FALSE(psi->has_value());
}

TEST_CASE("ProcReader on this machine's /proc", "[procfs][reader]") {
  const ProcReader reader("/proc");
  Result<MemInfo> mem = reader.ReadMemInfo();
  INFO(mem.status().ToString());
  REQUIRE(mem.ok());
  CHECK(mem->total_bytes > 0);
  CHECK(mem->free_bytes <= mem->total_bytes);
  CHECK(mem->available_bytes <= mem->total_bytes);
  Result<LoadAvg> load = reader.ReadLoadAvg();
  INFO(load.status().ToString());
  CHECK(load.ok());
  Result<CpuTimes> cpu = reader.ReadCpuTimes();
  INFO(cpu.status().ToString());
  REQUIRE(cpu.ok());
  CHECK(cpu->Total() > 0);
  Result<std::optional<Pressure>> psi = reader.ReadMemoryPressure();
  INFO(psi.status().ToString());
  CHECK(psi.ok());
}

TEST_CASE("ProcReader::DefaultRoot prefers a host root holding meminfo", "[procfs][reader]") {
  CHECK(ProcReader::DefaultRoot(Fixture("host"), "/proc") == Fixture("host"));
  CHECK(ProcReader::DefaultRoot(Fixture("no_such_root"), "/proc") == "/proc");
  // A directory without meminfo is not a proc root.
  CHECK(ProcReader::DefaultRoot(Fixture("bad"), "/proc") == "/proc");
  CHECK(ProcReader::DefaultRoot(Fixture("psi_some_only"), "/proc") == "/proc");

  const bool host_proc = std::filesystem::exists("/host/proc/meminfo");
  CHECK(ProcReader::DefaultRoot() == (host_proc ? "/host/proc" : "/proc"));
}

}  // namespace
}  // namespace orcastra::procfs
