#include "protocol/protocol.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <msgpack.hpp>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "common/procfs.h"
#include "common/utf8.h"

namespace orcastra::protocol {
namespace {

// Wire type names, indexed like the alternatives of Body.
constexpr std::array<std::string_view, std::variant_size_v<Body>> kTypeNames = {
    "hello",          "node_report",   "event",
    "query",          "reply",         "welcome",
    "error",          "agent_command", "agent_command_result",
    "service_images", "join_request",  "join_answer"};
static_assert(std::is_same_v<std::variant_alternative_t<0, Body>, Hello>);
static_assert(std::is_same_v<std::variant_alternative_t<1, Body>, NodeReport>);
static_assert(std::is_same_v<std::variant_alternative_t<2, Body>, Event>);
static_assert(std::is_same_v<std::variant_alternative_t<3, Body>, Query>);
static_assert(std::is_same_v<std::variant_alternative_t<4, Body>, Reply>);
static_assert(std::is_same_v<std::variant_alternative_t<5, Body>, Welcome>);
static_assert(std::is_same_v<std::variant_alternative_t<6, Body>, Error>);
static_assert(std::is_same_v<std::variant_alternative_t<7, Body>, AgentCommand>);
static_assert(std::is_same_v<std::variant_alternative_t<8, Body>, AgentCommandResult>);
static_assert(std::is_same_v<std::variant_alternative_t<9, Body>, ServiceImages>);
static_assert(std::is_same_v<std::variant_alternative_t<10, Body>, JoinRequest>);
static_assert(std::is_same_v<std::variant_alternative_t<11, Body>, JoinAnswer>);

// "from 'peer'" for error messages.
std::string From(std::string_view peer) {
  if (peer.empty()) return "from an unnamed peer";
  std::string out = "from '";
  out += peer;
  out += '\'';
  return out;
}

std::string_view WireTypeName(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "bool";
    case msgpack::type::POSITIVE_INTEGER:
      return "uint";
    case msgpack::type::NEGATIVE_INTEGER:
      return "negative int";
    case msgpack::type::FLOAT32:
      return "float32";
    case msgpack::type::FLOAT64:
      return "float64";
    case msgpack::type::STR:
      return "str";
    case msgpack::type::BIN:
      return "bin";
    case msgpack::type::ARRAY:
      return "array";
    case msgpack::type::MAP:
      return "map";
    case msgpack::type::EXT:
      return "ext";
  }
  return "unknown";
}

bool IsInteger(const msgpack::object& o) {
  return o.type == msgpack::type::POSITIVE_INTEGER || o.type == msgpack::type::NEGATIVE_INTEGER;
}

template <typename T>
struct IsVector : std::false_type {};
template <typename U>
struct IsVector<std::vector<U>> : std::true_type {};

template <typename T>
struct IsMap : std::false_type {};
template <typename K, typename V>
struct IsMap<std::map<K, V>> : std::true_type {};

class FieldLocator;

// A body struct declared with MSGPACK_DEFINE_MAP.
template <typename T>
concept DefinedMap = requires(const T& value, FieldLocator& locator) {
  value.msgpack_pack(locator);
};

// How the wire format names the type expected for a C++ member of type T.
template <typename T>
std::string ExpectedName() {
  if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_integral_v<T>) {
    return (std::is_unsigned_v<T> ? "uint" : "int") + std::to_string(8 * sizeof(T));
  } else if constexpr (std::is_floating_point_v<T>) {
    return "float";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "str";
  } else if constexpr (IsVector<T>::value) {
    return "array";
  } else if constexpr (IsMap<T>::value) {
    return "map of str to str";
  } else {
    return "map";
  }
}

std::string Mismatch(const std::string& path, std::string_view expected,
                     const msgpack::object& got) {
  std::string out = "field ";
  out += path;
  out += ": expected ";
  out += expected;
  out += ", got ";
  out += WireTypeName(got);
  return out;
}

template <typename T>
std::string Locate(const msgpack::object& o, const std::string& path);

// Walks the member list of a MSGPACK_DEFINE_MAP struct: its msgpack_pack() calls pack() with the
// name and then the member, for each member in turn. For each member present in `map`, checks the
// wire value against the member's type and remembers the first problem.
class FieldLocator {
 public:
  FieldLocator(const msgpack::object& map, const std::string& path) : map_(map), path_(path) {}

  void pack_map(std::uint32_t /*size*/) {}

