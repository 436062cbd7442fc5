#include "config/loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace orcastra::config {
namespace {

// Larger files are refused before they are read; ParseYaml has its own, smaller limit.
constexpr std::uintmax_t kMaxReadBytes = 16 * 1024 * 1024;

std::optional<SourceFile> ReadSource(const std::string& path, std::vector<Diagnostic>* errors) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return std::nullopt;
  auto fail = [&](std::string message) {
    errors->push_back({Severity::kError, path, 0, 0, "", std::move(message)});
    return std::nullopt;
  };
  if (std::filesystem::is_directory(status)) return fail("is a directory, not a file");
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxReadBytes) {
    return fail("is larger than " + std::to_string(kMaxReadBytes) + " bytes; refusing to read it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(std::string("cannot read: ") + std::strerror(errno));
  return SourceFile{path, text.str()};
}

void ApplyEnv(const Settings& settings, Config* config) {
  if (settings.prune_unknown_labels) {
    config->swarm.options.prune_unknown_labels = *settings.prune_unknown_labels;
  }
  const RebalanceEnv& env = settings.rebalance;
  RebalanceConfig& r = config->rebalance;
  if (env.monitor_interval_seconds) r.comonitor_interval_seconds = *env.monitor_interval_seconds;
  if (env.global_cooldown_minutes) r.global_cooldown_minutes = *env.global_cooldown_minutes;
  if (env.threshold_percent) r.defaults.threshold_percent = *env.threshold_percent;
  if (env.sustained_high_minutes) r.defaults.sustained_high_minutes = *env.sustained_high_minutes;
  if (env.memory_difference_gb) r.defaults.memory_difference_gb = *env.memory_difference_gb;
  if (env.psi_threshold) r.defaults.psi_threshold = *env.psi_threshold;
  if (env.moves_per_hour) r.defaults.moves_per_hour = *env.moves_per_hour;
  if (env.dry_run) r.defaults.dry_run = *env.dry_run;
}

void Append(std::vector<Diagnostic>* to, const std::vector<Diagnostic>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

}  // namespace

ConfigSources ReadConfigSources(const ConfigPaths& paths) {
  ConfigSources sources;
  sources.paths = paths;
  sources.dir_exists = DirectoryExists(paths.dir);
  sources.swarm = ReadSource(paths.swarm_file, &sources.read_errors);
  sources.nodes = ReadSource(paths.nodes_file, &sources.read_errors);
  sources.dependencies = ReadSource(paths.dependencies_file, &sources.read_errors);
  sources.rebalance = ReadSource(paths.rebalance_file, &sources.read_errors);
  return sources;
}

LoadResult LoadFromSources(const ConfigSources& sources, const Settings& settings) {
  LoadResult result;
  std::vector<Diagnostic>& diagnostics = result.diagnostics;
  Append(&diagnostics, sources.read_errors);
  Config config;
  config.settings = settings;
  const ConfigPaths& paths = sources.paths;
  SwarmDefaults defaults{settings.restart_dependents, settings.stack_name};

  bool have_swarm = false;
  if (sources.swarm) {
    have_swarm = true;
    for (const auto* split : {&sources.nodes, &sources.dependencies}) {
      if (*split) {
        diagnostics.push_back({Severity::kWarning, (*split)->path, 0, 0, "",
                               "ignored: " + paths.swarm_file +
                                   " exists and takes precedence over the split nodes.yml + "
                                   "dependencies.yml form"});
      }
    }
    SwarmParse swarm = ParseSwarmYaml(sources.swarm->text, sources.swarm->path, defaults);
    Append(&diagnostics, swarm.diagnostics);
    if (swarm.config) config.swarm = std::move(*swarm.config);
    config.files.push_back(sources.swarm->path);
  } else if (sources.nodes || sources.dependencies) {
    have_swarm = true;
    std::optional<SplitFile> nodes;
    std::optional<SplitFile> dependencies;
    if (sources.nodes) {
      nodes = SplitFile{sources.nodes->path, sources.nodes->text};
      config.files.push_back(sources.nodes->path);
    } else {
      diagnostics.push_back({Severity::kWarning, paths.nodes_file, 0, 0, "",
                             "not found; no static nodes or labels are configured"});
    }
    if (sources.dependencies) {
      dependencies = SplitFile{sources.dependencies->path, sources.dependencies->text};
      config.files.push_back(sources.dependencies->path);
    } else {
      diagnostics.push_back({Severity::kWarning, paths.dependencies_file, 0, 0, "",
                             "not found; no anchors are configured"});
    }
    SwarmParse swarm = ParseSplitSwarmYaml(nodes, dependencies, defaults);
    Append(&diagnostics, swarm.diagnostics);
    if (swarm.config) config.swarm = std::move(*swarm.config);
  }
  if (!have_swarm && sources.read_errors.empty()) {
    std::string message =
        sources.dir_exists
            ? "no configuration file: expected " + paths.swarm_file + " (or " + paths.nodes_file +
                  " and " + paths.dependencies_file + ")"
            : "the configuration directory does not exist (expected " + paths.swarm_file + ")";
    diagnostics.push_back({Severity::kError, paths.dir, 0, 0, "", message});
  }

  if (sources.rebalance) {
    RebalanceParse rebalance = ParseRebalanceYaml(sources.rebalance->text, sources.rebalance->path);
    Append(&diagnostics, rebalance.diagnostics);
    if (rebalance.config) config.rebalance = std::move(*rebalance.config);
    config.files.push_back(sources.rebalance->path);
  }

  ApplyEnv(settings, &config);
  if (!HasErrors(diagnostics)) result.config = std::move(config);
  return result;
}

LoadResult LoadConfig(const Settings& settings) {
  return LoadFromSources(ReadConfigSources(settings.paths), settings);
}

LoadResult LoadConfigFromEnv(const EnvLookup& env, const SettingsRequest& request) {
  SettingsResult settings = SettingsFromEnv(env, request);
  LoadResult result = LoadConfig(settings.settings);
  result.diagnostics.insert(result.diagnostics.begin(), settings.diagnostics.begin(),
                            settings.diagnostics.end());
  if (HasErrors(settings.diagnostics)) result.config.reset();
  return result;
}

}  // namespace orcastra::config
