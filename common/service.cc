#include "common/service.h"

#include <algorithm>
#include <csignal>
#include <exception>

#include "common/log.h"

namespace orcastra {
namespace {

std::atomic<std::uint64_t> all_failures{0};

constexpr std::chrono::milliseconds kFirstRestartDelay{1000};
constexpr std::chrono::milliseconds kMaxRestartDelay{60000};
// A run that lasted this long before it failed starts the backoff over.
constexpr std::chrono::minutes kHealthyRun{10};

}  // namespace

std::uint64_t ServiceFailureCount() { return all_failures.load(std::memory_order_relaxed); }

Service::~Service() { Stop(); }

void Service::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    Logger("runner")->debug("service '{}' started", name_);
    RunGuarded(stop);
    Logger("runner")->debug("service '{}' stopped", name_);
  });
}

void Service::RunGuarded(std::stop_token stop) {
  std::chrono::milliseconds delay = kFirstRestartDelay;
  while (!stop.stop_requested()) {
    const auto started = std::chrono::steady_clock::now();
    std::string what;
    try {
      Run(stop);
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
    failures_.fetch_add(1, std::memory_order_relaxed);
    all_failures.fetch_add(1, std::memory_order_relaxed);
    if (std::chrono::steady_clock::now() - started >= kHealthyRun) delay = kFirstRestartDelay;
    Logger("runner")->error("service '{}' failed ({} so far): {}; restarting it in {} ms", name_,
                            failures(), what, delay.count());
    if (!WaitFor(stop, delay)) return;
    delay = std::min(delay * 2, kMaxRestartDelay);
  }
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
