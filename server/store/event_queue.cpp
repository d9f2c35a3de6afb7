#include "event_queue.hpp"

#include <cstdio>
#include <exception>
#include <iterator>
#include <utility>

namespace clm::server {

EventQueue::EventQueue(std::function<void()> write_queued)
  : m_write_queued(std::move(write_queued)), m_thread([this] { run(); })
{
}

EventQueue::~EventQueue()
{
  stop();
}

void EventQueue::stop()
{
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void EventQueue::add(std::vector<EventRecord> events)
{
  if (events.empty()) {
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    m_added += events.size();
    for (EventRecord& e : events) {
      m_pending.push_back(std::move(e));
    }
  }
  m_wake.notify_all();
}

std::vector<EventRecord> EventQueue::take()
{
  std::lock_guard lock(m_mutex);
  std::vector<EventRecord> out;
  out.swap(m_pending);
  return out;
}

void EventQueue::put_back(std::vector<EventRecord> events)
{
  if (events.empty()) {
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    events.insert(events.end(), std::make_move_iterator(m_pending.begin()), std::make_move_iterator(m_pending.end()));
    m_pending.swap(events);
  }
  m_wake.notify_all();
}

void EventQueue::written(std::size_t n)
{
  if (n == 0) {
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    m_written += n;
  }
  m_wake.notify_all();
}

void EventQueue::flush()
{
  std::unique_lock lock(m_mutex);
  const std::uint64_t target = m_added;
  m_wake.wait(lock, [&] { return m_written >= target; });
}

void EventQueue::run()
{
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [&] { return m_stop || !m_pending.empty(); });
    if (m_pending.empty()) {
      return;  // stopping, and everything is written
    }
    lock.unlock();
    // Idle, an event is written at once; under load, the events of many requests that
    // came meanwhile share one commit.
    try {
      m_write_queued();
    } catch (const std::exception& e) {
      const std::size_t lost = take().size();
      written(lost);
      std::fprintf(stderr, "clm-server: %zu audit events of reads were not written: %s\n", lost, e.what());
    }
    lock.lock();
  }
}

}  // namespace clm::server
