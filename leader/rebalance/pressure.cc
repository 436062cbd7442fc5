#include "leader/rebalance/pressure.h"

#include <cstdio>

namespace orcastra::leader {
namespace {

std::string Figure(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

std::string Threshold(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

}  // namespace

const char* PressureStateName(PressureState state) {
  switch (state) {
    case PressureState::kUnknown:
      return "unknown";
    case PressureState::kNormal:
      return "normal";
    case PressureState::kHigh:
      return "high";
  }
  return "unknown";
}

std::chrono::milliseconds NodePressure::HighFor(SteadyTime now) const {
  if (state != PressureState::kHigh || !high_since || now < *high_since) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - *high_since);
}

bool IsHigh(const MemorySample& sample, const PressureTrigger& trigger, std::string* why) {
  const double percent = sample.used_percent();
  std::string text;
  bool high = false;
  if (percent > trigger.percent) {
    high = true;
    text = "memory " + Figure(percent) + "% > " + Threshold(trigger.percent) + "%";
  }
  if (sample.psi_present && sample.psi_some_avg10 > trigger.psi) {
    high = true;
    text += std::string(text.empty() ? "" : ", ") + "PSI some avg10 " +
            Figure(sample.psi_some_avg10) + " > " + Threshold(trigger.psi);
  }
  if (!high) {
    text = "memory " + Figure(percent) + "% <= " + Threshold(trigger.percent) + "%";
    if (sample.psi_present) {
      text += ", PSI some avg10 " + Figure(sample.psi_some_avg10) + " <= " + Threshold(trigger.psi);
    }
  }
  if (why != nullptr) *why = std::move(text);
  return high;
}

void PressureTracker::Observe(const std::map<std::string, MemorySample>& samples,
                              const std::set<PressureTrigger>& triggers) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    it = samples.count(it->first) ? std::next(it) : nodes_.erase(it);
  }
  for (const auto& [node_id, sample] : samples) {
    Track& track = nodes_[node_id];
    const bool usable = sample.fresh && sample.total_bytes > 0;
    if (!usable) {
      track.last = sample;
      track.last.fresh = false;
      track.high_since.clear();
      continue;
    }
    const bool new_report = !track.last.fresh || sample.report_at != track.last.report_at;
    track.last = sample;
    for (auto it = track.high_since.begin(); it != track.high_since.end();) {
      it = triggers.count(it->first) ? std::next(it) : track.high_since.erase(it);
    }
    if (!new_report) continue;
    for (const PressureTrigger& trigger : triggers) {
      if (IsHigh(sample, trigger, nullptr)) {
        track.high_since.try_emplace(trigger, sample.report_at);
      } else {
        track.high_since.erase(trigger);
      }
    }
  }
}

NodePressure PressureTracker::Evaluate(const std::string& node_id,
                                       const PressureTrigger& trigger) const {
  NodePressure out;
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) {
    out.why = "no report from its agent";
    return out;
  }
  const Track& track = it->second;
  out.sample = track.last;
  if (!track.last.fresh) {
    out.why = "no fresh report from its agent";
    return out;
  }
  if (track.last.total_bytes == 0) {
    out.why = "its agent reports no memory figures";
    return out;
  }
  const bool high = IsHigh(track.last, trigger, &out.why);
  auto streak = track.high_since.find(trigger);
  if (high && streak != track.high_since.end()) {
    out.state = PressureState::kHigh;
    out.high_since = streak->second;
  } else if (high) {
    // A trigger asked for the first time: the streak starts with the next report.
    out.state = PressureState::kHigh;
  } else {
    out.state = PressureState::kNormal;
  }
  return out;
}

const MemorySample* PressureTracker::Sample(const std::string& node_id) const {
  auto it = nodes_.find(node_id);
  return it == nodes_.end() ? nullptr : &it->second.last;
}

std::set<std::string> PressureTracker::NodeIds() const {
  std::set<std::string> out;
  for (const auto& [id, track] : nodes_) out.insert(id);
  return out;
}

}  // namespace orcastra::leader
