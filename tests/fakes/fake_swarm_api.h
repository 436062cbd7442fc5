// A SwarmApi (leader/anchors/reconciler.h) over lists the test fills. `Block()` makes every read
// wait until `Release()` (a slow or hung daemon); reads may then come from another thread.
// Writes are recorded.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "leader/anchors/reconciler.h"

namespace orcastra::testing {

class FakeSwarmApi final : public leader::SwarmApi {
 public:
  Result<std::vector<docker::Node>> Nodes() override {
    Read();
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
  Status UpdateNode(const std::string& id, std::uint64_t, const nlohmann::json&) override {
    std::lock_guard lock(mutex_);
    writes.push_back("node " + id);
    return Status::Ok();
  }
  Status UpdateService(const std::string& id, std::uint64_t, const nlohmann::json&) override {
    std::lock_guard lock(mutex_);
    writes.push_back("service " + id);
    return Status::Ok();
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
  std::vector<std::string> writes;

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
