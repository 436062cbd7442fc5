// The leader's HTTP endpoint and /metrics (leader/observe/): the documents under /api are the
// CLI's, the web view and /api refuse without the read-only token (and with no token configured),
// metrics are well-formed with bounded labels, and counters only grow.
#include "leader/observe/endpoint.h"

#include <catch2/catch.hpp>

#include "leader/observe/metrics.h"
#include "leader/state/documents.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/exposition.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

docker::Node MakeNode(std::string id, std::string hostname, std::string role = "worker") {
  docker::Node n;
  n.id = std::move(id);
  n.hostname = std::move(hostname);
  n.role = std::move(role);
  n.state = "ready";
  n.availability = "active";
  return n;
}

protocol::NodeReport ReportFrom(const std::string& id, const std::string& hostname,
                                std::uint64_t total) {
  protocol::NodeReport report;
  report.node_id = id;
  report.hostname = hostname;
  report.report_interval_ms = 5000;
  report.memory = {total, total / 4, total - total / 4, "procfs"};
  report.psi = {true, 2.0, 0.5};
  return report;
}

struct Leader {
  testing::FakeClock clock;
  SharedState shared;
  ControllerCounters controller;
  std::vector<std::shared_ptr<Service>> loops;
  LeaderEndpoint endpoint;

  Leader() {
    shared.cluster.SetIdentity({"id-m1", "m1"});
    shared.cluster.SetNodes(
        {MakeNode("id-m1", "m1", "manager"), MakeNode("id-w1", "w1"), MakeNode("id-w2", "w2")},
        clock.Now());
    shared.cluster.RecordReport(ReportFrom("id-m1", "m1", 1073741824), clock.Now());
    shared.cluster.RecordReport(ReportFrom("id-w1", "w1", 1275068416), clock.Now());
    shared.view.has_config = true;
    shared.view.plan = {
        {"anchors",
         {{{"name", "db"},
           {"service", "e2e_db"},
           {"state", "running"},
           {"nodes", {"w1"}},
           {"dependents", {{{"name", "app"}, {"state", "colocated"}, {"nodes", {"w1"}}}}}}}}};
    endpoint.version = "1.2.3";
    endpoint.clock = &clock;
    endpoint.shared = &shared;
    endpoint.lease = [] { return LeaseView{true, 7, "id-m1", "m1"}; };
    endpoint.controller = &controller;
    endpoint.queued_commands = [] { return std::size_t{2}; };
    endpoint.loops = &loops;
    endpoint.token = "s3cret-token";
  }

  http::Response Get(const std::string& target, const std::string& auth = "") {
    auto request = http::ParseRequestHead("GET " + target + " HTTP/1.1\r\n" +
                                          (auth.empty() ? "" : "Authorization: " + auth + "\r\n"));
    REQUIRE(request.ok());
    return endpoint.Handle(*request);
  }
};

const std::string kBearer = "Bearer s3cret-token";

TEST_CASE("the web view and /api refuse without the token", "[leader][http]") {
  Leader leader;
  for (const char* path : {"/", "/app.js", "/api/status", "/api/nodes", "/api/events"}) {
    INFO(path);
    auto refused = leader.Get(path);
    CHECK(refused.status == 401);
    CHECK(refused.body.find("s3cret") == std::string::npos);
    CHECK(leader.Get(path, "Bearer nope").status == 401);
    CHECK(leader.Get(path, "Basic b3JjYXN0cmE6bm9wZQ==").status == 401);  // orcastra:nope
    CHECK(leader.Get(path, kBearer).status == 200);
  }
  // Basic with the token as password, any user name (a browser's prompt).
  CHECK(leader.Get("/", "Basic YW55OnMzY3JldC10b2tlbg==").status == 200);  // any:s3cret-token
  bool challenged = false;
  for (const auto& [name, value] : leader.Get("/").headers) {
    challenged = challenged || (name == "WWW-Authenticate" && value.rfind("Basic", 0) == 0);
  }
  CHECK(challenged);
  // Health and metrics stay open (unless ORCASTRA_HTTP_METRICS_AUTH).
  CHECK(leader.Get("/metrics").status == 200);
  CHECK(leader.Get("/healthz").status == 200);
  leader.endpoint.metrics_auth = true;
  CHECK(leader.Get("/metrics").status == 401);
  CHECK(leader.Get("/metrics", kBearer).status == 200);
}

