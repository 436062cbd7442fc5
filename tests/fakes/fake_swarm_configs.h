// Swarm's config objects as the SwarmApi (leader/state/swarm_api.h) sees them, in memory and with
// Swarm's rules: one global version index that grows at every write, names unique (a second create
// is Conflict), a label update over any version but the current one refused ("update out of
// sequence", Conflict), only labels updatable. Faults a test can inject: failed reads or writes, a
// write that is applied but whose answer is lost, and a hook run before each write (another
// writer slipping in). Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "leader/state/swarm_api.h"

namespace orcastra::testing {

class FakeSwarmConfigs {
 public:
  Result<std::optional<leader::ConfigObject>> ConfigNamed(const std::string& name) {
    ++reads;
    if (!fail_reads.ok()) return fail_reads;
    for (const auto& [id, object] : objects) {
      if (object.name == name) return std::optional<leader::ConfigObject>(object);
    }
    return std::optional<leader::ConfigObject>();
  }
  Result<leader::ConfigObject> InspectConfig(const std::string& id) {
    ++reads;
    if (!fail_reads.ok()) return fail_reads;
    auto it = objects.find(id);
    if (it == objects.end()) return Status::NotFound("config " + id + " not found");
    return it->second;
  }
  Result<std::string> CreateConfig(const std::string& name, const leader::Labels& labels,
                                   const std::string& data) {
    if (before_write) before_write();
    ++writes;
    if (!fail_writes.ok()) return fail_writes;
    for (const auto& [id, object] : objects) {
      if (object.name == name) return Status::Conflict("config " + name + " exists already");
    }
    std::string id = "cfg-" + std::to_string(++next_id_);
    objects[id] = {id, name, ++index, labels, data};
    if (lose_write_answers) return Status::Timeout("docker POST /configs/create: timed out");
    return id;
  }
  Status UpdateConfigLabels(const leader::ConfigObject& current, const leader::Labels& labels) {
    if (before_write) before_write();
    ++writes;
    if (!fail_writes.ok()) return fail_writes;
    auto it = objects.find(current.id);
    if (it == objects.end()) return Status::NotFound("config " + current.id + " not found");
    if (it->second.version != current.version) {
      return Status::Conflict("update out of sequence");
    }
    if (it->second.name != current.name || it->second.data != current.data) {
      return Status::InvalidArgument("only updates to Labels are allowed");
    }
    it->second.labels = labels;
    it->second.version = ++index;
    if (lose_write_answers) return Status::Timeout("docker POST /configs/update: timed out");
    return Status::Ok();
  }

  Result<std::vector<leader::ConfigObject>> ConfigsLabelled(const std::string& key) {
    ++reads;
    if (!fail_reads.ok()) return fail_reads;
    std::vector<leader::ConfigObject> out;
    for (const auto& [id, object] : objects) {
      if (object.labels.contains(key)) out.push_back(object);
    }
    return out;
  }
  Status DeleteConfig(const std::string& id) {
    if (before_write) before_write();
    ++writes;
    if (!fail_writes.ok()) return fail_writes;
    if (objects.erase(id) == 0) return Status::NotFound("config " + id + " not found");
    return Status::Ok();
  }

  // The object named `name`, or nullptr.
  leader::ConfigObject* Named(const std::string& name) {
    for (auto& [id, object] : objects) {
      if (object.name == name) return &object;
    }
    return nullptr;
  }
  // Another writer (an operator, a bug) replaces a label: the version moves as in Swarm.
  void SetLabel(const std::string& name, const std::string& key, const std::string& value) {
    leader::ConfigObject* object = Named(name);
    if (object == nullptr) return;
    object->labels[key] = value;
    object->version = ++index;
  }

  std::map<std::string, leader::ConfigObject> objects;  // by id
  std::uint64_t index = 100;                            // Swarm's Raft index
  Status fail_reads = Status::Ok();
  Status fail_writes = Status::Ok();
  bool lose_write_answers = false;  // the write is applied, the caller sees a timeout
  std::function<void()> before_write;
  int reads = 0;
  int writes = 0;

 private:
  int next_id_ = 0;
};

}  // namespace orcastra::testing
