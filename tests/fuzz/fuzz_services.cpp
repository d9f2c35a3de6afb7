// Fuzz the WebAPI services behind the HTTP layer: the first input byte picks IDInfo,
// CredInfo, KeyInfo or DeviceInfo, the rest is the POST body. One store per process (in
// a private temporary directory, on tmpfs when there is one), a fixed master key and a
// fixed clock; an ID, a device with a certificate and a key are made at start with the
// values the seed corpus uses (keyid 0000000001, password cGFzc3dv, device
// nec-edge-0001 = deviceid 0000000001, certificate 3, key 4), so seeds reach deep paths.
// What an input does to those three is undone after it (see World::restore): the run is
// stateful otherwise, as a server is. ApiError, clm::Error and StoreError are answers (the HTTP layer turns each into an
// errorcode); anything else escaping a service is a finding, and so is an answer that
// cannot be serialized.
#include "cred_service.hpp"
#include "device_service.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "store/sqlite_store.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/json_io.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace clm::server;

constexpr std::int64_t k_now_ms = 1'700'000'000'000;
constexpr const char* k_password = "cGFzc3dv";

[[noreturn]] void setup_failed(const std::string& what)
{
  std::fprintf(stderr, "fuzz_services: setup: %s\n", what.c_str());
  std::abort();
}

// Remove the temporary directory when the process ends normally.
struct TempDir {
  fs::path path;
  TempDir()
  {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = std::string(base) + "/clm-fuzz-services.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      setup_failed("mkdtemp");
    }
    path = tmpl;
  }
  ~TempDir()
  {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Everything the services need, made once per process.
struct World {
  TempDir dir;
  clm::SecretBox box{std::string(clm::SecretBox::k_key_size, '\x33')};
  Clock clock = [] { return k_now_ms; };
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<IdService> ids;
  std::unique_ptr<CredService> creds;
  std::unique_ptr<KeyService> keys;
  std::unique_ptr<DeviceService> devices;

  World()
  {
    store = std::make_unique<SqliteStore>(dir.path / "clm.db");
    const CaHierarchy ca = create_ca(KeyType::ec_p256);
    auto stored = [&](const std::string& name, const KeyPair& kp) {
      return std::pair{name, StoredKeyPair{kp.cert_pem, box.seal(kp.key_pem, key_pair_associated_data(name))}};
    };
    store->initialize({stored("CA", ca.root), stored("ca1", ca.issuing)});
    ids = std::make_unique<IdService>(*store, box, IdPolicy{}, clock);
    CertPolicy cert_policy;
    cert_policy.key_type = KeyType::ec_p256;  // RSA key generation would dominate every run
    creds = std::make_unique<CredService>(*store, box, *ids, cert_policy, clock);
    keys = std::make_unique<KeyService>(*store, box, *ids, KeyPolicy{}, clock);
    devices = std::make_unique<DeviceService>(*store, *ids, clock);

    // The ID of the WebAPI reference's examples, password included.
    IdRecord id;
    id.tenantid = "tenant01";
    id.alias = "DemoKey1";
    id.expiration_ms = k_now_ms + 86'400'000LL * 365;
    const IdRecord made = store->create_id(id, [&](std::int64_t keyid) {
      return box.seal(k_password, "ids/" + std::to_string(keyid));
    });
    expect(made.keyid == 1, "keyid is not 1");
    const ApiResponse cert = answer(*creds, R"({"mode": "create", "keyid": "0000000001", "key": "cGFzc3dv",
      "devicename": "nec-edge-0001", "certmode": "client", "catype": "ca1",
      "clientsubject": "/C=JP/L=Tokyo/O=NEC/CN=AP1", "keyfilepath": "/tmp/key",
      "cafilepath": "/etc/opt/nec/swclm/keyfile/cacert.pem",
      "clientfilepath": "/etc/opt/nec/swclm/keyfile/clcert.pem", "ipaddress": "192.168.0.1",
      "macaddress": "aa:aa:aa:aa:aa:aa", "ext_data": {"osname": "CentOS", "osversion": "6.8"}})");
    expect(cert.status == 201, "certificate create: " + clm::dump_json(cert.body));
    expect(cert.body.value("deviceid", "") == "0000000001", "deviceid is not 0000000001");
    expect(cert.body.value("clientkeynumber", "") == "3", "certificate keynumber is not 3");
    const ApiResponse key = answer(*keys, R"({"mode": "create", "keyid": "0000000001", "key": "cGFzc3dv",
      "deviceid": "0000000001", "devicename": "nec-edge-0001", "alias": "iotgatewaytest_cmkey",
      "keyfilepath": "/tmp/key", "keylength": "128", "keytype": "AES", "commonkeyfilepath": "/etc/opt/nec/swclm/keyfile/cmkey"})");
    expect(key.status == 201, "key create: " + clm::dump_json(key.body));
    expect(key.body.value("keynumber", "") == "4", "keynumber is not 4: " + clm::dump_json(key.body));
    m_id = *store->find_id(1);
    m_cert = *store->find_certificate(3);
    m_key = *store->find_key(4);
  }

  // Undo what an input did to the ID, certificate and key the seeds name (delete, revoke,
  // update), so one input that deletes the ID does not close the deep paths for the rest
  // of the run. Everything else an input creates stays: the store only grows.
  void restore()
  {
    if (store->find_id(1)->status != m_id.status) {
      store->set_id_status(1, m_id.status);
    }
    if (const auto c = store->find_certificate(3); c->status != m_cert.status || c->replaced_by || c->revoked_at_ms) {
      store->update_certificate(m_cert);
    }
    if (const auto k = store->find_key(4); k->status != m_key.status || k->replaced_by || k->alias != m_key.alias) {
      store->update_key(m_key);
    }
  }

  IdRecord m_id;
  CertRecord m_cert;
  KeyRecord m_key;

  // Return the answer of post, or fail the setup naming the errorcode.
  template <typename Service>
  static ApiResponse answer(Service& service, std::string_view body)
  {
    try {
      return service.post(body);
    } catch (const ApiError& e) {
      setup_failed("errorcode " + std::to_string(e.errorcode) + ": " + e.detail);
    }
  }

  static void expect(bool ok, const std::string& what)
  {
    if (!ok) {
      setup_failed(what);
    }
  }
};

// CLM_FUZZ_VERBOSE=1: print each answer on stderr, to check that the seeds reach what
// they are meant to (replay them with fuzz_services_replay).
bool verbose()
{
  static const bool on = std::getenv("CLM_FUZZ_VERBOSE") != nullptr;
  return on;
}

World& world()
{
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  World& w = world();
  if (size == 0) {
    return 0;
  }
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    ApiResponse r;
    switch (data[0] % 4) {
    case 0:
      r = w.ids->post(body);
      break;
    case 1:
      r = w.creds->post(body);
      break;
    case 2:
      r = w.keys->post(body);
      break;
    default:
      // The operator's modes too: the admin license key is what the HTTP layer checked.
      r = w.devices->post(body, clm::server::Caller::admin);
      break;
    }
    // What the HTTP layer sends must serialize, invalid UTF-8 in echoed fields included.
    const std::string answer = clm::dump_json(r.body);
    if (verbose()) {
      std::fprintf(stderr, "%d %.300s\n", r.status, answer.c_str());
    }
  } catch (const ApiError& e) {
    if (verbose()) {
      std::fprintf(stderr, "ApiError %d %s\n", e.errorcode, e.detail.c_str());
    }
  } catch (const StoreError&) {
  } catch (const clm::Error&) {
  }
  w.restore();
  return 0;
}
