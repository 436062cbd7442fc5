#include "agent/logrotate/path_glob.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace orcastra::agent {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

TEST_CASE("glob: '*' matches within one component", "[glob]") {
  CHECK(GlobMatch("/var/log/*.log", "/var/log/a.log"));
  CHECK(GlobMatch("/var/log/*.log", "/var/log/.log.log") == false);  // leading dot
  CHECK(GlobMatch("/var/log/*.log", "/var/log/x.y.log"));
  CHECK(GlobMatch("/var/log/*.log", "/var/log/.log") == false);
  CHECK(GlobMatch("/var/log/*.log", "/var/log/a.log.1") == false);
  CHECK(GlobMatch("/var/log/*.log", "/var/log/sub/a.log") == false);
  CHECK(GlobMatch("/var/log/*", "/var/log/a"));
  CHECK(GlobMatch("/var/log/*", "/var/log") == false);
  CHECK(GlobMatch("/var/*/app.log", "/var/x/app.log"));
  CHECK(GlobMatch("/var/*/app.log", "/var/x/y/app.log") == false);
  CHECK(GlobMatch("/var/log/a*", "/var/log/a"));  // '*' may match nothing
  CHECK(GlobMatch("/*a*b*c", "/xaybzc"));
  CHECK(GlobMatch("/*a*b*c", "/xaybzcd") == false);
  CHECK(GlobMatch("/a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == false);
  CHECK(GlobMatch("/log-*-*.txt", "/log-2024-01.txt"));
}

TEST_CASE("glob: '?' matches exactly one character", "[glob]") {
  CHECK(GlobMatch("/a/?.log", "/a/x.log"));
  CHECK(GlobMatch("/a/?.log", "/a/xy.log") == false);
  CHECK(GlobMatch("/a/?.log", "/a/.log") == false);
  CHECK(GlobMatch("/a/??", "/a/.x") == false);  // never a leading dot
  CHECK(GlobMatch("/a?b", "/a/b") == false);    // never a '/'
  CHECK(GlobMatch("/app.log.?", "/app.log.1"));
}

TEST_CASE("glob: bracket sets, ranges and negation", "[glob]") {
  CHECK(GlobMatch("/[abc].log", "/a.log"));
  CHECK(GlobMatch("/[abc].log", "/c.log"));
  CHECK(GlobMatch("/[abc].log", "/d.log") == false);
  CHECK(GlobMatch("/[a-c].log", "/b.log"));
  CHECK(GlobMatch("/[a-c].log", "/B.log") == false);
  CHECK(GlobMatch("/[a-cx-z0-9].log", "/7.log"));
  CHECK(GlobMatch("/[a-cx-z0-9].log", "/y.log"));
  CHECK(GlobMatch("/[a-cx-z0-9].log", "/m.log") == false);
  CHECK(GlobMatch("/[!x].log", "/a.log"));
  CHECK(GlobMatch("/[!x].log", "/x.log") == false);
  CHECK(GlobMatch("/[^x].log", "/x.log") == false);
  CHECK(GlobMatch("/[^x].log", "/y.log"));
  CHECK(GlobMatch("/[!a].log", "/..log") == false);  // a leading dot even for a negated set
  CHECK(GlobMatch("/[]]", "/]"));                    // ']' first is a member
  CHECK(GlobMatch("/[!]]", "/]") == false);
  CHECK(GlobMatch("/[!]]", "/a"));
  CHECK(GlobMatch("/[a-]", "/-"));  // '-' last is a member
  CHECK(GlobMatch("/[z-a]", "/m") == false);
  CHECK(GlobMatch("/app[0-9][0-9].log", "/app42.log"));
  CHECK(GlobMatch("/app[0-9][0-9].log", "/app4.log") == false);
  // An unterminated '[' is an ordinary character.
  CHECK(GlobMatch("/[abc", "/[abc"));
  CHECK(GlobMatch("/[abc", "/a") == false);
  CHECK(GlobMatch("/x[*", "/x[yz"));
}

TEST_CASE("glob: backslash escapes a special character", "[glob]") {
  CHECK(GlobMatch("/a\\*b", "/a*b"));
  CHECK(GlobMatch("/a\\*b", "/axb") == false);
  CHECK(GlobMatch("/a\\?", "/a?"));
  CHECK(GlobMatch("/a\\?", "/ab") == false);
  CHECK(GlobMatch("/\\[x]", "/[x]"));
  CHECK(GlobMatch("/\\[x]", "/x") == false);
  CHECK(GlobMatch("/[\\]]", "/]"));
  CHECK(GlobMatch("/\\.hidden", "/.hidden"));
}

TEST_CASE("glob: '**' matches any number of whole directories, including none", "[glob]") {
  const std::string pattern = "/mnt/logs/var/**/*.log";
  CHECK(GlobMatch(pattern, "/mnt/logs/var/a.log"));
  CHECK(GlobMatch(pattern, "/mnt/logs/var/x/a.log"));
  CHECK(GlobMatch(pattern, "/mnt/logs/var/x/y/z/a.log"));
  CHECK(GlobMatch(pattern, "/mnt/logs/var/x/y/z/a.txt") == false);
  CHECK(GlobMatch(pattern, "/mnt/logs/other/a.log") == false);
  CHECK(GlobMatch(pattern, "/mnt/logs/var/.cache/a.log") == false);  // hidden directory
  CHECK(GlobMatch(pattern, "/mnt/logs/var/x/.a.log") == false);      // hidden file
  CHECK(GlobMatch("/logs/**", "/logs/a"));
  CHECK(GlobMatch("/logs/**", "/logs/x/y/a"));
  CHECK(GlobMatch("/logs/**", "/logs"));  // zero components
  CHECK(GlobMatch("/**/a.log", "/a.log"));
  CHECK(GlobMatch("/**/a.log", "/x/y/a.log"));
  CHECK(GlobMatch("/a/**/x/**/y.log", "/a/x/y.log"));
  CHECK(GlobMatch("/a/**/x/**/y.log", "/a/1/2/x/3/y.log"));
  CHECK(GlobMatch("/a/**/x/**/y.log", "/a/1/2/3/y.log") == false);
  CHECK(GlobMatch("/a/**/**/b", "/a/b"));
  // '**' inside a longer component is a plain '*'.
  CHECK(GlobMatch("/logs/a**b", "/logs/axyb"));
  CHECK(GlobMatch("/logs/a**b", "/logs/ax/yb") == false);
  // Spelling the dot reaches hidden entries.
  CHECK(GlobMatch("/logs/.*.log", "/logs/.x.log"));
  CHECK(GlobMatch("/logs/**/.cache/*.log", "/logs/x/.cache/a.log"));
}

TEST_CASE("glob: absolute and relative do not mix; repeated slashes count once", "[glob]") {
  CHECK(GlobMatch("*.log", "/a.log") == false);
  CHECK(GlobMatch("/*.log", "a.log") == false);
  CHECK(GlobMatch("**/a.log", "/x/a.log") == false);
  CHECK(GlobMatch("*.log", "a.log"));
  CHECK(GlobMatch("/var//log/*.log", "/var/log/a.log"));
  CHECK(GlobMatch("/var/log/*.log", "/var//log///a.log"));
  CHECK(GlobMatch("/var/log/", "/var/log"));
  CHECK(GlobMatch("/var/log/a.log", "/var/log/a.log"));
  CHECK(GlobMatch("/var/log/a.log", "/var/log/b.log") == false);
}

TEST_CASE("glob: HasGlobMeta finds unescaped wildcards", "[glob]") {
  CHECK_FALSE(HasGlobMeta("/var/log/app.log"));
  CHECK(HasGlobMeta("/var/log/*.log"));
  CHECK(HasGlobMeta("/var/log/app.?"));
  CHECK(HasGlobMeta("/var/log/[ab].log"));
  CHECK(HasGlobMeta("/var/**/x"));
  CHECK_FALSE(HasGlobMeta("/var/log/\\*.log"));
  CHECK_FALSE(HasGlobMeta("/var/log/[ab.log"));
}

// A directory tree under the system temp directory, removed when the test ends.
class TempTree {
 public:
  TempTree() {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("orcastra-glob-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~TempTree() {
    std::error_code ec;
    // Restore permissions changed by a test so that everything can be removed.
    fs::permissions(root_ / "locked", fs::perms::owner_all, ec);
    fs::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  void File(const std::string& relative) {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "x\n";
  }
  void Dir(const std::string& relative) { fs::create_directories(root_ / relative); }
  void Link(const std::string& target, const std::string& relative) {
    fs::create_symlink(target, root_ / relative);
  }
  std::string Path(const std::string& relative = "") const {
    return relative.empty() ? root_.string() : (root_ / relative).string();
  }
  // Absolute paths of `relatives`, in the given order.
  Paths Abs(std::initializer_list<const char*> relatives) const {
    Paths out;
    for (const char* r : relatives) out.push_back(Path(r));
    return out;
  }

 private:
  fs::path root_;
};

// The standard tree of these tests.
void BuildTree(TempTree& tree) {
  tree.File("a.log");
  tree.File("b.log");
  tree.File("c.txt");
  tree.File(".hidden.log");
  tree.File("x.log.1");
  tree.File("sub/d.log");
  tree.File("sub/deeper/e.log");
  tree.File("sub/deeper/deepest/f.log");
  tree.File(".git/g.log");
  tree.File("weird dir/h.log");
  tree.Dir("empty.log");  // a directory whose name matches *.log
  tree.Link(tree.Path("sub"), "dirlink");
  tree.Link(tree.Path("a.log"), "filelink.log");
}

GlobExpansion Expand(const std::string& pattern, const GlobLimits& limits = {}) {
  Result<GlobExpansion> out = ExpandGlob(pattern, limits);
  INFO(pattern << ": " << out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

TEST_CASE("glob: ExpandGlob lists matching regular files, sorted", "[glob]") {
  TempTree tree;
  BuildTree(tree);

  GlobExpansion top = Expand(tree.Path("*.log"));
  CHECK(top.paths == tree.Abs({"a.log", "b.log"}));
  CHECK(top.skipped_symlinks == tree.Abs({"filelink.log"}));
  CHECK_FALSE(top.truncated);
  CHECK_FALSE(top.depth_limited);
  CHECK(top.warnings.empty());

  GlobExpansion all = Expand(tree.Path("**/*.log"));
  CHECK(all.paths == tree.Abs({"a.log", "b.log", "sub/d.log", "sub/deeper/deepest/f.log",
                               "sub/deeper/e.log", "weird dir/h.log"}));
  CHECK(all.skipped_symlinks == tree.Abs({"dirlink", "filelink.log"}));

  CHECK(Expand(tree.Path("sub/**")).paths ==
        tree.Abs({"sub/d.log", "sub/deeper/deepest/f.log", "sub/deeper/e.log"}));
  CHECK(Expand(tree.Path("s*/d.log")).paths == tree.Abs({"sub/d.log"}));
  CHECK(Expand(tree.Path("*/*.log")).paths == tree.Abs({"sub/d.log", "weird dir/h.log"}));
  CHECK(Expand(tree.Path("[ab].log")).paths == tree.Abs({"a.log", "b.log"}));
  CHECK(Expand(tree.Path("?.txt")).paths == tree.Abs({"c.txt"}));
  CHECK(Expand(tree.Path("x.log.?")).paths == tree.Abs({"x.log.1"}));
  CHECK(Expand(tree.Path(".*.log")).paths == tree.Abs({".hidden.log"}));
  CHECK(Expand(tree.Path(".git/*.log")).paths == tree.Abs({".git/g.log"}));
  CHECK(Expand(tree.Path("weird dir/*")).paths == tree.Abs({"weird dir/h.log"}));
  CHECK(Expand(tree.Path("**/deepest/*.log")).paths == tree.Abs({"sub/deeper/deepest/f.log"}));
  CHECK(Expand(tree.Path("*.nothing")).paths.empty());
  // Repeated slashes in the pattern.
  CHECK(Expand(tree.Path() + "//sub//*.log").paths == tree.Abs({"sub/d.log"}));
}

TEST_CASE("glob: ExpandGlob on literal paths and missing directories", "[glob]") {
  TempTree tree;
  BuildTree(tree);
  CHECK(Expand(tree.Path("a.log")).paths == tree.Abs({"a.log"}));
  CHECK(Expand(tree.Path("missing.log")).paths.empty());
  CHECK(Expand(tree.Path("sub")).paths.empty());  // a directory is not a log
  GlobExpansion link = Expand(tree.Path("filelink.log"));
  CHECK(link.paths.empty());
  CHECK(link.skipped_symlinks == tree.Abs({"filelink.log"}));
  CHECK(Expand(tree.Path("nope/*.log")).paths.empty());
  CHECK(Expand(tree.Path("a.log/*.log")).paths.empty());  // prefix is a file
  // The literal prefix may go through a symlink: the operator wrote it.
  CHECK(Expand(tree.Path("dirlink/*.log")).paths == tree.Abs({"dirlink/d.log"}));
  // An escaped wildcard is literal.
  tree.File("star*.log");
  tree.File("starx.log");
  CHECK(Expand(tree.Path("star\\*.log")).paths == tree.Abs({"star*.log"}));
  CHECK(Expand(tree.Path("star*.log")).paths == tree.Abs({"star*.log", "starx.log"}));
}

TEST_CASE("glob: ExpandGlob refuses relative patterns", "[glob]") {
  for (const char* pattern : {"", "*.log", "var/log/*.log", "./a.log"}) {
    INFO(pattern);
    Result<GlobExpansion> out = ExpandGlob(pattern);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().code() == Status::Code::kInvalidArgument);
    CHECK(out.status().message() ==
          "glob '" + std::string(pattern) + "': pattern must be an absolute path");
  }
}

TEST_CASE("glob: ExpandGlob stops at its limits", "[glob]") {
  TempTree tree;
  BuildTree(tree);

  GlobLimits two_results;
  two_results.max_results = 2;
  GlobExpansion capped = Expand(tree.Path("**/*.log"), two_results);
  CHECK(capped.truncated);
  CHECK(capped.paths == tree.Abs({"a.log", "b.log"}));

  GlobLimits exactly;
  exactly.max_results = 2;
  GlobExpansion fits = Expand(tree.Path("*.log"), exactly);
  CHECK_FALSE(fits.truncated);  // exactly two matches is not a truncation
  CHECK(fits.paths.size() == 2);

  GlobLimits shallow;
  shallow.max_depth = 1;
  GlobExpansion one_level = Expand(tree.Path("**/*.log"), shallow);
  CHECK(one_level.depth_limited);
  CHECK_FALSE(one_level.truncated);
  CHECK(one_level.paths == tree.Abs({"a.log", "b.log", "sub/d.log", "weird dir/h.log"}));

  GlobLimits flat;
  flat.max_depth = 0;
  GlobExpansion top_only = Expand(tree.Path("**/*.log"), flat);
  CHECK(top_only.depth_limited);
  CHECK(top_only.paths == tree.Abs({"a.log", "b.log"}));
  // A pattern that never descends is not depth limited.
  CHECK_FALSE(Expand(tree.Path("*.log"), flat).depth_limited);

  GlobLimits few_entries;
  few_entries.max_scanned = 3;
  GlobExpansion scanned = Expand(tree.Path("**/*.log"), few_entries);
  CHECK(scanned.truncated);
  CHECK(scanned.paths.size() <= 3);
}

TEST_CASE("glob: a directory that cannot be listed is a warning", "[glob]") {
  // Root reads any directory whatever its mode, so there is nothing to check as root.
  if (::geteuid() == 0) return;
  TempTree tree;
  tree.File("open/a.log");
  tree.File("locked/b.log");
  fs::permissions(tree.Path("locked"), fs::perms::none);
  GlobExpansion out = Expand(tree.Path("*/*.log"));
  CHECK(out.paths == tree.Abs({"open/a.log"}));
  REQUIRE(out.warnings.size() == 1);
  CHECK(out.warnings[0].rfind("cannot list '" + tree.Path("locked") + "': ", 0) == 0);
}

}  // namespace
}  // namespace orcastra::agent
