// The id table shared by a run's threads and worker processes.
#include "conformance/engine/shared_ids.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace conformance::engine {

void* map_shared(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error(std::string("cannot map shared memory: ") + std::strerror(errno));
  return p;
}

void unmap_shared(void* p, std::size_t bytes) {
  if (p) munmap(p, bytes);
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void ProcessLock::init() {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&mu, &ma);
  pthread_mutexattr_destroy(&ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cv, &ca);
  pthread_condattr_destroy(&ca);
}

void ProcessLock::lock() {
  if (pthread_mutex_lock(&mu) == EOWNERDEAD) pthread_mutex_consistent(&mu);
}

bool ProcessLock::wait_until(std::int64_t deadline_ns) {
  timespec ts{};
  ts.tv_sec = deadline_ns / 1000000000LL;
  ts.tv_nsec = deadline_ns % 1000000000LL;
  int rc = pthread_cond_timedwait(&cv, &mu, &ts);
  if (rc == EOWNERDEAD) pthread_mutex_consistent(&mu);
  return rc != ETIMEDOUT;
}

namespace {

std::uint64_t hash_of(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ULL;
  return h ? h : 1;
}

class Locked {
 public:
  explicit Locked(ProcessLock& l) : l_(l) { l_.lock(); }
  ~Locked() { l_.unlock(); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  ProcessLock& l_;
};

}  // namespace

SharedIds::SharedIds() : t_(static_cast<Table*>(map_shared(sizeof(Table)))) {
  // Fresh anonymous pages are zero: empty slots, nothing in flight.
  t_->lock.init();
}

SharedIds::~SharedIds() {
  unmap_shared(t_, sizeof(Table));
}

const SharedIds::Slot* SharedIds::find(const std::string& id, std::uint64_t h) const {
  if (id.size() > kMaxId) return nullptr;
  for (std::size_t i = h % kCapacity, n = 0; n < kCapacity; i = (i + 1) % kCapacity, ++n) {
    const Slot& s = t_->slots[i];
    if (s.hash == 0) return nullptr;
    if (s.hash == h && s.length == id.size() && std::memcmp(s.id, id.data(), id.size()) == 0)
      return &s;
  }
  return nullptr;
}

void SharedIds::add(const std::string& id, int user) {
  std::uint64_t h = hash_of(id);
  {
    Locked lock(t_->lock);
    if (!find(id, h)) {
      if (id.size() > kMaxId || t_->size >= kCapacity / 4 * 3) {
        t_->overflowed = true;
      } else {
        std::size_t i = h % kCapacity;
        while (t_->slots[i].hash != 0)
          i = (i + 1) % kCapacity;
        Slot& s = t_->slots[i];
        s.user = user;
        s.length = static_cast<std::uint16_t>(id.size());
        std::memcpy(s.id, id.data(), id.size());
        s.hash = h;
        ++t_->size;
      }
    }
  }
  t_->lock.notify_all();
}

int SharedIds::owner(const std::string& id, double wait_s) const {
  std::uint64_t h = hash_of(id);
  Locked lock(t_->lock);
  const Slot* s = find(id, h);
  if (!s && t_->in_flight > 0) {
    std::int64_t deadline = monotonic_ns() + static_cast<std::int64_t>(wait_s * 1e9);
    while (t_->in_flight > 0 && monotonic_ns() < deadline)
      t_->lock.wait_until(deadline);
    s = find(id, h);
  }
  if (s) return s->user;
  return t_->overflowed ? kUnknown : -1;
}

std::size_t SharedIds::size() const {
  Locked lock(t_->lock);
  return t_->size;
}

bool SharedIds::overflowed() const {
  Locked lock(t_->lock);
  return t_->overflowed;
}

SharedIds::Creating::Creating(SharedIds& ids) : ids_(ids) {
  Locked lock(ids_.t_->lock);
  ++ids_.t_->in_flight;
}

SharedIds::Creating::~Creating() {
  {
    Locked lock(ids_.t_->lock);
    --ids_.t_->in_flight;
  }
  ids_.t_->lock.notify_all();
}

}  // namespace conformance::engine
