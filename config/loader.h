// Loading the whole configuration: which files exist, which form wins (swarm.yml over the split
// nodes.yml + dependencies.yml), parsing, and the environment's overrides. The decision is pure
// (LoadFromSources); ReadConfigSources is the only part that touches the filesystem.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"
#include "config/diagnostic.h"
#include "config/rebalance_config.h"
#include "config/settings.h"
#include "config/swarm_config.h"

namespace orcastra::config {

// Everything the agent and the leader need from configuration files and environment.
struct Config {
  Settings settings;
  SwarmConfig swarm;
  RebalanceConfig rebalance;       // with the REBALANCE_* overrides applied
  std::vector<std::string> files;  // the files the model was read from, in reading order

  bool operator==(const Config&) const = default;
};

struct LoadResult {
  std::optional<Config> config;         // present only when no diagnostic is an error
  std::vector<Diagnostic> diagnostics;  // every problem found, errors and warnings

  bool ok() const { return config.has_value(); }
};

struct SourceFile {
  std::string path;
  std::string text;

  bool operator==(const SourceFile&) const = default;
};

// The configuration files' contents as read; a file that does not exist is nullopt.
struct ConfigSources {
  ConfigPaths paths;
  bool dir_exists = true;
  std::optional<SourceFile> swarm;
  std::optional<SourceFile> nodes;
  std::optional<SourceFile> dependencies;
  std::optional<SourceFile> rebalance;
  std::vector<Diagnostic> read_errors;  // files that exist but could not be read
};

// Reads the files named by `paths`. Never fails: problems land in read_errors.
ConfigSources ReadConfigSources(const ConfigPaths& paths);

// Decides and parses. swarm.yml wins over nodes.yml + dependencies.yml (a warning says so when
// both forms exist); no swarm configuration at all is an error; a missing rebalance_config.yml
// means its defaults. Settings' overrides (PRUNE_UNKNOWN_LABELS, REBALANCE_*) are applied last.
LoadResult LoadFromSources(const ConfigSources& sources, const Settings& settings);

// ReadConfigSources(settings.paths) + LoadFromSources.
LoadResult LoadConfig(const Settings& settings);

// SettingsFromEnv + LoadConfig; the environment's diagnostics come first. An error in the
// environment refuses the configuration like an error in a file.
LoadResult LoadConfigFromEnv(const EnvLookup& env, const SettingsRequest& request = {});

}  // namespace orcastra::config
