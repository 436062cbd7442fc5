// `orcastra config check [DIR]`: validates every configuration file and the environment and
// prints each problem as `FILE:LINE:COLUMN: error|warning: FIELD: MESSAGE`.
//
// When the configuration is valid and names dependents, it also reads the service list from a
// manager's Docker daemon and warns about every dependent that cannot follow its anchor
// (config/dependent_constraints.h). When the daemon cannot be asked (none, not a manager), it says
// that this was not checked; that alone never makes the check fail.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/docker_types.h"
#include "common/flags.h"
#include "common/status.h"

namespace orcastra::config {

// Reads Swarm's service list (GET /services).
using ServiceReader = std::function<Result<std::vector<docker::Service>>()>;

// The label of every configuration version `orcastra config apply` stored in Swarm (the config
// objects orcastra-config-vN; leader/config_store/plan.h).
inline constexpr char kStoredVersionLabel[] = "orcastra.config.version";
// Reads the names of the stored configuration versions (GET /configs, label filter).
using StoredVersionReader = std::function<Result<std::vector<std::string>>()>;
// The reader over the daemon of DOCKER_HOST, like DockerServiceReader.
StoredVersionReader DockerStoredVersionReader(const EnvLookup& env);

// The reader `orcastra config check` uses: the daemon of DOCKER_HOST (unix sockets only; default
// /var/run/docker.sock), with short timeouts.
ServiceReader DockerServiceReader(const EnvLookup& env);

// Runs `orcastra config SUBCOMMAND ...`; `args` are the words after `config`. Diagnostics and
// the summary line go to `out`, usage errors to `err`. Returns 0 when there is no error
// (warnings allowed), 1 when there are errors, 2 on a usage error. `services` may be empty: the
// constraints are then reported as not checked. With `stored`, a directory that is checked while
// configuration versions are stored in Swarm gets a warning: the leaders use the stored one
// (doc/config-store.md, precedence); without it (or when it fails) nothing is said.
int RunConfigCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                     std::ostream& err, const ServiceReader& services,
                     const StoredVersionReader& stored = {});

}  // namespace orcastra::config
