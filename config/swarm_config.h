// The swarm configuration: static node inventory and labels, anchors and their dependents.
//
// Read from `swarm.yml`, or from the older split pair `nodes.yml` + `dependencies.yml` (same
// model). Parsing is pure: text in, model and diagnostics out.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"

namespace orcastra::config {

enum class NodeRole { kManager, kWorker };

// "manager" or "worker", as written in swarm.yml.
std::string_view NodeRoleName(NodeRole role);

// One expected node, keyed by its hostname.
struct NodeSpec {
  std::string hostname;
  std::optional<std::string> ip;
  // Static labels as written. A bare label `zfs` means zfs=true (Orcastra's convention);
  // `zone=eu` means zone=eu.
  std::vector<std::string> labels;
  std::optional<NodeRole> role;

  // The labels as key -> value.
  std::map<std::string, std::string> LabelMap() const;

  bool operator==(const NodeSpec&) const = default;
};

struct SwarmOptions {
  bool prune_unknown_labels = false;

  bool operator==(const SwarmOptions&) const = default;
};

// The backoff schedule of the Python Orcastra (core/constants.py DEFAULT_RETRY_INTERVALS).
inline const std::vector<std::chrono::seconds> kDefaultRetryIntervals = {
    std::chrono::seconds(2), std::chrono::seconds(10), std::chrono::seconds(60),
    std::chrono::seconds(300), std::chrono::seconds(900)};

// A service whose node its dependents must share.
struct Anchor {
  std::string name;                  // service name without the stack prefix
  std::optional<std::string> stack;  // when absent: STACK_NAME
  bool restart_dependents = true;
  std::vector<std::chrono::seconds> retry_intervals = kDefaultRetryIntervals;
  std::vector<std::string> services;  // dependents, without the stack prefix
  bool manage_constraints = false;    // the leader adds node.labels.<label>==true itself
  bool list_form = false;             // written as `ANCHOR: [dep, ...]`

  bool operator==(const Anchor&) const = default;
};

struct SwarmConfig {
  std::map<std::string, NodeSpec> nodes;  // hostname -> node
  SwarmOptions options;
  std::vector<Anchor> dependencies;  // in file order
  std::optional<int> managers;       // desired manager count (odd); absent: leave it alone
  std::string anchor_label = "{anchor}";
  // Accepted for compatibility with the Python Orcastra; Orcastra does not use them.
  std::optional<std::string> leader;
  std::optional<std::string> advertise_addr;

  const Anchor* FindAnchor(std::string_view name) const;
  // The node label key that marks the node of `anchor` (anchor_label with {anchor} replaced).
  std::string AnchorLabelKey(std::string_view anchor) const;
  // The number of dependents over all anchors.
  std::size_t DependentCount() const;

  bool operator==(const SwarmConfig&) const = default;
};

// The full service name of `name` in `stack` ("" stack: the name itself): Swarm's
// <stack>_<service> of `docker stack deploy`.
std::string FullServiceName(const std::string& stack, const std::string& name);

// The constraint a dependent of an anchor labelled `label_key` carries: node.labels.KEY==true.
std::string AnchorConstraint(const std::string& label_key);
// True when `constraints` contain that constraint (spaces around the operator ignored).
bool HasAnchorConstraint(const std::vector<std::string>& constraints, const std::string& label_key);

// What the environment decides for values a file leaves out.
struct SwarmDefaults {
  bool restart_dependents = true;           // RESTART_DEPENDENTS
  std::string default_stack = "swarm-dev";  // STACK_NAME, for anchors without `stack`
};

// A parsed file set: the model is present only when no diagnostic is an error.
struct SwarmParse {
  std::optional<SwarmConfig> config;
  std::vector<Diagnostic> diagnostics;
};

// Parses swarm.yml (`text` is its content, `file` names it in diagnostics).
SwarmParse ParseSwarmYaml(std::string_view text, const std::string& file,
                          const SwarmDefaults& defaults = {});

// Parses the older split form. Either file may be absent (nullopt): its part of the model stays
// empty.
struct SplitFile {
  std::string file;
  std::string text;
};
SwarmParse ParseSplitSwarmYaml(const std::optional<SplitFile>& nodes_yml,
                               const std::optional<SplitFile>& dependencies_yml,
                               const SwarmDefaults& defaults = {});

}  // namespace orcastra::config
