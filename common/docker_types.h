// Docker Engine API objects as Orcastra uses them, decoded from the daemon's JSON.
//
// Decoding is pure (JSON in, struct or Status out) so it is unit-tested on recorded responses
// (tests/fixtures/docker). Fields Orcastra does not read are not modelled; objects that Orcastra
// writes back (node and service specs) keep their raw spec so an update changes only what it means
// to change. A required field that is missing or has the wrong type is a ParseError naming the
// object and the field; optional fields default.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace orcastra::docker {

using Labels = std::map<std::string, std::string>;

struct RemoteManager {
  std::string node_id;
  std::string addr;  // "198.51.100.11:2377"
};

// GET /info
struct SystemInfo {
  std::string id;
  std::string name;  // the daemon's hostname
  std::string server_version;
  std::int64_t mem_total_bytes = 0;
  std::int64_t ncpu = 0;
  std::string cgroup_version;  // "1" or "2"; empty on old daemons
  // Swarm part.
  std::string swarm_node_id;             // empty when not in a swarm
  std::string swarm_node_addr;           // this node's advertise address
  std::string swarm_local_node_state;    // inactive, pending, active, error, locked
  bool swarm_control_available = false;  // true on managers
  std::vector<RemoteManager> swarm_remote_managers;
};

// GET /swarm (managers only), the part Orcastra uses: what a leader checks agents' node
// certificates with (protocol/attestation.h), and the join tokens. They are secrets: never logged
// or shown; the worker token is sent only to the agent of a listed node that left
// (leader/heal/join.h).
struct SwarmInspect {
  std::string id;              // the cluster id: the O of every node certificate
  std::string trust_root_pem;  // TLSInfo.TrustRoot: the root CA certificate(s), PEM
  std::string manager_token;   // JoinTokens.Manager
  std::string worker_token;    // JoinTokens.Worker: handed only to attested agents of listed nodes
};

// POST /swarm/join's body, the part Orcastra sends.
struct SwarmJoinRequest {
  std::string listen_addr = "0.0.0.0:2377";
  std::string advertise_addr;  // "" lets the daemon choose
  std::vector<std::string> remote_addrs;
  std::string join_token;
};

// GET /nodes
struct Node {
  std::string id;
  std::uint64_t version = 0;
  std::string hostname;
  std::string role;          // worker, manager
  std::string availability;  // active, pause, drain
  std::string state;         // unknown, down, ready, disconnected
  std::string addr;          // Status.Addr
  Labels labels;             // Spec.Labels: what Orcastra manages
  Labels engine_labels;      // Description.Engine.Labels
  std::int64_t memory_bytes = 0;
  std::int64_t nano_cpus = 0;
  std::string platform_os;           // Description.Platform.OS ("linux")
  std::string platform_arch;         // Description.Platform.Architecture ("x86_64")
  bool manager_leader = false;       // ManagerStatus.Leader
  std::string manager_reachability;  // ManagerStatus.Reachability
  std::string manager_addr;          // ManagerStatus.Addr
  nlohmann::json spec;               // the whole Spec, for updates
};

// GET /services
struct Service {
  std::string id;
  std::uint64_t version = 0;
  std::string name;
  std::string mode;  // replicated, global, replicated-job, global-job
  std::uint64_t replicas = 0;
  std::string image;
  Labels labels;
  std::vector<std::string> constraints;
  std::string
      update_state;  // UpdateStatus.State: updating, paused, completed, rollback_...; "" if none
  nlohmann::json spec;
  nlohmann::json previous_spec;  // null when there is none
};

// GET /tasks
struct Task {
  std::string id;
  std::string service_id;
  std::string node_id;
  std::int64_t slot = 0;
  std::string desired_state;
  std::string
      state;  // Status.State: new ... running, complete, failed, shutdown, rejected, orphaned
  std::string message;
  std::string error;
  std::string container_id;
  std::string timestamp;  // Status.Timestamp (RFC 3339)
};

// GET /containers/json, and the Containers of GET /system/df
struct ContainerSummary {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  std::string state;   // created, running, paused, restarting, removing, exited, dead
  std::string status;  // "Up 5 minutes (healthy)"
  Labels labels;
  std::string image_id;                   // ImageID, "sha256:<hex>"
  std::int64_t created = 0;               // Created, Unix seconds
  std::vector<std::string> volume_names;  // Name of every Mounts[] element of Type "volume"
  // SizeRw: only GET /system/df (and ?size=1) computes it; nullopt when absent or null.
  std::optional<std::int64_t> size_rw;
};

