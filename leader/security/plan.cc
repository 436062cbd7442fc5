#include "leader/security/plan.h"

#include <algorithm>
#include <set>
#include <variant>

#include "common/strings.h"
#include "common/utf8.h"

namespace orcastra::leader {
namespace {

constexpr std::size_t kMaxZapFrameBytes = 256;

ZapDecision Refused(std::string code, std::string text, std::string reason) {
  ZapDecision out;
  out.status_code = std::move(code);
  out.status_text = std::move(text);
  out.reason = std::move(reason);
  return out;
}

bool ReadOnlyQuery(std::string_view what) {
  static const std::set<std::string_view> kReads = {
      "status", "nodes", "events", "anchors", "services", "plan", "config_show", "config_get"};
  return kReads.contains(what);
}

}  // namespace

Result<ZapRequest> ParseZapRequest(const std::vector<std::string>& frames) {
  if (frames.size() < 6 || frames.size() > 7) {
    return Status::ParseError("ZAP request of " + std::to_string(frames.size()) +
                              " frames; expected 6 or 7");
  }
  for (const std::string& frame : frames) {
    if (frame.size() > kMaxZapFrameBytes) {
      return Status::ParseError("ZAP request frame of " + std::to_string(frame.size()) + " bytes");
    }
  }
  ZapRequest request;
  request.version = frames[0];
  request.request_id = frames[1];
  request.domain = frames[2];
  request.address = frames[3];
  request.identity = frames[4];
  request.mechanism = frames[5];
  if (frames.size() == 7) request.credentials.push_back(frames[6]);
  return request;
}

ZapDecision DecideZap(const ZapRequest& request, const protocol::KeySet& keys,
                      std::uint64_t serial) {
  if (request.version != "1.0") {
    return Refused("500", "unsupported ZAP version", "a ZAP request of another version");
  }
  if (request.domain != "agents" && request.domain != "control") {
    return Refused("400", "unknown domain", "a connection to an unknown ZAP domain");
  }
  if (request.mechanism != "CURVE") {
    return Refused("400", "CURVE required", "a connection without CURVE");
  }
  if (request.credentials.size() != 1 ||
      request.credentials[0].size() != protocol::kBinaryKeyBytes) {
    return Refused("400", "no client key", "a CURVE connection without a 32-byte client key");
  }
  std::optional<std::string> z85 = protocol::Z85Encode(request.credentials[0]);
  const protocol::ClientKey* client = z85 ? keys.FindByKey(*z85) : nullptr;
  if (client == nullptr) {
    return Refused("400", "unknown key", "a key that is not in the clients file");
  }
  ZapDecision out;
  out.admit = true;
  out.status_code = "200";
  out.status_text = "OK";
  out.role = client->role;
  out.key_name = client->name;
  out.user_id = PeerAuth{true, client->role, client->name, serial}.Format();
  return out;
}

std::string PeerAuth::Format() const {
  return std::string(protocol::RoleName(role)) + ":" + key_name + ":" + std::to_string(serial);
}

std::optional<PeerAuth> PeerAuth::Parse(std::string_view user_id) {
  const std::size_t first = user_id.find(':');
  const std::size_t last = user_id.rfind(':');
  if (first == std::string_view::npos || first == last) return std::nullopt;
  std::optional<protocol::Role> role = protocol::ParseRole(user_id.substr(0, first));
  std::string_view name = user_id.substr(first + 1, last - first - 1);
  std::optional<std::uint64_t> serial = ParseDecimal(user_id.substr(last + 1));
  if (!role || name.empty() || !serial) return std::nullopt;
  return PeerAuth{true, *role, std::string(name), *serial};
}

std::string PeerAuth::Describe() const {
  if (!authenticated) return "a plain-text peer";
  return std::string(protocol::RoleName(role)) + " key '" + key_name + "'";
}

Status Permit(const PeerAuth& auth, const protocol::Body& body) {
  if (!auth.authenticated) return Status::Ok();  // --insecure: there are no roles
  if (std::holds_alternative<protocol::Error>(body)) return Status::Ok();
  const std::string type(protocol::TypeName(body));
  switch (auth.role) {
    case protocol::Role::kAgent:
      if (std::holds_alternative<protocol::Hello>(body) ||
          std::holds_alternative<protocol::NodeReport>(body) ||
          std::holds_alternative<protocol::Event>(body) ||
          std::holds_alternative<protocol::AgentCommandResult>(body) ||
          std::holds_alternative<protocol::JoinRequest>(body)) {
        return Status::Ok();
      }
      break;
    case protocol::Role::kOperator:
      if (std::holds_alternative<protocol::Query>(body)) return Status::Ok();
      break;
    case protocol::Role::kReadOnly:
      if (const auto* query = std::get_if<protocol::Query>(&body)) {
        if (ReadOnlyQuery(query->what)) return Status::Ok();
        return Status::PermissionDenied(auth.Describe() + " may not ask '" +
                                        CutText(query->what, 64) +
                                        "': a read-only key asks status, nodes, events, anchors, "
                                        "services, plan and config show/diff only");
      }
      break;
  }
  return Status::PermissionDenied(auth.Describe() + " may not send " + type);
}

bool TokenBucket::Take(SteadyTime now) {
  tokens_ = Available(now);
  last_ = std::max(last_, now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

double TokenBucket::Available(SteadyTime now) const {
  if (now <= last_) return tokens_;
  const double refill = SecondsBetween(last_, now) * per_second_;
  return std::min(capacity_, tokens_ + refill);
}

bool RateLimiter::Allow(const std::string& key, SteadyTime now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (max_keys_ == 0) return true;
    if (buckets_.size() >= max_keys_) {
      buckets_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    it = buckets_
             .emplace(key,
                      Entry{TokenBucket(limits_.burst, limits_.per_second, now), order_.begin()})
             .first;
  } else {
    order_.splice(order_.begin(), order_, it->second.position);
  }
  return it->second.bucket.Take(now);
}

void RateLimiter::Forget(const std::string& key) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return;
  order_.erase(it->second.position);
  buckets_.erase(it);
}

}  // namespace orcastra::leader
