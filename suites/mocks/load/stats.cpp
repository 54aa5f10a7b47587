#include <bit>

#include "load.hpp"

namespace load {

// Values below 128 have their own bucket; above, a power of two [2^e, 2^(e+1)) is split into
// 64 buckets of width 2^(e-6).
int Histogram::index(std::uint64_t v) {
  if (v < 2 * kSub) return static_cast<int>(v);
  const int e = 63 - std::countl_zero(v);
  const int shift = e - 6;
  const int idx = (shift + 1) * kSub + static_cast<int>((v >> shift) - kSub);
  return idx < kBuckets ? idx : kBuckets - 1;
}

std::uint64_t Histogram::upper(int idx) {
  if (idx < 2 * kSub) return static_cast<std::uint64_t>(idx);
  const int shift = idx / kSub - 1;
  const std::uint64_t mant = static_cast<std::uint64_t>(idx % kSub + kSub);
  return ((mant + 1) << shift) - 1;
}

void Histogram::add(std::uint64_t ns) {
  ++b_[static_cast<std::size_t>(index(ns))];
  ++count_;
  sum_ += ns;
  if (ns > max_) max_ = ns;
}

void Histogram::merge(const Histogram& o) {
  for (std::size_t i = 0; i < b_.size(); ++i)
    b_[i] += o.b_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  if (o.max_ > max_) max_ = o.max_;
}

std::uint64_t Histogram::percentile(double p) const {
  if (!count_) return 0;
  auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += b_[static_cast<std::size_t>(i)];
    if (seen >= rank) return std::min(upper(i), max_);
  }
  return max_;
}

void Stats::merge(const Stats& o) {
  calls += o.calls;
  status_5xx += o.status_5xx;
  transport_errors += o.transport_errors;
  mismatches += o.mismatches;
  for (const auto& [k, v] : o.ops)
    ops[k] += v;
  latency.merge(o.latency);
}

void Violations::add(std::string detail) {
  const auto n = ++count_;
  if (n > static_cast<std::uint64_t>(keep_)) return;
  std::lock_guard lock(mu_);
  first_.push_back(std::move(detail));
}

std::vector<std::string> Violations::first() const {
  std::lock_guard lock(mu_);
  return first_;
}

const char* state_name(State s) {
  switch (s) {
    case State::Active:
      return "ACTIVE";
    case State::Canceled:
      return "CANCELED";
    default:
      return "ERROR";
  }
}

}  // namespace load
