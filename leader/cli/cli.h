// The CLI client: `orcastra status|nodes ...` ask a leader instance over its control endpoint and
// print a table (docker node ls style) or, with --json, the leader's JSON document as it is.
// Exit codes: 0 ok, 1 the request failed, 2 usage error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/flags.h"
#include "common/status.h"
#include "leader/cli/diagnose.h"
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

// `orcastra command NAME[:ARG]`: queued on the active leader (through any instance: a standby
// forwards it), then waits (--wait, default 30s) for its result in the active instance's event
// log and prints it with the instance that ran it. While no instance is active it asks again up to
// --wait. Exit 0 ok or dry run, 1 failed or no answer, 2 usage.
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

// Where the CLI asks: the control endpoint and where that address came from ("--leader",
// "ORCASTRA_LEADER", or the default), for error messages.
struct LeaderTarget {
  std::string endpoint;
  std::string source;
};
LeaderTarget TargetFor(const ParsedFlags& flags, const EnvLookup& env);

// One query's outcome: the result, or why not; `unreachable` when no leader instance answered
// (the request timed out or could not be sent), `no_active` when the instance asked said that no
// instance is active (worth retrying: an election is in progress).
struct LeaderAnswer {
  Result<nlohmann::json> result;
  bool unreachable = false;
  bool no_active = false;
};
LeaderAnswer AskLeaderOnce(zmq::context_t& context, const std::string& endpoint,
                           const protocol::ClientSecurity& security, const std::string& what,
                           std::map<std::string, std::string> args,
                           std::chrono::milliseconds timeout);

struct AskOptions {
  // How long to keep asking while no instance is active (`--wait`); 0 asks once.
  std::chrono::milliseconds wait{0};
  // The local daemon's facts for the message when no leader answers (diagnose.h); none: empty.
  std::function<LocalSwarmFacts()> facts;
  std::ostream* progress = nullptr;  // "waiting for an active instance" goes here once
};
// One query, asked again every 0.5 s while no instance is active, up to `options.wait`. When no
// leader instance answers, the error is ExplainNoLeader's: the address tried, the local daemon,
// the stack, how to point elsewhere.
Result<nlohmann::json> AskLeader(zmq::context_t& context, const LeaderTarget& target,
                                 const protocol::ClientSecurity& security, const std::string& what,
                                 const std::map<std::string, std::string>& args,
                                 std::chrono::milliseconds timeout, const AskOptions& options);

// The CLI's options: the facts read from the local daemon (DOCKER_HOST) when no leader answers,
// progress on stderr, waiting up to `wait` for an active instance.
AskOptions DefaultAskOptions(const EnvLookup& env, std::chrono::milliseconds wait = {});

// Reads every page of `orcastra events` matching `args` (since_ms, node, type, instance) after
// `cursor`, oldest first, and moves the cursor past them. A log with another id than the
// cursor's (the leader restarted) is read from its start. Fails when a page fails, is not a
// page, or the pages do not advance.
Result<nlohmann::json> FetchEvents(zmq::context_t& context, const LeaderTarget& target,
                                   const protocol::ClientSecurity& security,
                                   std::map<std::string, std::string> args, EventsCursor& cursor,
                                   std::chrono::milliseconds timeout,
                                   const AskOptions& options = {});

// How the CLI talks to the leader (doc/security.md): plain text with --insecure (or
// ORCASTRA_INSECURE=true); otherwise CURVE with the key from --key FILE, else $ORCASTRA_KEY,
// else the first of ~/.config/orcastra/client.key and /etc/orcastra/client.key that exists.
// NotFound (saying where it looked and how to make a key) when there is none; the key file's
// parse error (FILE:LINE) when it is broken.
Result<protocol::ClientSecurity> ClientSecurityFor(const ParsedFlags& flags, const EnvLookup& env);

// `orcastra config apply [DIR] | show | diff [DIR]` (doc/config-store.md): apply validates DIR
// exactly like `config check` (printing its diagnostics; nothing is sent on an error), then has
// the active instance store it in Swarm; show prints the configuration in force on the instance
// asked; diff prints what apply would change against the stored version in force. Exit 0 ok, 1
// refused or failed, 2 usage.
int RunConfigStoreCommand(const std::string& subcommand, const std::vector<std::string>& args,
                          const EnvLookup& env, std::ostream& out, std::ostream& err);
// The table form of `config show` (a config_show answer).
std::string RenderConfigShow(const nlohmann::json& show);

// Who ran a command or an apply, from its answer's "instance" and "forwarded_by":
// "'m1' (the active instance), forwarded by 'm2'".
std::string RanOn(const nlohmann::json& answer);

// "1.5GiB", "512MiB", "-" for null.
std::string HumanBytes(const nlohmann::json& bytes);

}  // namespace orcastra::leader
