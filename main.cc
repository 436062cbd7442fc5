// orcastra: one binary for the agent, the leader and the CLI. main only wires subcommands to the
// modules that implement them.
#include <iostream>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/service.h"
#include "config/config_check.h"
#include "leader/cli.h"
#include "leader/leader.h"

namespace {

constexpr char kUsage[] = R"(usage: orcastra COMMAND [OPTIONS]

Daemons:
  agent     report this node's memory, load and containers to the leader (one per node)
  leader    keep the cluster state and answer the CLI (one per manager)

Queries (take --json and --leader tcp://HOST:PORT, env ORCASTRA_LEADER; default the local manager):
  status    leader identity, nodes ready/down, agents connected
  nodes     per node: role, state, availability, memory, pressure, agent last seen, labels
  events    the cluster-wide event log: [--since 10m] [--follow] [--node NODE] [--type KIND]

Other:
  config check [DIR]  validate the configuration (DIR default: ORCASTRA_CONFIG_DIR, /etc/orcastra)
  version   print the version
  help      this text

Log level: --log-level LEVEL or env DEBUG=1 / ORCASTRA_LOG_LEVEL (trace, debug, info, warn, error).
See doc/ for the configuration and the protocol.
)";

// Applies --log-level / ORCASTRA_LOG_LEVEL / DEBUG; returns false on an unknown level.
bool ConfigureLogging(const std::vector<std::string>& args, const orcastra::EnvLookup& env) {
  std::string level = "info";
  if (env("DEBUG").value_or("") == "1" || env("DEBUG").value_or("") == "true") level = "debug";
  if (auto v = env("ORCASTRA_LOG_LEVEL")) level = *v;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-level" && i + 1 < args.size()) level = args[i + 1];
    if (args[i].rfind("--log-level=", 0) == 0) level = args[i].substr(12);
  }
  if (!orcastra::SetLogLevel(level)) {
    std::cerr << "orcastra: unknown log level '" << level << "'\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  auto env = orcastra::ProcessEnv();
  if (command == "version" || command == "--version") {
    std::cout << "orcastra " << ORCASTRA_VERSION << "\n";
    return 0;
  }
  if (command == "status" || command == "nodes" || command == "events") {
    return orcastra::leader::RunQueryCommand(command, args, env);
  }
  if (command == "config") {
    return orcastra::config::RunConfigCommand(args, env, std::cout, std::cerr);
  }
  if (command == "agent" || command == "leader") {
    if (!ConfigureLogging(args, env)) return 2;
    // Before any thread starts, so every thread inherits the blocked mask and sigwait sees signals.
    orcastra::BlockShutdownSignals();
    if (command == "agent") {
      auto options = orcastra::agent::ParseAgentOptions(args, env);
      if (!options.ok()) {
        std::cerr << "orcastra agent: " << options.status().message() << "\n";
        return 2;
      }
      return orcastra::agent::RunAgent(*options);
    }
    auto options = orcastra::leader::ParseLeaderOptions(args, env);
    if (!options.ok()) {
      std::cerr << "orcastra leader: " << options.status().message() << "\n";
      return 2;
    }
    return orcastra::leader::RunLeader(*options);
  }
  std::cerr << "orcastra: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
