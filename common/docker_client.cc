#include "common/docker_client.h"

#include <atomic>
#include <exception>
#include <map>
#include <mutex>

#include "common/curl_easy.h"
#include "common/docker_events.h"
#include "common/log.h"
#include "common/service.h"
#include "common/utf8.h"

namespace orcastra::docker {
namespace {

using nlohmann::json;

CURL* Handle(void* p) { return static_cast<CURL*>(p); }

// State shared with libcurl's callbacks while an event stream runs.
struct StreamState {
  EventLineSplitter lines;
  const std::function<void(const Event&)>* on_event = nullptr;
  std::stop_token stop;
  std::size_t bad_lines = 0;
  bool line_too_long = false;
  // An exception thrown by on_event: it must not unwind through libcurl's C frames, so the
  // transfer is aborted and the exception rethrown once curl_easy_perform() has returned.
  std::exception_ptr failure;
};

std::size_t OnStreamData(char* data, std::size_t size, std::size_t count, void* user) {
  auto& state = *static_cast<StreamState*>(user);
  bool within_limit = true;
  try {
    within_limit = state.lines.Append({data, size * count}, [&state](std::string_view line) {
      auto event = DecodeEventLine(line);
      if (!event.ok()) {
        ++state.bad_lines;
        Logger("docker")->warn("skipping an undecodable event line: {}", event.status().ToString());
        return;
      }
      (*state.on_event)(*event);
    });
  } catch (...) {
    state.failure = std::current_exception();
    return 0;
  }
  if (!within_limit) {
    state.line_too_long = true;
    return 0;
  }
  return size * count;
}

int OnStreamProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  Heartbeat();  // an idle event stream is a live watcher
  return static_cast<StreamState*>(user)->stop.stop_requested() ? 1 : 0;
}

Status::Code CodeForHttp(long http_status) {
  switch (http_status) {
    case 400:
      return Status::Code::kInvalidArgument;
    case 404:
      return Status::Code::kNotFound;
    case 409:
      return Status::Code::kConflict;
    case 503:
      return Status::Code::kUnavailable;
    default:
      return Status::Code::kInternal;
  }
}

Status MakeStatus(Status::Code code, std::string message) {
  switch (code) {
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Status::Code::kConflict:
      return Status::Conflict(std::move(message));
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

std::string RequestName(std::string_view method, std::string_view path) {
  std::string_view shown = path.substr(0, path.find('?'));
  return "docker " + std::string(method) + " " + std::string(shown);
}

}  // namespace

Result<std::string> SocketPathFromHost(std::string_view host) {
  constexpr std::string_view kUnix = "unix://";
  if (host.substr(0, kUnix.size()) == kUnix) host.remove_prefix(kUnix.size());
  if (host.empty() || host.front() != '/') {
    return Status::InvalidArgument("docker host '" + std::string(host) +
                                   "': only unix:///path sockets are supported");
  }
  return std::string(host);
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
  curl_ = curl::NewHandle().release();
}

Client::~Client() { curl_easy_cleanup(Handle(curl_)); }

namespace {
std::atomic<std::uint64_t> api_calls{0};

struct ApiStats {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts;  // guarded by mutex
};
ApiStats& ProcessApiStats() {
  static ApiStats* stats = new ApiStats();  // never destroyed: threads may call during exit
  return *stats;
}

void CountApiCall(std::string_view method, std::string_view path, long http_status) {
  const char* result = http_status <= 0    ? "error"
                       : http_status < 400 ? "ok"
                       : http_status < 500 ? "client_error"
                                           : "server_error";
  ApiStats& stats = ProcessApiStats();
  std::string endpoint = ApiEndpointName(method, path);
  std::lock_guard lock(stats.mutex);
  ++stats.counts[{std::move(endpoint), result}];
}

}  // namespace

std::uint64_t ApiCallCount() { return api_calls.load(std::memory_order_relaxed); }

std::vector<ApiCallStat> ApiCallStats() {
  ApiStats& stats = ProcessApiStats();
  std::lock_guard lock(stats.mutex);
  std::vector<ApiCallStat> out;
  for (const auto& [key, count] : stats.counts) out.push_back({key.first, key.second, count});
  return out;
}

std::string ApiEndpointName(std::string_view method, std::string_view path) {
  static constexpr std::string_view kCollections[] = {
      "_ping",      "info",    "version", "nodes",    "services",    "tasks",
      "containers", "images",  "volumes", "networks", "system",      "events",
      "configs",    "secrets", "swarm",   "plugins",  "distribution"};
  static constexpr std::string_view kActions[] = {"json",  "update", "restart", "logs",   "df",
                                                  "start", "stop",   "kill",    "wait",   "top",
                                                  "stats", "create", "prune",   "inspect"};
  path = path.substr(0, path.find('?'));
  std::string out(method == "GET" || method == "POST" || method == "DELETE" || method == "PUT" ||
                          method == "HEAD"
                      ? method
                      : std::string_view("OTHER"));
  out += ' ';
  bool first = true;
  bool last_was_id = false;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    std::size_t slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
    if (first) {
      first = false;
      bool known = false;
      for (auto c : kCollections) known = known || segment == c;
      out += '/';
      out += known ? segment : std::string_view("other");
      if (!known) break;
      continue;
    }
    bool action = false;
    for (auto a : kActions) action = action || segment == a;
    if (action) {
      out += '/';
      out += segment;
      last_was_id = false;
    } else if (!last_was_id) {
      out += "/{id}";
      last_was_id = true;
    }
  }
  if (first) out += '/';
  return out;
}

Result<Response> Client::Call(std::string_view method, std::string_view path, std::string_view body,
                              std::optional<std::chrono::milliseconds> timeout) {
  api_calls.fetch_add(1, std::memory_order_relaxed);
  CURL* curl = Handle(curl_);
  if (curl == nullptr) return Status::Internal("libcurl handle could not be created");
  curl_easy_reset(curl);
  std::string url = "http://docker/" + options_.api_version + std::string(path);
  curl::SetCommonOptions(curl, options_.connect_timeout,
                         timeout.value_or(options_.request_timeout));
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options_.socket_path.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl::BoundedBody received{.data = {}, .max_bytes = options_.max_response_bytes};
  curl::CollectBody(curl, &received);
  std::string method_name(method);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_name.c_str());
  curl::Headers headers;
  if (method != "GET") {
    curl::AppendHeader(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  CURLcode rc = curl_easy_perform(curl);
  long counted_status = 0;
  if (rc == CURLE_OK && !received.overflow) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &counted_status);
  }
  CountApiCall(method, path, counted_status);
  if (received.overflow) {
    return Status::Unavailable(RequestName(method, path) + ": the answer is larger than " +
                               std::to_string(options_.max_response_bytes) +
                               " bytes; not read (ClientOptions::max_response_bytes)");
  }
  if (rc != CURLE_OK) {
    std::string msg =
        RequestName(method, path) + " via " + options_.socket_path + ": " + curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) return Status::Timeout(std::move(msg));
    return Status::Unavailable(std::move(msg));
  }
  Response response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.http_status);
  response.body = std::move(received.data);
  return response;
}