TEST_CASE("without a token file the web view says how to enable it", "[leader][http]") {
  Leader leader;
  leader.endpoint.token.reset();
  auto page = leader.Get("/", kBearer);
  CHECK(page.status == 403);
  CHECK_THAT(page.body, Catch::Contains("orcastra-http-token"));
  CHECK(leader.Get("/api/status", kBearer).status == 403);
  CHECK(leader.Get("/metrics").status == 200);
}

TEST_CASE("/api serves the CLI's documents", "[leader][http]") {
  Leader leader;
  auto nodes = leader.Get("/api/nodes", kBearer);
  REQUIRE(nodes.status == 200);
  CHECK(nodes.content_type == "application/json; charset=utf-8");
  {
    std::lock_guard lock(leader.shared.mutex);
    CHECK(json::parse(nodes.body) == leader.shared.cluster.NodesJson(leader.clock.Now()));
  }
  auto status = json::parse(leader.Get("/api/status", kBearer).body);
  CHECK(status["leader"]["term"] == 7);
  CHECK(status["answered_by"]["active"] == true);
  CHECK(status["anchors"]["ok"] == 1);
  CHECK(status.contains("health"));
  auto anchors = json::parse(leader.Get("/api/anchors", kBearer).body);
  CHECK(anchors["available"] == true);
  CHECK(anchors["anchors"][0]["name"] == "db");
  leader.shared.view = ControllerView{};
  auto pending = json::parse(leader.Get("/api/anchors", kBearer).body);
  CHECK(pending["available"] == false);
  CHECK_THAT(pending["reason"].get<std::string>(), Catch::Contains("no configuration"));
  CHECK(leader.Get("/api/nope", kBearer).status == 404);
  CHECK(leader.Get("/api/events?after=x", kBearer).status == 400);
  CHECK(leader.Get("/api/events?limit=0", kBearer).status == 400);
  auto events = json::parse(leader.Get("/api/events?after=0&limit=5", kBearer).body);
  CHECK(events.contains("log_id"));
}

TEST_CASE("the page's assets are embedded and carry a content security policy", "[leader][http]") {
  Leader leader;
  auto page = leader.Get("/", kBearer);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK_THAT(page.body, Catch::Contains("/app.js"));
  bool csp = false;
  for (const auto& [name, value] : page.headers) csp = csp || name == "Content-Security-Policy";
  CHECK(csp);
  CHECK(leader.Get("/app.js", kBearer).content_type == "text/javascript; charset=utf-8");
  CHECK(leader.Get("/app.css", kBearer).status == 200);
  CHECK(leader.Get("/favicon.svg", kBearer).status == 200);
  CHECK(leader.Get("/favicon.ico").status == 204);
  CHECK(leader.Get("/nope", kBearer).status == 404);
  for (const WebAsset& asset : WebAssets()) {
    CHECK_FALSE(asset.body.empty());
    // Nothing from outside the cluster (the SVG namespace is a name, never fetched).
    std::string body(asset.body);
    for (std::size_t at; (at = body.find("http://www.w3.org/2000/svg")) != std::string::npos;) {
      body.erase(at, 26);
    }
    CHECK(body.find("http://") == std::string::npos);
    CHECK(body.find("https://") == std::string::npos);
  }
}

TEST_CASE("readiness follows the age of Swarm's node list", "[leader][http]") {
  Leader leader;
  leader.endpoint.ready_within = std::chrono::seconds(75);
  CHECK(leader.Get("/readyz").status == 200);
  leader.clock.Advance(std::chrono::seconds(76));
  CHECK(leader.Get("/readyz").status == 503);
  {
    std::lock_guard lock(leader.shared.mutex);
    leader.shared.cluster.SetNodes({MakeNode("id-m1", "m1", "manager")}, leader.clock.Now());
    leader.shared.cluster.RecordDockerFailure(Status::Unavailable("daemon gone"),
                                              leader.clock.Now());
  }
  auto failed = leader.Get("/readyz");
  CHECK(failed.status == 503);
  CHECK_THAT(failed.body, Catch::Contains("daemon gone"));
}

