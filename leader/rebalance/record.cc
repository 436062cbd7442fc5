#include "leader/rebalance/record.h"

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "leader/safety/codec.h"
#include "leader/safety/record.h"
#include "leader/state/cluster_state.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 6;  // record > moves > move > list, and room for a newer version
constexpr std::size_t kMaxNodeIdBytes = 128;
constexpr std::int64_t kMaxMemoryBytes = 1LL << 53;

bool IsNodeId(std::string_view id) {
  if (id.empty() || id.size() > kMaxNodeIdBytes) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class Reader {
 public:
  Reader(const json& object, std::string_view where, std::string path)
      : object_(object), where_(where), path_(std::move(path)) {}

  Status status() const { return status_; }

  std::string Text(const char* key, std::size_t max_bytes, bool required = false) {
    const json* v = Get(key, required);
    if (v == nullptr) return "";
    if (!v->is_string()) return Fail(key, "is not a string"), "";
    std::string text = v->get<std::string>();
    if (text.size() > max_bytes) {
      return Fail(key, "is longer than " + std::to_string(max_bytes) + " bytes"), "";
    }
    return text;
  }
  std::string Name(const char* key) {
    std::string name = Text(key, kMaxSafetyServiceNameBytes, true);
    if (status_.ok() && !IsSafetyServiceName(name)) {
      Fail(key, "is not a service name (1.." + std::to_string(kMaxSafetyServiceNameBytes) +
                    " bytes of A-Z a-z 0-9 _ . -)");
    }
    return name;
  }
  std::string Id(const char* key) {
    std::string id = Text(key, kMaxNodeIdBytes, true);
    if (status_.ok() && !IsNodeId(id)) Fail(key, "is not an id (1..128 letters and digits)");
    return id;
  }
  std::int64_t Integer(const char* key, std::int64_t lo, std::int64_t hi) {
    const json* v = Get(key, true);
    if (v == nullptr) return 0;
    auto n = RecordInteger(*v, lo, hi, where_, path_ + "." + key);
    if (!n.ok()) {
      status_ = n.status();
      return 0;
    }
    return *n;
  }
  std::vector<std::string> List(const char* key, std::size_t max_items, std::size_t max_bytes,
                                bool names) {
    std::vector<std::string> out;
    const json* v = Get(key, false);
    if (v == nullptr) return out;
    if (!v->is_array()) return Fail(key, "is not a list"), out;
    if (v->size() > max_items) {
      return Fail(key, "has more than " + std::to_string(max_items) + " items"), out;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& item = (*v)[i];
      std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
      if (!item.is_string() || item.get<std::string>().size() > max_bytes ||
          item.get<std::string>().empty()) {
        return Fail(item_key, "is not a text of 1.." + std::to_string(max_bytes) + " bytes"), out;
      }
      if (names && !IsSafetyServiceName(item.get<std::string>())) {
        return Fail(item_key, "is not a service name"), out;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

 private:
  const json* Get(const char* key, bool required) {
    if (!status_.ok()) return nullptr;
    if (!object_.contains(key)) {
      if (required) Fail(key, "is missing");
      return nullptr;
    }
    return &object_[key];
  }
  void Fail(const std::string& key, const std::string& what) {
    if (!status_.ok()) return;
    status_ = RecordFieldError(where_, path_ + "." + key, what);
  }

  const json& object_;
  std::string_view where_;
  std::string path_;
  Status status_;
};

Result<MoveRecord> DecodeMove(const json& value, std::string_view where, const std::string& path) {
  if (!value.is_object()) {
    return Status::ParseError(std::string(where) + ": field '" + path + "' is not an object");
  }
  Reader r(value, where, path);
  MoveRecord move;
  move.service = r.Name("service");
  move.service_id = r.Id("service_id");
  move.dependents = r.List("dependents", kMaxMoveConstraints, kMaxSafetyServiceNameBytes, true);
  move.from_node = r.Id("from");
  move.to_node = r.Id("to");
  move.from_hostname = r.Text("from_hostname", kMaxMoveTextBytes);
  move.to_hostname = r.Text("to_hostname", kMaxMoveTextBytes);
  move.constraints = r.List("constraints", kMaxMoveConstraints, kMaxMoveConstraintBytes, false);
  move.memory_bytes = static_cast<std::uint64_t>(r.Integer("memory_bytes", 0, kMaxMemoryBytes));
  move.started_ms = r.Integer("started_ms", 0, kMaxSafetyEpochMs);
  move.deadline_ms = r.Integer("deadline_ms", 0, kMaxSafetyEpochMs);
  move.ended_ms = r.Integer("ended_ms", 0, kMaxSafetyEpochMs);
  std::string outcome = r.Text("outcome", 64, true);
  move.why = r.Text("why", kMaxMoveTextBytes);
  move.result = r.Text("result", kMaxMoveTextBytes);
  if (!r.status().ok()) return r.status();
  auto parsed = MoveOutcomeFromName(outcome);
  if (!parsed || *parsed == MoveOutcome::kDryRun) {
    return Status::ParseError(std::string(where) + ": field '" + path + ".outcome' is '" +
                              CutText(outcome, 64) + "', not an outcome a record holds");
  }
  move.outcome = *parsed;
  if (InFlight(move.outcome) != (move.ended_ms == 0)) {
    return Status::ParseError(std::string(where) + ": field '" + path +
                              ".ended_ms' does not match outcome '" + outcome + "'");
  }
  return move;
}

std::string Cut(const std::string& text) { return CutText(ToValidUtf8(text), kMaxMoveTextBytes); }

}  // namespace

Result<RebalanceMemory> DecodeRebalanceRecord(std::string_view text, std::string_view where) {
  if (text.size() > kMaxRebalanceRecordBytes) {
    return Status::ParseError(std::string(where) + ": " + std::to_string(text.size()) +
                              " bytes, more than the " + std::to_string(kMaxRebalanceRecordBytes) +
                              " a record may have");
  }
  auto parsed = ParseStrictJson(text, where, kMaxDepth);
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!doc.is_object()) return Status::ParseError(std::string(where) + ": not a JSON object");
  if (!doc.contains("format") || !doc["format"].is_number_integer()) {
    return Status::ParseError(std::string(where) + ": field 'format' is missing or not an integer");
  }
  if (doc["format"] != kRebalanceRecordFormat) {
    return Status::Unsupported(std::string(where) + ": format " + doc["format"].dump() +
                               ", this version reads format " +
                               std::to_string(kRebalanceRecordFormat));
  }
  RebalanceMemory memory;
  if (!doc.contains("moves")) return memory;
  const json& moves = doc["moves"];
  if (!moves.is_array()) {
    return Status::ParseError(std::string(where) + ": field 'moves' is not a list");
  }
  if (moves.size() > kMaxRememberedMoves) {
    return Status::ParseError(std::string(where) + ": field 'moves' has " +
                              std::to_string(moves.size()) + " moves, more than " +
                              std::to_string(kMaxRememberedMoves));
  }
  for (std::size_t i = 0; i < moves.size(); ++i) {
    auto move = DecodeMove(moves[i], where, "moves[" + std::to_string(i) + "]");
    if (!move.ok()) return move.status();
    memory.moves.push_back(std::move(move).value());
  }
  return memory;
}

Result<std::string> EncodeRebalanceRecord(const RebalanceMemory& memory) {
  std::vector<json> moves;
  for (const MoveRecord& move : memory.moves) {
    if (move.outcome == MoveOutcome::kDryRun) continue;
    auto in_range = [](std::int64_t ms) { return ms >= 0 && ms <= kMaxSafetyEpochMs; };
    bool names_ok = IsSafetyServiceName(move.service) &&
                    move.dependents.size() <= kMaxMoveConstraints &&
                    move.constraints.size() <= kMaxMoveConstraints;
    for (const auto& dep : move.dependents) names_ok = names_ok && IsSafetyServiceName(dep);
    for (const auto& c : move.constraints) {
      names_ok = names_ok && !c.empty() && c.size() <= kMaxMoveConstraintBytes && IsValidUtf8(c);
    }
    if (!names_ok || !IsNodeId(move.service_id) || !IsNodeId(move.from_node) ||
        !IsNodeId(move.to_node) || !in_range(move.started_ms) || !in_range(move.deadline_ms) ||
        !in_range(move.ended_ms) ||
        move.memory_bytes > static_cast<std::uint64_t>(kMaxMemoryBytes) ||
        InFlight(move.outcome) != (move.ended_ms == 0)) {
      return Status::InvalidArgument("rebalance record: the move of '" +
                                     CutText(ToValidUtf8(move.service), 80) +
                                     "' is outside the record's bounds");
    }
    moves.push_back({{"service", move.service},
                     {"service_id", move.service_id},
                     {"dependents", move.dependents},
                     {"from", move.from_node},
                     {"to", move.to_node},
                     {"from_hostname", Cut(move.from_hostname)},
                     {"to_hostname", Cut(move.to_hostname)},
                     {"constraints", move.constraints},
                     {"memory_bytes", move.memory_bytes},
                     {"started_ms", move.started_ms},
                     {"deadline_ms", move.deadline_ms},
                     {"ended_ms", move.ended_ms},
                     {"outcome", MoveOutcomeName(move.outcome)},
                     {"why", Cut(move.why)},
                     {"result", Cut(move.result)}});
  }
  while (true) {
    if (moves.size() <= kMaxRememberedMoves) {
      json doc = {{"format", kRebalanceRecordFormat}, {"moves", moves}};
      std::string text = DumpJson(doc);
      if (text.size() <= kMaxRebalanceRecordBytes) return text;
    }
    auto oldest =
        std::find_if(moves.begin(), moves.end(), [](const json& m) { return m["ended_ms"] != 0; });
    if (oldest == moves.end()) {
      return Status::InvalidArgument("rebalance record: the moves in flight alone exceed " +
                                     std::to_string(kMaxRebalanceRecordBytes) + " bytes");
    }
    moves.erase(oldest);
  }
}

}  // namespace orcastra::leader
