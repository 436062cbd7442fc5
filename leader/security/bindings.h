// Which agent connections have proved which node (a hello with a valid attestation,
// protocol/attestation.h). The endpoints accept an agent's reports, events and command results
// only from a connection bound to that node, record them under the bound node, and send a node's
// commands only to a connection bound to it (doc/security.md "Node identity").
//
// A connection is named by its ZAP serial (PeerAuth::serial): unforgeable, unlike a ROUTER
// routing id, which a peer may choose. The binding also keeps the routing id the endpoints answer
// on and the connection's descriptor, so that a closed connection (socket monitor
// ZMQ_EVENT_DISCONNECTED) loses its binding at once and its routing id cannot be taken over.
//
// Bounded: at most kMaxPerNode connections per node (an agent restarting with start-first
// overlaps its old self for a moment) and kMaxBindings in all; the least recently seen goes
// first. Pure and clock-free (every call takes `now`); not thread-safe (the Endpoints thread).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace orcastra::leader {

struct NodeBinding {
  std::string node_id{};
  std::string method{};      // how it proved the node (protocol::kAttestSwarmCert, ...)
  std::string swarm_role{};  // "manager" or "worker"
  std::string identity{};    // the ROUTER routing id of the connection
  int fd = -1;               // the connection's descriptor; -1 unknown
  SteadyTime last_seen{};
};

class NodeBindings {
 public:
  static constexpr std::size_t kMaxPerNode = 4;
  static constexpr std::size_t kMaxBindings = 1024;

  // Binds connection `connection` to `binding.node_id` (replacing what it was bound to).
  void Bind(const std::string& connection, NodeBinding binding, SteadyTime now);
  // The binding of `connection`, its last_seen (and routing id, descriptor) refreshed; nullopt
  // when it is not bound.
  std::optional<NodeBinding> Touch(const std::string& connection, const std::string& identity,
                                   int fd, SteadyTime now);
  // Forgets every binding of descriptor `fd` (that connection closed); returns the routing ids
  // they answered on.
  std::vector<std::string> DropFd(int fd);
  // Whether some connection bound to `node_id` answers on `identity`.
  bool Reaches(const std::string& node_id, const std::string& identity) const;

  std::size_t size() const { return by_connection_.size(); }

 private:
  void Evict(const std::string& node_id);
  std::map<std::string, NodeBinding> by_connection_;
};

}  // namespace orcastra::leader