Status ErrorFromResponse(std::string_view method, std::string_view path, const Response& response) {
  std::string docker_message;
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
    docker_message = parsed["message"].get<std::string>();
  } else {
    docker_message = response.body.substr(0, 200);
  }
  std::string msg = RequestName(method, path) + ": HTTP " + std::to_string(response.http_status) +
                    ": " + docker_message;
  // Swarm answers a stale version with a generic 500 carrying this text.
  if (docker_message.find("update out of sequence") != std::string::npos) {
    return Status::Conflict(std::move(msg));
  }
  return MakeStatus(CodeForHttp(response.http_status), std::move(msg));
}

Result<json> Client::ParseJson(std::string_view method, std::string_view path,
                               const Response& response) const {
  if (response.http_status < 200 || response.http_status >= 300)
    return ErrorFromResponse(method, path, response);
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::ParseError(RequestName(method, path) + ": response body is not JSON");
  }
  return parsed;
}

Result<json> Client::GetJson(std::string_view path) {
  auto response = Call("GET", path);
  if (!response.ok()) return response.status();
  return ParseJson("GET", path, *response);
}

namespace {

template <typename T>
Result<T> DecodeOne(Result<json> j, Result<T> (*decode)(const json&), std::string_view what) {
  if (!j.ok()) return j.status();
  auto decoded = decode(*j);
  if (!decoded.ok()) return decoded.status().WithContext(what);
  return decoded;
}

template <typename T>
Result<std::vector<T>> DecodeMany(Result<json> j, Result<T> (*decode)(const json&),
                                  std::string_view what) {
  if (!j.ok()) return j.status();
  return DecodeList(*j, decode, what);
}

}  // namespace

