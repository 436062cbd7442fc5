// protocol::Decode on frames that are valid MessagePack shaped like envelopes: the input only
// chooses the keys (mostly the envelope's and the bodies' own), the types and the values, so the
// fuzzer spends its time in the body conversion and the field-naming diagnostics instead of in
// msgpack's tokenizer. Invariants: those of protocol_invariants.h.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <msgpack.hpp>
#include <string>
#include <string_view>

#include "tests/fuzz/protocol_invariants.h"

namespace {

constexpr std::array<std::string_view, 12> kTypes = {
    "hello",          "node_report",   "event",
    "query",          "reply",         "welcome",
    "error",          "agent_command", "agent_command_result",
    "service_images", "join_request",  "join_answer"};

// Every member name of every body (protocol/messages.h) and the envelope's keys.
constexpr std::string_view kKeys[] = {"v",
                                      "type",
                                      "node",
                                      "seq",
                                      "ts",
                                      "body",
                                      "agent_version",
                                      "node_id",
                                      "hostname",
                                      "report_interval_ms",
                                      "memory_source",
                                      "attestation",
                                      "method",
                                      "cert_pem",
                                      "ts_ms",
                                      "nonce",
                                      "leader_key",
                                      "agent_key",
                                      "signature",
                                      "total_bytes",
                                      "available_bytes",
                                      "used_bytes",
                                      "source",
                                      "avg1",
                                      "avg5",
                                      "avg15",
                                      "present",
                                      "some_avg10",
                                      "full_avg10",
                                      "id",
                                      "name",
                                      "image",
                                      "state",
                                      "health",
                                      "restart_count",
                                      "oom_killed",
                                      "exit_code",
                                      "service_id",
                                      "service_name",
                                      "task_id",
                                      "memory_bytes",
                                      "memory",
                                      "load",
                                      "cpu_percent",
                                      "psi",
                                      "containers",
                                      "service_images_age_ms",
                                      "kind",
                                      "subject",
                                      "message",
                                      "attrs",
                                      "what",
                                      "args",
                                      "ok",
                                      "error",
                                      "result_json",
                                      "answered_by",
                                      "from_active_leader",
                                      "leader_node_id",
                                      "leader_hostname",
                                      "active",
                                      "output",
                                      "refs",
                                      "local_state",
                                      "granted",
                                      "retry",
                                      "reason",
                                      "join_token",
                                      "manager_addrs",
                                      "code",
                                      "",
                                      "V",
                                      "body ",
                                      "containers[0]",
                                      "\xff",
                                      "\xc3\xa9",
                                      std::string_view("nul\0key", 7)};

using Packer = msgpack::packer<msgpack::sbuffer>;

class FramePacker {
 public:
  explicit FramePacker(FuzzedDataProvider& in) : in_(in), packer_(buffer_) {}

  std::string_view Frame() {
    // The envelope: a map of a few pairs, usually the six keys in their usual order.
    const auto pairs = in_.ConsumeIntegralInRange<std::uint32_t>(0, 8);
    packer_.pack_map(pairs);
    for (std::uint32_t i = 0; i < pairs; ++i) {
      const bool usual = in_.ConsumeBool();
      std::string_view key = usual && i < 6 ? kKeys[i] : Key();
      packer_.pack_str(static_cast<std::uint32_t>(key.size()));
      packer_.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
      if (key == "v" && in_.ConsumeBool()) {
        packer_.pack(in_.ConsumeBool() ? 1u : in_.ConsumeIntegral<std::uint32_t>());
      } else if (key == "type" && in_.ConsumeBool()) {
        std::string_view type =
            kTypes[in_.ConsumeIntegralInRange<std::size_t>(0, kTypes.size() - 1)];
        packer_.pack_str(static_cast<std::uint32_t>(type.size()));
        packer_.pack_str_body(type.data(), static_cast<std::uint32_t>(type.size()));
      } else if (key == "body" && in_.ConsumeBool()) {
        Map(0);
      } else {
        Value(0);
      }
    }
    return {buffer_.data(), buffer_.size()};
  }

 private:
  static constexpr int kMaxDepth = 6;

  std::string_view Key() {
    if (in_.ConsumeBool())
      return kKeys[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(kKeys) - 1)];
    scratch_ = in_.ConsumeRandomLengthString(16);
    return scratch_;
  }

  void Map(int depth) {
    const auto pairs = in_.ConsumeIntegralInRange<std::uint32_t>(0, 6);
    packer_.pack_map(pairs);
    for (std::uint32_t i = 0; i < pairs; ++i) {
      if (in_.ConsumeIntegralInRange<int>(0, 15) == 0) {
        Value(depth + 1);  // a key that is not a str
      } else {
        std::string_view key = Key();
        packer_.pack_str(static_cast<std::uint32_t>(key.size()));
        packer_.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
      }
      Value(depth + 1);
    }
  }

  void Value(int depth) {
    const int kind = in_.ConsumeIntegralInRange<int>(0, depth >= kMaxDepth ? 9 : 11);
    switch (kind) {
      case 0:
        packer_.pack_nil();
        break;
      case 1:
        packer_.pack(in_.ConsumeBool());
        break;
      case 2:
        packer_.pack(in_.ConsumeIntegral<std::uint64_t>());
        break;
      case 3:
        packer_.pack(in_.ConsumeIntegral<std::int64_t>());
        break;
      case 4:
        packer_.pack(static_cast<std::uint32_t>(in_.ConsumeIntegralInRange<int>(0, 300)));
        break;
      case 5:
        packer_.pack_float(in_.ConsumeFloatingPoint<float>());
        break;
      case 6:
        packer_.pack_double(Double());
        break;
      case 7:
      case 8: {
        std::string text = in_.ConsumeRandomLengthString(64);
        packer_.pack_str(static_cast<std::uint32_t>(text.size()));
        packer_.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
        break;
      }
      case 9: {
        std::string bytes = in_.ConsumeRandomLengthString(32);
        if (in_.ConsumeBool()) {
          packer_.pack_bin(static_cast<std::uint32_t>(bytes.size()));
          packer_.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
        } else {
          packer_.pack_ext(bytes.size(), in_.ConsumeIntegral<std::int8_t>());
          packer_.pack_ext_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
        }
        break;
      }
      case 10: {
        const auto items = in_.ConsumeIntegralInRange<std::uint32_t>(0, 6);
        packer_.pack_array(items);
        for (std::uint32_t i = 0; i < items; ++i) Value(depth + 1);
        break;
      }
      default:
        Map(depth);
        break;
    }
  }

  double Double() {
    switch (in_.ConsumeIntegralInRange<int>(0, 4)) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return std::numeric_limits<double>::infinity();
      case 2:
        return -std::numeric_limits<double>::infinity();
      default:
        return in_.ConsumeFloatingPoint<double>();
    }
  }

  FuzzedDataProvider& in_;
  msgpack::sbuffer buffer_;
  Packer packer_;
  std::string scratch_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  FramePacker packer(in);
  orcastra::fuzz::CheckDecode(packer.Frame());
  return 0;
}
