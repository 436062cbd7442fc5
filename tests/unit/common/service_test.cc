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

}  // namespace
}  // namespace orcastra
