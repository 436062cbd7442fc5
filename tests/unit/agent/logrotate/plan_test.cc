#include "agent/logrotate/plan.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/agent/logrotate/logrotate_test_util.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using Kind = RotationAction::Kind;
using R = DecisionReason;
using namespace testing;

LogrotateRule WithPeriod(RotatePeriod period) {
  LogrotateRule rule;
  rule.period = period;
  return rule;
}

FileFacts File(std::uint64_t size) { return FileFacts{true, size, At(2024, 1, 1)}; }

TEST_CASE("logrotate: Decide on missing and empty files", "[logrotate]") {
  LogrotateRule rule = WithPeriod(RotatePeriod::kDaily);
  const WallTime now = At(2024, 3, 2, 12);
  const StateEntry old{At(2024, 1, 1)};

  Decision missing = Decide(rule, FileFacts{}, old, now);
  CHECK_FALSE(missing.rotate);
  CHECK(missing.reason == R::kMissing);
  CHECK(missing.IsError());
  CHECK(missing.explanation == "the file does not exist and missingok is not set");

  rule.missing_ok = true;
  Decision missing_ok = Decide(rule, FileFacts{}, old, now);
  CHECK_FALSE(missing_ok.rotate);
  CHECK(missing_ok.reason == R::kMissingOk);
  CHECK_FALSE(missing_ok.IsError());
  CHECK(missing_ok.explanation == "the file does not exist (missingok)");

  // Empty: rotated unless notifempty (ifempty is logrotate's default).
  CHECK(Decide(rule, File(0), old, now).rotate);
  rule.not_if_empty = true;
  Decision empty = Decide(rule, File(0), old, now);
  CHECK_FALSE(empty.rotate);
  CHECK(empty.reason == R::kEmpty);
  CHECK(empty.explanation == "the file is empty (notifempty)");
  CHECK(Decide(rule, File(1), old, now).rotate);

  // Forcing does not rotate a missing or an empty-with-notifempty file.
  DecideOptions force;
  force.force = true;
  CHECK(Decide(rule, FileFacts{}, old, now, force).reason == R::kMissingOk);
  CHECK(Decide(rule, File(0), old, now, force).reason == R::kEmpty);
}

TEST_CASE("logrotate: Decide with force", "[logrotate]") {
  DecideOptions force;
  force.force = true;
  LogrotateRule rule;  // no trigger at all
  Decision forced = Decide(rule, File(5), StateEntry{}, At(2024, 1, 1), force);
  CHECK(forced.rotate);
  CHECK(forced.reason == R::kForced);
  CHECK(forced.explanation == "rotation forced");
  rule.size = 1000;
  CHECK(Decide(rule, File(5), StateEntry{}, At(2024, 1, 1), force).reason == R::kForced);
}

TEST_CASE("logrotate: Decide by size; size alone decides over a period", "[logrotate]") {
  LogrotateRule rule;
  rule.size = 1000;
  const WallTime now = At(2024, 3, 2, 12);
  Decision under = Decide(rule, File(999), StateEntry{}, now);
  CHECK_FALSE(under.rotate);
  CHECK(under.reason == R::kUnderSize);
  CHECK(under.explanation == "999 bytes is under size 1000");
  Decision at = Decide(rule, File(1000), StateEntry{}, now);
  CHECK(at.rotate);
  CHECK(at.reason == R::kSizeReached);
  CHECK(at.explanation == "1000 bytes reached size 1000");
  CHECK(Decide(rule, File(5000), StateEntry{}, now).rotate);

  // With a period that is not due, size still rotates; with one that is due, size still holds.
  rule.period = RotatePeriod::kDaily;
  CHECK(Decide(rule, File(1000), StateEntry{now - 1min}, now).reason == R::kSizeReached);
  CHECK(Decide(rule, File(999), StateEntry{At(2020, 1, 1)}, now).reason == R::kUnderSize);

  // size 0 rotates anything, even an empty file unless notifempty.
  rule.size = 0;
  CHECK(Decide(rule, File(0), StateEntry{}, now).rotate);
}

