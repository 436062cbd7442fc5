// Autoheal against a real daemon (the lab's m1): a labelled container whose health check always
// fails is restarted with growing pauses until the cap, then given up once; an unlabelled one is
// never touched. Docker's own event stream counts the restarts, independently of our reports.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "agent/autoheal/service.h"
#include "common/docker_client.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    FAIL(std::string(name) + " is not set; run through tests/integration/with_lab");
    return {};
  }
  return value;
}

// A started container with a health check that always fails; removed at the end.
class UnhealthyContainer {
 public:
  UnhealthyContainer(docker::Client& docker, const std::string& name, bool opt_in)
      : docker_(docker) {
    json labels = json::object();
    if (opt_in) labels["autoheal"] = "true";
    json spec = {{"Image", Env("ORCASTRA_TEST_IMAGE")},
                 {"Cmd", {"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}},
                 {"Labels", labels},
                 {"Healthcheck",
                  {{"Test", {"CMD", "false"}},
                   {"Interval", 1'000'000'000},
                   {"Timeout", 1'000'000'000},
                   {"Retries", 1}}}};
    auto created = docker_.Call("POST", "/containers/create?name=" + name, spec.dump());
    REQUIRE(created.ok());
    INFO(created->body);
    REQUIRE(created->http_status == 201);
    id_ = json::parse(created->body)["Id"].get<std::string>();
    auto started = docker_.Call("POST", "/containers/" + id_ + "/start");
    REQUIRE(started.ok());
    REQUIRE(started->http_status == 204);
  }
  ~UnhealthyContainer() { (void)docker_.Call("DELETE", "/containers/" + id_ + "?force=1"); }
  const std::string& id() const { return id_; }

 private:
  docker::Client& docker_;
  std::string id_;
};

TEST_CASE("autoheal restarts an opted-in unhealthy container with backoff, then gives up once",
          "[integration][autoheal]") {
  docker::ClientOptions options{.socket_path = Env("ORCASTRA_TEST_DOCKER_SOCKET")};
  docker::Client docker(options);
  UnhealthyContainer opted_in(docker, "orcastra-it-autoheal-yes", true);
  UnhealthyContainer left_alone(docker, "orcastra-it-autoheal-no", false);

  // Docker's view: restart events per container.
  std::mutex mutex;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> docker_restarts;
  std::stop_source stop_events;
  std::thread watcher([&] {
    docker::Client stream(options);
    (void)stream.StreamEvents(
        {{"type", {"container"}}, {"event", {"restart"}}},
        [&](const docker::Event& e) {
          std::lock_guard lock(mutex);
          docker_restarts[e.actor_id].push_back(std::chrono::steady_clock::now());
        },
        stop_events.get_token());
  });

  AutohealOptions heal;
  heal.policy.interval = 1s;
  heal.policy.default_stop_timeout = 1s;
  heal.policy.backoff_base = 2s;
  heal.policy.backoff_max = 4s;
  heal.policy.max_restarts = 3;
  heal.policy.window = 10min;
  std::vector<protocol::Event> reported;
  Autohealer healer(options.socket_path, heal, [&](protocol::Event e) {
    std::lock_guard lock(mutex);
    reported.push_back(std::move(e));
  });
  healer.Start();

  auto count = [&](const std::string& kind, const std::string& id) {
    std::lock_guard lock(mutex);
    return std::count_if(reported.begin(), reported.end(), [&](const protocol::Event& e) {
      return e.kind == kind && e.subject == id;
    });
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (count("autoheal_gave_up", opted_in.id()) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  // After giving up: nothing more happens to it for a while.
  std::this_thread::sleep_for(6s);
  healer.Stop();
  stop_events.request_stop();
  watcher.join();  // every thread that touched the shared state has stopped

  CHECK(count("autoheal_restart", opted_in.id()) == 3);
  CHECK(count("autoheal_gave_up", opted_in.id()) == 1);
  CHECK(count("autoheal_restart", left_alone.id()) == 0);
  const auto& restarts = docker_restarts[opted_in.id()];
  REQUIRE(restarts.size() == 3);  // Docker saw exactly the restarts we reported
  CHECK(docker_restarts[left_alone.id()].empty());
  // Backoff: at least 2 s, then at least 4 s between restarts.
  CHECK(restarts[1] - restarts[0] >= 2s);
  CHECK(restarts[2] - restarts[1] >= 4s);
  INFO("gaps: "
       << std::chrono::duration_cast<std::chrono::milliseconds>(restarts[1] - restarts[0]).count()
       << " ms, "
       << std::chrono::duration_cast<std::chrono::milliseconds>(restarts[2] - restarts[1]).count()
       << " ms");
}

TEST_CASE("autoheal dry run restarts nothing but reports what it would do",
          "[integration][autoheal]") {
  docker::ClientOptions options{.socket_path = Env("ORCASTRA_TEST_DOCKER_SOCKET")};
  docker::Client docker(options);
  UnhealthyContainer opted_in(docker, "orcastra-it-autoheal-dry", true);
  AutohealOptions heal;
  heal.dry_run = true;
  heal.policy.interval = 1s;
  heal.policy.backoff_base = 1s;
  heal.policy.backoff_max = 1s;
  std::mutex mutex;
  std::vector<protocol::Event> reported;
  Autohealer healer(options.socket_path, heal, [&](protocol::Event e) {
    std::lock_guard lock(mutex);
    reported.push_back(std::move(e));
  });
  healer.Start();
  auto deadline = std::chrono::steady_clock::now() + 20s;
  auto dry_runs = [&] {
    std::lock_guard lock(mutex);
    return std::count_if(reported.begin(), reported.end(),
                         [](const protocol::Event& e) { return e.kind == "autoheal_dry_run"; });
  };
  while (dry_runs() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  healer.Stop();
  CHECK(dry_runs() >= 1);
  auto details = docker.InspectContainer(opted_in.id());
  REQUIRE(details.ok());
  // Never restarted: its start time is still the first one and it still runs.
  auto first = docker.GetJson("/containers/" + opted_in.id() + "/json");
  REQUIRE(first.ok());
  CHECK((*first)["State"]["Status"] == "running");
  CHECK(std::none_of(reported.begin(), reported.end(),
                     [](const protocol::Event& e) { return e.kind == "autoheal_restart"; }));
}

}  // namespace
}  // namespace orcastra::agent
