// Background loops. A Service owns one thread that runs Run() until Stop(); Run() waits with
// WaitFor(), which returns early on Stop() or Wake(). A ServiceRunner starts a set of services and
// stops them in reverse order, each within a bounded time, when the process gets SIGTERM/SIGINT.
//
// Error boundary: an exception that escapes Run() never ends the process. It is logged with the
// service's name, counted (failures(), and process-wide ServiceFailureCount()), and Run() is
// started again after a backoff (1 s, doubling up to 60 s; back to 1 s once a run has lasted 10
// minutes). A Run() that returns normally is not restarted.
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
  std::mutex mutex_;
  std::condition_variable_any wake_cv_;
  bool woken_ = false;  // guarded by mutex_
  std::jthread thread_;
};

// The failures of every Service of this process (for `status` and metrics). Any thread.
std::uint64_t ServiceFailureCount();

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

 private:
  std::vector<std::shared_ptr<Service>> services_;
};

}  // namespace orcastra