  template <typename T>
  FieldLocator& pack(const T& item) {
    if (expect_name_) {
      if constexpr (std::is_array_v<T>) name_ = item;  // names are string literals
      expect_name_ = false;
      return *this;
    }
    expect_name_ = true;
    if (!problem_.empty()) return *this;
    if (const msgpack::object* value = Find(name_))
      problem_ = Locate<T>(*value, path_ + "." + name_);
    return *this;
  }

  const std::string& problem() const { return problem_; }

 private:
  // The value of key `name` (the first one, as the decoder takes it), or nullptr.
  const msgpack::object* Find(std::string_view name) const {
    for (std::uint32_t i = 0; i < map_.via.map.size; ++i) {
      const msgpack::object_kv& kv = map_.via.map.ptr[i];
      if (kv.key.type == msgpack::type::STR &&
          std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == name) {
        return &kv.val;
      }
    }
    return nullptr;
  }

  const msgpack::object& map_;
  const std::string& path_;
  bool expect_name_ = true;
  std::string name_;
  std::string problem_;
};

// Explains why `o` does not convert to T, as "field PATH: expected X, got Y"; "" when it does.
// Only used after a conversion failed, to name the field.
template <typename T>
std::string Locate(const msgpack::object& o, const std::string& path) {
  if constexpr (DefinedMap<T>) {
    if (o.type != msgpack::type::MAP) return Mismatch(path, "map", o);
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      if (o.via.map.ptr[i].key.type != msgpack::type::STR) {
        return "field " + path + ": a key is of type " +
               std::string(WireTypeName(o.via.map.ptr[i].key)) + "; keys must be str";
      }
    }
    FieldLocator locator(o, path);
    T probe;
    probe.msgpack_pack(locator);
    return locator.problem();
  } else if constexpr (IsVector<T>::value) {
    if (o.type != msgpack::type::ARRAY) return Mismatch(path, "array", o);
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      std::string problem =
          Locate<typename T::value_type>(o.via.array.ptr[i], path + "[" + std::to_string(i) + "]");
      if (!problem.empty()) return problem;
    }
    return "";
  } else {
    try {
      T value;
      o.convert(value);
      return "";
    } catch (const std::exception&) {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (IsInteger(o)) return "field " + path + ": value out of range for " + ExpectedName<T>();
      }
      return Mismatch(path, ExpectedName<T>(), o);
    }
  }
}

// The figures of a node_report whose ranges are narrower than their C++ type: wire path, the
// figure (const or not, as `report` is), largest value; the smallest is 0. A peer's double may be
// NaN, infinite, or (from an integer on the wire) 2^64, which msgpack-cxx's pack_double converts to
// uint64 (undefined behaviour) when it is encoded.
template <typename Report>
auto FiguresOf(Report& report) {
  using Value = std::conditional_t<std::is_const_v<Report>, const double, double>;
  struct Figure {
    const char* path;
    Value* value;
    double max;
  };
  return std::array<Figure, 6>{{
      {"body.load.avg1", &report.load.avg1, procfs::kMaxLoadAverage},
      {"body.load.avg5", &report.load.avg5, procfs::kMaxLoadAverage},
      {"body.load.avg15", &report.load.avg15, procfs::kMaxLoadAverage},
      {"body.cpu_percent", &report.cpu_percent, 100.0},
      {"body.psi.some_avg10", &report.psi.some_avg10, 100.0},
      {"body.psi.full_avg10", &report.psi.full_avg10, 100.0},
  }};
}

// "" or the first figure of a decoded body that is out of its range, naming the field.
template <typename T>
std::string FigureProblem(const T&) {
  return "";
}

std::string FigureProblem(const NodeReport& report) {
  for (const auto& figure : FiguresOf(report)) {
    if (!(*figure.value >= 0 && *figure.value <= figure.max)) {  // NaN fails both
      return "field " + std::string(figure.path) + ": " + metrics::FormatValue(*figure.value) +
             " is not a number from 0 to " + metrics::FormatValue(figure.max);
    }
  }
  return "";
}

// A body as it goes on the wire: a node_report's figures clamped into their ranges (NaN as 0), so
// Encode never packs 2^64 and never sends a report that its peer refuses.
template <typename T>
const T& ForWire(const T& body) {
  return body;
}

NodeReport ForWire(const NodeReport& report) {
  NodeReport clamped = report;
  for (const auto& figure : FiguresOf(clamped)) {
    *figure.value = std::isnan(*figure.value) ? 0 : std::clamp(*figure.value, 0.0, figure.max);
  }
  return clamped;
}

