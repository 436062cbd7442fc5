#include "leader/security/bindings.h"

namespace orcastra::leader {

void NodeBindings::Bind(const std::string& connection, NodeBinding binding, SteadyTime now) {
  by_connection_.erase(connection);
  binding.last_seen = now;
  Evict(binding.node_id);
  by_connection_[connection] = std::move(binding);
}

// Makes room for one more binding of `node_id`: within its per-node cap and the total cap.
void NodeBindings::Evict(const std::string& node_id) {
  auto oldest_of = [&](bool same_node) {
    auto oldest = by_connection_.end();
    std::size_t count = 0;
    for (auto it = by_connection_.begin(); it != by_connection_.end(); ++it) {
      if (same_node && it->second.node_id != node_id) continue;
      ++count;
      if (oldest == by_connection_.end() || it->second.last_seen < oldest->second.last_seen) {
        oldest = it;
      }
    }
    return std::make_pair(oldest, count);
  };
  if (auto [oldest, count] = oldest_of(true); count >= kMaxPerNode) by_connection_.erase(oldest);
  if (auto [oldest, count] = oldest_of(false); count >= kMaxBindings) by_connection_.erase(oldest);
}

std::optional<NodeBinding> NodeBindings::Touch(const std::string& connection,
                                               const std::string& identity, int fd,
                                               SteadyTime now) {
  auto it = by_connection_.find(connection);
  if (it == by_connection_.end()) return std::nullopt;
  it->second.last_seen = now;
  it->second.identity = identity;
  if (fd >= 0) it->second.fd = fd;
  return it->second;
}

std::vector<std::string> NodeBindings::DropFd(int fd) {
  std::vector<std::string> identities;
  if (fd < 0) return identities;
  for (auto it = by_connection_.begin(); it != by_connection_.end();) {
    if (it->second.fd == fd) {
      identities.push_back(it->second.identity);
      it = by_connection_.erase(it);
    } else {
      ++it;
    }
  }
  return identities;
}

bool NodeBindings::Reaches(const std::string& node_id, const std::string& identity) const {
  for (const auto& [connection, binding] : by_connection_) {
    if (binding.node_id == node_id && binding.identity == identity) return true;
  }
  return false;
}

}  // namespace orcastra::leader
