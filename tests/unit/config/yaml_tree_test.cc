// The YAML adapter: positions, duplicates kept, and what yaml-cpp 0.7 accepts silently.
#include "config/yaml_tree.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using testing::Formatted;

TEST_CASE("yaml: tree with 1-based positions, order and duplicates kept", "[config][yaml]") {
  YamlParse parse = ParseYaml("a: 1\nb:\n  - x\n  - \"5\"\nc: {d: true}\n", "f.yml");
  CHECK(parse.diagnostics.empty());
  REQUIRE(parse.root);
  const YamlNode& root = *parse.root;
  REQUIRE(root.IsMap());
  REQUIRE(root.entries.size() == 3);
  CHECK(root.entries[1].key.scalar == "b");
  CHECK(root.entries[1].key.line == 2);
  CHECK(root.entries[1].key.column == 1);
  const YamlNode* b = root.Find("b");
  REQUIRE(b != nullptr);
  REQUIRE(b->IsSequence());
  CHECK_FALSE(b->flow);
  CHECK(b->items[1].scalar == "5");
  CHECK_FALSE(b->items[1].IsPlainScalar());  // quoted
  CHECK(b->items[1].line == 4);
  CHECK(b->items[1].column == 5);
  CHECK(root.Find("a")->IsPlainScalar());
  CHECK(root.Find("c")->flow);
  CHECK(root.Find("missing") == nullptr);
}

TEST_CASE("yaml: duplicate keys are errors at the second occurrence with the field path",
          "[config][yaml]") {
  YamlParse parse = ParseYaml("a:\n  x: 1\n  y: 2\n  x: 3\nb: 1\nb: 2\n", "f.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "f.yml:4:3: error: a.x: duplicate key \"x\" (first at line 2, column 3)",
            "f.yml:6:1: error: b: duplicate key \"b\" (first at line 5, column 1)"});
  REQUIRE(parse.root);
  // Both kept in the tree; Find returns the first, like yaml-cpp.
  CHECK(parse.root->Find("a")->entries.size() == 3);
  CHECK(parse.root->Find("b")->scalar == "1");
}

TEST_CASE("yaml: a map after a top-level list is not dropped silently", "[config][yaml]") {
  // yaml-cpp 0.7 returns just the list for this text.
  YamlParse parse = ParseYaml("- a\nb: c\n", "f.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{"f.yml:2:1: error: content after the end of the document (not "
                                 "part of it; check the indentation)"});
  REQUIRE(parse.root);
  CHECK(parse.root->IsSequence());
}

TEST_CASE("yaml: a second document is an error", "[config][yaml]") {
  YamlParse parse = ParseYaml("a: 1\n---\nb: 2\n", "f.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "f.yml:2:1: error: a second YAML document (\"---\"); a configuration file holds one"});
  YamlParse ended = ParseYaml("a: 1\n...\nb: 2\n", "f.yml");
  CHECK(Formatted(ended.diagnostics) ==
        std::vector<std::string>{"f.yml:3:1: error: content after the end of the document (not "
                                 "part of it; check the indentation)"});
}

TEST_CASE("yaml: unterminated quotes are errors even where yaml-cpp accepts them",
          "[config][yaml]") {
  // With a final newline yaml-cpp 0.7 accepts this and returns "foo ".
  YamlParse accepted = ParseYaml("a: 1\nb: \"foo\n", "f.yml");
  CHECK(Formatted(accepted.diagnostics) ==
        std::vector<std::string>{"f.yml:2:4: error: b: unterminated quoted string (no closing \" "
                                 "before the end of the file)"});
  // Without it yaml-cpp itself refuses.
  YamlParse refused = ParseYaml("a: 'foo", "f.yml");
  CHECK_FALSE(refused.syntax_ok);
  CHECK_FALSE(refused.root);
  CHECK(Formatted(refused.diagnostics) ==
        std::vector<std::string>{"f.yml:1:8: error: syntax error: illegal EOF in scalar"});
  // Escaped quotes are not closing ones, '' is an escaped single quote.
  CHECK(ParseYaml("a: \"x\\\"y\"\nb: 'it''s'\n", "f.yml").diagnostics.empty());
}

