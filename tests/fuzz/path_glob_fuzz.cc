// agent::GlobMatch and HasGlobMeta on a pattern and a path (the first line of the input is the
// pattern, the rest the path), and ExpandGlob of the pattern inside a small directory tree made
// for the run. Invariants: nothing throws or runs away; a pattern without wildcards or escapes
// matches itself; an expansion stays within its limits, returns sorted unique paths that match
// the pattern.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "agent/logrotate/path_glob.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

namespace {

std::string tree_root;

void MakeTree() {
  char pattern[] = "/tmp/orcastra-glob-fuzz-XXXXXX";
  const char* made = mkdtemp(pattern);
  FUZZ_CHECK(made != nullptr);
  tree_root = made;
  namespace fs = std::filesystem;
  for (const char* dir : {"logs/a", "logs/a/b", "logs/.hidden", "x [y]", "logs/a/b/c"}) {
    fs::create_directories(tree_root + "/" + dir);
  }
  for (const char* file : {"logs/app.log", "logs/app.log.1", "logs/a/x.log", "logs/a/b/y.log",
                           "logs/.hidden/z.log", "logs/.dot.log", "x [y]/q*.log", "logs/a/b/c/d"}) {
    std::ofstream(tree_root + "/" + file) << "x\n";
  }
  fs::create_directory_symlink(tree_root + "/logs", tree_root + "/logs/a/loop");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  MakeTree();
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(tree_root, ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  const std::size_t newline = text.find('\n');
  const std::string_view pattern = text.substr(0, newline);
  const std::string_view path =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  (void)agent::GlobMatch(pattern, path);
  if (!agent::HasGlobMeta(pattern) && pattern.find('\\') == std::string_view::npos) {
    FUZZ_CHECK(agent::GlobMatch(pattern, pattern));
  }

  // Inside the tree only: no ".." (a pattern could climb out and walk the whole file system).
  if (pattern.find("..") != std::string_view::npos) return 0;
  const std::string absolute = tree_root + "/" + std::string(pattern);
  agent::GlobLimits limits{.max_results = 16, .max_scanned = 256, .max_depth = 4};
  auto expanded = agent::ExpandGlob(absolute, limits);
  FUZZ_CHECK(expanded.ok());
  FUZZ_CHECK(expanded->paths.size() <= limits.max_results);
  FUZZ_CHECK(std::is_sorted(expanded->paths.begin(), expanded->paths.end()));
  FUZZ_CHECK(std::adjacent_find(expanded->paths.begin(), expanded->paths.end()) ==
             expanded->paths.end());
  for (const auto& found : expanded->paths) FUZZ_CHECK(agent::GlobMatch(absolute, found));
  return 0;
}
