// Settings from the environment: the Python Orcastra's variable names and defaults (STACK_NAME,
// EVENT_MODE, RELABEL_TIME, DRY_RUN, COMMAND_FILE, SWARM_FILE, REBALANCE_*, ...) plus
// ORCASTRA_CONFIG_DIR. Reading is pure given an EnvLookup and a directory test.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"
#include "config/diagnostic.h"

namespace orcastra::config {

inline constexpr char kDefaultConfigDir[] = "/etc/orcastra";
// Where the Python Orcastra's image kept its files; used when /etc/orcastra does not exist.
inline constexpr char kLegacyConfigDir[] = "/etc/swarm-orchestration";
// The `file` of diagnostics about environment variables.
inline constexpr char kEnvironmentFile[] = "environment";

// The configuration files, resolved to paths.
struct ConfigPaths {
  std::string dir;
  std::string swarm_file;         // SWARM_FILE, default DIR/swarm.yml
  std::string nodes_file;         // NODES_FILE, default DIR/nodes.yml
  std::string dependencies_file;  // DEPENDENCIES_FILE, default DIR/dependencies.yml
  std::string rebalance_file;     // REBALANCE_CONFIG, default DIR/rebalance_config.yml

  bool operator==(const ConfigPaths&) const = default;
};

// The paths of the files in `dir` under their default names.
ConfigPaths DefaultPaths(const std::string& dir);

// REBALANCE_* variables; each one set overrides the file's `default:` block.
struct RebalanceEnv {
  std::optional<int> monitor_interval_seconds;    // REBALANCE_MONITOR_INTERVAL_SECONDS
  std::optional<double> global_cooldown_minutes;  // REBALANCE_GLOBAL_COOLDOWN_MINUTES
  std::optional<double> threshold_percent;        // REBALANCE_GLOBAL_MEM_THRESHOLD_PERCENT
  std::optional<double> sustained_high_minutes;   // REBALANCE_SUSTAINED_HIGH_MINUTES
  std::optional<double> memory_difference_gb;     // REBALANCE_MEMORY_DIFFERENCE_GB
  std::optional<double> psi_threshold;            // REBALANCE_PSI_THRESHOLD
  std::optional<int> moves_per_hour;              // REBALANCE_MOVES_PER_HOUR
  std::optional<bool> dry_run;                    // REBALANCE_DRY_RUN

  bool operator==(const RebalanceEnv&) const = default;
};

struct Settings {
  ConfigPaths paths = DefaultPaths(kDefaultConfigDir);
  std::string stack_name = "swarm-dev";  // STACK_NAME: prefix of anchors without `stack`
  bool event_mode = true;                // EVENT_MODE: react to Docker events
  bool polling_mode = true;              // POLLING_MODE: reconcile every relabel_time
  std::chrono::milliseconds relabel_time = std::chrono::seconds(60);  // RELABEL_TIME, 1s..24h
  // LOOP_INTERVAL, 1s..24h: the reconcile period when POLLING_MODE is false.
  std::chrono::milliseconds loop_interval = std::chrono::seconds(300);
  bool dry_run = false;                      // DRY_RUN: every action class prints instead of acting
  bool restart_dependents = true;            // RESTART_DEPENDENTS: for anchors that do not say
  std::optional<bool> prune_unknown_labels;  // PRUNE_UNKNOWN_LABELS: overrides options
  std::string command_file = "/tmp/swarm-orchestration.command.yml";  // COMMAND_FILE
  // MAX_MISMATCH_DURATION, 10s..24h: a rebalancing move that has not landed by then is rolled back.
  std::chrono::milliseconds max_mismatch_duration = std::chrono::seconds(600);
  RebalanceEnv rebalance;

  bool operator==(const Settings&) const = default;
};

// Where the configuration directory comes from.
struct SettingsRequest {
  // A directory named on the command line (`--config DIR`, `config check DIR`). It wins over
  // ORCASTRA_CONFIG_DIR, and then SWARM_FILE, NODES_FILE, DEPENDENCIES_FILE and REBALANCE_CONFIG
  // are ignored (with a warning) so that exactly DIR is read.
  std::optional<std::string> explicit_dir;
  // Tells whether a directory exists; used only to fall back to kLegacyConfigDir.
  std::function<bool(const std::string&)> dir_exists;
};

struct SettingsResult {
  Settings settings;
  std::vector<Diagnostic> diagnostics;  // file "environment", field the variable's name
};

// Reads every variable. A value that cannot be used (RELABEL_TIME=abc, DRY_RUN=maybe) is an
// error naming the variable; the setting then keeps its default. An empty value counts as unset.
// Relative *_FILE paths are taken relative to the configuration directory. Variables of the Python
// Orcastra that Orcastra does not implement: RUN_ONCE=true is an error (the leader is an elected,
// long-running service: see doc/configuration.md). DEBUG is read by ChooseLogLevel (common/log.h).
SettingsResult SettingsFromEnv(const EnvLookup& env, const SettingsRequest& request = {});

// std::filesystem::is_directory without exceptions: the default SettingsRequest::dir_exists.
bool DirectoryExists(const std::string& path);

}  // namespace orcastra::config
