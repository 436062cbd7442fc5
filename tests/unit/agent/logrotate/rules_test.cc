#include "agent/logrotate/rules.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/logrotate/plan.h"
#include "tests/unit/agent/logrotate/logrotate_test_util.h"

namespace orcastra::agent {
namespace {

using R = DecisionReason;
using namespace testing;

// ---------------------------------------------------------------------------------------------
// Parsing: files users have

TEST_CASE("logrotate: the reference default.conf parses and never rotates", "[logrotate]") {
  LogrotateConfig config = MustParse(Fixture("default.conf"), "logrotate.d/default.conf");
  REQUIRE(config.rules.size() == 1);
  CHECK(config.warnings.empty());
  const LogrotateRule& rule = config.rules[0];
  CHECK(rule.patterns == std::vector<std::string>{"/mnt/logs/var/**/*.log"});
  CHECK(rule.source == "logrotate.d/default.conf:2");
  CHECK(rule.missing_ok);
  CHECK(rule.not_if_empty);
  CHECK(rule.period == RotatePeriod::kNone);
  CHECK_FALSE(rule.size);
  CHECK(rule.rotate == 0);
  CHECK_FALSE(rule.compress);
  CHECK_FALSE(rule.create);
  CHECK(rule.post_rotate.empty());

  Decision decision = Decide(rule, FileFacts{true, 1 << 30, At(2024, 1, 1)},
                             StateEntry{At(2020, 1, 1)}, At(2024, 3, 1));
  CHECK_FALSE(decision.rotate);
  CHECK(decision.reason == R::kNoTrigger);
  CHECK(decision.explanation == "the rule sets neither a period nor a size, so it never rotates");
}

TEST_CASE("logrotate: a realistic file with defaults, two blocks and postrotate", "[logrotate]") {
  LogrotateConfig config = MustParse(Fixture("app.conf"), "logrotate.d/app.conf");
  REQUIRE(config.rules.size() == 2);
  CHECK(config.warnings.empty());

  const LogrotateRule& nginx = config.rules[0];
  CHECK(nginx.patterns ==
        std::vector<std::string>{"/var/log/nginx/*.log", "/var/log/my app/access.log"});
  CHECK(nginx.source == "logrotate.d/app.conf:6");
  CHECK(nginx.period == RotatePeriod::kDaily);
  CHECK(nginx.rotate == 7);
  CHECK(nginx.compress);  // from the defaults
  CHECK(nginx.delay_compress);
  CHECK(nginx.missing_ok);
  CHECK(nginx.not_if_empty);
  CHECK_FALSE(nginx.copy_truncate);
  REQUIRE(nginx.create);
  CHECK(nginx.create == CreateSpec{0640, "www-data", "adm"});
  CHECK(nginx.shared_scripts);
  CHECK(nginx.post_rotate ==
        std::vector<PostRotateAction>{Signal("nginx", "SIGUSR1", "logrotate.d/app.conf:16")});

  const LogrotateRule& app = config.rules[1];
  CHECK(app.patterns == std::vector<std::string>{"/var/log/app/app.log"});
  CHECK(app.source == "logrotate.d/app.conf:20");
  CHECK(app.period == RotatePeriod::kWeekly);  // from the defaults; size decides anyway
  CHECK(app.size == std::uint64_t{100} << 20);
  CHECK(app.rotate == 4);
  CHECK_FALSE(app.compress);
  CHECK(app.copy_truncate);
  CHECK_FALSE(app.missing_ok);
  CHECK_FALSE(app.create);
  CHECK_FALSE(app.shared_scripts);
  CHECK(app.post_rotate ==
        std::vector<PostRotateAction>{Signal("app", "SIGHUP", "logrotate.d/app.conf:25")});
}

TEST_CASE("logrotate: errors in files users have name the file and line", "[logrotate]") {
  Result<LogrotateConfig> typo = ParseLogrotate(Fixture("typo.conf"), "logrotate.d/typo.conf");
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().message() ==
        "logrotate.d/typo.conf:4: unknown directive 'compres' (did you mean 'compress'?)");

