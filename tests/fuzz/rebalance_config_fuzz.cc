// config::ParseRebalanceYaml on rebalance_config.yml. Invariants: config_invariants.h, and a model
// that parses gives every configured service a policy.
#include <cstddef>
#include <cstdint>

#include "config/rebalance_config.h"
#include "tests/fuzz/config_invariants.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = config::ParseRebalanceYaml(fuzz::Bytes(data, size), "rebalance_config.yml");
  fuzz::CheckDiagnostics(parsed.diagnostics, {"rebalance_config.yml"}, parsed.config.has_value());
  if (!parsed.config) return 0;
  for (const auto& [service, overrides] : parsed.config->services) {
    (void)overrides;
    (void)parsed.config->PolicyFor(service);
  }
  return 0;
}
