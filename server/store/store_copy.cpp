#include "store_copy.hpp"

#include "records.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/hex.hpp>
#include <clm/util/openssl.hpp>

#include <openssl/evp.h>

#include <memory>

namespace clm::server {

namespace {

constexpr std::size_t k_batch_rows = 1000;

constexpr Counter k_counters[] = {Counter::keyid, Counter::deviceid, Counter::keynumber, Counter::crl_number};

// A running SHA-256 of rows: each cell as a tag (N: NULL, V: a value) and for values
// their length and bytes, so that no two different tables hash alike.
class RowDigest {
public:
  RowDigest() : m_ctx(EVP_MD_CTX_new())
  {
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
      throw Error(ExitCode::internal, "SHA-256 is not available");
    }
  }
  void add(const Row& row)
  {
    ++m_rows;
    for (const Cell& cell : row) {
      if (!cell) {
        update("N");
        continue;
      }
      update("V" + std::to_string(cell->size()) + ":");
      update(*cell);
    }
  }
  std::int64_t rows() const { return m_rows; }
  std::string hex()
  {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(m_ctx.get(), md, &n);
    return util::hex_encode(std::string_view(reinterpret_cast<const char*>(md), n));
  }

private:
  void update(std::string_view bytes) { EVP_DigestUpdate(m_ctx.get(), bytes.data(), bytes.size()); }

  util::EvpMdCtxPtr m_ctx;
  std::int64_t m_rows = 0;
};

TableDigest digest_of(Store& store, const TableSpec& table)
{
  RowDigest digest;
  store.scan_table(table, [&](const Row& row) { digest.add(row); });
  return TableDigest{table.name, digest.rows(), digest.hex()};
}

}  // namespace

std::vector<TableDigest> table_digests(Store& store)
{
  std::vector<TableDigest> out;
  store.transaction([&] {
    for (const TableSpec& table : copied_tables()) {
      out.push_back(digest_of(store, table));
    }
  });
  return out;
}

std::vector<TableDigest> copy_store(Store& from, Store& to)
{
  if (to.initialized()) {
    throw Error(ExitCode::bad_parameter, "--to: the store is initialized already; a copy goes into an empty store");
  }
  std::vector<TableDigest> copied;
  from.transaction([&] {
    to.transaction([&] {
      to.defer_constraints();  // certificates and keys name their successors
      for (const TableSpec& table : copied_tables()) {
        RowDigest digest;
        std::vector<Row> batch;
        from.scan_table(table, [&](const Row& row) {
          digest.add(row);
          batch.push_back(row);
          if (batch.size() == k_batch_rows) {
            to.insert_rows(table, batch);
            batch.clear();
          }
        });
        to.insert_rows(table, batch);
        copied.push_back(TableDigest{table.name, digest.rows(), digest.hex()});
      }
      for (const Counter c : k_counters) {
        to.set_counter(c, from.counter_value(c));
      }
      // Read back what the destination holds, before it commits.
      for (std::size_t i = 0; i < copied.size(); ++i) {
        const TableDigest there = digest_of(to, copied_tables()[i]);
        if (there.rows != copied[i].rows || there.sha256 != copied[i].sha256) {
          throw Error(ExitCode::tampered, "--to: table " + there.table + " differs after the copy (" +
                                            std::to_string(copied[i].rows) + " rows copied, " +
                                            std::to_string(there.rows) + " there); nothing was copied");
        }
      }
      for (const Counter c : k_counters) {
        if (to.counter_value(c) < from.counter_value(c)) {
          throw Error(ExitCode::tampered, "--to: counter " + std::string(counter_name(c)) + " is behind after the copy");
        }
      }
    });
  });
  return copied;
}

}  // namespace clm::server
