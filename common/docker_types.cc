#include "common/docker_types.h"

#include <optional>

namespace orcastra::docker {
namespace {

using nlohmann::json;

// Walks one JSON object and remembers the first problem, so decoders read as a list of fields.
class FieldReader {
 public:
  FieldReader(const json& root, std::string_view object) : root_(root), object_(object) {
    if (!root.is_object()) error_ = std::string(object_) + ": expected a JSON object";
  }

  // The value at `pointer` ("/Spec/Name"), or nullptr when absent or null.
  const json* Find(std::string_view pointer) const {
    if (!root_.is_object()) return nullptr;
    json::json_pointer ptr{std::string(pointer)};
    if (!root_.contains(ptr)) return nullptr;
    const json& value = root_.at(ptr);
    return value.is_null() ? nullptr : &value;
  }

  std::string String(std::string_view pointer, bool required = false) {
    const json* v = Find(pointer);
    if (v == nullptr) {
      if (required) Fail(pointer, "is missing");
      return {};
    }
    if (!v->is_string()) {
      Fail(pointer, "is not a string");
      return {};
    }
    return v->get<std::string>();
  }

  std::int64_t Int(std::string_view pointer, bool required = false) {
    const json* v = Find(pointer);
    if (v == nullptr) {
      if (required) Fail(pointer, "is missing");
      return 0;
    }
    if (!v->is_number_integer()) {
      Fail(pointer, "is not an integer");
      return 0;
    }
    return v->get<std::int64_t>();
  }

  bool Bool(std::string_view pointer) {
    const json* v = Find(pointer);
    if (v == nullptr) return false;
    if (!v->is_boolean()) {
      Fail(pointer, "is not a boolean");
      return false;
    }
    return v->get<bool>();
  }

  Labels StringMap(std::string_view pointer) {
    Labels out;
    const json* v = Find(pointer);
    if (v == nullptr) return out;
    if (!v->is_object()) {
      Fail(pointer, "is not an object");
      return out;
    }
    for (const auto& [key, value] : v->items()) {
      if (!value.is_string()) {
        Fail(std::string(pointer) + "/" + key, "is not a string");
        return out;
      }
      out.emplace(key, value.get<std::string>());
    }
    return out;
  }

