// The PostgreSQL engine under PostgresStore: connections with cached prepared
// statements, typed parameters, results read in the binary format, a connection pool,
// errors as StoreError carrying the SQLSTATE. What rows mean is PostgresStore's business.
#pragma once

#include "store.hpp"

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace clm::server {

// A statement PostgreSQL refused: StoreError 1602 (1601 when the connection is lost),
// with the SQLSTATE it reported ("40001": serialization failure, ...).
class PgError : public StoreError {
public:
  PgError(int errorcode, std::string sqlstate, const std::string& message)
    : StoreError(errorcode, message), m_sqlstate(std::move(sqlstate))
  {
  }
  const std::string& sqlstate() const { return m_sqlstate; }
  // Return whether running the whole transaction again may succeed (serialization
  // failure, deadlock): nothing of it was committed.
  bool retryable() const { return m_sqlstate == "40001" || m_sqlstate == "40P01"; }

private:
  std::string m_sqlstate;
};

// The parameters of one statement, $1, $2, ... in the order added, with their types.
// Numbers and arrays travel as text, strings and byte strings (bytea) as their bytes.
class PgParams {
public:
  PgParams& add(std::int64_t v);
  PgParams& add(bool v);
  PgParams& add(const std::string& v);  // text
  PgParams& add_bytes(const std::string& v);  // bytea
  PgParams& add_int64_array(const std::vector<std::int64_t>& v);
  PgParams& add_int64_array(const std::vector<std::optional<std::int64_t>>& v);
  PgParams& add_text_array(const std::vector<std::string>& v);
  // Add v, or NULL of its type when it is absent.
  template <typename T>
  PgParams& add(const std::optional<T>& v)
  {
    if (v) {
      return add(*v);
    }
    return add_null(type_of(static_cast<const T*>(nullptr)));
  }

  int size() const { return static_cast<int>(m_types.size()); }
  const Oid* types() const { return m_types.data(); }
  // Pointers into this object, valid until it changes.
  std::vector<const char*> values() const;
  const int* lengths() const { return m_lengths.data(); }
  const int* formats() const { return m_formats.data(); }

private:
  static Oid type_of(const std::int64_t*);
  static Oid type_of(const std::string*);
  PgParams& add_null(Oid type);
  PgParams& push(Oid type, std::string value, int format);

  std::vector<Oid> m_types;
  std::vector<std::string> m_values;
  std::vector<char> m_null;
  std::vector<int> m_lengths;
  std::vector<int> m_formats;
};

// A result, freed on scope exit; values are in the binary format.
class PgResult {
public:
  explicit PgResult(PGresult* r) : m_res(r) {}
  PgResult(PgResult&& o) noexcept : m_res(o.m_res) { o.m_res = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;
  ~PgResult() { PQclear(m_res); }

  int rows() const { return PQntuples(m_res); }
  // Return the number of rows the command changed (UPDATE, INSERT, DELETE).
  std::int64_t changed() const;

  // One row, read as the record readers (records.hpp) expect.
  class Row {
  public:
    Row(const PgResult& res, int row) : m_res(res.m_res), m_row(row) {}
    bool is_null(int col) const { return PQgetisnull(m_res, m_row, col) != 0; }
    std::int64_t int64(int col) const;
    bool boolean(int col) const { return int64(col) != 0; }
    std::string text(int col) const;
    std::optional<std::int64_t> optional_int64(int col) const
    {
      return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
    }
    std::optional<std::string> optional_text(int col) const
    {
      return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
    }

  private:
    PGresult* m_res;
    int m_row;
  };
  Row row(int i) const { return Row(*this, i); }

private:
  PGresult* m_res;
};

// One connection. Statements run prepared (named by their text, prepared at first use
// with the types of the parameters of that use).
class PgConnection {
public:
  // Connect; StoreError 1601 naming what failed (never the password).
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Run sql with params; PgError when PostgreSQL refuses it.
  PgResult exec(const std::string& sql, const PgParams& params = {});
  // Run sql unprepared (several statements allowed, no parameters).
  void exec_script(const char* sql);
  // Return whether the connection is still usable.
  bool healthy() const { return PQstatus(m_conn) == CONNECTION_OK; }

  // Return whether the server closed this idle connection (checked without waiting).
  bool closed_by_server();

  // For LISTEN: the socket to wait on, and the payloads of the notifications that
  // arrived on it (reading what is there without blocking); PgError 1601 when the
  // connection is lost.
  int socket() const { return PQsocket(m_conn); }
  std::vector<std::string> take_notifications();
  // Return name quoted as an SQL identifier.
  std::string identifier(const std::string& name);

private:
  [[noreturn]] void fail(PGresult* res, const std::string& what);

  PGconn* m_conn = nullptr;
  std::unordered_map<std::string, std::string> m_prepared;  // SQL text -> statement name
};

// At most size connections, made when first needed and kept; a thread wanting one
// waits for one to be returned.
class PgPool {
public:
  PgPool(std::string conninfo, std::size_t size) : m_conninfo(std::move(conninfo)), m_size(size) {}
  std::unique_ptr<PgConnection> acquire();
  // Take a connection back; a broken one is dropped (the next acquire makes another).
  void release(std::unique_ptr<PgConnection> conn);
  void resize(std::size_t size);

private:
  const std::string m_conninfo;
  std::mutex m_mutex;
  std::condition_variable m_returned;
  std::vector<std::unique_ptr<PgConnection>> m_idle;  // guarded by m_mutex
  std::size_t m_size;                                  // guarded by m_mutex
  std::size_t m_out = 0;  // connections handed out (guarded by m_mutex)
};

}  // namespace clm::server
