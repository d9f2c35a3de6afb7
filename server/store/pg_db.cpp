#include "pg_db.hpp"

#include <clm/util/endian.hpp>

#include <cstring>
#include <poll.h>

namespace clm::server {

namespace {

// Type OIDs of the PostgreSQL catalog (pg_type.h is a server header).
constexpr Oid k_bool = 16;
constexpr Oid k_bytea = 17;
constexpr Oid k_int8 = 20;
constexpr Oid k_int2 = 21;
constexpr Oid k_int4 = 23;
constexpr Oid k_text = 25;
constexpr Oid k_int8_array = 1016;
constexpr Oid k_text_array = 1009;

// The message of a result or connection, on one line.
std::string one_line(const char* message)
{
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  for (char& c : s) {
    if (c == '\n' || c == '\t') {
      c = ' ';
    }
  }
  return s;
}

}  // namespace

PgParams& PgParams::push(Oid type, std::string value, int format)
{
  m_types.push_back(type);
  m_lengths.push_back(static_cast<int>(value.size()));
  m_values.push_back(std::move(value));
  m_null.push_back(0);
  m_formats.push_back(format);
  return *this;
}

PgParams& PgParams::add(std::int64_t v) { return push(k_int8, std::to_string(v), 0); }
PgParams& PgParams::add(bool v) { return push(k_bool, v ? "t" : "f", 0); }
// Binary: the length counts (text format would stop at a NUL byte; PostgreSQL refuses
// one in text, so it fails instead of being cut short).
PgParams& PgParams::add(const std::string& v) { return push(k_text, v, 1); }
PgParams& PgParams::add_bytes(const std::string& v) { return push(k_bytea, v, 1); }

PgParams& PgParams::add_int64_array(const std::vector<std::int64_t>& v)
{
  std::string text = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    text += (i ? "," : "") + std::to_string(v[i]);
  }
  return push(k_int8_array, text + "}", 0);
}

PgParams& PgParams::add_int64_array(const std::vector<std::optional<std::int64_t>>& v)
{
  std::string text = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    text += (i ? "," : "") + (v[i] ? std::to_string(*v[i]) : std::string("NULL"));
  }
  return push(k_int8_array, text + "}", 0);
}

PgParams& PgParams::add_text_array(const std::vector<std::string>& v)
{
  std::string text = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    text += i ? ",\"" : "\"";
    for (const char c : v[i]) {
      if (c == '"' || c == '\\') {
        text += '\\';
      }
      text += c;
    }
    text += '"';
  }
  return push(k_text_array, text + "}", 0);
}

PgParams& PgParams::add_null(Oid type)
{
  push(type, "", 0);
  m_null.back() = 1;
  return *this;
}

Oid PgParams::type_of(const std::int64_t*) { return k_int8; }
Oid PgParams::type_of(const std::string*) { return k_text; }

std::vector<const char*> PgParams::values() const
{
  std::vector<const char*> out;
  out.reserve(m_values.size());
  for (std::size_t i = 0; i < m_values.size(); ++i) {
    out.push_back(m_null[i] ? nullptr : m_values[i].data());
  }
  return out;
}

std::int64_t PgResult::changed() const
{
  const char* n = PQcmdTuples(m_res);
  return n && *n ? std::stoll(n) : 0;
}

std::int64_t PgResult::Row::int64(int col) const
{
  const char* p = PQgetvalue(m_res, m_row, col);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(p);  // binary results are big-endian
  switch (PQftype(m_res, col)) {
  case k_int8:
    return static_cast<std::int64_t>(util::load_be64(bytes));
  case k_int4:
    return static_cast<std::int32_t>(util::load_be32(bytes));
  case k_int2:
    return static_cast<std::int16_t>(util::load_be16(bytes));
  case k_bool:
    return *p != 0;
  default:
    throw StoreError(1602, std::string("column ") + PQfname(m_res, col) + " is not an integer");
  }
}

std::string PgResult::Row::text(int col) const
{
  return std::string(PQgetvalue(m_res, m_row, col), static_cast<std::size_t>(PQgetlength(m_res, m_row, col)));
}

