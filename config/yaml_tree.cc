#include "config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cctype>
#include <exception>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "common/utf8.h"

namespace orcastra::config {
namespace {

// Limits that keep a hostile or broken file from exhausting memory (aliases can multiply nodes).
constexpr std::size_t kMaxTextBytes = 4 * 1024 * 1024;
constexpr std::size_t kMaxNodes = 200'000;

struct TooManyNodes {};

std::string KeyText(const YamlNode& key) { return key.IsScalar() ? key.scalar : "?"; }

std::string ChildPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::size_t SubtreeSize(const YamlNode& node) {
  std::size_t size = 1;
  for (const auto& item : node.items) size += SubtreeSize(item);
  for (const auto& entry : node.entries) size += SubtreeSize(entry.key) + SubtreeSize(entry.value);
  return size;
}

// Builds a YamlNode tree from yaml-cpp's events and runs the checks that need the source text
// (unterminated quotes) or the map's structure (duplicates, bare words).
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view text, const std::string& file, std::vector<Diagnostic>* diagnostics)
      : text_(text), file_(file), diagnostics_(diagnostics) {}

  std::optional<YamlNode> TakeRoot() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode node = Start(YamlNode::Kind::kNull, mark);
    Finish(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode node;
    auto it = anchors_.find(anchor);
    if (it != anchors_.end()) {
      node = it->second;
      node_count_ += SubtreeSize(node);
      if (node_count_ > kMaxNodes) throw TooManyNodes{};
    }
    SetMark(&node, mark);
    Add(std::move(node));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YamlNode node = Start(YamlNode::Kind::kScalar, mark);
    node.scalar = value;
    node.tag = tag;
    if (tag == "!") CheckClosingQuote(node);
    Finish(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Push(YamlNode::Kind::kSequence, mark, anchor, style);
  }
  void OnSequenceEnd() override { Pop(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Push(YamlNode::Kind::kMap, mark, anchor, style);
  }
  void OnMapEnd() override {
    CheckMap(stack_.back());
    Pop();
  }

 private:
  struct Frame {
    YamlNode node;
    YAML::anchor_t anchor = 0;
    std::string path;
    bool have_key = false;
    YamlNode key;
  };

  static void SetMark(YamlNode* node, const YAML::Mark& mark) {
    node->line = mark.line + 1;
    node->column = mark.column + 1;
    node->offset = mark.pos < 0 ? 0 : static_cast<std::size_t>(mark.pos);
  }

  YamlNode Start(YamlNode::Kind kind, const YAML::Mark& mark) {
    if (++node_count_ > kMaxNodes) throw TooManyNodes{};
    YamlNode node;
    node.kind = kind;
    SetMark(&node, mark);
    return node;
  }

  // The field path of the node that is about to be added to the current container.
  std::string NextPath() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (top.node.IsSequence()) {
      return top.path + "[" + std::to_string(top.node.items.size()) + "]";
    }
    return top.have_key ? ChildPath(top.path, KeyText(top.key)) : top.path;
  }

  void Push(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor,
            YAML::EmitterStyle::value style) {
    Frame frame;
    frame.node = Start(kind, mark);
    frame.node.flow = style == YAML::EmitterStyle::Flow;
    frame.anchor = anchor;
    frame.path = NextPath();
    stack_.push_back(std::move(frame));
  }

  void Pop() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Finish(std::move(frame.node), frame.anchor);
  }

  void Finish(YamlNode node, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = node;
    Add(std::move(node));
  }

  void Add(YamlNode node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& top = stack_.back();
    if (top.node.IsSequence()) {
      top.node.items.push_back(std::move(node));
    } else if (!top.have_key) {
      top.key = std::move(node);
      top.have_key = true;
    } else {
      top.node.entries.push_back({std::move(top.key), std::move(node)});
      top.key = YamlNode();
      top.have_key = false;
    }
  }

