// The YAML adapter: yaml-cpp's event parser turned into a plain tree that keeps what yaml-cpp's
// Node API hides (every duplicate key, the position of every key and value, whether a scalar was
// quoted) plus the checks for content yaml-cpp 0.7 accepts silently. The only file of config/ that
// calls yaml-cpp's parser; no yaml-cpp exception leaves it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"

namespace orcastra::config {

struct YamlEntry;

// One node of a parsed document. Maps keep their entries in file order, duplicates included.
struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };

  Kind kind = Kind::kNull;
  int line = 0;            // 1-based position of the node's first character
  int column = 0;          // 1-based
  std::size_t offset = 0;  // byte offset of the node in the text
  std::string scalar;      // kScalar: the value, escapes resolved
  // kScalar: "?" for a plain scalar, "!" for a quoted or block scalar, else an explicit tag.
  std::string tag;
  bool flow = false;               // kSequence / kMap: written as [..] / {..}
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMap

  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsMap() const { return kind == Kind::kMap; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsNull() const { return kind == Kind::kNull; }
  // A scalar written without quotes and without a tag (so `5`, `true` keep their YAML meaning).
  bool IsPlainScalar() const { return kind == Kind::kScalar && tag == "?"; }

  // The value of the first entry whose key is the scalar `key`, or nullptr.
  const YamlNode* Find(std::string_view key) const;
};

struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

struct YamlParse {
  // The document's root; nullopt when the text holds no document (empty, only comments) or when
  // it could not be parsed (then `diagnostics` holds the syntax error).
  std::optional<YamlNode> root;
  bool syntax_ok = true;
  std::vector<Diagnostic> diagnostics;  // errors found while parsing, in file `file`
};

// Parses `text` (the content of `file`, used only to name it in diagnostics). A leading UTF-8 byte
// order mark is skipped. Reports as errors: text that is not UTF-8 or holds control characters
// other than tab and line breaks (at the first one's line and column; nothing is parsed), syntax
// errors (yaml-cpp's message and position), content after the first document (a second
// document, or a line yaml-cpp would silently drop such as `b: c` after a top-level list), an
// unterminated quoted string, a bare word inside a block map (`b` with no `:`), duplicate keys
// (at the second occurrence) and documents over the size limits. Never throws.
YamlParse ParseYaml(std::string_view text, const std::string& file);

// A human description of a node's type for messages: `a map`, `a list`, `nothing`, `"abc"`,
// `the quoted string "5"`.
std::string DescribeNode(const YamlNode& node);

// Renders a scalar so that it reads back as the same string: plain when that is safe, else
// double-quoted. Bytes that are not UTF-8 cannot be written in YAML and become U+FFFD.
std::string QuoteYamlScalar(std::string_view value);

// Renders a node as one line of flow-style YAML (`{gc: [a, b]}`), to write back content that is
// kept but not understood.
std::string RenderFlowYaml(const YamlNode& node);

}  // namespace orcastra::config
