#include "agent/rejoin/plan.h"

#include <algorithm>
#include <array>

namespace orcastra::agent {

RejoinStep PlanRejoin(const RejoinInputs& in) {
  if (in.local_state == "active") return {RejoinStepKind::kRemember, ""};
  if (in.local_state == "inactive") {
    if (!in.remembers) {
      return {RejoinStepKind::kWait,
              "the daemon is in no swarm and this agent remembers none (it never saw this node "
              "in one): join it by hand once"};
    }
    if (in.next_ask && in.now < *in.next_ask) {
      return {RejoinStepKind::kWait, "the daemon is in no swarm; asking the leader again soon",
              /*backoff=*/true};
    }
    return {RejoinStepKind::kAsk, ""};
  }
  if (in.local_state == "pending") return {RejoinStepKind::kWait, "a join is in progress"};
  if (in.local_state == "locked") {
    return {RejoinStepKind::kWait, "the daemon's swarm is locked (autolock): unlock it by hand"};
  }
  return {RejoinStepKind::kWait,
          "the daemon's swarm state is '" + in.local_state + "': left as it is"};
}

std::chrono::seconds RejoinBackoff(int failures, bool final_refusal) {
  using std::chrono::seconds;
  if (final_refusal) return seconds(300);
  static constexpr std::array<seconds, 5> kSteps = {seconds(5), seconds(10), seconds(30),
                                                    seconds(60), seconds(300)};
  const int index = std::clamp(failures, 1, static_cast<int>(kSteps.size())) - 1;
  return kSteps[static_cast<std::size_t>(index)];
}

}  // namespace orcastra::agent
