// The rebalancing configuration (`rebalance_config.yml`): the Python Orcastra's keys plus the
// threshold, pressure, rate and dry-run settings the leader's rebalancer needs. Parsing is pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"

namespace orcastra::config {

// The settings that decide whether and how often a service moves. Every field has the default
// a file without it gets. Minutes may be fractional (0.25 is 15 s), for tests and quick setups.
struct RebalancePolicy {
  double cooldown_minutes = 15;        // after a move, before the same service moves again
  double sustained_high_minutes = 10;  // pressure must last this long before a move
  double memory_difference_gb = 2;     // minimum free-memory gain of the target over the source
  double threshold_percent = 85;       // memory use above which a node is under pressure
  double psi_threshold = 20;           // PSI memory "some avg10" (%) above which likewise
  int moves_per_hour = 4;              // cap on moves per hour; 0 stops moving
  bool dry_run = false;                // decide and report, never move

  bool operator==(const RebalancePolicy&) const = default;
};

// A per-service block: only the keys it sets override the default block.
struct RebalanceOverrides {
  std::optional<double> cooldown_minutes;
  std::optional<double> sustained_high_minutes;
  std::optional<double> memory_difference_gb;
  std::optional<double> threshold_percent;
  std::optional<double> psi_threshold;
  std::optional<int> moves_per_hour;
  std::optional<bool> dry_run;

  bool operator==(const RebalanceOverrides&) const = default;
};

struct RebalanceConfig {
  int comonitor_interval_seconds = 30;  // how often the rebalancer evaluates
  double global_cooldown_minutes = 10;  // between any two moves, cluster-wide
  RebalancePolicy defaults;             // the file's `default:` block
  std::map<std::string, RebalanceOverrides> services;

  // The default block with `service`'s overrides applied.
  RebalancePolicy PolicyFor(std::string_view service) const;

  bool operator==(const RebalanceConfig&) const = default;
};

struct RebalanceParse {
  std::optional<RebalanceConfig> config;  // present only when no diagnostic is an error
  std::vector<Diagnostic> diagnostics;
};

// Parses rebalance_config.yml. `node_exporter_nodes` and `node_map` are accepted with a warning
// (Orcastra's agents replace node_exporter). An empty file gives the defaults and a warning.
RebalanceParse ParseRebalanceYaml(std::string_view text, const std::string& file);

}  // namespace orcastra::config
