#include "seed.hpp"

#include <clm/error.hpp>
#include <clm/validate.hpp>

#include <cstdio>
#include <utility>

namespace clm::server {

namespace {

// Return the answer of a request the service accepted with status expected; throw Error
// naming what for a refusal.
json accepted(const ApiResponse& r, int expected, const std::string& what)
{
  if (r.status != expected) {
    throw Error(ExitCode::internal, what + ": status " + std::to_string(r.status));
  }
  return r.body;
}

}  // namespace

std::string seed_devicename(const std::string& prefix, std::int64_t index)
{
  char digits[32];
  std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(index));
  return prefix + digits;
}

void check_seed_options(const SeedOptions& opts)
{
  if (opts.devices < 1) {
    throw Error(ExitCode::bad_parameter, "--devices: give 1 or more");
  }
  if (opts.keys < 1) {
    throw Error(ExitCode::bad_parameter, "--keys: give 1 or more");
  }
  // The longest name is the last one.
  if (const auto problem = field_problem(Field::devicename, Side::tool, seed_devicename(opts.prefix, opts.devices))) {
    throw Error(ExitCode::bad_parameter, "--prefix: device name " + seed_devicename(opts.prefix, opts.devices) + " "
                                           + *problem);
  }
  if (const auto problem = keytype_problem(opts.keytype)) {
    throw Error(ExitCode::bad_parameter, "--type: " + opts.keytype + " " + *problem);
  }
  if (const auto problem = keylength_problem(opts.keytype, std::to_string(opts.keylength))) {
    throw Error(ExitCode::bad_parameter, "--length: " + std::to_string(opts.keylength) + " " + *problem);
  }
}

SeedResult seed_store(Store& store, IdService& ids, KeyService& keys, const SeedOptions& opts,
                      const std::function<void(std::int64_t)>& progress)
{
  check_seed_options(opts);
  SeedResult result;
  result.devicenames.reserve(static_cast<std::size_t>(opts.devices));
  const std::string keylength = std::to_string(opts.keylength);
  std::string devicename;
  try {
    // Transactions nest: each request's own becomes a savepoint, and there is one commit.
    store.transaction([&] {
      result.devicenames.clear();  // from the start: a store may run the transaction again
      const json id =
        accepted(ids.post(dump_json(json{{"mode", "create"}, {"tenantid", "seed"}, {"alias", "seed"}})), 201, "IDInfo create");
      result.keyid = id.at("keyid").get<std::string>();
      result.key = id.at("key").get<std::string>();
      // The batch puller reads these devices as this ID or another; this one may read any.
      store.add_fleet_grant(std::stoll(result.keyid), system_clock_ms()());

      json req{{"mode", "create"},          {"keyid", result.keyid}, {"key", result.key},
               {"keytype", opts.keytype},   {"keylength", keylength}, {"keyfilepath", "/tmp/key"}};
      for (std::int64_t i = 1; i <= opts.devices; ++i) {
        devicename = seed_devicename(opts.prefix, i);
        req["devicename"] = devicename;
        req.erase("deviceid");  // the first create registers the device
        for (std::int64_t j = 1; j <= opts.keys; ++j) {
          const std::string n = std::to_string(j);
          req["alias"] = devicename + "-k" + n;
          req["commonkeyfilepath"] = "/seed/" + devicename + "/cmkey" + n;
          const json key = accepted(keys.post(dump_json(req)), 201, "KeyInfo create for " + devicename);
          req["deviceid"] = key.at("deviceid");
        }
        result.devicenames.push_back(devicename);
        progress(i);
      }
    });
  } catch (const ApiError& e) {
    throw Error(ExitCode::bad_parameter, "seeding " + (devicename.empty() ? std::string("the ID") : devicename)
                                           + " was refused with errorcode " + std::to_string(e.errorcode) + ": "
                                           + e.detail + "; nothing was kept");
  } catch (const StoreError& e) {
    throw Error(ExitCode::internal, std::string("store: ") + e.what() + "; nothing was kept");
  }
  return result;
}

}  // namespace clm::server
