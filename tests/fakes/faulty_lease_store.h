// A LeaseStore (leader/election/store.h) that forwards to another one and fails on demand: one
// candidate's view of the lease when its node is cut off (its reads or writes fail while the
// others' succeed). Records the clock time of each write it let through that succeeded. Not
// thread-safe.
#pragma once

#include "common/clock.h"
#include "leader/election/store.h"

namespace orcastra::testing {

class FaultyLeaseStore final : public leader::LeaseStore {
 public:
  FaultyLeaseStore(leader::LeaseStore& inner, const Clock& clock) : inner_(inner), clock_(clock) {}

  Result<leader::LeaseRecord> Read() override {
    ++reads;
    if (!fail.ok()) return fail;
    return inner_.Read();
  }
  Result<leader::LeaseRecord> Create(const leader::LeaseRecord& desired) override {
    return Written(desired, [&] { return inner_.Create(desired); });
  }
  Result<leader::LeaseRecord> Write(const leader::LeaseRecord& desired,
                                    std::uint64_t expected_version) override {
    return Written(desired, [&] { return inner_.Write(desired, expected_version); });
  }

  Status fail = Status::Ok();  // not Ok: every call fails with it, nothing reaches the store
  int reads = 0;
  int writes = 0;                           // attempted, failed ones included
  std::optional<SteadyTime> last_ok_write;  // when the last successful write was sent

 private:
  template <typename F>
  Result<leader::LeaseRecord> Written(const leader::LeaseRecord&, F write) {
    ++writes;
    if (!fail.ok()) return fail;
    const SteadyTime sent = clock_.Now();
    auto result = write();
    if (result.ok()) last_ok_write = sent;
    return result;
  }

  leader::LeaseStore& inner_;
  const Clock& clock_;
};

}  // namespace orcastra::testing