PgConnection::PgConnection(const std::string& conninfo)
{
  m_conn = PQconnectdb(conninfo.c_str());
  if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
    const std::string msg = m_conn ? one_line(PQerrorMessage(m_conn)) : "out of memory";
    PQfinish(m_conn);
    m_conn = nullptr;
    throw StoreError(1601, "cannot connect to PostgreSQL: " + msg);
  }
  // Answers are never shown to a user; keep server notices off stderr.
  PQsetNoticeProcessor(m_conn, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() { PQfinish(m_conn); }

bool PgConnection::closed_by_server()
{
  pollfd fd{socket(), POLLIN, 0};
  if (fd.fd < 0) {
    return true;
  }
  // An idle connection has something to read only when the server said something
  // unasked: an error before closing (or a notification, which keeps it healthy).
  // What it said is read first; the end of the connection shows on the next read.
  for (int i = 0; i < 3 && healthy() && ::poll(&fd, 1, 0) > 0; ++i) {
    if (PQconsumeInput(m_conn) != 1) {
      break;
    }
  }
  return !healthy();
}

std::vector<std::string> PgConnection::take_notifications()
{
  if (PQconsumeInput(m_conn) != 1 || !healthy()) {
    fail(nullptr, "listening for changes");
  }
  std::vector<std::string> payloads;
  while (PGnotify* n = PQnotifies(m_conn)) {
    payloads.emplace_back(n->extra);
    PQfreemem(n);
  }
  return payloads;
}

std::string PgConnection::identifier(const std::string& name)
{
  char* quoted = PQescapeIdentifier(m_conn, name.data(), name.size());
  if (!quoted) {
    fail(nullptr, "quoting " + name);
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

void PgConnection::fail(PGresult* res, const std::string& what)
{
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(m_conn));
  if (message.empty()) {
    message = one_line(PQerrorMessage(m_conn));
  }
  const std::string sqlstate = state ? state : "";
  PQclear(res);
  const int errorcode = healthy() ? 1602 : 1601;
  throw PgError(errorcode, sqlstate, what + ": " + message);
}

PgResult PgConnection::exec(const std::string& sql, const PgParams& params)
{
  auto it = m_prepared.find(sql);
  if (it == m_prepared.end()) {
    const std::string name = "s" + std::to_string(m_prepared.size() + 1);
    PGresult* res = PQprepare(m_conn, name.c_str(), sql.c_str(), params.size(), params.types());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      fail(res, "preparing a statement");
    }
    PQclear(res);
    it = m_prepared.emplace(sql, name).first;
  }
  const std::vector<const char*> values = params.values();
  PGresult* res = PQexecPrepared(m_conn, it->second.c_str(), params.size(), values.data(), params.lengths(),
                                 params.formats(), 1);
  const ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    fail(res, "a statement");
  }
  return PgResult(res);
}

void PgConnection::exec_script(const char* sql)
{
  PGresult* res = PQexec(m_conn, sql);
  const ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    fail(res, "a statement");
  }
  PQclear(res);
}

std::unique_ptr<PgConnection> PgPool::acquire()
{
  std::unique_lock lock(m_mutex);
  m_returned.wait(lock, [&] { return !m_idle.empty() || m_out < m_size; });
  ++m_out;
  while (!m_idle.empty()) {
    auto conn = std::move(m_idle.back());
    m_idle.pop_back();
    if (!conn->closed_by_server()) {
      return conn;
    }
    // The database ended it while it was idle (a restart, pg_terminate_backend): a
    // new one takes its place instead of failing the statement sent on it.
  }
  lock.unlock();
  try {
    return std::make_unique<PgConnection>(m_conninfo);
  } catch (...) {
    lock.lock();
    --m_out;
    m_returned.notify_one();
    throw;
  }
}

void PgPool::release(std::unique_ptr<PgConnection> conn)
{
  {
    std::lock_guard lock(m_mutex);
    --m_out;
    if (conn && conn->healthy() && m_idle.size() + m_out < m_size) {
      m_idle.push_back(std::move(conn));
    }
  }
  m_returned.notify_one();
}

void PgPool::resize(std::size_t size)
{
  std::lock_guard lock(m_mutex);
  m_size = size;
  while (m_idle.size() + m_out > m_size && !m_idle.empty()) {
    m_idle.pop_back();
  }
  m_returned.notify_all();
}

}  // namespace clm::server