TEST_CASE("logrotate: Decide without period or size never rotates; maxsize alone is a size",
          "[logrotate]") {
  LogrotateRule rule;
  Decision none = Decide(rule, File(1ULL << 40), StateEntry{At(2000, 1, 1)}, At(2024, 1, 1));
  CHECK_FALSE(none.rotate);
  CHECK(none.reason == R::kNoTrigger);
  rule.min_size = 10;  // minsize needs a period
  CHECK(Decide(rule, File(1ULL << 40), StateEntry{}, At(2024, 1, 1)).reason == R::kNoTrigger);
  rule.max_size = 100;
  Decision max = Decide(rule, File(100), StateEntry{}, At(2024, 1, 1));
  CHECK(max.rotate);
  CHECK(max.explanation == "100 bytes reached maxsize 100");
  CHECK(Decide(rule, File(99), StateEntry{}, At(2024, 1, 1)).explanation ==
        "99 bytes is under maxsize 100");
}

TEST_CASE("logrotate: Decide on a file seen for the first time", "[logrotate]") {
  Decision first = Decide(WithPeriod(RotatePeriod::kDaily), File(10), StateEntry{}, At(2024, 1, 1));
  CHECK_FALSE(first.rotate);
  CHECK(first.reason == R::kFirstSeen);
  CHECK(first.explanation == "first seen (no state entry): the daily period starts now");
}

// Whether `period` is due at `now` after a rotation at `last` (UTC unless `offset`).
bool Due(RotatePeriod period, WallTime last, WallTime now,
         std::chrono::minutes offset = std::chrono::minutes(0)) {
  DecideOptions options;
  options.utc_offset = offset;
  Decision decision = Decide(WithPeriod(period), File(10), StateEntry{last}, now, options);
  CHECK((decision.reason == R::kDue || decision.reason == R::kNotDue));
  return decision.rotate;
}

TEST_CASE("logrotate: hourly compares the hour", "[logrotate]") {
  CHECK(Due(RotatePeriod::kHourly, At(2024, 3, 1, 10, 59, 59), At(2024, 3, 1, 11, 0, 0)));
  CHECK_FALSE(Due(RotatePeriod::kHourly, At(2024, 3, 1, 10, 0), At(2024, 3, 1, 10, 59, 59)));
  CHECK(Due(RotatePeriod::kHourly, At(2024, 3, 1, 10, 30), At(2024, 3, 2, 10, 10)));
  CHECK(Due(RotatePeriod::kHourly, At(2024, 3, 1, 23, 30), At(2024, 3, 2, 0, 10)));
}

TEST_CASE("logrotate: daily compares the calendar date", "[logrotate]") {
  CHECK(Due(RotatePeriod::kDaily, At(2024, 3, 1, 23, 59, 59), At(2024, 3, 2, 0, 0, 0)));
  CHECK_FALSE(Due(RotatePeriod::kDaily, At(2024, 3, 1, 0, 0), At(2024, 3, 1, 23, 59, 59)));
  CHECK(Due(RotatePeriod::kDaily, At(2024, 2, 28, 12), At(2024, 2, 29, 1)));
  CHECK(Due(RotatePeriod::kDaily, At(2023, 12, 31, 12), At(2024, 1, 1, 1)));
  // At UTC+02:00, 21:00Z and 22:30Z are on different local days (23:00 and 00:30).
  CHECK_FALSE(Due(RotatePeriod::kDaily, At(2024, 3, 1, 21), At(2024, 3, 1, 22, 30)));
  CHECK(Due(RotatePeriod::kDaily, At(2024, 3, 1, 21), At(2024, 3, 1, 22, 30), 120min));
  // And at UTC-05:00, 03:00Z and 06:00Z are 22:00 and 01:00 local.
  CHECK(Due(RotatePeriod::kDaily, At(2024, 3, 1, 3), At(2024, 3, 1, 6), -300min));
  // A clock that went back to an earlier date counts as a new day, as in logrotate.
  CHECK(Due(RotatePeriod::kDaily, At(2024, 3, 5), At(2024, 3, 4)));
}

TEST_CASE("logrotate: weekly when the weekday goes back or 7 days passed", "[logrotate]") {
  // 2024-03-02 is a Saturday, 03-03 a Sunday, 03-04 a Monday.
  CHECK(Due(RotatePeriod::kWeekly, At(2024, 3, 2, 23), At(2024, 3, 3, 1)));         // Sat -> Sun
  CHECK(Due(RotatePeriod::kWeekly, At(2024, 3, 4, 10), At(2024, 3, 10, 1)));        // Mon -> Sun
  CHECK_FALSE(Due(RotatePeriod::kWeekly, At(2024, 3, 3), At(2024, 3, 9, 23, 59)));  // Sun -> Sat
  CHECK(Due(RotatePeriod::kWeekly, At(2024, 3, 4, 10), At(2024, 3, 11, 10)));  // exactly 7 days
  CHECK_FALSE(Due(RotatePeriod::kWeekly, At(2024, 3, 4, 10), At(2024, 3, 11, 9, 59)));
  CHECK_FALSE(Due(RotatePeriod::kWeekly, At(2024, 3, 4, 10), At(2024, 3, 8, 10)));  // Mon -> Fri
  CHECK(Due(RotatePeriod::kWeekly, At(2024, 3, 4, 10), At(2024, 4, 4, 10)));
}

