// The agent's proof of its node for its hellos (protocol/attestation.h, doc/security.md "Node
// identity"): signs with the node's own Swarm key, read from the node's Swarm certificate
// directory (mounted read-only: /var/lib/docker/swarm/certificates on the host), or, on a manager
// whose key is encrypted (autolock), with the manager join token its daemon gives out.
//
// The files are read again for every attestation (a renewed certificate is picked up at once)
// and the key's text is wiped after use. Nothing here logs a key or a token: LastProblem() says
// what went wrong, in words. Not thread-safe: the Reporter's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "protocol/messages.h"

namespace orcastra::agent {

class NodeAttester {
 public:
  // GET /swarm's manager join token from the local daemon (Unavailable on a worker).
  using ManagerToken = std::function<Result<std::string>()>;

  // `cert_dir` holds swarm-node.crt and swarm-node.key.
  NodeAttester(std::string cert_dir, ManagerToken manager_token);

  // An attestation of `node_id` for the leader key `leader_key` and this agent's `agent_key`, made
  // at `now_ms`; when none can be made, one that says why (the leader then refuses the hello and
  // shows the reason in `orcastra nodes`).
  protocol::Attestation Attest(const std::string& node_id, const std::string& leader_key,
                               const std::string& agent_key, std::int64_t now_ms);

  // "" after a successful attestation; otherwise why the last one failed.
  const std::string& LastProblem() const { return problem_; }
  // The method of the last successful attestation ("" if none yet).
  const std::string& LastMethod() const { return method_; }

  static constexpr std::size_t kMaxFileBytes = 64 * 1024;

 private:
  const std::string cert_dir_;
  const ManagerToken manager_token_;
  std::string problem_;
  std::string method_;
};

}  // namespace orcastra::agent
