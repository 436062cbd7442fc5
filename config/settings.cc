#include "config/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "config/schema.h"

namespace orcastra::config {
namespace {

using std::chrono::milliseconds;

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!name.empty() && name.front() == '/') return name;
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Reads variables and collects one diagnostic per unusable value.
class EnvReader {
 public:
  EnvReader(const EnvLookup& env, std::vector<Diagnostic>* diagnostics)
      : env_(env), diagnostics_(diagnostics) {}

  // The value, or nullopt when unset or empty.
  std::optional<std::string> Get(const char* name) const {
    auto value = env_(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
  }

  void Error(const char* name, std::string message) {
    diagnostics_->push_back({Severity::kError, kEnvironmentFile, 0, 0, name, std::move(message)});
  }
  void Warning(const char* name, std::string message) {
    diagnostics_->push_back({Severity::kWarning, kEnvironmentFile, 0, 0, name, std::move(message)});
  }

  void Bool(const char* name, bool* out) {
    auto value = Get(name);
    if (!value) return;
    auto parsed = ParseBool(name, *value);
    if (parsed.ok()) {
      *out = *parsed;
    } else {
      Error(name, "\"" + *value + "\" is not a boolean (use true or false)");
    }
  }

  void Bool(const char* name, std::optional<bool>* out) {
    if (!Get(name)) return;
    bool value = false;
    std::size_t before = diagnostics_->size();
    Bool(name, &value);
    if (diagnostics_->size() == before) *out = value;
  }

  void Duration(const char* name, milliseconds* out, milliseconds low, milliseconds high) {
    auto value = Get(name);
    if (!value) return;
    auto parsed = ParseDuration(*value, std::chrono::seconds(1));
    if (!parsed.ok()) {
      Error(name, "\"" + *value + "\" is not a duration (seconds, or a number with ms, s, m or h)");
    } else if (*parsed < low) {
      Error(name, "must be at least " + FormatDuration(low) + ", got \"" + *value + "\"");
    } else if (*parsed > high) {
      Error(name, "must be at most " + FormatDuration(high) + ", got \"" + *value + "\"");
    } else {
      *out = *parsed;
    }
  }

  void Integer(const char* name, std::optional<int>* out, int low, int high) {
    auto value = Get(name);
    if (!value) return;
    int n = 0;
    auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || ptr != value->data() + value->size()) {
      Error(name, "\"" + *value + "\" is not a whole number");
    } else if (n < low || n > high) {
      Error(name, "must be from " + std::to_string(low) + " to " + std::to_string(high) + ", got " +
                      *value);
    } else {
      *out = n;
    }
  }

  void Number(const char* name, std::optional<double>* out, double low, double high) {
    auto value = Get(name);
    if (!value) return;
    double n = 0;
    auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || ptr != value->data() + value->size() || !std::isfinite(n)) {
      Error(name, "\"" + *value + "\" is not a number");
    } else if (n < low || n > high) {
      Error(name,
            "must be from " + FormatNumber(low) + " to " + FormatNumber(high) + ", got " + *value);
    } else {
      *out = n;
    }
  }

 private:
  static std::string FormatNumber(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text;
  }

  const EnvLookup& env_;
  std::vector<Diagnostic>* diagnostics_;
};

constexpr const char* kFileVariables[] = {"SWARM_FILE", "NODES_FILE", "DEPENDENCIES_FILE",
                                          "REBALANCE_CONFIG"};

}  // namespace

ConfigPaths DefaultPaths(const std::string& dir) {
  return {dir, JoinPath(dir, "swarm.yml"), JoinPath(dir, "nodes.yml"),
          JoinPath(dir, "dependencies.yml"), JoinPath(dir, "rebalance_config.yml")};
}

bool DirectoryExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

