// The standalone agent's memory of its membership (agent/rejoin/memory.h): round trips, each
// refusal naming its field, and the files it keeps (mode 0600, written only when changed).
#include "agent/rejoin/memory.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace orcastra::agent {
namespace {

Membership Sample() {
  return {"w2node0000000000000000001",
          "w2",
          "198.51.100.22",
          {"tcp://198.51.100.11:7470", "tcp://198.51.100.12:7470"},
          1765000000000};
}

TEST_CASE("rejoin memory: what is written reads back the same", "[rejoin]") {
  const Membership m = Sample();
  auto back = DecodeMembership(EncodeMembership(m));
  REQUIRE(back.ok());
  CHECK(*back == m);
}

TEST_CASE("rejoin memory: anything out of shape is refused, naming the field", "[rejoin]") {
  struct Row {
    std::string text;
    std::string says;
  };
  const std::vector<Row> rows = {
      {"", "not a JSON object"},
      {"[]", "not a JSON object"},
      {R"({"hostname":"w2","leader_endpoints":["tcp://a:1"]})", "'node_id' is missing"},
      {R"({"node_id":"W2!","hostname":"w2","leader_endpoints":["tcp://a:1"]})",
       "not a Swarm node id"},
      {R"({"node_id":"abc","hostname":"","leader_endpoints":["tcp://a:1"]})",
       "'hostname' is empty"},
      {R"({"node_id":"abc","hostname":"w2","leader_endpoints":[]})", "'leader_endpoints' has 0"},
      {R"({"node_id":"abc","hostname":"w2","leader_endpoints":"tcp://a:1"})", "not an array"},
      {R"({"node_id":"abc","hostname":"w2","leader_endpoints":["http://a:1"]})",
       "not tcp://HOST:PORT"},
      {R"({"node_id":"abc","hostname":"w2","leader_endpoints":[1]})", "not tcp://HOST:PORT"},
      {R"({"node_id":"abc","hostname":7,"leader_endpoints":["tcp://a:1"]})", "not a string"},
      {R"({"node_id":"abc","hostname":"w2","leader_endpoints":["tcp://a:1"],"saved_ms":"x"})",
       "'saved_ms' is not an integer"},
      {"{\"node_id\":\"abc\",\"hostname\":\"w\xff\",\"leader_endpoints\":[\"tcp://a:1\"]}",
       "not a JSON object"},  // nlohmann refuses invalid UTF-8 in a document
      {std::string(kMaxMembershipBytes + 1, ' '), "over"},
  };
  for (const Row& row : rows) {
    INFO(row.text.substr(0, 100));
    auto m = DecodeMembership(row.text);
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.status().message(), Catch::Contains(row.says));
  }
  std::string many = R"({"node_id":"abc","hostname":"w2","leader_endpoints":[)";
  for (std::size_t i = 0; i <= kMaxRememberedEndpoints; ++i) many += "\"tcp://a:1\",";
  many.back() = ']';
  many += "}";
  CHECK_THAT(DecodeMembership(many).status().message(), Catch::Contains("has 17 entries"));
}

TEST_CASE("rejoin memory: saved with copies of the node's certificate, mode 0600", "[rejoin]") {
  testing::TempDir certs("rejoin-certs");
  testing::TempDir state("rejoin-state");
  certs.Write("swarm-node.crt", "CERT 1");
  certs.Write("swarm-node.key", "KEY 1");
  const MembershipFiles files{state.File("rejoin")};
  CHECK(LoadMembership(files).status().code() == Status::Code::kNotFound);
  REQUIRE(SaveMembership(files, Sample(), certs.path()).ok());
  auto loaded = LoadMembership(files);
  REQUIRE(loaded.ok());
  CHECK(*loaded == Sample());
  CHECK(testing::ReadFile(files.cert()) == "CERT 1");
  CHECK(testing::ReadFile(files.key()) == "KEY 1");
  for (const std::string& path : {files.json(), files.cert(), files.key()}) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  // Same membership at a later time: not rewritten; a renewed certificate is copied.
  Membership later = Sample();
  later.saved_ms += 60000;
  certs.Write("swarm-node.crt", "CERT 2");
  REQUIRE(SaveMembership(files, later, certs.path()).ok());
  CHECK(LoadMembership(files)->saved_ms == Sample().saved_ms);
  CHECK(testing::ReadFile(files.cert()) == "CERT 2");
  // Without the certificate nothing is saved.
  certs.Remove("swarm-node.key");
  Membership moved = Sample();
  moved.node_addr = "198.51.100.99";
  CHECK_FALSE(SaveMembership(files, moved, certs.path()).ok());
  CHECK(LoadMembership(files)->node_addr == "198.51.100.22");
}

}  // namespace
}  // namespace orcastra::agent
