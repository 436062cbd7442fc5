// The bodies of Orcastra's wire messages (protocol version 1), one struct per message type.
//
// Field names are wire names: MSGPACK_DEFINE_MAP packs each struct as a MessagePack map keyed by
// the member names, so renaming a member changes the protocol (doc/protocol.md is the reference).
// On decoding, keys missing on the wire keep the member's default and unknown keys are ignored,
// which is what lets the protocol grow by new optional keys within a major version.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <msgpack.hpp>
#include <string>
#include <vector>

namespace orcastra::protocol {

// How an agent proves which node it runs on, inside its hello (protocol/attestation.h makes and
// checks it; doc/security.md "Node identity" says why it is built this way).
struct Attestation {
  std::string method{};      // "swarm-cert", "manager-token", or "" (none: `error` says why)
  std::string cert_pem{};    // swarm-cert: the node's Swarm certificate (and intermediates), PEM
  std::int64_t ts_ms = 0;    // when it was made, the agent's wall clock (ms since the epoch)
  std::string nonce{};       // 32 hex digits, fresh for every attestation
  std::string leader_key{};  // Z85 public key of the leader it was made for
  std::string agent_key{};   // Z85 public key of the agent's own CURVE key
  std::string signature{};   // hex; swarm-cert: ECDSA (DER) with SHA-256; manager-token: HMAC
  std::string error{};       // why the agent could not attest (method "")

  bool operator==(const Attestation&) const = default;
  MSGPACK_DEFINE_MAP(method, cert_pem, ts_ms, nonce, leader_key, agent_key, signature, error)
};

// "hello", agent → leader, the first message on every (re)connection.
struct Hello {
  std::string agent_version{};           // Orcastra version of the agent, e.g. "0.1.0"
  std::string node_id{};                 // Swarm node id of the agent's node
  std::string hostname{};                // the node's hostname
  std::uint32_t report_interval_ms = 0;  // how often node reports will come
  std::string memory_source{};           // "procfs" or "cgroup:/path"
  Attestation attestation{};             // the proof of node_id (absent from older agents)

  bool operator==(const Hello&) const = default;
  MSGPACK_DEFINE_MAP(agent_version, node_id, hostname, report_interval_ms, memory_source,
                     attestation)
};

// Memory of a node, in bytes, as read from `source` ("procfs" or "cgroup:/path").
struct MemoryFigures {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::string source{};

  bool operator==(const MemoryFigures&) const = default;
  MSGPACK_DEFINE_MAP(total_bytes, available_bytes, used_bytes, source)
};

// Load averages over 1, 5 and 15 minutes (/proc/loadavg).
struct LoadFigures {
  double avg1 = 0;
  double avg5 = 0;
  double avg15 = 0;

  bool operator==(const LoadFigures&) const = default;
  MSGPACK_DEFINE_MAP(avg1, avg5, avg15)
};

// Memory pressure stall information (/proc/pressure/memory); `present` is false on kernels without
// PSI, and the averages are then meaningless zeros.
struct PressureFigures {
  bool present = false;
  double some_avg10 = 0;  // percent of time some task stalled on memory, 10 s average
  double full_avg10 = 0;  // percent of time all tasks stalled on memory, 10 s average

  bool operator==(const PressureFigures&) const = default;
  MSGPACK_DEFINE_MAP(present, some_avg10, full_avg10)
};

// One container on the reporting node.
struct ContainerReport {
  std::string id{};                 // full container id
  std::string name{};               // container name, without the leading '/'
  std::string image{};              // image reference as the container was created from
  std::string state{};              // Docker state: created, running, restarting, exited, ...
  std::string health{};             // "" (no health check), starting, healthy, unhealthy
  std::uint32_t restart_count = 0;  // Docker's RestartCount
  bool oom_killed = false;          // the last exit was an OOM kill
  std::int32_t exit_code = 0;       // the last exit code
  std::string service_id{};         // Swarm labels; empty for containers that are not Swarm tasks
  std::string service_name{};
  std::string task_id{};
  std::uint64_t memory_bytes = 0;  // current memory use from the container's cgroup

  bool operator==(const ContainerReport&) const = default;
  MSGPACK_DEFINE_MAP(id, name, image, state, health, restart_count, oom_killed, exit_code,
                     service_id, service_name, task_id, memory_bytes)
};

// "node_report", agent → leader, every report interval and at once on important events.
struct NodeReport {
  std::string node_id{};
  std::string hostname{};
  std::uint32_t report_interval_ms = 0;
  MemoryFigures memory{};
  LoadFigures load{};
  double cpu_percent = 0;  // whole-node CPU use since the previous report, 0..100
  PressureFigures psi{};
  std::vector<ContainerReport> containers{};
  std::int64_t service_images_age_ms =
      -1;  // age of the leader's service image references this agent holds; -1: none

  bool operator==(const NodeReport&) const = default;
  MSGPACK_DEFINE_MAP(node_id, hostname, report_interval_ms, memory, load, cpu_percent, psi,
                     containers, service_images_age_ms)
};

// "event", any → leader: something happened (container_die, container_oom, health_status,
// agent_started, ...) to `subject` (a container id, a node id, ...).
struct Event {
  std::string kind{};
  std::string subject{};
  std::string message{};
  std::map<std::string, std::string> attrs{};

  bool operator==(const Event&) const = default;
  MSGPACK_DEFINE_MAP(kind, subject, message, attrs)
};

// "query", CLI → leader: asks for `what` ("status", "nodes", ...) with optional arguments.
struct Query {
  std::string what{};
  std::map<std::string, std::string> args{};

