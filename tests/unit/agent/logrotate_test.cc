#include "agent/logrotate.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace orcastra::agent {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;
using Kind = RotationAction::Kind;
using R = DecisionReason;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(ORCASTRA_FIXTURES_DIR) + "/logrotate/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A UTC time from its civil fields.
WallTime At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return WallTime(sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s));
}

LogrotateConfig MustParse(const std::string& text, const std::string& source = "test.conf") {
  Result<LogrotateConfig> config = ParseLogrotate(text, source);
  INFO(text << "\n-> " << config.status().ToString());
  REQUIRE(config.ok());
  return *config;
}

// The one rule of a block for /var/log/a.log holding `body`.
LogrotateRule Rule(const std::string& body) {
  LogrotateConfig config = MustParse("/var/log/a.log {\n" + body + "\n}\n");
  REQUIRE(config.rules.size() == 1);
  return config.rules[0];
}

// The error message of parsing `text` as "test.conf" (fails the test when it parses).
std::string Error(const std::string& text) {
  Result<LogrotateConfig> config = ParseLogrotate(text, "test.conf");
  INFO(text);
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == Status::Code::kParseError);
  return config.status().message();
}

// The error of a block body (the block opens on line 1, so body line N is file line N+1).
std::string BodyError(const std::string& body) {
  return Error("/var/log/a.log {\n" + body + "\n}\n");
}

std::vector<std::string> Texts(const std::vector<RotationAction>& actions) {
  std::vector<std::string> out;
  for (const RotationAction& action : actions) out.push_back(action.ToString());
  return out;
}

PostRotateAction Signal(const std::string& container, const std::string& signal,
                        const std::string& source) {
  PostRotateAction action;
  action.kind = PostRotateAction::Kind::kSignal;
  action.container = container;
  action.signal = signal;
  action.source = source;
  return action;
}

PostRotateAction Restart(const std::string& container, const std::string& source) {
  PostRotateAction action;
  action.kind = PostRotateAction::Kind::kRestart;
  action.container = container;
  action.source = source;
  return action;
}

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
  CHECK(Rule("rotate 2147483647").rotate == 2147483647);
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
  CHECK(BodyError("rotate 2147483648") == "test.conf:2: rotate: 2147483648 is too large");
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
        "test.conf:2: create: '0648' is not an octal mode such as 0640");
  CHECK(BodyError("create 12345") ==
        "test.conf:2: create: '12345' is not an octal mode such as 0640");
  CHECK(BodyError("create 0640 root adm extra") ==
        "test.conf:2: create: unexpected 'extra' (create [MODE] [OWNER [GROUP]])");
  CHECK(BodyError("create 0640 ro/ot") == "test.conf:2: create: 'ro/ot' is not a user");
  CHECK(BodyError("create 0640 root a:m") == "test.conf:2: create: 'a:m' is not a group");
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

TEST_CASE("logrotate: the state file parses in logrotate's format", "[logrotate]") {
  Result<RotationState> state = ParseStateFile(Fixture("logrotate.status"), "logrotate.status");
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  CHECK(state->last_rotated.size() == 4);
  CHECK(state->last_rotated.at("/var/log/nginx/access.log") == At(2024, 3, 1));
  CHECK(state->last_rotated.at("/var/log/my app/access.log") == At(2024, 2, 29, 23, 59, 59));
  CHECK(state->last_rotated.at("/var/log/syslog") == At(2023, 12, 31, 6, 25, 1));
  CHECK(state->last_rotated.at("/var/log/old-format.log") == At(2022, 7, 4));
  CHECK(state->Lookup("/var/log/syslog").last_rotated == At(2023, 12, 31, 6, 25, 1));
  CHECK_FALSE(state->Lookup("/var/log/unknown.log").last_rotated);
}

