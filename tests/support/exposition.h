// A strict reader of the Prometheus text format 0.0.4 for tests: what a scraper would make of a
// /metrics answer, and every rule of the format it checks (HELP and TYPE once per family and before
// its samples, samples grouped by family, no duplicate series, escapes that read back).
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orcastra::testing {

struct Exposition {
  // Series as "name{label="value",...}" (labels in the order written) -> value.
  std::map<std::string, double> series;
  std::map<std::string, std::string> types;  // family -> "counter" | "gauge"
  std::map<std::string, std::string> helps;  // family -> help, unescaped
  std::vector<std::string> errors;           // empty when the text follows the format
  // Label values of every series of `family`, unescaped, by label name.
  std::vector<std::map<std::string, std::string>> labels_of(const std::string& family) const {
    auto it = label_sets.find(family);
    return it == label_sets.end() ? std::vector<std::map<std::string, std::string>>{} : it->second;
  }
  std::map<std::string, std::vector<std::map<std::string, std::string>>> label_sets;
  std::optional<double> value(const std::string& series_key) const {
    auto it = series.find(series_key);
    return it == series.end() ? std::nullopt : std::optional<double>(it->second);
  }
};

inline Exposition ParseExposition(const std::string& text) {
  Exposition out;
  std::string current;                 // the family whose samples may follow
  std::map<std::string, bool> closed;  // families whose block has ended
  auto error = [&](const std::string& what, const std::string& line) {
    out.errors.push_back(what + ": " + line);
  };
  std::size_t pos = 0;
  if (!text.empty() && text.back() != '\n') out.errors.push_back("no final newline");
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const bool help = line[2] == 'H';
      std::string rest = line.substr(7);
      std::size_t space = rest.find(' ');
      std::string family = rest.substr(0, space);
      std::string value = space == std::string::npos ? "" : rest.substr(space + 1);
      if (family != current) {
        if (!current.empty()) closed[current] = true;
        if (closed.count(family)) error("family appears twice", line);
        current = family;
      }
      if (help) {
        if (out.helps.count(family)) error("second HELP", line);
        std::string unescaped;
        for (std::size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) {
            ++i;
            unescaped += value[i] == 'n' ? '\n' : value[i];
          } else {
            unescaped += value[i];
          }
        }
        out.helps[family] = unescaped;
      } else {
        if (out.types.count(family)) error("second TYPE", line);
        if (value != "counter" && value != "gauge") error("unknown type", line);
        out.types[family] = value;
      }
      continue;
    }
    if (line[0] == '#') continue;
    // name{labels} value
    std::size_t name_end = line.find_first_of("{ ");
    std::string name = line.substr(0, name_end);
    if (name != current) error("sample outside its family's block", line);
    std::map<std::string, std::string> labels;
    std::size_t i = name_end;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          error("bad label", line);
          break;
        }
        std::string label = line.substr(i, eq - i);
        std::string value;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ++j;
            if (j >= line.size()) break;
            if (line[j] == 'n') {
              value += '\n';
            } else if (line[j] == '\\' || line[j] == '"') {
              value += line[j];
            } else {
              error("bad escape", line);
            }
          } else {
            value += line[j];
          }
        }
        if (labels.count(label)) error("label twice", line);
        labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      i = line.find(' ', i);
    }
    if (i == std::string::npos || i + 1 >= line.size()) {
      error("no value", line);
      continue;
    }
    std::string value_text = line.substr(i + 1);
    double value = 0;
    if (value_text == "NaN") {
      value = std::numeric_limits<double>::quiet_NaN();
    } else if (value_text == "+Inf") {
      value = std::numeric_limits<double>::infinity();
    } else if (value_text == "-Inf") {
      value = -std::numeric_limits<double>::infinity();
    } else {
      try {
        std::size_t used = 0;
        value = std::stod(value_text, &used);
        if (used != value_text.size()) error("bad value", line);
      } catch (...) {
        error("bad value", line);
      }
    }
    std::string key = line.substr(0, i);
    if (out.series.count(key)) error("duplicate series", line);
    out.series[key] = value;
    out.label_sets[name].push_back(labels);
    if (!out.types.count(name)) error("sample without TYPE", line);
    if (!out.helps.count(name)) error("sample without HELP", line);
  }
  return out;
}

}  // namespace orcastra::testing