Result<SystemInfo> Client::Info() {
  return DecodeOne(GetJson("/info"), DecodeSystemInfo, "docker GET /info");
}

Result<SwarmInspect> Client::Swarm() {
  return DecodeOne(GetJson("/swarm"), DecodeSwarmInspect, "docker GET /swarm");
}

Result<std::vector<Node>> Client::Nodes() {
  return DecodeMany(GetJson("/nodes"), DecodeNode, "docker GET /nodes");
}

Result<Node> Client::InspectNode(std::string_view id) {
  return DecodeOne(GetJson("/nodes/" + std::string(id)), DecodeNode, "docker GET /nodes/{id}");
}

Result<std::vector<Service>> Client::Services() {
  return DecodeMany(GetJson("/services"), DecodeService, "docker GET /services");
}

Result<std::vector<Task>> Client::Tasks(const json& filters) {
  std::string path = "/tasks";
  if (!filters.empty()) path += "?filters=" + UrlEncode(DumpJson(filters));
  return DecodeMany(GetJson(path), DecodeTask, "docker GET /tasks");
}

Result<std::vector<ContainerSummary>> Client::Containers(bool all) {
  return DecodeMany(GetJson(all ? "/containers/json?all=1" : "/containers/json"),
                    DecodeContainerSummary, "docker GET /containers/json");
}

Result<ContainerDetails> Client::InspectContainer(std::string_view id) {
  return DecodeOne(GetJson("/containers/" + std::string(id) + "/json"), DecodeContainerDetails,
                   "docker GET /containers/{id}/json");
}

Status Client::RestartContainer(std::string_view id, std::chrono::seconds stop_timeout) {
  std::string path =
      "/containers/" + std::string(id) + "/restart?t=" + std::to_string(stop_timeout.count());
  // The daemon answers after the stop (up to stop_timeout) and the start.
  auto response = Call("POST", path, {}, options_.request_timeout + stop_timeout);
  if (!response.ok()) return response.status();
  if (response->http_status != 204) return ErrorFromResponse("POST", path, *response);
  return Status::Ok();
}

Result<std::vector<ImageSummary>> Client::Images() {
  return DecodeMany(GetJson("/images/json"), DecodeImageSummary, "docker GET /images/json");
}

Result<ImageDetails> Client::InspectImage(std::string_view name) {
  return DecodeOne(GetJson("/images/" + std::string(name) + "/json"), DecodeImageDetails,
                   "docker GET /images/{name}/json");
}

Result<std::vector<Volume>> Client::Volumes() {
  return DecodeOne(GetJson("/volumes"), DecodeVolumeList, "docker GET /volumes");
}

Result<DiskUsage> Client::SystemDiskUsage(std::chrono::milliseconds timeout) {
  const std::string path = "/system/df";
  auto response = Call("GET", path, {}, timeout);
  if (!response.ok()) return response.status();
  return DecodeOne(ParseJson("GET", path, *response), DecodeDiskUsage, "docker GET /system/df");
}

Status Client::RemoveContainer(std::string_view id) {
  return Delete("/containers/" + std::string(id) + "?v=0");
}

