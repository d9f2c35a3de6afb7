#include "cred_service.hpp"

#include <clm/error.hpp>
#include <clm/util/hex.hpp>
#include <clm/validate.hpp>

#include <initializer_list>
#include <string_view>

namespace clm::server {

namespace {

constexpr const char* k_api = "CredInfo";
constexpr const char* k_root_name = "CA";
constexpr const char* k_issuing_name = "ca1";
constexpr std::int64_t k_day_ms = 86'400'000;
constexpr std::int64_t k_crl_validity_ms = 7 * k_day_ms;
constexpr std::int64_t k_crl_refresh_ms = k_day_ms;
constexpr int k_serial_attempts = 16;

std::string associated_data(std::int64_t keynumber)
{
  return "certs/" + std::to_string(keynumber);
}

std::chrono::system_clock::time_point time_point_of(std::int64_t ms)
{
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// Run an OpenSSL step of issuance; its failure is the spec's 1401, not a system error.
template <typename F>
auto openssl_step(const char* what, F&& f) -> decltype(f())
{
  try {
    return f();
  } catch (const Error& e) {
    if (e.code() != ExitCode::internal) {
      throw;
    }
    throw ApiError{1401, std::string(what) + ": " + e.what()};
  }
}

// Return field when it is one of allowed (or fallback when absent); 1103 otherwise.
std::string one_of(const json& req, const char* field, std::initializer_list<std::string_view> allowed,
                   const char* fallback)
{
  std::string value = optional_string(req, field).value_or(fallback);
  for (const std::string_view a : allowed) {
    if (value == a) {
      return value;
    }
  }
  throw ApiError{1103, std::string(field) + " '" + value.substr(0, 32) + "' is not an accepted value"};
}

// Read catype: 1102 when missing, 1302 when no CA has that name, 1103 when the CA is not expected.
std::string read_catype(const json& req, std::string_view expected)
{
  std::string catype = required_string(req, "catype");
  if (catype != k_root_name && catype != k_issuing_name) {
    throw ApiError{1302, "catype '" + catype.substr(0, 32) + "' is not CA or ca1"};
  }
  if (!expected.empty() && catype != expected) {
    throw ApiError{1103, "catype must be " + std::string(expected) + " here"};
  }
  return catype;
}

std::optional<std::string> read_passphrase(const json& req)
{
  auto passphrase = optional_string(req, "passphrase");
  if (passphrase) {
    check_value(field_problem(Field::passphrase, Side::server, *passphrase), "passphrase");
  }
  return passphrase;
}

// A certificate named by key number or serial.
struct Selector {
  std::optional<std::int64_t> keynumber;
  std::optional<std::string> serial;  // normalized
  bool given() const { return keynumber || serial; }
};

// Read keynumber_field or serial_field (the key number wins when both are given).
Selector read_selector(const json& req, const char* keynumber_field, const char* serial_field)
{
  Selector s;
  s.keynumber = optional_keynumber(req, keynumber_field);
  if (const auto serial = optional_string(req, serial_field)) {
    check_value(field_problem(Field::certserial, Side::server, *serial), serial_field);
    if (!s.keynumber) {
      s.serial = normalize_certserial(*serial);
    }
  }
  return s;
}

Selector required_selector(const json& req)
{
  Selector s = read_selector(req, "keynumber", "certserial");
  if (!s.given()) {
    throw ApiError{1102, "keynumber or certserial is missing"};
  }
  return s;
}

std::optional<CertRecord> find(Store& store, const Selector& s)
{
  return s.keynumber ? store.find_certificate(*s.keynumber) : store.find_certificate_by_serial(*s.serial);
}

std::string describe(const Selector& s)
{
  return s.keynumber ? "keynumber " + std::to_string(*s.keynumber) : "certserial " + *s.serial;
}

// Return the ca1 certificate s names, bound to deviceid (a device of ID keyid): 1301
// when there is none or it is another ID's, 1303 when it belongs to another device.
CertRecord find_leaf(Store& store, const Selector& s, const std::string& deviceid, std::int64_t keyid)
{
  auto cert = find(store, s);
  if (!cert || cert->kind == CertKind::ca || cert->catype != k_issuing_name || cert->owner_keyid != keyid) {
    throw ApiError{1301, "no ca1 certificate with " + describe(s)};
  }
  if (cert->deviceid != deviceid) {
    throw ApiError{1303, "certificate " + std::to_string(cert->keynumber) + " is not bound to device " + deviceid};
  }
  return std::move(*cert);
}

std::string cert_pem_of(const CertRecord& cert)
{
  return openssl_step("PEM encoding", [&] { return der_to_pem(cert.cert_der); });
}

// Refuse (1104) a subject with a CN that is a wildcard or one of reserved, compared as
// host names: a certificate for such a name could pose as the server.
void check_not_reserved(const std::vector<SubjectEntry>& subject, const std::vector<std::string>& reserved)
{
  for (const SubjectEntry& e : subject) {
    if (e.key != "CN") {
      continue;
    }
    if (e.value.find('*') != std::string::npos) {
      throw ApiError{1104, "clientsubject CN '" + e.value.substr(0, 64) + "' is a wildcard name"};
    }
    const std::string name = canonical_host_name(e.value);
    for (const std::string& r : reserved) {
      if (name == canonical_host_name(r)) {
        throw ApiError{1104, "clientsubject CN '" + e.value.substr(0, 64) + "' is a name of this server (" + r + ")"};
      }
    }
  }
}

KeyPair key_pair_of(Store& store, const SecretBox& box, const char* name)
{
  const auto pair = store.key_pair(name);
  if (!pair) {
    throw Error(ExitCode::bad_file_format, std::string("CA key pair '") + name + "' is missing; re-run init");
  }
  return KeyPair{pair->cert_pem, box.open(pair->sealed_key, key_pair_associated_data(name))};
}

}  // namespace

void register_ca_certificates(Store& store, std::int64_t now_ms)
{
  store.transaction([&] {
    for (const char* name : {k_root_name, k_issuing_name}) {
      if (store.find_ca_certificate(name)) {
        continue;
      }
      const auto pair = store.key_pair(name);
      if (!pair) {
        throw Error(ExitCode::bad_file_format, std::string("CA key pair '") + name + "' is missing; re-run init");
      }
      const CertificateFacts facts = certificate_facts(pair->cert_pem);
      CertRecord r;
      r.keynumber = store.allocate_keynumber("certificate");
      r.serial = facts.serial_hex;
      r.catype = k_root_name;  // both are signed by the root
      r.ca_name = name;
      r.kind = CertKind::ca;
      r.subject = facts.subject;
      r.cert_der = facts.der;
      r.not_after_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(facts.not_after.time_since_epoch()).count();
      r.created_ms = now_ms;
      store.insert_certificate(r);
    }
  });
}

CredService::CredService(Store& store, const SecretBox& box, const IdService& ids, CertPolicy policy, Clock clock)
  : m_store(store),
    m_box(box),
    m_ids(ids),
    m_policy(policy),
    m_clock(std::move(clock)),
    m_devices(store, box, m_clock),
    m_issuer(key_pair_of(store, box, k_issuing_name))
{
  register_ca_certificates(m_store, m_clock());
  m_root = *m_store.find_ca_certificate(k_root_name);
  m_ca1 = *m_store.find_ca_certificate(k_issuing_name);
  m_root_pem = cert_pem_of(m_root);
  m_chain_pem = cert_pem_of(m_ca1) + m_root_pem;
}

ApiResponse CredService::post(std::string_view body)
{
  const json req = parse_request(body);
  const std::string mode = required_string(req, "mode");
  if (mode != "create" && mode != "get" && mode != "update" && mode != "revoke") {
    throw ApiError{1103, "mode '" + mode.substr(0, 32) + "' is not create, get, update or revoke"};
  }
  const std::int64_t keyid = m_ids.authenticate(req);
  if (mode == "create") {
    return create(req, keyid);
  }
  if (mode == "get") {
    return get(req, keyid);
  }
  if (mode == "update") {
    return update(req, keyid);
  }
  return revoke(req, keyid);
}

CredService::SignedLeaf CredService::sign_leaf(const std::vector<SubjectEntry>& subject, CertKind kind,
                                               const PrivateKey& key, std::int64_t now_ms) const
{
  SignedLeaf leaf;
  leaf.subject = subject;
  leaf.kind = kind;
  leaf.serial = random_leaf_serial();
  leaf.now_ms = now_ms;
  LeafSpec spec;
  spec.subject = subject;
  spec.kind = kind == CertKind::server ? LeafKind::server : LeafKind::client;
  spec.serial_hex = leaf.serial;
  spec.now = time_point_of(now_ms / 1000 * 1000);  // whole seconds, as the certificate states them
  spec.lifetime = m_policy.lifetime;
  leaf.der = openssl_step("issuing a certificate", [&] { return m_issuer.issue(key, spec); });
  return leaf;
}

CertRecord CredService::store_leaf(const std::string& deviceid, SignedLeaf leaf, const PrivateKey& key,
                                   const std::string& filepath)
{
  // 64 random bits make a collision all but impossible; the check makes it impossible.
  for (int attempt = 1; m_store.serial_exists(leaf.serial); ++attempt) {
    if (attempt == k_serial_attempts) {
      throw ApiError{1401, "no unused serial number found"};
    }
    leaf = sign_leaf(leaf.subject, leaf.kind, key, leaf.now_ms);
  }
  CertRecord r;
  r.keynumber = m_store.allocate_keynumber("certificate");
  r.serial = std::move(leaf.serial);
  r.cert_der = std::move(leaf.der);
  r.catype = k_issuing_name;
  r.deviceid = deviceid;
  r.kind = leaf.kind;
  r.subject = format_subject(leaf.subject);
  r.sealed_key = m_box.seal(key.pem(), associated_data(r.keynumber));
  r.status = CertStatus::valid;
  r.not_after_ms = (leaf.now_ms / 1000 + m_policy.lifetime.count()) * 1000;
  r.filepath = filepath;
  r.created_ms = leaf.now_ms;
  m_store.insert_certificate(r);
  return r;
}

std::string CredService::private_key_of(const CertRecord& cert) const
{
  return m_box.open(cert.sealed_key, associated_data(cert.keynumber));
}

void CredService::put_client(json& body, const CertRecord& cert, const std::string& key_pem,
                             const std::string& certtype, const std::optional<std::string>& passphrase) const
{
  if (certtype == "p12") {
    const auto subject = parse_subject(cert.subject);
    std::string name;
    for (const SubjectEntry& e : subject) {
      if (e.key == "CN") {
        name = e.value;
      }
    }
    body["clientcert"] = base64_encode(
      openssl_step("PKCS#12 encoding", [&] { return make_pkcs12(cert.cert_der, key_pem, *passphrase, name); }));
  } else if (certtype == "der") {
    body["clientcert"] = base64_encode(cert.cert_der);
  } else {
    body["clientcert"] = cert_pem_of(cert);
  }
  body["clientcerttype"] = certtype;
  body["clientkeynumber"] = std::to_string(cert.keynumber);
  body["clientserial"] = cert.serial;
  // The PKCS#12 file holds the key; otherwise it travels as PKCS#8 PEM.
  if (certtype != "p12") {
    body["privatekey"] = passphrase ? openssl_step("encrypting the private key",
                                                   [&] { return encrypt_private_key(key_pem, *passphrase); })
                                    : key_pem;
  }
}

void CredService::record(std::int64_t keyid, const std::string& deviceid, const char* mode, std::int64_t keynumber,
                         const std::string& filepath, std::int64_t now_ms)
{
  record_call(m_store, k_api, keyid, deviceid, mode, keynumber, filepath, now_ms);
}

ApiResponse CredService::create(const json& req, std::int64_t keyid)
{
  // Fields in the order of the reference's table 4.1.
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::optional);
  const std::string certmode = required_string(req, "certmode");
  if (certmode != "caonly" && certmode != "client" && certmode != "server") {
    throw ApiError{1103, "certmode '" + certmode.substr(0, 32) + "' is not caonly, client or server"};
  }
  const bool ca_only = certmode == "caonly";
  read_catype(req, ca_only ? k_root_name : k_issuing_name);
  const std::string cacerttype = one_of(req, "cacerttype", {"pem", "der"}, "pem");
  const std::string clientcerttype = one_of(req, "clientcerttype", {"pem", "der", "p12"}, "pem");

