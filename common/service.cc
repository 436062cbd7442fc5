#include "common/service.h"

#include <csignal>

#include "common/log.h"

namespace orcastra {

Service::~Service() { Stop(); }

void Service::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    Logger("runner")->debug("service '{}' started", name_);
    Run(stop);
    Logger("runner")->debug("service '{}' stopped", name_);
  });
}

void Service::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  Wake();
  thread_.join();
}

void Service::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_cv_.notify_all();
}

bool Service::WaitFor(const std::stop_token& stop, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  wake_cv_.wait_for(lock, stop, timeout, [this] { return woken_; });
  woken_ = false;
  return !stop.stop_requested();
}

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int signal_number = 0;
  while (true) {
    if (sigwait(&set, &signal_number) == 0 && signal_number != SIGHUP) return signal_number;
    // SIGHUP: reserved for config reload; ignored until the config module lands.
  }
}

int WaitForShutdownSignalFor(std::chrono::milliseconds timeout) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec wait{static_cast<time_t>(seconds.count()),
                static_cast<long>((timeout - seconds).count() * 1'000'000)};
  int signal_number = sigtimedwait(&set, nullptr, &wait);
  return signal_number > 0 ? signal_number : 0;
}

void ServiceRunner::StartAll() {
  for (auto& service : services_) service->Start();
}

void ServiceRunner::StopAll() {
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) (*it)->Stop();
}

}  // namespace orcastra
