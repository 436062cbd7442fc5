#include "leader/endpoints/forward.h"

#include <nlohmann/json.hpp>

#include "common/utf8.h"

namespace orcastra::leader {

bool RunsOnActive(const protocol::Query& query) {
  if (query.what == "command" || query.what == "config_apply") return true;
  if (query.what == "events") {
    auto it = query.args.find("instance");
    return it != query.args.end() && it->second == "active";
  }
  return false;
}

Route DecideRoute(const RouteInput& input) {
  Route route;
  if (!input.runs_on_active || input.we_are_active) return route;
  route.kind = Route::Kind::kNoActive;
  if (input.forwarded) {
    route.reason =
        "no instance is active: this instance was asked by another instance that took it for the "
        "active one, but it is a standby (the lease changed hands; retry)";
    return route;
  }
  if (input.holder_node_id.empty()) {
    route.reason =
        "no instance is active: no instance holds the lease (an election is in "
        "progress, or no leader instance runs on a manager)";
    return route;
  }
  const std::string holder =
      "'" + (input.holder_hostname.empty() ? input.holder_node_id : input.holder_hostname) + "'";
  if (input.holder_address.empty()) {
    route.reason = "the active instance on " + holder +
                   " has no address in Swarm's node list as this instance read it (retry)";
    return route;
  }
  route.kind = Route::Kind::kForward;
  route.endpoint = "tcp://" + input.holder_address + ":" + std::to_string(input.control_port);
  return route;
}

std::string NodeAddress(const std::vector<docker::Node>& nodes, const std::string& node_id) {
  for (const auto& node : nodes) {
    if (node.id != node_id) continue;
    if (!node.addr.empty() && node.addr != "0.0.0.0") return node.addr;
    const std::string& manager = node.manager_addr;
    const auto colon = manager.rfind(':');
    return colon == std::string::npos ? manager : manager.substr(0, colon);
  }
  return "";
}

protocol::Reply ForwardedReply(const Result<protocol::Message>& answer, const protocol::Reply& base,
                               const std::string& endpoint, const std::string& active,
                               const std::string& forwarder) {
  protocol::Reply reply = base;
  const std::string where = "the active instance '" + active + "' (" + endpoint + ")";
  if (!answer.ok()) {
    const Status::Code code = answer.status().code();
    reply.error = "forwarded to " + where + ", which did not answer: " + answer.status().message();
    if (code == Status::Code::kTimeout || code == Status::Code::kUnavailable) {
      reply.result_json = DumpJson({{"reason", kNoActiveReason}});
    }
    return reply;
  }
  if (const auto* error = std::get_if<protocol::Error>(&answer->body)) {
    reply.error = where + " refused the forwarded query (" + CutText(error->code, 64) +
                  "): " + CutText(error->message, 4096);
    return reply;
  }
  const auto* theirs = std::get_if<protocol::Reply>(&answer->body);
  if (theirs == nullptr) {
    reply.error = where + " answered with a '" + std::string(protocol::TypeName(answer->body)) +
                  "', not a reply";
    return reply;
  }
  reply = *theirs;
  if (reply.ok) {
    nlohmann::json result =
        nlohmann::json::parse(reply.result_json, nullptr, /*allow_exceptions=*/false);
    if (result.is_object()) {
      result["forwarded_by"] = forwarder;
      reply.result_json = DumpJson(result);
    }
  } else if (!reply.error.empty()) {
    reply.error += " (answered by " + where + ")";
  }
  return reply;
}

}  // namespace orcastra::leader
