#include "agent/rejoin/standalone_lock.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace orcastra::agent {
namespace {

// A bound socket, or the errno of the bind.
Result<UniqueFd> BindAbstract(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.ok()) return IoFailure("create a unix socket for", name, errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() + 1 > sizeof(addr.sun_path)) {
    return Status::InvalidArgument("abstract socket name too long: " + name);
  }
  // Abstract namespace: a leading NUL, then the name (not NUL-terminated).
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    if (errno == EADDRINUSE) {
      return Status::Unavailable("another process holds '@" + name + "'");
    }
    return IoFailure("bind the abstract socket", name, errno);
  }
  return fd;
}

}  // namespace

Result<AbstractSocketLock> AbstractSocketLock::Acquire(const std::string& name) {
  auto fd = BindAbstract(name);
  if (!fd.ok()) return fd.status();
  return AbstractSocketLock(std::move(fd).value());
}

bool AbstractSocketLock::Held(const std::string& name) {
  auto fd = BindAbstract(name);
  return !fd.ok() && fd.status().code() == Status::Code::kUnavailable;
}

}  // namespace orcastra::agent

namespace orcastra::agent {

void StandaloneWatch::Run(std::stop_token stop) {
  bool stepped_aside = false;
  while (!stop.stop_requested()) {
    if (!stepped_aside && AbstractSocketLock::Held(kStandaloneLockName)) {
      stepped_aside = true;
      step_aside_();
    }
    if (!WaitFor(stop, interval_)) break;
  }
}

}  // namespace orcastra::agent
