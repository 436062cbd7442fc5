#include "agent/identity/attester.h"

#include <string.h>

#include <utility>

#include "common/files.h"
#include "protocol/attestation.h"

namespace orcastra::agent {
namespace {

// Overwrites a secret's bytes before the string goes.
void Wipe(std::string& secret) {
  if (!secret.empty()) explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace

NodeAttester::NodeAttester(std::string cert_dir, ManagerToken manager_token)
    : cert_dir_(std::move(cert_dir)), manager_token_(std::move(manager_token)) {}

protocol::Attestation NodeAttester::Attest(const std::string& node_id,
                                           const std::string& leader_key,
                                           const std::string& agent_key, std::int64_t now_ms) {
  auto fail = [&](std::string why) {
    problem_ = std::move(why);
    method_.clear();
    return protocol::NoAttestation(problem_);
  };
  if (node_id.empty()) return fail("the node is not in a swarm (no node id)");
  auto nonce = protocol::NewNonce();
  if (!nonce.ok()) return fail(nonce.status().message());
  const protocol::AttestationInput input{node_id, now_ms, *nonce, leader_key, agent_key};

  const std::string cert_path = cert_dir_ + "/swarm-node.crt";
  const std::string key_path = cert_dir_ + "/swarm-node.key";
  auto key_text = ReadFileBounded(key_path, kMaxFileBytes);
  if (!key_text.ok()) {
    return fail("cannot read the node's Swarm key: " + key_text.status().message() +
                " (mount the node's swarm/certificates directory read-only; doc/security.md)");
  }
  auto key = protocol::ParseSwarmNodeKey(*key_text);
  Wipe(*key_text);
  std::optional<protocol::Attestation> made;
  if (key.ok()) {
    auto cert = ReadFileBounded(cert_path, kMaxFileBytes);
    if (!cert.ok()) {
      return fail("cannot read the node's Swarm certificate: " + cert.status().message());
    }
    auto attestation = protocol::MakeCertAttestation(input, std::move(cert).value(), *key);
    if (!attestation.ok()) return fail(attestation.status().message());
    made = std::move(attestation).value();
  } else if (key.status().code() == Status::Code::kUnsupported && manager_token_) {
    // An encrypted key (autolock) on a manager: prove manager access instead.
    auto token = manager_token_();
    if (!token.ok()) {
      return fail(key.status().message() + ", and the manager join token is not available (" +
                  token.status().message() + ")");
    }
    auto attestation = protocol::MakeTokenAttestation(input, *token);
    Wipe(*token);
    if (!attestation.ok()) return fail(attestation.status().message());
    made = std::move(attestation).value();
  } else {
    return fail("the node's Swarm key '" + key_path + "': " + key.status().message());
  }
  problem_.clear();
  method_ = made->method;
  return std::move(*made);
}

}  // namespace orcastra::agent
