#include "leader/cli/diagnose.h"

#include "common/docker_client.h"

namespace orcastra::leader {

std::vector<std::string> FindLeaderServices(const std::vector<docker::Service>& services) {
  std::vector<std::string> found;
  for (const auto& service : services) {
    const std::string& name = service.name;
    const bool leader_name =
        name == "leader" || (name.size() > 7 && name.compare(name.size() - 7, 7, "_leader") == 0);
    if (!leader_name) continue;
    auto stack = service.labels.find("com.docker.stack.namespace");
    const bool orcastra =
        service.image.find("orcastra") != std::string::npos ||
        (stack != service.labels.end() && stack->second.find("orcastra") != std::string::npos);
    if (!orcastra) continue;
    std::string image = service.image.substr(0, service.image.find('@'));
    found.push_back(name + " (" +
                    (service.mode == "global" ? std::string("global")
                                              : std::to_string(service.replicas) + " replicas") +
                    ", " + image + ")");
  }
  return found;
}

LocalSwarmFacts ReadLocalSwarmFacts(const EnvLookup& env) {
  LocalSwarmFacts facts;
  std::string host = env("DOCKER_HOST").value_or("");
  facts.docker_host = host.empty() ? "unix:///var/run/docker.sock" : host;
  auto socket = docker::SocketPathFromHost(facts.docker_host);
  if (!socket.ok()) {
    facts.docker = socket.status();
    facts.services = facts.docker;
    return facts;
  }
  docker::ClientOptions options{.socket_path = *socket};
  options.request_timeout = std::chrono::seconds(3);
  options.connect_timeout = std::chrono::seconds(1);
  docker::Client client(options);
  auto info = client.Info();
  if (!info.ok()) {
    facts.docker = info.status();
    facts.services = facts.docker;
    return facts;
  }
  facts.node_state = info->swarm_local_node_state;
  facts.manager = info->swarm_control_available;
  facts.hostname = info->name;
  for (const auto& manager : info->swarm_remote_managers) {
    const auto colon = manager.addr.rfind(':');
    facts.manager_addresses.push_back(colon == std::string::npos ? manager.addr
                                                                 : manager.addr.substr(0, colon));
  }
  if (!facts.manager) {
    facts.services = Status::Unavailable("not a manager: it cannot list services");
    return facts;
  }
  auto services = client.Services();
  if (!services.ok()) {
    facts.services = services.status();
    return facts;
  }
  facts.leader_services = FindLeaderServices(*services);
  return facts;
}

std::string ExplainNoLeader(const std::string& endpoint, const std::string& endpoint_source,
                            const Status& failure, const LocalSwarmFacts& facts) {
  std::string out = "no leader instance answered at " + endpoint + " (" + endpoint_source +
                    "): " + failure.message() + "\n";
  std::string example = "tcp://MANAGER:7471";
  if (!facts.manager_addresses.empty()) example = "tcp://" + facts.manager_addresses[0] + ":7471";
  const std::string where = "the local Docker daemon (" + facts.docker_host + ")";
  bool stack_missing = false;
  if (!facts.docker.ok()) {
    out += "  - " + where + " could not be asked: " + facts.docker.message() +
           "; the CLI finds a leader by itself only on a Swarm manager\n";
  } else if (facts.node_state != "active") {
    out += "  - " + where + " is not in a swarm (state '" +
           (facts.node_state.empty() ? std::string("inactive") : facts.node_state) +
           "'): run the CLI on a manager of the swarm Orcastra runs in\n";
  } else if (!facts.manager) {
    out += "  - " + where + (facts.hostname.empty() ? "" : " on '" + facts.hostname + "'") +
           " is a Swarm worker, not a manager: leader instances run on managers only\n";
  } else {
    out += "  - " + where + (facts.hostname.empty() ? "" : " on '" + facts.hostname + "'") +
           " is a Swarm manager\n";
    if (!facts.services.ok()) {
      out += "  - the services could not be listed: " + facts.services.message() + "\n";
    } else if (facts.leader_services.empty()) {
      stack_missing = true;
      out +=
          "  - no Orcastra leader service is deployed in this swarm (no service named "
          "*_leader with an orcastra image or stack): deploy the stack (deploy/quickstart, or "
          "docker stack deploy -c deploy/stack.yml orcastra)\n";
    } else {
      out += "  - the leader service is deployed: ";
      for (std::size_t i = 0; i < facts.leader_services.size(); ++i) {
        out += (i == 0 ? "" : ", ") + facts.leader_services[i];
      }
      out +=
          "; its task on this manager may be starting or failing (docker service ps "
          "--no-trunc " +
          facts.leader_services[0].substr(0, facts.leader_services[0].find(' ')) +
          "), or it listens on another control port\n";
    }
  }
  if (!stack_missing) {
    out += "  - to ask another manager: --leader " + example + " or ORCASTRA_LEADER=" + example +
           " (doc/cli.md)";
  } else {
    out += "  - once it runs, every manager answers; to ask another swarm: --leader " + example +
           " or ORCASTRA_LEADER=" + example;
  }
  return out;
}

}  // namespace orcastra::leader
