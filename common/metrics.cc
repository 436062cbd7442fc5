#include "common/metrics.h"

#include <charconv>
#include <cmath>

#include "common/utf8.h"

namespace orcastra::metrics {
namespace {

std::vector<std::string> SplitLabels(std::string_view labels) {
  std::vector<std::string> out;
  while (!labels.empty()) {
    std::size_t comma = labels.find(',');
    out.emplace_back(labels.substr(0, comma));
    if (comma == std::string_view::npos) break;
    labels.remove_prefix(comma + 1);
  }
  return out;
}

bool NameChar(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool ValidName(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  const std::string valid = ToValidUtf8(value);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  const std::string valid = ToValidUtf8(help);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) <= 9007199254740992.0) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return ec == std::errc() ? std::string(buffer, end) : "NaN";
}

bool IsValidMetricName(std::string_view name) { return ValidName(name, /*colon=*/true); }

bool IsValidLabelName(std::string_view name) {
  return ValidName(name, /*colon=*/false) && name.substr(0, 2) != "__";
}

Exposition::Exposition(std::span<const Family> families)
    : families_(families), samples_(families.size()) {
  label_names_.reserve(families.size());
  for (const Family& family : families) label_names_.push_back(SplitLabels(family.labels));
}

void Exposition::Add(std::size_t family, std::initializer_list<std::string_view> label_values,
                     double value) {
  std::vector<std::string> values;
  values.reserve(label_values.size());
  for (std::string_view v : label_values) values.emplace_back(v);
  AddChecked(family, std::move(values), value);
}

void Exposition::Add(std::size_t family, const std::vector<std::string>& label_values,
                     double value) {
  AddChecked(family, label_values, value);
}

void Exposition::AddChecked(std::size_t family, std::vector<std::string> values, double value) {
  if (family >= families_.size() || values.size() != label_names_[family].size()) {
    ++problems_;
    return;
  }
  if (families_[family].type == Type::kCounter && !(std::isfinite(value) && value >= 0)) {
    ++problems_;
    return;
  }
  if (!samples_[family].emplace(std::move(values), value).second) ++problems_;
}

std::string Exposition::Render() const {
  std::string out;
  for (std::size_t f = 0; f < families_.size(); ++f) {
    if (samples_[f].empty()) continue;
    const Family& family = families_[f];
    out += "# HELP ";
    out += family.name;
    out += ' ';
    out += EscapeHelp(family.help);
    out += "\n# TYPE ";
    out += family.name;
    out += family.type == Type::kCounter ? " counter\n" : " gauge\n";
    for (const auto& [values, value] : samples_[f]) {
      out += family.name;
      if (!values.empty()) {
        out += '{';
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (i > 0) out += ',';
          out += label_names_[f][i];
          out += "=\"";
          out += EscapeLabelValue(values[i]);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      out += FormatValue(value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace orcastra::metrics
