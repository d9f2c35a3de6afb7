// Choosing the store: DIR/clm.db (SQLite, the embedded default) or a PostgreSQL
// database several servers share, named by a location string.
//
//   ""                       SQLite in the data directory (DIR/clm.db)
//   sqlite:PATH              SQLite at PATH (a data directory, or a .db file)
//   postgresql://... postgres://...
//                            a PostgreSQL database, as libpq reads the URI; the
//                            password never in it: PGPASSFILE or ~/.pgpass (0600)
#pragma once

#include "store.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace clm::server {

// Return whether location names a PostgreSQL database.
bool is_postgres_location(const std::string& location);

// Check location; Error(bad_config) naming origin when it is no store location, or
// carries a password (which would show on a command line or in a settings file).
void check_store_location(const std::string& location, const std::string& origin);

// Return the SQLite file location names: DIR/clm.db for a directory or "".
std::filesystem::path sqlite_file(const std::string& location, const std::filesystem::path& data_dir);

// Open the store at location (see above), creating and migrating its schema, with
// room for `concurrency` requests at once.
std::unique_ptr<Store> open_store(const std::string& location, const std::filesystem::path& data_dir,
                                  std::size_t concurrency = 4);

// Return location without anything secret, fit for a message or a log line.
std::string describe_location(const std::string& location, const std::filesystem::path& data_dir);

}  // namespace clm::server
