#include "leader/heal/plan.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace orcastra::leader {
namespace {

using std::chrono::milliseconds;

// While a role change is in progress the plan looks again this soon.
constexpr milliseconds kTransitionRecheck{2000};

bool IsManager(const docker::Node& n) { return n.role == "manager"; }
bool IsMember(const docker::Node& n) { return !n.manager_reachability.empty(); }
bool IsReachable(const docker::Node& n) { return n.manager_reachability == "reachable"; }
bool IsDown(const docker::Node& n) { return n.state == "down"; }
bool IsReady(const docker::Node& n) { return n.state == "ready"; }
bool IsActive(const docker::Node& n) { return n.availability == "active"; }

std::string Seconds(milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

std::string Short(const std::string& id) { return id.substr(0, 12); }

// The plan under construction: the inputs, the derived facts, and the output.
class Planner {
 public:
  Planner(const config::SwarmConfig& config, const HealSettings& settings,
          const HealSnapshot& snapshot, const HealMemory& memory, SteadyTime now)
      : config_(config),
        settings_(settings),
        nodes_(snapshot.nodes),
        raft_write_age_(snapshot.raft_write_age),
        now_(now) {
    plan_.memory = memory;
  }

  HealPlan Run() {
    Observe();
    Count();
    Classify();
    Gate();
    if (plan_.blocked.empty()) {
      Removals();
      RoleChange();
    } else {
      plan_.count_status = plan_.blocked;
    }
    Recheck();
    std::sort(plan_.nodes.begin(), plan_.nodes.end(), [](const auto& a, const auto& b) {
      return std::tie(a.hostname, a.node_id) < std::tie(b.hostname, b.node_id);
    });
    return std::move(plan_);
  }

 private:
  bool Listed(const docker::Node& n) const { return config_.nodes.count(n.hostname) > 0; }
  std::optional<config::NodeRole> WantedRole(const docker::Node& n) const {
    auto it = config_.nodes.find(n.hostname);
    return it == config_.nodes.end() ? std::nullopt : it->second.role;
  }
  bool HasTwin(const docker::Node& n) const {
    for (const auto& m : nodes_)
      if (m.id != n.id && m.hostname == n.hostname && IsReady(m)) return true;
    return false;
  }
  // Another node that is not down has the same hostname.
  bool Ambiguous(const docker::Node& n) const {
    if (IsDown(n)) return false;
    for (const auto& m : nodes_)
      if (m.id != n.id && m.hostname == n.hostname && !IsDown(m)) return true;
    return false;
  }
  milliseconds DownFor(const docker::Node& n) const {
    auto it = plan_.memory.down_since.find(n.id);
    return it == plan_.memory.down_since.end()
               ? milliseconds(0)
               : std::chrono::duration_cast<milliseconds>(now_ - it->second);
  }
  milliseconds UnreachableFor(const docker::Node& n) const {
    auto it = plan_.memory.unreachable_since.find(n.id);
    return it == plan_.memory.unreachable_since.end()
               ? milliseconds(0)
               : std::chrono::duration_cast<milliseconds>(now_ - it->second);
  }
  bool Lost(const docker::Node& n) const {
    return IsMember(n) && !IsReachable(n) && IsDown(n) &&
           UnreachableFor(n) >= settings_.manager_grace;
  }
  // Whether the backoff lets an action on `n` be planned now; else says until when.
  bool Allowed(const docker::Node& n, std::string* why = nullptr) const {
    auto it = plan_.memory.nodes.find(n.id);
    if (it == plan_.memory.nodes.end() || !it->second.next_allowed ||
        *it->second.next_allowed <= now_) {
      return true;
    }
    if (why) {
      *why = "backing off after " + std::to_string(it->second.attempts) + " attempt(s) to " +
             it->second.last_action + ": next in " +
             Seconds(std::chrono::duration_cast<milliseconds>(*it->second.next_allowed - now_));
    }
    return false;
  }
  HealNodeReport* Report(const docker::Node& n) {
    for (auto& r : plan_.nodes)
      if (r.node_id == n.id) return &r;
    return nullptr;
  }

  // Updates the observations and the backoff from the read.
  void Observe() {
    HealMemory& m = plan_.memory;
    std::set<std::string> ids;
    for (const auto& n : nodes_) ids.insert(n.id);
    auto prune = [&](auto& map) {
      for (auto it = map.begin(); it != map.end();) {
        it = ids.count(it->first) ? std::next(it) : map.erase(it);
      }
    };
    prune(m.nodes);
    for (const auto& n : nodes_) {
      if (IsDown(n)) {
        m.down_since.try_emplace(n.id, now_);
      } else {
        m.down_since.erase(n.id);
      }
      if (IsMember(n) && !IsReachable(n)) {
        m.unreachable_since.try_emplace(n.id, now_);
      } else {
        m.unreachable_since.erase(n.id);
      }
      // The backoff resets when the last action is seen to have taken effect.
      auto it = m.nodes.find(n.id);
      if (it == m.nodes.end()) continue;
      const std::string& last = it->second.last_action;
      if ((last == "promote" && IsManager(n) && IsReachable(n)) ||
          (last == "demote" && !IsManager(n) && !IsMember(n))) {
        m.nodes.erase(it);
      }
    }
    prune(m.down_since);
    prune(m.unreachable_since);
    for (auto it = m.demoted_lost.begin(); it != m.demoted_lost.end();) {
      const docker::Node* n = nullptr;
      for (const auto& node : nodes_)
        if (node.id == *it) n = &node;
      it = (n == nullptr || !IsDown(*n)) ? m.demoted_lost.erase(it) : std::next(it);
    }
    // Removal requests: done when the node is gone; dropped when it is not down or too old.
    for (auto it = m.removals.begin(); it != m.removals.end();) {
      const docker::Node* n = nullptr;
      for (const auto& node : nodes_)
        if (node.id == it->first) n = &node;
      if (n == nullptr) {
        it = m.removals.erase(it);
      } else if (!IsDown(*n)) {
        plan_.warnings.push_back("remove_node:" + Short(n->id) + " (" + n->hostname +
                                 ") dropped: the node is " + n->state + ", not down");
        it = m.removals.erase(it);
      } else if (now_ - it->second.at >= settings_.request_timeout) {
        plan_.warnings.push_back("remove_node:" + Short(n->id) + " (" + n->hostname +
                                 ") dropped: not carried out within " +
                                 Seconds(settings_.request_timeout));
        it = m.removals.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Count() {
    HealCounts& c = plan_.counts;
    c.managers_wanted = config_.managers;
    bool leader = false;
    for (const auto& n : nodes_) {
      if (IsManager(n)) ++c.managers;
      if (IsMember(n)) ++c.members;
      // Only a Ready member counts: a manager that lost quorum serves a stale list in which the
      // dead still look reachable and its own node is "unknown" (seen on the lab).
      if (IsReachable(n) && IsReady(n)) ++c.reachable;
      if (n.manager_leader && IsReachable(n) && IsReady(n)) leader = true;
    }
    // As the list says; Gate() also wants a recent write to prove the list is current.
    c.quorum = c.members > 0 && leader && 2 * c.reachable > c.members;
    c.expected = static_cast<int>(config_.nodes.size());
    for (const auto& [hostname, spec] : config_.nodes) {
      bool ready = false;
      for (const auto& n : nodes_) ready = ready || (n.hostname == hostname && IsReady(n));
      if (ready) {
        ++c.in_swarm;
      } else {
        c.missing.push_back(hostname);
      }
    }
  }

  void Classify() {
    for (const auto& n : nodes_) {
      HealNodeReport r;
      r.node_id = n.id;
      r.hostname = n.hostname;
      r.role = n.role;
      r.state = n.state;
      r.availability = n.availability;
      r.reachability = n.manager_reachability;
      r.listed = Listed(n);
      if (IsDown(n) && HasTwin(n)) {
        r.heal = HealNodeState::kPhantom;
        ++plan_.counts.phantoms;
        r.detail = "down, and its hostname has joined again under another id";
        if (!r.listed) r.detail += "; not in swarm.yml: not removed (remove_node:" + n.id + ")";
      } else if (Lost(n)) {
        r.heal = HealNodeState::kLostManager;
        ++plan_.counts.down;
        r.detail = "manager down and unreachable for " + Seconds(UnreachableFor(n));
      } else if (IsMember(n) && !IsReachable(n)) {
        r.heal = HealNodeState::kUnreachable;
        if (IsDown(n)) ++plan_.counts.down;
        r.detail = "manager " + n.manager_reachability + " for " + Seconds(UnreachableFor(n)) +
                   " (grace " + Seconds(settings_.manager_grace) + ")";
      } else if (IsDown(n)) {
        r.heal = HealNodeState::kDownNoTwin;
        ++plan_.counts.down;
        r.detail =
            plan_.memory.demoted_lost.count(n.id)
                ? "lost manager, demoted by healing: removed"
                : "down for " + Seconds(DownFor(n)) +
                      ", no twin: not removed (the machine may come back; remove_node:" + n.id +
                      " removes it)";
      } else if (Ambiguous(n)) {
        r.heal = HealNodeState::kAmbiguous;
        r.detail = "another live node has the hostname " + n.hostname + ": it is never promoted";
      } else if (!IsReady(n)) {
        r.heal = HealNodeState::kNotReady;
        r.detail = "state " + n.state;
      }
      if (!IsActive(n) && r.heal != HealNodeState::kPhantom) {
        r.detail += std::string(r.detail.empty() ? "" : "; ") + n.availability +
                    ": left as it is (never promoted or demoted)";
      }
      plan_.nodes.push_back(std::move(r));
    }
  }

  // Rule 1: nothing while quorum is lost or a manager is recently unreachable.
  void Gate() {
    const HealCounts& c = plan_.counts;
    if (!WriteProvesQuorum()) {
      plan_.blocked =
          raft_write_age_
              ? "quorum unproven: the last write to Swarm's Raft store (the lease renewal) was " +
                    Seconds(*raft_write_age_) + " before the node list was read (at most " +
                    Seconds(settings_.raft_write_max_age) +
                    "): a manager that lost quorum serves a stale list; nothing is changed"
              : "quorum unproven: no write to Swarm's Raft store (the lease renewal) is known: "
                "nothing is changed";
      return;
    }
    if (!c.quorum) {
      plan_.blocked = "quorum is lost or unknown (" + std::to_string(c.reachable) + " of " +
                      std::to_string(c.members) +
                      " managers reachable, a Raft leader needed): nothing is changed";
      return;
    }
    for (const auto& n : nodes_) {
      if (!IsMember(n) || IsReachable(n) || UnreachableFor(n) >= settings_.manager_grace) continue;
      if (requested(n)) continue;  // the operator named it: it is gone for them
      plan_.blocked = "manager " + n.hostname + " (" + Short(n.id) + ") has been " +
                      n.manager_reachability + " for " + Seconds(UnreachableFor(n)) +
                      ", less than the grace of " + Seconds(settings_.manager_grace) +
                      ": nothing is changed until it is back or counts as lost";
      return;
    }
  }
  bool WriteProvesQuorum() const {
    return raft_write_age_ && *raft_write_age_ <= settings_.raft_write_max_age;
  }
  bool requested(const docker::Node& n) const { return plan_.memory.removals.count(n.id) > 0; }

  // Counts an attempt on `n` and appends the action.
  void Plan(const docker::Node& n, HealActionKind kind, std::string cause, std::string reason) {
    HealNodeMemory& m = plan_.memory.nodes[n.id];
    ++m.attempts;
    const auto& iv = settings_.retry_intervals;
    if (!iv.empty()) {
      m.next_allowed = now_ + iv[std::min<std::size_t>(m.attempts - 1, iv.size() - 1)];
    }
    m.last_attempt = now_;
    m.last_action = kind == HealActionKind::kRemove   ? "remove"
                    : kind == HealActionKind::kDemote ? "demote"
                                                      : "promote";
    HealAction a;
    a.kind = kind;
    a.node_id = n.id;
    a.hostname = n.hostname;
    a.version = n.version;
    a.cause = std::move(cause);
    a.reason = std::move(reason);
    a.attempt = m.attempts;
    plan_.actions.push_back(std::move(a));
  }

  // Rule 2 (workers, and demoted managers): phantoms and the operator's requests.
  void Removals() {
    int budget = settings_.max_removals;
    for (const auto& n : nodes_) {
      if (!IsDown(n) || IsManager(n) || IsMember(n)) continue;
      HealNodeReport* r = Report(n);
      const bool operator_asked = requested(n);
      const bool phantom = r->heal == HealNodeState::kPhantom && r->listed;
      const bool demoted_lost = plan_.memory.demoted_lost.count(n.id) > 0;
      if (!operator_asked && !phantom && !demoted_lost) continue;
      if (!operator_asked && phantom && DownFor(n) < settings_.phantom_grace) {
        r->detail += "; removed after the grace of " + Seconds(settings_.phantom_grace) +
                     " (down for " + Seconds(DownFor(n)) + ")";
        continue;
      }
      std::string why;
      if (!Allowed(n, &why)) {
        r->detail += "; " + why;
        continue;
      }
      if (budget-- <= 0) {
        r->detail += "; waits for the next pass (at most " +
                     std::to_string(settings_.max_removals) + " removals per pass)";
        continue;
      }
      if (operator_asked) {
        Plan(n, HealActionKind::kRemove, "operator",
             "down; removal asked by " + plan_.memory.removals.at(n.id).by);
      } else if (!phantom) {
        Plan(n, HealActionKind::kRemove, "lost_manager",
             "lost manager, demoted and out of Raft, still down for " + Seconds(DownFor(n)));
      } else {
        Plan(n, HealActionKind::kRemove, "phantom",
             "phantom: down for " + Seconds(DownFor(n)) + " while " + n.hostname +
                 " is Ready under another id");
      }
    }
  }

  // Whether `n` is a worker the count may promote (rule 3b), else why not in `why`.
  bool Candidate(const docker::Node& n, std::string* why) const {
    if (IsManager(n) || IsMember(n) || !IsReady(n)) return false;
    if (!Listed(n)) return false;
    if (WantedRole(n) == config::NodeRole::kWorker) {
      *why = "role: worker in swarm.yml";
      return false;
    }
    if (!IsActive(n)) {
      *why = n.availability;
      return false;
    }
    if (Ambiguous(n)) {
      *why = "another live node has its hostname";
      return false;
    }
    return Allowed(n, why);
  }
  std::vector<const docker::Node*> Candidates() const {
    std::vector<const docker::Node*> out;
    for (const auto& n : nodes_) {
      std::string why;
      if (Candidate(n, &why)) out.push_back(&n);
    }
    std::sort(out.begin(), out.end(), [&](const docker::Node* a, const docker::Node* b) {
      const bool am = WantedRole(*a) == config::NodeRole::kManager;
      const bool bm = WantedRole(*b) == config::NodeRole::kManager;
      return std::tie(bm, a->hostname, a->id) < std::tie(am, b->hostname, b->id);
    });
    return out;
  }
  // Reachable, active, listed managers that may be demoted as extras, best first (rule 3c).
  std::vector<const docker::Node*> Extras() const {
    std::vector<const docker::Node*> out;
    for (const auto& n : nodes_) {
      if (IsManager(n) && IsReachable(n) && IsReady(n) && IsActive(n) && Listed(n) && Allowed(n)) {
        out.push_back(&n);
      }
    }
    auto rank = [&](const docker::Node* n) {
      auto role = WantedRole(*n);
      int r = role == config::NodeRole::kWorker ? 0 : role ? 2 : 1;
      bool last = n->id == settings_.self_node_id || n->manager_leader;
      return std::make_tuple(r, last);
    };
    std::sort(out.begin(), out.end(), [&](const docker::Node* a, const docker::Node* b) {
      return std::tuple_cat(rank(a), std::tie(b->hostname, b->id)) <
             std::tuple_cat(rank(b), std::tie(a->hostname, a->id));
    });
    return out;
  }

  // Rule 3: at most one change of role.
  void RoleChange() {
    const HealCounts& c = plan_.counts;
    for (const auto& n : nodes_) {
      if (IsManager(n) == IsMember(n)) continue;
      HealNodeReport* r = Report(n);
      if (IsManager(n)) {
        auto it = plan_.memory.nodes.find(n.id);
        const bool timed_out = it != plan_.memory.nodes.end() && it->second.last_attempt &&
                               it->second.last_action == "promote" &&
                               now_ - *it->second.last_attempt >= settings_.promotion_timeout;
        r->detail += std::string(r->detail.empty() ? "" : "; ") + "promotion in progress";
        plan_.count_status =
            "waiting for the promotion of " + n.hostname + " (" + Short(n.id) + ") to be reachable";
        if (timed_out) {
          plan_.count_status += ": not reachable after " + Seconds(settings_.promotion_timeout) +
                                " (promotion failed?)";
          plan_.warnings.push_back(plan_.count_status);
        }
      } else {
        r->detail += std::string(r->detail.empty() ? "" : "; ") + "demotion in progress";
        plan_.count_status =
            "waiting for the demotion of " + n.hostname + " (" + Short(n.id) + ") to complete";
      }
      return;
    }
    // A member that is reachable but whose promotion is not Ready yet counts as in transition too.
    for (const auto& n : nodes_) {
      if (IsManager(n) && IsMember(n) && !IsReachable(n) && !IsDown(n)) {
        plan_.count_status = "waiting for manager " + n.hostname + " to be reachable";
        return;
      }
    }

    const int managers = c.managers;
    const std::optional<int> wanted = config_.managers;
    const auto candidates = Candidates();
    const auto extras = Extras();

    // The operator's removals of managers: demoted first, whatever the count (they asked).
    for (const auto& n : nodes_) {
      if (!requested(n) || !IsDown(n) || !(IsManager(n) || IsMember(n))) continue;
      std::string why;
      if (!Allowed(n, &why)) {
        Report(n)->detail += "; " + why;
        continue;
      }
      if (2 * c.reachable <= c.members - 1) continue;  // cannot happen while quorum holds
      Plan(n, HealActionKind::kDemote, "operator",
           "down manager; demoted before its removal, asked by " +
               plan_.memory.removals.at(n.id).by);
      plan_.count_status = "demoting " + n.hostname + " for its removal";
      return;
    }

    // 3a: a lost or phantom listed manager is demoted first.
    std::vector<const docker::Node*> dead;
    for (const auto& n : nodes_) {
      if (!IsManager(n)) continue;
      HealNodeReport* r = Report(n);
      const bool phantom = r->heal == HealNodeState::kPhantom;
      const bool lost = r->heal == HealNodeState::kLostManager;
      if (!phantom && !lost) continue;
      if (!phantom && !wanted) continue;  // without managers: the count is left alone
      if (!r->listed) {
        r->detail += "; not in swarm.yml: not demoted";
        continue;
      }
      if (phantom && DownFor(n) < settings_.phantom_grace) {
        r->detail += "; demoted after the grace of " + Seconds(settings_.phantom_grace);
        continue;
      }
      if (lost && !phantom && !IsActive(n)) continue;  // the operator's (rule 4)
      if (!phantom && !IsMember(n)) continue;
      std::string why;
      if (!Allowed(n, &why)) {
        r->detail += "; " + why;
        continue;
      }
      dead.push_back(&n);
    }
    std::sort(dead.begin(), dead.end(), [&](const docker::Node* a, const docker::Node* b) {
      const bool ap = Report(*a)->heal == HealNodeState::kPhantom;
      const bool bp = Report(*b)->heal == HealNodeState::kPhantom;
      return std::tie(bp, a->hostname, a->id) < std::tie(ap, b->hostname, b->id);
    });
    if (!dead.empty()) {
      const docker::Node& n = *dead.front();
      const int after = managers - 1;
      const bool odd = after % 2 == 1;
      const bool promote_next = wanted && after < *wanted && !candidates.empty();
      // An extra demotable above N (the dead node itself is not reachable, so not in extras).
      const bool demote_next = wanted && after > *wanted && !extras.empty();
      HealNodeReport* r = Report(n);
      const bool phantom = r->heal == HealNodeState::kPhantom;
      if (after >= 1 && (odd || promote_next || demote_next)) {
        std::string reason =
            phantom ? "phantom manager (its hostname is Ready under another id)"
                    : "lost manager: down and unreachable for " + Seconds(UnreachableFor(n));
        reason += "; demoted so that " + std::to_string(after) + " Raft member(s) remain";
        if (promote_next) reason += ", then a worker is promoted";
        Plan(n, HealActionKind::kDemote, phantom ? "phantom" : "lost_manager", reason);
        if (!phantom) plan_.memory.demoted_lost.insert(n.id);
        plan_.count_status = "demoting " + n.hostname + " (" + Short(n.id) + ")";
        return;
      }
      std::string why = !wanted ? "managers: is not set, and " + std::to_string(after) +
                                      " managers would be an even count"
                                : std::to_string(after) +
                                      " managers would be an even count and no Ready listed "
                                      "worker can be promoted";
      r->detail += "; not demoted: " + why;
      if (!wanted) {
        plan_.count_status = "managers: is not set: the count is left alone";
        return;
      }
      // Fall through: the count below may still act (e.g. nothing to do).
    }

    if (!wanted) {
      plan_.count_status = "managers: is not set: the count is left alone";
      return;
    }
    if (managers < *wanted) {
      if (candidates.empty()) {
        plan_.count_status = std::to_string(managers) + " managers, " + std::to_string(*wanted) +
                             " wanted: no Ready, active, listed worker can be promoted";
        return;
      }
      const bool to_odd = (managers + 1) % 2 == 1;
      if (!to_odd && candidates.size() < 2) {
        plan_.count_status = std::to_string(managers) + " managers, " + std::to_string(*wanted) +
                             " wanted: only one worker can be promoted, and " +
                             std::to_string(managers + 1) + " would be an even count";
        return;
      }
      const docker::Node& n = *candidates.front();
      const bool preferred = WantedRole(n) == config::NodeRole::kManager;
      Plan(
          n, HealActionKind::kPromote, "manager_count",
          std::to_string(managers) + " managers, " + std::to_string(*wanted) + " wanted; " +
              (preferred ? "role: manager in swarm.yml" : "first Ready listed worker by hostname"));
      plan_.count_status = "promoting " + n.hostname + " (" + Short(n.id) + ")";
      return;
    }
    if (managers > *wanted) {
      // Never to an even count that no further demotion follows.
      const bool to_odd = (managers - 1) % 2 == 1;
      if (!to_odd && (extras.size() < 2 || managers - 1 <= *wanted)) {
        plan_.count_status = std::to_string(managers) + " managers, " + std::to_string(*wanted) +
                             " wanted: demoting one would leave an even count that no further "
                             "demotion can follow (no other reachable, active, listed manager)";
        return;
      }
      for (const docker::Node* n : extras) {
        // Never below a majority of the reachable members.
        if (2 * (c.reachable - 1) <= c.members - 1) break;
        Plan(*n, HealActionKind::kDemote, "manager_count",
             std::to_string(managers) + " managers, " + std::to_string(*wanted) + " wanted");
        plan_.count_status = "demoting " + n->hostname + " (" + Short(n->id) + ")";
        return;
      }
      plan_.count_status = std::to_string(managers) + " managers, " + std::to_string(*wanted) +
                           " wanted: no reachable, active, listed manager can be demoted";
      return;
    }
    if (plan_.count_status.empty()) {
      plan_.count_status = std::to_string(managers) + " managers, as wanted";
    }
  }

  // When to look again: the earliest grace or backoff ending, or soon during a role change.
  void Recheck() {
    std::optional<milliseconds> soonest;
    auto consider = [&](milliseconds d) {
      d = std::max(d, milliseconds(0));
      if (!soonest || d < *soonest) soonest = d;
    };
    for (const auto& n : nodes_) {
      if (IsManager(n) != IsMember(n)) consider(kTransitionRecheck);
      if (IsMember(n) && !IsReachable(n) && UnreachableFor(n) < settings_.manager_grace) {
        consider(settings_.manager_grace - UnreachableFor(n));
      }
      if (IsDown(n) && HasTwin(n) && Listed(n) && DownFor(n) < settings_.phantom_grace) {
        consider(settings_.phantom_grace - DownFor(n));
      }
      auto it = plan_.memory.nodes.find(n.id);
      if (it != plan_.memory.nodes.end() && it->second.next_allowed &&
          *it->second.next_allowed > now_) {
        consider(std::chrono::duration_cast<milliseconds>(*it->second.next_allowed - now_));
      }
    }
    if (!plan_.actions.empty()) consider(kTransitionRecheck);
    if (!plan_.memory.removals.empty()) consider(kTransitionRecheck);
    plan_.recheck_in = soonest;
  }

  const config::SwarmConfig& config_;
  const HealSettings& settings_;
  const std::vector<docker::Node>& nodes_;
  const std::optional<std::chrono::milliseconds> raft_write_age_;
  const SteadyTime now_;
  HealPlan plan_;
};

}  // namespace

const char* HealActionKindName(HealActionKind kind) {
  switch (kind) {
    case HealActionKind::kDemote:
      return "demote";
    case HealActionKind::kPromote:
      return "promote";
    case HealActionKind::kRemove:
      return "remove";
  }
  return "?";
}

const char* HealNodeStateName(HealNodeState state) {
  switch (state) {
    case HealNodeState::kOk:
      return "ok";
    case HealNodeState::kPhantom:
      return "phantom";
    case HealNodeState::kDownNoTwin:
      return "down";
    case HealNodeState::kLostManager:
      return "lost-manager";
    case HealNodeState::kUnreachable:
      return "unreachable";
    case HealNodeState::kAmbiguous:
      return "ambiguous";
    case HealNodeState::kNotReady:
      return "not-ready";
  }
  return "?";
}

std::optional<std::chrono::milliseconds> RaftWriteAge(std::optional<SteadyTime> last_write_sent,
                                                      SteadyTime read_at) {
  if (!last_write_sent) return std::nullopt;
  if (*last_write_sent >= read_at) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(read_at - *last_write_sent);
}

HealPlan PlanHeal(const config::SwarmConfig& config, const HealSettings& settings,
                  const HealSnapshot& snapshot, const HealMemory& memory, SteadyTime now) {
  return Planner(config, settings, snapshot, memory, now).Run();
}

NodeMatch MatchNodeId(const std::vector<docker::Node>& nodes, const std::string& id_or_prefix) {
  NodeMatch match;
  for (const auto& n : nodes) {
    if (n.id == id_or_prefix) {
      match.node_id = n.id;
      return match;
    }
  }
  if (id_or_prefix.size() < 6) {
    match.error = "'" + id_or_prefix + "' is no node id (a prefix needs at least 6 characters)";
    return match;
  }
  int found = 0;
  for (const auto& n : nodes) {
    if (n.id.rfind(id_or_prefix, 0) == 0) {
      ++found;
      match.node_id = n.id;
    }
  }
  if (found == 1) return match;
  match.node_id.clear();
  match.error = found == 0 ? "no node has the id '" + id_or_prefix + "'"
                           : "'" + id_or_prefix + "' is the start of " + std::to_string(found) +
                                 " node ids; give more of it";
  return match;
}

}  // namespace orcastra::leader
