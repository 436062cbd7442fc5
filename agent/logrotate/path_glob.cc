#include "agent/logrotate/path_glob.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

namespace orcastra::agent {
namespace {

namespace fs = std::filesystem;

// Splits on '/', treating a run of '/' as one separator. An absolute path's first component is ""
// so that it only lines up with another absolute path.
std::vector<std::string_view> SplitComponents(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  if (!path.empty() && path.front() == '/') {
    parts.emplace_back();
    while (i < path.size() && path[i] == '/') ++i;
  }
  while (i < path.size()) {
    std::size_t start = i;
    while (i < path.size() && path[i] != '/') ++i;
    parts.push_back(path.substr(start, i - start));
    while (i < path.size() && path[i] == '/') ++i;
  }
  return parts;
}

// The position just after the `]` closing the set that starts at `pattern[open]` == '[', or npos
// when the set is not closed (then the '[' is an ordinary character).
std::size_t SetEnd(std::string_view pattern, std::size_t open) {
  std::size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;  // a leading ']' is a member
  while (i < pattern.size()) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      i += 2;
      continue;
    }
    if (pattern[i] == ']') return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// Whether `c` is in the set pattern[open, end) ("[...]", end just after ']').
bool SetMatches(std::string_view pattern, std::size_t open, std::size_t end, char c) {
  std::size_t i = open + 1;
  bool negate = false;
  if (pattern[i] == '!' || pattern[i] == '^') {
    negate = true;
    ++i;
  }
  bool found = false;
  bool first = true;
  const std::size_t close = end - 1;
  while (i < close) {
    if (pattern[i] == ']' && !first) break;
    first = false;
    char low = pattern[i];
    if (low == '\\' && i + 1 < close) low = pattern[++i];
    ++i;
    char high = low;
    if (i + 1 < close && pattern[i] == '-') {
      high = pattern[i + 1];
      i += 2;
      if (high == '\\' && i < close) high = pattern[i++];
    }
    if (static_cast<unsigned char>(low) <= static_cast<unsigned char>(c) &&
        static_cast<unsigned char>(c) <= static_cast<unsigned char>(high)) {
      found = true;
    }
  }
  return found != negate;
}

// fnmatch-style match of one component (no '/' on either side).
bool ComponentMatch(std::string_view pattern, std::string_view name) {
  // A leading '.' must be matched by a literal '.', written plainly or escaped.
  if (!name.empty() && name.front() == '.') {
    bool literal_dot = (!pattern.empty() && pattern.front() == '.') ||
                       (pattern.size() >= 2 && pattern[0] == '\\' && pattern[1] == '.');
    if (!literal_dot) return false;
  }
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star_p = std::string_view::npos;  // the pattern position after the last '*'
  std::size_t star_n = 0;                       // where that '*' started matching
  while (n < name.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        star_p = p;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        std::size_t end = SetEnd(pattern, p);
        if (end != std::string_view::npos) {
          if (SetMatches(pattern, p, end, name[n])) {
            p = end;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else {
        char literal = pc;
        std::size_t width = 1;
        if (pc == '\\' && p + 1 < pattern.size()) {
          literal = pattern[p + 1];
          width = 2;
        }
        if (literal == name[n]) {
          p += width;
          ++n;
          continue;
        }
      }
    }
    // Mismatch: let the last '*' swallow one more character, if there was one.
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool IsHidden(std::string_view name) { return !name.empty() && name.front() == '.'; }

bool ComponentHasMeta(std::string_view component) {
  for (std::size_t i = 0; i < component.size(); ++i) {
    char c = component[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '*' || c == '?') return true;
    if (c == '[' && SetEnd(component, i) != std::string_view::npos) return true;
  }
  return false;
}

// The component with escapes removed, for a component without wildcards.
std::string Unescape(std::string_view component) {
  std::string out;
  for (std::size_t i = 0; i < component.size(); ++i) {
    if (component[i] == '\\' && i + 1 < component.size()) ++i;
    out += component[i];
  }
  return out;
}

// Adds to `states` every state reachable by letting a `**` match nothing.
void CloseOverDoubleStar(const std::vector<std::string_view>& components,
                         std::set<std::size_t>* states) {
  std::vector<std::size_t> pending(states->begin(), states->end());
  while (!pending.empty()) {
    std::size_t s = pending.back();
    pending.pop_back();
    if (s < components.size() && components[s] == "**" && states->insert(s + 1).second) {
      pending.push_back(s + 1);
    }
  }
}

// Walks directories below the literal prefix, one set of pattern positions per directory.
class Expander {
 public:
  Expander(std::vector<std::string_view> components, const GlobLimits& limits, GlobExpansion* out)
      : components_(std::move(components)), limits_(limits), out_(out) {}

  // Visits `dir`, whose entries are to be matched from the pattern positions `states`.
  void Walk(const std::string& dir, const std::set<std::size_t>& states, int depth) {
    if (stopped_) return;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      out_->warnings.push_back("cannot list '" + dir + "': " + ec.message());
      return;
    }
    std::vector<std::string> names;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (++scanned_ > limits_.max_scanned) {
        out_->truncated = true;
        stopped_ = true;
        break;
      }
      names.push_back(it->path().filename().string());
    }
    if (ec) out_->warnings.push_back("cannot list '" + dir + "': " + ec.message());
    std::sort(names.begin(), names.end());

    const std::size_t end = components_.size();
    for (const std::string& name : names) {
      if (stopped_) return;
      std::set<std::size_t> next;
      for (std::size_t s : states) {
        if (s >= end) continue;
        if (components_[s] == "**") {
          if (!IsHidden(name)) next.insert(s);
        } else if (ComponentMatch(components_[s], name)) {
          next.insert(s + 1);
        }
      }
      if (next.empty()) continue;
      CloseOverDoubleStar(components_, &next);

      std::string child = dir == "/" ? "/" + name : dir + "/" + name;
      fs::file_status status = fs::symlink_status(child, ec);
      if (ec) continue;  // vanished since listing
      if (fs::is_symlink(status)) {
        out_->skipped_symlinks.push_back(child);
      } else if (fs::is_regular_file(status)) {
        if (next.count(end) == 0) continue;
        if (out_->paths.size() >= limits_.max_results) {
          out_->truncated = true;
          stopped_ = true;
          return;
        }
        out_->paths.push_back(child);
      } else if (fs::is_directory(status)) {
        bool more = std::any_of(next.begin(), next.end(), [end](std::size_t s) { return s < end; });
        if (!more) continue;
        if (depth + 1 > limits_.max_depth) {
          out_->depth_limited = true;
          continue;
        }
        Walk(child, next, depth + 1);
      }
    }
  }

 private:
  std::vector<std::string_view> components_;
  const GlobLimits& limits_;
  GlobExpansion* out_;
  std::size_t scanned_ = 0;
  bool stopped_ = false;
};

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  std::vector<std::string_view> pat = SplitComponents(pattern);
  std::vector<std::string_view> parts = SplitComponents(path);
  // can[i][j]: pattern components from i match path components from j.
  const std::size_t np = pat.size();
  const std::size_t nq = parts.size();
  std::vector<std::vector<char>> can(np + 1, std::vector<char>(nq + 1, 0));
  can[np][nq] = 1;
  for (std::size_t i = np; i-- > 0;) {
    for (std::size_t j = nq + 1; j-- > 0;) {
      bool ok = false;
      if (pat[i] == "**") {
        // `**` never swallows the root marker "" nor a hidden component.
        ok = can[i + 1][j] != 0 ||
             (j < nq && !parts[j].empty() && !IsHidden(parts[j]) && can[i][j + 1] != 0);
      } else if (j < nq) {
        bool same_root = pat[i].empty() == parts[j].empty();
        ok = same_root && ComponentMatch(pat[i], parts[j]) && can[i + 1][j + 1] != 0;
      }
      can[i][j] = ok ? 1 : 0;
    }
  }
  return can[0][0] != 0;
}

bool HasGlobMeta(std::string_view pattern) {
  for (std::string_view component : SplitComponents(pattern)) {
    if (ComponentHasMeta(component)) return true;
  }
  return false;
}

Result<GlobExpansion> ExpandGlob(std::string_view pattern, const GlobLimits& limits) {
  if (pattern.empty() || pattern.front() != '/') {
    return Status::InvalidArgument("glob '" + std::string(pattern) +
                                   "': pattern must be an absolute path");
  }
  std::vector<std::string_view> components = SplitComponents(pattern);
  components.erase(components.begin());  // the root's ""

  // The literal prefix: leading components without wildcards (`**` counts as a wildcard).
  std::string base = "/";
  std::size_t first_meta = 0;
  while (first_meta < components.size() && components[first_meta] != "**" &&
         !ComponentHasMeta(components[first_meta])) {
    if (base.size() > 1) base += "/";
    base += Unescape(components[first_meta]);
    ++first_meta;
  }

  GlobExpansion out;
  std::error_code ec;
  if (first_meta == components.size()) {
    // No wildcard: the path itself, when it is a regular file (a symlink is reported, not used).
    fs::file_status status = fs::symlink_status(base, ec);
    if (!ec && fs::is_symlink(status)) {
      out.skipped_symlinks.push_back(base);
    } else if (!ec && fs::is_regular_file(status)) {
      out.paths.push_back(base);
    }
    return out;
  }
  // The literal prefix was written by the operator: follow symlinks in it.
  if (!fs::is_directory(base, ec)) return out;

  std::vector<std::string_view> rest(components.begin() + static_cast<std::ptrdiff_t>(first_meta),
                                     components.end());
  std::set<std::size_t> start = {0};
  CloseOverDoubleStar(rest, &start);
  Expander expander(std::move(rest), limits, &out);
  expander.Walk(base, start, 0);

  std::sort(out.paths.begin(), out.paths.end());
  out.paths.erase(std::unique(out.paths.begin(), out.paths.end()), out.paths.end());
  std::sort(out.skipped_symlinks.begin(), out.skipped_symlinks.end());
  out.skipped_symlinks.erase(std::unique(out.skipped_symlinks.begin(), out.skipped_symlinks.end()),
                             out.skipped_symlinks.end());
  return out;
}

}  // namespace orcastra::agent
