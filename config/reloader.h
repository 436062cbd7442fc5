// ConfigReloader: the building block of hot reload. The caller polls it (no thread inside); it
// notices changed configuration files, loads and validates the new set, and either replaces the
// current configuration or refuses the new one and keeps the current.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostic.h"
#include "config/loader.h"
#include "config/settings.h"

namespace orcastra::config {

// What identifies one file's content between polls.
struct FileFingerprint {
  bool exists = false;
  std::uint64_t size = 0;
  std::uint64_t hash = 0;  // FNV-1a 64 of the content

  bool operator==(const FileFingerprint&) const = default;
};

// FNV-1a 64 of `text`.
std::uint64_t ContentHash(std::string_view text);

// Fingerprints of the watched files, by path.
using FileSet = std::map<std::string, FileFingerprint>;

// What the reloader remembers between polls.
struct ReloadState {
  std::optional<FileSet> applied;  // the set last loaded (replaced or refused); none before
  std::optional<FileSet> pending;  // a changed set waiting to settle
  int pending_polls = 0;           // further polls that have seen `pending` unchanged
};

enum class ReloadAction {
  kNothing,  // the files are what was last loaded
  kWait,     // changed, but not yet unchanged for `settle_polls` further polls
  kLoad,     // load `observed` now
};

// The pure decision of one poll: updates `state->pending` and says what to do. The first poll
// (no `applied` set) always loads. The caller sets `state->applied` after a load.
ReloadAction DecideReload(ReloadState* state, const FileSet& observed, int settle_polls);

class ConfigReloader {
 public:
  struct Outcome {
    enum class Kind {
      kUnchanged,  // no file changed (or a change is still settling); `config` is the current one
      kReplaced,   // `config` is the new current configuration; `diagnostics` its warnings
      kRefused,    // the new files have errors (`diagnostics`); `config` is the previous one
    };
    Kind kind = Kind::kUnchanged;
    std::shared_ptr<const Config> config;  // may be null before the first successful load
    std::vector<Diagnostic> diagnostics;
  };

  // `settings` names the files (settings.paths) and is applied to every load.
  // `settle_polls`: how many further polls must see a changed file set unchanged before it is
  // loaded, so that a file caught half-written is not applied; 0 loads at the first sight. The
  // very first load never waits.
  explicit ConfigReloader(Settings settings, int settle_polls = 1);

  // Checks the files (stat; content read and hashed only when mtime or size moved) and acts.
  // The first call always loads. Call from one thread.
  Outcome Poll();

  // The configuration in force; null until a load succeeds. The Config is immutable and may be
  // shared with other threads.
  std::shared_ptr<const Config> current() const { return current_; }

 private:
  struct StatCache {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::uint64_t size = 0;
    FileFingerprint fingerprint;
  };

  std::vector<std::string> WatchedPaths() const;
  FileSet Observe();
  Outcome Load(const FileSet& observed);

  // Constant after construction.
  const Settings settings_;
  const int settle_polls_;

  std::shared_ptr<const Config> current_;
  ReloadState state_;
  std::map<std::string, StatCache> stat_cache_;
};

}  // namespace orcastra::config