Result<ImageDeleteResult> Client::RemoveImage(std::string_view name) {
  const std::string path = "/images/" + std::string(name) + "?noprune=0";
  auto response = Call("DELETE", path);
  if (!response.ok()) return response.status();
  return DecodeOne(ParseJson("DELETE", path, *response), DecodeImageDeleteResult,
                   "docker DELETE /images/{name}");
}

Status Client::RemoveVolume(std::string_view name) {
  return Delete("/volumes/" + std::string(name));
}

Status Client::RemoveConfig(std::string_view id) { return Delete("/configs/" + std::string(id)); }
Status Client::RemoveNode(std::string_view id) { return Delete("/nodes/" + std::string(id)); }

Status Client::Delete(const std::string& path) {
  auto response = Call("DELETE", path);
  if (!response.ok()) return response.status();
  if (response->http_status < 200 || response->http_status >= 300) {
    return ErrorFromResponse("DELETE", path, *response);
  }
  return Status::Ok();
}

Status Client::UpdateNode(std::string_view id, std::uint64_t version, const json& spec) {
  return PostSpec("/nodes/" + std::string(id) + "/update?version=" + std::to_string(version), spec);
}

Status Client::UpdateService(std::string_view id, std::uint64_t version, const json& spec) {
  return PostSpec("/services/" + std::string(id) + "/update?version=" + std::to_string(version),
                  spec);
}

Status Client::JoinSwarm(const SwarmJoinRequest& request) {
  json body = {{"ListenAddr", request.listen_addr},
               {"RemoteAddrs", request.remote_addrs},
               {"JoinToken", request.join_token}};
  if (!request.advertise_addr.empty()) body["AdvertiseAddr"] = request.advertise_addr;
  auto response = Call("POST", "/swarm/join", DumpJson(body), std::chrono::minutes(1));
  if (!response.ok()) return response.status();
  if (response->http_status < 200 || response->http_status >= 300) {
    return ErrorFromResponse("POST", "/swarm/join", *response);
  }
  return Status::Ok();
}

Status Client::PostSpec(const std::string& path, const json& spec) {
  auto response = Call("POST", path, DumpJson(spec));
  if (!response.ok()) return response.status();
  if (response->http_status < 200 || response->http_status >= 300) {
    return ErrorFromResponse("POST", path, *response);
  }
  return Status::Ok();
}

Status Client::StreamEvents(const json& filters, const std::function<void(const Event&)>& on_event,
                            std::stop_token stop) {
  api_calls.fetch_add(1, std::memory_order_relaxed);
  CURL* curl = Handle(curl_);
  if (curl == nullptr) return Status::Internal("libcurl handle could not be created");
  curl_easy_reset(curl);
  std::string path = "/events";
  if (!filters.empty()) path += "?filters=" + UrlEncode(DumpJson(filters));
  std::string url = "http://docker/" + options_.api_version + path;
  StreamState state;
  state.on_event = &on_event;
  state.stop = stop;
  curl::SetCommonOptions(curl, options_.connect_timeout, std::nullopt);
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options_.socket_path.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnStreamData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnStreamProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  CURLcode rc = curl_easy_perform(curl);
  {
    long stream_status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &stream_status);
    CountApiCall("GET", "/events", stream_status);
  }
  if (state.failure) std::rethrow_exception(state.failure);
  if (stop.stop_requested()) return Status::Ok();
  if (state.line_too_long) {
    return Status::Unavailable(RequestName("GET", path) + ": a line of the stream is longer than " +
                               std::to_string(kMaxEventLineBytes) + " bytes; reconnecting");
  }
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  if (http_status >= 300) {
    return ErrorFromResponse("GET", path, Response{http_status, state.lines.pending()});
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable(RequestName("GET", path) + " stream: " + curl_easy_strerror(rc));
  }
  return Status::Unavailable(RequestName("GET", path) + ": the daemon closed the event stream");
}

}  // namespace orcastra::docker
