// config::ParseCommandFile on the command file (COMMAND_FILE, which anyone who can write it feeds
// the leader), and RenderCommandFile, which writes back the entries not taken. Invariants:
// config_invariants.h (there is no model: the file is never refused whole); a runnable entry has
// a known name; the rendered text reads back as the same entries (texts, raw or not) with no new
// problem.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/command_file.h"
#include "tests/fuzz/config_invariants.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = config::ParseCommandFile(fuzz::Bytes(data, size), "commands.yml");
  fuzz::CheckDiagnostics(parsed.diagnostics, {"commands.yml"},
                         !config::HasErrors(parsed.diagnostics));
  for (const auto& entry : parsed.entries) {
    if (entry.runnable()) FUZZ_CHECK(entry.known && !entry.raw_yaml);
  }
  if (parsed.entries.empty()) return 0;
  const std::string rendered = config::RenderCommandFile(parsed.entries);
  auto back = config::ParseCommandFile(rendered, "commands.yml");
  FUZZ_CHECK(back.entries.size() == parsed.entries.size());
  for (std::size_t i = 0; i < back.entries.size(); ++i) {
    FUZZ_CHECK(back.entries[i].text == parsed.entries[i].text);
    FUZZ_CHECK(back.entries[i].raw_yaml == parsed.entries[i].raw_yaml);
    FUZZ_CHECK(back.entries[i].runnable() == parsed.entries[i].runnable());
  }
  return 0;
}
