// Diagnostic: one problem found in a configuration file or in the environment, with its position.
//
// Every check in config/ reports problems as Diagnostics instead of stopping at the first one, so a
// user sees every mistake of a file in one run of `orcastra config check`.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace orcastra::config {

enum class Severity {
  kError,    // the configuration is refused
  kWarning,  // the configuration is used; something in it is ignored or suspicious
};

// "error" or "warning".
std::string_view SeverityName(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;   // path as given to the loader, or "environment" for env vars
  int line = 0;       // 1-based; 0 when the problem has no position (a missing file, an env var)
  int column = 0;     // 1-based; 0 likewise
  std::string field;  // "dependencies.gitea_db.retry_intervals[2]" or "RELABEL_TIME"; may be empty
  std::string message;

  bool operator==(const Diagnostic&) const = default;
};

// "FILE:LINE:COLUMN: error: FIELD: MESSAGE". The position is left out when line is 0 and the
// field when it is empty ("FILE: error: MESSAGE").
std::string FormatDiagnostic(const Diagnostic& diagnostic);
std::ostream& operator<<(std::ostream& out, const Diagnostic& diagnostic);

bool HasErrors(const std::vector<Diagnostic>& diagnostics);
int CountErrors(const std::vector<Diagnostic>& diagnostics);
int CountWarnings(const std::vector<Diagnostic>& diagnostics);

// Orders diagnostics by position within each file, keeping files in the order in which they first
// appear (stable: diagnostics at the same position keep their order).
void SortByPosition(std::vector<Diagnostic>* diagnostics);

}  // namespace orcastra::config
