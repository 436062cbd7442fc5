// The agent's node proof (agent/identity/attester.h) from a certificate directory laid out as
// Swarm's, with keys and certificates made here.
#include "agent/identity/attester.h"

#include <catch2/catch.hpp>
#include <ctime>

#include "protocol/attestation.h"
#include "protocol/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace orcastra::agent {
namespace {

constexpr std::time_t kNow = 1'800'000'000;
constexpr std::int64_t kNowMs = std::int64_t{kNow} * 1000;

struct Fixture {
  testing::TempDir dir{"attester"};
  testing::TestSwarm swarm{kNow};
  testing::TestKey node_key;
  protocol::KeyFile leader = *protocol::NewKeyPair();
  protocol::KeyFile agent = *protocol::NewKeyPair();
  int token_calls = 0;
  std::string token = "SWMTKN-1-for-managers";

  NodeAttester Attester() {
    return NodeAttester(dir.path(), [this]() -> Result<std::string> {
      ++token_calls;
      if (token.empty()) return Status::Unavailable("This node is not a swarm manager.");
      return token;
    });
  }
  Result<protocol::AttestedIdentity> Verify(const protocol::Attestation& a, bool manager) {
    protocol::AttestationCheck check;
    check.claimed_node_id = "node1";
    check.leader_public_keys = {leader.public_key};
    check.agent_public_key = agent.public_key;
    check.now_ms = kNowMs;
    check.claimed_node_is_manager = manager;
    return protocol::VerifyAttestation(
        a, check, {swarm.cluster_id(), swarm.root_pem(), "SWMTKN-1-for-managers"});
  }
};

TEST_CASE("attester: signs with the node's Swarm key as swarmkit stores it", "[agent][identity]") {
  Fixture f;
  f.dir.Write("swarm-node.crt", f.swarm.NodeCert("node1", f.node_key));
  f.dir.Write("swarm-node.key",
              f.node_key.Pkcs8Pem("kek-version: 0\nraft-dek: c2VjcmV0IHJhZnQga2V5"));
  NodeAttester attester = f.Attester();
  const protocol::Attestation a =
      attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs);
  CHECK(a.method == "swarm-cert");
  CHECK(attester.LastProblem().empty());
  CHECK(attester.LastMethod() == "swarm-cert");
  auto proven = f.Verify(a, false);
  INFO(proven.status().ToString());
  CHECK(proven.ok());
  CHECK(f.token_calls == 0);  // the token is asked for only when the key cannot sign
  // Nothing of the key file travels: no raft DEK, no key.
  CHECK(a.cert_pem.find("raft-dek") == std::string::npos);
  CHECK(a.cert_pem.find("PRIVATE KEY") == std::string::npos);
  // A renewed certificate and key are read at the next attestation.
  testing::TestKey renewed;
  f.dir.Write("swarm-node.crt", f.swarm.NodeCert("node1", renewed));
  f.dir.Write("swarm-node.key", renewed.Pkcs8Pem("kek-version: 0"));
  CHECK(f.Verify(attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs), false)
            .ok());
}

TEST_CASE("attester: an autolocked manager proves manager access with the join token",
          "[agent][identity]") {
  Fixture f;
  f.dir.Write("swarm-node.crt", f.swarm.NodeCert("node1", f.node_key, "swarm-manager"));
  f.dir.Write("swarm-node.key", f.node_key.EncryptedPem("SWMKEY-1-unlock"));
  NodeAttester attester = f.Attester();
  const protocol::Attestation a =
      attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs);
  CHECK(a.method == "manager-token");
  CHECK(f.token_calls == 1);
  CHECK(f.Verify(a, true).ok());
  CHECK_FALSE(f.Verify(a, false).ok());  // not for a node Swarm lists as a worker
  // A worker cannot get the token: no proof, and the reason says both things.
  f.token.clear();
  const protocol::Attestation none =
      attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs);
  CHECK(none.method.empty());
  CHECK_THAT(none.error, Catch::Contains("encrypted") && Catch::Contains("not a swarm manager"));
  CHECK(attester.LastProblem() == none.error);
}

TEST_CASE("attester: without the certificate directory it says how to fix it",
          "[agent][identity]") {
  Fixture f;
  NodeAttester attester = f.Attester();
  protocol::Attestation a =
      attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs);
  CHECK(a.method.empty());
  CHECK_THAT(a.error, Catch::Contains("swarm-node.key") &&
                          Catch::Contains("mount the node's swarm/certificates directory"));
  f.dir.Write("swarm-node.key", f.node_key.Pkcs8Pem());
  a = attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs);
  CHECK_THAT(a.error, Catch::Contains("swarm-node.crt"));
  // A key that does not belong to the certificate.
  testing::TestKey other;
  f.dir.Write("swarm-node.crt", f.swarm.NodeCert("node1", other));
  a = attester.Attest("node1", f.leader.public_key, f.agent.public_key, kNowMs);
  CHECK_THAT(a.error, Catch::Contains("does not belong to its certificate"));
  CHECK(attester.Attest("", f.leader.public_key, f.agent.public_key, kNowMs).method.empty());
}

}  // namespace
}  // namespace orcastra::agent
