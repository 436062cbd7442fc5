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

}  // namespace
}  // namespace orcastra::config
