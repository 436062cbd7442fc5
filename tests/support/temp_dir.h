// Test support: a fresh directory under $TMPDIR, removed with everything in it on destruction, and
// whole-file reads and writes for tests. The one copy every test tier uses.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace orcastra::testing {

// The content of `path` ("" when it cannot be read).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces `path` with `content`; throws when it cannot be written.
inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.good()) throw std::runtime_error("cannot write " + path);
}

class TempDir {
 public:
  // The directory is named "orcastra-<purpose>-XXXXXX".
  explicit TempDir(std::string_view purpose = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("orcastra-" + std::string(purpose) + "-XXXXXX"))
            .string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
    path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory.
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string operator/(const std::string& name) const { return File(name); }

  void Write(const std::string& name, const std::string& text) const {
    WriteFile(File(name), text);
  }
  std::string Read(const std::string& name) const { return ReadFile(File(name)); }
  void Remove(const std::string& name) const { std::filesystem::remove(File(name)); }

 private:
  std::string path_;
};

}  // namespace orcastra::testing
