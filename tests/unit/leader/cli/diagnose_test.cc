// The CLI's errors when no leader answers (issue 13): each names the address tried and where it
// came from, says what the local daemon is and whether the stack is deployed, and how to point
// elsewhere; and the CLI's exit codes for them.
#include "leader/cli/diagnose.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "leader/cli/cli.h"

namespace orcastra::leader {
namespace {

const Status kTimeout = Status::Timeout("no answer from tcp://127.0.0.1:7471 within 5000 ms");

LocalSwarmFacts Manager(std::vector<std::string> leader_services) {
  LocalSwarmFacts facts;
  facts.docker_host = "unix:///var/run/docker.sock";
  facts.node_state = "active";
  facts.manager = true;
  facts.hostname = "m2";
  facts.manager_addresses = {"198.51.100.11", "198.51.100.12"};
  facts.leader_services = std::move(leader_services);
  return facts;
}

TEST_CASE("cli errors: the stack is not deployed", "[leader][cli][errors]") {
  std::string text = ExplainNoLeader("tcp://127.0.0.1:7471", "the default", kTimeout, Manager({}));
  CHECK_THAT(text, Catch::StartsWith("no leader instance answered at tcp://127.0.0.1:7471 (the "
                                     "default): no answer"));
  CHECK_THAT(text, Catch::Contains("on 'm2' is a Swarm manager"));
  CHECK_THAT(text, Catch::Contains("no Orcastra leader service is deployed"));
  CHECK_THAT(text, Catch::Contains("docker stack deploy -c deploy/stack.yml orcastra"));
  CHECK_THAT(text, Catch::Contains("--leader tcp://198.51.100.11:7471") &&
                       Catch::Contains("ORCASTRA_LEADER="));
}

TEST_CASE("cli errors: the stack is deployed but this manager's instance does not answer",
          "[leader][cli][errors]") {
  std::string text = ExplainNoLeader("tcp://127.0.0.1:7471", "ORCASTRA_LEADER", kTimeout,
                                     Manager({"orcastra_leader (global, orcastra/orcastra:dev)"}));
  CHECK_THAT(text, Catch::Contains("(ORCASTRA_LEADER)"));
  CHECK_THAT(text, Catch::Contains("the leader service is deployed: orcastra_leader (global"));
  CHECK_THAT(text, Catch::Contains("docker service ps --no-trunc orcastra_leader"));
  CHECK_THAT(text, Catch::Contains("--leader tcp://198.51.100.11:7471"));
}

TEST_CASE("cli errors: a worker, a node outside any swarm, no daemon", "[leader][cli][errors]") {
  LocalSwarmFacts worker = Manager({});
  worker.manager = false;
  worker.hostname = "w1";
  CHECK_THAT(ExplainNoLeader("tcp://127.0.0.1:7471", "the default", kTimeout, worker),
             Catch::Contains("on 'w1' is a Swarm worker, not a manager"));
  LocalSwarmFacts outside;
  outside.docker_host = "unix:///var/run/docker.sock";
  outside.node_state = "inactive";
  std::string text = ExplainNoLeader("tcp://127.0.0.1:7471", "the default", kTimeout, outside);
  CHECK_THAT(text, Catch::Contains("is not in a swarm (state 'inactive')"));
  CHECK_THAT(text, Catch::Contains("--leader tcp://MANAGER:7471"));
  LocalSwarmFacts none;
  none.docker_host = "unix:///nonexistent.sock";
  none.docker = Status::Unavailable("cannot connect");
  CHECK_THAT(ExplainNoLeader("tcp://10.0.0.1:7471", "--leader", kTimeout, none),
             Catch::Contains("(unix:///nonexistent.sock) could not be asked: cannot connect"));
}

TEST_CASE("cli errors: which services are Orcastra's leader", "[leader][cli][errors]") {
  docker::Service leader;
  leader.name = "orcastra_leader";
  leader.mode = "global";
  leader.image = "198.51.100.1:5000/orcastra/orcastra:dev-1@sha256:abc";
  docker::Service other_leader;  // someone else's "leader"
  other_leader.name = "db_leader";
  other_leader.image = "postgres:16";
  docker::Service stack_label;
  stack_label.name = "ops_leader";
  stack_label.mode = "replicated";
  stack_label.replicas = 3;
  stack_label.image = "registry/x:1";
  stack_label.labels["com.docker.stack.namespace"] = "orcastra-prod";
  docker::Service agent;
  agent.name = "orcastra_agent";
  agent.image = "orcastra/orcastra:dev";
  auto found = FindLeaderServices({leader, other_leader, stack_label, agent});
  REQUIRE(found.size() == 2);
  CHECK(found[0] == "orcastra_leader (global, 198.51.100.1:5000/orcastra/orcastra:dev-1)");
  CHECK(found[1] == "ops_leader (3 replicas, registry/x:1)");
}

TEST_CASE("cli errors: no leader at the address is exit 1 with the explanation",
          "[leader][cli][errors]") {
  // Nothing listens on this port; no daemon behind this DOCKER_HOST.
  std::map<std::string, std::string> vars = {{"ORCASTRA_INSECURE", "true"},
                                             {"DOCKER_HOST", "unix:///nonexistent/docker.sock"}};
  EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::ostringstream out, err;
  const int rc = RunConfigStoreCommand(
      "show", {"--leader", "tcp://127.0.0.1:1", "--timeout", "200ms"}, env, out, err);
  CHECK(rc == 1);
  CHECK_THAT(err.str(), Catch::Contains("no leader instance answered at tcp://127.0.0.1:1 "
                                        "(--leader)") &&
                            Catch::Contains("unix:///nonexistent/docker.sock"));
  // Usage errors are 2.
  std::ostringstream out2, err2;
  CHECK(RunConfigStoreCommand("show", {"extra"}, env, out2, err2) == 2);
  CHECK(RunConfigStoreCommand("apply", {"--bogus"}, env, out2, err2) == 2);
}

TEST_CASE("cli: answers name the instance that ran them", "[leader][cli]") {
  using nlohmann::json;
  CHECK(RanOn(json::parse(R"({"instance": {"hostname": "m1", "active": true},
                               "forwarded_by": "m2"})")) ==
        "'m1' (the active instance), forwarded by 'm2'");
  CHECK(RanOn(json::parse(R"({"instance": {"node_id": "abc", "active": false}})")) ==
        "'abc' (a standby)");
  CHECK(RanOn(json::parse("[1, 2]")) == "'an unnamed instance' (a standby)");
}

TEST_CASE("cli: config show says the source, version, key and instance", "[leader][cli]") {
  using nlohmann::json;
  json show = json::parse(R"j({"source": "swarm", "dir": "/etc/orcastra", "files_present": true,
      "version": {"number": 3, "name": "orcastra-config-v3", "applied_at_ms": 1700000000000,
                  "applied_by": "alice", "applied_by_key": "KEY", "via": "m1 (id1)"},
      "files": ["orcastra-config-v3/swarm.yml"], "refused_versions": [4],
      "instance": {"hostname": "m2", "active": false}})j");
  std::string text = RenderConfigShow(show);
  CHECK_THAT(text, Catch::Contains("Source:      Swarm, orcastra-config-v3 (the files of "
                                   "/etc/orcastra are ignored while it is in force)"));
  CHECK_THAT(text, Catch::Contains("Version:     3, applied 2023-11-14 22:13:20 UTC by 'alice' "
                                   "(public key KEY), stored by m1 (id1)"));
  CHECK_THAT(text, Catch::Contains("Refused:     stored version(s) 4"));
  CHECK_THAT(text, Catch::Contains("Answered by: m2 (standby)"));
  CHECK_THAT(RenderConfigShow(json::parse(R"({"source": "files", "dir": "/etc/orcastra"})")),
             Catch::Contains("the files of /etc/orcastra (no configuration is stored in Swarm)"));
  // A time no clock can hold is shown as a number, never converted.
  show["version"]["applied_at_ms"] = 9000000000000000000LL;
  CHECK_THAT(RenderConfigShow(show), Catch::Contains("9000000000000000000 ms since the epoch"));
}

}  // namespace
}  // namespace orcastra::leader