  const auto subject_text = optional_string(req, "clientsubject");
  std::vector<SubjectEntry> subject;
  if (subject_text) {
    check_value(subject_problem(*subject_text), "clientsubject");
    subject = parse_subject(*subject_text);
  } else if (!ca_only) {
    throw ApiError{1102, "clientsubject is missing"};
  }
  if (certmode == "server") {
    for (const SubjectEntry& e : subject) {
      if (e.key == "CN") {
        check_value(hostname_problem(e.value), "clientsubject CN of a server certificate");
      }
    }
  }
  check_not_reserved(subject, m_policy.reserved_names);
  const auto passphrase = read_passphrase(req);
  if (!ca_only && clientcerttype == "p12" && !passphrase) {
    throw ApiError{1102, "passphrase is missing (required for clientcerttype p12)"};
  }
  required_path(req, "keyfilepath");
  const auto cafilepath = optional_path(req, "cafilepath");
  if (!cafilepath && (ca_only || clientcerttype == "pem")) {
    throw ApiError{1102, "cafilepath is missing"};
  }
  const auto clientfilepath = optional_path(req, "clientfilepath");
  if (!clientfilepath && !ca_only) {
    throw ApiError{1102, "clientfilepath is missing"};
  }
  const DeviceInfo info = read_device_info(req);

