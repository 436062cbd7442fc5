// Helpers for the config/ unit tests: fixture paths, temporary directories, fake environments.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/flags.h"
#include "config/diagnostic.h"
#include "tests/support/temp_dir.h"

namespace orcastra::config::testing {

inline std::string FixturePath(const std::string& relative) {
  return std::string(ORCASTRA_FIXTURES_DIR) + "/config/" + relative;
}

inline std::string ReadText(const std::string& path) { return orcastra::testing::ReadFile(path); }

inline std::string ReadFixture(const std::string& relative) {
  return ReadText(FixturePath(relative));
}

// A scratch directory that can also take a copy of a config fixture.
class TempDir : public orcastra::testing::TempDir {
 public:
  TempDir() : orcastra::testing::TempDir("config-test") {}
  void CopyFixture(const std::string& relative, const std::string& name) const {
    Write(name, ReadFixture(relative));
  }
};

// An EnvLookup over a fixed map.
inline EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Every diagnostic formatted, one per line, for readable failures and exact comparisons.
inline std::vector<std::string> Formatted(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics) out.push_back(FormatDiagnostic(d));
  return out;
}

}  // namespace orcastra::config::testing