TEST_CASE("logrotate: monthly and yearly compare month and year", "[logrotate]") {
  CHECK(Due(RotatePeriod::kMonthly, At(2024, 1, 31, 23), At(2024, 2, 1, 0)));
  CHECK_FALSE(Due(RotatePeriod::kMonthly, At(2024, 2, 1), At(2024, 2, 29, 23)));
  CHECK(Due(RotatePeriod::kMonthly, At(2023, 2, 10), At(2024, 2, 10)));  // same month, next year
  CHECK(Due(RotatePeriod::kYearly, At(2023, 12, 31, 23, 59), At(2024, 1, 1)));
  CHECK_FALSE(Due(RotatePeriod::kYearly, At(2024, 1, 1), At(2024, 12, 31, 23, 59)));
  // Month boundary at an offset: 2024-01-31 23:30Z is February 1st at UTC+01:00.
  CHECK_FALSE(Due(RotatePeriod::kMonthly, At(2024, 1, 15), At(2024, 1, 31, 23, 30)));
  CHECK(Due(RotatePeriod::kMonthly, At(2024, 1, 15), At(2024, 1, 31, 23, 30), 60min));
}

TEST_CASE("logrotate: Decide explanations for periods", "[logrotate]") {
  Decision due = Decide(WithPeriod(RotatePeriod::kDaily), File(10), StateEntry{At(2024, 3, 1, 8)},
                        At(2024, 3, 2, 9));
  CHECK(due.reason == R::kDue);
  CHECK(due.explanation == "daily is due: last rotated 2024-03-01 08:00:00 UTC");
  Decision not_due = Decide(WithPeriod(RotatePeriod::kWeekly), File(10),
                            StateEntry{At(2024, 3, 4, 8)}, At(2024, 3, 5, 9));
  CHECK(not_due.reason == R::kNotDue);
  CHECK(not_due.explanation == "weekly is not due: last rotated 2024-03-04 08:00:00 UTC");
  DecideOptions at_offset;
  at_offset.utc_offset = -330min;
  CHECK(Decide(WithPeriod(RotatePeriod::kDaily), File(10), StateEntry{At(2024, 3, 1, 8)},
               At(2024, 3, 2, 9), at_offset)
            .explanation == "daily is due: last rotated 2024-03-01 02:30:00 UTC-05:30");
}

TEST_CASE("logrotate: minsize holds a due rotation back, maxsize brings it forward",
          "[logrotate]") {
  LogrotateRule rule = WithPeriod(RotatePeriod::kDaily);
  rule.min_size = 1000;
  const StateEntry yesterday{At(2024, 3, 1, 12)};
  const StateEntry today{At(2024, 3, 2, 1)};
  const WallTime now = At(2024, 3, 2, 12);
  Decision small = Decide(rule, File(999), yesterday, now);
  CHECK_FALSE(small.rotate);
  CHECK(small.reason == R::kUnderSize);
  CHECK(small.explanation == "daily is due but 999 bytes is under minsize 1000");
  CHECK(Decide(rule, File(1000), yesterday, now).reason == R::kDue);
  CHECK(Decide(rule, File(5000), today, now).reason == R::kNotDue);

  rule.min_size.reset();
  rule.max_size = 5000;
  Decision big = Decide(rule, File(5000), today, now);
  CHECK(big.rotate);
  CHECK(big.reason == R::kSizeReached);
  CHECK(big.explanation == "5000 bytes reached maxsize 5000 before daily is due");
  CHECK(Decide(rule, File(4999), today, now).reason == R::kNotDue);
  CHECK(Decide(rule, File(5000), StateEntry{}, now).reason == R::kSizeReached);
  CHECK(Decide(rule, File(4999), StateEntry{}, now).reason == R::kFirstSeen);
  CHECK(Decide(rule, File(1), yesterday, now).reason == R::kDue);
}

