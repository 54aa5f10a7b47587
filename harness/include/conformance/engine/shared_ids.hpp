// Ids created concurrently with a sequence, by their creating user: the background lease
// probes', and (with --workers) the other worker processes'. Their user's list may show
// them, another user's may not.
//
// The table lives in anonymous shared memory (MAP_SHARED), so that it is one table for a
// process and the children it forks afterwards (workers.hpp); its lock is a robust,
// process-shared mutex (a worker that dies holding it leaves it usable) and a process-shared
// condition variable. It is thread-safe and fork-safe: create it before forking.
//
// A create is announced before it is sent (Creating) and its id added when its answer is
// read, so a list that shows an id in between is not taken for a stranger's: owner() waits
// for the creates in flight to land before it answers -1.
//
// Capacity: kCapacity ids of at most kMaxId bytes. An id that does not fit (the table is
// three-quarters full, or the id is longer) is not recorded and the table is marked
// overflowed: from then on owner() answers kUnknown (not -1) for an id it does not hold,
// and the checks that need the owner of a concurrent id pass over it (no false finding;
// the summary of a run says the cross-sequence check was cut short).
#pragma once

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace conformance::engine {

// Anonymous memory shared with the children forked after it was mapped. Throws
// std::runtime_error when it cannot be mapped.
void* map_shared(std::size_t bytes);
void unmap_shared(void* p, std::size_t bytes);

// A mutex and a condition variable that work across processes (in shared memory).
struct ProcessLock {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  void init();  // once, before forking
  void lock();  // recovers the lock of a holder that died
  void unlock() { pthread_mutex_unlock(&mu); }
  // Waits until notified or `deadline_ns` (CLOCK_MONOTONIC) passed; false on timeout.
  bool wait_until(std::int64_t deadline_ns);
  void notify_all() { pthread_cond_broadcast(&cv); }
};

std::int64_t monotonic_ns();

class SharedIds {
 public:
  static constexpr std::size_t kCapacity = 1 << 16;
  static constexpr std::size_t kMaxId = 150;
  static constexpr int kUnknown = -2;

  SharedIds();
  ~SharedIds();
  SharedIds(const SharedIds&) = delete;
  SharedIds& operator=(const SharedIds&) = delete;

  void add(const std::string& id, int user);
  // The user who created `id`; -1 (after the creates in flight, at most `wait_s`) when
  // nobody in this run did; kUnknown when the table overflowed and does not hold it.
  int owner(const std::string& id, double wait_s = 30) const;
  std::size_t size() const;
  bool overflowed() const;

  // While one lives, a create is in flight (in this process or another).
  class Creating {
   public:
    explicit Creating(SharedIds& ids);
    ~Creating();
    Creating(const Creating&) = delete;
    Creating& operator=(const Creating&) = delete;

   private:
    SharedIds& ids_;
  };

 private:
  struct Slot {
    std::uint64_t hash;  // 0: empty
    std::int32_t user;
    std::uint16_t length;
    char id[kMaxId];
  };
  struct Table {
    ProcessLock lock;
    std::int64_t in_flight;
    std::size_t size;
    bool overflowed;
    Slot slots[kCapacity];
  };
  const Slot* find(const std::string& id, std::uint64_t h) const;  // under the lock
  Table* t_;
};

}  // namespace conformance::engine
