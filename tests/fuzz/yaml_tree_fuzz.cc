// config::ParseYaml, the YAML adapter every configuration file goes through, with the writers that
// render parsed content back (QuoteYamlScalar, RenderFlowYaml: the command file keeps entries it
// does not understand that way). Invariants: nothing throws; every diagnostic names the file, and
// every error names a line except the two whole-file limits; a refused syntax has no root; what
// RenderFlowYaml writes reads back as the same tree; every scalar QuoteYamlScalar writes reads back
// as the same string.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/yaml_tree.h"
#include "tests/fuzz/fuzz_check.h"

using orcastra::config::ParseYaml;
using orcastra::config::QuoteYamlScalar;
using orcastra::config::RenderFlowYaml;
using orcastra::config::Severity;
using orcastra::config::YamlNode;

namespace {

const std::string kFile = "fuzz.yml";

bool WholeFileLimit(const std::string& message) {
  return message.starts_with("file is larger than") ||
         message.starts_with("document has more than");
}

// `a` and `b` hold the same content: kinds, scalar texts, items and entries in order. A quoted
// scalar may read back plain only where it still means the same string.
bool SameTree(const YamlNode& a, const YamlNode& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case YamlNode::Kind::kNull:
      return true;
    case YamlNode::Kind::kScalar:
      if (a.scalar != b.scalar) return false;
      if (a.IsPlainScalar() || !b.IsPlainScalar()) return true;
      return QuoteYamlScalar(a.scalar) == a.scalar;
    case YamlNode::Kind::kSequence:
      if (a.items.size() != b.items.size()) return false;
      for (std::size_t i = 0; i < a.items.size(); ++i) {
        if (!SameTree(a.items[i], b.items[i])) return false;
      }
      return true;
    case YamlNode::Kind::kMap:
      if (a.entries.size() != b.entries.size()) return false;
      for (std::size_t i = 0; i < a.entries.size(); ++i) {
        if (!SameTree(a.entries[i].key, b.entries[i].key) ||
            !SameTree(a.entries[i].value, b.entries[i].value)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

void CheckScalarsQuote(const YamlNode& node, int* budget) {
  if (--*budget < 0) return;
  if (node.IsScalar()) {
    const std::string written = QuoteYamlScalar(node.scalar);
    auto back = ParseYaml(written, kFile);
    FUZZ_CHECK(back.diagnostics.empty());
    FUZZ_CHECK(back.root.has_value());
    FUZZ_CHECK(back.root->IsScalar());
    FUZZ_CHECK(back.root->scalar == node.scalar);
    FUZZ_CHECK(!back.root->IsPlainScalar() || written == node.scalar);
  }
  for (const auto& item : node.items) CheckScalarsQuote(item, budget);
  for (const auto& entry : node.entries) {
    CheckScalarsQuote(entry.key, budget);
    CheckScalarsQuote(entry.value, budget);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = ParseYaml(orcastra::fuzz::Bytes(data, size), kFile);
  for (const auto& d : parsed.diagnostics) {
    FUZZ_CHECK(d.file == kFile);
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(d.severity != Severity::kError || d.line > 0 || WholeFileLimit(d.message));
  }
  if (!parsed.syntax_ok) FUZZ_CHECK(!parsed.root.has_value());
  if (!parsed.root || !parsed.diagnostics.empty()) return 0;

  const std::string flow = RenderFlowYaml(*parsed.root);
  auto back = ParseYaml(flow, kFile);
  FUZZ_CHECK(back.diagnostics.empty());
  FUZZ_CHECK(back.root.has_value());
  FUZZ_CHECK(SameTree(*parsed.root, *back.root));

  int budget = 64;  // scalars re-parsed one by one; enough to find a bad one, cheap per input
  CheckScalarsQuote(*parsed.root, &budget);
  return 0;
}
