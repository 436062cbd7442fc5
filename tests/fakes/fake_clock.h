// A Clock that moves only when told to: tests advance it instead of sleeping.
#pragma once

#include "common/clock.h"

namespace orcastra::testing {

class FakeClock final : public Clock {
 public:
  SteadyTime Now() const override { return now_; }
  std::int64_t WallMs() const override {
    return 1'700'000'000'000 +
           std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch()).count();
  }
  void Advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  SteadyTime now_ = SteadyTime{} + std::chrono::hours(1);
};

}  // namespace orcastra::testing
