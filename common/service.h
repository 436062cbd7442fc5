// Background loops. A Service owns one thread that runs Run() until Stop(); Run() waits with
// WaitFor(), which returns early on Stop() or Wake(). A ServiceRunner starts a set of services and
// stops them in reverse order, each within a bounded time, when the process gets SIGTERM/SIGINT.
//
// Error boundary: an exception that escapes Run() never ends the process. It is logged with the
// service's name, counted (failures(), and process-wide ServiceFailureCount()), and Run() is
// started again after a backoff (1 s, doubling up to 60 s; back to 1 s once a run has lasted 10
// minutes). A Run() that returns normally is not restarted.
//
// Heartbeat (for /healthz): a running Service is alive while its thread waits in WaitFor(), and it
// beats when it leaves WaitFor() and whenever code on its thread calls Heartbeat() (libcurl
// transfers do, about once a second, so a loop waiting on the Docker daemon or a download is
// alive). A loop that is outside WaitFor() and has not beaten for longer than a bound is stalled
// (Liveness()): it hangs or spins.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace orcastra {

class Service {
 public:
  explicit Service(std::string name) : name_(std::move(name)) {}
  virtual ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const std::string& name() const { return name_; }

  // Starts the thread. Call once.
  void Start();
  // Asks Run() to return and joins the thread. Idempotent; safe from any thread but the service's
  // own.
  void Stop();
  // Ends the current WaitFor() early (for example: an event arrived and a report is due now).
  void Wake();
  // How many times Run() has ended with an exception since Start(). Any thread.
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

  // Where the loop is, for /healthz. Any thread.
  enum class State { kNotStarted, kRunning, kFinished };
  State state() const { return state_.load(std::memory_order_relaxed); }
  // The steady clock's time of the last beat (the start, WaitFor(), Heartbeat()).
  std::chrono::steady_clock::time_point last_beat() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_beat_.load(std::memory_order_relaxed)));
  }
  // True while the loop's thread waits in WaitFor(): alive, whatever its last beat.
  bool waiting() const { return waiting_.load(std::memory_order_relaxed); }
  // Records a beat now (the thread that runs the loop calls it through orcastra::Heartbeat()).
  void Beat();

 protected:
  // The loop. Returns when `stop` is requested (check it after every WaitFor()).
  virtual void Run(std::stop_token stop) = 0;
  // Waits up to `timeout`; returns false when stop was requested, true otherwise (timeout or
  // Wake()).
  bool WaitFor(const std::stop_token& stop, std::chrono::milliseconds timeout);

 private:
  // Runs Run() inside the error boundary until stop is requested.
  void RunGuarded(std::stop_token stop);

  const std::string name_;
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<State> state_{State::kNotStarted};
  std::atomic<std::chrono::steady_clock::rep> last_beat_{0};
  std::atomic<bool> waiting_{false};
  std::mutex mutex_;
  std::condition_variable_any wake_cv_;
  bool woken_ = false;  // guarded by mutex_
  std::jthread thread_;
};

// The failures of every Service of this process (for `status` and metrics). Any thread.
std::uint64_t ServiceFailureCount();

// Beats the heartbeat of the Service whose thread calls it; nothing on any other thread. Cheap
// (one clock read): call it inside long steps that do not wait (compressing a large file).
void Heartbeat();

// One loop as /healthz reports it.
struct ServiceBeat {
  std::string name;
  Service::State state = Service::State::kNotStarted;
  double seconds_since_beat = 0;  // 0 while it waits in WaitFor()
  std::uint64_t failures = 0;
  bool stalled = false;  // running and no beat for longer than the bound
};
// The loops of `services` at `now`: a running one that is not waiting in WaitFor() and whose last
// beat is older than `bound` is stalled. Pure but for reading the services' atomics.
std::vector<ServiceBeat> Liveness(const std::vector<std::shared_ptr<Service>>& services,
                                  std::chrono::steady_clock::time_point now,
                                  std::chrono::milliseconds bound);

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call before starting any thread, so
// every thread inherits the mask), then WaitForShutdownSignal() returns the first one received.
void BlockShutdownSignals();
int WaitForShutdownSignal();
// Like WaitForShutdownSignal() but gives up after `timeout`; returns 0 then.
int WaitForShutdownSignalFor(std::chrono::milliseconds timeout);

// Starts services in order and stops them in reverse order.
class ServiceRunner {
 public:
  void Add(std::shared_ptr<Service> service) { services_.push_back(std::move(service)); }
  void StartAll();
  void StopAll();
  const std::vector<std::shared_ptr<Service>>& services() const { return services_; }

 private:
  std::vector<std::shared_ptr<Service>> services_;
};

}  // namespace orcastra
