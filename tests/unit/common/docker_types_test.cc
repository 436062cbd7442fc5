// Docker JSON decoding on responses recorded from a real daemon (Docker 20.10, API 1.41) on the lab
// (tests/fixtures/docker/README.md says how they were recorded), plus hand-broken variants.
#include "common/docker_types.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace orcastra::docker {
namespace {

using nlohmann::json;

json Fixture(const std::string& name) {
  std::ifstream in(std::string(ORCASTRA_FIXTURES_DIR) + "/docker/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

TEST_CASE("docker: /info of a manager", "[docker][decode]") {
  auto info = DecodeSystemInfo(Fixture("info_manager.json"));
  REQUIRE(info.ok());
  CHECK(info->name == "m1");
  CHECK(info->server_version == "20.10.24+dfsg1");
  CHECK(info->cgroup_version == "1");
  CHECK(info->mem_total_bytes == 25276510208);
  CHECK(info->swarm_node_id == "9smoefo5u5ba840uwaq7ajt5t");
  CHECK(info->swarm_node_addr == "198.51.100.11");
  CHECK(info->swarm_local_node_state == "active");
  CHECK(info->swarm_control_available);
  REQUIRE(info->swarm_remote_managers.size() == 3);
  CHECK(info->swarm_remote_managers[1].addr == "198.51.100.12:2377");
}

TEST_CASE("docker: /info of a worker", "[docker][decode]") {
  auto info = DecodeSystemInfo(Fixture("info_worker.json"));
  REQUIRE(info.ok());
  CHECK(info->name == "w1");
  CHECK_FALSE(info->swarm_control_available);
  CHECK(info->swarm_remote_managers.size() == 3);
}

TEST_CASE("docker: /info outside a swarm has no managers", "[docker][decode]") {
  json j = Fixture("info_worker.json");
  j["Swarm"] = {{"NodeID", ""}, {"LocalNodeState", "inactive"}, {"RemoteManagers", nullptr}};
  auto info = DecodeSystemInfo(j);
  REQUIRE(info.ok());
  CHECK(info->swarm_node_id.empty());
  CHECK(info->swarm_remote_managers.empty());
}

TEST_CASE("docker: /nodes of a 3+2 swarm", "[docker][decode]") {
  auto nodes = DecodeList(Fixture("nodes.json"), DecodeNode, "nodes");
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 5);
  const Node& m1 = nodes->at(1);
  CHECK(m1.id == "9smoefo5u5ba840uwaq7ajt5t");
  CHECK(m1.hostname == "m1");
  CHECK(m1.role == "manager");
  CHECK(m1.state == "ready");
  CHECK(m1.availability == "active");
  CHECK(m1.version == 9);
  CHECK(m1.manager_leader);
  CHECK(m1.manager_reachability == "reachable");
  CHECK(m1.manager_addr == "198.51.100.11:2377");
  CHECK(m1.engine_labels.at("orclab.node") == "m1");
  CHECK(m1.spec.is_object());
  CHECK(m1.spec["Role"] == "manager");
  const Node& w1 = nodes->at(0);
  CHECK(w1.hostname == "w1");
  CHECK(w1.role == "worker");
  CHECK_FALSE(w1.manager_leader);
  CHECK(w1.manager_addr.empty());
  CHECK(w1.version == 31);
}

TEST_CASE("docker: a bad element fails the whole list, naming the element and field",
          "[docker][decode][safety]") {
  json j = Fixture("nodes.json");
  j[2]["Status"]["State"] = 7;
  auto nodes = DecodeList(j, DecodeNode, "docker GET /nodes");
  REQUIRE_FALSE(nodes.ok());
  CHECK(nodes.status().code() == Status::Code::kParseError);
  CHECK(nodes.status().message() ==
        "docker GET /nodes[2]: node 'rd4u5jq7ekga': field '/Status/State' is not a string");

  j = Fixture("nodes.json");
  j[0]["Version"].erase("Index");
  auto missing = DecodeList(j, DecodeNode, "nodes");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() ==
        "nodes[0]: node '7dtc955efifn': field '/Version/Index' is missing");

  CHECK(DecodeList(json::object(), DecodeNode, "nodes").status().message() ==
        "nodes: expected a JSON array");
  CHECK(DecodeNode(json("text")).status().message() == "node: expected a JSON object");
}

TEST_CASE("docker: labels must be strings", "[docker][decode]") {
  json j = Fixture("nodes.json")[0];
  j["Spec"]["Labels"] = {{"a", 1}};
  CHECK(DecodeNode(j).status().message() ==
        "node '7dtc955efifn': field '/Spec/Labels/a' is not a string");
}

TEST_CASE("docker: services, tasks and containers", "[docker][decode]") {
  auto services = DecodeList(Fixture("services.json"), DecodeService, "services");
  REQUIRE(services.ok());
  REQUIRE_FALSE(services->empty());
  bool saw_replicated = false, saw_global = false;
  for (const auto& s : *services) {
    CHECK_FALSE(s.id.empty());
    CHECK(s.version > 0);
    CHECK(s.spec.is_object());
    if (s.mode == "replicated") saw_replicated = true;
    if (s.mode == "global") saw_global = true;
  }
  CHECK(saw_replicated);
  CHECK(saw_global);
  const Service& web = services->at(1);
  CHECK(web.name == "web");
  CHECK(web.replicas == 2);
  CHECK(web.version == 48);
  CHECK(web.labels.at("tier") == "front");
  CHECK(web.constraints == std::vector<std::string>{"node.role==worker"});
  CHECK(web.image.rfind("198.51.100.1:5000/lab/busybox:1", 0) == 0);
  CHECK(web.previous_spec.is_null());

  auto tasks = DecodeList(Fixture("tasks.json"), DecodeTask, "tasks");
  REQUIRE(tasks.ok());
  REQUIRE_FALSE(tasks->empty());
  for (const auto& t : *tasks) {
    CHECK_FALSE(t.service_id.empty());
    CHECK_FALSE(t.state.empty());
  }

  auto containers = DecodeList(Fixture("containers.json"), DecodeContainerSummary, "containers");
  REQUIRE(containers.ok());
  REQUIRE_FALSE(containers->empty());
  CHECK(containers->front().name.front() != '/');

  auto details = DecodeContainerDetails(Fixture("container_inspect.json"));
  REQUIRE(details.ok());
  CHECK(details->state == "running");
  CHECK(details->pid > 0);
  CHECK_FALSE(details->service_id.empty());
  CHECK_FALSE(details->service_name.empty());
  CHECK_FALSE(details->task_id.empty());
  CHECK(details->name == "orcastra_agent.9smoefo5u5ba840uwaq7ajt5t.7ro9vrvxs37zpg4xpx5na1fai");
  CHECK(details->service_name == "orcastra_agent");
  CHECK(details->pid == 352);
  CHECK(details->health.empty());
}

TEST_CASE("docker: health, OOM and restarts of an inspected container", "[docker][decode]") {
  json j = Fixture("container_inspect.json");
  j["State"]["Health"] = {{"Status", "unhealthy"}, {"FailingStreak", 3}};
  j["State"]["OOMKilled"] = true;
  j["State"]["ExitCode"] = 137;
  j["RestartCount"] = 4;
  auto details = DecodeContainerDetails(j);
  REQUIRE(details.ok());
  CHECK(details->health == "unhealthy");
  CHECK(details->oom_killed);
  CHECK(details->exit_code == 137);
  CHECK(details->restart_count == 4);
}

TEST_CASE("docker: events", "[docker][decode]") {
  json j = {{"Type", "container"},
            {"Action", "health_status: unhealthy"},
            {"Actor", {{"ID", "abc"}, {"Attributes", {{"name", "web"}, {"image", "x"}}}}},
            {"scope", "local"},
            {"time", 1700000000},
            {"timeNano", 1700000000123456789}};
  auto event = DecodeEvent(j);
  REQUIRE(event.ok());
  CHECK(event->type == "container");
  CHECK(event->action == "health_status: unhealthy");
  CHECK(event->actor_id == "abc");
  CHECK(event->actor_attributes.at("name") == "web");
  CHECK(event->time_nano == 1700000000123456789);
  j.erase("Action");
  CHECK(DecodeEvent(j).status().message() == "event: field '/Action' is missing");
}

}  // namespace
}  // namespace orcastra::docker
