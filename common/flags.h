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
#include <string_view>
#include <vector>

#include "common/status.h"

namespace orcastra {

struct ParsedFlags {
  std::map<std::string, std::string> values;  // name (without --) -> value ("" for booleans)
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  // The duration of --NAME (a bare number is seconds) from `min` to 1h, or `fallback` when the
  // flag is absent; the error names the flag.
  Result<std::chrono::milliseconds> Duration(const std::string& name, std::string_view fallback,
                                             std::chrono::milliseconds min) const;
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
  // The flag's value if given, else the environment variable's (unless empty), else nullopt.
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

// The longest duration ParseDuration() accepts (about 11 years): anything longer is a typo, and
// the limit keeps every later addition of a duration to a time point from overflowing.
inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(100'000);

// "5", "5s", "500ms", "2m", "1.5h" -> duration. A bare number means `bare_unit`. InvalidArgument
// for anything else: a sign, NaN or infinity, an unknown unit, more than kMaxDuration.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                std::chrono::milliseconds bare_unit);

// ParseDuration() within [min, max]; the error names `what`: "AUTOHEAL_INTERVAL='0': expected a
// duration from 1s to 1h (a bare number is seconds)".
Result<std::chrono::milliseconds> ParseDurationIn(std::string_view text,
                                                  std::chrono::milliseconds bare_unit,
                                                  std::chrono::milliseconds min,
                                                  std::chrono::milliseconds max,
                                                  const std::string& what);

// "500ms", "30s", "10m", "24h": the largest unit that divides `d` exactly, for messages.
std::string FormatDuration(std::chrono::milliseconds d);

// The environment variables of one daemon, read the same way everywhere: an empty value counts as
// unset (the variable keeps its default), and a value that cannot be used is InvalidArgument naming
// the variable and the accepted range. Each Read* leaves `out` unchanged when the variable is
// unset.
class EnvReader {
 public:
  explicit EnvReader(EnvLookup env) : env_(std::move(env)) {}

  // The value, or nullopt when unset or empty.
  std::optional<std::string> Get(const std::string& name) const;
  // The first of `names` that is set (DRY_RUN fallbacks: "GC_DRY_RUN", then "DRY_RUN").
  std::optional<std::string> FirstSet(const std::vector<std::string>& names) const;

  Status ReadBool(const std::string& name, bool* out) const;
  Status ReadInt(const std::string& name, std::int64_t min, std::int64_t max,
                 std::int64_t* out) const;
  Status ReadInt(const std::string& name, int min, int max, int* out) const;
  // A duration (a bare number is `bare_unit`) from `min` to `max`, converted to `Duration`; a
  // value that does not convert exactly (500ms into seconds) is an error too.
  template <typename Duration>
  Status ReadDuration(const std::string& name, std::chrono::milliseconds bare_unit,
                      std::chrono::milliseconds min, std::chrono::milliseconds max,
                      Duration* out) const {
    auto value = Get(name);
    if (!value) return Status::Ok();
    auto parsed = ParseDurationIn(*value, bare_unit, min, max, name);
    if (!parsed.ok()) return parsed.status();
    auto converted = std::chrono::duration_cast<Duration>(*parsed);
    if (std::chrono::duration_cast<std::chrono::milliseconds>(converted) != *parsed) {
      return Status::InvalidArgument(
          name + "='" + *value + "': must be whole " +
          FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(Duration(1))) +
          " units");
    }
    *out = converted;
    return Status::Ok();
  }

 private:
  EnvLookup env_;
};

}  // namespace orcastra
