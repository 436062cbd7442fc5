// What a leader checks in an agent's hello and what ZAP hands it, on any input: VerifyAttestation
// on attestations made of the input's fields and on a valid one with the input's bytes flipped
// into one field; ParseSwarmNodeKey on the input (an agent's node key file); ParseZapRequest,
// DecideZap and PeerAuth::Parse on frames made of the input. Invariants: a forged or altered
// attestation never proves a node (only the untouched valid one does, for its own node); every
// refusal is PermissionDenied, ParseError or Unavailable with a message, which never holds the
// manager token; a parsed key is usable; ZAP admits exactly the keys of its key set, with a user
// id that parses back to the same role, name and serial.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

#include "leader/security/plan.h"
#include "protocol/attestation.h"
#include "protocol/keys.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/support/test_pki.h"

using namespace orcastra;

namespace {

constexpr std::time_t kNow = 1'800'000'000;
constexpr char kToken[] = "SWMTKN-1-fuzz-manager-token";

struct World {
  World() : swarm(kNow) {
    leader = *protocol::NewKeyPair();
    agent = *protocol::NewKeyPair();
    trust = {swarm.cluster_id(), swarm.root_pem(), kToken};
    cert = swarm.NodeCert("node1", node_key);
    auto key = protocol::ParseSwarmNodeKey(node_key.Pkcs8Pem("kek-version: 0"));
    FUZZ_CHECK(key.ok());
    auto made = protocol::MakeCertAttestation(
        {"node1", std::int64_t{kNow} * 1000, "00112233445566778899aabbccddeeff", leader.public_key,
         agent.public_key},
        cert, *key);
    FUZZ_CHECK(made.ok());
    valid = *made;
    keys.clients = {{protocol::Role::kAgent, agent.public_key, "agents", 1}};
  }
  protocol::AttestationCheck Check(const std::string& node) const {
    protocol::AttestationCheck check;
    check.claimed_node_id = node;
    check.leader_public_keys = {leader.public_key};
    check.agent_public_key = agent.public_key;
    check.now_ms = std::int64_t{kNow} * 1000;
    check.claimed_node_is_manager = true;
    return check;
  }
  testing::TestSwarm swarm;
  testing::TestKey node_key;
  protocol::KeyFile leader, agent;
  protocol::SwarmTrust trust;
  std::string cert;
  protocol::Attestation valid;
  protocol::KeySet keys;
};

void CheckRefusal(const Status& status) {
  FUZZ_CHECK(status.code() == Status::Code::kPermissionDenied ||
             status.code() == Status::Code::kParseError ||
             status.code() == Status::Code::kUnavailable);
  FUZZ_CHECK(!status.message().empty());
  FUZZ_CHECK(status.message().find(kToken) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const World world;
  FuzzedDataProvider in(data, size);

  // 1. A valid attestation with one field altered by the input.
  {
    protocol::Attestation a = world.valid;
    std::string* fields[] = {&a.method,    &a.cert_pem,  &a.nonce, &a.leader_key,
                             &a.agent_key, &a.signature, &a.error};
    std::string& field = *fields[in.ConsumeIntegralInRange<std::size_t>(0, 6)];
    const std::string before = field;
    const std::size_t flips = in.ConsumeIntegralInRange<std::size_t>(0, 4);
    for (std::size_t i = 0; i < flips && !field.empty(); ++i) {
      const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, field.size() - 1);
      field[at] = static_cast<char>(in.ConsumeIntegral<std::uint8_t>());
    }
    const std::string node =
        in.ConsumeBool() ? std::string("node1") : in.ConsumeRandomLengthString(40);
    auto result = protocol::VerifyAttestation(a, world.Check(node), world.trust);
    const bool untouched = field == before && node == "node1";
    if (result.ok()) {
      // The error text is not signed; a certificate's PEM may change where its DER does not
      // (line ends, text after the END line) and still be the same certificate.
      FUZZ_CHECK(untouched || &field == &a.error || (&field == &a.cert_pem && node == "node1"));
      FUZZ_CHECK(result->node_id == "node1" && result->method == "swarm-cert");
    } else {
      FUZZ_CHECK(!untouched);
      CheckRefusal(result.status());
    }
  }

  // 2. An attestation made of the input's fields.
  {
    protocol::Attestation a;
    a.method = in.ConsumeBool() ? std::string(in.ConsumeBool() ? "swarm-cert" : "manager-token")
                                : in.ConsumeRandomLengthString(20);
    a.cert_pem = in.ConsumeBool() ? world.cert : in.ConsumeRandomLengthString(4096);
    a.ts_ms = in.ConsumeIntegral<std::int64_t>();
    a.nonce = in.ConsumeRandomLengthString(40);
    a.leader_key = in.ConsumeBool() ? world.leader.public_key : in.ConsumeRandomLengthString(45);
    a.agent_key = in.ConsumeBool() ? world.agent.public_key : in.ConsumeRandomLengthString(45);
    a.signature = in.ConsumeRandomLengthString(200);
    a.error = in.ConsumeRandomLengthString(600);
    auto result = protocol::VerifyAttestation(a, world.Check("node1"), world.trust);
    FUZZ_CHECK(!result.ok());  // no valid signature can come from the input
    CheckRefusal(result.status());
  }

  // 3. ZAP frames.
  {
    std::vector<std::string> frames;
    const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 8);
    for (std::size_t i = 0; i < count; ++i) {
      if (i == 6 && in.ConsumeBool()) {
        frames.push_back(*protocol::Z85Decode(world.agent.public_key));
      } else {
        frames.push_back(in.ConsumeRandomLengthString(64));
      }
    }
    auto request = leader::ParseZapRequest(frames);
    FUZZ_CHECK(request.ok() == (count == 6 || count == 7));
    if (request.ok()) {
      const std::uint64_t serial = in.ConsumeIntegral<std::uint64_t>();
      leader::ZapDecision decision = leader::DecideZap(*request, world.keys, serial);
      const bool known = request->credentials.size() == 1 &&
                         request->credentials[0] == *protocol::Z85Decode(world.agent.public_key);
      const bool should = request->version == "1.0" && request->mechanism == "CURVE" &&
                          (request->domain == "agents" || request->domain == "control") && known;
      FUZZ_CHECK(decision.admit == should);
      if (decision.admit) {
        auto auth = leader::PeerAuth::Parse(decision.user_id);
        FUZZ_CHECK(auth && auth->serial == serial && auth->key_name == "agents" &&
                   auth->role == protocol::Role::kAgent);
      } else {
        FUZZ_CHECK(decision.status_code == "400" || decision.status_code == "500");
        FUZZ_CHECK(decision.user_id.empty());
      }
    }
  }

  // 4. The rest: a user id, and a node key file.
  const std::string rest = in.ConsumeRemainingBytesAsString();
  if (auto auth = leader::PeerAuth::Parse(rest)) {
    auto again = leader::PeerAuth::Parse(auth->Format());
    FUZZ_CHECK(again && again->role == auth->role && again->key_name == auth->key_name &&
               again->serial == auth->serial);
  }
  auto key = protocol::ParseSwarmNodeKey(rest);
  if (key.ok()) {
    FUZZ_CHECK(key->ok());
  } else {
    FUZZ_CHECK(key.status().code() == Status::Code::kParseError ||
               key.status().code() == Status::Code::kUnsupported);
  }
  return 0;
}