// Converts a body map into T; on failure names the offending field.
template <typename T>
Result<Body> ConvertBody(const msgpack::object& body, std::string_view type,
                         std::string_view peer) {
  std::string failure;
  try {
    T value;
    body.convert(value);
    if (std::string problem = FigureProblem(value); !problem.empty()) {
      return Status::ParseError(std::string(type) + " " + From(peer) + ": " + problem);
    }
    return Body(std::move(value));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  std::string problem;
  try {
    problem = Locate<T>(body, "body");
  } catch (const std::exception&) {
    // Only a diagnostic; fall back to the decoder's own words.
  }
  if (problem.empty()) problem = "body: " + failure;
  return Status::ParseError(std::string(type) + " " + From(peer) + ": " + problem);
}

using BodyConverter = Result<Body> (*)(const msgpack::object&, std::string_view, std::string_view);

template <std::size_t... kIndex>
constexpr std::array<BodyConverter, sizeof...(kIndex)> MakeConverters(
    std::index_sequence<kIndex...>) {
  return {&ConvertBody<std::variant_alternative_t<kIndex, Body>>...};
}

constexpr auto kConverters = MakeConverters(std::make_index_sequence<std::variant_size_v<Body>>());

// Reads an envelope scalar; returns a problem description or "".
template <typename T>
std::string ReadScalar(const msgpack::object& o, const char* name, T& out) {
  try {
    o.convert(out);
    return "";
  } catch (const std::exception&) {
    return Locate<T>(o, name);
  }
}

// The envelope's fields as found in the frame (nullptr when absent).
struct EnvelopeObjects {
  const msgpack::object* v = nullptr;
  const msgpack::object* type = nullptr;
  const msgpack::object* node = nullptr;
  const msgpack::object* seq = nullptr;
  const msgpack::object* ts = nullptr;
  const msgpack::object* body = nullptr;
};

// Converts `o` into `out` when it has the matching type; leaves `out` alone otherwise.
template <typename T>
void ReadIfFits(const msgpack::object* o, T& out) {
  if (o == nullptr) return;
  try {
    T value;
    o->convert(value);
    out = std::move(value);
  } catch (const std::exception&) {
    // Keeps the default: this reader is lenient on purpose.
  }
}

// Reads an "error" message of another major version ("v" = `version`): only the parts that are the
// same in every version (the envelope keys and the error body's "code" and "message"), leniently.
// nullopt when the frame is not an error.
std::optional<Message> ReadForeignError(const EnvelopeObjects& fields, std::uint64_t version) {
  if (fields.type == nullptr || fields.type->type != msgpack::type::STR ||
      std::string_view(fields.type->via.str.ptr, fields.type->via.str.size) != "error") {
    return std::nullopt;
  }
  Message message;
  message.header.version = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(version, std::numeric_limits<std::uint32_t>::max()));
  ReadIfFits(fields.node, message.header.node);
  message.header.node = ToValidUtf8(message.header.node);
  ReadIfFits(fields.seq, message.header.seq);
  ReadIfFits(fields.ts, message.header.ts_ms);
  Error error;
  if (fields.body != nullptr && fields.body->type == msgpack::type::MAP) {
    const msgpack::object_map& map = fields.body->via.map;
    const msgpack::object* code = nullptr;
    const msgpack::object* text = nullptr;
    for (std::uint32_t i = 0; i < map.size; ++i) {
      const msgpack::object& key = map.ptr[i].key;
      if (key.type != msgpack::type::STR) continue;
      const std::string_view name(key.via.str.ptr, key.via.str.size);
      if (name == "code" && code == nullptr) code = &map.ptr[i].val;
      if (name == "message" && text == nullptr) text = &map.ptr[i].val;
    }
    ReadIfFits(code, error.code);
    ReadIfFits(text, error.message);
    error.code = ToValidUtf8(error.code);
    error.message = ToValidUtf8(error.message);
  }
  message.body = std::move(error);
  return message;
}

