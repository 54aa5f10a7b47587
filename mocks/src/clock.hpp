// The mock's clock: wall time, or a virtual clock that only moves when advanced.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace dsmock::detail {

// Milliseconds since the Unix epoch (UTC).
using Millis = std::int64_t;

class Clock {
 public:
  static constexpr Millis kVirtualStart = 1893456000000;  // 2030-01-01T00:00:00.000Z
  static constexpr Millis kMax = 253402300799999;         // 9999-12-31T23:59:59.999Z

  explicit Clock(bool virtual_mode) : virtual_(virtual_mode), now_(kVirtualStart) {}

  bool is_virtual() const { return virtual_; }
  Millis now() const;
  // Virtual mode only. Returns false (and leaves the clock alone) if the result would pass kMax.
  bool advance(Millis ms);
  void reset() { now_ = kVirtualStart; }

 private:
  bool virtual_;
  std::atomic<Millis> now_;
};

// Saturating a + b for non-negative b, capped at Clock::kMax.
Millis add_capped(Millis a, Millis b);

// YYYY-MM-DDThh:mm:ss.sssZ (UTC).
std::string format_datetime(Millis t);
// The `bad-datetime` fault's form: YYYY-MM-DD hh:mm:ss (no T, no fraction, no Z).
std::string format_datetime_bad(Millis t);

}  // namespace dsmock::detail
