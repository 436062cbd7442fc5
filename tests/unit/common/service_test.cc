// The Service error boundary (common/service.h): an exception in a background loop is logged,
// counted and the loop restarted; the process never dies of it.
#include "common/service.h"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace orcastra {
namespace {

using namespace std::chrono_literals;

// Throws on its first `throws` runs, then counts its clean runs until stopped.
class Flaky final : public Service {
 public:
  explicit Flaky(int throws) : Service("flaky"), throws_(throws) {}
  std::atomic<int> runs{0};
  std::atomic<bool> settled{false};

 protected:
  void Run(std::stop_token stop) override {
    ++runs;
    if (runs <= throws_) throw std::runtime_error("peer sent garbage");
    settled = true;
    while (WaitFor(stop, 10ms)) {
    }
  }

 private:
  const int throws_;
};

TEST_CASE(
    "regression: an exception in a service's loop restarts the loop, it never ends the "
    "process",
    "[service][issue8]") {
  const std::uint64_t before = ServiceFailureCount();
  Flaky flaky(2);
  flaky.Start();
  // Restarts after 1 s, then 2 s: settled within ~3 s.
  for (int i = 0; i < 100 && !flaky.settled; ++i) std::this_thread::sleep_for(50ms);
  CHECK(flaky.settled);
  CHECK(flaky.runs == 3);
  CHECK(flaky.failures() == 2);
  CHECK(ServiceFailureCount() - before == 2);
  flaky.Stop();
}

TEST_CASE("a service stopped during its restart backoff stops at once", "[service]") {
  Flaky flaky(1000);
  flaky.Start();
  for (int i = 0; i < 100 && flaky.runs == 0; ++i) std::this_thread::sleep_for(5ms);
  const auto started = std::chrono::steady_clock::now();
  flaky.Stop();
  CHECK(std::chrono::steady_clock::now() - started < 500ms);
  CHECK(flaky.runs == 1);
}

// Waits in WaitFor() until woken with `go_hang`, then hangs on something that is not WaitFor()
// until released.
class Hanging final : public Service {
 public:
  Hanging() : Service("hanging") {}
  std::atomic<bool> go_hang{false};
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};

 protected:
  void Run(std::stop_token stop) override {
    while (!go_hang && WaitFor(stop, 1h)) {
    }
    entered = true;
    while (!release && !stop.stop_requested()) std::this_thread::sleep_for(1ms);
  }
};

TEST_CASE("liveness: a loop that waits is alive, one that stops waiting is stalled", "[service]") {
  Hanging loop;
  auto services =
      std::vector<std::shared_ptr<Service>>{std::shared_ptr<Service>(&loop, [](Service*) {})};
  auto before = Liveness(services, std::chrono::steady_clock::now(), 1h);
  REQUIRE(before.size() == 1);
  CHECK(before[0].state == Service::State::kNotStarted);
  CHECK_FALSE(before[0].stalled);
  loop.Start();
  for (int i = 0; i < 200 && !loop.waiting(); ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(loop.waiting());
  // Waiting in WaitFor() is alive however long ago the last beat was.
  auto waiting = Liveness(services, std::chrono::steady_clock::now() + 2h, 200ms);
  CHECK(waiting[0].state == Service::State::kRunning);
  CHECK_FALSE(waiting[0].stalled);
  CHECK(waiting[0].seconds_since_beat == 0);
  loop.go_hang = true;
  loop.Wake();
  for (int i = 0; i < 200 && !loop.entered; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(loop.entered);
  CHECK_FALSE(loop.waiting());
  const auto hung_at = loop.last_beat();  // the beat when it left WaitFor()
  CHECK(std::chrono::steady_clock::now() - hung_at < 1s);
  std::this_thread::sleep_for(30ms);
  CHECK(loop.last_beat() == hung_at);  // no beat while it hangs
  CHECK_FALSE(Liveness(services, hung_at + 150ms, 200ms)[0].stalled);
  auto hung = Liveness(services, hung_at + 250ms, 200ms);
  CHECK(hung[0].name == "hanging");
  CHECK(hung[0].stalled);
  CHECK(hung[0].seconds_since_beat == Approx(0.25).margin(0.01));
  loop.release = true;
  loop.Stop();
  // A loop that has returned is finished, never stalled.
  auto done = Liveness(services, std::chrono::steady_clock::now() + 1h, 200ms);
  CHECK(done[0].state == Service::State::kFinished);
  CHECK_FALSE(done[0].stalled);
}

TEST_CASE("Heartbeat() beats the calling thread's service only", "[service]") {
  struct Beating final : public Service {
    Beating() : Service("beating") {}
    std::atomic<bool> beat_now{false};
    std::atomic<int> beats{0};
    void Run(std::stop_token stop) override {
      while (!stop.stop_requested()) {
        if (beat_now.exchange(false)) {
          Heartbeat();
          ++beats;
        }
        std::this_thread::sleep_for(1ms);
      }
    }
  } loop;
  loop.Start();
  std::this_thread::sleep_for(20ms);
  const auto first = loop.last_beat();
  Heartbeat();  // the test's thread is no service: nothing happens
  CHECK(loop.last_beat() == first);
  loop.beat_now = true;
  for (int i = 0; i < 200 && loop.beats == 0; ++i) std::this_thread::sleep_for(2ms);
  CHECK(loop.last_beat() > first);
  loop.Stop();
}

}  // namespace
}  // namespace orcastra
