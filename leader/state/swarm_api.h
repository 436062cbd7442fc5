// The Swarm calls the leader makes, behind one interface: DockerSwarmApi is the real one (Engine
// API over a docker::Client), tests use tests/fakes/fake_swarm_api.h.
//
// Besides nodes, services and tasks, it keeps small records in Swarm config objects (the lease,
// leader/election/store.h; the safety record, leader/safety/store.h). A config's data never
// changes; its labels may be replaced with the object's version as a precondition, which makes a
// config a compare-and-swap register in Swarm's Raft store.
//
// Not thread-safe: one per thread (DockerSwarmApi uses the caller's client).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/docker_client.h"
#include "common/status.h"

namespace orcastra::leader {

// A Swarm config object as read.
struct ConfigObject {
  std::string id;
  std::string name;
  std::uint64_t version = 0;  // Version.Index: changes at every write
  std::map<std::string, std::string> labels;
  std::string data;  // Spec.Data as stored (base64); sent back unchanged on updates

  bool operator==(const ConfigObject&) const = default;
};

using Labels = std::map<std::string, std::string>;

class SwarmApi {
 public:
  virtual ~SwarmApi() = default;
  virtual Result<std::vector<docker::Node>> Nodes() = 0;
  virtual Result<std::vector<docker::Service>> Services() = 0;
  virtual Result<std::vector<docker::Task>> Tasks(const nlohmann::json& filters) = 0;
  virtual Status UpdateNode(const std::string& id, std::uint64_t version,
                            const nlohmann::json& spec) = 0;
  virtual Status UpdateService(const std::string& id, std::uint64_t version,
                               const nlohmann::json& spec) = 0;
  // One node (GET /nodes/{id}); NotFound when it is gone. The healer's (leader/heal/service.h);
  // Unsupported by default.
  virtual Result<docker::Node> InspectNode(const std::string& id) {
    return Status::Unsupported("InspectNode " + id);
  }
  // DELETE /nodes/{id}, never forced (docker::Client::RemoveNode). Unsupported by default.
  virtual Status RemoveNode(const std::string& id) {
    return Status::Unsupported("RemoveNode " + id);
  }

  // The config named exactly `name`; nullopt when there is none, Internal when two are.
  virtual Result<std::optional<ConfigObject>> ConfigNamed(const std::string& name) = 0;
  // NotFound when it is gone.
  virtual Result<ConfigObject> InspectConfig(const std::string& id) = 0;
  // Creates a config; Conflict when the name is taken. Returns its id.
  virtual Result<std::string> CreateConfig(const std::string& name, const Labels& labels,
                                           const std::string& data) = 0;
  // Replaces the labels of `current` (id, name, data as read) when its version is still
  // `current.version`, else Conflict. Swarm does not return the new version: read it again.
  virtual Status UpdateConfigLabels(const ConfigObject& current, const Labels& labels) = 0;
  // Every config that carries the label `key` (any value), with its data.
  virtual Result<std::vector<ConfigObject>> ConfigsLabelled(const std::string& key) = 0;
  // Deletes a config; NotFound when it is gone already.
  virtual Status DeleteConfig(const std::string& id) = 0;
};

class DockerSwarmApi final : public SwarmApi {
 public:
  explicit DockerSwarmApi(docker::Client& client) : client_(client) {}
  Result<std::vector<docker::Node>> Nodes() override { return client_.Nodes(); }
  Result<std::vector<docker::Service>> Services() override { return client_.Services(); }
  Result<std::vector<docker::Task>> Tasks(const nlohmann::json& filters) override {
    return client_.Tasks(filters);
  }
  Status UpdateNode(const std::string& id, std::uint64_t version,
                    const nlohmann::json& spec) override {
    return client_.UpdateNode(id, version, spec);
  }
  Status UpdateService(const std::string& id, std::uint64_t version,
                       const nlohmann::json& spec) override {
    return client_.UpdateService(id, version, spec);
  }
  Result<docker::Node> InspectNode(const std::string& id) override {
    return client_.InspectNode(id);
  }
  Status RemoveNode(const std::string& id) override { return client_.RemoveNode(id); }
  Result<std::optional<ConfigObject>> ConfigNamed(const std::string& name) override;
  Result<ConfigObject> InspectConfig(const std::string& id) override;
  Result<std::string> CreateConfig(const std::string& name, const Labels& labels,
                                   const std::string& data) override;
  Status UpdateConfigLabels(const ConfigObject& current, const Labels& labels) override;
  Result<std::vector<ConfigObject>> ConfigsLabelled(const std::string& key) override;
  Status DeleteConfig(const std::string& id) override { return client_.RemoveConfig(id); }

 private:
  // GET /configs with these filters; an answer that is not an array is a ParseError.
  Result<nlohmann::json> ConfigsFiltered(const nlohmann::json& filters);

  docker::Client& client_;
};

// A DockerSwarmApi over a Docker client of its own, kept alive together (one thread uses it).
std::shared_ptr<SwarmApi> MakeDockerSwarmApi(docker::ClientOptions options);

// Pure: a config object from its JSON (GET /configs/{id}, or one element of GET /configs);
// ParseError naming the field.
Result<ConfigObject> ConfigObjectFromJson(const nlohmann::json& config);

}  // namespace orcastra::leader
