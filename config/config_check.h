// `orcastra config check [DIR]`: validates every configuration file and the environment and
// prints each problem as `FILE:LINE:COLUMN: error|warning: FIELD: MESSAGE`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/flags.h"

namespace orcastra::config {

// Runs `orcastra config SUBCOMMAND ...`; `args` are the words after `config`. Diagnostics and
// the summary line go to `out`, usage errors to `err`. Returns 0 when there is no error
// (warnings allowed), 1 when there are errors, 2 on a usage error.
int RunConfigCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                     std::ostream& err);

}  // namespace orcastra::config
