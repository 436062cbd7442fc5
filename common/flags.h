// Command-line flags of the form `--name value`, `--name=value` and boolean `--name`, plus
// positional arguments. Each subcommand declares what it accepts; anything else is a usage error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace orcastra {

struct ParsedFlags {
  std::map<std::string, std::string> values;  // name (without --) -> value ("" for booleans)
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
};

struct FlagSpec {
  std::set<std::string> with_value;  // --name VALUE
  std::set<std::string> boolean;     // --name
};

// Parses `args` (without the program and subcommand names). InvalidArgument names the bad flag.
Result<ParsedFlags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec);

// Reads an environment variable; injectable so option parsing is testable.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

// A daemon's options: flags first, then the environment. No positional arguments are accepted.
class OptionSource {
 public:
  static Result<OptionSource> Parse(const std::vector<std::string>& args, const FlagSpec& spec,
                                    EnvLookup env);
  // The flag's value if given, else the environment variable's, else nullopt.
  std::optional<std::string> Value(const char* flag, const char* env_var) const;

 private:
  OptionSource(ParsedFlags flags, EnvLookup env) : flags_(std::move(flags)), env_(std::move(env)) {}
  ParsedFlags flags_;
  EnvLookup env_;
};

// A whole number in [min, max]; the error names `what` ("AUTOHEAL_MAX_RESTARTS '0' is not a whole
// number from 1 to 1000").
Result<std::int64_t> ParseInt(const std::string& text, std::int64_t min, std::int64_t max,
                              const std::string& what);

// A boolean environment value: true/false, 1/0, yes/no, on/off, any case; the empty string is
// false. The error names `name` ("GC_DRY_RUN='maybe': expected true or false").
Result<bool> ParseBool(const std::string& name, const std::string& value);

// A TCP port 1..65535; `what` names it in the error ("agent port '0' is not a TCP port").
Result<std::uint16_t> ParsePort(const std::string& text, const std::string& what);

// "5", "5s", "500ms", "2m", "1h" -> duration. A bare number means `bare_unit`. Refused: a negative
// number, NaN or infinity, and anything longer than kMaxDuration (so that adding it to any clock's
// time point cannot overflow).
inline constexpr std::chrono::hours kMaxDuration{100 * 8760};  // 100 years

Result<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                std::chrono::milliseconds bare_unit);

}  // namespace orcastra
