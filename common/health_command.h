// `orcastra health agent|leader [--ready] [--url URL] [--timeout 3s]`: the container healthcheck
// (the image is FROM scratch: no curl in it). GETs the daemon's /healthz (or /readyz) on the
// address its own --http-listen / ORCASTRA_HTTP_LISTEN names (the healthcheck runs with the task's
// environment; 0.0.0.0 and :: are asked on the loopback), prints the answer's first line and exits
// 0 on HTTP 200, 1 otherwise (2 on a usage error).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/flags.h"

namespace orcastra {

int RunHealthCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                     std::ostream& err);

// The URL `health` asks: http://HOST:PORT/healthz for a listen address (a wildcard host becomes
// the loopback). Pure.
std::string HealthUrl(const std::string& host, std::uint16_t port, bool ready);

}  // namespace orcastra
