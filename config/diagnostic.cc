#include "config/diagnostic.h"

#include <algorithm>
#include <map>

namespace orcastra::config {

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

std::string FormatDiagnostic(const Diagnostic& diagnostic) {
  std::string out = diagnostic.file;
  if (diagnostic.line > 0) {
    out += ":" + std::to_string(diagnostic.line) + ":" + std::to_string(diagnostic.column);
  }
  out += ": ";
  out += SeverityName(diagnostic.severity);
  out += ": ";
  if (!diagnostic.field.empty()) out += diagnostic.field + ": ";
  out += diagnostic.message;
  return out;
}

std::ostream& operator<<(std::ostream& out, const Diagnostic& diagnostic) {
  return out << FormatDiagnostic(diagnostic);
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) { return CountErrors(diagnostics) > 0; }

int CountErrors(const std::vector<Diagnostic>& diagnostics) {
  return static_cast<int>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Severity::kError;
  }));
}

int CountWarnings(const std::vector<Diagnostic>& diagnostics) {
  return static_cast<int>(diagnostics.size()) - CountErrors(diagnostics);
}

void SortByPosition(std::vector<Diagnostic>* diagnostics) {
  std::map<std::string, std::size_t> file_order;
  for (const auto& d : *diagnostics) file_order.emplace(d.file, file_order.size());
  std::stable_sort(diagnostics->begin(), diagnostics->end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     std::size_t fa = file_order[a.file];
                     std::size_t fb = file_order[b.file];
                     if (fa != fb) return fa < fb;
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
}

}  // namespace orcastra::config