  // Key generation and signing are the slow part; they happen before the transaction
  // holds the store, so that requests do them in parallel.
  const std::int64_t now = m_clock();
  std::optional<PrivateKey> key;
  std::optional<SignedLeaf> signed_leaf;
  if (!ca_only) {
    key = openssl_step("generating a key", [&] { return PrivateKey::generate(m_policy.key_type); });
    signed_leaf = sign_leaf(subject, certmode == "server" ? CertKind::server : CertKind::client, *key, now);
  }
  DeviceAccess access;
  std::optional<CertRecord> leaf;
  m_store.transaction([&] {
    access = m_devices.resolve_for_issue(claim, info, now, keyid);
    if (ca_only) {
      record(keyid, access.device.deviceid, "create", m_root.keynumber, *cafilepath, now);
    } else {
      leaf = store_leaf(access.device.deviceid, *signed_leaf, *key, *clientfilepath);
      record(keyid, access.device.deviceid, "create", leaf->keynumber, *clientfilepath, now);
    }
  });

  json body{{"errorcode", 0}, {"deviceid", access.device.deviceid}};
  if (access.devicekey) {
    body["devicekey"] = *access.devicekey;
  }
  // caonly returns the root; a leaf comes with its issuing CA first, then the root.
  const CertRecord& ca = ca_only ? m_root : m_ca1;
  if (cacerttype == "der") {
    body["cacert"] = base64_encode(ca.cert_der);
  } else {
    body["cacert"] = ca_only ? m_root_pem : m_chain_pem;
  }
  body["cacerttype"] = cacerttype;
  body["cakeynumber"] = std::to_string(ca.keynumber);
  body["caserial"] = ca.serial;
  if (leaf) {
    put_client(body, *leaf, key->pem(), clientcerttype, passphrase);
  }
  return {201, std::move(body)};
}

ApiResponse CredService::get(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const Selector target = required_selector(req);
  const std::string catype = read_catype(req, "");
  const bool ca = catype == k_root_name;
  const std::string certtype =
    ca ? one_of(req, "certtype", {"pem", "der"}, "pem") : one_of(req, "certtype", {"pem", "der", "p12"}, "pem");
  const auto passphrase = read_passphrase(req);
  if (certtype == "p12" && !passphrase) {
    throw ApiError{1102, "passphrase is missing (required for certtype p12)"};
  }
  const std::string filepath = required_path(req, "filepath");

  const std::int64_t now = m_clock();
  DeviceRecord device;
  CertRecord cert;
  m_store.transaction([&] {
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    if (ca) {
      auto found = find(m_store, target);
      if (!found || found->kind != CertKind::ca) {
        throw ApiError{1301, "no CA certificate with " + describe(target)};
      }
      cert = std::move(*found);
    } else {
      cert = find_leaf(m_store, target, device.deviceid, keyid);
      // Revoked and updated are the only states besides valid: the table's code for
      // exactly that is 1306 ("already revoked or updated"); 1304 (status not valid)
      // is left for states this server does not have.
      if (cert.status != CertStatus::valid) {
        throw ApiError{1306, "certificate " + std::to_string(cert.keynumber) + " is already revoked or updated"};
      }
      if (cert.not_after_ms <= now) {
        throw ApiError{1305, "certificate " + std::to_string(cert.keynumber) + " has expired"};
      }
      if (cert.filepath != filepath) {
        cert.filepath = filepath;
        m_store.update_certificate(cert);
      }
    }
    record(keyid, device.deviceid, "get", cert.keynumber, filepath, now);
  }, Durability::deferred);  // a read: its event and the path need not wait on the disk

  json body{{"errorcode", 0}, {"deviceid", device.deviceid}};
  if (ca) {
    body["cacert"] = certtype == "der" ? base64_encode(cert.cert_der) : cert_pem_of(cert);
    body["cacerttype"] = certtype;
    body["cakeynumber"] = std::to_string(cert.keynumber);
    body["caserial"] = cert.serial;
  } else {
    put_client(body, cert, private_key_of(cert), certtype, passphrase);
  }
  return {200, std::move(body)};
}

ApiResponse CredService::update(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const Selector target = required_selector(req);
  const Selector adopt = read_selector(req, "newkeynumber", "newcertserial");
  read_catype(req, k_issuing_name);
  const std::string certtype = one_of(req, "certtype", {"pem", "der", "p12"}, "pem");
  // 4.3: a passphrase is required whenever a new key is made (it encrypts that key),
  // and for p12 in any case.
  const auto passphrase = read_passphrase(req);
  if (!adopt.given() && !passphrase) {
    throw ApiError{1102, "passphrase is missing (required when a new key is made)"};
  }
  if (certtype == "p12" && !passphrase) {
    throw ApiError{1102, "passphrase is missing (required for certtype p12)"};
  }
  const std::string filepath = required_path(req, "filepath");
  const std::string newfilepath = optional_path(req, "newfilepath").value_or(filepath);

  std::optional<PrivateKey> key;
  if (!adopt.given()) {
    key = openssl_step("generating a key", [&] { return PrivateKey::generate(m_policy.key_type); });
  }
  const std::int64_t now = m_clock();
  DeviceRecord device;
  CertRecord renewed;
  m_store.transaction([&] {
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    CertRecord old = find_leaf(m_store, target, device.deviceid, keyid);
    if (old.status != CertStatus::valid) {
      throw ApiError{1306, "certificate " + std::to_string(old.keynumber) + " is already revoked or updated"};
    }
    if (old.not_after_ms <= now) {
      throw ApiError{1305, "certificate " + std::to_string(old.keynumber) + " has expired"};
    }
    if (adopt.given()) {
      renewed = find_leaf(m_store, adopt, device.deviceid, keyid);
      if (renewed.keynumber == old.keynumber) {
        throw ApiError{1103, "the new certificate is the one being updated"};
      }
      if (renewed.status != CertStatus::valid) {
        throw ApiError{1307, "new certificate " + std::to_string(renewed.keynumber) + " is not valid"};
      }
      if (renewed.not_after_ms <= now) {
        throw ApiError{1308, "new certificate " + std::to_string(renewed.keynumber) + " has expired"};
      }
      renewed.filepath = newfilepath;
      m_store.update_certificate(renewed);
    } else {
      // The subject and kind are the old certificate's, known only here: signed inside.
      renewed = store_leaf(device.deviceid, sign_leaf(parse_subject(old.subject), old.kind, *key, now), *key,
                           newfilepath);
    }
    old.status = CertStatus::updated;
    old.replaced_by = renewed.keynumber;
    m_store.update_certificate(old);
    record(keyid, device.deviceid, "update", renewed.keynumber, newfilepath, now);
  });

  json body{{"errorcode", 0}, {"deviceid", device.deviceid}};
  put_client(body, renewed, key ? key->pem() : private_key_of(renewed), certtype, passphrase);
  return {200, std::move(body)};
}

ApiResponse CredService::revoke(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const Selector target = required_selector(req);
  read_catype(req, k_issuing_name);
  const auto filepath = optional_path(req, "filepath");

  const std::int64_t now = m_clock();
  DeviceRecord device;
  CertRecord cert;
  m_store.transaction([&] {
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    cert = find_leaf(m_store, target, device.deviceid, keyid);
    if (cert.status != CertStatus::valid) {
      throw ApiError{1306, "certificate " + std::to_string(cert.keynumber) + " is already revoked or updated"};
    }
    cert.status = CertStatus::revoked;
    cert.revoked_at_ms = now;
    m_store.update_certificate(cert);
    record(keyid, device.deviceid, "revoke", cert.keynumber, filepath.value_or(cert.filepath), now);
  });
  return {200, json{{"errorcode", 0},
                    {"deviceid", device.deviceid},
                    {"clientkeynumber", std::to_string(cert.keynumber)},
                    {"clientserial", cert.serial}}};
}

std::string CredService::crl(const std::optional<std::string>& catype)
{
  if (catype && *catype != k_issuing_name) {
    throw ApiError{1302, "there is a CRL for catype ca1 only"};
  }
  std::vector<RevokedSerial> entries;
  std::string listed;  // what the digest covers: serial and date of each entry
  for (const CertRecord& r : m_store.revoked_certificates(k_issuing_name)) {
    const std::int64_t at_ms = r.revoked_at_ms.value_or(r.created_ms);
    entries.push_back(RevokedSerial{r.serial, time_point_of(at_ms)});
    listed += r.serial + " " + std::to_string(at_ms) + "\n";
  }
  const std::string digest = util::hex_encode(sha256(listed));
  const std::int64_t now = m_clock();
  // The latest CRL published to the store is the answer while it lists what is revoked
  // and is fresh, whichever server signed it: every server answers the same CRL.
  const auto current = [&](const std::optional<CrlRecord>& crl) {
    return crl && crl->revoked_digest == digest && now >= crl->this_update_ms
           && now - crl->this_update_ms < k_crl_refresh_ms;
  };
  std::lock_guard lock(m_crl_mutex);  // one signer per process; servers race harmlessly
  if (auto latest = m_store.latest_crl(k_issuing_name); current(latest)) {
    return std::move(latest->pem);
  }
  CrlRecord crl;
  crl.catype = k_issuing_name;
  crl.number = m_store.next_number(Counter::crl_number);
  crl.revoked_digest = digest;
  crl.this_update_ms = now / 1000 * 1000;
  crl.pem = openssl_step("signing the CRL", [&] {
    return m_issuer.crl(entries, time_point_of(crl.this_update_ms),
                        time_point_of(crl.this_update_ms + k_crl_validity_ms), crl.number);
  });
  m_store.publish_crl(crl);
  // Another server may have published a later one meanwhile: answer the latest.
  if (auto latest = m_store.latest_crl(k_issuing_name); latest && latest->number > crl.number && current(latest)) {
    return std::move(latest->pem);
  }
  return crl.pem;
}

}  // namespace clm::server