TEST_CASE("yaml: a bare word in a block map is not a key with no value", "[config][yaml]") {
  YamlParse parse = ParseYaml("nodes:\n  a: 1\n  b\n", "f.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "f.yml:3:3: error: nodes.b: \"b\" is not a \"key: value\" pair (missing \":\")"});
  // `key:` with nothing after it is a real null value.
  CHECK(ParseYaml("a:\nb: 1\n", "f.yml").diagnostics.empty());
}

TEST_CASE("yaml: syntax errors carry yaml-cpp's message and 1-based position", "[config][yaml]") {
  YamlParse parse = ParseYaml("a:\n  b: 1\n c: 2\n", "f.yml");
  CHECK_FALSE(parse.syntax_ok);
  CHECK_FALSE(parse.root);
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{"f.yml:3:2: error: syntax error: end of map not found"});
  YamlParse tab = ParseYaml("a: 1\n\tb: 2\n", "f.yml");
  CHECK(Formatted(tab.diagnostics) ==
        std::vector<std::string>{
            "f.yml:2:1: error: syntax error: illegal tab when looking for indentation"});
  YamlParse flow = ParseYaml("a: [1, 2\n", "f.yml");
  CHECK(Formatted(flow.diagnostics) ==
        std::vector<std::string>{"f.yml:2:1: error: syntax error: end of sequence flow not found"});
}

TEST_CASE("yaml: empty text, comments only, aliases", "[config][yaml]") {
  CHECK_FALSE(ParseYaml("", "f.yml").root);
  CHECK_FALSE(ParseYaml("# nothing\n", "f.yml").root);
  CHECK(ParseYaml("# nothing\n", "f.yml").syntax_ok);
  YamlParse alias = ParseYaml("base: &b [2, 10]\nother: *b\n", "f.yml");
  CHECK(alias.diagnostics.empty());
  REQUIRE(alias.root);
  const YamlNode* other = alias.root->Find("other");
  REQUIRE(other->IsSequence());
  CHECK(other->items.size() == 2);
  CHECK(other->line == 2);  // the alias's position
}

TEST_CASE("yaml: alias bombs are refused", "[config][yaml]") {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'h'; ++name) {
    text += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", *" : "*") + previous;
    text += "]\n";
    previous = name;
  }
  YamlParse parse = ParseYaml(text, "f.yml");
  CHECK_FALSE(parse.syntax_ok);
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{"f.yml: error: document has more than 200000 nodes (aliases "
                                 "included); refusing it"});
}

TEST_CASE("yaml: descriptions and rendering", "[config][yaml]") {
  YamlParse parse = ParseYaml("[abc, \"5\", {a: b}, [1], ~]", "f.yml");
  REQUIRE(parse.root);
  const auto& items = parse.root->items;
  CHECK(DescribeNode(items[0]) == "\"abc\"");
  CHECK(DescribeNode(items[1]) == "the quoted string \"5\"");
  CHECK(DescribeNode(items[2]) == "a map");
  CHECK(DescribeNode(items[3]) == "a list");
  CHECK(DescribeNode(items[4]) == "nothing");
  CHECK(RenderFlowYaml(*parse.root) == "[abc, \"5\", {a: b}, [1], null]");
  CHECK(QuoteYamlScalar("gc:node1") == "gc:node1");
  CHECK(QuoteYamlScalar("true") == "\"true\"");
  CHECK(QuoteYamlScalar("a b") == "\"a b\"");
  CHECK(QuoteYamlScalar("say \"hi\"\n") == "\"say \\\"hi\\\"\\n\"");
  CHECK(QuoteYamlScalar("") == "\"\"");
}

