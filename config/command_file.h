// The command file (COMMAND_FILE): a YAML list of `name` or `name:arg` strings, Orcastra's
// format. Parsing and rendering are pure; reading, executing and rewriting the file belong to
// the leader.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"

namespace orcastra::config {

enum class CommandArg {
  kNone,    // takes no argument
  kAnchor,  // optional ANCHOR
  kNode,    // optional NODE
};

// The known commands and what argument each takes; nullopt for an unknown name.
std::optional<CommandArg> KnownCommandArg(std::string_view name);
// The known command names, in documentation order.
const std::vector<std::string_view>& KnownCommandNames();

struct CommandEntry {
  std::string text;                // the entry as it reads back: "gc:node1"
  std::string name;                // "gc"; empty for an entry that is not a string
  std::optional<std::string> arg;  // "node1"
  int line = 0;                    // 1-based position in the file
  int column = 0;
  bool known = false;  // the name is a known command
  // Empty when the entry can run; else why not (unknown name, argument not allowed, not a
  // string). Entries that cannot run stay in the file.
  std::string problem;
  // The entry was not a string: `text` is its YAML (flow style), written back as it is.
  bool raw_yaml = false;

  bool runnable() const { return problem.empty(); }
  bool operator==(const CommandEntry&) const = default;
};

struct CommandFileParse {
  std::vector<CommandEntry> entries;    // every entry in file order, runnable or not
  std::vector<Diagnostic> diagnostics;  // one error per entry that cannot run, plus file errors
};

// Parses the command file's text. An empty file or `[]` has no entries. `- gc: node1` (a
// one-key map) is read as `gc:node1`. Nothing is dropped: an entry that cannot run is returned
// with its problem and reported as an error.
CommandFileParse ParseCommandFile(std::string_view text, const std::string& file);

// Renders `entries` (the ones not taken) as the command file's new text: one `- TEXT` line per
// entry, or `[]` when none is left. ParseCommandFile reads it back to the same texts.
std::string RenderCommandFile(const std::vector<CommandEntry>& entries);

}  // namespace orcastra::config
