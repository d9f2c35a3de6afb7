#include "cached_store.hpp"

#include <algorithm>

namespace clm::server {

namespace {

// An open transaction of a CachedStore on this thread.
struct Frame {
  const CachedStore* store;
  int depth;
  bool bypass;                     // reads go to the store: it wrote, or reads what it changes
  std::uint64_t generation;        // of the cache when it began: rows it reads are kept only if unchanged since
  std::vector<std::string> names;  // of the rows it changed
};

thread_local std::vector<Frame> t_frames;

Frame* frame_of(const CachedStore* store)
{
  for (Frame& f : t_frames) {
    if (f.store == store) {
      return &f;
    }
  }
  return nullptr;
}

std::string id_name(std::int64_t keyid) { return "i" + std::to_string(keyid); }
std::string device_name(const std::string& devicename) { return "n" + devicename; }
std::string device_alias(const std::string& deviceid) { return "d" + deviceid; }
std::string key_name(std::int64_t keynumber) { return "k" + std::to_string(keynumber); }
std::string cert_name(std::int64_t keynumber) { return "c" + std::to_string(keynumber); }
std::string binding_name(std::int64_t keynumber, const std::string& deviceid)
{
  return "b" + std::to_string(keynumber) + ":" + deviceid;
}
// Forget everything: a change whose reach is wider than a row (a device's owner, which
// its keys and certificates carry), or a copy.
const std::string k_all = "*";

// Return the second name a row is known by: a device's by its deviceid (what its
// changes name); none for the others.
std::string alias_of(const DeviceRecord& r) { return device_alias(r.deviceid); }
template <typename T>
std::string alias_of(const T&)
{
  return {};
}

// The announcement of names: space-separated, or "*" past what a notice carries.
std::string announcement(const std::vector<std::string>& names)
{
  constexpr std::size_t k_max_payload = 7000;  // PostgreSQL's limit is 8000 bytes
  std::string text;
  for (const std::string& n : names) {
    if (n == k_all || text.size() + n.size() + 1 > k_max_payload) {
      return k_all;
    }
    text += text.empty() ? "" : " ";
    text += n;
  }
  return text;
}

}  // namespace

CachedStore::CachedStore(std::unique_ptr<Store> inner, std::size_t capacity)
  : m_inner(std::move(inner)), m_capacity(capacity)
{
  m_in_use = m_capacity > 0;
  if (m_capacity > 0) {
    // Until the store listens, changes made elsewhere would go unheard: unused.
    m_in_use = false;
    m_shared = m_inner->watch_changes([this](const ChangeNotice& notice) { heard(notice); });
    if (!m_shared) {
      m_in_use = true;
    }
  }
}

CachedStore::~CachedStore()
{
  m_inner.reset();  // first: its notice thread calls heard()
}

CachedStore::Stats CachedStore::stats() const
{
  const std::lock_guard lock(m_mutex);
  return Stats{m_hits.load(), m_misses.load(), m_entries.size(), m_in_use.load()};
}

bool CachedStore::readable() const
{
  const Frame* f = frame_of(this);
  return m_in_use && !(f && f->bypass);
}

std::uint64_t CachedStore::read_generation() const
{
  const Frame* f = frame_of(this);
  return f ? f->generation : m_generation.load();
}

template <typename T>
std::optional<T> CachedStore::lookup(const std::string& name)
{
  const std::lock_guard lock(m_mutex);
  const auto it = m_index.find(name);
  if (it == m_index.end()) {
    return std::nullopt;
  }
  const T* value = std::get_if<T>(&it->second->value);
  if (!value) {
    return std::nullopt;
  }
  m_entries.splice(m_entries.begin(), m_entries, it->second);
  return *value;
}

void CachedStore::remember(std::uint64_t generation, std::string name, std::string alias, Value value)
{
  const std::lock_guard lock(m_mutex);
  if (generation != m_generation || !m_in_use || m_index.count(name) != 0) {
    return;  // something changed since it was read, or another thread was first
  }
  if (!alias.empty()) {
    if (const auto it = m_index.find(alias); it != m_index.end()) {
      erase(it->second);  // the same device under its former name
    }
  }
  m_entries.push_front(Entry{std::move(name), std::move(alias), std::move(value)});
  m_index.emplace(m_entries.front().name, m_entries.begin());
  if (!m_entries.front().alias.empty()) {
    m_index.emplace(m_entries.front().alias, m_entries.begin());
  }
  while (m_entries.size() > m_capacity) {
    erase(std::prev(m_entries.end()));
  }
}

void CachedStore::erase(std::list<Entry>::iterator it)
{
  m_index.erase(it->name);
  if (!it->alias.empty()) {
    m_index.erase(it->alias);
  }
  m_entries.erase(it);
}

template <typename T, typename Fetch>
std::optional<T> CachedStore::read_through(const std::string& name, Fetch&& fetch)
{
  if (!readable()) {
    return fetch();
  }
  const std::uint64_t generation = read_generation();
  if (auto hit = lookup<T>(name)) {
    ++m_hits;
    return hit;
  }
  ++m_misses;
  std::optional<T> r = fetch();
  if (r) {
    remember(generation, name, alias_of(*r), *r);
  }
  return r;
}

void CachedStore::forget(const std::vector<std::string>& names)
{
  if (names.empty()) {
    return;
  }
  if (std::find(names.begin(), names.end(), k_all) != names.end()) {
    forget_all();
    return;
  }
  const std::lock_guard lock(m_mutex);
  ++m_generation;
  for (const std::string& n : names) {
    if (const auto it = m_index.find(n); it != m_index.end()) {
      erase(it->second);
    }
  }
}

void CachedStore::forget_all()
{
  const std::lock_guard lock(m_mutex);
  ++m_generation;
  m_index.clear();
  m_entries.clear();
}

void CachedStore::heard(const ChangeNotice& notice)
{
  if (!notice) {
    m_in_use = false;  // notices stopped: changes made elsewhere would go unheard
    forget_all();
  } else if (notice->empty()) {
    forget_all();  // listening (again): what was kept before may have changed meanwhile
    m_in_use = true;
  } else {
    forget(*notice);
  }
}

void CachedStore::transaction(const std::function<void()>& body, Durability durability)
{
  if (Frame* f = frame_of(this)) {
    ++f->depth;
    f->bypass = f->bypass || durability == Durability::full;
    try {
      m_inner->transaction(body, durability);
    } catch (...) {
      --frame_of(this)->depth;
      throw;
    }
    --frame_of(this)->depth;
    return;
  }
  t_frames.push_back(Frame{this, 1, durability == Durability::full, m_generation.load(), {}});
  const auto end = [this] {
    const auto it = std::find_if(t_frames.begin(), t_frames.end(), [this](const Frame& f) { return f.store == this; });
    std::vector<std::string> names = std::move(it->names);
    t_frames.erase(it);
    forget(names);
  };
  try {
    m_inner->transaction([&] {
      body();
      const Frame& f = *frame_of(this);
      if (m_shared && !f.names.empty()) {
        m_inner->announce_changes(announcement(f.names));
      }
    }, durability);
  } catch (...) {
    end();
    throw;
  }
  end();
}

template <typename Change>
auto CachedStore::write(std::vector<std::string> names, Change&& change) -> decltype(change())
{
  Frame* f = frame_of(this);
  if (!f && !names.empty() && m_capacity > 0) {
    // A change of its own: announced and forgotten as a transaction's.
    using Result = decltype(change());
    if constexpr (std::is_void_v<Result>) {
      transaction([&] { write(std::move(names), change); });
    } else {
      std::optional<Result> result;
      transaction([&] { result = write(std::move(names), change); });
      return std::move(*result);
    }
  } else {
    if (f) {
      f->bypass = true;
      f->names.insert(f->names.end(), names.begin(), names.end());
    }
    return change();
  }
}

void CachedStore::initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs)
{
  write({}, [&] { m_inner->initialize(pairs); });
}

