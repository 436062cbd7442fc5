// Where the lease lives: a LeaseStore reads and compare-and-swaps the one lease record.
// SwarmLeaseStore keeps it in the labels of a Swarm config object (configs are stored in Swarm's
// Raft log, and their labels may be updated with the object's version as a precondition).
// LeaseEvents announces writes to it (Swarm's events about that config object): hints of when to
// read, never needed for safety (leader/election/plan.h).
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
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
// Not thread-safe: uses the caller's SwarmApi.
class SwarmLeaseStore final : public LeaseStore {
 public:
  explicit SwarmLeaseStore(SwarmApi& api, std::string name = kLeaseConfigName)
      : api_(api), name_(std::move(name)) {}

  Result<LeaseRecord> Read() override;
  Result<LeaseRecord> Create(const LeaseRecord& desired) override;
  Result<LeaseRecord> Write(const LeaseRecord& desired, std::uint64_t expected_version) override;

 private:
  Result<LeaseRecord> ReadById(const std::string& id);

  SwarmApi& api_;
  const std::string name_;
  std::optional<ConfigObject> object_;  // the config as last read (id, name, data), once known
};

// Announcements of writes to the lease.
class LeaseEvents {
 public:
  virtual ~LeaseEvents() = default;
  // Blocks: calls `connected` once the stream is up (anything earlier may have been missed), then
  // `changed` for every announced write, until the stream ends (returns why) or `stop` is
  // requested. Called from one thread.
  virtual Status Follow(const std::function<void()>& connected,
                        const std::function<void()>& changed, std::stop_token stop) = 0;
};

// Swarm's events (GET /events, type=config) about the config named `name`, over a Docker client
// of its own.
class DockerLeaseEvents final : public LeaseEvents {
 public:
  DockerLeaseEvents(docker::ClientOptions options, std::string name = kLeaseConfigName)
      : docker_(std::move(options)), name_(std::move(name)) {}

  Status Follow(const std::function<void()>& connected, const std::function<void()>& changed,
                std::stop_token stop) override;

 private:
  docker::Client docker_;
  const std::string name_;
};

// Pure: the record from the config object; ParseError naming the label.
Result<LeaseRecord> LeaseRecordFromConfig(const ConfigObject& config);
// Pure: the labels that store `record`.
Labels LeaseLabels(const LeaseRecord& record);

}  // namespace orcastra::leader