// GET /images/json (top-level images), and the Images of GET /system/df
struct ImageSummary {
  std::string id;         // "sha256:<hex>"
  std::string parent_id;  // "" for a pulled image; the base image for a local commit or build
  // As Docker writes them: a dangling image has ["<none>:<none>"] / ["<none>@<none>"] or none.
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  std::int64_t created = 0;  // Unix seconds
  std::int64_t size = 0;     // bytes, layers shared with other images included
  // Computed only by GET /system/df (Docker writes -1 elsewhere): nullopt when not computed.
  std::optional<std::int64_t> shared_size;
  std::optional<std::int64_t> containers;  // how many containers use it
  Labels labels;
};

// GET /images/{name}/json, the part Orcastra reads
struct ImageDetails {
  std::string id;
  std::string parent;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  std::string created;  // RFC 3339 with nanoseconds
  std::int64_t size = 0;
};

// The answer of DELETE /images/{name}: references untagged and image/layer ids deleted.
struct ImageDeleteResult {
  std::vector<std::string> untagged;
  std::vector<std::string> deleted;
};

// GET /volumes (inside its {"Volumes": [...]} envelope), and the Volumes of GET /system/df
struct Volume {
  std::string name;
  std::string driver;  // "local", or a plugin's name
  std::string mountpoint;
  std::string scope;       // local, global
  std::string created_at;  // RFC 3339 ("2026-11-30T11:05:11Z"); "" when the driver gives none
  Labels labels;
  // UsageData, computed only by GET /system/df; nullopt when absent or -1 (not computed).
  std::optional<std::int64_t> usage_size;       // bytes
  std::optional<std::int64_t> usage_ref_count;  // containers (any state) that mount it
};

// GET /system/df. On API 1.41 it always computes everything (sizes of every image, container and
// volume), which can take a while on a busy node.
struct DiskUsage {
  std::int64_t layers_size = 0;
  std::vector<ImageSummary> images;
  std::vector<ContainerSummary> containers;
  std::vector<Volume> volumes;
};

// GET /containers/{id}/json
struct ContainerDetails {
  std::string id;
  std::string name;
  std::string image;
  std::string state;
  std::string health;  // "" (no healthcheck), starting, healthy, unhealthy
  int pid = 0;         // in the daemon's pid namespace; 0 when not running
  int exit_code = 0;
  bool oom_killed = false;
  std::int64_t restart_count = 0;
  std::string started_at;
  std::string finished_at;
  Labels labels;
  // From the Swarm labels com.docker.swarm.{service,task}.*; empty for plain containers.
  std::string service_id;
  std::string service_name;
  std::string task_id;
};

// One element of GET /events.
struct Event {
  std::string type;    // container, node, service, ...
  std::string action;  // die, oom, health_status: unhealthy, update, ...
  std::string actor_id;
  Labels actor_attributes;
  std::string scope;  // local, swarm
  std::int64_t time_nano = 0;
};

Result<SystemInfo> DecodeSystemInfo(const nlohmann::json& j);
Result<SwarmInspect> DecodeSwarmInspect(const nlohmann::json& j);
Result<Node> DecodeNode(const nlohmann::json& j);
Result<Service> DecodeService(const nlohmann::json& j);
Result<Task> DecodeTask(const nlohmann::json& j);
Result<ContainerSummary> DecodeContainerSummary(const nlohmann::json& j);
Result<ContainerDetails> DecodeContainerDetails(const nlohmann::json& j);
Result<Event> DecodeEvent(const nlohmann::json& j);
Result<ImageSummary> DecodeImageSummary(const nlohmann::json& j);
Result<ImageDetails> DecodeImageDetails(const nlohmann::json& j);
Result<ImageDeleteResult> DecodeImageDeleteResult(const nlohmann::json& j);
Result<Volume> DecodeVolume(const nlohmann::json& j);
// The GET /volumes envelope {"Volumes": [...], "Warnings": [...]}; "Volumes": null is empty.
Result<std::vector<Volume>> DecodeVolumeList(const nlohmann::json& j);
Result<DiskUsage> DecodeDiskUsage(const nlohmann::json& j);

// Pure: the image of every service spec, current and previous, as the specs write them
// ("repo:tag@sha256:<hex>" when the CLI resolved it). Services without a container spec add none.
// GC keeps these images (agent/gc/service.h); the leader sends them to agents on workers.
std::set<std::string> ServiceImageRefs(const std::vector<Service>& services);

// Decodes a JSON array of objects with `decode`; the first bad element fails the whole list (a
// partial list must never be mistaken for the full one).
template <typename T>
Result<std::vector<T>> DecodeList(const nlohmann::json& j,
                                  Result<T> (*decode)(const nlohmann::json&),
                                  std::string_view what) {
  if (!j.is_array()) return Status::ParseError(std::string(what) + ": expected a JSON array");
  std::vector<T> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto item = decode(j[i]);
    if (!item.ok()) {
      return item.status().WithContext(std::string(what) + "[" + std::to_string(i) + "]");
    }
    out.push_back(std::move(item).value());
  }
  return out;
}

}  // namespace orcastra::docker
