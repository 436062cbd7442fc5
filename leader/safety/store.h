// Where the safety record lives: the labels of one Swarm config object, `orcastra-safety-record`
// (kept in Swarm's Raft store, like the lease: leader/election/store.h), written with the version
// read as a compare-and-swap and under the writer's fencing term (the lease term):
//
//   orcastra.safety.record   the record, JSON (leader/safety/codec.h)
//   orcastra.safety.term     the lease term of the instance that wrote it, decimal
//   orcastra.safety.writer   that instance's id ("<node id>/<random>")
//
// A write is refused with kAborted, before anything is sent, when the writer's term is 0 (it does
// not hold the lease) or older than the term stored; and when Swarm refuses the version and the
// record now holds a newer term. So no instance deposed by a newer one can overwrite its record.
// The store does not read the record's content: the keeper (leader/safety/keeper.h) decodes it.
// Not thread-safe: uses the caller's SwarmApi.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "leader/state/swarm_api.h"

namespace orcastra::leader {

inline constexpr char kSafetyConfigName[] = "orcastra-safety-record";

// The object as read.
struct StoredSafety {
  bool exists = false;
  ConfigObject object;      // id, name, data and version (the compare-and-swap) when it exists
  std::uint64_t term = 0;   // the writer's term
  std::string writer;       // the writer's instance id
  std::string record_json;  // the record label as stored (not checked here)
  // Not empty when the labels are not what Orcastra writes (no record or term label, a term that
  // is not a number): the keeper treats the record as unusable; a write over it is allowed to any
  // instance that holds the lease, still under the version check.
  std::string problem;
};

class SafetyStore {
 public:
  virtual ~SafetyStore() = default;
  // The object, or exists=false when there is none. Errors only when the read failed.
  virtual Result<StoredSafety> Read() = 0;
  // Stores `record_json` as written under `term` by `writer`, over `expected` (what was last read
  // or written; exists=false: create). Returns what is stored now (with its new version). Errors:
  // kAborted (a stale term, see above), kConflict (the object changed since `expected`: read
  // again), others when the write failed or its outcome is unknown (it may have been applied).
  virtual Result<StoredSafety> Write(const std::string& record_json, std::uint64_t term,
                                     const std::string& writer, const StoredSafety& expected) = 0;
};

// The store over the Engine API. A write costs two calls: the update (or create), then a read of
// the new version (Swarm does not return it); a refused version costs one more read.
class SwarmSafetyStore final : public SafetyStore {
 public:
  explicit SwarmSafetyStore(SwarmApi& api, std::string name = kSafetyConfigName)
      : api_(api), name_(std::move(name)) {}

  Result<StoredSafety> Read() override;
  Result<StoredSafety> Write(const std::string& record_json, std::uint64_t term,
                             const std::string& writer, const StoredSafety& expected) override;

 private:
  // After a refused version: Aborted when a newer term wrote, else Conflict.
  Status Refused(std::uint64_t term, const Status& refusal);

  SwarmApi& api_;
  const std::string name_;
};

// Pure: the stored form of a config object's labels.
StoredSafety StoredSafetyFromConfig(const ConfigObject& config);
// Pure: the labels for a record written by `writer` under `term`.
Labels SafetyLabels(const std::string& record_json, std::uint64_t term, const std::string& writer);

}  // namespace orcastra::leader
