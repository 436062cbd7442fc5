// What Swarm's scheduler asks of a node before it places a service's task there, read from the
// service's spec and checked the way swarmkit checks it (manager/constraint/constraint.go,
// manager/scheduler/filter.go), so the rebalancer only ever names a target Swarm would accept:
// placement constraints, platforms, resource reservations, max replicas per node and ports
// published in host mode. Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/docker_types.h"

namespace orcastra::leader {

// One placement constraint, "KEY==VALUE" or "KEY!=VALUE".
struct PlacementConstraint {
  std::string key;    // as written (node.labels.KEY keeps its case: label keys are case-sensitive)
  bool equal = true;  // == (true) or != (false)
  std::string value;
  bool operator==(const PlacementConstraint&) const = default;
};

// Parses `text` as swarmkit does: the first of "==", "!=" found splits it; key and value are
// trimmed; the key is [A-Za-z_][A-Za-z0-9_.-]+ and the value is letters, digits, spaces and
// :-_.*()?+[]\^$|/. nullopt for what swarmkit refuses (Swarm would not have accepted the spec).
std::optional<PlacementConstraint> ParseConstraint(std::string_view text);

// Whether `node` satisfies `constraint` (swarmkit's NodeMatches for one constraint): values
// compare case-insensitively; node.id, node.hostname, node.role, node.platform.os,
// node.platform.arch, node.ip (an address or a CIDR), node.labels.KEY and engine.labels.KEY (a
// missing label is ""); any other key never matches.
bool NodeMatches(const PlacementConstraint& constraint, const docker::Node& node);

// A constraint that names one node (node.id==, node.hostname== or node.ip== an address): the
// service is pinned there by its owner, and the rebalancer never moves it.
bool IsPin(const PlacementConstraint& constraint);

// What the scheduler checks besides constraints, from a service's Spec.
struct PlacementNeeds {
  std::vector<std::string> constraints;   // TaskTemplate.Placement.Constraints
  std::int64_t reserve_memory_bytes = 0;  // TaskTemplate.Resources.Reservations.MemoryBytes
  std::int64_t reserve_nano_cpus = 0;     // ...Reservations.NanoCPUs
  bool reserves_generic = false;          // ...Reservations.GenericResources not empty
  std::vector<std::pair<std::string, std::string>> platforms;  // {os, architecture}; "" = any
  std::uint64_t max_replicas = 0;                              // per node; 0 = no limit
  std::vector<std::string> host_ports;  // "tcp/8080" for each port published in host mode
};
PlacementNeeds PlacementNeedsOf(const nlohmann::json& spec);

// swarmkit's PlatformFilter: no platforms listed, or one whose os and architecture (x86_64 =
// amd64, aarch64 = arm64; "" = any) are the node's.
bool PlatformMatches(const PlacementNeeds& needs, const docker::Node& node);

// The service's owner opted it out: the label `orcastra.rebalance` is false (false, no, off or 0,
// any case) on the service (deploy.labels) or on its containers (a stack's `labels:`).
bool OptedOut(const docker::Service& service);

}  // namespace orcastra::leader
