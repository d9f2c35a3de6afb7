// Fill a store with many devices and keys for load tests (clm-server seed), through the
// same service code the WebAPI runs, in one transaction.
#pragma once

#include "api.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace clm::server {

struct SeedOptions {
  std::int64_t devices = 0;     // how many devices, named prefix + six-digit (or wider) index
  std::int64_t keys = 1;        // keys per device
  std::string prefix = "dev";
  std::string keytype = "AES";  // "AES" or "TWINE"
  int keylength = 128;
};

struct SeedResult {
  std::string keyid;  // the ID/password the devices were registered with
  std::string key;
  std::vector<std::string> devicenames;  // in creation order
};

// Return the name of device index (1-based): prefix followed by index, zero-padded to 6 digits.
std::string seed_devicename(const std::string& prefix, std::int64_t index);

// Throw Error(bad_parameter) unless opts describe something seed can create.
void check_seed_options(const SeedOptions& opts);

// Create an ID/password (tenantid and alias "seed", granted the fleet read) and opts.devices devices with opts.keys
// keys each, as IDInfo and KeyInfo create requests, all in one store transaction (nothing
// is kept when it fails). Call progress(devices done) after each device. Throw
// Error(bad_parameter) naming the errorcode when the API refuses a request.
SeedResult seed_store(Store& store, IdService& ids, KeyService& keys, const SeedOptions& opts,
                      const std::function<void(std::int64_t)>& progress);

}  // namespace clm::server
