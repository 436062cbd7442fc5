// The CLI's renderers on documents a leader should never send (issue 8): wrong types, wrong shapes,
// absent members. Well-formed documents are rendered in
// tests/unit/leader/state/cluster_state_test.cc.
#include "leader/cli/cli.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "common/utf8.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

// Issue 8 (fuzz_cli_render): json::value() throws on a member of another type, or on a document
// that is not an object, and const operator[] on a missing key is undefined behaviour; a hostile or
// broken leader answer crashed the CLI. Every renderer reads such members as absent.
TEST_CASE("cli: any JSON document renders, members of the wrong type show as absent", "[cli]") {
  const json hostile[] = {
      json(nullptr),
      json(5),
      json("text"),
      json::array({1, "x", nullptr, json::array()}),
      json::parse(R"({"nodes": "x", "leader": 5, "answered_by": [], "managers": {"total": "3"},
                      "anchors": {"total": [], "config_problem": 7, "dry_run": "yes"},
                      "docker": {"ok": 1, "node_list_age_seconds": "old", "error": {}},
                      "recent_events": {"kind": "x"}, "agents": null,
                      "actions": [5, {"why": "not a list", "kind": 3}], "warnings": "w",
                      "output": 5, "events": 3})"),
      json::parse(R"([{"role": 5, "manager": "yes", "memory": {"total_bytes": 5},
                       "pressure": {"present": "true", "some_avg10": "x"},
                       "agent": {"last_seen_seconds": "1", "connected": 1}, "labels": [1, 2],
                       "ts_ms": "now", "hostname": 5, "subject": {"a": 1},
                       "dependents": [{"attempts": "3", "retry_in_s": "x"}, 7],
                       "nodes": "n1", "running": "2", "why": [1, {}]},
                      {"ts_ms": 1e300}, {"ts_ms": -5}])"),
      json::parse(R"({"rebalance": {"enabled": true, "counts": 5, "nodes": [{"high_for_s": "x",
                      "pressure": 1, "psi_some_avg10": "9"}, 3], "in_flight": [{"dependents": 4}],
                      "candidates": {"x": 1}, "recent": [null], "last_decision": []}})"),
  };
  for (const json& doc : hostile) {
    INFO(doc.dump());
    for (const std::string& out :
         {RenderNodesTable(doc), RenderStatus(doc), RenderEvents(doc), RenderPlan(doc),
          RenderAnchors(doc), RenderServices(doc), RenderLogs(doc), HumanBytes(doc)}) {
      CHECK(IsValidUtf8(out));
    }
  }
  const json status = hostile[4];
  const std::string text = RenderStatus(status);
  CHECK(text.find("Leader:      none known") != std::string::npos);
  CHECK(text.find("Managers:    0 total, 0 reachable") != std::string::npos);
  CHECK(text.find("Docker:      FAILING\n") != std::string::npos);
  CHECK(RenderLogs(status).empty());
  CHECK(RenderLogs(json{{"output", "line\n"}}) == "line\n");
  // A time gmtime cannot show prints as "-".
  CHECK(RenderEvents(json::array({{{"ts_ms", 1e300}, {"kind", "k"}}})).starts_with("-   "));
}

TEST_CASE("cli: the rebalancer in status and plan", "[cli][rebalance]") {
  const json rebalance = json::parse(R"({
    "enabled": true, "active": true, "dry_run": false,
    "counts": {"nodes": 5, "high": 1, "sustained": 1, "unknown": 0},
    "decision": "move web (1.50 GiB) from w1 to w2: ...",
    "last_decision": "move web (1.50 GiB) from w1 to w2: ...",
    "nodes": [{"hostname": "w1", "pressure": "high", "used_percent": 91.2, "psi_some_avg10": null,
               "high_for_s": 750, "sustained_after_s": 600, "why": "memory 91.2% > 85%"},
              {"hostname": "w2", "pressure": "normal", "used_percent": 20.0, "high_for_s": 0,
               "why": "memory 20.0% <= 85%"}],
    "candidates": [{"service": "db", "dependents": ["app"], "node": "w1", "memory_bytes": 1048576,
                    "target": null, "why": "pinned"}],
    "in_flight": [{"service": "web", "from": "w1", "to": "w2", "outcome": "placing",
                   "result": "waiting for web to run on w2", "dependents": []}],
    "recent": []})");
  const std::string status = RenderStatus(json{{"rebalance", rebalance}});
  CHECK(
      status.find("Rebalance:   1 of 5 nodes high, 1 sustained, 0 unknown; 1 move(s) in flight") !=
      std::string::npos);
  CHECK(status.find("w1 ") != std::string::npos);
  CHECK(status.find("12m30s of 10m00s") != std::string::npos);
  CHECK(status.find("w2 ") == std::string::npos);  // normal nodes are left out of status
  CHECK(status.find("moving web w1 -> w2: placing (waiting for web to run on w2)") !=
        std::string::npos);
  const std::string plan = RenderPlan(json{{"rebalance", rebalance}});
  CHECK(plan.find("Rebalance:   move web (1.50 GiB) from w1 to w2") != std::string::npos);
  CHECK(plan.find("db + app") != std::string::npos);
  CHECK(plan.find("1.0MiB") != std::string::npos);
  CHECK(plan.find("w2 ") != std::string::npos);
}

TEST_CASE("cli: status and nodes say what security refused", "[cli]") {
  const json curve = {
      {"agents", {{"connected", 4}, {"expected", 5}, {"unattested", 1}}},
      {"security",
       {{"mode", "curve"},
        {"clients", {{"agent", 1}, {"operator", 2}, {"read-only", 1}}},
        {"connections", {{"accepted", 40}, {"handshaken", 37}, {"not_admitted", 3}}},
        {"refused",
         {{"unknown_key", 2}, {"forbidden", 4}, {"not_attested", 1}, {"rate_limited", 9}}}}}};
  const std::string text = RenderStatus(curve);
  CHECK(text.find("Agents:      4 of 5 connected, 1 refused (cannot prove their node") !=
        std::string::npos);
  CHECK(text.find("Security:    CURVE; keys: 1 agent, 2 operator, 1 read-only; refused: 3 "
                  "connections (2 unknown keys), 4 forbidden, 1 not attested, 9 over the rate") !=
        std::string::npos);
  CHECK(RenderStatus({{"security", {{"mode", "insecure"}}}}).find("Security:    INSECURE") !=
        std::string::npos);
  const json nodes = json::array(
      {{{"id", "n1"},
        {"hostname", "w2"},
        {"agent",
         {{"connected", false},
          {"attestation_error", "attestation refused: the certificate is for node 'x'"}}}}});
  CHECK(RenderNodesTable(nodes).find("REFUSED: attestation refused: the certificate is for") !=
        std::string::npos);
}

TEST_CASE("cli: a subject is cut to 12 bytes without splitting a character", "[cli]") {
  const json events =
      json::array({{{"ts_ms", 0}, {"kind", "k"}, {"subject", "abcdefghijk\xc3\xa9xyz"}}});
  const std::string table = RenderEvents(events);
  CHECK(IsValidUtf8(table));
  CHECK(table.find("abcdefghijk ") != std::string::npos);
}

}  // namespace
}  // namespace orcastra::leader
