// Node attestation: how an agent proves to a leader which Swarm node it runs on, with what every
// Swarm node already has (doc/security.md "Node identity"):
//
// - "swarm-cert": the node's Swarm TLS certificate (CN = node id, OU = swarm-worker or
//   swarm-manager, O = cluster id, signed by the swarm's root CA) and an ECDSA signature made
//   with the node's key (swarm-node.key) over CanonicalBytes(). A leader checks the chain against
//   the swarm's TrustRoot (GET /swarm on a manager), the names, the validity period, the
//   signature and the timestamp.
// - "manager-token": for a manager whose key is encrypted (autolock): an HMAC-SHA256 over the same
//   bytes keyed with the swarm's manager join token, which only a manager's Engine API gives out.
//   It proves access to a manager (which already controls the whole swarm), not which manager; a
//   leader accepts it only for a node Swarm lists as a manager.
//
// The signed bytes bind the node id, the time, a fresh nonce, the leader's public key (an
// attestation made for one leader key is worth nothing with another) and the agent's CURVE key.
//
// Pure functions of their arguments (the randomness of a nonce and the signing key are passed in);
// thread-safe. Nothing here logs, and no error text contains a key or a token.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/messages.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace orcastra::protocol {

inline constexpr char kAttestSwarmCert[] = "swarm-cert";
inline constexpr char kAttestManagerToken[] = "manager-token";

// Limits of what a leader accepts in an attestation (larger is refused before any parsing).
inline constexpr std::size_t kMaxAttestationCertBytes = 16 * 1024;
inline constexpr std::size_t kMaxAttestationCerts = 4;
inline constexpr std::size_t kMaxAttestationSignatureHex = 1024;
inline constexpr std::size_t kAttestationNonceHex = 32;
inline constexpr std::size_t kMaxAttestationErrorBytes = 512;
// How far an attestation's timestamp may be from the leader's clock (either way).
inline constexpr std::chrono::minutes kMaxAttestationSkew{5};

// The bytes that are signed: a context string, then method, node id, timestamp, nonce, leader key
// and agent key, each as DECIMAL-LENGTH ":" BYTES "\n", so no two field lists give the same bytes.
std::string CanonicalBytes(std::string_view method, std::string_view node_id, std::int64_t ts_ms,
                           std::string_view nonce, std::string_view leader_key,
                           std::string_view agent_key);

// A node's private key (the key of its Swarm certificate).
class NodeKey {
 public:
  NodeKey() = default;
  explicit NodeKey(EVP_PKEY* key);  // takes ownership
  bool ok() const { return key_ != nullptr; }
  EVP_PKEY* get() const { return key_.get(); }

 private:
  struct Free {
    void operator()(EVP_PKEY* key) const;
  };
  std::unique_ptr<EVP_PKEY, Free> key_;
};

// Reads swarm-node.key as swarmkit writes it: PEM "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY",
// with swarmkit's own header lines ("kek-version: 0", "raft-dek: ...") that OpenSSL's PEM reader
// refuses; their values are never kept. Unsupported when the key is encrypted ("ENCRYPTED PRIVATE
// KEY": the swarm is autolocked), ParseError for anything else that is not a private key.
Result<NodeKey> ParseSwarmNodeKey(std::string_view pem);

// Lower-case hex of `bytes`, and back (nullopt for odd length or a non-hex digit).
std::string Hex(std::string_view bytes);
std::optional<std::string> Unhex(std::string_view hex);

// kAttestationNonceHex fresh hex digits from OpenSSL's random source.
Result<std::string> NewNonce();

// What goes into an attestation besides the proof.
struct AttestationInput {
  std::string node_id{};
  std::int64_t ts_ms = 0;
  std::string nonce{};       // kAttestationNonceHex hex digits (Hex of 16 random bytes)
  std::string leader_key{};  // Z85
  std::string agent_key{};   // Z85
};

// A "swarm-cert" attestation signed with `key` (the certificate's own key).
Result<Attestation> MakeCertAttestation(const AttestationInput& input, std::string cert_pem,
                                        const NodeKey& key);
// A "manager-token" attestation keyed with the manager join token.
Result<Attestation> MakeTokenAttestation(const AttestationInput& input,
                                         std::string_view manager_token);
// A hello's attestation when none can be made: method "", `error` (cut to
// kMaxAttestationErrorBytes) saying why.
Attestation NoAttestation(std::string why);

// What a leader knows of the swarm to check attestations with (from GET /swarm on its manager).
// The manager token is a secret: it is never logged or shown.
struct SwarmTrust {
  std::string cluster_id{};      // Swarm's ID, the O of every node certificate
  std::string trust_root_pem{};  // TLSInfo.TrustRoot: one or more CA certificates (two while the
                                 // CA is rotated)
  std::string manager_token{};   // JoinTokens.Manager; "" when unknown
  bool ok() const { return !cluster_id.empty() && !trust_root_pem.empty(); }
};

// What the leader expects of one hello's attestation.
struct AttestationCheck {
  std::string claimed_node_id{};                  // the hello's node_id
  std::vector<std::string> leader_public_keys{};  // this leader's (Z85)
  std::string agent_public_key{};  // the key the connection authenticated with (Z85); "" skips it
  std::int64_t now_ms = 0;         // the leader's wall clock
  bool claimed_node_is_manager = false;  // Swarm's node list says so (for manager-token)
};

// Who a valid attestation proved the sender to be.
struct AttestedIdentity {
  std::string node_id{};
  std::string method{};      // kAttestSwarmCert or kAttestManagerToken
  std::string swarm_role{};  // "manager" or "worker" (from the certificate's OU, or the token)
};

// Checks `attestation` against `check` and `trust`. PermissionDenied with the reason when it does
// not prove the claimed node (no attestation: the agent's own reason; wrong CA, CN, O, OU,
// expired or not yet valid, bad signature, stale or future timestamp, made for another leader or
// agent key, manager-token for a node that is not a manager or with the wrong token);
// Unavailable when `trust` is not known yet; ParseError for fields that are malformed or over the
// limits above.
Result<AttestedIdentity> VerifyAttestation(const Attestation& attestation,
                                           const AttestationCheck& check, const SwarmTrust& trust);

}  // namespace orcastra::protocol
