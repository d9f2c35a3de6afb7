// Moving a whole store to another backend (clm-server migrate --from --to): every table
// row for row, sealed secrets as they are (the master key stays the same), the counters,
// then a count and a SHA-256 of every table compared on both sides.
#pragma once

#include "store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace clm::server {

struct TableDigest {
  std::string table;
  std::int64_t rows = 0;
  std::string sha256;  // hex, of the rows in the table's order (see table_digest)
};

// Copy from into to, in one transaction of to: Error(bad_parameter) when to holds an
// initialized store already; Error(tampered) naming the table when what to holds after
// the copy differs from from (then to is left as it was). from is read in one
// transaction, so a server using it meanwhile is not half-copied. Return the digests.
std::vector<TableDigest> copy_store(Store& from, Store& to);

// Return the count and digest of every copied table of store.
std::vector<TableDigest> table_digests(Store& store);

}  // namespace clm::server