  Result<LogrotateConfig> shell =
      ParseLogrotate(Fixture("nginx-shell.conf"), "logrotate.d/nginx.conf");
  REQUIRE_FALSE(shell.ok());
  CHECK(shell.status().message() ==
        "logrotate.d/nginx.conf:5: postrotate: Orcastra runs no shell; postrotate understands "
        "only 'docker kill -s SIGNAL CONTAINER...' and 'docker restart CONTAINER...' (or use the "
        "directive 'signal CONTAINER [SIGNAL]'), got 'if [ -f /var/run/nginx.pid ]; then'");
}

// ---------------------------------------------------------------------------------------------
// Parsing: directives one by one

TEST_CASE("logrotate: defaults of a bare block", "[logrotate]") {
  LogrotateRule rule = Rule("");
  CHECK(rule.period == RotatePeriod::kNone);
  CHECK_FALSE(rule.size);
  CHECK_FALSE(rule.min_size);
  CHECK_FALSE(rule.max_size);
  CHECK(rule.rotate == 0);
  CHECK_FALSE(rule.compress);
  CHECK_FALSE(rule.delay_compress);
  CHECK_FALSE(rule.missing_ok);
  CHECK_FALSE(rule.not_if_empty);
  CHECK_FALSE(rule.copy_truncate);
  CHECK_FALSE(rule.create);
  CHECK_FALSE(rule.shared_scripts);
  CHECK(rule.post_rotate.empty());
  CHECK(rule.source == "test.conf:1");
}

TEST_CASE("logrotate: periods, the last one wins", "[logrotate]") {
  CHECK(Rule("hourly").period == RotatePeriod::kHourly);
  CHECK(Rule("daily").period == RotatePeriod::kDaily);
  CHECK(Rule("weekly").period == RotatePeriod::kWeekly);
  CHECK(Rule("monthly").period == RotatePeriod::kMonthly);
  CHECK(Rule("yearly").period == RotatePeriod::kYearly);
  CHECK(Rule("daily\nweekly").period == RotatePeriod::kWeekly);
  CHECK(PeriodName(RotatePeriod::kNone) == "none");
  CHECK(PeriodName(RotatePeriod::kHourly) == "hourly");
  CHECK(PeriodName(RotatePeriod::kDaily) == "daily");
  CHECK(PeriodName(RotatePeriod::kWeekly) == "weekly");
  CHECK(PeriodName(RotatePeriod::kMonthly) == "monthly");
  CHECK(PeriodName(RotatePeriod::kYearly) == "yearly");
}

TEST_CASE("logrotate: size, minsize and maxsize with suffixes and '='", "[logrotate]") {
  CHECK(Rule("size 100").size == 100U);
  CHECK(Rule("size 0").size == 0U);
  CHECK(Rule("size 100k").size == 100U * 1024);
  CHECK(Rule("size 100K").size == 100U * 1024);
  CHECK(Rule("size 10M").size == 10U * 1024 * 1024);
  CHECK(Rule("size 10m").size == 10U * 1024 * 1024);
  CHECK(Rule("size 2G").size == std::uint64_t{2} << 30);
  CHECK(Rule("size 2g").size == std::uint64_t{2} << 30);
  CHECK(Rule("size=5k").size == 5U * 1024);
  CHECK(Rule("size = 5k").size == 5U * 1024);
  CHECK(Rule("size =5k").size == 5U * 1024);
  CHECK(Rule("size= 5k").size == 5U * 1024);
  CHECK(Rule("size 18446744073709551615").size == 18446744073709551615ULL);
  CHECK(Rule("minsize 1M").min_size == 1U << 20);
  CHECK(Rule("maxsize=1G").max_size == std::uint64_t{1} << 30);
  CHECK(Rule("size 1k\nsize 2k").size == 2048U);
}

TEST_CASE("logrotate: rotate counts", "[logrotate]") {
  CHECK(Rule("rotate 0").rotate == 0);
  CHECK(Rule("rotate 5").rotate == 5);
  CHECK(Rule("rotate 365").rotate == 365);
  CHECK(Rule("rotate -1").rotate == -1);
  CHECK(Rule("rotate=3").rotate == 3);
  CHECK(Rule("rotate 999999999").rotate == kMaxRotateCount);
  CHECK(Rule("rotate 007").rotate == 7);
}

TEST_CASE("logrotate: flags and their negations, the last one wins", "[logrotate]") {
  CHECK(Rule("compress").compress);
  CHECK_FALSE(Rule("compress\nnocompress").compress);
  CHECK(Rule("delaycompress").delay_compress);
  CHECK_FALSE(Rule("delaycompress\nnodelaycompress").delay_compress);
  CHECK(Rule("missingok").missing_ok);
  CHECK_FALSE(Rule("missingok\nnomissingok").missing_ok);
  CHECK(Rule("notifempty").not_if_empty);
  CHECK_FALSE(Rule("notifempty\nifempty").not_if_empty);
  CHECK(Rule("copytruncate").copy_truncate);
  CHECK_FALSE(Rule("copytruncate\nnocopytruncate").copy_truncate);
  CHECK(Rule("sharedscripts").shared_scripts);
  CHECK_FALSE(Rule("sharedscripts\nnosharedscripts").shared_scripts);
  CHECK(Rule("nocompress\ncompress").compress);
  // nodateext is logrotate's default and changes nothing.
  CHECK_FALSE(Rule("nodateext").compress);
}

TEST_CASE("logrotate: create with optional mode, owner and group", "[logrotate]") {
  CHECK(Rule("create").create == CreateSpec{});
  CHECK(Rule("create 0640").create == CreateSpec{0640, "", ""});
  CHECK(Rule("create 640").create == CreateSpec{0640, "", ""});
  CHECK(Rule("create 0600 root").create == CreateSpec{0600, "root", ""});
  CHECK(Rule("create 0644 www-data adm").create == CreateSpec{0644, "www-data", "adm"});
  CHECK(Rule("create 2775 syslog adm").create == CreateSpec{02775, "syslog", "adm"});
  CHECK(Rule("create root adm").create == CreateSpec{std::nullopt, "root", "adm"});
  CHECK(Rule("create 0640 1000 1000").create == CreateSpec{0640, "1000", "1000"});
  CHECK_FALSE(Rule("create 0640\nnocreate").create);
  CHECK(Rule("nocreate\ncreate").create == CreateSpec{});
}

TEST_CASE("logrotate: Orcastra's signal directive", "[logrotate]") {
  CHECK(Rule("signal nginx").post_rotate ==
        std::vector<PostRotateAction>{Signal("nginx", "SIGHUP", "test.conf:2")});
  CHECK(Rule("signal nginx USR1").post_rotate ==
        std::vector<PostRotateAction>{Signal("nginx", "SIGUSR1", "test.conf:2")});
  CHECK(Rule("signal nginx sigterm").post_rotate ==
        std::vector<PostRotateAction>{Signal("nginx", "SIGTERM", "test.conf:2")});
  CHECK(Rule("signal web_1.abc-def SIGWINCH").post_rotate ==
        std::vector<PostRotateAction>{Signal("web_1.abc-def", "SIGWINCH", "test.conf:2")});
  CHECK(Rule("signal nginx 10").post_rotate ==
        std::vector<PostRotateAction>{Signal("nginx", "10", "test.conf:2")});
  CHECK(Rule("signal a\nsignal b USR2").post_rotate ==
        std::vector<PostRotateAction>{Signal("a", "SIGHUP", "test.conf:2"),
                                      Signal("b", "SIGUSR2", "test.conf:3")});
}

TEST_CASE("logrotate: postrotate forms that become structured actions", "[logrotate]") {
  struct Case {
    const char* line;
    std::vector<PostRotateAction> actions;
  };
  const std::string at = "test.conf:3";
  std::vector<Case> cases = {
      {"docker kill -s HUP web", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s SIGHUP web", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s usr1 web", {Signal("web", "SIGUSR1", at)}},
      {"docker kill --signal=USR1 web", {Signal("web", "SIGUSR1", at)}},
      {"docker kill --signal USR2 web", {Signal("web", "SIGUSR2", at)}},
      {"docker kill -sHUP web", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s 1 web", {Signal("web", "1", at)}},
      {"docker kill web -s HUP", {Signal("web", "SIGHUP", at)}},
      {"/usr/bin/docker kill -s HUP web", {Signal("web", "SIGHUP", at)}},
      {"docker container kill -s HUP web", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web api", {Signal("web", "SIGHUP", at), Signal("api", "SIGHUP", at)}},
      {"docker kill -s HUP web >/dev/null", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web > /dev/null 2>&1", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web 2>/dev/null", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web &>/dev/null", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web || true", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web || :", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web >/dev/null 2>&1 || true", {Signal("web", "SIGHUP", at)}},
      {"docker kill -s HUP web # reopen logs", {Signal("web", "SIGHUP", at)}},
      {"docker restart web", {Restart("web", at)}},
      {"docker container restart web db", {Restart("web", at), Restart("db", at)}},
      {"docker restart web || true", {Restart("web", at)}},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    LogrotateRule rule = Rule(std::string("postrotate\n") + c.line + "\nendscript");
    CHECK(rule.post_rotate == c.actions);
  }
  // Comments and blank lines inside; several lines; signal directive after.
  LogrotateRule rule = Rule(
      "postrotate\n"
      "\n"
      "    # reopen\n"
      "    docker kill -s USR1 nginx\n"
      "    docker restart php\n"
      "endscript\n"
      "signal app");
  CHECK(rule.post_rotate == std::vector<PostRotateAction>{Signal("nginx", "SIGUSR1", "test.conf:5"),
                                                          Restart("php", "test.conf:6"),
                                                          Signal("app", "SIGHUP", "test.conf:8")});
  CHECK(Rule("postrotate\nendscript").post_rotate.empty());
  CHECK(Rule("postrotate\n  docker restart web\n  endscript   # done").post_rotate ==
        std::vector<PostRotateAction>{Restart("web", "test.conf:3")});
}

// ---------------------------------------------------------------------------------------------
// Parsing: structure

TEST_CASE("logrotate: global directives are defaults for the blocks after them", "[logrotate]") {
  LogrotateConfig config = MustParse(
      "rotate 3\n"
      "compress\n"
      "/a.log {\n"
      "  rotate 9\n"
      "  nocompress\n"
      "}\n"
      "/b.log {\n"
      "}\n"
      "daily\n"
      "/c.log {\n"
      "}\n");
  REQUIRE(config.rules.size() == 3);
  CHECK(config.rules[0].rotate == 9);
  CHECK_FALSE(config.rules[0].compress);
  // The first block's settings do not leak into the next.
  CHECK(config.rules[1].rotate == 3);
  CHECK(config.rules[1].compress);
  CHECK(config.rules[1].period == RotatePeriod::kNone);
  // A default given after a block applies to the later blocks only.
  CHECK(config.rules[2].period == RotatePeriod::kDaily);
  CHECK(config.rules[2].rotate == 3);
}

TEST_CASE("logrotate: path lists, quoting and where the brace goes", "[logrotate]") {
  LogrotateConfig config = MustParse(
      "/a.log /b.log\t\"/c d.log\" '/e f.log' {\n"
      "}\n"
      "/g.log\n"
      "\n"
      "# the brace may come on its own line\n"
      "{\n"
      "}\n"
      "/h.log{\n"
      "}\n"
      "\"/i.log\"{\n"
      "}\n"
      "/j.log\n"
      "/k.log {\n"
      "}\n");
  REQUIRE(config.rules.size() == 5);
  CHECK(config.rules[0].patterns ==
        std::vector<std::string>{"/a.log", "/b.log", "/c d.log", "/e f.log"});
  CHECK(config.rules[1].patterns == std::vector<std::string>{"/g.log"});
  CHECK(config.rules[1].source == "test.conf:3");
  CHECK(config.rules[2].patterns == std::vector<std::string>{"/h.log"});
  CHECK(config.rules[3].patterns == std::vector<std::string>{"/i.log"});
  CHECK(config.rules[4].patterns == std::vector<std::string>{"/j.log", "/k.log"});
}

TEST_CASE("logrotate: comments, blank lines, indentation and CRLF", "[logrotate]") {
  LogrotateConfig config = MustParse(
      "# a comment\r\n"
      "\r\n"
      "   # an indented comment\r\n"
      "/a.log {   # trailing comment after the brace\r\n"
      "\trotate 2   # keep two\r\n"
      "\t  daily\r\n"
      "}  # done\r\n");
  REQUIRE(config.rules.size() == 1);
  CHECK(config.rules[0].rotate == 2);
  CHECK(config.rules[0].period == RotatePeriod::kDaily);
  CHECK(MustParse("").rules.empty());
  CHECK(MustParse("# nothing\n\n").rules.empty());
  CHECK(MustParse("daily\ncompress\n").rules.empty());  // defaults alone are fine
  CHECK(MustParse("/a.log {\n}").rules.size() == 1);    // no final newline
}

TEST_CASE("logrotate: several files, in order, each with its own defaults", "[logrotate]") {
  Result<LogrotateConfig> config =
      ParseLogrotateFiles({{"logrotate.d/a.conf", "compress\n/a.log {\n}\n"},
                           {"logrotate.d/b.conf", "/b.log {\n  daily\n}\n"},
                           {"logrotate.d/default.conf", Fixture("default.conf")}});
  REQUIRE(config.ok());
  REQUIRE(config->rules.size() == 3);
  CHECK(config->rules[0].source == "logrotate.d/a.conf:2");
  CHECK(config->rules[0].compress);
  CHECK(config->rules[1].source == "logrotate.d/b.conf:1");
  CHECK_FALSE(config->rules[1].compress);  // a.conf's defaults stay in a.conf
  CHECK(config->rules[2].source == "logrotate.d/default.conf:2");
  CHECK(ParseLogrotateFiles({})->rules.empty());

  Result<LogrotateConfig> bad =
      ParseLogrotateFiles({{"logrotate.d/a.conf", "/a.log {\n}\n"},
                           {"logrotate.d/b.conf", "/b.log {\n  rotate x\n}\n"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "logrotate.d/b.conf:2: rotate: 'x' is not a number");

  Result<LogrotateConfig> duplicate = ParseLogrotateFiles(
      {{"logrotate.d/a.conf", "/x.log {\n}\n"}, {"logrotate.d/b.conf", "\n/y.log /x.log {\n}\n"}});
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.status().message() ==
        "logrotate.d/b.conf:2: duplicate log entry for '/x.log' (first at logrotate.d/a.conf:1)");
}

// ---------------------------------------------------------------------------------------------
// Parsing: errors

TEST_CASE("logrotate: bad values name the file, line and directive", "[logrotate]") {
  CHECK(BodyError("rotate x") == "test.conf:2: rotate: 'x' is not a number");
  CHECK(BodyError("rotate -2") == "test.conf:2: rotate: '-2' is not a number");
  CHECK(BodyError("rotate 1.5") == "test.conf:2: rotate: '1.5' is not a number");
  CHECK(BodyError("rotate") == "test.conf:2: rotate: value missing");
  CHECK(BodyError("rotate 1 2") == "test.conf:2: rotate: unexpected '2'");
  CHECK(BodyError("rotate 1000000000") ==
        "test.conf:2: rotate: 1000000000 is too large (0 to 999999999, or -1 to keep all)");
  CHECK(BodyError("rotate 2147483648") ==
        "test.conf:2: rotate: 2147483648 is too large (0 to 999999999, or -1 to keep all)");
  CHECK(BodyError("rotate 99999999999999999999999") ==
        "test.conf:2: rotate: 99999999999999999999999 is too large (0 to 999999999, or -1 to keep "
        "all)");
  CHECK(BodyError("rotate +3") == "test.conf:2: rotate: '+3' is not a number");
  CHECK(BodyError("size 10X") ==
        "test.conf:2: size: '10X' is not a size (bytes, or a number followed by k, M or G)");
  CHECK(BodyError("size -1") ==
        "test.conf:2: size: '-1' is not a size (bytes, or a number followed by k, M or G)");
  CHECK(BodyError("size k") ==
        "test.conf:2: size: 'k' is not a size (bytes, or a number followed by k, M or G)");
  CHECK(BodyError("size 1.5M") ==
        "test.conf:2: size: '1.5M' is not a size (bytes, or a number followed by k, M or G)");
  CHECK(BodyError("size 20000000000G") ==
        "test.conf:2: size: '20000000000G' is not a size (bytes, or a number followed by k, M or "
        "G)");
  CHECK(BodyError("size 18446744073709551616") ==
        "test.conf:2: size: '18446744073709551616' is not a size (bytes, or a number followed by "
        "k, M or G)");
  CHECK(BodyError("size") == "test.conf:2: size: value missing");
  CHECK(BodyError("size=") == "test.conf:2: size: value missing");
  CHECK(BodyError("minsize 1 2") == "test.conf:2: minsize: unexpected '2'");
  CHECK(BodyError("maxsize lots") ==
        "test.conf:2: maxsize: 'lots' is not a size (bytes, or a number followed by k, M or G)");
  CHECK(BodyError("compress yes") == "test.conf:2: compress: takes no argument, got 'yes'");
  CHECK(BodyError("daily 2") == "test.conf:2: daily: takes no argument, got '2'");
  CHECK(BodyError("nocreate 0640") == "test.conf:2: nocreate: takes no argument, got '0640'");
  CHECK(BodyError("missingok=1") == "test.conf:2: missingok: takes no argument, got '1'");
  CHECK(BodyError("create 0648") ==
        "test.conf:2: create: '0648' is not an octal mode such as 0640 (0 to 07777)");
  CHECK(BodyError("create 12345") ==
        "test.conf:2: create: '12345' is not an octal mode such as 0640 (0 to 07777)");
  CHECK(BodyError("create 17777") ==
        "test.conf:2: create: '17777' is not an octal mode such as 0640 (0 to 07777)");
  CHECK(BodyError("create 00640") ==
        "test.conf:2: create: '00640' is not an octal mode such as 0640 (0 to 07777)");
  CHECK(BodyError("create 0640 root adm extra") ==
        "test.conf:2: create: unexpected 'extra' (create [MODE] [OWNER [GROUP]])");
  CHECK(BodyError("create 0640 ro/ot") == "test.conf:2: create: 'ro/ot' is not a user");
  CHECK(BodyError("create 0640 root a:m") == "test.conf:2: create: 'a:m' is not a group");
}

// Regression (issue 8): a numeric uid or gid that does not fit in 32 bits passed the parser and
// then threw (std::stoul) or wrapped to uid 0, root, when the new log was created.
TEST_CASE("logrotate: create's numeric ids are range-checked at parse time", "[logrotate]") {
  CHECK(Rule("create 0640 0 0").create == CreateSpec{0640, "0", "0"});
  CHECK(Rule("create 0640 4294967294 4294967294").create ==
        CreateSpec{0640, "4294967294", "4294967294"});
  CHECK(Rule("create 0640 _apt nogroup$").create == CreateSpec{0640, "_apt", "nogroup$"});
  CHECK(BodyError("create 0640 4294967296") ==
        "test.conf:2: create: '4294967296' is not a user: a numeric uid is 0 to 4294967294");
  // 2^32-1 is (uid_t)-1: chown(2) would leave the owner unchanged.
  CHECK(BodyError("create 0640 4294967295") ==
        "test.conf:2: create: '4294967295' is not a user: a numeric uid is 0 to 4294967294");
  CHECK(BodyError("create 0640 root 4294967296") ==
        "test.conf:2: create: '4294967296' is not a group: a numeric gid is 0 to 4294967294");
  CHECK(BodyError("create 0640 99999999999999999999999") ==
        "test.conf:2: create: '99999999999999999999999' is not a user: a numeric uid is 0 to "
        "4294967294");
  CHECK(BodyError("create 0640 -1") ==
        "test.conf:2: create: '-1' is not a user: negative ids are not allowed (a numeric uid is 0 "
        "to 4294967294)");
  CHECK(BodyError("create 0640 root -5") ==
        "test.conf:2: create: '-5' is not a group: negative ids are not allowed (a numeric gid is "
        "0 to 4294967294)");
  for (const char* junk : {"1000x", "0x10", "+5", "1e3", "12.5", "-"}) {
    INFO(junk);
    CHECK(BodyError(std::string("create 0640 ") + junk) ==
          std::string("test.conf:2: create: '") + junk +
              "' is not a user: neither a number (a numeric uid is 0 to 4294967294) nor a name "
              "(names start with a letter or '_')");
  }
  CHECK(BodyError("create 0640 \"\"") == "test.conf:2: create: '' is not a user");
  CHECK(BodyError("create 0640 ro$ot") == "test.conf:2: create: 'ro$ot' is not a user");
  CHECK(BodyError("create 0640 " + std::string(257, 'a')) ==
        "test.conf:2: create: '" + std::string(257, 'a') + "' is not a user");
  CHECK(Rule("create 0640 " + std::string(256, 'a')).create->owner == std::string(256, 'a'));
}

TEST_CASE("logrotate: numeric ids", "[logrotate]") {
  CHECK(ParseNumericId("0") == 0U);
  CHECK(ParseNumericId("1000") == 1000U);
  CHECK(ParseNumericId("4294967294") == 4294967294U);
  CHECK_FALSE(ParseNumericId("4294967295"));
  CHECK_FALSE(ParseNumericId("4294967296"));
  CHECK_FALSE(ParseNumericId("18446744073709551616"));
  CHECK_FALSE(ParseNumericId("-1"));
  CHECK_FALSE(ParseNumericId(""));
  CHECK_FALSE(ParseNumericId(" 1"));
}

TEST_CASE("logrotate: other numbers out of range name the file and line", "[logrotate]") {
  // Sizes: the suffix multiplication must not overflow.
  CHECK(Rule("size 17179869183G").size == 17179869183ULL << 30);
  CHECK(BodyError("size 17179869184G") ==
        "test.conf:2: size: '17179869184G' is not a size (bytes, or a number followed by k, M or "
        "G)");
  CHECK(BodyError("minsize 18014398509481984k") ==
        "test.conf:2: minsize: '18014398509481984k' is not a size (bytes, or a number followed by "
        "k, M or G)");
  CHECK(BodyError("maxsize 17592186044416M") ==
        "test.conf:2: maxsize: '17592186044416M' is not a size (bytes, or a number followed by k, "
        "M or G)");
  // Signal numbers are 1..64.
  CHECK(BodyError("signal app 65") == "test.conf:2: signal: '65' is not a signal");
  CHECK(BodyError("signal app 0") == "test.conf:2: signal: '0' is not a signal");
  CHECK(BodyError("signal app 99999999999999999999999") ==
        "test.conf:2: signal: '99999999999999999999999' is not a signal");
  // Directives with numbers that Orcastra does not implement are refused whatever the number.
  CHECK(BodyError("maxage 99999999999999999999") ==
        "test.conf:2: maxage: not supported by Orcastra");
  CHECK(BodyError("minage -1") == "test.conf:2: minage: not supported by Orcastra");
  CHECK(BodyError("start 4294967296") ==
        "test.conf:2: start: not supported by Orcastra (rotated copies are numbered from 1)");
  CHECK(BodyError("shredcycles 99999999999") ==
        "test.conf:2: shredcycles: not supported by Orcastra");
}

TEST_CASE("logrotate: unknown and unsupported directives are errors", "[logrotate]") {
  CHECK(BodyError("compres") ==
        "test.conf:2: unknown directive 'compres' (did you mean 'compress'?)");
  CHECK(BodyError("dialy") == "test.conf:2: unknown directive 'dialy' (did you mean 'daily'?)");
  CHECK(BodyError("missingOK") ==
        "test.conf:2: unknown directive 'missingOK' (did you mean 'missingok'?)");
  CHECK(BodyError("frobnicate") == "test.conf:2: unknown directive 'frobnicate'");
  CHECK(Error("compres\n") ==
        "test.conf:1: unknown directive 'compres' (did you mean 'compress'?)");
  CHECK(BodyError("dateext") ==
        "test.conf:2: dateext: not supported by Orcastra (rotated files are always named path.1, "
        "path.2, ...; dateext names would never expire)");
  CHECK(BodyError("olddir /var/log/old") ==
        "test.conf:2: olddir: not supported by Orcastra (rotated files stay next to the log)");
  CHECK(Error("include /etc/logrotate.d\n") ==
        "test.conf:1: include: not supported by Orcastra (every file of logrotate.d is read "
        "already)");
  CHECK(BodyError("maxage 30") == "test.conf:2: maxage: not supported by Orcastra");
  CHECK(BodyError("su root adm") ==
        "test.conf:2: su: not supported by Orcastra (the agent rotates as its own user)");
  CHECK(BodyError("compresscmd /usr/bin/xz") ==
        "test.conf:2: compresscmd: not supported by Orcastra (compression is always gzip)");
  CHECK(BodyError("prerotate") ==
        "test.conf:2: prerotate: not supported by Orcastra (Orcastra runs no scripts; only "
        "postrotate's docker kill/restart is understood)");
  CHECK(BodyError("copy") == "test.conf:2: copy: not supported by Orcastra");
  CHECK(BodyError("mail admin@example.com") == "test.conf:2: mail: not supported by Orcastra");
}

TEST_CASE("logrotate: block structure errors", "[logrotate]") {
  CHECK(Error("/a.log {\n  rotate 1\n") ==
        "test.conf:1: the block for '/a.log' is not closed: '}' expected");
  CHECK(Error("/a.log {\n  rotate 1\n  {\n}\n") ==
        "test.conf:3: nested block: the block opened at line 1 is not closed");
  CHECK(Error("/a.log {\n  /b.log {\n  }\n}\n") ==
        "test.conf:2: nested block or path '/b.log' inside the block opened at line 1 ('}' "
        "missing?)");
  CHECK(Error("/a.log {\n  rotate 1\n/b.log {\n}\n") ==
        "test.conf:3: nested block or path '/b.log' inside the block opened at line 1 ('}' "
        "missing?)");
  CHECK(Error("{\n  rotate 1\n}\n") == "test.conf:1: '{' without log paths before it");
  CHECK(Error("\n}\n") == "test.conf:2: '}' without a block to close");
  CHECK(Error("/a.log {\n}\n}\n") == "test.conf:3: '}' without a block to close");
  CHECK(Error("/a.log\n") == "test.conf:1: log paths without a block: '{' expected");
  CHECK(Error("/a.log\nrotate 1\n") ==
        "test.conf:2: '{' expected after the log paths of line 1, got 'rotate'");
  CHECK(Error("/a.log { rotate 5\n}\n") ==
        "test.conf:1: unexpected 'rotate' after '{' (one directive per line)");
  CHECK(Error("/a.log }\n") == "test.conf:1: '}' after log paths: the block has no '{'");
  CHECK(Error("/a.log {\n} x\n") == "test.conf:2: unexpected 'x' after '}'");
  CHECK(Error("var/log/a.log {\n}\n") ==
        "test.conf:1: log path 'var/log/a.log' is not an absolute path");
  CHECK(Error("\"a.log\" {\n}\n") == "test.conf:1: log path 'a.log' is not an absolute path");
  CHECK(Error("\"\" {\n}\n") == "test.conf:1: log path '' is not an absolute path");
  CHECK(Error("/a.log \"/b c.log {\n}\n") == "test.conf:1: unterminated quote in '\"/b c.log {'");
  CHECK(Error("/a.log /a.log {\n}\n") == "test.conf:1: log path '/a.log' is listed twice");
  CHECK(Error("/a.log {\n}\n/b.log /a.log {\n}\n") ==
        "test.conf:3: duplicate log entry for '/a.log' (first at test.conf:1)");
}

TEST_CASE("logrotate: postrotate and signal errors", "[logrotate]") {
  CHECK(Error("/a.log {\n  postrotate\n    docker kill -s HUP web\n}\n") ==
        "test.conf:4: postrotate: '}' before endscript (the postrotate of line 2 is not closed)");
  CHECK(Error("/a.log {\n  postrotate\n    docker kill -s HUP web\n") ==
        "test.conf:2: postrotate is not closed: endscript expected");
  CHECK(Error("postrotate\nendscript\n") == "test.conf:1: postrotate: only allowed inside a block");
  CHECK(BodyError("endscript") == "test.conf:2: endscript without postrotate");
  CHECK(BodyError("postrotate\nendscript now") ==
        "test.conf:3: endscript: takes no argument, got 'now'");
  CHECK(BodyError("postrotate now\nendscript") ==
        "test.conf:2: postrotate: takes no argument, got 'now'");
  CHECK(Error("signal web\n") == "test.conf:1: signal: only allowed inside a block");
  CHECK(BodyError("signal") ==
        "test.conf:2: signal: container missing (signal CONTAINER [SIGNAL])");
  CHECK(BodyError("signal web HUP now") == "test.conf:2: signal: unexpected 'now'");
  CHECK(BodyError("signal $(cat /run/web.id)") ==
        "test.conf:2: signal: '$(cat' is not a container name");
  CHECK(BodyError("signal web FOO") == "test.conf:2: signal: 'FOO' is not a signal");
  CHECK(BodyError("signal web 65") == "test.conf:2: signal: '65' is not a signal");
  CHECK(BodyError("signal web 0") == "test.conf:2: signal: '0' is not a signal");

  const std::string help =
      "Orcastra runs no shell; postrotate understands only 'docker kill -s SIGNAL CONTAINER...' "
      "and 'docker restart CONTAINER...' (or use the directive 'signal CONTAINER [SIGNAL]')";
  struct Case {
    const char* line;
    std::string message;
  };
  std::vector<Case> cases = {
      {"kill -HUP $(cat /run/nginx.pid)", help + ", got 'kill -HUP $(cat /run/nginx.pid)'"},
      {"systemctl reload nginx", help + ", got 'systemctl reload nginx'"},
      {"/usr/sbin/invoke-rc.d rsyslog rotate > /dev/null",
       help + ", got '/usr/sbin/invoke-rc.d rsyslog rotate > /dev/null'"},
      {"docker exec nginx nginx -s reopen", help + ", got 'docker exec nginx nginx -s reopen'"},
      {"docker", help + ", got 'docker'"},
      {"dockerd kill -s HUP web", help + ", got 'dockerd kill -s HUP web'"},
      {"docker kill nginx",
       "docker kill without -s sends SIGKILL and stops the container; name the signal (-s HUP, or "
       "-s KILL if that is really meant), got 'docker kill nginx'"},
      {"docker kill -s FOO nginx",
       "docker kill: 'FOO' is not a signal, got 'docker kill -s FOO nginx'"},
      {"docker kill -s HUP", "no container named, got 'docker kill -s HUP'"},
      {"docker kill -s", "docker kill: -s needs a signal, got 'docker kill -s'"},
      {"docker kill -s HUP -s USR1 nginx",
       "docker kill: the signal is given twice, got 'docker kill -s HUP -s USR1 nginx'"},
      {"docker kill --force nginx",
       "docker kill: option '--force' is not supported, got 'docker kill --force nginx'"},
      {"docker kill -s HUP nginx; echo done",
       "'nginx;' is not a container name, got 'docker kill -s HUP nginx; echo done'"},
      {"docker kill -s HUP nginx && echo done",
       "'&&' is not a container name, got 'docker kill -s HUP nginx && echo done'"},
      {"docker kill -s HUP $(docker ps -q)",
       "'$(docker' is not a container name, got 'docker kill -s HUP $(docker ps -q)'"},
      {"docker kill -s HUP nginx > /tmp/out",
       "only redirections to /dev/null are understood, got '>', got 'docker kill -s HUP nginx > "
       "/tmp/out'"},
      {"docker kill -s HUP nginx 2>/tmp/err",
       "only redirections to /dev/null are understood, got '2>/tmp/err', got 'docker kill -s HUP "
       "nginx 2>/tmp/err'"},
      {"docker kill -s HUP nginx || echo failed",
       "only '|| true' may follow the command, got 'docker kill -s HUP nginx || echo failed'"},
      {"docker kill -s HUP nginx || true; echo",
       "only '|| true' may follow the command, got 'docker kill -s HUP nginx || true; echo'"},
      {"docker restart -t 5 nginx",
       "docker restart: option '-t' is not supported, got 'docker restart -t 5 nginx'"},
      {"docker restart", "no container named, got 'docker restart'"},
      {"docker kill -s HUP 'bad name'",
       "'bad name' is not a container name, got 'docker kill -s HUP 'bad name''"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    CHECK(Error(std::string("/a.log {\n  postrotate\n    ") + c.line + "\n  endscript\n}\n") ==
          "test.conf:3: postrotate: " + c.message);
  }
}

TEST_CASE("logrotate: warnings for directives without effect", "[logrotate]") {
  CHECK(MustParse("/a.log {\n  daily\n  size 1M\n}\n").warnings ==
        std::vector<std::string>{
            "test.conf:3: size (line 3) and daily (line 2) are both given; size alone decides"});
  CHECK(MustParse("/a.log {\n  size 1M\n  weekly\n}\n").warnings ==
        std::vector<std::string>{
            "test.conf:3: size (line 2) and weekly (line 3) are both given; size alone decides"});
  // A period from the defaults with a size in the block is the usual way to write it: no warning.
  CHECK(MustParse("weekly\n/a.log {\n  size 1M\n}\n").warnings.empty());
  CHECK(MustParse("/a.log {\n  delaycompress\n}\n").warnings ==
        std::vector<std::string>{"test.conf:1: delaycompress has no effect without compress"});
  CHECK(MustParse("/a.log {\n  create 0640\n  copytruncate\n}\n").warnings ==
        std::vector<std::string>{
            "test.conf:1: create has no effect with copytruncate (the log stays in place)"});
  CHECK(MustParse("/a.log {\n  compress\n  delaycompress\n  create\n}\n").warnings.empty());
}

// ---------------------------------------------------------------------------------------------
// Decide

}  // namespace
}  // namespace orcastra::agent
