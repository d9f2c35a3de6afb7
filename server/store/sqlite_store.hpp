// The embedded default store: one SQLite file, WAL journal, full fsync.
#pragma once

#include "store.hpp"

#include <filesystem>
#include <mutex>
#include <sys/types.h>

struct sqlite3;

namespace clm::server {

class SqliteStore final : public Store {
public:
  // Open (creating if needed, mode 0600) the database at path and create the schema.
  explicit SqliteStore(std::filesystem::path path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  bool initialized() override;
  void initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs) override;
  std::optional<StoredKeyPair> key_pair(const std::string& name) override;
  IdRecord create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal) override;
  std::optional<IdRecord> find_id(std::int64_t keyid) override;
  std::vector<IdRecord> valid_ids(std::int64_t now_ms) override;
  void set_id_status(std::int64_t keyid, Status status) override;
  void check_health() override;

private:
  std::filesystem::path m_path;
  sqlite3* m_db = nullptr;
  dev_t m_device = 0;  // identity of the file opened, to notice it being replaced
  ino_t m_inode = 0;
  std::mutex m_mutex;  // one connection, used by one request at a time
};

}  // namespace clm::server