  std::vector<std::string> StringList(std::string_view pointer) {
    std::vector<std::string> out;
    const json* v = Find(pointer);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Fail(pointer, "is not an array");
      return out;
    }
    for (const auto& item : *v) {
      if (!item.is_string()) {
        Fail(pointer, "has a non-string element");
        return out;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  // nullopt when absent, null or negative (Docker's -1 for "not computed").
  std::optional<std::int64_t> OptionalSize(std::string_view pointer) {
    const json* v = Find(pointer);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) {
      Fail(pointer, "is not an integer");
      return std::nullopt;
    }
    const auto value = v->get<std::int64_t>();
    return value < 0 ? std::nullopt : std::optional<std::int64_t>(value);
  }

  json Raw(std::string_view pointer) {
    const json* v = Find(pointer);
    return v == nullptr ? json() : *v;
  }

  bool ok() const { return !error_.has_value(); }
  Status status() const { return ok() ? Status::Ok() : Status::ParseError(*error_); }

 private:
  void Fail(std::string_view pointer, std::string_view problem) {
    if (error_) return;
    std::string id;
    if (root_.is_object() && root_.contains("ID") && root_["ID"].is_string()) {
      id = " '" + root_["ID"].get<std::string>().substr(0, 12) + "'";
    }
    error_ = std::string(object_) + id + ": field '" + std::string(pointer) + "' " +
             std::string(problem);
  }

  const json& root_;
  std::string_view object_;
  std::optional<std::string> error_;
};

std::string TrimLeadingSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

std::string LabelOr(const Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

Result<SystemInfo> DecodeSystemInfo(const json& j) {
  FieldReader r(j, "info");
  SystemInfo info;
  info.id = r.String("/ID");
  info.name = r.String("/Name", /*required=*/true);
  info.server_version = r.String("/ServerVersion");
  info.mem_total_bytes = r.Int("/MemTotal");
  info.ncpu = r.Int("/NCPU");
  info.cgroup_version = r.String("/CgroupVersion");
  info.swarm_node_id = r.String("/Swarm/NodeID");
  info.swarm_node_addr = r.String("/Swarm/NodeAddr");
  info.swarm_local_node_state = r.String("/Swarm/LocalNodeState");
  info.swarm_control_available = r.Bool("/Swarm/ControlAvailable");
  if (const json* managers = r.Find("/Swarm/RemoteManagers")) {
    if (!managers->is_array())
      return Status::ParseError("info: field '/Swarm/RemoteManagers' is not an array");
    for (const auto& m : *managers) {
      FieldReader mr(m, "info remote manager");
      RemoteManager manager{mr.String("/NodeID"), mr.String("/Addr", /*required=*/true)};
      if (!mr.ok()) return mr.status();
      info.swarm_remote_managers.push_back(std::move(manager));
    }
  }
  if (!r.ok()) return r.status();
  return info;
}

Result<SwarmInspect> DecodeSwarmInspect(const json& j) {
  FieldReader r(j, "swarm");
  SwarmInspect swarm;
  swarm.id = r.String("/ID", /*required=*/true);
  swarm.trust_root_pem = r.String("/TLSInfo/TrustRoot", /*required=*/true);
  swarm.manager_token = r.String("/JoinTokens/Manager");
  swarm.worker_token = r.String("/JoinTokens/Worker");
  if (!r.ok()) return r.status();
  return swarm;
}

Result<Node> DecodeNode(const json& j) {
  FieldReader r(j, "node");
  Node node;
  node.id = r.String("/ID", /*required=*/true);
  node.version = static_cast<std::uint64_t>(r.Int("/Version/Index", /*required=*/true));
  node.hostname = r.String("/Description/Hostname");
  node.role = r.String("/Spec/Role", /*required=*/true);
  node.availability = r.String("/Spec/Availability");
  node.state = r.String("/Status/State", /*required=*/true);
  node.addr = r.String("/Status/Addr");
  node.labels = r.StringMap("/Spec/Labels");
  node.engine_labels = r.StringMap("/Description/Engine/Labels");
  node.memory_bytes = r.Int("/Description/Resources/MemoryBytes");
  node.nano_cpus = r.Int("/Description/Resources/NanoCPUs");
  node.platform_os = r.String("/Description/Platform/OS");
  node.platform_arch = r.String("/Description/Platform/Architecture");
  node.manager_leader = r.Bool("/ManagerStatus/Leader");
  node.manager_reachability = r.String("/ManagerStatus/Reachability");
  node.manager_addr = r.String("/ManagerStatus/Addr");
  node.spec = r.Raw("/Spec");
  if (!r.ok()) return r.status();
  return node;
}

Result<Service> DecodeService(const json& j) {
  FieldReader r(j, "service");
  Service service;
  service.id = r.String("/ID", /*required=*/true);
  service.version = static_cast<std::uint64_t>(r.Int("/Version/Index", /*required=*/true));
  service.name = r.String("/Spec/Name", /*required=*/true);
  service.labels = r.StringMap("/Spec/Labels");
  service.image = r.String("/Spec/TaskTemplate/ContainerSpec/Image");
  service.constraints = r.StringList("/Spec/TaskTemplate/Placement/Constraints");
  if (r.Find("/Spec/Mode/Replicated")) {
    service.mode = "replicated";
    service.replicas = static_cast<std::uint64_t>(r.Int("/Spec/Mode/Replicated/Replicas"));
  } else if (r.Find("/Spec/Mode/Global")) {
    service.mode = "global";
  } else if (r.Find("/Spec/Mode/ReplicatedJob")) {
    service.mode = "replicated-job";
  } else if (r.Find("/Spec/Mode/GlobalJob")) {
    service.mode = "global-job";
  }
  service.update_state = r.String("/UpdateStatus/State");
  service.spec = r.Raw("/Spec");
  service.previous_spec = r.Raw("/PreviousSpec");
  if (!r.ok()) return r.status();
  return service;
}

Result<Task> DecodeTask(const json& j) {
  FieldReader r(j, "task");
  Task task;
  task.id = r.String("/ID", /*required=*/true);
  task.service_id = r.String("/ServiceID", /*required=*/true);
  task.node_id = r.String("/NodeID");  // empty while unassigned (pending)
  task.slot = r.Int("/Slot");
  task.desired_state = r.String("/DesiredState");
  task.state = r.String("/Status/State", /*required=*/true);
  task.message = r.String("/Status/Message");
  task.error = r.String("/Status/Err");
  task.container_id = r.String("/Status/ContainerStatus/ContainerID");
  task.timestamp = r.String("/Status/Timestamp");
  if (!r.ok()) return r.status();
  return task;
}

Result<ContainerSummary> DecodeContainerSummary(const json& j) {
  FieldReader r(j, "container");
  ContainerSummary c;
  c.id = r.String("/Id", /*required=*/true);
  std::vector<std::string> names = r.StringList("/Names");
  if (!names.empty()) c.name = TrimLeadingSlash(names.front());
  c.image = r.String("/Image");
  c.state = r.String("/State", /*required=*/true);
  c.status = r.String("/Status");
  c.labels = r.StringMap("/Labels");
  c.image_id = r.String("/ImageID");
  c.created = r.Int("/Created");
  c.size_rw = r.OptionalSize("/SizeRw");
  if (const json* mounts = r.Find("/Mounts")) {
    if (!mounts->is_array())
      return Status::ParseError("container: field '/Mounts' is not an array");
    for (const auto& m : *mounts) {
      FieldReader mr(m, "container mount");
      std::string type = mr.String("/Type");
      std::string name = mr.String("/Name");
      if (!mr.ok()) return mr.status().WithContext("container '" + c.id.substr(0, 12) + "'");
      if (type == "volume" && !name.empty()) c.volume_names.push_back(std::move(name));
    }
  }
  if (!r.ok()) return r.status();
  return c;
}

Result<ContainerDetails> DecodeContainerDetails(const json& j) {
  FieldReader r(j, "container");
  ContainerDetails c;
  c.id = r.String("/Id", /*required=*/true);
  c.name = TrimLeadingSlash(r.String("/Name"));
  c.image = r.String("/Config/Image");
  c.state = r.String("/State/Status", /*required=*/true);
  c.health = r.String("/State/Health/Status");
  c.pid = static_cast<int>(r.Int("/State/Pid"));
  c.exit_code = static_cast<int>(r.Int("/State/ExitCode"));
  c.oom_killed = r.Bool("/State/OOMKilled");
  c.restart_count = r.Int("/RestartCount");
  c.started_at = r.String("/State/StartedAt");
  c.finished_at = r.String("/State/FinishedAt");
  c.labels = r.StringMap("/Config/Labels");
  if (!r.ok()) return r.status();
  c.service_id = LabelOr(c.labels, "com.docker.swarm.service.id");
  c.service_name = LabelOr(c.labels, "com.docker.swarm.service.name");
  c.task_id = LabelOr(c.labels, "com.docker.swarm.task.id");
  return c;
}

Result<Event> DecodeEvent(const json& j) {
  FieldReader r(j, "event");
  Event e;
  e.type = r.String("/Type", /*required=*/true);
  e.action = r.String("/Action", /*required=*/true);
  e.actor_id = r.String("/Actor/ID");
  e.actor_attributes = r.StringMap("/Actor/Attributes");
  e.scope = r.String("/scope");
  e.time_nano = r.Int("/timeNano");
  if (!r.ok()) return r.status();
  return e;
}

Result<ImageSummary> DecodeImageSummary(const json& j) {
  FieldReader r(j, "image");
  ImageSummary image;
  image.id = r.String("/Id", /*required=*/true);
  image.parent_id = r.String("/ParentId");
  image.repo_tags = r.StringList("/RepoTags");
  image.repo_digests = r.StringList("/RepoDigests");
  image.created = r.Int("/Created", /*required=*/true);
  image.size = r.Int("/Size");
  image.shared_size = r.OptionalSize("/SharedSize");
  image.containers = r.OptionalSize("/Containers");
  image.labels = r.StringMap("/Labels");
  if (!r.ok()) return r.status();
  return image;
}

Result<ImageDetails> DecodeImageDetails(const json& j) {
  FieldReader r(j, "image");
  ImageDetails image;
  image.id = r.String("/Id", /*required=*/true);
  image.parent = r.String("/Parent");
  image.repo_tags = r.StringList("/RepoTags");
  image.repo_digests = r.StringList("/RepoDigests");
  image.created = r.String("/Created");
  image.size = r.Int("/Size");
  if (!r.ok()) return r.status();
  return image;
}

Result<ImageDeleteResult> DecodeImageDeleteResult(const json& j) {
  if (!j.is_array()) return Status::ParseError("image delete: expected a JSON array");
  ImageDeleteResult result;
  for (const auto& item : j) {
    FieldReader r(item, "image delete item");
    std::string untagged = r.String("/Untagged");
    std::string deleted = r.String("/Deleted");
    if (!r.ok()) return r.status();
    if (!untagged.empty()) result.untagged.push_back(std::move(untagged));
    if (!deleted.empty()) result.deleted.push_back(std::move(deleted));
  }
  return result;
}

Result<Volume> DecodeVolume(const json& j) {
  FieldReader r(j, "volume");
  Volume v;
  v.name = r.String("/Name", /*required=*/true);
  v.driver = r.String("/Driver", /*required=*/true);
  v.mountpoint = r.String("/Mountpoint");
  v.scope = r.String("/Scope");
  v.created_at = r.String("/CreatedAt");
  v.labels = r.StringMap("/Labels");
  v.usage_size = r.OptionalSize("/UsageData/Size");
  v.usage_ref_count = r.OptionalSize("/UsageData/RefCount");
  if (!r.ok()) return r.status().WithContext("volume '" + v.name + "'");
  return v;
}

Result<std::vector<Volume>> DecodeVolumeList(const json& j) {
  if (!j.is_object()) return Status::ParseError("volume list: expected a JSON object");
  if (!j.contains("Volumes")) return Status::ParseError("volume list: field '/Volumes' is missing");
  const json& list = j["Volumes"];
  if (list.is_null()) return std::vector<Volume>{};
  return DecodeList(list, DecodeVolume, "volume list");
}

Result<DiskUsage> DecodeDiskUsage(const json& j) {
  FieldReader r(j, "disk usage");
  DiskUsage usage;
  usage.layers_size = r.Int("/LayersSize");
  if (!r.ok()) return r.status();
  // Each list may be null when empty.
  auto list = [&](const char* key) {
    return j.contains(key) && !j[key].is_null() ? j[key] : json::array();
  };
  auto images = DecodeList(list("Images"), DecodeImageSummary, "disk usage images");
  if (!images.ok()) return images.status();
  auto containers = DecodeList(list("Containers"), DecodeContainerSummary, "disk usage containers");
  if (!containers.ok()) return containers.status();
  auto volumes = DecodeList(list("Volumes"), DecodeVolume, "disk usage volumes");
  if (!volumes.ok()) return volumes.status();
  usage.images = std::move(images).value();
  usage.containers = std::move(containers).value();
  usage.volumes = std::move(volumes).value();
  return usage;
}

std::set<std::string> ServiceImageRefs(const std::vector<Service>& services) {
  std::set<std::string> refs;
  const nlohmann::json::json_pointer image("/TaskTemplate/ContainerSpec/Image");
  for (const auto& service : services) {
    for (const nlohmann::json* spec : {&service.spec, &service.previous_spec}) {
      if (spec->is_object() && spec->contains(image) && spec->at(image).is_string()) {
        refs.insert(spec->at(image).get<std::string>());
      }
    }
  }
  return refs;
}

}  // namespace orcastra::docker
