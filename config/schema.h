// SchemaChecker: typed reads of YamlNodes that report every problem as a Diagnostic with the
// node's position and field path. Shared by the parsers of the configuration files.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "config/yaml_tree.h"

namespace orcastra::config {

// The field path of `key` inside `parent` ("dependencies" + "gitea_db" -> "dependencies.gitea_db").
std::string FieldPath(const std::string& parent, const std::string& key);
// The field path of item `index` of the list at `parent` ("labels" + 2 -> "labels[2]").
std::string ItemPath(const std::string& parent, std::size_t index);

// Docker's rule for service and stack names: letters, digits, '_', '.', '-', starting with a
// letter or digit, at most 63 characters. Returns an empty string when `name` is valid, else why.
std::string ServiceNameProblem(std::string_view name);

// Reports into one file's diagnostics. Not thread-safe; one per file being checked.
class SchemaChecker {
 public:
  SchemaChecker(std::string file, std::vector<Diagnostic>* diagnostics)
      : file_(std::move(file)), diagnostics_(diagnostics) {}

  const std::string& file() const { return file_; }

  void Error(const YamlNode& at, const std::string& field, std::string message);
  void Warning(const YamlNode& at, const std::string& field, std::string message);

  // True when `node` is a map; otherwise reports "expected <what>, got ...".
  bool ExpectMap(const YamlNode& node, const std::string& field,
                 std::string_view what = "a map (key: value pairs)");
  // True when `node` is a list; otherwise reports the same way.
  bool ExpectList(const YamlNode& node, const std::string& field, std::string_view what = "a list");

  // Calls `visit(key, entry, field)` for every entry of `map` whose key is a string, reporting
  // other keys. Entries with a key already seen are skipped (ParseYaml reported them).
  void ForEachEntry(
      const YamlNode& map, const std::string& field,
      const std::function<void(const std::string&, const YamlEntry&, const std::string&)>& visit);

  // Warns about every key of `map` that is not in `known` ("unknown key "x" (ignored)"), with a
  // suggestion when a known key is close.
  void WarnUnknownKeys(const YamlNode& map, const std::string& field,
                       const std::vector<std::string_view>& known);

  // Typed reads: the value, or nullopt after reporting "expected ..., got ...".
  std::optional<std::int64_t> Integer(const YamlNode& node, const std::string& field);
  std::optional<double> Number(const YamlNode& node, const std::string& field);
  std::optional<bool> Bool(const YamlNode& node, const std::string& field);
  std::optional<std::string> String(const YamlNode& node, const std::string& field);

 private:
  void TypeError(const YamlNode& node, const std::string& field, std::string_view expected);

  std::string file_;
  std::vector<Diagnostic>* diagnostics_;
};

}  // namespace orcastra::config
