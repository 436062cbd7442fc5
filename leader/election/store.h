// Where the lease lives: a LeaseStore reads and compare-and-swaps the one lease record.
// DockerLeaseStore keeps it in the labels of a Swarm config object (configs are stored in Swarm's
// Raft log, and their labels may be updated with the object's version as a precondition).
#pragma once

#include <optional>
#include <string>

#include "common/docker_client.h"
#include "common/status.h"
#include "leader/election/plan.h"
#include "leader/state/swarm_api.h"

namespace orcastra::leader {

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // The record, or exists=false when there is none. Errors only for failed or ambiguous reads.
  virtual Result<LeaseRecord> Read() = 0;
  // Creates the record; Conflict when one exists already. Returns it as stored (with its version).
  virtual Result<LeaseRecord> Create(const LeaseRecord& desired) = 0;
  // Replaces the record when its version is still `expected_version`, else Conflict.
  virtual Result<LeaseRecord> Write(const LeaseRecord& desired, std::uint64_t expected_version) = 0;
};

inline constexpr char kLeaseConfigName[] = "orcastra-leader-lease";

// The lease in the labels of the Swarm config `kLeaseConfigName` (orcastra.lease.holder,
// orcastra.lease.holder-node-id, orcastra.lease.holder-hostname, orcastra.lease.term).
// A write costs two calls: the update, then a read of the new version (Swarm does not return it).
// Not thread-safe: uses the caller's client.
class DockerLeaseStore final : public LeaseStore {
 public:
  explicit DockerLeaseStore(docker::Client& docker, std::string name = kLeaseConfigName)
      : api_(docker), name_(std::move(name)) {}

  Result<LeaseRecord> Read() override;
  Result<LeaseRecord> Create(const LeaseRecord& desired) override;
  Result<LeaseRecord> Write(const LeaseRecord& desired, std::uint64_t expected_version) override;

 private:
  Result<LeaseRecord> ReadById(const std::string& id);

  DockerSwarmApi api_;
  const std::string name_;
  std::optional<ConfigObject> object_;  // the config as last read (id, name, data), once known
};

// Pure: the record from the config object; ParseError naming the label.
Result<LeaseRecord> LeaseRecordFromConfig(const ConfigObject& config);
// Pure: the labels that store `record`.
Labels LeaseLabels(const LeaseRecord& record);

}  // namespace orcastra::leader