SettingsResult SettingsFromEnv(const EnvLookup& env, const SettingsRequest& request) {
  SettingsResult result;
  Settings& s = result.settings;
  EnvReader reader(env, &result.diagnostics);

  // The directory, then the files in it.
  std::string dir;
  if (request.explicit_dir) {
    dir = *request.explicit_dir;
    for (const char* name : kFileVariables) {
      if (reader.Get(name)) {
        reader.Warning(name,
                       "ignored: reading the directory given on the command line (" + dir + ")");
      }
    }
  } else if (auto from_env = reader.Get("ORCASTRA_CONFIG_DIR")) {
    dir = *from_env;
  } else {
    auto exists = request.dir_exists ? request.dir_exists : DirectoryExists;
    dir = kDefaultConfigDir;
    if (!exists(kDefaultConfigDir) && exists(kLegacyConfigDir)) {
      dir = kLegacyConfigDir;
      reader.Warning("ORCASTRA_CONFIG_DIR", std::string("unset and ") + kDefaultConfigDir +
                                                " does not exist; using " + kLegacyConfigDir +
                                                " (the Python Orcastra's directory)");
    }
  }
  s.paths = DefaultPaths(dir);
  if (!request.explicit_dir) {
    if (auto v = reader.Get("SWARM_FILE")) s.paths.swarm_file = JoinPath(dir, *v);
    if (auto v = reader.Get("NODES_FILE")) s.paths.nodes_file = JoinPath(dir, *v);
    if (auto v = reader.Get("DEPENDENCIES_FILE")) s.paths.dependencies_file = JoinPath(dir, *v);
    if (auto v = reader.Get("REBALANCE_CONFIG")) s.paths.rebalance_file = JoinPath(dir, *v);
  }
  if (auto v = reader.Get("COMMAND_FILE")) s.command_file = JoinPath(dir, *v);

  if (auto v = reader.Get("STACK_NAME")) {
    std::string problem = ServiceNameProblem(*v);
    if (problem.empty()) {
      s.stack_name = *v;
    } else {
      reader.Error("STACK_NAME", "stack name " + problem);
    }
  }
  reader.Bool("EVENT_MODE", &s.event_mode);
  reader.Bool("POLLING_MODE", &s.polling_mode);
  reader.Duration("RELABEL_TIME", &s.relabel_time, std::chrono::seconds(1), std::chrono::hours(24));
  reader.Duration("LOOP_INTERVAL", &s.loop_interval, std::chrono::seconds(1),
                  std::chrono::hours(24));
  reader.Bool("DRY_RUN", &s.dry_run);
  // RUN_ONCE: the Python Orcastra's "one pass, then exit". Not built (doc/configuration.md): the
  // leader is a replicated, elected Swarm service that Swarm restarts when it exits. Refused when
  // true rather than ignored, so that nobody relies on it; false is what happens anyway.
  bool run_once = false;
  reader.Bool("RUN_ONCE", &run_once);
  if (run_once) {
    reader.Error("RUN_ONCE",
                 "not supported: the leader runs until stopped (Swarm would restart it after one "
                 "pass); for one pass now use `orcastra command relabel_all`, to see what a pass "
                 "would do use `orcastra plan`");
  }
  // MAX_MISMATCH_DURATION: the Python Orcastra gave up on a misplaced dependent after it (600 s).
  // Orcastra's dependents back off and never give up; what it bounds here is a rebalancing move:
  // a move not landed within it is rolled back (doc/rebalance.md).
  reader.Duration("MAX_MISMATCH_DURATION", &s.max_mismatch_duration, std::chrono::seconds(10),
                  std::chrono::hours(24));
  reader.Bool("RESTART_DEPENDENTS", &s.restart_dependents);
  reader.Bool("PRUNE_UNKNOWN_LABELS", &s.prune_unknown_labels);
  if (!s.event_mode && !s.polling_mode) {
    reader.Error("POLLING_MODE",
                 "EVENT_MODE and POLLING_MODE are both false: nothing would ever reconcile");
  }

  RebalanceEnv& r = s.rebalance;
  reader.Integer("REBALANCE_MONITOR_INTERVAL_SECONDS", &r.monitor_interval_seconds, 1, 86'400);
  reader.Number("REBALANCE_GLOBAL_COOLDOWN_MINUTES", &r.global_cooldown_minutes, 0, 100'000);
  reader.Number("REBALANCE_GLOBAL_MEM_THRESHOLD_PERCENT", &r.threshold_percent, 1, 100);
  reader.Number("REBALANCE_SUSTAINED_HIGH_MINUTES", &r.sustained_high_minutes, 0, 100'000);
  reader.Number("REBALANCE_MEMORY_DIFFERENCE_GB", &r.memory_difference_gb, 0, 1024 * 1024);
  reader.Number("REBALANCE_PSI_THRESHOLD", &r.psi_threshold, 0, 100);
  reader.Integer("REBALANCE_MOVES_PER_HOUR", &r.moves_per_hour, 0, 100'000);
  reader.Bool("REBALANCE_DRY_RUN", &r.dry_run);
  return result;
}

}  // namespace orcastra::config