  void Error(const YamlNode& at, std::string field, std::string message) {
    diagnostics_->push_back(
        {Severity::kError, file_, at.line, at.column, std::move(field), std::move(message)});
  }

  // yaml-cpp 0.7 accepts a quoted scalar that runs to the end of the file when the file ends
  // with a newline; look for the closing quote in the text.
  void CheckClosingQuote(const YamlNode& node) {
    if (node.offset >= text_.size()) return;
    char quote = text_[node.offset];
    if (quote != '"' && quote != '\'') return;
    for (std::size_t i = node.offset + 1; i < text_.size(); ++i) {
      char c = text_[i];
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
          continue;
        }
        return;
      }
    }
    Error(node, NextPath(),
          std::string("unterminated quoted string (no closing ") + quote + " before the end of " +
              "the file)");
  }

  void CheckMap(const Frame& frame) {
    std::map<std::string, const YamlNode*> seen;
    for (const auto& entry : frame.node.entries) {
      if (!entry.key.IsScalar()) continue;
      std::string path = ChildPath(frame.path, entry.key.scalar);
      auto [it, inserted] = seen.emplace(entry.key.scalar, &entry.key);
      if (!inserted) {
        Error(entry.key, path,
              "duplicate key \"" + entry.key.scalar + "\" (first at line " +
                  std::to_string(it->second->line) + ", column " +
                  std::to_string(it->second->column) + ")");
      }
      // yaml-cpp reads a bare word on its own line inside a block map as a key with no value;
      // its null value then sits exactly where the key starts.
      if (!frame.node.flow && entry.value.IsNull() && entry.key.IsPlainScalar() &&
          entry.value.offset == entry.key.offset) {
        Error(entry.key, path,
              "\"" + entry.key.scalar + "\" is not a \"key: value\" pair (missing \":\")");
      }
    }
  }

  std::string_view text_;
  const std::string& file_;
  std::vector<Diagnostic>* diagnostics_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, YamlNode> anchors_;
  std::optional<YamlNode> root_;
  std::size_t node_count_ = 0;
};

// Sees whether a second document follows and where it starts; builds nothing.
class DocumentProbe : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (!start) start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

Diagnostic SyntaxError(const std::string& file, const YAML::Mark& mark, const std::string& msg) {
  Diagnostic d{Severity::kError, file, 0, 0, "", "syntax error: " + msg};
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  return d;
}

// The code point of the well-formed UTF-8 sequence at text[i], and its length in *length.
char32_t CodePointAt(std::string_view text, std::size_t i, std::size_t* length) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    *length = 1;
    return b0;
  }
  *length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  char32_t c = b0 & (0x7F >> *length);
  for (std::size_t k = 1; k < *length; ++k) c = (c << 6) | (byte(i + k) & 0x3F);
  return c;
}

// A character YAML text must not hold as it is: C0 controls other than tab and line breaks, DEL
// and the C1 controls (YAML's printable set without U+0085, which yaml-cpp does not count as a
// line break), and U+FFFE, U+FFFF. Quoted scalars can still write them as escapes.
bool Unprintable(char32_t c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0x9F) ||
         c == 0xFFFE || c == 0xFFFF;
}

// Refuses text yaml-cpp would misread instead of rejecting: bytes that are not UTF-8 (it replaces
// them), a NUL at the start (it then guesses UTF-16 or UTF-32) or anywhere (it cuts the scalar
// there), other control characters. The error names the line and column (in bytes) of the first.
std::optional<Diagnostic> CheckText(std::string_view text, const std::string& file) {
  int line = 1;
  std::size_t line_start = 0;
  auto at = [&](std::size_t i, std::string message) {
    return Diagnostic{Severity::kError,  file, line, static_cast<int>(i - line_start) + 1, "",
                      std::move(message)};
  };
  const std::optional<std::size_t> bad = FirstInvalidUtf8(text);
  const std::size_t end = bad.value_or(text.size());
  for (std::size_t i = 0; i < end;) {
    std::size_t length = 1;
    const char32_t c = CodePointAt(text, i, &length);
    if (Unprintable(c)) {
      static const char kHex[] = "0123456789ABCDEF";
      std::string code = "U+";
      for (int shift = 12; shift >= 0; shift -= 4) code += kHex[(c >> shift) & 0xF];
      return at(i, "character " + code +
                       " is not allowed in YAML text (control characters other than tab and line "
                       "breaks; write them as escapes in a double-quoted string)");
    }
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += length;
  }
  if (bad) {
    static const char kHex[] = "0123456789abcdef";
    const auto b = static_cast<unsigned char>(text[*bad]);
    return at(*bad, std::string("byte 0x") + kHex[b >> 4] + kHex[b & 0xF] +
                        " is not valid UTF-8 (a configuration file is UTF-8 text)");
  }
  return std::nullopt;
}

