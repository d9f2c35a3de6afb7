// The audit events of reads, written on a thread of their own so that a read never waits
// on the database's commit: idle, an event is written at once; under load, the events of
// the many requests that came meanwhile share one transaction. Used by both stores.
#pragma once

#include "store.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clm::server {

class EventQueue {
public:
  // write_queued is called on the queue's thread whenever events are queued; it takes
  // them (take()) and writes them, and says so (written()) or gives them back
  // (put_back()). An exception from it drops what it took, with a line on stderr.
  explicit EventQueue(std::function<void()> write_queued);
  ~EventQueue();  // stop()
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Write what it holds, then end its thread.
  void stop();
  void add(std::vector<EventRecord> events);
  // Take every queued event (a writing transaction inserts them before its own, so the
  // audit trail keeps the order of the calls), and give them back (its rollback) or
  // count them written (its commit).
  std::vector<EventRecord> take();
  void put_back(std::vector<EventRecord> events);
  void written(std::size_t n);
  // Return once every event added before the call is written (or dropped).
  void flush();

private:
  void run();

  std::function<void()> m_write_queued;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::vector<EventRecord> m_pending;  // guarded by m_mutex, as the three below
  std::uint64_t m_added = 0;
  std::uint64_t m_written = 0;
  bool m_stop = false;
  std::thread m_thread;  // last: started once the rest is set
};

}  // namespace clm::server
