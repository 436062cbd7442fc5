// The Docker Engine client against a real daemon: the lab's single-node swarm (tests/integration/
// with_lab sets ORCASTRA_TEST_DOCKER_SOCKET and ORCASTRA_TEST_IMAGE). Every wait is bounded.
#include "common/docker_client.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

namespace orcastra::docker {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    FAIL(std::string(name) + " is not set; run through tests/integration/with_lab");
    return {};
  }
  return value;
}

ClientOptions LabOptions() { return {.socket_path = RequiredEnv("ORCASTRA_TEST_DOCKER_SOCKET")}; }

// Polls `condition` every 200 ms for up to `limit`.
template <typename F>
bool Eventually(F condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

// Creates a replicated service through the API and removes it when the test ends.
class ScopedService {
 public:
  ScopedService(Client& client, const std::string& name) : client_(client) {
    json spec = {{"Name", name},
                 {"Labels", {{"orcastra.test", "integration"}}},
                 {"TaskTemplate",
                  {{"ContainerSpec",
                    {{"Image", RequiredEnv("ORCASTRA_TEST_IMAGE")},
                     {"Command", {"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}}}}}},
                 {"Mode", {{"Replicated", {{"Replicas", 1}}}}}};
    auto response = client_.Call("POST", "/services/create", spec.dump());
    REQUIRE(response.ok());
    INFO(response->body);
    REQUIRE(response->http_status == 201);
    id_ = json::parse(response->body)["ID"].get<std::string>();
  }
  ~ScopedService() { (void)client_.Call("DELETE", "/services/" + id_); }
  const std::string& id() const { return id_; }

 private:
  Client& client_;
  std::string id_;
};

TEST_CASE("info describes the lab's manager node", "[integration][docker]") {
  Client client(LabOptions());
  auto info = client.Info();
  REQUIRE(info.ok());
  CHECK(info->name == "m1");
  CHECK_FALSE(info->swarm_node_id.empty());
  CHECK(info->swarm_local_node_state == "active");
  CHECK(info->swarm_control_available);
  REQUIRE(info->swarm_remote_managers.size() == 1);
  CHECK(info->swarm_remote_managers[0].addr == "198.51.100.11:2377");
}

TEST_CASE("nodes lists the single manager as leader", "[integration][docker]") {
  Client client(LabOptions());
  auto nodes = client.Nodes();
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 1);
  const Node& node = nodes->front();
  CHECK(node.hostname == "m1");
  CHECK(node.role == "manager");
  CHECK(node.state == "ready");
  CHECK(node.manager_leader);
  CHECK(node.version > 0);
  auto inspected = client.InspectNode(node.id);
  REQUIRE(inspected.ok());
  CHECK(inspected->id == node.id);
}

TEST_CASE("a service created through the API runs, and its task and container are visible",
          "[integration][docker]") {
  Client client(LabOptions());
  ScopedService service(client, "orcastra-it-run");
  auto services = client.Services();
  REQUIRE(services.ok());
  auto found = std::find_if(services->begin(), services->end(),
                            [&](const Service& s) { return s.id == service.id(); });
  REQUIRE(found != services->end());
  CHECK(found->name == "orcastra-it-run");
  CHECK(found->mode == "replicated");
  CHECK(found->replicas == 1);
  CHECK(found->labels.at("orcastra.test") == "integration");

  std::string container_id;
  REQUIRE(Eventually(
      [&] {
        auto tasks = client.Tasks({{"service", {service.id()}}, {"desired-state", {"running"}}});
        REQUIRE(tasks.ok());
        for (const auto& t : *tasks) {
          if (t.state == "running" && !t.container_id.empty()) container_id = t.container_id;
        }
        return !container_id.empty();
      },
      60s));
  auto containers = client.Containers(/*all=*/false);
  REQUIRE(containers.ok());
  CHECK(std::any_of(containers->begin(), containers->end(),
                    [&](const ContainerSummary& c) { return c.id == container_id; }));
  auto details = client.InspectContainer(container_id);
  REQUIRE(details.ok());
  CHECK(details->state == "running");
  CHECK(details->pid > 0);
  CHECK(details->service_id == service.id());
  CHECK(details->service_name == "orcastra-it-run");
  CHECK_FALSE(details->task_id.empty());
}

TEST_CASE("node update with the current version succeeds; with a stale one it is refused",
          "[integration][docker]") {
  Client client(LabOptions());
  auto nodes = client.Nodes();
  REQUIRE(nodes.ok());
  Node node = nodes->front();
  json spec = node.spec;
  spec["Labels"]["orcastra.test"] = "first";
  REQUIRE(client.UpdateNode(node.id, node.version, spec).ok());

  // The version we read is now stale: Swarm must refuse the write.
  spec["Labels"]["orcastra.test"] = "stale";
  Status stale = client.UpdateNode(node.id, node.version, spec);
  CHECK(stale.code() == Status::Code::kConflict);
  CHECK(stale.message().find("update out of sequence") != std::string::npos);

  auto after = client.InspectNode(node.id);
  REQUIRE(after.ok());
  CHECK(after->labels.at("orcastra.test") == "first");
  json cleanup = after->spec;
  cleanup["Labels"].erase("orcastra.test");
  CHECK(client.UpdateNode(node.id, after->version, cleanup).ok());
}

TEST_CASE("service update with a stale version is refused", "[integration][docker]") {
  Client client(LabOptions());
  ScopedService service(client, "orcastra-it-stale");
  auto services = client.Services();
  REQUIRE(services.ok());
  auto it = std::find_if(services->begin(), services->end(),
                         [&](const Service& s) { return s.id == service.id(); });
  REQUIRE(it != services->end());
  json spec = it->spec;
  spec["Labels"]["orcastra.test"] = "updated";
  REQUIRE(client.UpdateService(it->id, it->version, spec).ok());
  Status stale = client.UpdateService(it->id, it->version, spec);
  CHECK(stale.code() == Status::Code::kConflict);
}

TEST_CASE("errors carry Docker's status and message", "[integration][docker]") {
  Client client(LabOptions());
  auto missing = client.InspectContainer("orcastra-does-not-exist");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kNotFound);
  CHECK(missing.status().message().find("HTTP 404") != std::string::npos);
  CHECK(missing.status().message().find("No such container") != std::string::npos);

  Client nowhere({.socket_path = "/nonexistent/docker.sock"});
  auto info = nowhere.Info();
  REQUIRE_FALSE(info.ok());
  CHECK(info.status().code() == Status::Code::kUnavailable);
  CHECK(info.status().message().find("/nonexistent/docker.sock") != std::string::npos);
}

TEST_CASE("the event stream delivers a node event and stops on request", "[integration][docker]") {
  Client client(LabOptions());
  auto nodes = client.Nodes();
  REQUIRE(nodes.ok());
  const Node node = nodes->front();

  std::atomic<int> node_updates{0};
  std::stop_source stop;
  Status stream_result = Status::Internal("not finished");
  std::thread streamer([&] {
    Client stream_client(LabOptions());
    stream_result = stream_client.StreamEvents(
        {{"type", {"node"}}},
        [&](const Event& e) {
          if (e.type == "node" && e.actor_id == node.id && e.action == "update") ++node_updates;
        },
        stop.get_token());
  });
  // Give the stream a moment to subscribe, then make an event.
  std::this_thread::sleep_for(500ms);
  json spec = node.spec;
  spec["Labels"]["orcastra.test.event"] = "1";
  REQUIRE(client.UpdateNode(node.id, node.version, spec).ok());
  bool seen = Eventually([&] { return node_updates.load() > 0; }, 10s);

  auto stop_requested_at = std::chrono::steady_clock::now();
  stop.request_stop();
  streamer.join();
  auto stop_latency = std::chrono::steady_clock::now() - stop_requested_at;
  CHECK(seen);
  CHECK(stream_result.ok());
  CHECK(stop_latency < 3s);

  auto after = client.InspectNode(node.id);
  REQUIRE(after.ok());
  json cleanup = after->spec;
  cleanup["Labels"].erase("orcastra.test.event");
  CHECK(client.UpdateNode(node.id, after->version, cleanup).ok());
}

}  // namespace
}  // namespace orcastra::docker
