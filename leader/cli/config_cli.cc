// `orcastra config apply | show | diff` (leader/cli/cli.h, doc/config-store.md).
#include <iostream>
#include <sstream>
#include <zmq.hpp>

#include "common/time_format.h"
#include "common/utf8.h"
#include "config/config_check.h"
#include "config/loader.h"
#include "config/settings.h"
#include "leader/cli/cli.h"
#include "leader/config_store/plan.h"

namespace orcastra::leader {
namespace {

using nlohmann::json;

constexpr char kUsage[] =
    R"(usage: orcastra config apply [DIR] [--wait 30s] [--timeout 15s] [--json] [--leader tcp://HOST:PORT] [--key FILE] [--insecure]
       orcastra config show [--json] [--leader ...]
       orcastra config diff [DIR] [--leader ...]

apply  validates DIR exactly like `orcastra config check` (nothing is sent when it has an error),
       then the active leader instance validates it again and stores it in Swarm as the config
       object orcastra-config-vN (any manager's instance forwards it there); every leader
       instance puts it in force within seconds. The 5 newest versions are kept.
show   the configuration in force on the instance asked: its source (swarm or files), version,
       when and by which key it was applied.
diff   what apply would change: the stored version in force against DIR, as a line diff.
DIR defaults to ORCASTRA_CONFIG_DIR, else /etc/orcastra. Exit status: 0 ok (also "unchanged",
and diff with differences), 1 refused or failed, 2 usage error.
)";

std::string Str(const json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// A member of a leader's answer; null when absent or when `object` is not an object (a broken or
// hostile answer never throws here).
const json& Get(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}
// A boolean member; false when absent or of another type.
bool Bool(const json& object, const char* key) {
  const json& value = Get(object, key);
  return value.is_boolean() && value.get<bool>();
}
// The elements of an array member; none otherwise.
const json& Items(const json& object, const char* key) {
  static const json kNone = json::array();
  const json& value = Get(object, key);
  return value.is_array() ? value : kNone;
}

// The set a directory holds, named as stored (swarm.yml, ...); the files as `config check` read
// them (its diagnostics were printed already).
ConfigSet ReadSet(const std::optional<std::string>& dir, const EnvLookup& env,
                  std::string* dir_used) {
  config::SettingsRequest request;
  request.explicit_dir = dir;
  config::SettingsResult settings = config::SettingsFromEnv(env, request);
  *dir_used = settings.settings.paths.dir;
  config::ConfigSources sources = config::ReadConfigSources(settings.settings.paths);
  ConfigSet set;
  if (sources.swarm) set.files["swarm.yml"] = sources.swarm->text;
  if (sources.nodes) set.files["nodes.yml"] = sources.nodes->text;
  if (sources.dependencies) set.files["dependencies.yml"] = sources.dependencies->text;
  if (sources.rebalance) set.files["rebalance_config.yml"] = sources.rebalance->text;
  return set;
}

std::string When(std::int64_t ms) {
  if (ms <= 0) return "at an unrecorded time";
  // Beyond 2200 system_clock's nanoseconds would overflow: the number as it is.
  if (ms > 7'258'118'400'000) return "at " + std::to_string(ms) + " ms since the epoch";
  return FormatCivil(WallTime(std::chrono::milliseconds(ms)), std::chrono::minutes(0));
}

}  // namespace

std::string RenderConfigShow(const json& show) {
  std::ostringstream out;
  const std::string source = Str(show, "source", "none");
  const json& version = Get(show, "version");
  const std::string dir = Str(show, "dir", "-");
  const bool files_present = Bool(show, "files_present");
  if (source == "swarm" && version.is_object()) {
    out << "Source:      Swarm, " << Str(version, "name", "-")
        << (files_present ? " (the files of " + dir + " are ignored while it is in force)" : "")
        << "\n";
    const json& number = Get(version, "number");
    const json& at = Get(version, "applied_at_ms");
    out << "Version:     " << (number.is_number() ? DumpJson(number) : "-") << ", applied "
        << When(at.is_number_integer() ? at.get<std::int64_t>() : 0) << " by '"
        << Str(version, "applied_by", "(not recorded)") << "'";
    if (!Str(version, "applied_by_key").empty()) {
      out << " (public key " << Str(version, "applied_by_key") << ")";
    }
    if (!Str(version, "via").empty()) out << ", stored by " << Str(version, "via");
    out << "\n";
  } else if (source == "files") {
    out << "Source:      the files of " << dir << " (no configuration is stored in Swarm)\n";
  } else {
    out << "Source:      none: no configuration is in force (nothing stored in Swarm, no valid "
           "files in "
        << dir << ")\n";
  }
  std::string files;
  for (const auto& f : Items(show, "files")) {
    if (f.is_string()) files += (files.empty() ? "" : ", ") + f.get<std::string>();
  }
  out << "Files:       " << (files.empty() ? "-" : files) << "\n";
  if (!Items(show, "refused_versions").empty()) {
    std::string refused;
    for (const auto& n : Items(show, "refused_versions")) {
      refused += (refused.empty() ? "" : ", ") + DumpJson(n);
    }
    out << "Refused:     stored version(s) " << refused
        << " did not validate here (orcastra events --type config_refused)\n";
  }
  if (!Str(show, "config_problem").empty()) {
    out << "Problem:     the newest configuration was refused:\n"
        << Str(show, "config_problem") << "\n";
  }
  if (!Str(show, "store_problem").empty())
    out << "Store:       " << Str(show, "store_problem") << "\n";
  const json& instance = Get(show, "instance");
  out << "Answered by: " << Str(instance, "hostname", "-") << " ("
      << (Bool(instance, "active") ? "active" : "standby") << ")\n";
  return out.str();
}

int RunConfigStoreCommand(const std::string& subcommand, const std::vector<std::string>& args,
                          const EnvLookup& env, std::ostream& out, std::ostream& err) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return 0;
    }
  }
  FlagSpec spec{{"leader", "timeout", "wait", "key"}, {"json", "insecure"}};
  auto flags = ParseFlags(args, spec);
  auto usage = [&](const std::string& problem) {
    err << "orcastra config " << subcommand << ": " << problem << "\n\n" << kUsage;
    return 2;
  };
  if (!flags.ok()) return usage(flags.status().message());
  const bool takes_dir = subcommand == "apply" || subcommand == "diff";
  if (flags->positional.size() > (takes_dir ? 1u : 0u)) {
    return usage("unexpected argument '" + flags->positional.back() + "'");
  }
  std::optional<std::string> dir;
  if (!flags->positional.empty()) dir = flags->positional[0];
  auto timeout = flags->Duration("timeout", "15s", std::chrono::milliseconds(1));
  if (!timeout.ok()) return usage(timeout.status().message());
  auto wait = flags->Duration("wait", "30s", std::chrono::milliseconds(0));
  if (!wait.ok()) return usage(wait.status().message());
  const std::string name = "orcastra config " + subcommand;

  ConfigSet set;
  std::string dir_used;
  if (subcommand == "apply") {
    // Exactly `config check`: the same diagnostics, the same verdict.
    std::vector<std::string> check = {"check"};
    if (dir) check.push_back(*dir);
    const int checked =
        config::RunConfigCommand(check, env, out, err, config::DockerServiceReader(env));
    if (checked == 2) return 2;
    if (checked != 0) {
      err << name << ": the configuration has errors (above); nothing was stored\n";
      return 1;
    }
  }
  if (takes_dir) {
    set = ReadSet(dir, env, &dir_used);
    if (subcommand == "apply" && EncodeSet(set).size() > kMaxStoredDataBytes) {
      err << name << ": the configuration is " << EncodeSet(set).size()
          << " bytes once encoded; a Swarm config object holds at most " << kMaxStoredDataBytes
          << "; nothing was stored\n";
      return 1;
    }
  }
  auto security = ClientSecurityFor(*flags, env);
  if (!security.ok()) {
    err << name << ": " << security.status().message() << "\n";
    return 2;
  }
  const LeaderTarget target = TargetFor(*flags, env);
  AskOptions ask = DefaultAskOptions(env, *wait);
  ask.progress = &err;
  zmq::context_t context(1);

  if (subcommand == "show") {
    auto show = AskLeader(context, target, *security, "config_show", {}, *timeout, ask);
    if (!show.ok()) {
      err << name << ": " << show.status().ToString() << "\n";
      return 1;
    }
    out << (flags->Has("json") ? DumpJson(*show, 2) + "\n" : RenderConfigShow(*show));
    return 0;
  }
  if (subcommand == "diff") {
    auto stored = AskLeader(context, target, *security, "config_get", {}, *timeout, ask);
    if (!stored.ok()) {
      err << name << ": " << stored.status().ToString() << "\n";
      return 1;
    }
    ConfigSet from;
    std::string from_label = "swarm:(nothing stored)";
    const json& encoded = Get(*stored, "set");
    if (encoded.is_string()) {
      auto decoded = DecodeSet(encoded.get<std::string>());
      if (!decoded.ok()) {
        err << name << ": the stored set the leader sent: " << decoded.status().message() << "\n";
        return 1;
      }
      from = std::move(*decoded);
      const json& version = Get(*stored, "version");
      from_label = "swarm:" + Str(version, "name", "stored");
    }
    std::string diff = DiffSets(from, set, from_label, dir_used);
    if (diff.empty()) {
      out << "no changes: " << dir_used << " holds the configuration in force (" << from_label
          << ")\n";
    } else {
      out << diff;
    }
    return 0;
  }
  if (subcommand != "apply") return usage("unknown subcommand");

  auto applied = AskLeader(context, target, *security, "config_apply", {{"set", EncodeSet(set)}},
                           *timeout, ask);
  if (!applied.ok()) {
    err << name << ": refused: " << applied.status().message() << "\n";
    return 1;
  }
  if (flags->Has("json")) {
    out << DumpJson(*applied, 2) << "\n";
    return 0;
  }
  const std::string result = Str(*applied, "result");
  const std::string object = Str(*applied, "name", "-");
  if (result == "unchanged") {
    out << "unchanged: " << object << " holds this configuration already; nothing was stored ("
        << RanOn(*applied) << ")\n";
    return 0;
  }
  const json& previous = Get(*applied, "previous");
  out << "stored " << object << " by " << RanOn(*applied)
      << (previous.is_number() ? "; the previous version was " + DumpJson(previous)
                               : std::string("; the first stored version"))
      << "\n";
  for (const auto& line : Items(*applied, "diagnostics")) {
    if (line.is_string()) out << line.get<std::string>() << "\n";
  }
  for (const auto& pruned : Items(*applied, "pruned")) {
    if (pruned.is_string()) out << "pruned " << pruned.get<std::string>() << "\n";
  }
  for (const auto& failed : Items(*applied, "prune_failures")) {
    if (failed.is_string()) {
      out << "warning: could not prune " << failed.get<std::string>()
          << " (the next apply tries again)\n";
    }
  }
  out << "every leader instance puts it in force within seconds: `orcastra config show` on any "
         "manager\n";
  return 0;
}

}  // namespace orcastra::leader
