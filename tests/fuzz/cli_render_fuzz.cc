// The CLI's renderers (leader/cli/cli.h) on any JSON document: what a hostile or broken leader
// instance could answer must not crash `orcastra status|nodes|events|plan|anchors|services|logs`.
// Each renderer gets the document and, as the CLI passes them, its "anchors"/"services" member.
// Invariants: nothing throws, and the tables are valid UTF-8 when the document's strings are (the
// JSON parser only accepts valid UTF-8, so always).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/utf8.h"
#include "leader/cli/cli.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;
using nlohmann::json;

namespace {

void Render(const json& j) {
  for (const std::string& out :
       {leader::RenderNodesTable(j), leader::RenderStatus(j), leader::RenderEvents(j),
        leader::RenderPlan(j), leader::RenderAnchors(j), leader::RenderServices(j),
        leader::RenderLogs(j), leader::HumanBytes(j), leader::RenderConfigShow(j),
        leader::RanOn(j)}) {
    FUZZ_CHECK(IsValidUtf8(out));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json j = json::parse(fuzz::Bytes(data, size), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  Render(j);
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      (void)key;
      Render(value);
    }
  }
  return 0;
}
