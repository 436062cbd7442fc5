#include "config/schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "common/strings.h"

namespace orcastra::config {
std::string FieldPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string ItemPath(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string ServiceNameProblem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  auto valid_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  };
  if (!std::isalnum(static_cast<unsigned char>(name.front())) ||
      !std::all_of(name.begin(), name.end(), valid_char)) {
    return "\"" + std::string(name) +
           "\" is not a valid name (letters, digits, \"_\", \".\" and \"-\", starting with a "
           "letter or digit)";
  }
  if (name.size() > 63) return "\"" + std::string(name) + "\" is longer than 63 characters";
  return "";
}

void SchemaChecker::Error(const YamlNode& at, const std::string& field, std::string message) {
  diagnostics_->push_back({Severity::kError, file_, at.line, at.column, field, std::move(message)});
}

void SchemaChecker::Warning(const YamlNode& at, const std::string& field, std::string message) {
  diagnostics_->push_back(
      {Severity::kWarning, file_, at.line, at.column, field, std::move(message)});
}

void SchemaChecker::TypeError(const YamlNode& node, const std::string& field,
                              std::string_view expected) {
  Error(node, field, "expected " + std::string(expected) + ", got " + DescribeNode(node));
}

bool SchemaChecker::ExpectMap(const YamlNode& node, const std::string& field,
                              std::string_view what) {
  if (node.IsMap()) return true;
  TypeError(node, field, what);
  return false;
}

bool SchemaChecker::ExpectList(const YamlNode& node, const std::string& field,
                               std::string_view what) {
  if (node.IsSequence()) return true;
  TypeError(node, field, what);
  return false;
}

void SchemaChecker::ForEachEntry(
    const YamlNode& map, const std::string& field,
    const std::function<void(const std::string&, const YamlEntry&, const std::string&)>& visit) {
  std::set<std::string> seen;
  for (const auto& entry : map.entries) {
    if (!entry.key.IsScalar()) {
      TypeError(entry.key, field, "a name as key");
      continue;
    }
    if (!seen.insert(entry.key.scalar).second) continue;  // duplicate: reported by ParseYaml
    visit(entry.key.scalar, entry, FieldPath(field, entry.key.scalar));
  }
}

void SchemaChecker::WarnUnknownKeys(const YamlNode& map, const std::string& field,
                                    const std::vector<std::string_view>& known) {
  for (const auto& entry : map.entries) {
    if (!entry.key.IsScalar()) continue;
    const std::string& key = entry.key.scalar;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = "unknown key \"" + key + "\" (ignored)";
    std::string_view best = ClosestMatch(key, known);
    if (!best.empty()) message += "; did you mean \"" + std::string(best) + "\"?";
    Warning(entry.key, FieldPath(field, key), std::move(message));
  }
}

std::optional<std::int64_t> SchemaChecker::Integer(const YamlNode& node, const std::string& field) {
  if (node.IsPlainScalar()) {
    std::string_view text = node.scalar;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty()) return value;
  }
  TypeError(node, field, "an integer");
  return std::nullopt;
}

std::optional<double> SchemaChecker::Number(const YamlNode& node, const std::string& field) {
  if (node.IsPlainScalar()) {
    std::string_view text = node.scalar;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty() &&
        std::isfinite(value)) {
      return value;
    }
  }
  TypeError(node, field, "a number");
  return std::nullopt;
}

std::optional<bool> SchemaChecker::Bool(const YamlNode& node, const std::string& field) {
  // The spellings PyYAML (YAML 1.1) reads as booleans, so files written for the Python
  // Orcastra keep their meaning.
  static const std::set<std::string_view> kTrue = {"true", "True", "TRUE", "yes", "Yes",
                                                   "YES",  "on",   "On",   "ON"};
  static const std::set<std::string_view> kFalse = {"false", "False", "FALSE", "no", "No",
                                                    "NO",    "off",   "Off",   "OFF"};
  if (node.IsPlainScalar()) {
    if (kTrue.count(node.scalar) > 0) return true;
    if (kFalse.count(node.scalar) > 0) return false;
  }
  TypeError(node, field, "true or false");
  return std::nullopt;
}

std::optional<std::string> SchemaChecker::String(const YamlNode& node, const std::string& field) {
  if (node.IsScalar()) return node.scalar;
  TypeError(node, field, "a string");
  return std::nullopt;
}

}  // namespace orcastra::config
