// The invariants every configuration parser's fuzz target checks on its diagnostics.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "tests/fuzz/fuzz_check.h"

namespace orcastra::fuzz {

// An error about the whole file rather than a place in it: the size limits of the YAML adapter and
// the empty-file rule. Every other error must name a line.
inline bool AboutWholeFile(const std::string& message) {
  return message.starts_with("file is larger than") ||
         message.starts_with("document has more than") || message.starts_with("the file is empty");
}

// Every diagnostic names one of `files` and has a message; every error names a line (line > 0,
// column > 0) unless it is about the whole file; `model_present` holds exactly when there is no
// error.
inline void CheckDiagnostics(const std::vector<config::Diagnostic>& diagnostics,
                             const std::vector<std::string>& files, bool model_present) {
  for (const auto& d : diagnostics) {
    bool known_file = false;
    for (const auto& file : files) known_file = known_file || d.file == file;
    FUZZ_CHECK(known_file);
    FUZZ_CHECK(!d.message.empty());
    if (d.severity == config::Severity::kError && !AboutWholeFile(d.message)) {
      FUZZ_CHECK(d.line > 0);
      FUZZ_CHECK(d.column > 0);
    }
  }
  FUZZ_CHECK(model_present == !config::HasErrors(diagnostics));
}

}  // namespace orcastra::fuzz
