#include "leader/heal/join.h"

#include <algorithm>

namespace orcastra::leader {
namespace {

JoinDecision Refuse(std::string reason, bool retry, std::string hostname = "") {
  JoinDecision d;
  d.grant = false;
  d.retry = retry;
  d.reason = std::move(reason);
  d.hostname = std::move(hostname);
  return d;
}

}  // namespace

JoinDecision DecideJoin(const JoinInputs& in) {
  const std::string who = "node " + in.node_id;
  if (!in.active) {
    return Refuse("this leader instance is a standby: ask the active one" +
                      (in.active_hint.empty() ? std::string() : " (" + in.active_hint + ")"),
                  true);
  }
  if (!in.has_config || in.plan == nullptr || in.nodes == nullptr) {
    return Refuse("no swarm.yml in force or no node list read yet: cannot tell whether " + who +
                      " is expected",
                  true);
  }
  if (!in.plan->blocked.empty()) {
    return Refuse("healing is blocked, so no node joins now: " + in.plan->blocked, true);
  }
  const auto& nodes = *in.nodes;
  const auto self = std::find_if(nodes.begin(), nodes.end(),
                                 [&](const docker::Node& n) { return n.id == in.node_id; });
  if (self == nodes.end()) {
    return Refuse(who +
                      " is not in Swarm's node list (it was removed): Orcastra re-joins only a "
                      "node Swarm still lists as down; join it by hand",
                  false);
  }
  const std::string& hostname = self->hostname;
  const std::string named = who + " (" + hostname + ")";
  if (self->state != "down") {
    return Refuse("Swarm sees " + named + " as " + self->state + ", not down: not yet", true,
                  hostname);
  }
  const auto report =
      std::find_if(in.plan->nodes.begin(), in.plan->nodes.end(),
                   [&](const HealNodeReport& r) { return r.node_id == in.node_id; });
  if (report == in.plan->nodes.end() || !report->listed) {
    return Refuse("the hostname " + hostname +
                      " is not listed in swarm.yml's nodes: Orcastra re-joins only listed nodes",
                  false, hostname);
  }
  for (const auto& other : nodes) {
    if (other.id != in.node_id && other.hostname == hostname && other.state == "ready") {
      return Refuse("another node with the hostname " + hostname + " is Ready (" + other.id +
                        "): not joined twice",
                    false, hostname);
    }
  }
  if (self->availability != "active") {
    return Refuse(named + " was " + self->availability +
                      " by an operator: joining it again would put it back into service; join "
                      "it by hand",
                  false, hostname);
  }
  if (in.dry_run) {
    return Refuse("DRY_RUN: " + named + " would be given the worker join token", true, hostname);
  }
  if (in.last_grant && in.now - *in.last_grant < kMinGrantInterval) {
    return Refuse(named + " was given the join token moments ago: wait for that join", true,
                  hostname);
  }
  JoinDecision d;
  for (const auto& n : nodes) {
    if (n.state == "ready" && n.manager_reachability == "reachable" && !n.manager_addr.empty()) {
      d.manager_addrs.push_back(n.manager_addr);
    }
  }
  std::sort(d.manager_addrs.begin(), d.manager_addrs.end());
  if (d.manager_addrs.empty()) {
    return Refuse("no reachable manager address is known: not yet", true, hostname);
  }
  if (!in.worker_token_known) {
    return Refuse("the swarm's worker join token is not known yet (GET /swarm): not yet", true,
                  hostname);
  }
  d.grant = true;
  d.retry = false;
  d.hostname = hostname;
  d.reason = named + " is listed, down and has no Ready twin: the worker join token and " +
             std::to_string(d.manager_addrs.size()) + " manager address(es)";
  return d;
}

}  // namespace orcastra::leader
