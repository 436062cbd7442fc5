#include "leader/state/swarm_api.h"

#include "common/utf8.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

json Spec(const std::string& name, const Labels& labels, const std::string& data) {
  return {{"Name", name}, {"Labels", labels}, {"Data", data}};
}

// A Docker client and the SwarmApi over it.
struct OwnedDockerSwarmApi {
  explicit OwnedDockerSwarmApi(docker::ClientOptions options) : client(std::move(options)) {}
  docker::Client client;
  DockerSwarmApi api{client};
};

}  // namespace

std::shared_ptr<SwarmApi> MakeDockerSwarmApi(docker::ClientOptions options) {
  auto holder = std::make_shared<OwnedDockerSwarmApi>(std::move(options));
  return std::shared_ptr<SwarmApi>(holder, &holder->api);
}

Result<ConfigObject> ConfigObjectFromJson(const json& config) {
  if (!config.is_object() || !config.contains("ID") || !config["ID"].is_string()) {
    return Status::ParseError("config: field 'ID' is missing");
  }
  ConfigObject object;
  object.id = config["ID"].get<std::string>();
  const json* index = nullptr;
  if (config.contains("Version") && config["Version"].is_object() &&
      config["Version"].contains("Index") && config["Version"]["Index"].is_number_integer() &&
      config["Version"]["Index"].get<std::int64_t>() >= 0) {
    index = &config["Version"]["Index"];
  }
  if (index == nullptr) {
    return Status::ParseError("config '" + object.id + "': field 'Version.Index' is missing");
  }
  object.version = index->get<std::uint64_t>();
  if (!config.contains("Spec") || !config["Spec"].is_object()) {
    return Status::ParseError("config '" + object.id + "': field 'Spec' is missing");
  }
  const json& spec = config["Spec"];
  if (!spec.contains("Name") || !spec["Name"].is_string()) {
    return Status::ParseError("config '" + object.id + "': field 'Spec.Name' is missing");
  }
  object.name = spec["Name"].get<std::string>();
  if (spec.contains("Data") && spec["Data"].is_string()) object.data = spec["Data"];
  if (spec.contains("Labels") && !spec["Labels"].is_null()) {
    if (!spec["Labels"].is_object()) {
      return Status::ParseError("config '" + object.id + "': field 'Spec.Labels' is not an object");
    }
    for (const auto& [key, value] : spec["Labels"].items()) {
      if (!value.is_string()) {
        return Status::ParseError("config '" + object.id + "': label '" + key +
                                  "' is not a string");
      }
      object.labels[key] = value.get<std::string>();
    }
  }
  return object;
}

Result<json> DockerSwarmApi::ConfigsFiltered(const json& filters) {
  auto configs = client_.GetJson("/configs?filters=" + docker::UrlEncode(DumpJson(filters)));
  if (!configs.ok()) return configs.status();
  if (!configs->is_array()) return Status::ParseError("docker GET /configs: expected an array");
  return configs;
}

Result<std::optional<ConfigObject>> DockerSwarmApi::ConfigNamed(const std::string& name) {
  auto configs = ConfigsFiltered({{"name", {name}}});
  if (!configs.ok()) return configs.status();
  std::optional<ConfigObject> found;
  for (const auto& config : *configs) {
    // The name filter matches prefixes too: keep only the exact name.
    if (!config.is_object() || !config.contains("Spec") || !config["Spec"].is_object() ||
        config["Spec"].value("Name", "") != name) {
      continue;
    }
    if (found) return Status::Internal("two configs are named '" + name + "'");
    auto object = ConfigObjectFromJson(config);
    if (!object.ok()) return object.status();
    found = std::move(object).value();
  }
  return found;
}

Result<std::vector<ConfigObject>> DockerSwarmApi::ConfigsLabelled(const std::string& key) {
  auto configs = ConfigsFiltered({{"label", {key}}});
  if (!configs.ok()) return configs.status();
  std::vector<ConfigObject> out;
  for (const auto& config : *configs) {
    auto object = ConfigObjectFromJson(config);
    if (!object.ok()) return object.status();
    out.push_back(std::move(object).value());
  }
  return out;
}

Result<ConfigObject> DockerSwarmApi::InspectConfig(const std::string& id) {
  auto config = client_.GetJson("/configs/" + id);
  if (!config.ok()) return config.status();
  return ConfigObjectFromJson(*config);
}

Result<std::string> DockerSwarmApi::CreateConfig(const std::string& name, const Labels& labels,
                                                 const std::string& data) {
  auto response = client_.Call("POST", "/configs/create", DumpJson(Spec(name, labels, data)));
  if (!response.ok()) return response.status();
  if (response->http_status == 409) {
    return Status::Conflict("config '" + name + "' exists already");
  }
  if (response->http_status != 201) {
    return docker::ErrorFromResponse("POST", "/configs/create", *response);
  }
  json created = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!created.is_object() || !created.contains("ID") || !created["ID"].is_string()) {
    return Status::ParseError("docker POST /configs/create: no ID in the answer");
  }
  return created["ID"].get<std::string>();
}

Status DockerSwarmApi::UpdateConfigLabels(const ConfigObject& current, const Labels& labels) {
  std::string path =
      "/configs/" + current.id + "/update?version=" + std::to_string(current.version);
  auto response = client_.Call("POST", path, DumpJson(Spec(current.name, labels, current.data)));
  if (!response.ok()) return response.status();
  if (response->http_status < 200 || response->http_status >= 300) {
    return docker::ErrorFromResponse("POST", path, *response);
  }
  return Status::Ok();
}

}  // namespace orcastra::leader