// ---------------------------------------------------------------------------------------------
// PlanRotation

TEST_CASE("logrotate: plan shifts numbered copies and deletes the oldest", "[logrotate]") {
  LogrotateRule rule;
  rule.rotate = 3;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1", "/l/a.log.2", "/l/a.log.3"})) ==
        std::vector<std::string>{"delete /l/a.log.3", "rename /l/a.log.2 -> /l/a.log.3",
                                 "rename /l/a.log.1 -> /l/a.log.2",
                                 "rename /l/a.log -> /l/a.log.1"});
  // First rotation: nothing to shift.
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {})) ==
        std::vector<std::string>{"rename /l/a.log -> /l/a.log.1"});
  // Gaps are kept as they are; input order does not matter.
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1", "/l/a.log.3"})) ==
        std::vector<std::string>{"delete /l/a.log.3", "rename /l/a.log.1 -> /l/a.log.2",
                                 "rename /l/a.log -> /l/a.log.1"});
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.2", "/l/a.log.1"})) ==
        std::vector<std::string>{"rename /l/a.log.2 -> /l/a.log.3",
                                 "rename /l/a.log.1 -> /l/a.log.2",
                                 "rename /l/a.log -> /l/a.log.1"});
  // Copies beyond the count (left by an earlier, larger rotate) go too.
  rule.rotate = 2;
  CHECK(Texts(PlanRotation(rule, "/l/a.log",
                           {"/l/a.log.1", "/l/a.log.2", "/l/a.log.5", "/l/a.log.7.gz"})) ==
        std::vector<std::string>{"delete /l/a.log.7.gz", "delete /l/a.log.5", "delete /l/a.log.2",
                                 "rename /l/a.log.1 -> /l/a.log.2",
                                 "rename /l/a.log -> /l/a.log.1"});
  rule.rotate = 1;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1"})) ==
        std::vector<std::string>{"delete /l/a.log.1", "rename /l/a.log -> /l/a.log.1"});
}

TEST_CASE("logrotate: plan ignores files that are not numbered copies", "[logrotate]") {
  LogrotateRule rule;
  rule.rotate = 5;
  CHECK(Texts(PlanRotation(rule, "/l/a.log",
                           {"/l/a.log.bak", "/l/a.log.01", "/l/a.log.0", "/l/a.log.1.gz.tmp",
                            "/l/b.log.1", "/l/a.log.", "/l/a.log.x", "/l/a.logs.1", "/l/a.log",
                            "/l/a.log.gz", "/l/a.log.-1", "a.log.1", "/l/a.log.1234567890"})) ==
        std::vector<std::string>{"rename /l/a.log -> /l/a.log.1"});
}

TEST_CASE("logrotate: plan with compress and delaycompress", "[logrotate]") {
  LogrotateRule rule;
  rule.rotate = 3;
  rule.compress = true;
  CHECK(
      Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1.gz", "/l/a.log.2.gz", "/l/a.log.3.gz"})) ==
      std::vector<std::string>{"delete /l/a.log.3.gz", "rename /l/a.log.2.gz -> /l/a.log.3.gz",
                               "rename /l/a.log.1.gz -> /l/a.log.2.gz",
                               "rename /l/a.log -> /l/a.log.1",
                               "compress /l/a.log.1 -> /l/a.log.1.gz"});
  // A copy left uncompressed (compress turned on later) moves on as it is.
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1"})) ==
        std::vector<std::string>{"rename /l/a.log.1 -> /l/a.log.2", "rename /l/a.log -> /l/a.log.1",
                                 "compress /l/a.log.1 -> /l/a.log.1.gz"});

  rule.delay_compress = true;
  rule.rotate = 5;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1", "/l/a.log.2.gz"})) ==
        std::vector<std::string>{"rename /l/a.log.2.gz -> /l/a.log.3.gz",
                                 "rename /l/a.log.1 -> /l/a.log.2", "rename /l/a.log -> /l/a.log.1",
                                 "compress /l/a.log.2 -> /l/a.log.2.gz"});
  // The first rotation has no path.1 yet: nothing to compress.
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {})) ==
        std::vector<std::string>{"rename /l/a.log -> /l/a.log.1"});
  // path.1 already compressed (delaycompress turned on later): nothing to compress.
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1.gz"})) ==
        std::vector<std::string>{"rename /l/a.log.1.gz -> /l/a.log.2.gz",
                                 "rename /l/a.log -> /l/a.log.1"});
  // Both path.1 and path.1.gz: compressing path.2 would overwrite path.2.gz, so it is left.
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1", "/l/a.log.1.gz"})) ==
        std::vector<std::string>{"rename /l/a.log.1 -> /l/a.log.2",
                                 "rename /l/a.log.1.gz -> /l/a.log.2.gz",
                                 "rename /l/a.log -> /l/a.log.1"});
  // With rotate 1 the old path.1 is deleted, so there is nothing to compress either.
  rule.rotate = 1;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1"})) ==
        std::vector<std::string>{"delete /l/a.log.1", "rename /l/a.log -> /l/a.log.1"});
}

