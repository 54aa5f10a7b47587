#include "clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace dsmock::detail {

Millis Clock::now() const {
  if (virtual_) return now_.load();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool Clock::advance(Millis ms) {
  if (!virtual_ || ms < 0) return false;
  Millis cur = now_.load();
  for (;;) {
    if (ms > kMax - cur) return false;
    if (now_.compare_exchange_weak(cur, cur + ms)) return true;
  }
}

Millis add_capped(Millis a, Millis b) {
  if (b < 0) b = 0;
  if (a >= Clock::kMax || b > Clock::kMax - a) return Clock::kMax;
  return a + b;
}

namespace {
std::tm to_tm(Millis t) {
  if (t < 0) t = 0;
  if (t > Clock::kMax) t = Clock::kMax;
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string format_datetime(Millis t) {
  if (t < 0) t = 0;
  if (t > Clock::kMax) t = Clock::kMax;
  std::tm tm = to_tm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(t % 1000));
  return buf;
}

std::string format_datetime_bad(Millis t) {
  std::tm tm = to_tm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace dsmock::detail