// The first string in `o` (map keys included) that is not well-formed UTF-8, as "field PATH: ..."
// ; "" when every string is. The grammar requires UTF-8 for every str (MessagePack's own rule),
// so text from a peer can be logged, stored and serialised as JSON without a second check.
std::string FindInvalidUtf8(const msgpack::object& o, const std::string& path) {
  auto named = [&](const std::string& p) { return p.empty() ? std::string("the envelope") : p; };
  switch (o.type) {
    case msgpack::type::STR:
    case msgpack::type::BIN: {
      // A bin converts to a string member just as a str does, so it must be text as well.
      std::string_view text = o.type == msgpack::type::STR
                                  ? std::string_view(o.via.str.ptr, o.via.str.size)
                                  : std::string_view(o.via.bin.ptr, o.via.bin.size);
      if (auto bad = FirstInvalidUtf8(text)) {
        return "field " + named(path) + ": not valid UTF-8 (at byte offset " +
               std::to_string(*bad) + " of " + std::to_string(text.size()) + ")";
      }
      return "";
    }
    case msgpack::type::ARRAY:
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
        std::string problem =
            FindInvalidUtf8(o.via.array.ptr[i], path + "[" + std::to_string(i) + "]");
        if (!problem.empty()) return problem;
      }
      return "";
    case msgpack::type::MAP:
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object_kv& kv = o.via.map.ptr[i];
        std::string key;
        if (kv.key.type == msgpack::type::STR) {
          std::string_view text(kv.key.via.str.ptr, kv.key.via.str.size);
          if (!IsValidUtf8(text)) return "a key of " + named(path) + " is not valid UTF-8";
          key = text;
        }
        std::string problem = FindInvalidUtf8(kv.val, path.empty() ? key : path + "." + key);
        if (!problem.empty()) return problem;
      }
      return "";
    default:
      return "";
  }
}

Result<Message> DecodeEnvelope(const msgpack::object& root, std::string_view peer,
                               Refusal* refusal) {
  const std::string where = "frame " + From(peer);
  if (root.type != msgpack::type::MAP) {
    return Status::ParseError(where + ": the envelope is of type " +
                              std::string(WireTypeName(root)) + ", not a map");
  }
  EnvelopeObjects fields;
  for (std::uint32_t i = 0; i < root.via.map.size; ++i) {
    const msgpack::object_kv& kv = root.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) {
      return Status::ParseError(where + ": an envelope key is of type " +
                                std::string(WireTypeName(kv.key)) + "; keys must be str");
    }
    const std::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
    const msgpack::object** slot = nullptr;
    if (key == "v") {
      slot = &fields.v;
    } else if (key == "type") {
      slot = &fields.type;
    } else if (key == "node") {
      slot = &fields.node;
    } else if (key == "seq") {
      slot = &fields.seq;
    } else if (key == "ts") {
      slot = &fields.ts;
    } else if (key == "body") {
      slot = &fields.body;
    }
    // Unknown keys are ignored; of duplicate keys the first counts (as for bodies).
    if (slot != nullptr && *slot == nullptr) *slot = &kv.val;
  }

  // The version comes first: another major version may change everything else.
  if (fields.v == nullptr) return Status::ParseError(where + ": the envelope has no \"v\"");
  std::uint64_t version = 0;
  if (std::string problem = ReadScalar(*fields.v, "v", version); !problem.empty()) {
    return Status::ParseError(where + ": " + problem);
  }
  if (version != kMajorVersion) {
    // An "error" keeps its shape in every version, so a refusal from a peer of another version is
    // still read (and, being an error, never answered: no ping-pong of refusals).
    if (std::optional<Message> error = ReadForeignError(fields, version)) return *std::move(error);
    *refusal = Refusal::kUnsupportedVersion;
    return Status::Unsupported(where + " uses protocol version " + std::to_string(version) +
                               "; this build speaks version " + std::to_string(kMajorVersion));
  }

  if (fields.type == nullptr) return Status::ParseError(where + ": the envelope has no \"type\"");
  std::string type;
  if (std::string problem = ReadScalar(*fields.type, "type", type); !problem.empty()) {
    return Status::ParseError(where + ": " + problem);
  }
  const auto type_it = std::find(kTypeNames.begin(), kTypeNames.end(), type);
  if (type_it == kTypeNames.end()) {
    *refusal = Refusal::kUnknownType;
    return Status::Unsupported(where + ": unknown message type \"" + ToValidUtf8(type) + "\"");
  }

  Message message;
  message.header.version = kMajorVersion;
  const std::string type_where = type + " " + From(peer);
  if (std::string problem = FindInvalidUtf8(root, ""); !problem.empty()) {
    return Status::ParseError(type_where + ": " + problem);
  }
  if (fields.node != nullptr) {
    if (std::string problem = ReadScalar(*fields.node, "node", message.header.node);
        !problem.empty()) {
      return Status::ParseError(type_where + ": " + problem);
    }
  }
  if (fields.seq != nullptr) {
    if (std::string problem = ReadScalar(*fields.seq, "seq", message.header.seq);
        !problem.empty()) {
      return Status::ParseError(type_where + ": " + problem);
    }
  }
  if (fields.ts != nullptr) {
    if (std::string problem = ReadScalar(*fields.ts, "ts", message.header.ts_ms);
        !problem.empty()) {
      return Status::ParseError(type_where + ": " + problem);
    }
  }

  // A missing body is an empty map: every field takes its default.
  const msgpack::object empty_body = [] {
    msgpack::object o;
    o.type = msgpack::type::MAP;
    o.via.map.size = 0;
    o.via.map.ptr = nullptr;
    return o;
  }();
  const msgpack::object& body = fields.body != nullptr ? *fields.body : empty_body;
  if (body.type != msgpack::type::MAP) {
    return Status::ParseError(type_where + ": " + Mismatch("body", "map", body));
  }
  const auto index = static_cast<std::size_t>(type_it - kTypeNames.begin());
  Result<Body> converted = kConverters[index](body, type, peer);
  if (!converted.ok()) return converted.status();
  message.body = std::move(converted).value();
  return message;
}

}  // namespace