TEST_CASE("logrotate: state file variants: bare paths, escapes, blanks, repeats, CRLF",
          "[logrotate]") {
  Result<RotationState> state = ParseStateFile(
      "logrotate state -- version 2\r\n"
      "\r\n"
      "/var/log/bare.log 2024-1-2-3:4:5\r\n"
      "\"/var/log/q\\\"uote\\\\d.log\" 2024-01-02-03:04:05\r\n"
      "\"/var/log/new\\nline.log\"   2024-1-2-3:4:5   \r\n"
      "\"/var/log/twice.log\" 2020-1-1-0:0:0\r\n"
      "\"/var/log/twice.log\" 2021-1-1-0:0:0\r\n",
      "state");
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  CHECK(state->last_rotated.size() == 4);
  CHECK(state->last_rotated.at("/var/log/bare.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(state->last_rotated.at("/var/log/q\"uote\\d.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(state->last_rotated.at("/var/log/new\nline.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(state->last_rotated.at("/var/log/twice.log") == At(2021, 1, 1));

  CHECK(ParseStateFile("", "state")->last_rotated.empty());
  CHECK(ParseStateFile("\n", "state")->last_rotated.empty());
  CHECK(ParseStateFile("logrotate state -- version 2\n", "state")->last_rotated.empty());
  CHECK(ParseStateFile("logrotate state -- version 2", "state")->last_rotated.empty());
}

TEST_CASE("logrotate: state times are read at the given UTC offset", "[logrotate]") {
  Result<RotationState> state =
      ParseStateFile("logrotate state -- version 2\n\"/a\" 2024-3-1-1:30:0\n", "state", 120min);
  REQUIRE(state.ok());
  CHECK(state->last_rotated.at("/a") == At(2024, 2, 29, 23, 30));
}

TEST_CASE("logrotate: state file errors name the line", "[logrotate]") {
  auto error = [](const std::string& text) {
    Result<RotationState> state = ParseStateFile(text, "/var/lib/orcastra/logrotate.status");
    INFO(text);
    REQUIRE_FALSE(state.ok());
    CHECK(state.status().code() == Status::Code::kParseError);
    return state.status().message();
  };
  const std::string header = "logrotate state -- version 2\n";
  CHECK(error("logrotate state -- version 1\n") ==
        "/var/lib/orcastra/logrotate.status:1: expected 'logrotate state -- version 2', got "
        "'logrotate state -- version 1'");
  CHECK(error("\"/a\" 2024-1-1-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:1: expected 'logrotate state -- version 2', got "
        "'\"/a\" 2024-1-1-0:0:0'");
  CHECK(error(header + "\"/a\"\n") ==
        "/var/lib/orcastra/logrotate.status:2: expected a space and a date after the path '/a'");
  CHECK(error(header + "/a\n") ==
        "/var/lib/orcastra/logrotate.status:2: expected a space and a date after the path '/a'");
  CHECK(error(header + "\"/a\"2024-1-1\n") ==
        "/var/lib/orcastra/logrotate.status:2: expected a space and a date after the path '/a'");
  CHECK(error(header + "\n\"/a\" 2024-2-30-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:3: date '2024-2-30-0:0:0' is not a valid date");
  CHECK(error(header + "\"/a\" 2023-2-29\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2023-2-29' is not a valid date");
  CHECK(error(header + "\"/a\" 2024-13-1\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2024-13-1' is not a valid date");
  CHECK(error(header + "\"/a\" 2024-1-1-24:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2024-1-1-24:0:0' is not a valid time of day");
  CHECK(error(header + "\"/a\" 2024-1-1-0:60:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '2024-1-1-0:60:0' is not a valid time of day");
  CHECK(error(header + "\"/a\" 1800-1-1\n") ==
        "/var/lib/orcastra/logrotate.status:2: date '1800-1-1' is outside the years 1900-2200");
  for (const char* bad : {"2024/1/1", "2024-1", "2024-1-1-0:0", "2024-1-1-", "2024-1-1-0:0:0:0",
                          "x", "2024-1-1T0:0:0", "12345-1-1", "-2024-1-1"}) {
    INFO(bad);
    CHECK(error(header + "\"/a\" " + bad + "\n") == "/var/lib/orcastra/logrotate.status:2: date '" +
                                                        std::string(bad) + "' is not Y-M-D-h:m:s");
  }
  CHECK(error(header + "\"/a\" 2024-1-1-0:0:0 extra\n") ==
        "/var/lib/orcastra/logrotate.status:2: unexpected 'extra' after the date");
  CHECK(error(header + "\"/a 2024-1-1-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: unterminated quoted path");
  CHECK(error(header + "\"\" 2024-1-1-0:0:0\n") ==
        "/var/lib/orcastra/logrotate.status:2: empty path");
}

TEST_CASE("logrotate: the state file serialises in logrotate's format and round-trips",
          "[logrotate]") {
  RotationState state;
  state.last_rotated["/var/log/syslog"] = At(2023, 12, 31, 6, 25, 1) + 750ms;
  state.last_rotated["/var/log/my app/access.log"] = At(2024, 2, 29, 23, 59, 59);
  state.last_rotated["/var/log/q\"uote\\d\nl.log"] = At(2024, 1, 2, 3, 4, 5);
  const std::string text = SerializeStateFile(state);
  CHECK(text ==
        "logrotate state -- version 2\n"
        "\"/var/log/my app/access.log\" 2024-2-29-23:59:59\n"
        "\"/var/log/q\\\"uote\\\\d\\nl.log\" 2024-1-2-3:4:5\n"
        "\"/var/log/syslog\" 2023-12-31-6:25:1\n");

  Result<RotationState> back = ParseStateFile(text, "state");
  REQUIRE(back.ok());
  CHECK(back->last_rotated.size() == 3);
  // Times are kept to the second.
  CHECK(back->last_rotated.at("/var/log/syslog") == At(2023, 12, 31, 6, 25, 1));
  CHECK(back->last_rotated.at("/var/log/my app/access.log") == At(2024, 2, 29, 23, 59, 59));
  CHECK(back->last_rotated.at("/var/log/q\"uote\\d\nl.log") == At(2024, 1, 2, 3, 4, 5));
  CHECK(SerializeStateFile(*back) == text);

  // The fixture round-trips to the same entries.
  Result<RotationState> fixture = ParseStateFile(Fixture("logrotate.status"), "fixture");
  REQUIRE(fixture.ok());
  Result<RotationState> again = ParseStateFile(SerializeStateFile(*fixture), "again");
  REQUIRE(again.ok());
  CHECK(again->last_rotated == fixture->last_rotated);

  // At an offset, written and read back at the same offset.
  const std::string shifted = SerializeStateFile(state, 90min);
  CHECK_THAT(shifted, Contains("\"/var/log/my app/access.log\" 2024-3-1-1:29:59\n"));
  Result<RotationState> shifted_back = ParseStateFile(shifted, "state", 90min);
  REQUIRE(shifted_back.ok());
  CHECK(shifted_back->last_rotated.at("/var/log/my app/access.log") == At(2024, 2, 29, 23, 59, 59));

  CHECK(SerializeStateFile(RotationState{}) == "logrotate state -- version 2\n");
}

}  // namespace
}  // namespace orcastra::agent
