// Docker Engine API client over the daemon's unix socket (libcurl). No `docker` CLI anywhere.
//
// Every call has a timeout and returns a Status on failure whose message names the request, the
// HTTP status and Docker's own message ("docker POST /nodes/x/update: HTTP 500: update out of
// sequence"). HTTP statuses map to Status codes: 404 NotFound, 409 Conflict, 400 InvalidArgument,
// 503 Unavailable (for example "not a swarm manager"), others Internal; a stale object version
// ("update out of sequence") is Conflict; a socket that cannot be reached is Unavailable.
//
// Thread-compatibility: one Client per thread (it keeps one libcurl handle and its connection).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/docker_types.h"
#include "common/status.h"

namespace orcastra::docker {

struct ClientOptions {
  std::string socket_path = "/var/run/docker.sock";
  // API 1.41 is Docker 20.10 (Debian 12); newer daemons still serve it.
  std::string api_version = "v1.41";
  std::chrono::milliseconds request_timeout{15000};
  std::chrono::milliseconds connect_timeout{3000};
  // A larger answer is refused (Unavailable) instead of read into memory. The largest seen on a
  // busy node (GET /containers/json?all=1, /system/df) are a few MiB.
  std::size_t max_response_bytes = 64u << 20;
};

// Parses a DOCKER_HOST-style address; only "unix:///path" (or a bare absolute path) is supported.
Result<std::string> SocketPathFromHost(std::string_view host);

struct Response {
  long http_status = 0;
  std::string body;
};

// The Status for a non-2xx response: HTTP status and Docker's own message, code mapped as above.
Status ErrorFromResponse(std::string_view method, std::string_view path, const Response& response);

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }

  // One HTTP request; `path` starts after the version ("/nodes?x=y"). Transport errors only: any
  // HTTP status is returned as a Response. `timeout` overrides options().request_timeout.
  Result<Response> Call(std::string_view method, std::string_view path, std::string_view body = {},
                        std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // GET `path`, require a 2xx status and parse the body as JSON.
  Result<nlohmann::json> GetJson(std::string_view path);

  Result<SystemInfo> Info();
  // GET /swarm: the cluster id, its root CA and the manager join token (managers only; a worker
  // gets Unavailable). The token is a secret: callers never log it.
  Result<SwarmInspect> Swarm();
  Result<std::vector<Node>> Nodes();
  // POST /swarm/join: this daemon joins the swarm of `request.remote_addrs` with the join token
  // (a secret: never logged; no error text contains it). Waits up to a minute (a join takes
  // seconds: it fetches a certificate from a manager).
  Status JoinSwarm(const SwarmJoinRequest& request);
  Result<Node> InspectNode(std::string_view id);
  Result<std::vector<Service>> Services();
  // `filters` is Docker's filter map, for example {"service": ["web"], "desired-state":
  // ["running"]}.
  Result<std::vector<Task>> Tasks(const nlohmann::json& filters = nlohmann::json::object());
  Result<std::vector<ContainerSummary>> Containers(bool all);
  Result<ContainerDetails> InspectContainer(std::string_view id);

  // Restarts a container, giving it `stop_timeout` to stop before it is killed.
  Status RestartContainer(std::string_view id, std::chrono::seconds stop_timeout);

  // GET /images/json: the top-level images (intermediate build layers are not listed).
  Result<std::vector<ImageSummary>> Images();
  // GET /images/{name}/json; `name` is an id, "repo:tag" or "repo@digest".
  Result<ImageDetails> InspectImage(std::string_view name);
  // GET /volumes.
  Result<std::vector<Volume>> Volumes();
  // GET /system/df, which sizes everything and may be slow: it gets `timeout` (default 2 min).
  Result<DiskUsage> SystemDiskUsage(std::chrono::milliseconds timeout = std::chrono::minutes(2));

  // Removals never force. A container that runs, an image a container uses (or that has children,
  // or several repositories when removed by id), a volume a container mounts: Conflict (HTTP 409).
  // Gone already: NotFound.
  // DELETE /containers/{id}?v=0: the container only; its anonymous volumes stay.
  Status RemoveContainer(std::string_view id);
  // DELETE /images/{name}?noprune=0: by id, removes the image; by "repo:tag" or "repo@digest",
  // removes that reference and the image with its last one. Untagged parents go with it.
  Result<ImageDeleteResult> RemoveImage(std::string_view name);
  // DELETE /volumes/{name}.
  Status RemoveVolume(std::string_view name);
  // DELETE /configs/{id}: a Swarm config object (refused while a service uses it).
  Status RemoveConfig(std::string_view id);
  // DELETE /nodes/{id}, never with force: Swarm itself refuses a node that is not down and a
  // manager that was not demoted first (FailedPrecondition, seen as Internal or Conflict).
  Status RemoveNode(std::string_view id);

  // Updates with the version read before: Swarm refuses a stale version (Conflict).
  Status UpdateNode(std::string_view id, std::uint64_t version, const nlohmann::json& spec);
  Status UpdateService(std::string_view id, std::uint64_t version, const nlohmann::json& spec);

  // Streams GET /events with `filters` and calls `on_event` for each event, from this thread, until
  // `stop` is requested (returns Ok within about a second) or the stream ends or fails (returns
  // why). Lines that do not decode are skipped with a warning, never passed on half-read; a line
  // over 8 MiB ends the stream. An exception from `on_event` aborts the stream and is rethrown
  // here, after libcurl has returned.
  Status StreamEvents(const nlohmann::json& filters,
                      const std::function<void(const Event&)>& on_event, std::stop_token stop);

 private:
  // POST `spec` to `path`; Ok on 2xx.
  Status PostSpec(const std::string& path, const nlohmann::json& spec);
  // DELETE `path`; Ok on 2xx.
  Status Delete(const std::string& path);
  Result<nlohmann::json> ParseJson(std::string_view method, std::string_view path,
                                   const Response& response) const;

  ClientOptions options_;
  void* curl_;  // CURL*, kept opaque so users of this header do not include curl.h
};

// Engine API requests this process has made (every Client::Call and event stream), for the
// leader's `status` (the steady-state API budget is measured with it).
std::uint64_t ApiCallCount();

// Engine API requests this process has made by endpoint and result, for /metrics. The endpoint is
// a template ("GET /nodes/{id}", ApiEndpointName), the result one of "ok" (2xx/3xx),
// "client_error" (4xx), "server_error" (5xx), "error" (no answer: socket, timeout, too large).
// Bounded: the endpoint names come from this client's own paths, with every id replaced.
struct ApiCallStat {
  std::string endpoint;
  std::string result;
  std::uint64_t count = 0;
};
std::vector<ApiCallStat> ApiCallStats();

// "METHOD /first/{id}/verb": the path without its query, the first segment kept when it is one of
// the Engine API's collections (else "other"), later segments kept when they are an action name
// ("json", "update", "restart", "logs", "df") and otherwise replaced by one "{id}". Pure.
std::string ApiEndpointName(std::string_view method, std::string_view path);

// Percent-encodes a JSON value for a query string (Docker's `filters=` parameter).
std::string UrlEncode(std::string_view text);

}  // namespace orcastra::docker
