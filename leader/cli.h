// The CLI client: `orcastra status|nodes ...` ask a leader instance over its control endpoint and
// print a table (docker node ls style) or, with --json, the leader's JSON document as it is.
// Exit codes: 0 ok, 1 the request failed, 2 usage error.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/flags.h"

namespace orcastra::leader {

inline constexpr char kDefaultControlEndpoint[] = "tcp://127.0.0.1:7471";

// Runs one query subcommand (`command` is "status", "nodes" or "events") with its arguments.
// `events --follow` polls every second until interrupted.
int RunQueryCommand(const std::string& command, const std::vector<std::string>& args,
                    const EnvLookup& env);

// Pure renderers of the leader's JSON documents, for people.
std::string RenderNodesTable(const nlohmann::json& nodes);
std::string RenderStatus(const nlohmann::json& status);
std::string RenderEvents(const nlohmann::json& events);

// "1.5GiB", "512MiB", "-" for null.
std::string HumanBytes(const nlohmann::json& bytes);

}  // namespace orcastra::leader
