// What a standalone agent remembers of its node's swarm membership, so that it can prove its node
// and find the managers after the daemon has left the swarm (doc/healing.md "Re-join"): the node
// id, hostname and advertise address, the leader endpoints, and copies of the node's Swarm
// certificate and key (the daemon deletes its own when it leaves). Kept in STATE_DIR/rejoin/
// (membership.json, swarm-node.crt, swarm-node.key; mode 0600, written atomically).
//
// DecodeMembership refuses anything out of shape, naming the field: the file may have been edited
// or damaged. Pure apart from the file functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace orcastra::agent {

inline constexpr std::size_t kMaxMembershipBytes = 16 * 1024;
inline constexpr std::size_t kMaxRememberedEndpoints = 16;

struct Membership {
  std::string node_id;                        // Swarm's id of this node (the CN of its certificate)
  std::string hostname;                       // the daemon's Name
  std::string node_addr;                      // Swarm.NodeAddr: the address this node advertised
  std::vector<std::string> leader_endpoints;  // tcp://HOST:PORT, one per manager
  std::int64_t saved_ms = 0;

  // Equal but for saved_ms.
  bool SameAs(const Membership& other) const {
    return node_id == other.node_id && hostname == other.hostname && node_addr == other.node_addr &&
           leader_endpoints == other.leader_endpoints;
  }
  bool operator==(const Membership&) const = default;
};

std::string EncodeMembership(const Membership& membership);
// ParseError naming the field for anything but what EncodeMembership writes (bounded sizes, a
// node id of Swarm's alphabet, tcp:// endpoints).
Result<Membership> DecodeMembership(std::string_view text);

// The files of the memory in `dir`.
struct MembershipFiles {
  std::string dir;
  std::string json() const { return dir + "/membership.json"; }
  std::string cert() const { return dir + "/swarm-node.crt"; }
  std::string key() const { return dir + "/swarm-node.key"; }
};

// Reads the memory; NotFound when there is none.
Result<Membership> LoadMembership(const MembershipFiles& files);
// Stores `membership` and copies of the certificate and key from `cert_dir` (swarm-node.crt,
// swarm-node.key), each only when it changed. The copies are written before membership.json, so
// a membership on disk always has its certificate.
Status SaveMembership(const MembershipFiles& files, const Membership& membership,
                      const std::string& cert_dir);

}  // namespace orcastra::agent
