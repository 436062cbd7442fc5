// Node attestation (protocol/attestation.h) with certificates made here by OpenSSL: the swarm's
// root CA, node certificates like Swarm's, and every way one can fail to prove a node.
#include "protocol/attestation.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

#include "protocol/keys.h"
#include "tests/support/test_pki.h"

namespace orcastra::protocol {
namespace {

using testing::TestKey;
using testing::TestSwarm;

constexpr std::time_t kNow = 1'800'000'000;  // 2027-01-15
constexpr std::int64_t kNowMs = std::int64_t{kNow} * 1000;
constexpr char kNode[] = "dwhkj54qx87ntqjoh3d4zgakd";
constexpr char kOtherNode[] = "oq5gbsucsj4onwumiqbpbo8q0";

struct Fixture {
  Fixture() : swarm(kNow) {
    leader = *NewKeyPair();
    agent = *NewKeyPair();
    trust.cluster_id = swarm.cluster_id();
    trust.trust_root_pem = swarm.root_pem();
    trust.manager_token = "SWMTKN-1-manager-token-for-tests";
  }

  AttestationInput Input(const std::string& node = kNode, std::int64_t ts_ms = kNowMs) const {
    return {node, ts_ms, "0123456789abcdef0123456789abcdef", leader.public_key, agent.public_key};
  }
  AttestationCheck Check(const std::string& node = kNode) const {
    AttestationCheck check;
    check.claimed_node_id = node;
    check.leader_public_keys = {leader.public_key};
    check.agent_public_key = agent.public_key;
    check.now_ms = kNowMs;
    return check;
  }
  Attestation Signed(const std::string& cert_pem, const TestKey& key,
                     const AttestationInput& input) const {
    auto parsed = ParseSwarmNodeKey(key.Pkcs8Pem("kek-version: 0"));
    REQUIRE(parsed.ok());
    auto made = MakeCertAttestation(input, cert_pem, *parsed);
    INFO(made.status().ToString());
    REQUIRE(made.ok());
    return *made;
  }

