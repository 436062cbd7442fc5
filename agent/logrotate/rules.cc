#include "agent/logrotate/rules.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <utility>

#include "common/strings.h"

namespace orcastra::agent {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

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
  std::optional<std::uint64_t> number = ParseDecimal(text);
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
    std::optional<std::uint64_t> number = ParseDecimal(text);
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
      if (!AllDigits(value)) {
        return Error(line, "rotate: " + Quote(value) + " is not a number");
      }
      std::optional<std::uint64_t> count = ParseDecimal(value);
      if (!count || *count > static_cast<std::uint64_t>(kMaxRotateCount)) {
        return Error(line, "rotate: " + value + " is too large (0 to " +
                               std::to_string(kMaxRotateCount) + ", or -1 to keep all)");
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
        return Error(line,
                     "create: " + Quote(mode) + " is not an octal mode such as 0640 (0 to 07777)");
      }
      std::uint32_t bits = 0;
      for (char c : mode) bits = bits * 8 + static_cast<std::uint32_t>(c - '0');
      spec.mode = bits;
      ++i;
    }
    if (i < args.size()) {
      if (auto problem = IdProblem(args[i], "user")) return Error(line, "create: " + *problem);
      spec.owner = args[i++];
    }
    if (i < args.size()) {
      if (auto problem = IdProblem(args[i], "group")) return Error(line, "create: " + *problem);
      spec.group = args[i++];
    }
    if (i < args.size()) {
      return Error(line,
                   "create: unexpected " + Quote(args[i]) + " (create [MODE] [OWNER [GROUP]])");
    }
    rule->create = spec;
    return Status::Ok();
  }

  // Why `id` is neither a numeric id 0..kMaxNumericId nor a plausible user or group name (a
  // letter or '_' first, then letters, digits, '_', '-', '.', and an optional final '$'; at most
  // 256 characters); nullopt when it is one of them. `what` is "user" or "group".
  static std::optional<std::string> IdProblem(const std::string& id, std::string_view what) {
    const std::string kind(what);
    const std::string numeric_range = "a numeric " + std::string(what == "user" ? "uid" : "gid") +
                                      " is 0 to " + std::to_string(kMaxNumericId);
    if (id.empty()) return "'' is not a " + kind;
    if (AllDigits(id)) {
      if (ParseNumericId(id)) return std::nullopt;
      return Quote(id) + " is not a " + kind + ": " + numeric_range;
    }
    if (id.front() == '-' && id.size() > 1 && AllDigits(std::string_view(id).substr(1))) {
      return Quote(id) + " is not a " + kind + ": negative ids are not allowed (" + numeric_range +
             ")";
    }
    if (IsDigit(id.front()) || id.front() == '+' || id.front() == '-') {
      return Quote(id) + " is not a " + kind + ": neither a number (" + numeric_range +
             ") nor a name (names start with a letter or '_')";
    }
    const bool name_chars =
        std::all_of(id.begin(), id.end() - 1,
                    [](char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; }) &&
        (IsAlnum(id.back()) || id.back() == '_' || id.back() == '-' || id.back() == '.' ||
         id.back() == '$');
    if (!name_chars || id.size() > 256) return Quote(id) + " is not a " + kind;
    return std::nullopt;
  }

  LogrotateConfig* config_;
  std::map<std::string, std::string>* pattern_sources_;  // pattern -> "file:line" of its block
  std::string source_;
  State state_ = State::kTop;
  Scope block_;
  int open_line_ = 0;
  int script_line_ = 0;
};
}  // namespace

std::optional<std::uint32_t> ParseNumericId(std::string_view text) {
  std::optional<std::uint64_t> value = ParseDecimal(text);
  if (!value || *value > kMaxNumericId) return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

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
}  // namespace orcastra::agent
