#include "config/command_file.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "config/schema.h"
#include "config/yaml_tree.h"

namespace orcastra::config {
namespace {

struct KnownCommand {
  std::string_view name;
  CommandArg arg;
};

constexpr KnownCommand kCommands[] = {
    {"relabel_all", CommandArg::kNone},
    {"update_dependents", CommandArg::kAnchor},
    {"remove_all_labels", CommandArg::kNone},
    {"pause_dependents", CommandArg::kNone},
    {"resume_dependents", CommandArg::kNone},
    {"bootstrap_swarm", CommandArg::kNone},
    {"remove_node", CommandArg::kNode},
    {"rebalance", CommandArg::kNone},
    {"gc", CommandArg::kNode},
    {"rotate_logs", CommandArg::kNode},
    {"refresh_mods", CommandArg::kNode},
    {"noop", CommandArg::kNone},
};

std::string Trim(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// Fills name, arg, known and problem from `text` ("name" or "name:arg").
void Classify(CommandEntry* entry) {
  auto colon = entry->text.find(':');
  entry->name = Trim(entry->text.substr(0, colon));
  if (colon != std::string::npos) entry->arg = Trim(entry->text.substr(colon + 1));
  auto arg_kind = KnownCommandArg(entry->name);
  entry->known = arg_kind.has_value();
  if (!entry->known) {
    entry->problem = "unknown command \"" + entry->name + "\" (kept in the file)";
    return;
  }
  if (entry->arg && entry->arg->empty()) {
    entry->problem = "empty argument after \"" + entry->name + ":\"";
  } else if (entry->arg && *arg_kind == CommandArg::kNone) {
    entry->problem = "command \"" + entry->name + "\" takes no argument";
  } else if (entry->arg && entry->arg->find_first_of(" \t") != std::string::npos) {
    entry->problem = "argument \"" + *entry->arg + "\" contains a space";
  }
}

}  // namespace

std::optional<CommandArg> KnownCommandArg(std::string_view name) {
  for (const auto& command : kCommands) {
    if (command.name == name) return command.arg;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& KnownCommandNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& command : kCommands) out.push_back(command.name);
    return out;
  }();
  return names;
}

CommandFileParse ParseCommandFile(std::string_view text, const std::string& file) {
  CommandFileParse result;
  YamlParse yaml = ParseYaml(text, file);
  result.diagnostics = yaml.diagnostics;
  if (!yaml.syntax_ok || !yaml.root || yaml.root->IsNull()) return result;
  SchemaChecker checker(file, &result.diagnostics);
  if (!checker.ExpectList(*yaml.root, "",
                          "a list of commands (- relabel_all, - gc:NODE, ...) at the top level")) {
    return result;
  }
  for (std::size_t i = 0; i < yaml.root->items.size(); ++i) {
    const YamlNode& item = yaml.root->items[i];
    CommandEntry entry;
    entry.line = item.line;
    entry.column = item.column;
    if (item.IsScalar()) {
      entry.text = item.scalar;
      Classify(&entry);
    } else if (item.IsMap() && item.entries.size() == 1 && item.entries[0].key.IsScalar() &&
               (item.entries[0].value.IsScalar() || item.entries[0].value.IsNull())) {
      // `- gc: node1` is a one-key map in YAML; read it as the user meant it.
      entry.text = item.entries[0].key.scalar;
      if (item.entries[0].value.IsScalar()) entry.text += ":" + item.entries[0].value.scalar;
      Classify(&entry);
    } else {
      entry.text = RenderFlowYaml(item);
      entry.raw_yaml = true;
      entry.problem =
          "expected a command name or name:arg, got " + DescribeNode(item) + " (kept in the file)";
    }
    if (!entry.runnable()) checker.Error(item, ItemPath("", i), entry.problem);
    result.entries.push_back(std::move(entry));
  }
  return result;
}

std::string RenderCommandFile(const std::vector<CommandEntry>& entries) {
  if (entries.empty()) return "[]\n";
  std::string out;
  for (const auto& entry : entries) {
    out += "- " + (entry.raw_yaml ? entry.text : QuoteYamlScalar(entry.text)) + "\n";
  }
  return out;
}

}  // namespace orcastra::config