// Issue 8 (fuzz_yaml_tree): yaml-cpp replaces bytes that are not UTF-8 with U+FFFD, reads a file
// starting with NUL bytes as UTF-32 and cuts a scalar at a NUL. Such text is refused at the first
// bad byte's line and column, and a byte order mark is skipped without moving positions.
TEST_CASE("yaml: text that is not UTF-8 or holds control characters is refused where it is",
          "[config][yaml]") {
  CHECK(Formatted(ParseYaml("a: 1\nb: \xff\xfe\n", "f.yml").diagnostics) ==
        std::vector<std::string>{
            "f.yml:2:4: error: byte 0xff is not valid UTF-8 (a configuration file is UTF-8 text)"});
  YamlParse nul = ParseYaml(std::string("\0\0\0a", 4), "f.yml");
  CHECK_FALSE(nul.syntax_ok);
  CHECK_FALSE(nul.root);
  CHECK(Formatted(nul.diagnostics) ==
        std::vector<std::string>{"f.yml:1:1: error: character U+0000 is not allowed in YAML text "
                                 "(control characters other than tab and line breaks; write them "
                                 "as escapes in a double-quoted string)"});
  for (std::string bad : {std::string("a: b\0c\n", 7), std::string("a: \"\x01\"\n"),
                          std::string("a: \x7f\n"), std::string("a: \xc2\x85\n")}) {
    INFO(bad);
    YamlParse parse = ParseYaml(bad, "f.yml");
    CHECK_FALSE(parse.syntax_ok);
    REQUIRE(parse.diagnostics.size() == 1);
    CHECK(parse.diagnostics[0].line == 1);
  }
  YamlParse bom = ParseYaml(
      "\xef\xbb\xbf"
      "a: \"x\"\nb: 2\n",
      "f.yml");
  CHECK(bom.diagnostics.empty());
  REQUIRE(bom.root);
  CHECK(bom.root->Find("a")->scalar == "x");
  CHECK(bom.root->entries[0].key.column == 1);
  CHECK(bom.root->entries[1].key.line == 2);
  // Tabs, CR LF line ends and text beyond ASCII are ordinary.
  CHECK(ParseYaml("a:\t\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\r\n", "f.yml").diagnostics.empty());
}

// Issue 8 (fuzz_yaml_tree): '@' is a reserved indicator, so "@x" written plain does not read back;
// an implicit key of 1024 characters or more is a syntax error, so a long key is written explicit;
// escapes written for characters yaml-cpp would read as line breaks or drop.
TEST_CASE("yaml: what QuoteYamlScalar and RenderFlowYaml write reads back the same",
          "[config][yaml]") {
  CHECK(QuoteYamlScalar("@x") == "\"@x\"");
  CHECK(QuoteYamlScalar("a@x") == "a@x");
  CHECK(QuoteYamlScalar("\xc2\x85 \xe2\x80\xa8 \x01") == "\"\\x85 \\u2028 \\x01\"");
  CHECK(QuoteYamlScalar("\xff") == "\"\xef\xbf\xbd\"");  // not UTF-8: U+FFFD
  for (const std::string& value :
       {std::string("@x"), std::string("\xc2\x85"), std::string("\xe2\x80\xa9"),
        std::string("\xef\xbb\xbf"
                    "a"),
        std::string(1, '\x7f')}) {
    INFO(value);
    YamlParse back = ParseYaml(QuoteYamlScalar(value), "f.yml");
    CHECK(back.diagnostics.empty());
    REQUIRE(back.root);
    CHECK(back.root->scalar == value);
  }
  const std::string key(1100, 'k');
  YamlParse parse = ParseYaml("? " + key + "\n: [\"@a\"]\n", "f.yml");
  REQUIRE(parse.root);
  const std::string flow = RenderFlowYaml(*parse.root);
  CHECK(flow == "{? " + key + " : [\"@a\"]}");
  YamlParse back = ParseYaml(flow, "f.yml");
  CHECK(back.diagnostics.empty());
  REQUIRE(back.root);
  REQUIRE(back.root->entries.size() == 1);
  CHECK(back.root->entries[0].key.scalar == key);
  CHECK(back.root->entries[0].value.items[0].scalar == "@a");
}

}  // namespace
}  // namespace orcastra::config
