// The command file: known commands, arguments, unknown entries kept, rewrite round trip.
#include "config/command_file.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/config_test_util.h"

namespace orcastra::config {
namespace {

using testing::Formatted;

std::vector<std::string> Texts(const std::vector<CommandEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.text);
  return out;
}

TEST_CASE("command file: known commands with and without arguments", "[config][command]") {
  const std::string text = R"(# commands for the leader
- relabel_all
- update_dependents:gitea_db
- gc:node-1
- "rotate_logs: node-2"
- refresh_mods
- noop
- rebalance: 
- gc: node-3
)";
  CommandFileParse parse = ParseCommandFile(text, "cmd.yml");
  CHECK(Formatted(parse.diagnostics).empty());
  REQUIRE(parse.entries.size() == 8);
  CHECK(parse.entries[0] ==
        CommandEntry{"relabel_all", "relabel_all", std::nullopt, 2, 3, true, "", false});
  CHECK(parse.entries[1].name == "update_dependents");
  CHECK(parse.entries[1].arg == "gitea_db");
  CHECK(parse.entries[2].arg == "node-1");
  CHECK(parse.entries[3].name == "rotate_logs");
  CHECK(parse.entries[3].arg == "node-2");  // spaces around the argument are trimmed
  CHECK_FALSE(parse.entries[4].arg.has_value());
  CHECK(parse.entries[6].text == "rebalance");  // `- rebalance:` is a one-key map with no value
  CHECK(parse.entries[7].text == "gc:node-3");  // `- gc: node-3` is read as gc:node-3
  CHECK(parse.entries[7].line == 9);
  for (const auto& entry : parse.entries) {
    INFO(entry.text);
    CHECK(entry.known);
    CHECK(entry.runnable());
  }
  CHECK(KnownCommandArg("update_dependents") == CommandArg::kAnchor);
  CHECK(KnownCommandArg("gc") == CommandArg::kNode);
  CHECK(KnownCommandArg("noop") == CommandArg::kNone);
  CHECK_FALSE(KnownCommandArg("reboot").has_value());
  CHECK(KnownCommandNames().size() == 12);
}

TEST_CASE("command file: unknown and invalid entries are kept and reported", "[config][command]") {
  const std::string text = R"(- relabel_all
- reboot_everything
- relabel_all:now
- "gc:"
- {gc: [a, b]}
- pause_dependents
)";
  CommandFileParse parse = ParseCommandFile(text, "cmd.yml");
  CHECK(Formatted(parse.diagnostics) ==
        std::vector<std::string>{
            "cmd.yml:2:3: error: [1]: unknown command \"reboot_everything\" (kept in the file)",
            "cmd.yml:3:3: error: [2]: command \"relabel_all\" takes no argument",
            "cmd.yml:4:3: error: [3]: empty argument after \"gc:\"",
            "cmd.yml:5:3: error: [4]: expected a command name or name:arg, got a map (kept in "
            "the file)"});
  REQUIRE(parse.entries.size() == 6);  // nothing dropped
  CHECK_FALSE(parse.entries[1].known);
  CHECK(parse.entries[2].known);
  CHECK_FALSE(parse.entries[2].runnable());
  CHECK(parse.entries[4].raw_yaml);
  CHECK(parse.entries[4].text == "{gc: [a, b]}");
  CHECK(parse.entries[5].runnable());
}

TEST_CASE("command file: empty, [] and wrong top level", "[config][command]") {
  CHECK(ParseCommandFile("", "cmd.yml").entries.empty());
  CHECK(ParseCommandFile("[]\n", "cmd.yml").entries.empty());
  CHECK(ParseCommandFile("[]\n", "cmd.yml").diagnostics.empty());
  CommandFileParse map = ParseCommandFile("relabel_all: true\n", "cmd.yml");
  CHECK(map.entries.empty());
  CHECK(Formatted(map.diagnostics) ==
        std::vector<std::string>{"cmd.yml:1:1: error: expected a list of commands (- relabel_all, "
                                 "- gc:NODE, ...) at the top level, got a map"});
  CommandFileParse broken = ParseCommandFile("- relabel_all\nnoop: 1\n", "cmd.yml");
  CHECK(broken.diagnostics.size() == 1);
  CHECK(broken.diagnostics[0].line == 2);
}

TEST_CASE("command file: rendering what is left reads back to the same entries",
          "[config][command]") {
  const std::string text = R"(- relabel_all
- weird "quoted" thing
- update_dependents:gitea_db
- "true"
- {gc: [a, b]}
- gc: node-3
)";
  CommandFileParse parse = ParseCommandFile(text, "cmd.yml");
  REQUIRE(parse.entries.size() == 6);
  // The leader takes the runnable ones; the rest is written back.
  std::vector<CommandEntry> left;
  for (const auto& entry : parse.entries) {
    if (!entry.runnable() || entry.name == "gc") left.push_back(entry);
  }
  std::string rendered = RenderCommandFile(left);
  CHECK(rendered == "- \"weird \\\"quoted\\\" thing\"\n- \"true\"\n- {gc: [a, b]}\n- gc:node-3\n");
  CommandFileParse again = ParseCommandFile(rendered, "cmd.yml");
  CHECK(Texts(again.entries) == Texts(left));
  CHECK(again.entries[2].raw_yaml);
  CHECK(again.entries[3].runnable());

  CHECK(RenderCommandFile({}) == "[]\n");
  CHECK(ParseCommandFile(RenderCommandFile({}), "cmd.yml").entries.empty());
  // Round trip of everything, texts unchanged.
  CHECK(Texts(ParseCommandFile(RenderCommandFile(parse.entries), "cmd.yml").entries) ==
        Texts(parse.entries));
}

}  // namespace
}  // namespace orcastra::config
