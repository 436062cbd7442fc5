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

// The Service whose thread this is (set by Start()'s thread), for Heartbeat().
thread_local Service* current_service = nullptr;

}  // namespace

std::uint64_t ServiceFailureCount() { return all_failures.load(std::memory_order_relaxed); }

void Heartbeat() {
  if (current_service != nullptr) current_service->Beat();
}

void Service::Beat() {
  last_beat_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                   std::memory_order_relaxed);
}

std::vector<ServiceBeat> Liveness(const std::vector<std::shared_ptr<Service>>& services,
                                  std::chrono::steady_clock::time_point now,
                                  std::chrono::milliseconds bound) {
  std::vector<ServiceBeat> out;
  for (const auto& service : services) {
    ServiceBeat beat;
    beat.name = service->name();
    beat.state = service->state();
    beat.failures = service->failures();
    const bool waiting = service->waiting();
    const auto age =
        waiting ? std::chrono::steady_clock::duration::zero()
                : std::max(now - service->last_beat(), std::chrono::steady_clock::duration::zero());
    beat.seconds_since_beat = std::chrono::duration<double>(age).count();
    beat.stalled = beat.state == Service::State::kRunning && age > bound;
    out.push_back(std::move(beat));
  }
  return out;
}

Service::~Service() { Stop(); }

void Service::Start() {
  Beat();
  state_.store(State::kRunning, std::memory_order_relaxed);
  thread_ = std::jthread([this](std::stop_token stop) {
    current_service = this;
    Logger("runner")->debug("service '{}' started", name_);
    RunGuarded(stop);
    state_.store(State::kFinished, std::memory_order_relaxed);
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
  waiting_.store(true, std::memory_order_relaxed);
  std::unique_lock lock(mutex_);
  wake_cv_.wait_for(lock, stop, timeout, [this] { return woken_; });
  woken_ = false;
  lock.unlock();
  Beat();
  waiting_.store(false, std::memory_order_relaxed);
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
