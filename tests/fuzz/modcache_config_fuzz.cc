// config::ParseModcacheYaml on modcache.yml, and the same text's lines as the values of
// `com.linuxserver.mod.<file>` container labels (ModSourcesFromLabels, MergeModSources).
// Invariants: config_invariants.h; every source that parses has a URL and a file name that the
// checks accept, file names are unique, and a pinned hash is 64 lowercase hex digits.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/modcache_config.h"
#include "tests/fuzz/config_invariants.h"

using namespace orcastra;

namespace {

void CheckSources(const std::vector<config::ModSource>& sources) {
  std::set<std::string> files;
  for (const auto& source : sources) {
    FUZZ_CHECK(config::ModUrlProblem(source.url).empty());
    FUZZ_CHECK(config::ModFileNameProblem(source.file).empty());
    FUZZ_CHECK(files.insert(source.file).second);
    if (source.sha256) {
      FUZZ_CHECK(source.sha256->size() == 64);
      FUZZ_CHECK(source.sha256->find_first_not_of("0123456789abcdef") == std::string::npos);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::Bytes(data, size);
  auto parsed = config::ParseModcacheYaml(text, "modcache.yml");
  fuzz::CheckDiagnostics(parsed.diagnostics, {"modcache.yml"}, parsed.config.has_value());
  if (parsed.config) CheckSources(parsed.config->sources);

  // Each line "KEY=VALUE" is a label of container "c<line / 4>": the label paths of the same text.
  std::vector<config::ContainerLabels> containers;
  std::size_t line = 0;
  for (std::size_t start = 0; start <= text.size() && line < 64; ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view entry = text.substr(start, end - start);
    start = end + 1;
    if (line % 4 == 0) containers.push_back({"c" + std::to_string(line / 4), {}});
    const std::size_t eq = entry.find('=');
    std::string key(entry.substr(0, eq));
    if (!key.starts_with(config::kModLabelPrefix)) key = std::string(config::kModLabelPrefix) + key;
    containers.back().labels[key] = eq == std::string_view::npos ? "" : entry.substr(eq + 1);
  }
  auto labels = config::ModSourcesFromLabels(containers);
  CheckSources(labels.sources);
  for (const auto& d : labels.diagnostics) FUZZ_CHECK(d.severity == config::Severity::kWarning);
  std::vector<config::Diagnostic> merge_diagnostics;
  auto merged = config::MergeModSources(
      parsed.config ? parsed.config->sources : std::vector<config::ModSource>{}, labels.sources,
      &merge_diagnostics);
  CheckSources(merged);
  return 0;
}
