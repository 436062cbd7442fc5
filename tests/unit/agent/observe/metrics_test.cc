// The agent's /metrics (agent/observe/metrics.h): every family in the exposition format, counters
// that only grow, no duplicate series, bounded labels, and the figures the reporter published.
#include "agent/observe/metrics.h"

#include <catch2/catch.hpp>

#include "agent/observe/endpoint.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/exposition.h"

namespace orcastra::agent {
namespace {

protocol::NodeReport Report() {
  protocol::NodeReport r;
  r.node_id = "n1";
  r.hostname = "w1";
  r.memory = {1275068416, 1000000000, 275068416, "cgroup:/sys/fs/cgroup/memory/orclab/w1"};
  r.load = {0.5, 0.4, 0.3};
  r.cpu_percent = 12.5;
  r.psi = {true, 1.5, 0.25};
  auto container = [](std::string state, std::string health) {
    protocol::ContainerReport c;
    c.id = "0123456789abcdef";  // never a label
    c.state = std::move(state);
    c.health = std::move(health);
    return c;
  };
  r.containers = {container("running", ""), container("running", "healthy"),
                  container("running", "unhealthy"), container("exited", ""),
                  container("weird\"state\n", "odd")};
  return r;
}

struct Agent {
  ReporterStatus reporter;
  Autohealer::Counters autoheal;
  GarbageCollector::Counters gc;
  LogRotator::Counters logrotate;
  ModCache::Counters modcache;
  http::Server::Counters http;
  testing::FakeClock clock;

