// A SwarmApi (leader/state/swarm_api.h) over lists the test fills. `Block()` makes every read of
// the lists wait until `Release()` (a slow or hung daemon); reads may then come from another
// thread. Writes are recorded ("node ID", "service ID"); with `apply_writes` they also change the
// lists as Swarm would: a write over any version but the current one is refused (Conflict), a
// node's labels and a service's constraints follow the spec written, and the version grows.
// Config objects are FakeSwarmConfigs (`configs`), not blocked.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "leader/anchors/reconciler.h"
#include "tests/fakes/fake_swarm_configs.h"

namespace orcastra::testing {

class FakeSwarmApi final : public leader::SwarmApi {
 public:
  Result<std::vector<docker::Node>> Nodes() override {
    Read();
    if (fail_nodes) return Status::Unavailable("nodes: the swarm does not have a leader");
    return nodes;
  }
  Result<std::vector<docker::Service>> Services() override {
    Read();
    if (fail_services) return Status::Unavailable("services: daemon restarting");
    return services;
  }
  Result<std::vector<docker::Task>> Tasks(const nlohmann::json&) override {
    Read();
    return tasks;
  }
  Status UpdateNode(const std::string& id, std::uint64_t version,
                    const nlohmann::json& spec) override {
    std::lock_guard lock(mutex_);
    writes.push_back("node " + id);
    if (!apply_writes) return Status::Ok();
    for (auto& node : nodes) {
      if (node.id != id) continue;
      if (node.version != version) return Status::Conflict("update out of sequence");
      node.spec = spec;
      if (spec.contains("Role") && spec["Role"].is_string()) node.role = spec["Role"];
      node.labels.clear();
      if (spec.contains("Labels") && spec["Labels"].is_object()) {
        for (const auto& [key, value] : spec["Labels"].items()) node.labels[key] = value;
      }
      node.version = ++index;
      return Status::Ok();
    }
    return Status::NotFound("node " + id + " not found");
  }
  Status UpdateService(const std::string& id, std::uint64_t version,
                       const nlohmann::json& spec) override {
    std::lock_guard lock(mutex_);
    writes.push_back("service " + id);
    service_updates.push_back({id, version, spec});
    if (!fail_service_updates.ok()) return fail_service_updates;
    if (!apply_writes) return Status::Ok();
    for (auto& service : services) {
      if (service.id != id) continue;
      if (service.version != version) return Status::Conflict("update out of sequence");
      service.spec = spec;
      service.constraints.clear();
      const nlohmann::json* at = &spec;
      for (const char* key : {"TaskTemplate", "Placement", "Constraints"}) {
        at = at->is_object() && at->contains(key) ? &(*at)[key] : nullptr;
        if (at == nullptr) break;
      }
      if (at != nullptr && at->is_array()) {
        for (const auto& c : *at) {
          if (c.is_string()) service.constraints.push_back(c.get<std::string>());
        }
      }
      service.version = ++index;
      return Status::Ok();
    }
    return Status::NotFound("service " + id + " not found");
  }
  Result<docker::Node> InspectNode(const std::string& id) override {
    Read();
    std::lock_guard lock(mutex_);
    for (const auto& node : nodes)
      if (node.id == id) return node;
    return Status::NotFound("node " + id + " not found");
  }
  // As Swarm: only a down node that is no manager may go (no force).
  Status RemoveNode(const std::string& id) override {
    std::lock_guard lock(mutex_);
    writes.push_back("remove " + id);
    if (fail_removals) return Status::Internal("remove: " + id + ": injected failure");
    if (!apply_writes) return Status::Ok();
    for (auto it = nodes.begin(); it != nodes.end(); ++it) {
      if (it->id != id) continue;
      if (it->state != "down") return Status::Internal("node " + id + " is not down");
      if (it->role == "manager" || !it->manager_reachability.empty()) {
        return Status::Internal("node " + id + " is a cluster manager: it must be demoted");
      }
      nodes.erase(it);
      return Status::Ok();
    }
    return Status::NotFound("node " + id + " not found");
  }
  Result<std::optional<leader::ConfigObject>> ConfigNamed(const std::string& name) override {
    std::lock_guard lock(mutex_);
    return configs.ConfigNamed(name);
  }
  Result<leader::ConfigObject> InspectConfig(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return configs.InspectConfig(id);
  }
  Result<std::string> CreateConfig(const std::string& name, const leader::Labels& labels,
                                   const std::string& data) override {
    std::lock_guard lock(mutex_);
    return configs.CreateConfig(name, labels, data);
  }
  Status UpdateConfigLabels(const leader::ConfigObject& current,
                            const leader::Labels& labels) override {
    std::lock_guard lock(mutex_);
    return configs.UpdateConfigLabels(current, labels);
  }
  Result<std::vector<leader::ConfigObject>> ConfigsLabelled(const std::string& key) override {
    std::lock_guard lock(mutex_);
    return configs.ConfigsLabelled(key);
  }
  Status DeleteConfig(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return configs.DeleteConfig(id);
  }

  void Block() {
    std::lock_guard lock(mutex_);
    blocked_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      blocked_ = false;
    }
    cv_.notify_all();
  }
  // Waits until a read is blocked (a reader is inside the fake), at most about 5 s.
  bool WaitUntilBlockedReader() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return waiting_ > 0; });
  }
  int reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
  }

  std::vector<docker::Node> nodes;
  std::vector<docker::Service> services;
  std::vector<docker::Task> tasks;
  bool fail_services = false;
  bool fail_nodes = false;     // Nodes() fails (a daemon without a Raft leader)
  bool fail_removals = false;  // RemoveNode() fails
  bool apply_writes = false;
  std::uint64_t index = 1000;  // Swarm's Raft index, for the versions of applied writes
  std::vector<std::string> writes;
  // Service updates as sent (applied only with apply_writes); fail_service_updates refuses them.
  struct ServiceUpdate {
    std::string id;
    std::uint64_t version = 0;
    nlohmann::json spec;
  };
  std::vector<ServiceUpdate> service_updates;
  Status fail_service_updates;
  FakeSwarmConfigs configs;  // guarded by mutex_ while another thread may call in

 private:
  void Read() {
    std::unique_lock lock(mutex_);
    ++reads_;
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !blocked_; });
    --waiting_;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool blocked_ = false;
  int waiting_ = 0;
  int reads_ = 0;
};

}  // namespace orcastra::testing