TEST_CASE("leader metrics: well-formed, node labels from Swarm's list, values as the CLI shows",
          "[metrics][leader]") {
  Leader leader;
  leader.controller.cycles_ok = 3;
  leader.controller.CountAction("force_update", "ok");
  auto text = leader.Get("/metrics").body;
  auto e = testing::ParseExposition(text);
  INFO(text);
  CHECK(e.errors.empty());
  CHECK(e.value("orcastra_leader_active") == 1);
  CHECK(e.value("orcastra_leader_lease_term") == 7);
  CHECK(e.value("orcastra_leader_agents_connected") == 2);
  CHECK(e.value("orcastra_leader_agents_expected") == 3);
  CHECK(e.value("orcastra_leader_reports_received_total") == 2);
  CHECK(e.value("orcastra_leader_reconcile_cycles_total{result=\"ok\"}") == 3);
  CHECK(e.value("orcastra_leader_actions_total{kind=\"force_update\",result=\"ok\"}") == 1);
  CHECK(e.value("orcastra_leader_actions_total{kind=\"set_labels\",result=\"failed\"}") == 0);
  CHECK(e.value("orcastra_leader_command_queue_depth") == 2);
  CHECK(e.value("orcastra_leader_anchors{state=\"ok\"}") == 1);
  CHECK(e.value("orcastra_leader_node_memory_total_bytes{node=\"w1\",node_id=\"id-w1\"}") ==
        1275068416);
  CHECK(e.value("orcastra_leader_node_memory_pressure_avg10_ratio{node=\"w1\",node_id=\"id-w1\","
                "kind=\"some\"}") == Approx(0.02));
  CHECK(e.value("orcastra_leader_node_agent_connected{node=\"w2\",node_id=\"id-w2\"}") == 0);
  CHECK_FALSE(e.value("orcastra_leader_node_memory_total_bytes{node=\"w2\",node_id=\"id-w2\"}"));
  for (const metrics::Family& family : kLeaderFamilies) {
    CHECK(metrics::IsValidMetricName(family.name));
    if (family.type == metrics::Type::kCounter) {
      CHECK(std::string(family.name).ends_with("_total"));
    }
  }
}

TEST_CASE("leader metrics: two nodes with one hostname stay two series", "[metrics][leader]") {
  Leader leader;
  {
    std::lock_guard lock(leader.shared.mutex);
    leader.shared.cluster.SetNodes({MakeNode("old", "w1"), MakeNode("new", "w1")},
                                   leader.clock.Now());
  }
  LeaderFigures figures;
  {
    std::lock_guard lock(leader.shared.mutex);
    figures.nodes = leader.shared.cluster.Figures(leader.clock.Now());
  }
  std::size_t problems = 9;
  auto e = testing::ParseExposition(RenderLeaderMetrics(figures, &problems));
  CHECK(problems == 0);
  CHECK(e.errors.empty());
  CHECK(e.labels_of("orcastra_leader_node_agent_connected").size() == 2);
}

TEST_CASE("leader metrics: counters never go down between scrapes", "[metrics][leader]") {
  Leader leader;
  auto counters = [&] {
    auto e = testing::ParseExposition(leader.Get("/metrics").body);
    REQUIRE(e.errors.empty());
    std::map<std::string, double> out;
    for (const auto& [series, value] : e.series) {
      const std::string family = series.substr(0, series.find('{'));
      if (e.types[family] == "counter" && family.rfind("process_", 0) != 0 &&
          family != "orcastra_leader_docker_api_calls_total") {
        out[series] = value;
      }
    }
    return out;
  };
  auto before = counters();
  leader.controller.cycles_skipped += 1;
  leader.controller.config_refused += 1;
  leader.controller.CountAction("set_labels", "dry_run");
  {
    std::lock_guard lock(leader.shared.mutex);
    leader.shared.cluster.RecordReport(ReportFrom("id-w2", "w2", 1), leader.clock.Now());
    leader.shared.endpoints.refused = 4;
  }
  auto after = counters();
  int grew = 0;
  for (const auto& [series, value] : before) {
    INFO(series);
    REQUIRE(after.count(series));
    CHECK(after[series] >= value);
    grew += after[series] > value ? 1 : 0;
  }
  CHECK(grew == 5);
}

}  // namespace
}  // namespace orcastra::leader
