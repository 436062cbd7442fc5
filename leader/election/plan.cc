#include "leader/election/plan.h"

#include <algorithm>

namespace orcastra::leader {
namespace {

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

LeaseAction Wait(SteadyTime at) { return {LeaseAction::Kind::kWait, at, {}, 0}; }
LeaseAction Read(SteadyTime now) { return {LeaseAction::Kind::kRead, now, {}, 0}; }

}  // namespace

Status LeaseTimings::Validate() const {
  if (renew_interval.count() <= 0 || retry_period.count() <= 0) {
    return Status::InvalidArgument("lease renew interval and retry period must be positive");
  }
  if (lease_duration <= renew_deadline) {
    return Status::InvalidArgument("lease duration (" + Ms(lease_duration) +
                                   ") must be longer than the renew deadline (" +
                                   Ms(renew_deadline) + ")");
  }
  if (renew_deadline <= renew_interval) {
    return Status::InvalidArgument("lease renew deadline (" + Ms(renew_deadline) +
                                   ") must be longer than the renew interval (" +
                                   Ms(renew_interval) + ")");
  }
  if (retry_period >= renew_deadline) {
    return Status::InvalidArgument("lease retry period (" + Ms(retry_period) +
                                   ") must be shorter than the renew deadline (" +
                                   Ms(renew_deadline) + ")");
  }
  return Status::Ok();
}

LeaseElector::LeaseElector(Candidate self, LeaseTimings timings)
    : self_(std::move(self)), timings_(timings) {}

bool LeaseElector::ObservedHolderIsUs() const {
  return observed_ && observed_->exists && observed_->holder == self_.instance;
}

LeaseRecord LeaseElector::Desired(std::uint64_t term) const {
  return {true, self_.instance, self_.node_id, self_.hostname, term, 0};
}

void LeaseElector::OnObserved(const LeaseRecord& record, SteadyTime now) {
  last_read_ = now;
  need_read_ = false;
  change_announced_ = false;
  if (!observed_ || observed_->exists != record.exists || observed_->version != record.version) {
    version_read_at_ = now;  // a version of unknown age counts from now
  }
  observed_ = record;
  if (leading_ && (!record.exists || record.holder != self_.instance || record.term != term_)) {
    leading_ = false;  // somebody else wrote the lease: we lost it
  }
}

void LeaseElector::OnChanged(SteadyTime now) {
  change_announced_ = true;
  last_announcement_ = now;
}

void LeaseElector::OnEventsConnected(SteadyTime /*now*/) {
  events_connected_ = true;
  need_read_ = true;  // changes may have been missed while disconnected
}

void LeaseElector::OnEventsLost(SteadyTime /*now*/) { events_connected_ = false; }

void LeaseElector::OnReadFailed(SteadyTime now) {
  need_read_ = true;
  retry_at_ = now + timings_.retry_period;
}

void LeaseElector::OnWriteResult(const LeaseAction& action, WriteOutcome outcome,
                                 const LeaseRecord& stored, SteadyTime sent_at, SteadyTime now) {
  switch (outcome) {
    case WriteOutcome::kOk:
      observed_ = stored;
      version_read_at_ = now;
      change_announced_ = false;
      need_read_ = false;
      retry_at_ = {};
      last_read_ = now;
      if (stored.holder == self_.instance) {
        leading_ = true;
        term_ = stored.term;
        // Counted from the send time: others see the write no earlier than that.
        last_renew_sent_ = sent_at;
        deadline_ = sent_at + timings_.renew_deadline;
      } else {
        leading_ = false;
      }
      break;
    case WriteOutcome::kConflict:
      // Somebody else wrote first. If that was a renewal, the lease is no longer ours.
      if (action.kind == LeaseAction::Kind::kRenew) leading_ = false;
      need_read_ = true;
      retry_at_ = {};
      break;
    case WriteOutcome::kFailed:
      // Unknown whether it was written: read before the next attempt. A holder keeps leading
      // only until its deadline, which this failure does not extend.
      need_read_ = true;
      retry_at_ = now + timings_.retry_period;
      break;
  }
}

std::optional<LeaseAction> LeaseElector::ReleaseAction(SteadyTime now) const {
  if (!IsLeader(now) || !ObservedHolderIsUs()) return std::nullopt;
  LeaseRecord released = *observed_;
  released.holder.clear();
  released.holder_node_id.clear();
  released.holder_hostname.clear();
  return LeaseAction{LeaseAction::Kind::kRelease, now, released, observed_->version};
}

bool LeaseElector::IsLeader(SteadyTime now) const { return leading_ && now < deadline_; }

LeaseAction LeaseElector::NextAction(SteadyTime now) const {
  if (now < retry_at_) return Wait(retry_at_);
  if (need_read_ || !observed_) return Read(now);
  if (!observed_->exists) return {LeaseAction::Kind::kCreate, now, Desired(1), 0};

  if (ObservedHolderIsUs()) {
    // Ours: renew on schedule while leading; at once if leadership lapsed (a successful CAS
    // proves nobody else wrote in between).
    SteadyTime due = last_renew_sent_ + timings_.renew_interval;
    if (IsLeader(now) && now < due) return Wait(due);
    LeaseRecord desired = Desired(observed_->term);
    return {LeaseAction::Kind::kRenew, now, desired, observed_->version};
  }

  LeaseRecord desired = Desired(observed_->term + 1);
  if (observed_->holder.empty()) {
    // Released: the last holder wrote that it stopped; a successful swap proves nobody came since.
    return {LeaseAction::Kind::kAcquire, now, desired, observed_->version};
  }
  SteadyTime acquire_at = version_read_at_ + timings_.lease_duration;
  if (events_connected_) {
    // The holder's renewals are announced; when they stop, read to learn the version to swap.
    // Also re-read once per lease duration while they continue, so our view of who leads (shown
    // by `orcastra status`) is never older than that, even after a takeover we did not see.
    if (change_announced_) {
      SteadyTime read_at =
          timings_.follow_renewals
              ? last_announcement_
              : std::min(last_announcement_ + timings_.renew_interval + timings_.retry_period,
                         last_read_ + timings_.lease_duration);
      return now >= read_at ? Read(now) : Wait(read_at);
    }
    if (now >= acquire_at) return {LeaseAction::Kind::kAcquire, now, desired, observed_->version};
    return Wait(acquire_at);
  }
  // No events: poll every renew interval; a swap over a stale version just fails.
  if (now >= acquire_at) return {LeaseAction::Kind::kAcquire, now, desired, observed_->version};
  SteadyTime next_read = last_read_ + timings_.renew_interval;
  return now >= next_read ? Read(now) : Wait(std::min(acquire_at, next_read));
}

}  // namespace orcastra::leader
