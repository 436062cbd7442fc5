// Glob patterns for the log paths of logrotate.d blocks.
//
// A pattern is matched one path component at a time ('/' separates components; runs of '/' count
// as one). Within a component: `*` matches any run of characters, `?` one character, `[abc]`,
// `[a-z]` and `[!x]` (also `[^x]`) one character of (or not of) a set, `\c` the character c; a `[`
// without a closing `]` is an ordinary character. A component that is exactly `**` matches any
// number of whole components, including none, so `/logs/**/*.log` matches `/logs/a.log` and
// `/logs/x/y/a.log`; `**` inside a longer component is the same as `*`.
// As in the shell, wildcards never match a '/' nor a leading '.' of a component: hidden files and
// directories are only matched by a pattern that spells the dot (`/logs/.*.log`).
//
// GlobMatch() is pure. ExpandGlob() reads the file system, boundedly: it lists directories below
// the pattern's literal prefix, never follows a symbolic link to a directory, returns regular
// files only (a symlink is never rotated, as logrotate refuses to), and stops at the limits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace orcastra::agent {

// True when `path` matches `pattern` by the rules above. Both are taken as they are (no "." or
// ".." resolution); an absolute pattern only matches an absolute path.
bool GlobMatch(std::string_view pattern, std::string_view path);

// True when `pattern` holds an unescaped wildcard (`*`, `?` or a complete `[...]` set), that is
// when it may match something other than itself.
bool HasGlobMeta(std::string_view pattern);

// Bounds of one ExpandGlob() call.
struct GlobLimits {
  std::size_t max_results = 10'000;   // files returned at most
  std::size_t max_scanned = 100'000;  // directory entries looked at, in all directories together
  int max_depth = 32;  // directory levels descended below the pattern's literal prefix
};

// What ExpandGlob() found.
struct GlobExpansion {
  std::vector<std::string> paths;  // regular files that match, sorted bytewise, no duplicates
  // Symbolic links whose name matched a pattern component; neither followed nor returned.
  std::vector<std::string> skipped_symlinks;
  // Directories that could not be listed ("cannot list '/x': Permission denied").
  std::vector<std::string> warnings;
  bool truncated = false;      // max_results or max_scanned was reached; `paths` is incomplete
  bool depth_limited = false;  // a directory deeper than max_depth was not descended into
};

// Lists the regular files matching the absolute `pattern`. A pattern without wildcards yields
// itself when it names a regular file. A literal prefix that does not exist yields no paths (not an
// error: whether a missing log matters is the rule's missingok). InvalidArgument when `pattern`
// is not absolute. Never throws.
Result<GlobExpansion> ExpandGlob(std::string_view pattern, const GlobLimits& limits = {});

}  // namespace orcastra::agent
