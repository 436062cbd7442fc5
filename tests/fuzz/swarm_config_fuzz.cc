// config::ParseSwarmYaml on swarm.yml, and the same text as either half of the older split form
// (ParseSplitSwarmYaml with nodes.yml or dependencies.yml). Invariants: config_invariants.h, and
// a model that parses has its dependents counted and every anchor's label key rendered.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "config/swarm_config.h"
#include "tests/fuzz/config_invariants.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::Bytes(data, size));
  auto check = [](const config::SwarmParse& parsed, const std::vector<std::string>& files) {
    fuzz::CheckDiagnostics(parsed.diagnostics, files, parsed.config.has_value());
    if (!parsed.config) return;
    std::size_t dependents = 0;
    for (const auto& anchor : parsed.config->dependencies) {
      dependents += anchor.services.size();
      FUZZ_CHECK(parsed.config->FindAnchor(anchor.name) != nullptr);
      FUZZ_CHECK(!parsed.config->AnchorLabelKey(anchor.name).empty());
    }
    FUZZ_CHECK(parsed.config->DependentCount() == dependents);
  };
  check(config::ParseSwarmYaml(text, "swarm.yml"), {"swarm.yml"});
  check(config::ParseSplitSwarmYaml(config::SplitFile{"nodes.yml", text}, std::nullopt),
        {"nodes.yml"});
  check(config::ParseSplitSwarmYaml(config::SplitFile{"nodes.yml", "{}"},
                                    config::SplitFile{"dependencies.yml", text}),
        {"nodes.yml", "dependencies.yml"});
  return 0;
}
