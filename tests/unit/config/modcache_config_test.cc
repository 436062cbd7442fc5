// modcache.yml and the com.linuxserver.mod.* labels: the model, and every problem with its
// position (issue 4).
#include "config/modcache_config.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using testing::Formatted;

const std::string kSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::vector<std::string> Problems(const std::string& text) {
  return Formatted(ParseModcacheYaml(text, "modcache.yml").diagnostics);
}

TEST_CASE("modcache.yml: a list of sources, defaults and the bare URL form", "[modcache][config]") {
  const std::string text =
      "- url: https://example.test/mods/theme.tar.gz?x=1#top\n"
      "  sha256: " +
      std::string("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08") +
      "\n"
      "- url: http://example.test/get\n"
      "  file: plugin-v2.zip\n"
      "- https://example.test/a/b/c.jar\n";
  ModcacheParse parse = ParseModcacheYaml(text, "modcache.yml");
  CHECK(parse.diagnostics.empty());
  REQUIRE(parse.config);
  REQUIRE(parse.config->sources.size() == 3);
  const auto& s = parse.config->sources;
  CHECK(s[0] == ModSource{"https://example.test/mods/theme.tar.gz?x=1#top", "theme.tar.gz", kSha,
                          "modcache.yml:1:3"});
  CHECK(s[1] ==
        ModSource{"http://example.test/get", "plugin-v2.zip", std::nullopt, "modcache.yml:3:3"});
  CHECK(s[2] ==
        ModSource{"https://example.test/a/b/c.jar", "c.jar", std::nullopt, "modcache.yml:5:3"});
}

TEST_CASE("modcache.yml: the map form with sources:, and empty files", "[modcache][config]") {
  ModcacheParse parse = ParseModcacheYaml("sources:\n  - url: https://h/x.tgz\n", "modcache.yml");
  CHECK(parse.diagnostics.empty());
  REQUIRE(parse.config);
  REQUIRE(parse.config->sources.size() == 1);
  CHECK(parse.config->sources[0].file == "x.tgz");

  ModcacheParse empty = ParseModcacheYaml("# nothing yet\n", "modcache.yml");
  REQUIRE(empty.config);
  CHECK(empty.config->sources.empty());
  CHECK(Formatted(empty.diagnostics) ==
        std::vector<std::string>{"modcache.yml: warning: the file is empty; no sources"});

  ModcacheParse none = ParseModcacheYaml("[]\n", "modcache.yml");
  REQUIRE(none.config);
  CHECK(none.diagnostics.empty());
  CHECK(ParseModcacheYaml("sources:\n", "modcache.yml").config->sources.empty());
}

TEST_CASE("modcache.yml: every error with file:line:column:field", "[modcache][config]") {
  const std::string text =
      "- url: ftp://example.test/a.tgz\n"                 // 1
      "- sha256: abc\n"                                   // 2
      "- url: [https://x/a]\n"                            // 3
      "- url: https://example.test/b.tgz\n"               // 4
      "  sha256: xyz\n"                                   // 5
      "  flie: b\n"                                       // 6
      "- url: https://example.test/dir/\n"                // 7
      "- url: https://example.test/c.tgz\n"               // 8
      "  file: ../etc/passwd\n"                           // 9
      "- url: https://example.test/d.tgz\n"               // 10
      "- url: https://other.test/d.tgz\n"                 // 11
      "- 42\n"                                            // 12
      "- {url: https://example.test/e, file: .hidden}\n"  // 13
      "- url: \"https://\"\n"                             // 14
      "- url: https://ex ample.test/f\n"                  // 15
      "- [a]\n";                                          // 16
  ModcacheParse parse = ParseModcacheYaml(text, "modcache.yml");
  CHECK_FALSE(parse.config);
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "modcache.yml:1:8: error: [0].url: only http:// and https:// URLs are allowed, got "
            "\"ftp://example.test/a.tgz\"",
            "modcache.yml:2:3: error: [1]: a source needs a url",
            "modcache.yml:3:8: error: [2].url: expected a string, got a list",
            "modcache.yml:5:11: error: [3].sha256: expected 64 hexadecimal digits (a SHA-256), "
            "got \"xyz\"",
            "modcache.yml:6:3: warning: [3].flie: unknown key \"flie\" (ignored); did you mean "
            "\"file\"?",
            "modcache.yml:7:8: error: [4].url: cannot take the file name from the URL (the file "
            "name must not be empty); give `file`",
            "modcache.yml:9:9: error: [5].file: the file name \"../etc/passwd\" may hold only "
            "letters, digits and \"._-+~@=,%\" (no \"/\")",
            "modcache.yml:11:3: error: [7]: file name \"d.tgz\" is already used by the source at "
            "line 10, column 3",
            "modcache.yml:12:3: error: [8]: only http:// and https:// URLs are allowed, got "
            "\"42\"",
            "modcache.yml:13:39: error: [9].file: the file name \".hidden\" must not start with "
            "\".\" (reserved for the cache's own files)",
            "modcache.yml:14:8: error: [10].url: the url has no host",
            "modcache.yml:15:8: error: [11].url: the url must not contain spaces, control or "
            "non-ASCII characters (percent-encode them)",
            "modcache.yml:16:3: error: [12]: expected a source ({url, sha256, file} or a URL), "
            "got a list"});
}