  AgentFigures Figures() {
    AgentFigures f;
    f.version = "1.2.3";
    f.now = clock.Now();
    f.process.cpu_seconds = 1.5;
    f.process.resident_bytes = 9 << 20;
    f.process.open_fds = 12;
    f.process.max_fds = 1024;
    f.process.start_time_seconds = 1765000000;
    f.report = reporter.Last();
    f.reporter = &reporter;
    f.autoheal = &autoheal;
    f.gc = &gc;
    f.logrotate = &logrotate;
    f.modcache = &modcache;
    f.http = &http;
    f.loops = {{"reporter", Service::State::kRunning, 0.5, 2, false},
               {"gc", Service::State::kFinished, 99, 0, false}};
    return f;
  }
};

TEST_CASE("agent metrics: well-formed, with HELP and TYPE once per family", "[metrics][agent]") {
  Agent agent;
  agent.reporter.Collected(Report(), agent.clock.Now());
  agent.clock.Advance(std::chrono::milliseconds(2500));
  std::size_t problems = 99;
  const std::string text = RenderAgentMetrics(agent.Figures(), &problems);
  CHECK(problems == 0);
  auto e = testing::ParseExposition(text);
  INFO(text);
  CHECK(e.errors.empty());
  for (const metrics::Family& family : kAgentFamilies) {
    CHECK(metrics::IsValidMetricName(family.name));
    CHECK(!family.help.empty());
    if (family.type == metrics::Type::kCounter) {
      CHECK(std::string(family.name).ends_with("_total"));
    }
    // With a report and every service present, every family has samples.
    CHECK(e.types.count(std::string(family.name)) == 1);
  }
  CHECK(e.value("orcastra_agent_memory_total_bytes") == 1275068416);
  CHECK(e.value("orcastra_agent_memory_used_bytes") == 275068416);
  CHECK(e.value("orcastra_agent_memory_pressure_avg10_ratio{kind=\"some\"}") == Approx(0.015));
  CHECK(e.value("orcastra_agent_cpu_usage_ratio") == Approx(0.125));
  CHECK(e.value("orcastra_agent_report_age_seconds") == Approx(2.5));
  CHECK(e.value("orcastra_agent_containers{state=\"running\",health=\"none\"}") == 1);
  CHECK(e.value("orcastra_agent_containers{state=\"running\",health=\"unhealthy\"}") == 1);
  CHECK(e.value("orcastra_agent_containers{state=\"other\",health=\"other\"}") == 1);
  CHECK(e.value("orcastra_agent_build_info{version=\"1.2.3\"}") == 1);
  CHECK(e.value("orcastra_agent_loop_restarts_total{loop=\"reporter\"}") == 2);
  CHECK(e.value("orcastra_agent_loop_heartbeat_age_seconds{loop=\"reporter\"}") == 0.5);
  CHECK_FALSE(e.value("orcastra_agent_loop_heartbeat_age_seconds{loop=\"gc\"}"));  // finished
  CHECK(text.find("0123456789abcdef") == std::string::npos);
}

TEST_CASE("agent metrics: container labels stay within Docker's small sets", "[metrics][agent]") {
  CHECK(ContainerStateLabel("running") == "running");
  CHECK(ContainerStateLabel("exited") == "exited");
  CHECK(ContainerStateLabel("x\"y") == "other");
  CHECK(ContainerHealthLabel("") == "none");
  CHECK(ContainerHealthLabel("unhealthy") == "unhealthy");
  CHECK(ContainerHealthLabel("sick") == "other");
}

TEST_CASE("agent metrics: counters never go down between scrapes", "[metrics][agent]") {
  Agent agent;
  agent.reporter.Collected(Report(), agent.clock.Now());
  auto counters = [&] {
    auto e = testing::ParseExposition(RenderAgentMetrics(agent.Figures()));
    REQUIRE(e.errors.empty());
    std::map<std::string, double> out;
    for (const auto& [series, value] : e.series) {
      const std::string family = series.substr(0, series.find('{'));
      if (e.types[family] == "counter") out[series] = value;
    }
    return out;
  };
  auto before = counters();
  CHECK(before.size() > 20);
  agent.reporter.reports_sent += 3;
  agent.reporter.send_failures += 1;
  agent.autoheal.restarts += 1;
  agent.gc.images_removed += 2;
  agent.gc.bytes_freed += 4096;
  agent.logrotate.rotations += 1;
  agent.logrotate.bytes_rotated += 100;
  agent.modcache.not_modified += 5;
  agent.http.requests += 7;
  auto after = counters();
  REQUIRE(after.size() == before.size());
  int grew = 0;
  for (const auto& [series, value] : before) {
    INFO(series);
    REQUIRE(after.count(series));
    CHECK(after[series] >= value);
    grew += after[series] > value ? 1 : 0;
  }
  CHECK(grew == 9);
  CHECK(after["orcastra_agent_gc_removed_total{kind=\"image\"}"] == 2);
  CHECK(after["orcastra_agent_modcache_fetches_total{result=\"not_modified\"}"] == 5);
}

TEST_CASE("agent metrics: before the first report there are no node figures", "[metrics][agent]") {
  Agent agent;
  auto e = testing::ParseExposition(RenderAgentMetrics(agent.Figures()));
  CHECK(e.errors.empty());
  CHECK(e.value("orcastra_agent_report_collected") == 0);
  CHECK_FALSE(e.value("orcastra_agent_memory_total_bytes"));
  CHECK_FALSE(e.types.count("orcastra_agent_containers"));
}

TEST_CASE("the agent's endpoint: metrics, health, readiness, and nothing else", "[agent][http]") {
  Agent agent;
  std::vector<std::shared_ptr<Service>> loops;
  AgentEndpoint endpoint;
  endpoint.version = "1.2.3";
  endpoint.clock = &agent.clock;
  endpoint.reporter = &agent.reporter;
  endpoint.loops = &loops;
  endpoint.ready_within = std::chrono::seconds(35);
  auto get = [&](const std::string& path, const std::string& auth = "") {
    http::Request r;
    r.method = "GET";
    r.path = path;
    if (!auth.empty()) r.headers.emplace_back("authorization", auth);
    return endpoint.Handle(r);
  };
  CHECK(get("/readyz").status == 503);  // no report yet
  agent.reporter.Collected(Report(), agent.clock.Now());
  CHECK(get("/readyz").status == 200);
  agent.clock.Advance(std::chrono::seconds(36));
  auto stale = get("/readyz");
  CHECK(stale.status == 503);
  CHECK_THAT(stale.body, Catch::Contains("36 s old"));
  auto metrics = get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(get("/healthz").status == 200);
  CHECK(get("/").status == 404);
  endpoint.metrics_auth = true;
  CHECK(get("/metrics").status == 403);  // no token configured
  endpoint.token = "s3cret";
  CHECK(get("/metrics").status == 401);
  CHECK(get("/metrics", "Bearer wrong").status == 401);
  CHECK(get("/metrics", "Bearer s3cret").status == 200);
  CHECK(get("/healthz").status == 200);  // health never asks for the token
}

}  // namespace
}  // namespace orcastra::agent
