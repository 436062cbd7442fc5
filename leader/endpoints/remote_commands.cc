#include "leader/endpoints/remote_commands.h"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <utility>

namespace orcastra::leader {

void AgentPeers::See(const std::string& node_id, const std::string& hostname,
                     const std::string& identity, std::chrono::milliseconds report_interval,
                     SteadyTime now) {
  if (node_id.empty()) return;
  if (!by_node_id_.contains(node_id) && !listed_.contains(node_id)) {
    MakeRoomForUnlisted(
        by_node_id_, [&](const std::string& id) { return listed_.contains(id); }, kMaxUnlisted);
  }
  AgentPeer& peer = by_node_id_[node_id];
  peer.node_id = node_id;
  if (!hostname.empty()) peer.hostname = hostname;
  peer.identity = identity;
  peer.report_interval = EffectiveReportInterval(report_interval, peer.report_interval);
  peer.last_seen = now;
}

void AgentPeers::PruneTo(std::set<std::string> listed) {
  listed_ = std::move(listed);
  std::erase_if(by_node_id_, [&](const auto& entry) { return !listed_.contains(entry.first); });
}

void AgentPeers::ForgetIdentity(const std::string& identity) {
  for (auto& [id, peer] : by_node_id_) {
    if (peer.identity == identity) peer.identity.clear();
  }
}

bool AgentPeers::Fresh(const AgentPeer& peer, SteadyTime now) const {
  return !peer.identity.empty() && now - peer.last_seen <= peer.report_interval * kMissedReports;
}

Result<AgentPeer> AgentPeers::Find(const std::string& node, SteadyTime now) const {
  const AgentPeer* found = nullptr;
  if (auto it = by_node_id_.find(node); it != by_node_id_.end()) {
    found = &it->second;
  } else {
    // By hostname; of several (a node that left and rejoined), the most recently heard.
    for (const auto& [id, peer] : by_node_id_) {
      if (peer.hostname == node && (found == nullptr || peer.last_seen > found->last_seen))
        found = &peer;
    }
  }
  if (found == nullptr) {
    return Status::NotFound("no agent of node '" + node +
                            "' has connected to this leader instance");
  }
  if (found->identity.empty()) {
    return Status::Unavailable("the agent of node '" + node +
                               "' is not connected (its connection closed)");
  }
  if (!Fresh(*found, now)) {
    const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - found->last_seen);
    return Status::Unavailable("the agent of node '" + node + "' is not connected (silent for " +
                               std::to_string(silent.count()) + "s)");
  }
  return *found;
}

std::vector<AgentPeer> AgentPeers::Connected(SteadyTime now) const {
  std::vector<AgentPeer> out;
  for (const auto& [id, peer] : by_node_id_)
    if (Fresh(peer, now)) out.push_back(peer);
  std::sort(out.begin(), out.end(), [](const AgentPeer& a, const AgentPeer& b) {
    return std::tie(a.hostname, a.node_id) < std::tie(b.hostname, b.node_id);
  });
  return out;
}

void AgentCommandOutbox::Push(AgentCommandRequest request) {
  std::lock_guard lock(mutex_);
  if (requests_.size() < kMaxRequests) {
    requests_.push_back(std::move(request));
  } else if (refused_.size() < kMaxRequests) {
    refused_.push_back(std::move(request));
  } else {
    ++dropped_;
  }
}

AgentCommandOutbox::Taken AgentCommandOutbox::TakeAll() {
  std::lock_guard lock(mutex_);
  Taken out;
  out.requests.assign(std::make_move_iterator(requests_.begin()),
                      std::make_move_iterator(requests_.end()));
  requests_.clear();
  out.refused = std::move(refused_);
  refused_.clear();
  out.dropped = std::exchange(dropped_, 0);
  return out;
}