IdRecord CachedStore::create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal)
{
  return write({}, [&] { return m_inner->create_id(fields, seal); });
}

std::optional<IdRecord> CachedStore::find_id(std::int64_t keyid)
{
  const std::string name = id_name(keyid);
  return read_through<IdRecord>(name, [&] { return m_inner->find_id(keyid); });
}

void CachedStore::set_id_status(std::int64_t keyid, Status status)
{
  write({id_name(keyid)}, [&] { m_inner->set_id_status(keyid, status); });
}

std::int64_t CachedStore::next_number(Counter counter)
{
  return write({}, [&] { return m_inner->next_number(counter); });
}

std::int64_t CachedStore::allocate_keynumber(const std::string& kind)
{
  return write({}, [&] { return m_inner->allocate_keynumber(kind); });
}

DeviceRecord CachedStore::create_device(const DeviceRecord& fields,
                                        const std::function<std::string(const std::string&)>& seal)
{
  return write({}, [&] { return m_inner->create_device(fields, seal); });
}

std::optional<DeviceRecord> CachedStore::find_device_by_name(const std::string& devicename)
{
  const std::string name = device_name(devicename);
  return read_through<DeviceRecord>(name, [&] { return m_inner->find_device_by_name(devicename); });
}

void CachedStore::update_device(const DeviceRecord& r)
{
  write({device_alias(r.deviceid)}, [&] { m_inner->update_device(r); });
}

