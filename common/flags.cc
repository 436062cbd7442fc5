#include "common/flags.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace orcastra {

std::optional<std::string> ParsedFlags::Get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Result<std::chrono::milliseconds> ParsedFlags::Duration(const std::string& name,
                                                        std::string_view fallback,
                                                        std::chrono::milliseconds min) const {
  const auto value = Get(name);
  return ParseDurationIn(value ? std::string_view(*value) : fallback, std::chrono::seconds(1), min,
                         std::chrono::hours(1), "--" + name);
}

Result<ParsedFlags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec) {
  ParsedFlags out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (spec.boolean.count(name)) {
      if (value) return Status::InvalidArgument("flag --" + name + " takes no value");
      out.values[name] = "";
    } else if (spec.with_value.count(name)) {
      if (!value) {
        if (i + 1 >= args.size())
          return Status::InvalidArgument("flag --" + name + " needs a value");
        value = args[++i];
      }
      out.values[name] = *value;
    } else {
      return Status::InvalidArgument("unknown flag --" + name);
    }
  }
  return out;
}

Result<OptionSource> OptionSource::Parse(const std::vector<std::string>& args, const FlagSpec& spec,
                                         EnvLookup env) {
  auto flags = ParseFlags(args, spec);
  if (!flags.ok()) return flags.status();
  if (!flags->positional.empty()) {
    return Status::InvalidArgument("unexpected argument '" + flags->positional.front() + "'");
  }
  return OptionSource(std::move(flags).value(), std::move(env));
}

std::optional<std::string> OptionSource::Value(const char* flag, const char* env_var) const {
  if (auto v = flags_.Get(flag)) return v;
  auto v = env_(env_var);
  if (v && v->empty()) return std::nullopt;  // an empty variable counts as unset
  return v;
}

Result<bool> ParseBool(const std::string& name, const std::string& value) {
  std::string v;
  for (char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  return Status::InvalidArgument(name + "='" + value + "': expected true or false");
}

Result<std::int64_t> ParseInt(const std::string& text, std::int64_t min, std::int64_t max,
                              const std::string& what) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return Status::InvalidArgument(what + " '" + text + "' is not a whole number from " +
                                   std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

Result<std::uint16_t> ParsePort(const std::string& text, const std::string& what) {
  if (!ParseInt(text, 1, 65535, what).ok()) {
    return Status::InvalidArgument(what + " '" + text + "' is not a TCP port");
  }
  return static_cast<std::uint16_t>(std::stoi(text));
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                std::chrono::milliseconds bare_unit) {
  std::string_view original = text;
  auto bad = [&] {
    return Status::InvalidArgument("'" + std::string(original) + "' is not a duration");
  };
  // Digits and at most one '.' first: no sign, exponent, "inf" or "nan".
  std::size_t digits = 0;
  bool dot = false;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || (text[digits] == '.' && !dot))) {
    dot = dot || text[digits] == '.';
    ++digits;
  }
  if (digits == 0 || (digits == 1 && dot)) return bad();
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || ptr != text.data() + digits || !std::isfinite(number)) return bad();
  std::string_view unit = text.substr(digits);
  double ms = 0;
  if (unit.empty()) {
    ms = number * static_cast<double>(bare_unit.count());
  } else if (unit == "ms") {
    ms = number;
  } else if (unit == "s") {
    ms = number * 1000;
  } else if (unit == "m") {
    ms = number * 60'000;
  } else if (unit == "h") {
    ms = number * 3'600'000;
  } else {
    return Status::InvalidArgument("'" + std::string(original) + "': unknown unit '" +
                                   std::string(unit) + "' (use ms, s, m or h)");
  }
  if (!(ms <= static_cast<double>(kMaxDuration.count()))) {
    return Status::InvalidArgument("'" + std::string(original) + "' is longer than " +
                                   FormatDuration(kMaxDuration));
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

Result<std::chrono::milliseconds> ParseDurationIn(std::string_view text,
                                                  std::chrono::milliseconds bare_unit,
                                                  std::chrono::milliseconds min,
                                                  std::chrono::milliseconds max,
                                                  const std::string& what) {
  auto parsed = ParseDuration(text, bare_unit);
  if (!parsed.ok() || *parsed < min || *parsed > max) {
    std::string unit = bare_unit == std::chrono::seconds(1) ? "seconds" : FormatDuration(bare_unit);
    return Status::InvalidArgument(what + "='" + std::string(text) +
                                   "': expected a duration from " + FormatDuration(min) + " to " +
                                   FormatDuration(max) + " (a bare number is " + unit + ")");
  }
  return *parsed;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::string> EnvReader::Get(const std::string& name) const {
  auto value = env_(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::optional<std::string> EnvReader::FirstSet(const std::vector<std::string>& names) const {
  for (const std::string& name : names) {
    if (Get(name)) return name;
  }
  return std::nullopt;
}

Status EnvReader::ReadBool(const std::string& name, bool* out) const {
  auto value = Get(name);
  if (!value) return Status::Ok();
  auto parsed = ParseBool(name, *value);
  if (!parsed.ok()) return parsed.status();
  *out = *parsed;
  return Status::Ok();
}

Status EnvReader::ReadInt(const std::string& name, std::int64_t min, std::int64_t max,
                          std::int64_t* out) const {
  auto value = Get(name);
  if (!value) return Status::Ok();
  auto parsed = ParseInt(*value, min, max, name);
  if (!parsed.ok()) return parsed.status();
  *out = *parsed;
  return Status::Ok();
}

Status EnvReader::ReadInt(const std::string& name, int min, int max, int* out) const {
  std::int64_t value = *out;
  ORC_RETURN_IF_ERROR(ReadInt(name, std::int64_t{min}, std::int64_t{max}, &value));
  *out = static_cast<int>(value);
  return Status::Ok();
}

}  // namespace orcastra
