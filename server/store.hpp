// The server's persistent store, behind an interface so SQLite (the embedded
// default) and PostgreSQL (for several servers sharing one database) both fit.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace clm::server {

// A store failure: errorcode 1601 (cannot reach the database) or 1602 (access failed).
class StoreError : public std::runtime_error {
public:
  StoreError(int errorcode, const std::string& message) : std::runtime_error(message), m_errorcode(errorcode) {}
  int errorcode() const { return m_errorcode; }

private:
  int m_errorcode;
};

enum class Status { valid, deleted };

struct IdRecord {
  std::int64_t keyid = 0;
  std::string tenantid;
  std::string alias;
  std::string sealed_key;  // the password, sealed with the master key
  Status status = Status::valid;
  std::int64_t expiration_ms = 0;
};

// A certificate with its sealed private key (the CA pair and the TLS pair).
struct StoredKeyPair {
  std::string cert_pem;
  std::string sealed_key;
};

class Store {
public:
  virtual ~Store() = default;

  // Return whether the store holds a completed initialization.
  virtual bool initialized() = 0;

  // Save the named key pairs and mark the store initialized, in one transaction.
  virtual void initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs) = 0;

  // Return the named key pair, or nullopt.
  virtual std::optional<StoredKeyPair> key_pair(const std::string& name) = 0;

  // Insert a new ID; seal(keyid) gives the sealed password bound to the number it gets.
  // Return the stored record.
  virtual IdRecord create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal) = 0;

  // Return the ID with this number, or nullopt.
  virtual std::optional<IdRecord> find_id(std::int64_t keyid) = 0;

  // Return every ID with status valid whose expiration is after now_ms.
  virtual std::vector<IdRecord> valid_ids(std::int64_t now_ms) = 0;

  // Set the status of an ID.
  virtual void set_id_status(std::int64_t keyid, Status status) = 0;

  // Check that the database is reachable and answers; throw StoreError otherwise.
  virtual void check_health() = 0;
};

}  // namespace clm::server
