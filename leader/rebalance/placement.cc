#include "leader/rebalance/placement.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "common/strings.h"

namespace orcastra::leader {
namespace {

constexpr char kNodeLabelPrefix[] = "node.labels.";
constexpr char kEngineLabelPrefix[] = "engine.labels.";
constexpr char kOptOutLabel[] = "orcastra.rebalance";

bool EqualFold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithFold(std::string_view text, std::string_view prefix) {
  return text.size() > prefix.size() && EqualFold(text.substr(0, prefix.size()), prefix);
}

bool ValidKey(std::string_view key) {
  if (key.size() < 2) return false;  // swarmkit's pattern needs a first character and one more
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  if (!alpha(key[0])) return false;
  return std::all_of(key.begin() + 1, key.end(), [&](char c) {
    return alpha(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

bool ValidValue(std::string_view value) {
  if (value.empty()) return false;
  static constexpr std::string_view kSpecial = ":-_ \t\n\r\f\v.*()?+[]\\^$|/";
  return std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecial.find(c) != std::string::npos;
  });
}

bool Match(const PlacementConstraint& c, std::string_view what) {
  return EqualFold(c.value, what) == c.equal;
}

// An IPv4 or IPv6 address in 16 bytes (IPv4 mapped), or nullopt.
std::optional<std::array<unsigned char, 16>> ParseIp(const std::string& text) {
  std::array<unsigned char, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

// node.ip: an address (equal or not) or a CIDR (within or not); anything else never matches.
bool IpMatches(const PlacementConstraint& c, const std::string& node_addr) {
  auto node_ip = ParseIp(node_addr);
  std::string value(Trim(c.value));
  if (auto ip = ParseIp(value)) {
    const bool equal = node_ip && *node_ip == *ip;
    return equal == c.equal;
  }
  auto slash = value.find('/');
  if (slash == std::string::npos) return false;
  auto network = ParseIp(value.substr(0, slash));
  auto bits = ParseDecimal(value.substr(slash + 1));
  if (!network || !bits) return false;
  const bool v4 = value.find(':') == std::string::npos;
  const std::uint64_t max_bits = v4 ? 32 : 128;
  if (*bits > max_bits) return false;
  std::size_t prefix = static_cast<std::size_t>(*bits) + (v4 ? 96 : 0);
  bool within = node_ip.has_value();
  for (std::size_t bit = 0; within && bit < prefix; ++bit) {
    const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
    within = ((*node_ip)[bit / 8] & mask) == ((*network)[bit / 8] & mask);
  }
  return within == c.equal;
}

std::string NormalArch(std::string arch) {
  if (arch == "x86_64") return "amd64";
  if (arch == "aarch64") return "arm64";
  return arch;
}

bool IsFalse(std::string_view value) {
  std::string_view v = Trim(value);
  return EqualFold(v, "false") || EqualFold(v, "no") || EqualFold(v, "off") || v == "0";
}

}  // namespace

std::optional<PlacementConstraint> ParseConstraint(std::string_view text) {
  for (const auto& [op, equal] : {std::pair<std::string_view, bool>{"==", true}, {"!=", false}}) {
    auto at = text.find(op);
    if (at == std::string_view::npos) continue;
    std::string_view key = Trim(text.substr(0, at));
    std::string_view value = Trim(text.substr(at + op.size()));
    if (!ValidKey(key) || !ValidValue(value)) return std::nullopt;
    return PlacementConstraint{std::string(key), equal, std::string(value)};
  }
  return std::nullopt;
}

bool NodeMatches(const PlacementConstraint& c, const docker::Node& node) {
  const std::string_view key = c.key;
  if (EqualFold(key, "node.id")) return Match(c, node.id);
  if (EqualFold(key, "node.hostname")) return Match(c, node.hostname);
  if (EqualFold(key, "node.ip")) return IpMatches(c, node.addr);
  if (EqualFold(key, "node.role")) return Match(c, node.role);
  if (EqualFold(key, "node.platform.os")) return Match(c, node.platform_os);
  if (EqualFold(key, "node.platform.arch")) return Match(c, node.platform_arch);
  auto label = [&](const docker::Labels& labels, std::size_t prefix) {
    auto it = labels.find(std::string(key.substr(prefix)));
    return Match(c, it == labels.end() ? std::string() : it->second);
  };
  if (StartsWithFold(key, kNodeLabelPrefix)) {
    return label(node.labels, std::strlen(kNodeLabelPrefix));
  }
  if (StartsWithFold(key, kEngineLabelPrefix)) {
    return label(node.engine_labels, std::strlen(kEngineLabelPrefix));
  }
  return false;
}

bool IsPin(const PlacementConstraint& c) {
  if (!c.equal) return false;
  if (EqualFold(c.key, "node.id") || EqualFold(c.key, "node.hostname")) return true;
  return EqualFold(c.key, "node.ip") && ParseIp(std::string(Trim(c.value))).has_value();
}

PlacementNeeds PlacementNeedsOf(const nlohmann::json& spec) {
  PlacementNeeds needs;
  auto at = [](const nlohmann::json& j, const char* pointer) -> const nlohmann::json* {
    if (!j.is_object()) return nullptr;
    nlohmann::json::json_pointer p(pointer);
    return j.contains(p) ? &j.at(p) : nullptr;
  };
  auto integer = [&](const char* pointer) -> std::int64_t {
    const nlohmann::json* v = at(spec, pointer);
    if (v == nullptr || !v->is_number_integer()) return 0;
    return std::max<std::int64_t>(0, v->get<std::int64_t>());
  };
  if (const nlohmann::json* list = at(spec, "/TaskTemplate/Placement/Constraints");
      list != nullptr && list->is_array()) {
    for (const auto& item : *list) {
      if (item.is_string()) needs.constraints.push_back(item.get<std::string>());
    }
  }
  needs.reserve_memory_bytes = integer("/TaskTemplate/Resources/Reservations/MemoryBytes");
  needs.reserve_nano_cpus = integer("/TaskTemplate/Resources/Reservations/NanoCPUs");
  if (const nlohmann::json* generic =
          at(spec, "/TaskTemplate/Resources/Reservations/GenericResources")) {
    needs.reserves_generic = generic->is_array() && !generic->empty();
  }
  if (const nlohmann::json* list = at(spec, "/TaskTemplate/Placement/Platforms");
      list != nullptr && list->is_array()) {
    for (const auto& p : *list) {
      if (!p.is_object()) continue;
      std::string os = p.contains("OS") && p["OS"].is_string() ? p["OS"].get<std::string>() : "";
      std::string arch = p.contains("Architecture") && p["Architecture"].is_string()
                             ? p["Architecture"].get<std::string>()
                             : "";
      needs.platforms.emplace_back(std::move(os), std::move(arch));
    }
  }
  auto non_negative = [](const nlohmann::json& v) -> std::optional<std::uint64_t> {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
      return static_cast<std::uint64_t>(v.get<std::int64_t>());
    }
    return std::nullopt;
  };
  if (const nlohmann::json* max = at(spec, "/TaskTemplate/Placement/MaxReplicas")) {
    needs.max_replicas = non_negative(*max).value_or(0);
  }
  if (const nlohmann::json* ports = at(spec, "/EndpointSpec/Ports");
      ports != nullptr && ports->is_array()) {
    for (const auto& port : *ports) {
      if (!port.is_object() || !port.contains("PublishMode") || port["PublishMode"] != "host") {
        continue;
      }
      auto published =
          port.contains("PublishedPort") ? non_negative(port["PublishedPort"]) : std::nullopt;
      if (!published) continue;
      std::string protocol = port.contains("Protocol") && port["Protocol"].is_string()
                                 ? port["Protocol"].get<std::string>()
                                 : "tcp";
      needs.host_ports.push_back(protocol + "/" + std::to_string(*published));
    }
  }
  return needs;
}

bool PlatformMatches(const PlacementNeeds& needs, const docker::Node& node) {
  if (needs.platforms.empty()) return true;
  const std::string node_arch = NormalArch(node.platform_arch);
  for (const auto& [os, arch] : needs.platforms) {
    if ((arch.empty() || NormalArch(arch) == node_arch) && (os.empty() || os == node.platform_os)) {
      return true;
    }
  }
  return false;
}

bool OptedOut(const docker::Service& service) {
  auto it = service.labels.find(kOptOutLabel);
  if (it != service.labels.end() && IsFalse(it->second)) return true;
  nlohmann::json::json_pointer pointer("/TaskTemplate/ContainerSpec/Labels/orcastra.rebalance");
  if (service.spec.is_object() && service.spec.contains(pointer)) {
    const auto& value = service.spec.at(pointer);
    return value.is_string() && IsFalse(value.get<std::string>());
  }
  return false;
}

}  // namespace orcastra::leader
