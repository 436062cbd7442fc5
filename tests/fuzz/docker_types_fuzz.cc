// The decoders of the Docker daemon's JSON answers (common/docker_types.h: info, nodes, services,
// tasks, containers, container and image inspect, images, volumes, disk usage, image delete) and
// ErrorFromResponse on an error answer, all on the same document. Invariants: nothing throws; a
// refusal says why; a decoded object's raw specs serialise.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "common/docker_client.h"
#include "common/docker_types.h"
#include "common/utf8.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;
using nlohmann::json;

namespace {

template <typename T>
void Decode(const json& j, Result<T> (*decode)(const json&), std::string_view what) {
  auto one = decode(j);
  if (!one.ok()) FUZZ_CHECK(!one.status().message().empty());
  auto list = docker::DecodeList(j, decode, what);
  if (!list.ok()) FUZZ_CHECK(!list.status().message().empty());
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      (void)key;
      (void)decode(value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::Bytes(data, size));
  // An error answer is read whatever its body holds. The status only picks the error's code, and
  // the body is parsed once per call: one status per input, chosen by the input's length.
  constexpr long kErrorStatuses[] = {400, 404, 409, 500, 503};
  Status error = docker::ErrorFromResponse(
      "GET", "/fuzz", docker::Response{kErrorStatuses[size % std::size(kErrorStatuses)], text});
  FUZZ_CHECK(!error.ok());
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  Decode(j, docker::DecodeSystemInfo, "info");
  Decode(j, docker::DecodeNode, "nodes");
  Decode(j, docker::DecodeService, "services");
  Decode(j, docker::DecodeTask, "tasks");
  Decode(j, docker::DecodeContainerSummary, "containers");
  Decode(j, docker::DecodeContainerDetails, "container");
  Decode(j, docker::DecodeEvent, "events");
  Decode(j, docker::DecodeImageSummary, "images");
  Decode(j, docker::DecodeImageDetails, "image");
  Decode(j, docker::DecodeImageDeleteResult, "image delete");
  Decode(j, docker::DecodeVolume, "volumes");
  (void)docker::DecodeVolumeList(j);
  (void)docker::DecodeDiskUsage(j);
  if (auto node = docker::DecodeNode(j); node.ok()) (void)DumpJson(node->spec);
  if (auto services = docker::DecodeList(j, docker::DecodeService, "services"); services.ok()) {
    for (const auto& service : *services) (void)DumpJson(service.spec);
    (void)docker::ServiceImageRefs(*services);
  }
  return 0;
}
