// `orcastra keys ...`: makes and rotates the CurveZMQ keys (doc/security.md "Keys"):
//
//   keys init [DIR]             leader.key, leader.pub, agent.key, operator.key, read-only.key
//                               and the clients file, in DIR (default /etc/orcastra/keys, made
//                               0700); secret files 0600. Refuses to overwrite anything.
//   keys new NAME --role ROLE [DIR]
//                               NAME.key for another client (trusting DIR's leader keys) and its
//                               line appended to DIR/clients
//   keys rotate-leader [DIR]    leader.next.key, and its public key trusted (as a second
//                               leader-public-key) by every client key file in DIR
//   keys finish-rotation [DIR]  leader.next.key becomes leader.key (the old one is kept as
//                               leader.old.key) and client key files trust only it
//   keys show FILE              checks a key file or clients file and prints what it holds
//                               without its secret key
//
// Output goes to `out`, errors to `err`; exit codes 0 ok, 1 failed, 2 usage. No secret key is
// ever printed.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/flags.h"

namespace orcastra::leader {

inline constexpr char kDefaultKeysDir[] = "/etc/orcastra/keys";

int RunKeysCommand(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
                   std::ostream& err);

}  // namespace orcastra::leader
