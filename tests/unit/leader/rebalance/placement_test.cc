// Swarm's placement rules as the rebalancer reads them (leader/rebalance/placement.h), checked
// against swarmkit's semantics (manager/constraint/constraint.go, manager/scheduler/filter.go).
#include "leader/rebalance/placement.h"

#include <catch2/catch.hpp>

namespace orcastra::leader {
namespace {

docker::Node Node() {
  docker::Node node;
  node.id = "abc123";
  node.hostname = "w1";
  node.role = "worker";
  node.addr = "198.51.100.51";
  node.platform_os = "linux";
  node.platform_arch = "x86_64";
  node.labels = {{"zone", "eu-1"}, {"Disk", "SSD"}};
  node.engine_labels = {{"tier", "fast"}};
  return node;
}

bool Matches(const std::string& text) {
  auto c = ParseConstraint(text);
  REQUIRE(c);
  return NodeMatches(*c, Node());
}

TEST_CASE("placement: constraints parse as swarmkit parses them", "[rebalance][placement]") {
  auto c = ParseConstraint("  node.labels.zone == eu-1 ");
  REQUIRE(c);
  CHECK(*c == PlacementConstraint{"node.labels.zone", true, "eu-1"});
  CHECK(*ParseConstraint("node.id!=x") == PlacementConstraint{"node.id", false, "x"});
  CHECK_FALSE(ParseConstraint("node.role=manager"));   // no operator
  CHECK_FALSE(ParseConstraint("node.role=="));         // empty value
  CHECK_FALSE(ParseConstraint("1node==a"));            // key must start with a letter or _
  CHECK_FALSE(ParseConstraint("node.labels.a==b<c"));  // value characters
  CHECK_FALSE(ParseConstraint(""));
}

TEST_CASE("placement: every key of NodeMatches", "[rebalance][placement]") {
  CHECK(Matches("node.id==abc123"));
  CHECK(Matches("NODE.ID==ABC123"));  // keys and values compare case-insensitively
  CHECK_FALSE(Matches("node.id!=abc123"));
  CHECK(Matches("node.hostname==w1"));
  CHECK(Matches("node.role!=manager"));
  CHECK(Matches("node.platform.os==linux"));
  CHECK(Matches("node.platform.arch==x86_64"));
  CHECK(Matches("node.labels.zone==EU-1"));
  CHECK(Matches("node.labels.Disk==ssd"));
  CHECK_FALSE(Matches("node.labels.disk==ssd"));  // label keys are case-sensitive
  CHECK(Matches("node.labels.missing!=true"));    // a missing label is ""
  CHECK_FALSE(Matches("node.labels.missing==true"));
  CHECK(Matches("engine.labels.tier==fast"));
  CHECK(Matches("node.ip==198.51.100.51"));
  CHECK(Matches("node.ip!=198.51.100.52"));
  CHECK(Matches("node.ip==198.51.100.0/24"));
  CHECK_FALSE(Matches("node.ip==198.51.101.0/24"));
  CHECK(Matches("node.ip!=10.0.0.0/8"));
  CHECK_FALSE(Matches("node.ip==not.an.ip"));  // a malformed address never matches
  CHECK_FALSE(Matches("node.unknown==x"));     // an unknown key never matches
}

TEST_CASE("placement: pins name one node", "[rebalance][placement]") {
  CHECK(IsPin(*ParseConstraint("node.hostname==w1")));
  CHECK(IsPin(*ParseConstraint("node.id==abc")));
  CHECK(IsPin(*ParseConstraint("node.ip==198.51.100.51")));
  CHECK_FALSE(IsPin(*ParseConstraint("node.ip==198.51.100.0/24")));
  CHECK_FALSE(IsPin(*ParseConstraint("node.hostname!=w1")));
  CHECK_FALSE(IsPin(*ParseConstraint("node.labels.db==true")));
}

TEST_CASE("placement: needs read from a service spec", "[rebalance][placement]") {
  nlohmann::json spec = nlohmann::json::parse(R"({
    "TaskTemplate": {
      "Placement": {"Constraints": ["node.role==worker"], "MaxReplicas": 2,
                    "Platforms": [{"Architecture": "aarch64", "OS": "linux"}, {"OS": "windows"}]},
      "Resources": {"Reservations": {"MemoryBytes": 104857600, "NanoCPUs": 500000000}}
    },
    "EndpointSpec": {"Ports": [
      {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
      {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 53, "PublishMode": "host"},
      {"Protocol": "tcp", "TargetPort": 81, "PublishedPort": 8081, "PublishMode": "ingress"}]}
  })");
  PlacementNeeds needs = PlacementNeedsOf(spec);
  CHECK(needs.constraints == std::vector<std::string>{"node.role==worker"});
  CHECK(needs.max_replicas == 2);
  CHECK(needs.reserve_memory_bytes == 104857600);
  CHECK(needs.reserve_nano_cpus == 500000000);
  CHECK_FALSE(needs.reserves_generic);
  CHECK(needs.host_ports == std::vector<std::string>{"tcp/8080", "udp/53"});
  docker::Node arm = Node();
  arm.platform_arch = "arm64";
  CHECK(PlatformMatches(needs, arm));           // aarch64 = arm64
  CHECK_FALSE(PlatformMatches(needs, Node()));  // x86_64 is neither
  docker::Node windows = Node();
  windows.platform_os = "windows";
  CHECK(PlatformMatches(needs, windows));  // any architecture
  CHECK(PlatformMatches(PlacementNeeds{}, Node()));

  // Wrong types and missing parts read as "nothing asked".
  PlacementNeeds odd = PlacementNeedsOf(nlohmann::json::parse(
      R"({"TaskTemplate": {"Placement": {"Constraints": "x", "MaxReplicas": -1},
          "Resources": {"Reservations": {"MemoryBytes": "lots",
                                         "GenericResources": [{"DiscreteResourceSpec": {}}]}}}})"));
  CHECK(odd.constraints.empty());
  CHECK(odd.max_replicas == 0);
  CHECK(odd.reserve_memory_bytes == 0);
  CHECK(odd.reserves_generic);
  CHECK(PlacementNeedsOf(nlohmann::json()).constraints.empty());
}

TEST_CASE("placement: opting out by service or container label", "[rebalance][placement]") {
  docker::Service s;
  CHECK_FALSE(OptedOut(s));
  s.labels["orcastra.rebalance"] = "false";
  CHECK(OptedOut(s));
  s.labels["orcastra.rebalance"] = " OFF ";
  CHECK(OptedOut(s));
  s.labels["orcastra.rebalance"] = "true";
  CHECK_FALSE(OptedOut(s));
  s.labels.clear();
  s.spec = {{"TaskTemplate", {{"ContainerSpec", {{"Labels", {{"orcastra.rebalance", "0"}}}}}}}};
  CHECK(OptedOut(s));
  s.spec["TaskTemplate"]["ContainerSpec"]["Labels"]["orcastra.rebalance"] = 0;  // not a string
  CHECK_FALSE(OptedOut(s));
}

}  // namespace
}  // namespace orcastra::leader
