// What the CLI says when no leader instance answers (doc/cli.md "Errors and exit codes"): which
// address was tried and where it came from, whether the local Docker daemon is a Swarm manager,
// whether Orcastra's leader service is deployed, and how to point the CLI elsewhere.
// ExplainNoLeader is pure; LocalSwarmFacts asks the local daemon (DOCKER_HOST, short timeouts).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/docker_types.h"
#include "common/flags.h"
#include "common/status.h"

namespace orcastra::leader {

// What the local Docker daemon says, as far as it could be asked.
struct LocalSwarmFacts {
  std::string docker_host;  // the daemon asked (DOCKER_HOST or the default socket)
  Status docker;            // Ok when GET /info answered; why not otherwise
  std::string node_state;   // Swarm.LocalNodeState: inactive, pending, active, error, locked
  bool manager = false;     // Swarm.ControlAvailable
  std::string hostname;     // the daemon's
  std::vector<std::string> manager_addresses;  // Swarm.RemoteManagers' addresses (host part)
  Status services;                             // Ok when GET /services answered (managers only)
  // The leader services found (name ends in "leader" and the image or a stack label says
  // orcastra), "NAME (global|N replicas, IMAGE)".
  std::vector<std::string> leader_services;
};

// The facts from GET /info and (on a manager) GET /services; never fails: what could not be
// asked is recorded in `docker` / `services`.
LocalSwarmFacts ReadLocalSwarmFacts(const EnvLookup& env);

// The leader services among `services` (see LocalSwarmFacts::leader_services).
std::vector<std::string> FindLeaderServices(const std::vector<docker::Service>& services);

// The message for `command` (status, command, ...) when the request to `endpoint` failed with
// `failure`. `endpoint_source` says where the address came from ("--leader", "ORCASTRA_LEADER",
// "the default"). Lines: the failure; the local daemon; the stack; what to do.
std::string ExplainNoLeader(const std::string& endpoint, const std::string& endpoint_source,
                            const Status& failure, const LocalSwarmFacts& facts);

}  // namespace orcastra::leader
