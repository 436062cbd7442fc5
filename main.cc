// orcastra: one binary for the agent, the leader and the CLI. main only wires subcommands to the
// modules that implement them.
#include <sys/prctl.h>

#include <iostream>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "common/flags.h"
#include "common/health_command.h"
#include "common/log.h"
#include "common/service.h"
#include "config/config_check.h"
#include "leader/cli/cli.h"
#include "leader/cli/keys.h"
#include "leader/leader.h"

namespace {

constexpr char kUsage[] = R"(usage: orcastra COMMAND [OPTIONS]

Daemons:
  agent     report this node's memory, load and containers to the leader (one per node)
  leader    elect the active instance, keep anchors' dependents beside them, keep labels, answer
            the CLI (one per manager); --config DIR (else ORCASTRA_CONFIG_DIR, /etc/orcastra)

Queries (take --json and --leader tcp://HOST:PORT, env ORCASTRA_LEADER; default the local manager):
  status    leader identity, nodes ready/down, agents connected
  nodes     per node: role, state, availability, memory, pressure, agent last seen, labels
  events    the cluster-wide event log: [--since 10m] [--follow] [--node NODE] [--type KIND]
  anchors   per anchor: state, nodes, label; per dependent: state, nodes, retry state
  services  per service: mode, replicas running/desired, nodes, anchor/dependent role
  plan      what the leader would do now and why (labels, restarts), changing nothing
  logs NODE the node's agent's recent log lines, or a container's there:
            [--container NAME] [--tail 200] (any leader instance forwards it to the agent)

Commands (run once by the active leader; the result is printed and kept in the event log):
  command NAME[:ARG]  relabel_all, update_dependents[:ANCHOR], remove_all_labels,
                      pause_dependents, resume_dependents, noop   [--wait 30s | --no-wait]
                      gc[:NODE], rotate_logs[:NODE], refresh_mods[:NODE] (run by the agents;
                      without NODE on every connected agent)

Security (doc/security.md): CURVE on both ports. Daemons read their key from a Docker secret
(--key, ORCASTRA_KEY); the CLI from --key, ORCASTRA_KEY, ~/.config/orcastra/client.key or
/etc/orcastra/client.key. --insecure (ORCASTRA_INSECURE=true) is plain text, unauthenticated.
  keys init [DIR]     make the leader, agent, operator and read-only keys and the clients file
                      (DIR default /etc/orcastra/keys); keys new|rotate-leader|finish-rotation|show

Other:
  config check [DIR]  validate the configuration (DIR default: ORCASTRA_CONFIG_DIR, /etc/orcastra)
  config apply [DIR]  validate like check, then store it in Swarm for every leader instance
  config show         the configuration in force: source, version, applied when and by whom
  config diff [DIR]   what `config apply` would change
  health agent|leader [--ready] [--url URL]  ask a daemon's /healthz (or /readyz); exit 0 when
            healthy (the container healthcheck: doc/observability.md)
  version   print the version
  help      this text

Log level: --log-level LEVEL, else env ORCASTRA_LOG_LEVEL, else DEBUG=true for debug
(trace, debug, info, warn, error, critical, off). Log format: --log-format text|json, else env
LOG_FORMAT (json: one object per line). HTTP (/metrics, /healthz, the leader's web view):
--http-listen ADDR:PORT|off, --http-token-file FILE (doc/observability.md).
See doc/ for the configuration and the protocol.
)";

// Applies --log-level / ORCASTRA_LOG_LEVEL / DEBUG and --log-format / LOG_FORMAT; false (after
// saying why) on a bad value.
bool ConfigureLogging(const std::vector<std::string>& args, const orcastra::EnvLookup& env) {
  auto level = orcastra::ChooseLogLevel(args, env);
  if (!level.ok() || !orcastra::SetLogLevel(*level)) {
    std::cerr << "orcastra: "
              << (level.ok() ? "unknown log level '" + *level + "'" : level.status().message())
              << "\n";
    return false;
  }
  auto format = orcastra::ChooseLogFormat(args, env);
  if (!format.ok()) {
    std::cerr << "orcastra: " << format.status().message() << "\n";
    return false;
  }
  orcastra::SetLogFormat(*format);
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
  if (command == "status" || command == "nodes" || command == "events" || command == "plan" ||
      command == "anchors" || command == "services") {
    return orcastra::leader::RunQueryCommand(command, args, env);
  }
  if (command == "health") return orcastra::RunHealthCommand(args, env, std::cout, std::cerr);
  if (command == "command") return orcastra::leader::RunCommandCommand(args, env);
  if (command == "logs") return orcastra::leader::RunLogsCommand(args, env);
  if (command == "keys") return orcastra::leader::RunKeysCommand(args, env, std::cout, std::cerr);
  if (command == "config") {
    if (!args.empty() && (args[0] == "apply" || args[0] == "show" || args[0] == "diff")) {
      return orcastra::leader::RunConfigStoreCommand(args[0], {args.begin() + 1, args.end()}, env,
                                                     std::cout, std::cerr);
    }
    return orcastra::config::RunConfigCommand(args, env, std::cout, std::cerr,
                                              orcastra::config::DockerServiceReader(env),
                                              orcastra::config::DockerStoredVersionReader(env));
  }
  if (command == "agent" || command == "leader") {
    if (!ConfigureLogging(args, env)) return 2;
    // Before any thread starts, so every thread inherits the blocked mask and sigwait sees signals.
    orcastra::BlockShutdownSignals();
    // The daemons never gain privileges through exec (they exec nothing): Docker 20.10 cannot
    // set no-new-privileges on a Swarm service, so they set it themselves (doc/security.md).
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      std::cerr << "orcastra " << command << ": cannot set no_new_privs\n";
      return 1;
    }
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