TEST_CASE("modcache.yml: the top level and syntax errors", "[modcache][config]") {
  CHECK(Problems("just text\n") ==
        std::vector<std::string>{"modcache.yml:1:1: error: expected a list of sources (or a map "
                                 "with `sources:`), got \"just text\""});
  CHECK(Problems("sources: 5\nmods: []\n") ==
        std::vector<std::string>{
            "modcache.yml:1:10: error: sources: expected a list of sources, got \"5\"",
            "modcache.yml:2:1: warning: mods: unknown key \"mods\" (ignored)"});
  auto syntax = ParseModcacheYaml("- url: [x\n", "modcache.yml");
  CHECK_FALSE(syntax.config);
  REQUIRE(syntax.diagnostics.size() == 1);
  CHECK(syntax.diagnostics[0].severity == Severity::kError);
  CHECK(syntax.diagnostics[0].line > 0);
  auto duplicate = Problems("- url: https://h/a\n  url: https://h/b\n");
  REQUIRE(duplicate.size() == 1);
  CHECK(duplicate[0].rfind("modcache.yml:2:3: error:", 0) == 0);
}

TEST_CASE("modcache URL and file name rules", "[modcache][config]") {
  CHECK(ModUrlProblem("HTTPS://Example.test/x").empty());
  CHECK(ModUrlProblem("http://user:pw@host:8080/x?y#z").empty());
  CHECK_FALSE(ModUrlProblem("file:///etc/passwd").empty());
  CHECK_FALSE(ModUrlProblem("http:///x").empty());
  CHECK_FALSE(ModUrlProblem("http://:80/x").empty());
  CHECK_FALSE(ModUrlProblem("https://h/\xc3\xa9").empty());
  CHECK(DefaultModFileName("https://h/a/b.tgz?q=1/2#f/g") == "b.tgz");
  CHECK(DefaultModFileName("https://h") == "");
  CHECK(DefaultModFileName("https://h/") == "");
  CHECK(ModFileNameProblem("mod-1.2_x+y~z@a=b,c%20.tgz").empty());
  CHECK_FALSE(ModFileNameProblem("..").empty());
  CHECK_FALSE(ModFileNameProblem("a/b").empty());
  CHECK_FALSE(ModFileNameProblem(std::string(256, 'a')).empty());
  CHECK(ModFileNameProblem(std::string(255, 'a')).empty());
}

TEST_CASE("modcache labels: the rule, invalid labels ignored with a warning",
          "[modcache][config]") {
  std::vector<ContainerLabels> containers = {
      {"web",
       {{"com.linuxserver.mod.theme.tar.gz", "https://h/theme.tgz#sha256=" + kSha},
        {"com.linuxserver.mod.plain", "http://h/p"},
        {"com.linuxserver.mod.", "https://h/empty-name"},
        {"com.linuxserver.mod.bad", "ftp://h/x"},
        {"com.linuxserver.mod.frag", "https://h/x#section"},
        {"com.linuxserver.mod.short", "https://h/x#sha256=abc"},
        {"other.label", "https://h/ignored"}}},
      {"api", {{"com.linuxserver.mod.plain", "http://h/p"}}},  // same source: merged silently
      {"zeta", {{"com.linuxserver.mod.plain", "http://h/other"}}},
  };
  LabelSources got = ModSourcesFromLabels(containers);
  REQUIRE(got.sources.size() == 2);
  // Containers in name order: "api" comes first.
  CHECK(got.sources[0] == ModSource{"http://h/p", "plain", std::nullopt, "container api"});
  CHECK(got.sources[1] == ModSource{"https://h/theme.tgz", "theme.tar.gz", kSha, "container web"});
  CHECK(Formatted(got.diagnostics) ==
        std::vector<std::string>{
            "container web: warning: com.linuxserver.mod.: ignored: the file name must not be "
            "empty",
            "container web: warning: com.linuxserver.mod.bad: ignored: only http:// and https:// "
            "URLs are allowed, got \"ftp://h/x\"",
            "container web: warning: com.linuxserver.mod.frag: ignored: after \"#\" only "
            "\"sha256=<64 hex digits>\" is allowed",
            "container web: warning: com.linuxserver.mod.short: ignored: sha256: expected 64 "
            "hexadecimal digits (a SHA-256), got \"abc\"",
            "container zeta: warning: com.linuxserver.mod.plain: ignored: file \"plain\" is "
            "already asked for by container api with another url or sha256"});
}

TEST_CASE("modcache sources: modcache.yml wins over a label for the same file",
          "[modcache][config]") {
  std::vector<ModSource> file = {{"https://h/a", "a", std::nullopt, "modcache.yml:1:3"}};
  std::vector<ModSource> labels = {{"https://h/a", "a", std::nullopt, "container x"},
                                   {"https://other/a", "a", std::nullopt, "container y"},
                                   {"https://h/b", "b", std::nullopt, "container y"}};
  std::vector<Diagnostic> diagnostics;
  auto merged = MergeModSources(file, labels, &diagnostics);
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].origin == "modcache.yml:1:3");
  CHECK(merged[1].file == "b");
  CHECK(Formatted(diagnostics) ==
        std::vector<std::string>{"container y: warning: com.linuxserver.mod.a: ignored: file "
                                 "\"a\" is given by modcache.yml:1:3 with another url or sha256"});
}

}  // namespace
}  // namespace orcastra::config