Result<std::uint64_t> PendingCommands::StartCli(std::string cli_identity, Target target,
                                                SteadyTime deadline) {
  if (cli_entries_ >= kMaxCliRequests || entries_.size() >= kMaxEntries) {
    return Status::Unavailable("busy: " + std::to_string(cli_entries_) +
                               " logs requests are waiting for agents already; try again shortly");
  }
  ++cli_entries_;
  const std::uint64_t id = next_id_++;
  Entry entry;
  entry.for_cli = true;
  entry.cli_identity = std::move(cli_identity);
  entry.target = std::move(target);
  entry.deadline = deadline;
  entries_.emplace(id, std::move(entry));
  return id;
}

Result<std::vector<std::uint64_t>> PendingCommands::StartBatch(AgentCommandRequest request,
                                                               std::vector<Target> targets,
                                                               SteadyTime deadline) {
  if (entries_.size() + targets.size() > kMaxEntries) {
    return Status::Unavailable("busy: " + std::to_string(entries_.size()) +
                               " agent commands are waiting for answers already");
  }
  const std::uint64_t batch_id = next_batch_++;
  Batch batch;
  batch.request = std::move(request);
  batch.results.resize(targets.size());
  batch.outstanding = targets.size();
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    batch.nodes.push_back(targets[i].label);
    Entry entry;
    entry.target = std::move(targets[i]);
    entry.batch = batch_id;
    entry.index = i;
    entry.deadline = deadline;
    const std::uint64_t id = next_id_++;
    entries_.emplace(id, std::move(entry));
    ids.push_back(id);
  }
  batches_.emplace(batch_id, std::move(batch));
  return ids;
}

void PendingCommands::Finish(std::map<std::uint64_t, Entry>::iterator it,
                             protocol::AgentCommandResult result, Completions& out) {
  Entry entry = std::move(it->second);
  result.id = it->first;
  entries_.erase(it);
  if (entry.for_cli) {
    --cli_entries_;
    out.cli.push_back({std::move(entry.cli_identity), entry.target.label, std::move(result)});
    return;
  }
  auto batch = batches_.find(entry.batch);
  if (batch == batches_.end()) return;
  batch->second.results[entry.index] = std::move(result);
  if (--batch->second.outstanding > 0) return;
  BatchOutcome outcome;
  outcome.request = std::move(batch->second.request);
  outcome.nodes = std::move(batch->second.nodes);
  for (auto& r : batch->second.results) outcome.results.push_back(std::move(*r));
  batches_.erase(batch);
  out.batches.push_back(std::move(outcome));
}

Completions PendingCommands::OnResult(const protocol::AgentCommandResult& result,
                                      const std::string& from_node_id) {
  Completions out;
  auto it = entries_.find(result.id);
  if (it == entries_.end() || it->second.target.node_id != from_node_id) return out;
  Finish(it, result, out);
  return out;
}

Completions PendingCommands::Expire(SteadyTime now) {
  Completions out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now < it->second.deadline) {
      ++it;
      continue;
    }
    auto next = std::next(it);
    protocol::AgentCommandResult timed_out;
    timed_out.error = "no answer from the agent on '" + it->second.target.label + "' in time";
    Finish(it, std::move(timed_out), out);
    it = next;
  }
  return out;
}

protocol::Event BatchEvent(const BatchOutcome& outcome) {
  bool all_ok = true;
  std::string message;
  std::string nodes;
  for (std::size_t i = 0; i < outcome.results.size(); ++i) {
    const auto& result = outcome.results[i];
    all_ok = all_ok && result.ok;
    if (!message.empty()) message += "\n";
    message += outcome.nodes[i] + ": " + (result.ok ? result.output : "failed: " + result.error);
    if (!nodes.empty()) nodes += ",";
    nodes += outcome.nodes[i];
  }
  return {"command",
          outcome.request.text,
          message,
          {{"id", std::to_string(outcome.request.id)},
           {"source", outcome.request.source},
           {"result", all_ok ? "ok" : "failed"},
           {"node", nodes}}};
}

protocol::Event FailedRequestEvent(const AgentCommandRequest& request, const std::string& why) {
  return {"command",
          request.text,
          why,
          {{"id", std::to_string(request.id)},
           {"source", request.source},
           {"result", "failed"},
           {"node", request.node.value_or("")}}};
}

}  // namespace orcastra::leader