  bool operator==(const Query&) const = default;
  MSGPACK_DEFINE_MAP(what, args)
};

// "reply", leader → CLI: the answer to a query. `result_json` is a JSON document (the CLI's --json
// output) when `ok`; otherwise `error` says why.
struct Reply {
  bool ok = false;
  std::string error{};
  std::string result_json{};
  std::string answered_by{};        // node id of the answering leader instance
  bool from_active_leader = false;  // false when a standby answered from its warm state

  bool operator==(const Reply&) const = default;
  MSGPACK_DEFINE_MAP(ok, error, result_json, answered_by, from_active_leader)
};

// "welcome", leader → agent: the answer to a hello.
struct Welcome {
  std::string leader_node_id{};
  std::string leader_hostname{};
  bool active = false;  // whether this leader instance is the active one

  bool operator==(const Welcome&) const = default;
  MSGPACK_DEFINE_MAP(leader_node_id, leader_hostname, active)
};

// Command outputs (AgentCommandResult::output) are cut to at most this many bytes, keeping the end
// and saying so, so that a result (and the reply that forwards it to the CLI) stays well under
// kMaxMessageBytes.
inline constexpr std::size_t kMaxCommandOutputBytes = 256 * 1024;

// "agent_command", leader → agent: run `name` ("gc", "rotate_logs", "refresh_mods", "logs") with
// `args` (for logs: "container", "tail"). `id` is the leader's; the result carries it back.
struct AgentCommand {
  std::uint64_t id = 0;
  std::string name{};
  std::map<std::string, std::string> args{};

  bool operator==(const AgentCommand&) const = default;
  MSGPACK_DEFINE_MAP(id, name, args)
};

// "agent_command_result", agent → leader, on the socket the command came from. `ok` false: `error`
// says why. `output` is the command's text (at most kMaxCommandOutputBytes; cut at the front with
// a "[truncated ...]" first line when longer).
struct AgentCommandResult {
  std::uint64_t id = 0;
  bool ok = false;
  std::string error{};
  std::string output{};

  bool operator==(const AgentCommandResult&) const = default;
  MSGPACK_DEFINE_MAP(id, ok, error, output)
};

// "service_images", leader → agent: the image of every service spec (current and previous,
// 0-replica services included) from one complete read of the service list. Only managers can list
// services; an agent on a worker keeps these images when it collects garbage (agent/gc/service.h).
// A leader sends them to each connected agent at once when they change or the agent (re)connects,
// and again every kServiceImagesResendInterval; an agent uses them for at most
// kServiceImagesMaxAge (3 resend intervals: two lost resends, or a leader failover, are tolerated)
// and then removes no image until fresh ones arrive.
inline constexpr std::chrono::seconds kServiceImagesResendInterval{60};
inline constexpr std::chrono::seconds kServiceImagesMaxAge = 3 * kServiceImagesResendInterval;
struct ServiceImages {
  std::vector<std::string> refs{};

  bool operator==(const ServiceImages&) const = default;
  MSGPACK_DEFINE_MAP(refs)
};

// "join_request", agent → leader: the agent's node is out of the swarm (its daemon's
// LocalNodeState is inactive) and it asks for a way back in, on a connection that proved the node
// it ran as (a hello attested with the node's certificate the agent kept). It carries nothing the
// leader believes: the node is the connection's, its hostname Swarm's record
// (leader/heal/join.h).
struct JoinRequest {
  std::string local_state{};  // the daemon's Swarm.LocalNodeState, for the leader's event

  bool operator==(const JoinRequest&) const = default;
  MSGPACK_DEFINE_MAP(local_state)
};

// "join_answer", leader → agent: the worker join token and the managers to join at
// ("198.51.100.11:2377"), or why not. `retry` false: only an operator can change the answer (the
// agent asks again much later). The token is a secret: it travels only over CURVE to an attested
// connection, and neither side logs it.
inline constexpr std::size_t kMaxJoinManagerAddrs = 16;
struct JoinAnswer {
  bool granted = false;
  bool retry = true;
  std::string reason{};
  std::string join_token{};
  std::vector<std::string> manager_addrs{};
  std::string answered_by{};  // the answering instance's node id

  bool operator==(const JoinAnswer&) const = default;
  MSGPACK_DEFINE_MAP(granted, retry, reason, join_token, manager_addrs, answered_by)
};

// Wire error codes carried by Error::code.
inline constexpr char kErrorUnsupportedVersion[] = "unsupported_version";
inline constexpr char kErrorBadMessage[] = "bad_message";
inline constexpr char kErrorUnknownType[] = "unknown_type";
inline constexpr char kErrorTooLarge[] = "too_large";
// The sender's key or node identity may not send this: a role without the right (a read-only key
// running a command, an agent key asking for logs), a message about another node than the one its
// connection proved, a peer that chose its own routing id.
inline constexpr char kErrorForbidden[] = "forbidden";
// An agent's message on a connection that has not proved its node yet (no valid attestation in a
// hello): the agent should say hello again.
inline constexpr char kErrorNotAttested[] = "not_attested";

// "error", any direction: the receiver refused a message. `code` is one of the kError* codes above;
// `message` is human-readable. Its shape is frozen across major versions so any peer can read it.
struct Error {
  std::string code{};
  std::string message{};

  bool operator==(const Error&) const = default;
  MSGPACK_DEFINE_MAP(code, message)
};

}  // namespace orcastra::protocol
