// agent::ParseLogrotate on a logrotate.d file (anyone who can write LOGROTATE_DIR feeds the
// agent). Invariants: nothing throws; an error starts with the file's name and a line
// ("app.conf:<n>: "); every rule has at least one absolute pattern, a source in the file, and
// keeps a rotate count of -1 or more; the same file read twice (ParseLogrotateFiles) is refused
// for naming its patterns twice.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/logrotate/rules.h"
#include "common/strings.h"
#include "tests/fuzz/fuzz_check.h"

using namespace orcastra;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::Bytes(data, size));
  auto parsed = agent::ParseLogrotate(text, "app.conf");
  if (!parsed.ok()) {
    const std::string message = parsed.status().message();
    FUZZ_CHECK(message.starts_with("app.conf:"));
    const std::size_t colon = message.find(':', 9);
    FUZZ_CHECK(colon != std::string::npos &&
               AllDigits(std::string_view(message).substr(9, colon - 9)));
    return 0;
  }
  for (const auto& rule : parsed->rules) {
    FUZZ_CHECK(!rule.patterns.empty());
    for (const auto& pattern : rule.patterns)
      FUZZ_CHECK(!pattern.empty() && pattern.front() == '/');
    FUZZ_CHECK(rule.source.starts_with("app.conf:"));
    FUZZ_CHECK(rule.rotate >= -1);
  }
  for (const auto& warning : parsed->warnings) FUZZ_CHECK(warning.starts_with("app.conf:"));
  if (!parsed->rules.empty()) {
    auto twice = agent::ParseLogrotateFiles({{"a.conf", text}, {"b.conf", text}});
    FUZZ_CHECK(!twice.ok());
  }
  return 0;
}
