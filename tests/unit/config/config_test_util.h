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

namespace orcastra::config::testing {

inline std::string FixturePath(const std::string& relative) {
  return std::string(ORCASTRA_FIXTURES_DIR) + "/config/" + relative;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string ReadFixture(const std::string& relative) {
  return ReadText(FixturePath(relative));
}

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "orcastra-config-test-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    char* made = mkdtemp(buffer.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  void Write(const std::string& name, const std::string& text) const {
    std::ofstream out(File(name), std::ios::binary | std::ios::trunc);
    out << text;
  }
  void CopyFixture(const std::string& relative, const std::string& name) const {
    Write(name, ReadFixture(relative));
  }
  void Remove(const std::string& name) const { std::filesystem::remove(File(name)); }

 private:
  std::string path_;
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
