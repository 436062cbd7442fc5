#include "agent/logrotate.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <variant>

#include "common/strings.h"

namespace orcastra::agent {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;

// ---------------------------------------------------------------------------------------------
// Small text helpers

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string Quote(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), IsDigit);
}

// A decimal number without sign that fits in 64 bits.
std::optional<std::uint64_t> ParseU64(std::string_view text) {
  if (!AllDigits(text)) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string TwoDigits(long long value) {
  std::string out = std::to_string(value);
  if (out.size() < 2) out.insert(0, "0");
  return out;
}

// Civil fields of a wall time at a fixed offset.
struct Civil {
  std::chrono::sys_days day;
  int year = 0;
  unsigned month = 0;
  unsigned day_of_month = 0;
  unsigned weekday = 0;  // 0 = Sunday
  long long hour = 0;
  long long minute = 0;
  long long second = 0;
};

Civil ToCivil(WallTime t, minutes offset) {
  auto local = std::chrono::floor<seconds>(t) + offset;
  Civil c;
  c.day = std::chrono::floor<days>(local);
  std::chrono::year_month_day ymd{c.day};
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<unsigned>(ymd.month());
  c.day_of_month = static_cast<unsigned>(ymd.day());
  c.weekday = std::chrono::weekday{c.day}.c_encoding();
  long long second_of_day = (local - c.day).count();
  c.hour = second_of_day / 3600;
  c.minute = second_of_day / 60 % 60;
  c.second = second_of_day % 60;
  return c;
}

std::string OffsetSuffix(minutes offset) {
  if (offset.count() == 0) return " UTC";
  long long total = offset.count();
  std::string out = total < 0 ? " UTC-" : " UTC+";
  if (total < 0) total = -total;
  return out + TwoDigits(total / 60) + ":" + TwoDigits(total % 60);
}

// "2024-03-01 10:00:00 UTC" (or "UTC+02:00").
std::string FormatTime(WallTime t, minutes offset) {
  Civil c = ToCivil(t, offset);
  return std::to_string(c.year) + "-" + TwoDigits(c.month) + "-" + TwoDigits(c.day_of_month) + " " +
         TwoDigits(c.hour) + ":" + TwoDigits(c.minute) + ":" + TwoDigits(c.second) +
         OffsetSuffix(offset);
}

// ---------------------------------------------------------------------------------------------
// Tokens of a config line

struct Token {
  std::string text;
  bool quoted = false;
};

// Splits a line into whitespace-separated tokens. "..." and '...' quote (no escapes); an unquoted
// '#' at the start of a token ends the line; a '{' glued to the end of an unquoted token is split
// off. Returns an error message for an unterminated quote.
std::optional<std::string> Tokenize(std::string_view line, std::vector<Token>* tokens) {
  std::size_t i = 0;
  while (i < line.size()) {
    if (IsSpace(line[i])) {
      ++i;
      continue;
    }
    char c = line[i];
    if (c == '#') break;
    if (c == '"' || c == '\'') {
      std::size_t close = line.find(c, i + 1);
      if (close == std::string_view::npos) {
        return "unterminated quote in " + Quote(Trim(line.substr(i)));
      }
      tokens->push_back({std::string(line.substr(i + 1, close - i - 1)), true});
      i = close + 1;
      continue;
    }
    std::size_t start = i;
    while (i < line.size() && !IsSpace(line[i]) && line[i] != '"' && line[i] != '\'') ++i;
    std::string_view word = line.substr(start, i - start);
    if (word.size() > 1 && word.back() == '{') {
      tokens->push_back({std::string(word.substr(0, word.size() - 1)), false});
      tokens->push_back({"{", false});
    } else {
      tokens->push_back({std::string(word), false});
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Values

// "100", "100k", "100K", "10M", "10m", "1G", "1g" in bytes (suffixes are powers of 1024).
std::optional<std::uint64_t> ParseSize(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        unit = std::uint64_t{1} << 10;
        break;
      case 'm':
      case 'M':
        unit = std::uint64_t{1} << 20;
        break;
      case 'g':
      case 'G':
        unit = std::uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (unit != 1) text.remove_suffix(1);
  }
  std::optional<std::uint64_t> number = ParseU64(text);
  if (!number || *number > std::numeric_limits<std::uint64_t>::max() / unit) return std::nullopt;
  return *number * unit;
}

constexpr std::array<std::string_view, 31> kSignalNames = {
    "HUP",  "INT",  "QUIT", "ILL",  "TRAP",   "ABRT",   "IOT",   "BUS",  "FPE",  "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD",  "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "IO",   "PWR"};

// "hup", "SIGHUP", "usr1" -> "SIGHUP", "SIGUSR1"; "10" -> "10" (1-64); nullopt otherwise.
std::optional<std::string> NormalizeSignal(std::string_view text) {
  if (AllDigits(text)) {
    std::optional<std::uint64_t> number = ParseU64(text);
    if (!number || *number < 1 || *number > 64) return std::nullopt;
    return std::to_string(*number);
  }
  std::string upper;
  for (char c : text) upper += Upper(c);
  std::string_view name = upper;
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (std::string_view known : kSignalNames) {
    if (name == known) return "SIG" + std::string(known);
  }
  return std::nullopt;
}

// Docker's container name rule ([a-zA-Z0-9][a-zA-Z0-9_.-]*), which ids also satisfy.
bool IsContainerName(std::string_view text) {
  if (text.empty() || !IsAlnum(text.front())) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

// Directives of logrotate(8) that Orcastra refuses, with why where it helps.
struct Unsupported {
  std::string_view name;
  std::string_view why;
};

constexpr Unsupported kUnsupported[] = {
    {"dateext",
     "rotated files are always named path.1, path.2, ...; dateext names would never expire"},
    {"dateformat", "dateext is not supported"},
    {"dateyesterday", "dateext is not supported"},
    {"datehourago", "dateext is not supported"},
    {"olddir", "rotated files stay next to the log"},
    {"noolddir", ""},
    {"createolddir", "olddir is not supported"},
    {"nocreateolddir", "olddir is not supported"},
    {"maxage", ""},
    {"minage", ""},
    {"include", "every file of logrotate.d is read already"},
    {"tabooext", ""},
    {"taboopat", ""},
    {"copy", ""},
    {"nocopy", ""},
    {"renamecopy", ""},
    {"su", "the agent rotates as its own user"},
    {"compresscmd", "compression is always gzip"},
    {"uncompresscmd", "compression is always gzip"},
    {"compressext", "compression is always gzip"},
    {"compressoptions", "compression is always gzip"},
    {"extension", ""},
    {"addextension", ""},
    {"start", "rotated copies are numbered from 1"},
    {"mail", ""},
    {"nomail", ""},
    {"mailfirst", ""},
    {"maillast", ""},
    {"shred", ""},
    {"noshred", ""},
    {"shredcycles", ""},
    {"allowhardlink", ""},
    {"noallowhardlink", ""},
    {"ignoreduplicates", ""},
    {"prerotate", "Orcastra runs no scripts; only postrotate's docker kill/restart is understood"},
    {"firstaction",
     "Orcastra runs no scripts; only postrotate's docker kill/restart is understood"},
    {"lastaction", "Orcastra runs no scripts; only postrotate's docker kill/restart is understood"},
    {"preremove", "Orcastra runs no scripts; only postrotate's docker kill/restart is understood"},
};

constexpr std::string_view kSupportedNames[] = {
    "hourly",     "daily",         "weekly",          "monthly",        "yearly",
    "size",       "minsize",       "maxsize",         "rotate",         "compress",
    "nocompress", "delaycompress", "nodelaycompress", "missingok",      "nomissingok",
    "notifempty", "ifempty",       "copytruncate",    "nocopytruncate", "create",
    "nocreate",   "sharedscripts", "nosharedscripts", "postrotate",     "endscript",
    "signal",     "nodateext"};

// " (did you mean 'compress'?)" for a near miss of a supported directive, else "".
std::string Suggestion(std::string_view name) {
  std::string_view best = ClosestMatch(
      name, std::vector<std::string_view>(std::begin(kSupportedNames), std::end(kSupportedNames)));
  if (best.empty() || name.size() < 3) return "";
  return " (did you mean " + Quote(best) + "?)";
}

// ---------------------------------------------------------------------------------------------
// postrotate lines

// True when `tokens[i]` starts the allowed shell tail: redirections to /dev/null or `|| true`.
bool StartsShellTail(const std::string& token) {
  return token == "||" || token.find('>') != std::string::npos;
}

// Checks the tail `tokens[from..]`: redirections of stdout/stderr to /dev/null (or 2>&1), then an
// optional `|| true` / `|| :`. Returns an error message when it is anything else.
std::optional<std::string> CheckShellTail(const std::vector<Token>& tokens, std::size_t from) {
  std::size_t i = from;
  while (i < tokens.size() && tokens[i].text != "||") {
    const std::string& t = tokens[i].text;
    static constexpr std::string_view kOperators[] = {">", "1>", "2>", "&>", ">>", "1>>", "2>>"};
    bool operator_only =
        std::find(std::begin(kOperators), std::end(kOperators), t) != std::end(kOperators);
    if (operator_only) {
      if (i + 1 >= tokens.size() || tokens[i + 1].text != "/dev/null") {
        return "only redirections to /dev/null are understood, got " + Quote(t);
      }
      i += 2;
      continue;
    }
    bool ok = false;
    for (std::string_view op : kOperators) {
      if (t.size() > op.size() && t.compare(0, op.size(), op) == 0) {
        std::string_view target = std::string_view(t).substr(op.size());
        ok = target == "/dev/null" || (op == "2>" && (target == "&1"));
        if (ok) break;
      }
    }
    if (!ok) return "only redirections to /dev/null are understood, got " + Quote(t);
    ++i;
  }
  if (i < tokens.size()) {
    // "||" must be followed by exactly one no-op command.
    if (i + 2 != tokens.size() || (tokens[i + 1].text != "true" && tokens[i + 1].text != ":" &&
                                   tokens[i + 1].text != "/bin/true")) {
      return std::string("only '|| true' may follow the command");
    }
  }
  return std::nullopt;
}

constexpr std::string_view kPostrotateHelp =
    "Orcastra runs no shell; postrotate understands only 'docker kill -s SIGNAL CONTAINER...' and "
    "'docker restart CONTAINER...' (or use the directive 'signal CONTAINER [SIGNAL]')";

// Turns one postrotate line into actions, or an error message (without the location).
std::optional<std::string> ParsePostrotateLine(std::string_view line, std::string_view location,
                                               std::vector<PostRotateAction>* actions) {
  std::vector<Token> tokens;
  if (auto error = Tokenize(line, &tokens)) return *error;
  std::size_t tail = 0;
  while (tail < tokens.size() && !StartsShellTail(tokens[tail].text)) ++tail;
  const std::string got = ", got " + Quote(Trim(line));

  std::vector<std::string> words;
  for (std::size_t i = 0; i < tail; ++i) words.push_back(tokens[i].text);
  std::size_t w = 0;
  auto is_docker = [](std::string_view word) {
    return word == "docker" ||
           (word.size() > 7 && word.front() == '/' && word.substr(word.size() - 7) == "/docker");
  };
  if (words.empty() || !is_docker(words[0])) return std::string(kPostrotateHelp) + got;
  ++w;
  if (w < words.size() && words[w] == "container") ++w;
  if (w >= words.size() || (words[w] != "kill" && words[w] != "restart")) {
    return std::string(kPostrotateHelp) + got;
  }
  if (auto error = CheckShellTail(tokens, tail)) return *error + got;
  const bool kill = words[w] == "kill";
  ++w;

  std::optional<std::string> signal;
  std::vector<std::string> names;
  for (; w < words.size(); ++w) {
    const std::string& word = words[w];
    if (word.empty() || word.front() != '-') {
      if (!IsContainerName(word)) return Quote(word) + " is not a container name" + got;
      names.push_back(word);
      continue;
    }
    if (!kill) return "docker restart: option " + Quote(word) + " is not supported" + got;
    std::string value;
    if (word == "-s" || word == "--signal") {
      if (w + 1 >= words.size()) return "docker kill: " + word + " needs a signal" + got;
      value = words[++w];
    } else if (word.rfind("--signal=", 0) == 0) {
      value = word.substr(9);
    } else if (word.size() > 2 && word.rfind("-s", 0) == 0) {
      value = word.substr(2);
    } else {
      return "docker kill: option " + Quote(word) + " is not supported" + got;
    }
    if (signal) return "docker kill: the signal is given twice" + got;
    signal = NormalizeSignal(value);
    if (!signal) return "docker kill: " + Quote(value) + " is not a signal" + got;
  }
  if (names.empty()) return "no container named" + got;
  if (kill && !signal) {
    return "docker kill without -s sends SIGKILL and stops the container; name the signal (-s HUP, "
           "or -s KILL if that is really meant)" +
           got;
  }
  for (const std::string& name : names) {
    PostRotateAction action;
    action.kind = kill ? PostRotateAction::Kind::kSignal : PostRotateAction::Kind::kRestart;
    action.container = name;
    if (kill) action.signal = *signal;
    action.source = std::string(location);
    actions->push_back(std::move(action));
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The parser

// The directives in effect for the file's defaults or for one block, and where period and size
// were set in that scope (for the "both given" warning).
struct Scope {
  LogrotateRule rule;
  int period_line = 0;
  int size_line = 0;
};

class Parser {
 public:
  Parser(LogrotateConfig* config, std::map<std::string, std::string>* pattern_sources)
      : config_(config), pattern_sources_(pattern_sources) {}

  Status ParseFile(std::string_view text, std::string_view source) {
    source_ = std::string(source);
    Scope defaults;
    state_ = State::kTop;
    int line_number = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_number;
      if (end == text.size() && line.empty()) break;
      ORC_RETURN_IF_ERROR(ParseLine(line, line_number, &defaults));
    }
    switch (state_) {
      case State::kTop:
        return Status::Ok();
      case State::kPendingBrace:
        return Error(open_line_, "log paths without a block: '{' expected");
      case State::kBlock:
        return Error(open_line_, "the block for " + Quote(block_.rule.patterns.front()) +
                                     " is not closed: '}' expected");
      case State::kScript:
        return Error(script_line_, "postrotate is not closed: endscript expected");
    }
    return Status::Ok();
  }

 private:
  enum class State { kTop, kPendingBrace, kBlock, kScript };

  Status Error(int line, const std::string& message) const {
    return Status::ParseError(source_ + ":" + std::to_string(line) + ": " + message);
  }
  std::string Where(int line) const { return source_ + ":" + std::to_string(line); }

  Status ParseLine(std::string_view raw, int line, Scope* defaults) {
    std::string_view trimmed = Trim(raw);
    if (state_ == State::kScript) return ParseScriptLine(trimmed, line);
    if (trimmed.empty() || trimmed.front() == '#') return Status::Ok();

    std::vector<Token> tokens;
    if (auto error = Tokenize(trimmed, &tokens)) return Error(line, *error);
    if (tokens.empty()) return Status::Ok();
    const Token& first = tokens.front();
    // A path line starts with '/' or a quoted name; a line ending in '{' is one too, so that a
    // relative path is reported as such rather than as an unknown directive.
    const bool is_path = first.quoted || first.text.front() == '/' ||
                         (tokens.size() > 1 && !tokens.back().quoted && tokens.back().text == "{");

    if (state_ == State::kPendingBrace) {
      if (!is_path && !(first.text == "{" && !first.quoted)) {
        return Error(line, "'{' expected after the log paths of line " +
                               std::to_string(open_line_) + ", got " + Quote(first.text));
      }
      return ParsePathLine(tokens, line, *defaults);
    }
    if (!first.quoted && first.text == "}") {
      if (tokens.size() > 1)
        return Error(line, "unexpected " + Quote(tokens[1].text) + " after '}'");
      if (state_ != State::kBlock) return Error(line, "'}' without a block to close");
      return CloseBlock();
    }
    if (!first.quoted && first.text == "{") {
      if (state_ == State::kBlock) {
        return Error(line, "nested block: the block opened at line " + std::to_string(open_line_) +
                               " is not closed");
      }
      return Error(line, "'{' without log paths before it");
    }
    if (is_path) {
      if (state_ == State::kBlock) {
        return Error(line, "nested block or path " + Quote(first.text) +
                               " inside the block opened at line " + std::to_string(open_line_) +
                               " ('}' missing?)");
      }
      return ParsePathLine(tokens, line, *defaults);
    }
    Scope* scope = state_ == State::kBlock ? &block_ : defaults;
    return ParseDirective(tokens, line, scope);
  }

  // Paths, optionally ending with '{' (or a lone '{' after paths on earlier lines).
  Status ParsePathLine(const std::vector<Token>& tokens, int line, const Scope& defaults) {
    if (state_ == State::kTop) {
      block_ = defaults;
      block_.rule.source = Where(line);
      block_.rule.patterns.clear();
      block_.period_line = 0;
      block_.size_line = 0;
      open_line_ = line;
      state_ = State::kPendingBrace;
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const Token& token = tokens[i];
      if (!token.quoted && token.text == "{") {
        if (i + 1 < tokens.size()) {
          return Error(line, "unexpected " + Quote(tokens[i + 1].text) +
                                 " after '{' (one directive per line)");
        }
        if (block_.rule.patterns.empty()) return Error(line, "'{' without log paths before it");
        state_ = State::kBlock;
        return Status::Ok();
      }
      if (!token.quoted && token.text == "}") {
        return Error(line, "'}' after log paths: the block has no '{'");
      }
      if (token.text.empty() || token.text.front() != '/') {
        return Error(line, "log path " + Quote(token.text) + " is not an absolute path");
      }
      for (const std::string& earlier : block_.rule.patterns) {
        if (earlier == token.text) {
          return Error(line, "log path " + Quote(token.text) + " is listed twice");
        }
      }
      block_.rule.patterns.push_back(token.text);
    }
    return Status::Ok();
  }

  Status CloseBlock() {
    LogrotateRule& rule = block_.rule;
    for (const std::string& pattern : rule.patterns) {
      auto [it, inserted] = pattern_sources_->emplace(pattern, rule.source);
      if (!inserted) {
        return Status::ParseError(rule.source + ": duplicate log entry for " + Quote(pattern) +
                                  " (first at " + it->second + ")");
      }
    }
    if (rule.delay_compress && !rule.compress) {
      config_->warnings.push_back(rule.source + ": delaycompress has no effect without compress");
    }
    if (rule.create && rule.copy_truncate) {
      config_->warnings.push_back(rule.source +
                                  ": create has no effect with copytruncate (the log stays in "
                                  "place)");
    }
    config_->rules.push_back(std::move(rule));
    state_ = State::kTop;
    return Status::Ok();
  }

  Status ParseScriptLine(std::string_view trimmed, int line) {
    if (trimmed.empty() || trimmed.front() == '#') return Status::Ok();
    std::vector<Token> tokens;
    if (!Tokenize(trimmed, &tokens) && !tokens.empty() && !tokens[0].quoted &&
        tokens[0].text == "endscript") {
      if (tokens.size() > 1) {
        return Error(line, "endscript: takes no argument, got " + Quote(tokens[1].text));
      }
      state_ = State::kBlock;
      return Status::Ok();
    }
    if (trimmed == "}") {
      return Error(line, "postrotate: '}' before endscript (the postrotate of line " +
                             std::to_string(script_line_) + " is not closed)");
    }
    if (auto error = ParsePostrotateLine(trimmed, Where(line), &block_.rule.post_rotate)) {
      return Error(line, "postrotate: " + *error);
    }
    return Status::Ok();
  }

  void SetPeriod(Scope* scope, RotatePeriod period, int line) {
    scope->rule.period = period;
    scope->period_line = line;
    if (scope->size_line != 0) WarnSizeAndPeriod(*scope, line);
  }

  void WarnSizeAndPeriod(const Scope& scope, int line) {
    config_->warnings.push_back(Where(line) + ": size (line " + std::to_string(scope.size_line) +
                                ") and " + std::string(PeriodName(scope.rule.period)) + " (line " +
                                std::to_string(scope.period_line) +
                                ") are both given; size alone decides");
  }

  Status ParseDirective(std::vector<Token> tokens, int line, Scope* scope) {
    // "size=100k", "size = 100k", "size =100k".
    std::string name = tokens.front().text;
    std::vector<std::string> args;
    std::size_t equals = name.find('=');
    if (equals != std::string::npos && !tokens.front().quoted) {
      std::string value = name.substr(equals + 1);
      name.resize(equals);
      if (!value.empty()) args.push_back(value);
    }
    for (std::size_t i = 1; i < tokens.size(); ++i) args.push_back(tokens[i].text);
    if (equals == std::string::npos && !args.empty() && args.front().rfind('=', 0) == 0) {
      args.front().erase(0, 1);
      if (args.front().empty()) args.erase(args.begin());
    }

    LogrotateRule& rule = scope->rule;
    const bool in_block = state_ == State::kBlock;
    auto no_args = [&]() -> Status {
      if (!args.empty()) {
        return Error(line, name + ": takes no argument, got " + Quote(args.front()));
      }
      return Status::Ok();
    };
    auto one_arg = [&]() -> Status {
      if (args.empty()) return Error(line, name + ": value missing");
      if (args.size() > 1) return Error(line, name + ": unexpected " + Quote(args[1]));
      return Status::Ok();
    };
    auto size_arg = [&](std::optional<std::uint64_t>* out) -> Status {
      ORC_RETURN_IF_ERROR(one_arg());
      std::optional<std::uint64_t> bytes = ParseSize(args.front());
      if (!bytes) {
        return Error(line, name + ": " + Quote(args.front()) +
                               " is not a size (bytes, or a number followed by k, M or G)");
      }
      *out = bytes;
      return Status::Ok();
    };
    auto flag = [&](bool* field, bool value) -> Status {
      ORC_RETURN_IF_ERROR(no_args());
      *field = value;
      return Status::Ok();
    };

    static constexpr std::pair<std::string_view, RotatePeriod> kPeriods[] = {
        {"hourly", RotatePeriod::kHourly},
        {"daily", RotatePeriod::kDaily},
        {"weekly", RotatePeriod::kWeekly},
        {"monthly", RotatePeriod::kMonthly},
        {"yearly", RotatePeriod::kYearly}};
    for (const auto& [period_name, period] : kPeriods) {
      if (name == period_name) {
        ORC_RETURN_IF_ERROR(no_args());
        SetPeriod(scope, period, line);
        return Status::Ok();
      }
    }

    if (name == "size") {
      ORC_RETURN_IF_ERROR(size_arg(&rule.size));
      scope->size_line = line;
      if (scope->period_line != 0) WarnSizeAndPeriod(*scope, line);
      return Status::Ok();
    }
    if (name == "minsize") return size_arg(&rule.min_size);
    if (name == "maxsize") return size_arg(&rule.max_size);
    if (name == "rotate") {
      ORC_RETURN_IF_ERROR(one_arg());
      const std::string& value = args.front();
      if (value == "-1") {
        rule.rotate = -1;
        return Status::Ok();
      }
      std::optional<std::uint64_t> count = ParseU64(value);
      if (!count) {
        return Error(line, "rotate: " + Quote(value) + " is not a number");
      }
      if (*count > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        return Error(line, "rotate: " + value + " is too large");
      }
      rule.rotate = static_cast<int>(*count);
      return Status::Ok();
    }
    if (name == "compress") return flag(&rule.compress, true);
    if (name == "nocompress") return flag(&rule.compress, false);
    if (name == "delaycompress") return flag(&rule.delay_compress, true);
    if (name == "nodelaycompress") return flag(&rule.delay_compress, false);
    if (name == "missingok") return flag(&rule.missing_ok, true);
    if (name == "nomissingok") return flag(&rule.missing_ok, false);
    if (name == "notifempty") return flag(&rule.not_if_empty, true);
    if (name == "ifempty") return flag(&rule.not_if_empty, false);
    if (name == "copytruncate") return flag(&rule.copy_truncate, true);
    if (name == "nocopytruncate") return flag(&rule.copy_truncate, false);
    if (name == "sharedscripts") return flag(&rule.shared_scripts, true);
    if (name == "nosharedscripts") return flag(&rule.shared_scripts, false);
    if (name == "nodateext") return no_args();
    if (name == "nocreate") {
      ORC_RETURN_IF_ERROR(no_args());
      rule.create.reset();
      return Status::Ok();
    }
    if (name == "create") return ParseCreate(args, line, &rule);
    if (name == "postrotate") {
      if (!in_block) return Error(line, "postrotate: only allowed inside a block");
      ORC_RETURN_IF_ERROR(no_args());
      script_line_ = line;
      state_ = State::kScript;
      return Status::Ok();
    }
    if (name == "endscript") return Error(line, "endscript without postrotate");
    if (name == "signal") {
      if (!in_block) return Error(line, "signal: only allowed inside a block");
      if (args.empty()) return Error(line, "signal: container missing (signal CONTAINER [SIGNAL])");
      if (args.size() > 2) return Error(line, "signal: unexpected " + Quote(args[2]));
      if (!IsContainerName(args[0])) {
        return Error(line, "signal: " + Quote(args[0]) + " is not a container name");
      }
      PostRotateAction action;
      action.kind = PostRotateAction::Kind::kSignal;
      action.container = args[0];
      std::optional<std::string> signal =
          NormalizeSignal(args.size() > 1 ? std::string_view(args[1]) : "HUP");
      if (!signal) return Error(line, "signal: " + Quote(args[1]) + " is not a signal");
      action.signal = *signal;
      action.source = Where(line);
      rule.post_rotate.push_back(std::move(action));
      return Status::Ok();
    }

    for (const Unsupported& unsupported : kUnsupported) {
      if (name == unsupported.name) {
        std::string message = name + ": not supported by Orcastra";
        if (!unsupported.why.empty()) message += " (" + std::string(unsupported.why) + ")";
        return Error(line, message);
      }
    }
    return Error(line, "unknown directive " + Quote(name) + Suggestion(name));
  }

  // create [MODE] [OWNER [GROUP]]
  Status ParseCreate(const std::vector<std::string>& args, int line, LogrotateRule* rule) {
    CreateSpec spec;
    std::size_t i = 0;
    if (i < args.size() && AllDigits(args[i])) {
      const std::string& mode = args[i];
      bool octal = mode.size() <= 4 &&
                   std::all_of(mode.begin(), mode.end(), [](char c) { return c <= '7'; });
      if (!octal) {
        return Error(line, "create: " + Quote(mode) + " is not an octal mode such as 0640");
      }
      std::uint32_t bits = 0;
      for (char c : mode) bits = bits * 8 + static_cast<std::uint32_t>(c - '0');
      spec.mode = bits;
      ++i;
    }
    auto valid_id = [](const std::string& id) {
      return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return IsAlnum(c) || c == '_' || c == '-' || c == '.' || c == '$';
      });
    };
    if (i < args.size()) {
      if (!valid_id(args[i])) return Error(line, "create: " + Quote(args[i]) + " is not a user");
      spec.owner = args[i++];
    }
    if (i < args.size()) {
      if (!valid_id(args[i])) return Error(line, "create: " + Quote(args[i]) + " is not a group");
      spec.group = args[i++];
    }
    if (i < args.size()) {
      return Error(line,
                   "create: unexpected " + Quote(args[i]) + " (create [MODE] [OWNER [GROUP]])");
    }
    rule->create = spec;
    return Status::Ok();
  }

  LogrotateConfig* config_;
  std::map<std::string, std::string>* pattern_sources_;  // pattern -> "file:line" of its block
  std::string source_;
  State state_ = State::kTop;
  Scope block_;
  int open_line_ = 0;
  int script_line_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Decision

bool PeriodDue(RotatePeriod period, WallTime last, WallTime now, minutes offset) {
  Civil a = ToCivil(last, offset);
  Civil b = ToCivil(now, offset);
  switch (period) {
    case RotatePeriod::kNone:
      return false;
    case RotatePeriod::kHourly:
      return a.day != b.day || a.hour != b.hour;
    case RotatePeriod::kDaily:
      return a.day != b.day;
    case RotatePeriod::kWeekly:
      return b.weekday < a.weekday || now - last >= days(7);
    case RotatePeriod::kMonthly:
      return a.year != b.year || a.month != b.month;
    case RotatePeriod::kYearly:
      return a.year != b.year;
  }
  return false;
}

Decision Make(bool rotate, DecisionReason reason, std::string explanation) {
  Decision decision;
  decision.rotate = rotate;
  decision.reason = reason;
  decision.explanation = std::move(explanation);
  return decision;
}

// ---------------------------------------------------------------------------------------------
// Plans

std::string NumberedName(std::string_view path, long long index, bool compressed) {
  std::string name(path);
  name += "." + std::to_string(index);
  if (compressed) name += kCompressedSuffix;
  return name;
}

struct RotatedCopy {
  long long index = 0;
  bool compressed = false;
  std::string name;
};

// The rotated copies of `path` among `existing`, oldest (highest index) first.
std::vector<RotatedCopy> FindRotated(std::string_view path,
                                     const std::vector<std::string>& existing) {
  std::vector<RotatedCopy> copies;
  for (const std::string& name : existing) {
    std::string_view rest = name;
    if (rest.size() <= path.size() + 1 || rest.substr(0, path.size()) != path ||
        rest[path.size()] != '.') {
      continue;
    }
    rest.remove_prefix(path.size() + 1);
    bool compressed = false;
    if (rest.size() > kCompressedSuffix.size() &&
        rest.substr(rest.size() - kCompressedSuffix.size()) == kCompressedSuffix) {
      compressed = true;
      rest.remove_suffix(kCompressedSuffix.size());
    }
    if (!AllDigits(rest) || rest.front() == '0' || rest.size() > 9) continue;
    copies.push_back({static_cast<long long>(*ParseU64(rest)), compressed, name});
  }
  std::sort(copies.begin(), copies.end(), [](const RotatedCopy& a, const RotatedCopy& b) {
    if (a.index != b.index) return a.index > b.index;
    return a.compressed < b.compressed;
  });
  copies.erase(std::unique(copies.begin(), copies.end(),
                           [](const RotatedCopy& a, const RotatedCopy& b) {
                             return a.index == b.index && a.compressed == b.compressed;
                           }),
               copies.end());
  return copies;
}

// The three parts of one file's plan, so sharedscripts can put them in another order.
struct FilePlan {
  std::vector<RotationAction> files;     // steps 1-4
  std::vector<RotationAction> compress;  // step 6
};

RotationAction Action(RotationAction::Kind kind, std::string path, std::string target = "") {
  RotationAction action;
  action.kind = kind;
  action.path = std::move(path);
  action.target = std::move(target);
  return action;
}

FilePlan PlanFile(const LogrotateRule& rule, std::string_view path,
                  const std::vector<std::string>& existing) {
  using Kind = RotationAction::Kind;
  FilePlan plan;
  const long long keep = rule.rotate;
  std::vector<RotatedCopy> copies = FindRotated(path, existing);
  bool uncompressed_first = false;  // an uncompressed path.1 moves to path.2
  bool compressed_second = false;   // a path.2.gz will exist after the shift
  for (const RotatedCopy& copy : copies) {
    if (keep >= 0 && copy.index >= keep) {
      plan.files.push_back(Action(Kind::kDelete, copy.name));
    }
  }
  for (const RotatedCopy& copy : copies) {
    if (keep >= 0 && copy.index >= keep) continue;
    plan.files.push_back(
        Action(Kind::kRename, copy.name, NumberedName(path, copy.index + 1, copy.compressed)));
    if (copy.index == 1 && !copy.compressed) uncompressed_first = true;
    if (copy.index == 1 && copy.compressed) compressed_second = true;
  }
  const std::string live(path);
  const std::string first = NumberedName(path, 1, false);
  if (keep == 0) {
    plan.files.push_back(Action(rule.copy_truncate ? Kind::kTruncate : Kind::kDelete, live));
  } else if (rule.copy_truncate) {
    plan.files.push_back(Action(Kind::kCopy, live, first));
    plan.files.push_back(Action(Kind::kTruncate, live));
  } else {
    plan.files.push_back(Action(Kind::kRename, live, first));
  }
  if (rule.create && !rule.copy_truncate) {
    RotationAction create = Action(Kind::kCreate, live);
    create.create = *rule.create;
    plan.files.push_back(std::move(create));
  }
  if (rule.compress && keep != 0) {
    if (!rule.delay_compress) {
      plan.compress.push_back(
          Action(Kind::kCompress, first, first + std::string(kCompressedSuffix)));
    } else if (uncompressed_first && !compressed_second) {
      std::string second = NumberedName(path, 2, false);
      plan.compress.push_back(
          Action(Kind::kCompress, second, second + std::string(kCompressedSuffix)));
    }
  }
  return plan;
}

std::vector<RotationAction> PostActions(const LogrotateRule& rule) {
  std::vector<RotationAction> actions;
  for (const PostRotateAction& post : rule.post_rotate) {
    RotationAction action;
    action.kind = post.kind == PostRotateAction::Kind::kSignal ? RotationAction::Kind::kSignal
                                                               : RotationAction::Kind::kRestart;
    action.container = post.container;
    action.signal = post.signal;
    actions.push_back(std::move(action));
  }
  return actions;
}

void Append(std::vector<RotationAction>* out, std::vector<RotationAction> more) {
  for (RotationAction& action : more) out->push_back(std::move(action));
}

// ---------------------------------------------------------------------------------------------
// State file

std::string EscapePath(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Parses "Y-M-D-h:m:s" or "Y-M-D" into a time at `offset`, or returns an error message.
std::variant<WallTime, std::string> ParseStateTime(std::string_view text, minutes offset) {
  auto bad = [&]() { return std::string("date ") + Quote(text) + " is not Y-M-D-h:m:s"; };
  long long fields[6] = {0, 0, 0, 0, 0, 0};
  std::size_t count = 0;
  std::size_t i = 0;
  while (count < 6) {
    std::size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    std::string_view digits = text.substr(start, i - start);
    if (digits.empty() || digits.size() > 4) return bad();
    fields[count++] = static_cast<long long>(*ParseU64(digits));
    if (i == text.size()) break;
    char expected = count < 3 ? '-' : (count == 3 ? '-' : ':');
    if (count >= 6 || text[i] != expected) return bad();
    ++i;
    if (i == text.size()) return bad();
  }
  if (count != 3 && count != 6) return bad();
  using namespace std::chrono;
  year_month_day ymd{year{static_cast<int>(fields[0])}, month{static_cast<unsigned>(fields[1])},
                     day{static_cast<unsigned>(fields[2])}};
  if (!ymd.ok()) return std::string("date ") + Quote(text) + " is not a valid date";
  if (fields[0] < 1900 || fields[0] > 2200) {
    return std::string("date ") + Quote(text) + " is outside the years 1900-2200";
  }
  if (fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    return std::string("date ") + Quote(text) + " is not a valid time of day";
  }
  auto local = sys_days(ymd) + hours(fields[3]) + minutes(fields[4]) + seconds(fields[5]);
  return WallTime(local - offset);
}

}  // namespace

std::string_view PeriodName(RotatePeriod period) {
  switch (period) {
    case RotatePeriod::kNone:
      return "none";
    case RotatePeriod::kHourly:
      return "hourly";
    case RotatePeriod::kDaily:
      return "daily";
    case RotatePeriod::kWeekly:
      return "weekly";
    case RotatePeriod::kMonthly:
      return "monthly";
    case RotatePeriod::kYearly:
      return "yearly";
  }
  return "none";
}

Result<LogrotateConfig> ParseLogrotate(std::string_view text, std::string_view source) {
  return ParseLogrotateFiles({LogrotateFile{std::string(source), std::string(text)}});
}

Result<LogrotateConfig> ParseLogrotateFiles(const std::vector<LogrotateFile>& files) {
  LogrotateConfig config;
  std::map<std::string, std::string> pattern_sources;
  for (const LogrotateFile& file : files) {
    Parser parser(&config, &pattern_sources);
    Status status = parser.ParseFile(file.text, file.name);
    if (!status.ok()) return status;
  }
  return config;
}

Decision Decide(const LogrotateRule& rule, const FileFacts& file, const StateEntry& state,
                WallTime now, const DecideOptions& options) {
  using R = DecisionReason;
  const std::string bytes = std::to_string(file.size) + " bytes";
  if (!file.exists) {
    if (rule.missing_ok) return Make(false, R::kMissingOk, "the file does not exist (missingok)");
    return Make(false, R::kMissing, "the file does not exist and missingok is not set");
  }
  if (file.size == 0 && rule.not_if_empty) {
    return Make(false, R::kEmpty, "the file is empty (notifempty)");
  }
  if (options.force) return Make(true, R::kForced, "rotation forced");

  auto by_size = [&](std::uint64_t threshold, std::string_view directive) {
    const std::string limit = std::string(directive) + " " + std::to_string(threshold);
    if (file.size >= threshold) {
      return Make(true, R::kSizeReached, bytes + " reached " + limit);
    }
    return Make(false, R::kUnderSize, bytes + " is under " + limit);
  };
  if (rule.size) return by_size(*rule.size, "size");
  if (rule.period == RotatePeriod::kNone) {
    if (rule.max_size) return by_size(*rule.max_size, "maxsize");
    return Make(false, R::kNoTrigger,
                "the rule sets neither a period nor a size, so it never rotates");
  }
  const std::string period(PeriodName(rule.period));
  if (rule.max_size && file.size >= *rule.max_size) {
    return Make(true, R::kSizeReached,
                bytes + " reached maxsize " + std::to_string(*rule.max_size) + " before " + period +
                    " is due");
  }
  if (!state.last_rotated) {
    return Make(false, R::kFirstSeen,
                "first seen (no state entry): the " + period + " period starts now");
  }
  const std::string last = "last rotated " + FormatTime(*state.last_rotated, options.utc_offset);
  if (!PeriodDue(rule.period, *state.last_rotated, now, options.utc_offset)) {
    return Make(false, R::kNotDue, period + " is not due: " + last);
  }
  if (rule.min_size && file.size < *rule.min_size) {
    return Make(
        false, R::kUnderSize,
        period + " is due but " + bytes + " is under minsize " + std::to_string(*rule.min_size));
  }
  return Make(true, R::kDue, period + " is due: " + last);
}

std::string RotationAction::ToString() const {
  switch (kind) {
    case Kind::kDelete:
      return "delete " + path;
    case Kind::kRename:
      return "rename " + path + " -> " + target;
    case Kind::kCopy:
      return "copy " + path + " -> " + target;
    case Kind::kTruncate:
      return "truncate " + path;
    case Kind::kCreate: {
      std::string out = "create " + path;
      if (create.mode) {
        std::string octal;
        std::uint32_t mode = *create.mode;
        do {
          octal.insert(octal.begin(), static_cast<char>('0' + (mode & 7U)));
          mode >>= 3;
        } while (mode != 0);
        while (octal.size() < 4) octal.insert(octal.begin(), '0');
        out += " mode " + octal;
      }
      if (!create.owner.empty()) out += " owner " + create.owner;
      if (!create.group.empty()) out += " group " + create.group;
      return out;
    }
    case Kind::kSignal:
      return "signal container " + container + " with " + signal;
    case Kind::kRestart:
      return "restart container " + container;
    case Kind::kCompress:
      return "compress " + path + " -> " + target;
  }
  return "?";
}

std::vector<RotationAction> PlanRotation(const LogrotateRule& rule, std::string_view path,
                                         const std::vector<std::string>& existing_rotated) {
  FilePlan plan = PlanFile(rule, path, existing_rotated);
  std::vector<RotationAction> actions = std::move(plan.files);
  Append(&actions, PostActions(rule));
  Append(&actions, std::move(plan.compress));
  return actions;
}

std::vector<RotationAction> PlanRuleRotation(const LogrotateRule& rule,
                                             const std::vector<DueFile>& files) {
  std::vector<RotationAction> actions;
  if (!rule.shared_scripts) {
    for (const DueFile& file : files) {
      Append(&actions, PlanRotation(rule, file.path, file.existing_rotated));
    }
    return actions;
  }
  if (files.empty()) return actions;
  std::vector<RotationAction> compress;
  for (const DueFile& file : files) {
    FilePlan plan = PlanFile(rule, file.path, file.existing_rotated);
    Append(&actions, std::move(plan.files));
    Append(&compress, std::move(plan.compress));
  }
  Append(&actions, PostActions(rule));
  Append(&actions, std::move(compress));
  return actions;
}

StateEntry RotationState::Lookup(const std::string& path) const {
  auto it = last_rotated.find(path);
  if (it == last_rotated.end()) return {};
  return StateEntry{it->second};
}

Result<RotationState> ParseStateFile(std::string_view text, std::string_view source,
                                     minutes utc_offset) {
  RotationState state;
  auto error = [&](int line, const std::string& message) {
    return Status::ParseError(std::string(source) + ":" + std::to_string(line) + ": " + message);
  };
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return state;
  int line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (line_number == 1) {
      if (line != kStateFileHeader) {
        return error(1, "expected " + Quote(kStateFileHeader) + ", got " + Quote(line));
      }
      continue;
    }
    if (line.empty()) continue;

    std::string path;
    std::size_t i = 0;
    if (line.front() == '"') {
      bool closed = false;
      for (i = 1; i < line.size(); ++i) {
        char c = line[i];
        if (c == '\\' && i + 1 < line.size()) {
          char next = line[++i];
          path += next == 'n' ? '\n' : next;
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          path += c;
        }
      }
      if (!closed) return error(line_number, "unterminated quoted path");
    } else {
      while (i < line.size() && !IsSpace(line[i])) path += line[i++];
    }
    if (path.empty()) return error(line_number, "empty path");
    if (i >= line.size() || !IsSpace(line[i])) {
      return error(line_number, "expected a space and a date after the path " + Quote(path));
    }
    std::string_view rest = Trim(line.substr(i));
    std::size_t space = 0;
    while (space < rest.size() && !IsSpace(rest[space])) ++space;
    if (space < rest.size()) {
      return error(line_number,
                   "unexpected " + Quote(Trim(rest.substr(space))) + " after the date");
    }
    auto parsed = ParseStateTime(rest, utc_offset);
    if (const std::string* message = std::get_if<std::string>(&parsed)) {
      return error(line_number, *message);
    }
    state.last_rotated[path] = std::get<WallTime>(parsed);
  }
  return state;
}

std::string SerializeStateFile(const RotationState& state, minutes utc_offset) {
  std::string out(kStateFileHeader);
  out += "\n";
  for (const auto& [path, when] : state.last_rotated) {
    Civil c = ToCivil(when, utc_offset);
    out += "\"" + EscapePath(path) + "\" " + std::to_string(c.year) + "-" +
           std::to_string(c.month) + "-" + std::to_string(c.day_of_month) + "-" +
           std::to_string(c.hour) + ":" + std::to_string(c.minute) + ":" +
           std::to_string(c.second) + "\n";
  }
  return out;
}

}  // namespace orcastra::agent