std::string_view TypeName(const Body& body) { return kTypeNames[body.index()]; }

std::string Encode(const Message& message) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_map(6);
  packer.pack("v");
  packer.pack(message.header.version);
  packer.pack("type");
  packer.pack(TypeName(message.body));
  packer.pack("node");
  packer.pack(message.header.node);
  packer.pack("seq");
  packer.pack(message.header.seq);
  packer.pack("ts");
  packer.pack(message.header.ts_ms);
  packer.pack("body");
  std::visit([&packer](const auto& body) { packer.pack(ForWire(body)); }, message.body);
  return std::string(buffer.data(), buffer.size());
}

Result<Message> Decode(std::string_view frame, std::string_view peer, std::size_t max_bytes,
                       Refusal* refusal) {
  Refusal ignored;
  if (refusal == nullptr) refusal = &ignored;
  *refusal = Refusal::kBadMessage;
  const std::string where = "frame " + From(peer);
  if (frame.size() > max_bytes) {
    *refusal = Refusal::kTooLarge;
    return Status::ParseError(where + " is " + std::to_string(frame.size()) +
                              " bytes, which exceeds the size limit of " +
                              std::to_string(max_bytes) + " bytes");
  }
  if (frame.empty()) return Status::ParseError(where + " is empty");

  // No array or map can hold more items than the frame has bytes (each item takes at least one
  // byte, a map pair two), so these limits refuse a lying length before the decoder allocates for
  // it.
  const msgpack::unpack_limit limits(
      std::min(kMaxArrayItems, frame.size()), std::min(kMaxMapPairs, frame.size() / 2),
      /*str=*/frame.size(), /*bin=*/frame.size(), /*ext=*/frame.size(),
      /*depth=*/kMaxNestingDepth);
  try {
    std::size_t offset = 0;
    // The handle owns the zone every msgpack::object points into; it lives until the envelope has
    // been converted into the owning structs of Message.
    msgpack::object_handle handle =
        msgpack::unpack(frame.data(), frame.size(), offset, nullptr, nullptr, limits);
    if (offset != frame.size()) {
      return Status::ParseError(where + " has " + std::to_string(frame.size() - offset) +
                                " bytes after the envelope; a frame holds exactly one map");
    }
    return DecodeEnvelope(handle.get(), peer, refusal);
  } catch (const msgpack::size_overflow& e) {
    return Status::ParseError(
        where +
        " declares an array, map or string larger than the frame or the decoder "
        "limits allow (" +
        e.what() + ")");
  } catch (const msgpack::insufficient_bytes&) {
    return Status::ParseError(where + " is truncated (" + std::to_string(frame.size()) +
                              " bytes end inside a MessagePack value)");
  } catch (const msgpack::parse_error& e) {
    return Status::ParseError(where + " is not valid MessagePack (" + e.what() + ")");
  } catch (const msgpack::unpack_error& e) {
    return Status::ParseError(where + " cannot be decoded (" + e.what() + ")");
  } catch (const std::bad_alloc&) {
    return Status::ParseError(where + " needs more memory to decode than is available");
  } catch (const std::exception& e) {
    return Status::ParseError(where + " cannot be decoded (" + e.what() + ")");
  }
}

std::string_view RefusalCode(Refusal refusal) {
  switch (refusal) {
    case Refusal::kTooLarge:
      return kErrorTooLarge;
    case Refusal::kUnsupportedVersion:
      return kErrorUnsupportedVersion;
    case Refusal::kUnknownType:
      return kErrorUnknownType;
    case Refusal::kBadMessage:
      break;
  }
  return kErrorBadMessage;
}

Message ErrorReplyFor(const Status& why, Refusal refusal, const Header& own_header) {
  Message reply;
  reply.header = own_header;
  reply.body =
      Error{.code = std::string(RefusalCode(refusal)), .message = ToValidUtf8(why.message())};
  return reply;
}

}  // namespace orcastra::protocol