TEST_CASE("logrotate: plan with rotate 0 and rotate -1", "[logrotate]") {
  LogrotateRule rule;
  rule.rotate = 0;
  rule.compress = true;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {"/l/a.log.1", "/l/a.log.2.gz"})) ==
        std::vector<std::string>{"delete /l/a.log.2.gz", "delete /l/a.log.1", "delete /l/a.log"});
  rule.copy_truncate = true;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {})) == std::vector<std::string>{"truncate /l/a.log"});
  rule.copy_truncate = false;
  rule.create = CreateSpec{0640, "", ""};
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {})) ==
        std::vector<std::string>{"delete /l/a.log", "create /l/a.log mode 0640"});

  LogrotateRule keep_all;
  keep_all.rotate = -1;
  CHECK(Texts(PlanRotation(keep_all, "/l/a.log", {"/l/a.log.1", "/l/a.log.2", "/l/a.log.99"})) ==
        std::vector<std::string>{
            "rename /l/a.log.99 -> /l/a.log.100", "rename /l/a.log.2 -> /l/a.log.3",
            "rename /l/a.log.1 -> /l/a.log.2", "rename /l/a.log -> /l/a.log.1"});
}

TEST_CASE("logrotate: plan with copytruncate, create and post-rotate actions", "[logrotate]") {
  LogrotateRule rule;
  rule.rotate = 2;
  rule.copy_truncate = true;
  rule.create = CreateSpec{0600, "root", "adm"};  // no effect with copytruncate
  rule.compress = true;
  rule.post_rotate = {Signal("app", "SIGHUP", "x:1")};
  std::vector<RotationAction> plan = PlanRotation(rule, "/l/a.log", {"/l/a.log.1.gz"});
  CHECK(Texts(plan) == std::vector<std::string>{"rename /l/a.log.1.gz -> /l/a.log.2.gz",
                                                "copy /l/a.log -> /l/a.log.1", "truncate /l/a.log",
                                                "signal container app with SIGHUP",
                                                "compress /l/a.log.1 -> /l/a.log.1.gz"});
  REQUIRE(plan.size() == 5);
  CHECK(plan[1].kind == Kind::kCopy);
  CHECK(plan[1].path == "/l/a.log");
  CHECK(plan[1].target == "/l/a.log.1");
  CHECK(plan[3].kind == Kind::kSignal);
  CHECK(plan[3].container == "app");
  CHECK(plan[3].signal == "SIGHUP");
  CHECK(plan[4].kind == Kind::kCompress);
  CHECK(plan[4].path == "/l/a.log.1");
  CHECK(plan[4].target == "/l/a.log.1.gz");

  rule.copy_truncate = false;
  rule.post_rotate = {Signal("nginx", "SIGUSR1", "x:1"), Restart("php", "x:2")};
  plan = PlanRotation(rule, "/l/a.log", {});
  CHECK(Texts(plan) == std::vector<std::string>{"rename /l/a.log -> /l/a.log.1",
                                                "create /l/a.log mode 0600 owner root group adm",
                                                "signal container nginx with SIGUSR1",
                                                "restart container php",
                                                "compress /l/a.log.1 -> /l/a.log.1.gz"});
  REQUIRE(plan.size() == 5);
  CHECK(plan[1].kind == Kind::kCreate);
  CHECK(plan[1].create == CreateSpec{0600, "root", "adm"});
  CHECK(plan[3].kind == Kind::kRestart);
  CHECK(plan[3].container == "php");

  rule.create = CreateSpec{};
  rule.post_rotate.clear();
  rule.compress = false;
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {})) ==
        std::vector<std::string>{"rename /l/a.log -> /l/a.log.1", "create /l/a.log"});
  rule.create = CreateSpec{std::nullopt, "www-data", ""};
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {}))[1] == "create /l/a.log owner www-data");
  rule.create = CreateSpec{02755, "", "adm"};
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {}))[1] == "create /l/a.log mode 2755 group adm");
  rule.create = CreateSpec{0, "", ""};
  CHECK(Texts(PlanRotation(rule, "/l/a.log", {}))[1] == "create /l/a.log mode 0000");
}