bool CachedStore::claim_device(const std::string& deviceid, std::int64_t keyid)
{
  // The owner is part of the device's keys and certificates as read: forget them all.
  return write({k_all}, [&] { return m_inner->claim_device(deviceid, keyid); });
}

bool CachedStore::add_fleet_grant(std::int64_t keyid, std::int64_t now_ms)
{
  return write({}, [&] { return m_inner->add_fleet_grant(keyid, now_ms); });
}

bool CachedStore::remove_fleet_grant(std::int64_t keyid)
{
  return write({}, [&] { return m_inner->remove_fleet_grant(keyid); });
}

void CachedStore::insert_certificate(const CertRecord& r)
{
  write({}, [&] { m_inner->insert_certificate(r); });
}

std::optional<CertRecord> CachedStore::find_certificate(std::int64_t keynumber)
{
  const std::string name = cert_name(keynumber);
  return read_through<CertRecord>(name, [&] { return m_inner->find_certificate(keynumber); });
}

void CachedStore::update_certificate(const CertRecord& r)
{
  write({cert_name(r.keynumber)}, [&] { m_inner->update_certificate(r); });
}

void CachedStore::insert_key(const KeyRecord& r)
{
  write({}, [&] { m_inner->insert_key(r); });
}

std::optional<KeyRecord> CachedStore::find_key(std::int64_t keynumber)
{
  const std::string name = key_name(keynumber);
  return read_through<KeyRecord>(name, [&] { return m_inner->find_key(keynumber); });
}

void CachedStore::update_key(const KeyRecord& r)
{
  write({key_name(r.keynumber)}, [&] { m_inner->update_key(r); });
}

void CachedStore::bind_key(std::int64_t keynumber, const std::string& deviceid, const std::string& filepath)
{
  if (readable() && find_binding(keynumber, deviceid) == filepath) {
    return;  // bound there already: a read stays a read
  }
  write({binding_name(keynumber, deviceid)}, [&] { m_inner->bind_key(keynumber, deviceid, filepath); });
}

std::optional<std::string> CachedStore::find_binding(std::int64_t keynumber, const std::string& deviceid)
{
  const std::string name = binding_name(keynumber, deviceid);
  const auto held = read_through<Binding>(name, [&] {
    auto path = m_inner->find_binding(keynumber, deviceid);
    return path ? std::optional<Binding>(Binding{std::move(*path)}) : std::nullopt;
  });
  return held ? std::optional<std::string>(held->filepath) : std::nullopt;
}

void CachedStore::prefetch_device_key(const std::string& devicename, std::int64_t keynumber,
                                      const std::string& deviceid)
{
  if (readable()) {
    const std::lock_guard lock(m_mutex);
    if (m_index.count(device_name(devicename)) != 0 && m_index.count(key_name(keynumber)) != 0
        && m_index.count(binding_name(keynumber, deviceid)) != 0) {
      return;  // all three are here: nothing to load
    }
  }
  m_inner->prefetch_device_key(devicename, keynumber, deviceid);
}

void CachedStore::publish_crl(const CrlRecord& crl)
{
  write({}, [&] { m_inner->publish_crl(crl); });
}

void CachedStore::insert_rows(const TableSpec& table, const std::vector<Row>& rows)
{
  write({k_all}, [&] { m_inner->insert_rows(table, rows); });
}

void CachedStore::set_counter(Counter counter, std::int64_t last)
{
  write({}, [&] { m_inner->set_counter(counter, last); });
}

void CachedStore::record_event(const EventRecord& e)
{
  write({}, [&] { m_inner->record_event(e); });
}

}  // namespace clm::server
