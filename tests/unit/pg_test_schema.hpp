// A PostgreSQL schema of its own for one test, in the database CLM_TEST_PG_URI names:
// made empty at construction, dropped with everything in it at destruction. A store
// opened on uri() sees only that schema (search_path), so tests never meet each other's
// rows and need no database of their own.
#pragma once

#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace clm::test {

class PgTestSchema {
public:
  explicit PgTestSchema(std::string base_uri) : m_base(std::move(base_uri))
  {
    static std::atomic<int> counter{0};
    m_name = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    run("DROP SCHEMA IF EXISTS " + m_name + " CASCADE; CREATE SCHEMA " + m_name);
  }
  ~PgTestSchema()
  {
    try {
      run("DROP SCHEMA IF EXISTS " + m_name + " CASCADE");
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  // The URI of the database with this schema first on the search path, its connections
  // named after the schema (pg_stat_activity.application_name).
  std::string uri() const
  {
    return m_base + (m_base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + m_name
           + "&application_name=" + m_name;
  }
  const std::string& name() const { return m_name; }

  // Make the database drop every connection of stores opened on uri(), as a restart would.
  void drop_connections() const
  {
    run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + m_name + "'");
  }

  // Run sql (several statements allowed) in this schema; throw on failure.
  void run(const std::string& sql) const
  {
    PGconn* conn = PQconnectdb(m_base.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      const std::string msg = PQerrorMessage(conn);
      PQfinish(conn);
      throw std::runtime_error("connecting to CLM_TEST_PG_URI: " + msg);
    }
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn, ("SET search_path = " + m_name + "; " + sql).c_str());
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    const std::string msg = PQresultErrorMessage(res);
    PQclear(res);
    PQfinish(conn);
    if (!ok) {
      throw std::runtime_error(sql + ": " + msg);
    }
  }

private:
  std::string m_base;
  std::string m_name;
};

}  // namespace clm::test