TEST_CASE("logrotate: plan for a whole rule, with and without sharedscripts", "[logrotate]") {
  LogrotateRule rule;
  rule.rotate = 2;
  rule.compress = true;
  rule.post_rotate = {Signal("web", "SIGHUP", "x:1")};
  std::vector<DueFile> files = {{"/l/a.log", {}}, {"/l/b.log", {"/l/b.log.1.gz"}}};

  CHECK(Texts(PlanRuleRotation(rule, files)) ==
        std::vector<std::string>{
            "rename /l/a.log -> /l/a.log.1", "signal container web with SIGHUP",
            "compress /l/a.log.1 -> /l/a.log.1.gz", "rename /l/b.log.1.gz -> /l/b.log.2.gz",
            "rename /l/b.log -> /l/b.log.1", "signal container web with SIGHUP",
            "compress /l/b.log.1 -> /l/b.log.1.gz"});

  rule.shared_scripts = true;
  CHECK(Texts(PlanRuleRotation(rule, files)) ==
        std::vector<std::string>{
            "rename /l/a.log -> /l/a.log.1", "rename /l/b.log.1.gz -> /l/b.log.2.gz",
            "rename /l/b.log -> /l/b.log.1", "signal container web with SIGHUP",
            "compress /l/a.log.1 -> /l/a.log.1.gz", "compress /l/b.log.1 -> /l/b.log.1.gz"});
  CHECK(PlanRuleRotation(rule, {}).empty());
  rule.shared_scripts = false;
  CHECK(PlanRuleRotation(rule, {}).empty());
  // One file without sharedscripts is exactly PlanRotation.
  CHECK(PlanRuleRotation(rule, {files[1]}) == PlanRotation(rule, "/l/b.log", {"/l/b.log.1.gz"}));
}

TEST_CASE("logrotate: a parsed rule end to end: decide, then plan", "[logrotate]") {
  LogrotateConfig config = MustParse(Fixture("app.conf"), "logrotate.d/app.conf");
  const LogrotateRule& nginx = config.rules[0];
  Decision decision =
      Decide(nginx, File(4096), StateEntry{At(2024, 3, 1, 6, 25)}, At(2024, 3, 2, 6, 25));
  REQUIRE(decision.rotate);
  CHECK(Texts(PlanRuleRotation(nginx,
                               {{"/var/log/nginx/access.log",
                                 {"/var/log/nginx/access.log.1", "/var/log/nginx/access.log.2.gz",
                                  "/var/log/nginx/access.log.7.gz"}},
                                {"/var/log/nginx/error.log", {}}})) ==
        std::vector<std::string>{
            "delete /var/log/nginx/access.log.7.gz",
            "rename /var/log/nginx/access.log.2.gz -> /var/log/nginx/access.log.3.gz",
            "rename /var/log/nginx/access.log.1 -> /var/log/nginx/access.log.2",
            "rename /var/log/nginx/access.log -> /var/log/nginx/access.log.1",
            "create /var/log/nginx/access.log mode 0640 owner www-data group adm",
            "rename /var/log/nginx/error.log -> /var/log/nginx/error.log.1",
            "create /var/log/nginx/error.log mode 0640 owner www-data group adm",
            "signal container nginx with SIGUSR1",
            "compress /var/log/nginx/access.log.2 -> /var/log/nginx/access.log.2.gz"});

  const LogrotateRule& app = config.rules[1];
  CHECK(Decide(app, File(100 << 20), StateEntry{}, At(2024, 3, 2)).reason == R::kSizeReached);
  CHECK(Texts(PlanRotation(app, "/var/log/app/app.log", {"/var/log/app/app.log.4"})) ==
        std::vector<std::string>{
            "delete /var/log/app/app.log.4", "copy /var/log/app/app.log -> /var/log/app/app.log.1",
            "truncate /var/log/app/app.log", "signal container app with SIGHUP"});
}

// ---------------------------------------------------------------------------------------------
// State file

}  // namespace
}  // namespace orcastra::agent
