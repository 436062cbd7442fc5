// What the reporter publishes for the agent's /metrics and /readyz (agent/observe/): its last
// complete report (so the HTTP threads never read /proc or call the daemon themselves) and its
// counters. Thread-safe: the reporter writes, the HTTP workers read.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "common/clock.h"
#include "protocol/messages.h"

namespace orcastra::agent {

class ReporterStatus {
 public:
  struct Snapshot {
    bool has_report = false;
    protocol::NodeReport report;  // the last complete one (metrics and containers)
    SteadyTime collected_at{};    // when it was collected: the daemon answered then
  };

  // A complete report was collected (the node's figures and the daemon's container list).
  void Collected(const protocol::NodeReport& report, SteadyTime now) {
    std::lock_guard lock(mutex_);
    last_.has_report = true;
    last_.report = report;
    last_.collected_at = now;
  }
  Snapshot Last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

  std::atomic<std::uint64_t> reports_sent{0};     // reports handed to at least one leader link
  std::atomic<std::uint64_t> reports_skipped{0};  // not sent: figures or containers unreadable
  std::atomic<std::uint64_t> send_failures{0};    // messages a leader link did not take
  std::atomic<std::uint64_t> events_sent{0};      // events broadcast
  std::atomic<std::uint64_t> leader_links{0};     // leader endpoints connected to (gauge)

 private:
  mutable std::mutex mutex_;
  Snapshot last_;  // guarded by mutex_
};

}  // namespace orcastra::agent