  TestSwarm swarm;
  TestKey node_key;
  KeyFile leader;
  KeyFile agent;
  SwarmTrust trust;
};

// The reason a refused attestation gives.
std::string Refusal(const Result<AttestedIdentity>& result) {
  REQUIRE_FALSE(result.ok());
  return result.status().message();
}

TEST_CASE("attestation: a node certificate and its key prove the node", "[attestation]") {
  Fixture f;
  const Attestation a =
      f.Signed(f.swarm.NodeCert(kNode, f.node_key, "swarm-worker"), f.node_key, f.Input());
  CHECK(a.method == kAttestSwarmCert);
  CHECK(a.leader_key == f.leader.public_key);
  auto proven = VerifyAttestation(a, f.Check(), f.trust);
  INFO(proven.status().ToString());
  REQUIRE(proven.ok());
  CHECK(proven->node_id == kNode);
  CHECK(proven->method == "swarm-cert");
  CHECK(proven->swarm_role == "worker");

  const Attestation m =
      f.Signed(f.swarm.NodeCert(kNode, f.node_key, "swarm-manager"), f.node_key, f.Input());
  auto manager = VerifyAttestation(m, f.Check(), f.trust);
  REQUIRE(manager.ok());
  CHECK(manager->swarm_role == "manager");
}

TEST_CASE("attestation: a chain through an intermediate CA verifies", "[attestation]") {
  Fixture f;
  const Attestation a =
      f.Signed(f.swarm.NodeCertViaIntermediate(kNode, f.node_key), f.node_key, f.Input());
  auto proven = VerifyAttestation(a, f.Check(), f.trust);
  INFO(proven.status().ToString());
  CHECK(proven.ok());
}

TEST_CASE("attestation: the CA of another swarm is refused", "[attestation]") {
  Fixture f;
  TestSwarm other(kNow, f.swarm.cluster_id());  // same cluster id, another root key
  const Attestation a = f.Signed(other.NodeCert(kNode, f.node_key), f.node_key, f.Input());
  auto result = VerifyAttestation(a, f.Check(), f.trust);
  CHECK(result.status().code() == Status::Code::kPermissionDenied);
  CHECK_THAT(Refusal(result), Catch::Contains("does not verify against the swarm's CA"));
}

TEST_CASE("attestation: a certificate of another node (CN) is refused", "[attestation]") {
  Fixture f;
  // A worker holding its own real certificate, claiming another node's id.
  const Attestation a =
      f.Signed(f.swarm.NodeCert(kNode, f.node_key), f.node_key, f.Input(kOtherNode));
  auto result = VerifyAttestation(a, f.Check(kOtherNode), f.trust);
  CHECK(result.status().code() == Status::Code::kPermissionDenied);
  CHECK_THAT(Refusal(result), Catch::Contains("the certificate is for node '" + std::string(kNode) +
                                              "', not the claimed '" + kOtherNode + "'"));
}

TEST_CASE("attestation: another cluster id (O) or an unknown OU is refused", "[attestation]") {
  Fixture f;
  const Attestation wrong_o =
      f.Signed(f.swarm.NodeCert(kNode, f.node_key, "swarm-worker", -3600, 3600, "othercluster"),
               f.node_key, f.Input());
  CHECK_THAT(Refusal(VerifyAttestation(wrong_o, f.Check(), f.trust)),
             Catch::Contains("another swarm"));
  const Attestation wrong_ou =
      f.Signed(f.swarm.NodeCert(kNode, f.node_key, "swarm-admin"), f.node_key, f.Input());
  CHECK_THAT(Refusal(VerifyAttestation(wrong_ou, f.Check(), f.trust)),
             Catch::Contains("OU 'swarm-admin'"));
}

TEST_CASE("attestation: an expired or not yet valid certificate is refused", "[attestation]") {
  Fixture f;
  const Attestation expired = f.Signed(
      f.swarm.NodeCert(kNode, f.node_key, "swarm-worker", -7200, -60), f.node_key, f.Input());
  CHECK_THAT(Refusal(VerifyAttestation(expired, f.Check(), f.trust)),
             Catch::Contains("certificate has expired"));
  const Attestation early = f.Signed(f.swarm.NodeCert(kNode, f.node_key, "swarm-worker", 600, 7200),
                                     f.node_key, f.Input());
  CHECK_THAT(Refusal(VerifyAttestation(early, f.Check(), f.trust)),
             Catch::Contains("not yet valid"));
}

TEST_CASE("attestation: a bad signature is refused", "[attestation]") {
  Fixture f;
  const std::string cert = f.swarm.NodeCert(kNode, f.node_key);
  // Signed by another key than the certificate's.
  TestKey other_key;
  auto other = ParseSwarmNodeKey(other_key.Pkcs8Pem());
  REQUIRE(other.ok());
  CHECK_FALSE(MakeCertAttestation(f.Input(), cert, *other).ok());  // the agent notices first
  Attestation a = f.Signed(cert, f.node_key, f.Input());
  // A signature that verifies, over other bytes: the timestamp changed after signing.
  Attestation moved = a;
  moved.ts_ms += 1;
  CHECK_THAT(Refusal(VerifyAttestation(moved, f.Check(), f.trust)),
             Catch::Contains("signature does not verify"));
  // A flipped bit.
  Attestation flipped = a;
  flipped.signature[10] = flipped.signature[10] == '0' ? '1' : '0';
  CHECK_FALSE(VerifyAttestation(flipped, f.Check(), f.trust).ok());
  // Another nonce than the signed one.
  Attestation renonced = a;
  renonced.nonce = "ffffffffffffffffffffffffffffffff";
  CHECK_THAT(Refusal(VerifyAttestation(renonced, f.Check(), f.trust)),
             Catch::Contains("signature does not verify"));
}

TEST_CASE("attestation: a stale or future timestamp is refused", "[attestation]") {
  Fixture f;
  const std::string cert = f.swarm.NodeCert(kNode, f.node_key);
  const std::int64_t six_minutes = 6 * 60 * 1000;
  const Attestation stale = f.Signed(cert, f.node_key, f.Input(kNode, kNowMs - six_minutes));
  CHECK_THAT(Refusal(VerifyAttestation(stale, f.Check(), f.trust)),
             Catch::Contains("360 s behind"));
  const Attestation future = f.Signed(cert, f.node_key, f.Input(kNode, kNowMs + six_minutes));
  CHECK_THAT(Refusal(VerifyAttestation(future, f.Check(), f.trust)),
             Catch::Contains("360 s ahead"));
  // Within the window either way.
  const Attestation skewed = f.Signed(cert, f.node_key, f.Input(kNode, kNowMs - 4 * 60 * 1000));
  CHECK(VerifyAttestation(skewed, f.Check(), f.trust).ok());
}

// Found by the long run of fuzz_attestation: `now_ms - ts_ms` overflowed int64 (UB) for a peer's
// ts_ms near INT64_MIN.
TEST_CASE("attestation: a timestamp at either end of int64 is refused, with its distance",
          "[attestation]") {
  Fixture f;
  const std::string cert = f.swarm.NodeCert(kNode, f.node_key);
  const auto now = static_cast<std::uint64_t>(kNowMs);
  const std::uint64_t below = now + (std::uint64_t{1} << 63);  // now - INT64_MIN, exactly
  Attestation oldest = f.Signed(cert, f.node_key, f.Input());
  oldest.ts_ms = std::numeric_limits<std::int64_t>::min();
  CHECK(Refusal(VerifyAttestation(oldest, f.Check(), f.trust)) ==
        "attestation refused: its timestamp is " + std::to_string(below / 1000) +
            " s behind this leader's clock (at most 300 s)");
  Attestation latest = f.Signed(cert, f.node_key, f.Input());
  latest.ts_ms = std::numeric_limits<std::int64_t>::max();
  const std::uint64_t above = std::uint64_t{std::numeric_limits<std::int64_t>::max()} - now;
  CHECK(Refusal(VerifyAttestation(latest, f.Check(), f.trust)) ==
        "attestation refused: its timestamp is " + std::to_string(above / 1000) +
            " s ahead of this leader's clock (at most 300 s)");
  // The window's edges: 300 s either way passes the clock check (and fails only the signature).
  Attestation edge = f.Signed(cert, f.node_key, f.Input());
  edge.ts_ms = kNowMs - 300'000;
  CHECK_THAT(Refusal(VerifyAttestation(edge, f.Check(), f.trust)),
             Catch::Contains("signature does not verify"));
  edge.ts_ms = kNowMs + 300'000;
  CHECK_THAT(Refusal(VerifyAttestation(edge, f.Check(), f.trust)),
             Catch::Contains("signature does not verify"));
  edge.ts_ms = kNowMs + 300'001;
  CHECK_THAT(Refusal(VerifyAttestation(edge, f.Check(), f.trust)), Catch::Contains("300 s ahead"));
}

TEST_CASE("attestation: made for another leader key or agent key is refused", "[attestation]") {
  Fixture f;
  const Attestation a = f.Signed(f.swarm.NodeCert(kNode, f.node_key), f.node_key, f.Input());
  AttestationCheck other_leader = f.Check();
  other_leader.leader_public_keys = {NewKeyPair()->public_key};
  CHECK_THAT(Refusal(VerifyAttestation(a, other_leader, f.trust)),
             Catch::Contains("another leader key"));
  AttestationCheck other_agent = f.Check();
  other_agent.agent_public_key = NewKeyPair()->public_key;
  CHECK_THAT(Refusal(VerifyAttestation(a, other_agent, f.trust)),
             Catch::Contains("another agent key"));
}

TEST_CASE("attestation: none, malformed fields and an unknown CA", "[attestation]") {
  Fixture f;
  auto none = VerifyAttestation(NoAttestation("the node's key is encrypted"), f.Check(), f.trust);
  CHECK(none.status().code() == Status::Code::kPermissionDenied);
  CHECK_THAT(Refusal(none), Catch::Contains("the agent could not attest: the node's key is "
                                            "encrypted"));
  CHECK_THAT(Refusal(VerifyAttestation(Attestation{}, f.Check(), f.trust)),
             Catch::Contains("carries no attestation"));

  Attestation a = f.Signed(f.swarm.NodeCert(kNode, f.node_key), f.node_key, f.Input());
  CHECK(VerifyAttestation(a, f.Check(), SwarmTrust{}).status().code() ==
        Status::Code::kUnavailable);
  Attestation bad_method = a;
  bad_method.method = "trust-me";
  CHECK(VerifyAttestation(bad_method, f.Check(), f.trust).status().code() ==
        Status::Code::kParseError);
  Attestation bad_nonce = a;
  bad_nonce.nonce = "xyz";
  CHECK(VerifyAttestation(bad_nonce, f.Check(), f.trust).status().code() ==
        Status::Code::kParseError);
  Attestation bad_hex = a;
  bad_hex.signature = "zz";
  CHECK(VerifyAttestation(bad_hex, f.Check(), f.trust).status().code() ==
        Status::Code::kParseError);
  Attestation huge = a;
  huge.cert_pem = std::string(kMaxAttestationCertBytes + 1, 'x');
  CHECK(VerifyAttestation(huge, f.Check(), f.trust).status().code() == Status::Code::kParseError);
  Attestation garbage = a;
  garbage.cert_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  CHECK(VerifyAttestation(garbage, f.Check(), f.trust).status().code() ==
        Status::Code::kParseError);
  Attestation many = a;
  many.cert_pem = a.cert_pem + a.cert_pem + a.cert_pem + a.cert_pem + a.cert_pem;
  CHECK(VerifyAttestation(many, f.Check(), f.trust).status().code() == Status::Code::kParseError);
}

TEST_CASE("attestation: a manager's token proof, only for managers and with the right token",
          "[attestation]") {
  Fixture f;
  auto made = MakeTokenAttestation(f.Input(), f.trust.manager_token);
  REQUIRE(made.ok());
  CHECK(made->method == kAttestManagerToken);
  CHECK(made->cert_pem.empty());
  CHECK(made->signature.find(f.trust.manager_token) == std::string::npos);

  AttestationCheck manager = f.Check();
  manager.claimed_node_is_manager = true;
  auto proven = VerifyAttestation(*made, manager, f.trust);
  REQUIRE(proven.ok());
  CHECK(proven->swarm_role == "manager");
  CHECK(proven->method == "manager-token");

  CHECK_THAT(Refusal(VerifyAttestation(*made, f.Check(), f.trust)),
             Catch::Contains("does not list as a manager"));
  auto wrong = MakeTokenAttestation(f.Input(), "SWMTKN-1-a-worker-guessing");
  REQUIRE(wrong.ok());
  CHECK_THAT(Refusal(VerifyAttestation(*wrong, manager, f.trust)),
             Catch::Contains("manager-token proof is wrong"));
  SwarmTrust no_token = f.trust;
  no_token.manager_token.clear();
  CHECK(VerifyAttestation(*made, manager, no_token).status().code() == Status::Code::kUnavailable);
}

// Found by the long run of fuzz_attestation: a refusal quoted the peer's error text, which held the
// manager token, into the leader's logs and events.
TEST_CASE("attestation: a refusal never quotes the manager token, whoever sent it",
          "[attestation]") {
  Fixture f;
  const std::string& token = f.trust.manager_token;
  auto quoted = VerifyAttestation(NoAttestation("cannot read " + token + " twice: " + token),
                                  f.Check(), f.trust);
  CHECK(quoted.status().code() == Status::Code::kPermissionDenied);
  CHECK(Refusal(quoted) ==
        "attestation refused: the agent could not attest: cannot read <manager token> twice: "
        "<manager token>");
  Attestation method = f.Signed(f.swarm.NodeCert(kNode, f.node_key), f.node_key, f.Input());
  method.method = token;
  auto shown = VerifyAttestation(method, f.Check(), f.trust);
  CHECK(shown.status().code() == Status::Code::kParseError);
  CHECK_THAT(Refusal(shown), Catch::Contains("<manager token>"));
  CHECK(Refusal(shown).find(token) == std::string::npos);
  // A token that is a word of the replacement itself is replaced once, not forever.
  SwarmTrust short_token = f.trust;
  short_token.manager_token = "manager";
  CHECK(Refusal(VerifyAttestation(NoAttestation("manager"), f.Check(), short_token)) ==
        "attestation refused: the agent could not attest: <manager token>");
}

TEST_CASE("attestation: swarm-node.key as swarmkit writes it", "[attestation]") {
  TestKey key;
  // PKCS#8 with swarmkit's headers (a worker's, and a manager's with its raft DEK).
  CHECK(ParseSwarmNodeKey(key.Pkcs8Pem("kek-version: 0\n")).ok());
  CHECK(ParseSwarmNodeKey(
            key.Pkcs8Pem(
                "kek-version: 0\nraft-dek: EiBi+qkHbC2FvbpBimzf5RX5t4YizpHIB1Q4CxRpJu0OfQ==\n"))
            .ok());
  CHECK(ParseSwarmNodeKey(key.Pkcs8Pem()).ok());
  // Autolock: encrypted.
  auto locked = ParseSwarmNodeKey(key.EncryptedPem("unlock-key"));
  CHECK(locked.status().code() == Status::Code::kUnsupported);
  CHECK_THAT(locked.status().message(), Catch::Contains("autolocked"));
  // Not a key.
  CHECK(ParseSwarmNodeKey("").status().code() == Status::Code::kParseError);
  CHECK(ParseSwarmNodeKey("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .status()
            .code() == Status::Code::kParseError);
  CHECK(ParseSwarmNodeKey("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n")
            .status()
            .code() == Status::Code::kParseError);
  CHECK(ParseSwarmNodeKey("-----BEGIN PRIVATE KEY-----\nAAAA\n").status().code() ==
        Status::Code::kParseError);
}

TEST_CASE("attestation: the signed bytes cannot be shifted between fields", "[attestation]") {
  CHECK(CanonicalBytes("swarm-cert", "ab", 1, "c", "d", "e") !=
        CanonicalBytes("swarm-cert", "a", 1, "bc", "d", "e"));
  CHECK(CanonicalBytes("m", "n", 12, "x", "y", "z") != CanonicalBytes("m", "n1", 2, "x", "y", "z"));
  CHECK(Hex("\x01\xff") == "01ff");
  CHECK(Unhex("01ff") == std::string("\x01\xff"));
  CHECK_FALSE(Unhex("0").has_value());
  CHECK_FALSE(Unhex("0G").has_value());
  CHECK_FALSE(Unhex("AB").has_value());  // lower case only, as written
  auto nonce = NewNonce();
  REQUIRE(nonce.ok());
  CHECK(nonce->size() == kAttestationNonceHex);
  CHECK(*nonce != *NewNonce());
}

}  // namespace
}  // namespace orcastra::protocol
