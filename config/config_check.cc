#include "config/config_check.h"

#include <fstream>
#include <sstream>

#include "common/docker_client.h"
#include "common/strings.h"
#include "config/dependent_constraints.h"
#include "config/diagnostic.h"
#include "config/loader.h"
#include "config/modcache_config.h"
#include "config/settings.h"

namespace orcastra::config {
namespace {

constexpr char kUsage[] = R"(usage: orcastra config check [DIR]

Validates swarm.yml (or nodes.yml + dependencies.yml), rebalance_config.yml, modcache.yml (when
present; MOD_MANAGER_CONFIG names another file) and the environment variables, and prints every
problem as FILE:LINE:COLUMN: error|warning: FIELD: MESSAGE.
When the files are valid, it also reads the services from the Docker daemon of DOCKER_HOST (a
manager) and warns about every dependent that lacks its anchor's placement constraint while
manage_constraints is false; when no manager answers, it says so and does not fail for it.
DIR defaults to ORCASTRA_CONFIG_DIR, else /etc/orcastra. With DIR, SWARM_FILE, NODES_FILE,
DEPENDENCIES_FILE and REBALANCE_CONFIG are ignored.
When configuration versions are stored in Swarm (`orcastra config apply`), it warns that the
leaders use the stored one and ignore DIR (doc/config-store.md).
`orcastra config apply|show|diff` store the configuration in Swarm (see `orcastra config apply
--help`).
Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error.
)";

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string Basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The file that holds the dependencies: dependencies.yml when the split form was read.
std::string DependenciesFile(const Config& config, const ConfigPaths& paths) {
  for (const auto& file : config.files) {
    if (file == paths.dependencies_file) return file;
  }
  return paths.swarm_file;
}

// Warnings about dependents that cannot follow their anchor, or a note that they were not checked.
std::vector<Diagnostic> CheckConstraints(const Config& config, const Settings& settings,
                                         const ServiceReader& read_services, std::string* note) {
  std::vector<Diagnostic> out;
  if (config.swarm.DependentCount() == 0) return out;
  Result<std::vector<docker::Service>> services =
      read_services
          ? read_services()
          : Result<std::vector<docker::Service>>(Status::Unavailable("no Docker daemon to ask"));
  if (!services.ok()) {
    *note =
        "note: the dependents' placement constraints were not checked (the services could "
        "not be read from a manager's Docker daemon: " +
        services.status().ToString() + ")";
    return out;
  }
  const std::string file = DependenciesFile(config, settings.paths);
  for (const auto& found :
       FindUnfollowableDependents(config.swarm, settings.stack_name, *services)) {
    out.push_back({Severity::kWarning, file, 0, 0, "dependencies." + found.anchor + ".services",
                   found.message});
  }
  return out;
}

// A warning when configuration versions are stored in Swarm: they win over the directory.
std::optional<Diagnostic> StoredVersionsWarning(const std::string& dir,
                                                const StoredVersionReader& stored) {
  if (!stored) return std::nullopt;
  auto names = stored();
  if (!names.ok() || names->empty()) return std::nullopt;
  std::string newest;
  std::uint64_t newest_number = 0;
  const std::string prefix = "orcastra-config-v";
  for (const auto& name : *names) {
    if (name.rfind(prefix, 0) != 0) continue;
    auto number = ParseDecimal(std::string_view(name).substr(prefix.size()));
    if (number && *number >= newest_number) {
      newest_number = *number;
      newest = name;
    }
  }
  return Diagnostic{Severity::kWarning,
                    dir,
                    0,
                    0,
                    "",
                    std::to_string(names->size()) +
                        " configuration version(s) are stored in Swarm (newest " +
                        (newest.empty() ? std::string("?") : newest) +
                        "): the leaders use the stored one and ignore this directory; `orcastra "
                        "config diff` shows the difference, `orcastra config apply` stores it"};
}

int RunCheck(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
             std::ostream& err, const ServiceReader& read_services,
             const StoredVersionReader& stored) {
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
  if (auto warning = StoredVersionsWarning(settings.settings.paths.dir, stored)) {
    diagnostics.push_back(*warning);
  }
  std::string note;
  if (result.config && !HasErrors(diagnostics)) {
    auto constraints = CheckConstraints(*result.config, settings.settings, read_services, &note);
    diagnostics.insert(diagnostics.end(), constraints.begin(), constraints.end());
  }
  for (const auto& d : diagnostics) out << FormatDiagnostic(d) << "\n";
  if (!note.empty()) out << note << "\n";

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

// The local daemon (DOCKER_HOST, else Docker's socket), with short timeouts: config check is a
// command an operator waits for.
Result<docker::ClientOptions> LocalDaemonOptions(const EnvLookup& env) {
  std::string host = env("DOCKER_HOST").value_or("");
  auto socket = docker::SocketPathFromHost(host.empty() ? "unix:///var/run/docker.sock" : host);
  if (!socket.ok()) return socket.status();
  docker::ClientOptions options{.socket_path = *socket};
  options.request_timeout = std::chrono::seconds(5);
  options.connect_timeout = std::chrono::seconds(2);
  return options;
}

}  // namespace

ServiceReader DockerServiceReader(const EnvLookup& env) {
  return [env]() -> Result<std::vector<docker::Service>> {
    auto options = LocalDaemonOptions(env);
    if (!options.ok()) return options.status();
    docker::Client client(*options);
    return client.Services();
  };
}

StoredVersionReader DockerStoredVersionReader(const EnvLookup& env) {
  return [env]() -> Result<std::vector<std::string>> {
    auto options = LocalDaemonOptions(env);
    if (!options.ok()) return options.status();
    docker::Client client(*options);
    nlohmann::json filters = {{"label", {kStoredVersionLabel}}};
    auto configs = client.GetJson("/configs?filters=" + docker::UrlEncode(filters.dump()));
    if (!configs.ok()) return configs.status();
    std::vector<std::string> names;
    if (!configs->is_array()) return names;
    for (const auto& config : *configs) {
      if (config.is_object() && config.contains("Spec") && config["Spec"].is_object() &&
          config["Spec"].contains("Name") && config["Spec"]["Name"].is_string()) {
        names.push_back(config["Spec"]["Name"].get<std::string>());
      }
    }
    return names;
  };
}

int RunConfigCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                     std::ostream& err, const ServiceReader& services,
                     const StoredVersionReader& stored) {
  if (args.empty()) {
    err << "orcastra config: missing subcommand\n\n" << kUsage;
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kUsage;
    return 0;
  }
  if (args[0] != "check") {  // apply, show and diff: leader/cli (main.cc)
    err << "orcastra config: unknown subcommand '" << args[0] << "'\n\n" << kUsage;
    return 2;
  }
  return RunCheck({args.begin() + 1, args.end()}, env, out, err, services, stored);
}

}  // namespace orcastra::config
