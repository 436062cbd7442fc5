#include "agent/agent.h"

#include <catch2/catch.hpp>

#include "agent/report/containers.h"
#include "agent/report/node_metrics.h"

namespace orcastra::agent {
namespace {

using namespace std::chrono_literals;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST_CASE("memory from /proc/meminfo: used is total minus available", "[agent][memory]") {
  procfs::MemInfo m;
  m.total_bytes = 8'000;
  m.available_bytes = 3'000;
  auto figures = MemoryFromMemInfo(m);
  CHECK(figures.total_bytes == 8'000);
  CHECK(figures.available_bytes == 3'000);
  CHECK(figures.used_bytes == 5'000);
  CHECK(figures.source == "procfs");
  // A kernel reporting more available than total must not underflow.
  m.available_bytes = 9'000;
  CHECK(MemoryFromMemInfo(m).used_bytes == 0);
}

TEST_CASE("memory from a cgroup: the limit is the total, the working set is used",
          "[agent][memory]") {
  cgroup::Memory mem;
  mem.version = 1;
  mem.limit_bytes = 1024;
  mem.usage_bytes = 600;
  mem.inactive_file_bytes = 100;
  auto figures = MemoryFromCgroup(mem, 4096, "cgroup:/x");
  CHECK(figures.total_bytes == 1024);
  CHECK(figures.used_bytes == 500);
  CHECK(figures.available_bytes == 524);
  CHECK(figures.source == "cgroup:/x");

  SECTION("unlimited: the host's total") {
    mem.limit_bytes.reset();
    auto f = MemoryFromCgroup(mem, 4096, "cgroup:/x");
    CHECK(f.total_bytes == 4096);
    CHECK(f.available_bytes == 3596);
  }
  SECTION("a limit above the host's memory is not real: the host's total") {
    mem.limit_bytes = 1'000'000;
    CHECK(MemoryFromCgroup(mem, 4096, "cgroup:/x").total_bytes == 4096);
  }
  SECTION("usage above the limit is clamped") {
    mem.usage_bytes = 5000;
    mem.inactive_file_bytes = 0;
    auto f = MemoryFromCgroup(mem, 4096, "cgroup:/x");
    CHECK(f.used_bytes == 1024);
    CHECK(f.available_bytes == 0);
  }
}

TEST_CASE("memory source flag", "[agent][options]") {
  CHECK(ParseMemorySource("procfs")->kind == MemorySource::Kind::kProcfs);
  auto cg = ParseMemorySource("cgroup:/host/sys/fs/cgroup/memory/orclab/m1");
  REQUIRE(cg.ok());
  CHECK(cg->kind == MemorySource::Kind::kCgroup);
  CHECK(cg->cgroup_dir == "/host/sys/fs/cgroup/memory/orclab/m1");
  CHECK(cg->ToString() == "cgroup:/host/sys/fs/cgroup/memory/orclab/m1");
  CHECK_FALSE(ParseMemorySource("cgroup:").ok());
  CHECK_FALSE(ParseMemorySource("cgroup:relative").ok());
  CHECK_FALSE(ParseMemorySource("sysfs").ok());
}

TEST_CASE("leader endpoints come from the swarm's managers", "[agent][discovery]") {
  docker::SystemInfo info;
  CHECK(LeaderEndpointsFromInfo(info, 7470).empty());
  info.swarm_remote_managers = {{"b", "198.51.100.12:2377"},
                                {"a", "198.51.100.11:2377"},
                                {"c", "198.51.100.12:2377"},
                                {"d", "[2001:db8::1]:2377"}};
  CHECK(LeaderEndpointsFromInfo(info, 7470) ==
        std::vector<std::string>{"tcp://198.51.100.11:7470", "tcp://198.51.100.12:7470",
                                 "tcp://[2001:db8::1]:7470"});
}

TEST_CASE("agent options: flags over env over defaults", "[agent][options]") {
  auto defaults = ParseAgentOptions({}, FakeEnv({}));
  REQUIRE(defaults.ok());
  CHECK(defaults->report_interval == 5000ms);
  CHECK(defaults->docker_socket == "/var/run/docker.sock");
  CHECK(defaults->leader_endpoints.empty());
  CHECK(defaults->leader_port == 7470);

  auto from_env = ParseAgentOptions({}, FakeEnv({{"REPORT_INTERVAL", "2"},
                                                 {"DOCKER_HOST", "unix:///run/d.sock"},
                                                 {"ORCASTRA_LEADER", "tcp://a:1,tcp://b:2"},
                                                 {"ORCASTRA_MEMORY_SOURCE", "cgroup:/c"}}));
  REQUIRE(from_env.ok());
  CHECK(from_env->report_interval == 2000ms);
  CHECK(from_env->docker_socket == "/run/d.sock");
  CHECK(from_env->leader_endpoints == std::vector<std::string>{"tcp://a:1", "tcp://b:2"});
  CHECK(from_env->memory_source.cgroup_dir == "/c");

  auto flag_wins =
      ParseAgentOptions({"--report-interval", "500ms"}, FakeEnv({{"REPORT_INTERVAL", "2"}}));
  REQUIRE(flag_wins.ok());
  CHECK(flag_wins->report_interval == 500ms);

  CHECK_FALSE(ParseAgentOptions({"--report-interval", "10ms"}, FakeEnv({})).ok());
  // The interval travels as uint32 milliseconds and leaders wait 3 of them: at most 10 minutes.
  auto too_long = ParseAgentOptions({}, FakeEnv({{"REPORT_INTERVAL", "50d"}}));
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.status().message() ==
        "--report-interval/REPORT_INTERVAL='50d': expected a duration from 100ms to 10m (a bare "
        "number is seconds)");
  CHECK_FALSE(ParseAgentOptions({}, FakeEnv({{"REPORT_INTERVAL", "11m"}})).ok());
  CHECK(ParseAgentOptions({}, FakeEnv({{"REPORT_INTERVAL", "10m"}})).ok());
  CHECK(ParseAgentOptions({}, FakeEnv({{"REPORT_INTERVAL", ""}}))->report_interval == 5000ms);
  CHECK_FALSE(ParseAgentOptions({"--docker-host", "tcp://1.2.3.4:2375"}, FakeEnv({})).ok());
  CHECK_FALSE(ParseAgentOptions({"--leader-port", "70000"}, FakeEnv({})).ok());
  CHECK_FALSE(ParseAgentOptions({"stray"}, FakeEnv({})).ok());
}

TEST_CASE("important container events", "[agent][events]") {
  docker::Event e;
  e.type = "container";
  e.action = "die";
  CHECK(ImportantEventKind(e) == "container_die");
  e.action = "oom";
  CHECK(ImportantEventKind(e) == "container_oom");
  e.action = "health_status: unhealthy";
  CHECK(ImportantEventKind(e) == "health_status");
  e.action = "exec_start: /bin/sh -c true";
  CHECK(ImportantEventKind(e).empty());
  e.action = "start";
  CHECK(ImportantEventKind(e).empty());
  e.actor_attributes["com.docker.swarm.service.name"] = "st_db";
  CHECK(ImportantEventKind(e) == "container_start");  // only Swarm tasks' starts
  e.type = "network";
  e.action = "die";
  CHECK(ImportantEventKind(e).empty());
}

TEST_CASE("container report carries the swarm task and health", "[agent][containers]") {
  docker::ContainerDetails d;
  d.id = "abc";
  d.name = "web.1.xyz";
  d.state = "running";
  d.health = "unhealthy";
  d.restart_count = 3;
  d.oom_killed = true;
  d.exit_code = 137;
  d.service_id = "svc";
  d.service_name = "web";
  d.task_id = "task";
  auto r = ContainerReportFrom(d, 42);
  CHECK(r.id == "abc");
  CHECK(r.health == "unhealthy");
  CHECK(r.restart_count == 3);
  CHECK(r.oom_killed);
  CHECK(r.exit_code == 137);
  CHECK(r.service_name == "web");
  CHECK(r.task_id == "task");
  CHECK(r.memory_bytes == 42);
}

TEST_CASE("the event queue is bounded and drops the oldest", "[agent][events]") {
  EventQueue queue;
  for (int i = 0; i < 300; ++i) queue.Push({"container_die", std::to_string(i), "", {}});
  auto events = queue.TakeAll();
  REQUIRE(events.size() == 256);
  CHECK(events.front().subject == "44");
  CHECK(events.back().subject == "299");
  CHECK(queue.TakeAll().empty());
}

}  // namespace
}  // namespace orcastra::agent