bool StartsWith(std::string_view text, std::size_t offset, std::string_view prefix) {
  return offset <= text.size() && text.substr(offset).substr(0, prefix.size()) == prefix;
}

bool LooksLikeNonString(std::string_view value) {
  static const std::set<std::string_view> kSpecial = {
      "~",   "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
      "yes", "Yes",  "YES",  "no",   "No",   "NO",   "on",   "On",    "ON",    "off",
      "Off", "OFF",  "y",    "Y",    "n",    "N",    ".inf", ".nan",  "<<"};
  if (kSpecial.count(value) > 0) return true;
  char first = value.front();
  return std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' ||
         first == '.';
}

// Whether `value` can be written without quotes and still read back as the same characters.
bool SafeUnquoted(std::string_view value, bool in_flow) {
  // '@' (like '`') is a reserved indicator: a plain scalar cannot start with it.
  if (value.empty() || value.back() == ':' || value.front() == '@') return false;
  for (char c : value) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
              c == '/' || c == '@' || (c == ':' && !in_flow);
    if (!ok) return false;
  }
  return true;
}

// Whether the string `value` can be written without quotes and still read back as a string.
bool PlainSafe(std::string_view value, bool in_flow) {
  return SafeUnquoted(value, in_flow) && !LooksLikeNonString(value);
}

// `value` double-quoted so that it reads back as the same characters: controls, DEL, the C1
// range and the characters yaml-cpp reads as line breaks or drops (U+2028, U+2029, U+FEFF) as
// escapes. Bytes that are not UTF-8 cannot be written in YAML: they become U+FFFD.
std::string Quote(std::string_view raw) {
  static const char kHex[] = "0123456789abcdef";
  const std::string value = ToValidUtf8(raw);
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size();) {
    std::size_t length = 1;
    const char32_t c = CodePointAt(value, i, &length);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      out += "\\x";
      out += kHex[(c >> 4) & 0xF];
      out += kHex[c & 0xF];
    } else if (c == 0x2028 || c == 0x2029 || c == 0xFEFF || c == 0xFFFE || c == 0xFFFF) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(c >> shift) & 0xF];
    } else {
      out.append(value, i, length);
    }
    i += length;
  }
  return out + "\"";
}

// An implicit key (`key: value`) must be shorter than 1024 characters; a longer one is written as
// an explicit key (`? key : value`).
constexpr std::size_t kMaxImplicitKey = 1000;

std::string RenderFlow(const YamlNode& node, bool in_flow) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "null";
    case YamlNode::Kind::kScalar:
      // A plain scalar stays plain so that `5` stays a number and `true` a boolean.
      if (node.IsPlainScalar() && SafeUnquoted(node.scalar, in_flow)) return node.scalar;
      return PlainSafe(node.scalar, in_flow) ? node.scalar : Quote(node.scalar);
    case YamlNode::Kind::kSequence: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += RenderFlow(node.items[i], true);
      }
      return out + "]";
    }
    case YamlNode::Kind::kMap: {
      std::string out = "{";
      for (std::size_t i = 0; i < node.entries.size(); ++i) {
        if (i > 0) out += ", ";
        const std::string key = RenderFlow(node.entries[i].key, true);
        out += (key.size() > kMaxImplicitKey ? "? " + key + " " : key) + ": " +
               RenderFlow(node.entries[i].value, true);
      }
      return out + "}";
    }
  }
  return "null";
}

}  // namespace

