// The CLI client: `orcastra status|nodes ...` ask a leader instance over its control endpoint and
// print a table (docker node ls style) or, with --json, the leader's JSON document as it is.
// Exit codes: 0 ok, 1 the request failed, 2 usage error.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/flags.h"
#include "common/status.h"
#include "protocol/curve.h"

namespace orcastra::leader {

inline constexpr char kDefaultControlEndpoint[] = "tcp://127.0.0.1:7471";

// Runs one query subcommand (status, nodes, events, plan, anchors, services) with its arguments.
// `events --follow` polls every second until interrupted.
int RunQueryCommand(const std::string& command, const std::vector<std::string>& args,
                    const EnvLookup& env);

// Pure renderers of the leader's JSON documents, for people. Any JSON document renders: a member
// that is absent or of an unexpected type shows as "-" (or is left out), never as an exception.
std::string RenderNodesTable(const nlohmann::json& nodes);
std::string RenderStatus(const nlohmann::json& status);
std::string RenderEvents(const nlohmann::json& events);
std::string RenderPlan(const nlohmann::json& plan);
std::string RenderAnchors(const nlohmann::json& anchors);
std::string RenderServices(const nlohmann::json& services);
// The "output" of a `logs` answer; "" when there is none.
std::string RenderLogs(const nlohmann::json& logs);

// `orcastra command NAME[:ARG]`: queued on the active leader, then waits (--wait, default 30s) for
// its result in the event log and prints it. Exit 0 ok or dry run, 1 failed or no answer, 2 usage.
int RunCommandCommand(const std::vector<std::string>& args, const EnvLookup& env);

// `orcastra logs NODE [--container C] [--tail N]`: the node's agent's own recent log lines, or a
// container's on that node, through any leader instance. Prints the lines (--json: the leader's
// document {"node", "output"}). Exit 0 ok, 1 failed (unknown or disconnected node, no container, no
// answer in time), 2 usage.
int RunLogsCommand(const std::vector<std::string>& args, const EnvLookup& env);

// Where a reader of a leader's event log is: which log (a leader instance's log_id) and the seq of
// the last event it has.
struct EventsCursor {
  std::string log_id;
  std::uint64_t after = 0;
};

// The most pages one FetchEvents reads (a log holds at most 1000 events).
inline constexpr int kMaxEventPages = 2000;

// Reads every page of `orcastra events` matching `args` (since_ms, node, type) after `cursor`,
// oldest first, and moves the cursor past them. A log with another id than the cursor's (the
// leader restarted) is read from its start. Fails when a page fails, is not a page, or the pages
// do not advance.
Result<nlohmann::json> FetchEvents(zmq::context_t& context, const std::string& endpoint,
                                   const protocol::ClientSecurity& security,
                                   std::map<std::string, std::string> args, EventsCursor& cursor,
                                   std::chrono::milliseconds timeout);

// How the CLI talks to the leader (doc/security.md): plain text with --insecure (or
// ORCASTRA_INSECURE=true); otherwise CURVE with the key from --key FILE, else $ORCASTRA_KEY,
// else the first of ~/.config/orcastra/client.key and /etc/orcastra/client.key that exists.
// NotFound (saying where it looked and how to make a key) when there is none; the key file's
// parse error (FILE:LINE) when it is broken.
Result<protocol::ClientSecurity> ClientSecurityFor(const ParsedFlags& flags, const EnvLookup& env);

// "1.5GiB", "512MiB", "-" for null.
std::string HumanBytes(const nlohmann::json& bytes);

}  // namespace orcastra::leader
