#include "agent/rejoin/memory.h"

#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/utf8.h"

namespace orcastra::agent {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxFieldBytes = 256;
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

bool SwarmId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Result<std::string> Field(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (!required) return std::string();
    return Status::ParseError(std::string("membership: field '") + name + "' is missing");
  }
  if (!it->is_string()) {
    return Status::ParseError(std::string("membership: field '") + name + "' is not a string");
  }
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > kMaxFieldBytes || !IsValidUtf8(text)) {
    return Status::ParseError(std::string("membership: field '") + name +
                              "' is too long or not UTF-8");
  }
  return text;
}

}  // namespace

std::string EncodeMembership(const Membership& m) {
  json j = {{"node_id", m.node_id},
            {"hostname", m.hostname},
            {"node_addr", m.node_addr},
            {"leader_endpoints", m.leader_endpoints},
            {"saved_ms", m.saved_ms}};
  return DumpJson(j) + "\n";
}

Result<Membership> DecodeMembership(std::string_view text) {
  if (text.size() > kMaxMembershipBytes) {
    return Status::ParseError("membership: over " + std::to_string(kMaxMembershipBytes) + " bytes");
  }
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::ParseError("membership: not a JSON object");
  }
  Membership m;
  auto node_id = Field(j, "node_id", true);
  if (!node_id.ok()) return node_id.status();
  if (!SwarmId(*node_id)) {
    return Status::ParseError("membership: field 'node_id' is not a Swarm node id");
  }
  m.node_id = *node_id;
  auto hostname = Field(j, "hostname", true);
  if (!hostname.ok()) return hostname.status();
  if (hostname->empty()) return Status::ParseError("membership: field 'hostname' is empty");
  m.hostname = *hostname;
  auto addr = Field(j, "node_addr", false);
  if (!addr.ok()) return addr.status();
  m.node_addr = *addr;
  auto endpoints = j.find("leader_endpoints");
  if (endpoints == j.end() || !endpoints->is_array()) {
    return Status::ParseError("membership: field 'leader_endpoints' is not an array");
  }
  if (endpoints->empty() || endpoints->size() > kMaxRememberedEndpoints) {
    return Status::ParseError("membership: field 'leader_endpoints' has " +
                              std::to_string(endpoints->size()) + " entries (1 to " +
                              std::to_string(kMaxRememberedEndpoints) + ")");
  }
  for (const auto& e : *endpoints) {
    if (!e.is_string() || e.get_ref<const std::string&>().size() > kMaxFieldBytes ||
        !e.get_ref<const std::string&>().starts_with("tcp://") ||
        !IsValidUtf8(e.get_ref<const std::string&>())) {
      return Status::ParseError(
          "membership: field 'leader_endpoints' holds an entry that is not tcp://HOST:PORT");
    }
    m.leader_endpoints.push_back(e.get<std::string>());
  }
  auto saved = j.find("saved_ms");
  if (saved != j.end()) {
    if (!saved->is_number_integer()) {
      return Status::ParseError("membership: field 'saved_ms' is not an integer");
    }
    m.saved_ms = saved->get<std::int64_t>();
  }
  return m;
}

Result<Membership> LoadMembership(const MembershipFiles& files) {
  auto text = ReadFileBounded(files.json(), kMaxMembershipBytes);
  if (!text.ok()) return text.status();
  auto m = DecodeMembership(*text);
  if (!m.ok()) return Status::ParseError(files.json() + ": " + m.status().message());
  return m;
}

Status SaveMembership(const MembershipFiles& files, const Membership& membership,
                      const std::string& cert_dir) {
  if (::mkdir(files.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoFailure("create directory", files.dir, errno);
  }
  for (const auto& [from, to] : {std::pair{cert_dir + "/swarm-node.crt", files.cert()},
                                 std::pair{cert_dir + "/swarm-node.key", files.key()}}) {
    auto fresh = ReadFileBounded(from, kMaxKeyFileBytes);
    if (!fresh.ok()) return fresh.status();
    auto kept = ReadFileBounded(to, kMaxKeyFileBytes);
    if (kept.ok() && *kept == *fresh) continue;
    if (Status written = WriteFileAtomic(to, *fresh, 0600); !written.ok()) return written;
  }
  auto kept = LoadMembership(files);
  if (kept.ok() && kept->SameAs(membership)) return Status::Ok();
  return WriteFileAtomic(files.json(), EncodeMembership(membership), 0600);
}

}  // namespace orcastra::agent