const YamlNode* YamlNode::Find(std::string_view key) const {
  for (const auto& entry : entries) {
    if (entry.key.IsScalar() && entry.key.scalar == key) return &entry.value;
  }
  return nullptr;
}

YamlParse ParseYaml(std::string_view text, const std::string& file) {
  YamlParse result;
  if (text.size() > kMaxTextBytes) {
    result.syntax_ok = false;
    result.diagnostics.push_back(
        {Severity::kError, file, 0, 0, "",
         "file is larger than " + std::to_string(kMaxTextBytes) + " bytes; refusing to parse it"});
    return result;
  }
  // A UTF-8 byte order mark is not part of the text: positions and offsets are those after it.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (std::optional<Diagnostic> refused = CheckText(text, file)) {
    result.syntax_ok = false;
    result.diagnostics.push_back(*std::move(refused));
    return result;
  }
  std::istringstream in{std::string(text)};
  std::vector<Diagnostic> checks;
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(text, file, &checks);
    if (!parser.HandleNextDocument(builder)) return result;  // no document at all
    result.root = builder.TakeRoot();
    // yaml-cpp stops after the first document and would drop whatever follows: a second
    // document, or a block it could not attach (`b: c` after a top-level `- a`).
    DocumentProbe probe;
    try {
      if (parser.HandleNextDocument(probe) || probe.start) {
        YAML::Mark mark = probe.start.value_or(YAML::Mark::null_mark());
        Diagnostic d{Severity::kError, file, mark.line + 1, mark.column + 1, "", ""};
        bool explicit_start =
            mark.pos >= 0 && StartsWith(text, static_cast<std::size_t>(mark.pos), "---");
        d.message = explicit_start
                        ? "a second YAML document (\"---\"); a configuration file holds one"
                        : "content after the end of the document (not part of it; check the "
                          "indentation)";
        checks.push_back(std::move(d));
      }
    } catch (const YAML::ParserException& e) {
      Diagnostic d = SyntaxError(file, e.mark, e.msg);
      d.message =
          "content after the end of the document (not part of it; check the "
          "indentation)";
      if (probe.start) {
        d.line = probe.start->line + 1;
        d.column = probe.start->column + 1;
      }
      checks.push_back(std::move(d));
    }
  } catch (const YAML::ParserException& e) {
    result.root.reset();
    result.syntax_ok = false;
    result.diagnostics.push_back(SyntaxError(file, e.mark, e.msg));
    return result;
  } catch (const TooManyNodes&) {
    result.root.reset();
    result.syntax_ok = false;
    result.diagnostics.push_back({Severity::kError, file, 0, 0, "",
                                  "document has more than " + std::to_string(kMaxNodes) +
                                      " nodes (aliases included); refusing it"});
    return result;
  } catch (const std::exception& e) {
    result.root.reset();
    result.syntax_ok = false;
    result.diagnostics.push_back(
        {Severity::kError, file, 0, 0, "", std::string("cannot parse: ") + e.what()});
    return result;
  }
  result.diagnostics = std::move(checks);
  return result;
}

std::string DescribeNode(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "nothing";
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMap:
      return "a map";
    case YamlNode::Kind::kScalar:
      break;
  }
  std::string value = node.scalar.size() > 40 ? node.scalar.substr(0, 40) + "..." : node.scalar;
  std::string quoted = Quote(value);
  return node.IsPlainScalar() ? quoted : "the quoted string " + quoted;
}

std::string QuoteYamlScalar(std::string_view value) {
  return PlainSafe(value, false) ? std::string(value) : Quote(value);
}

std::string RenderFlowYaml(const YamlNode& node) { return RenderFlow(node, false); }

}  // namespace orcastra::config
