// Time as a dependency: decision code asks a Clock, never std::chrono::*::now() directly, so tests
// can run hours of protocol time in microseconds with a FakeClock (tests/fakes/fake_clock.h).
#pragma once

#include <chrono>
#include <cstdint>

namespace orcastra {

using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for ages and deadlines.
  virtual SteadyTime Now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for timestamps shown to people.
  virtual std::int64_t WallMs() const = 0;
};

// The real clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t WallMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Seconds between two steady times as a double (negative if `to` is earlier).
inline double SecondsBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace orcastra
