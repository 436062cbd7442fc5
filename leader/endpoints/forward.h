// Every command from any manager (doc/cli.md "Which instance answers"): the rule that decides
// whether a query is answered by the instance that received it, forwarded to the active instance,
// or refused because no instance is active. Pure.
//
// Queries that must run on the active instance: `command`, `config_apply`, and `events` asked
// with the argument instance=active (how `orcastra command` reads its result from the active
// instance's event log). Every other query is answered by the instance asked, from its own state.
// A query that was forwarded already (it came from another leader instance) is never forwarded
// again: a standby that gets one says that no instance is active.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/docker_types.h"
#include "common/status.h"
#include "protocol/protocol.h"

namespace orcastra::leader {

// The name the leader instances' own key has among the admitted keys (leader/leader.cc adds it;
// a name of the clients file cannot start with '@').
inline constexpr char kPeerLeaderKeyName[] = "@leader";
// Arguments a forwarding instance adds: who forwarded it, and who asked (the CLI's key name and
// public key), which the active instance trusts only from a peer leader connection.
inline constexpr char kArgForwardedBy[] = "forwarded_by";
inline constexpr char kArgOnBehalfOfName[] = "on_behalf_of";
inline constexpr char kArgOnBehalfOfKey[] = "on_behalf_of_key";
// How long a standby waits for the active instance's answer (the CLI waits 5 s by default), and
// how many forwarded queries may wait at once (more are answered "busy").
inline constexpr std::chrono::milliseconds kForwardTimeout{4000};
inline constexpr std::size_t kMaxForwardJobs = 16;
// result_json of an error reply that is worth retrying: no instance is active (yet).
inline constexpr char kNoActiveReason[] = "no_active_instance";

bool RunsOnActive(const protocol::Query& query);

struct RouteInput {
  bool runs_on_active = false;
  bool we_are_active = false;
  bool forwarded = false;      // it came from another leader instance
  std::string holder_node_id;  // the lease holder as last read ("" when none)
  std::string holder_hostname;
  std::string holder_address;  // its address from Swarm's node list ("" when unknown)
  int control_port = 7471;     // the control port of every instance
};

struct Route {
  enum class Kind { kHere, kForward, kNoActive };
  Kind kind = Kind::kHere;
  std::string endpoint;  // kForward: tcp://ADDRESS:PORT
  std::string reason;    // kNoActive: why, for the CLI
};
Route DecideRoute(const RouteInput& input);

// The address a manager's leader instance listens on: the node's Status.Addr, else the host part
// of its ManagerStatus.Addr ("" when the node is not in the list or has neither).
std::string NodeAddress(const std::vector<docker::Node>& nodes, const std::string& node_id);

// The reply a standby sends back for a forwarded query, from the active instance's `answer` to
// the request sent to `endpoint`: its reply as it is (answered_by names the active instance), with
// "forwarded_by": `forwarder` added to a JSON object result; the active instance's refusal as an
// error; a request that failed as an error naming the active instance and its address, marked
// kNoActiveReason (worth retrying) when it timed out or could not be sent. `base` is this
// instance's own empty reply.
protocol::Reply ForwardedReply(const Result<protocol::Message>& answer, const protocol::Reply& base,
                               const std::string& endpoint, const std::string& active,
                               const std::string& forwarder);

}  // namespace orcastra::leader
