#include "config/config_check.h"

#include <fstream>
#include <sstream>

#include "config/diagnostic.h"
#include "config/loader.h"
#include "config/modcache_config.h"
#include "config/settings.h"

namespace orcastra::config {
namespace {

constexpr char kUsage[] = R"(usage: orcastra config check [DIR]

Validates swarm.yml (or nodes.yml + dependencies.yml), rebalance_config.yml, modcache.yml (when
present; MOD_MANAGER_CONFIG names another file) and the environment variables, and prints every problem as FILE:LINE:COLUMN: error|warning: FIELD: MESSAGE.
DIR defaults to ORCASTRA_CONFIG_DIR, else /etc/orcastra. With DIR, SWARM_FILE, NODES_FILE,
DEPENDENCIES_FILE and REBALANCE_CONFIG are ignored.
Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error.
)";

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string Basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int RunCheck(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
             std::ostream& err) {
  SettingsRequest request;
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return 0;
    }
    if (arg.rfind("-", 0) == 0) {
      err << "orcastra config check: unknown flag " << arg << "\n\n" << kUsage;
      return 2;
    }
    if (request.explicit_dir) {
      err << "orcastra config check: more than one directory given\n\n" << kUsage;
      return 2;
    }
    request.explicit_dir = arg;
  }
  SettingsResult settings = SettingsFromEnv(env, request);
  LoadResult result = LoadConfig(settings.settings);
  std::vector<Diagnostic> diagnostics = settings.diagnostics;
  diagnostics.insert(diagnostics.end(), result.diagnostics.begin(), result.diagnostics.end());
  // The agents' modcache.yml, when there is one (agent/modcache/service.h reads it the same way).
  std::string modcache_path = settings.settings.paths.dir + "/modcache.yml";
  if (auto named = env("MOD_MANAGER_CONFIG"); !request.explicit_dir && named && !named->empty()) {
    modcache_path = *named;
  }
  bool read_modcache = false;
  if (std::ifstream in(modcache_path, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    ModcacheParse modcache = ParseModcacheYaml(text.str(), modcache_path);
    diagnostics.insert(diagnostics.end(), modcache.diagnostics.begin(), modcache.diagnostics.end());
    read_modcache = true;
  }
  for (const auto& d : diagnostics) out << FormatDiagnostic(d) << "\n";

  int errors = CountErrors(diagnostics);
  out << settings.settings.paths.dir << ": " << Plural(errors, "error") << ", "
      << Plural(CountWarnings(diagnostics), "warning");
  if (result.config && !result.config->files.empty()) {
    out << " (read";
    for (std::size_t i = 0; i < result.config->files.size(); ++i) {
      out << (i == 0 ? " " : ", ") << Basename(result.config->files[i]);
    }
    if (read_modcache) out << ", " << Basename(modcache_path);
    out << ")";
  }
  if (result.config) {
    const Config& config = *result.config;
    out << "; " << Plural(static_cast<int>(config.swarm.nodes.size()), "node") << ", "
        << Plural(static_cast<int>(config.swarm.dependencies.size()), "anchor") << ", "
        << Plural(static_cast<int>(config.swarm.DependentCount()), "dependent");
  }
  out << "\n";
  return errors > 0 ? 1 : 0;
}

}  // namespace

int RunConfigCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                     std::ostream& err) {
  if (args.empty()) {
    err << "orcastra config: missing subcommand\n\n" << kUsage;
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kUsage;
    return 0;
  }
  if (args[0] != "check") {
    err << "orcastra config: unknown subcommand '" << args[0] << "'\n\n" << kUsage;
    return 2;
  }
  return RunCheck({args.begin() + 1, args.end()}, env, out, err);
}

}  // namespace orcastra::config
