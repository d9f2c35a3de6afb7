// Tests of /SWCLM/CredInfo (WebAPI reference chapter 4) and the ca1 CRL at the
// service level: field validation, device registration and checks, issuing in every
// format, get/update/revoke with their errorcodes, key numbers, serials, the audit
// trail — over a real SQLite store, a real EC CA and a fake clock.
#include "cred_service.hpp"
#include "id_service.hpp"
#include "store/sqlite_store.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/util/openssl.hpp>
#include <clm/validate.hpp>

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::SecretBox;
using clm::server::ApiError;
using clm::server::ApiResponse;
using clm::server::CaHierarchy;
using clm::server::CertPolicy;
using clm::server::CertRecord;
using clm::server::CertStatus;
using clm::server::CredService;
using clm::server::EventRecord;
using clm::server::IdPolicy;
using clm::server::IdService;
using clm::server::KeyType;
using clm::server::SqliteStore;
using clm::server::StoredKeyPair;
using clm::test::read_plain;
using clm::test::TempDirTest;

using namespace std::chrono_literals;

constexpr std::int64_t k_day_ms = 86'400'000;
constexpr const char* k_subject = "/C=JP/ST=Tokyo/L=Minato/O=NEC/OU=IoT/CN=AP1";
constexpr const char* k_passphrase = "Secret-Pass_123";

// ---- OpenSSL helpers -------------------------------------------------------

using Bio = clm::util::BioPtr;
using Cert = clm::util::X509Ptr;
using Crl = clm::util::X509CrlPtr;
using Pkey = clm::util::EvpPkeyPtr;
using Pkcs12 = clm::util::Pkcs12Ptr;
using Names = clm::util::GeneralNamesPtr;
using Asn1Integer = clm::util::Asn1IntegerPtr;

Bio mem(const std::string& s)
{
  return Bio(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

Cert pem_cert(const std::string& pem)
{
  return Cert(PEM_read_bio_X509(mem(pem).get(), nullptr, nullptr, nullptr));
}

Cert der_cert(const std::string& der)
{
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return Cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// Return the private key of PEM text decrypted with passphrase ("" for none), or null.
Pkey pem_key(const std::string& pem, const std::string& passphrase = "")
{
  return Pkey(PEM_read_bio_PrivateKey(mem(pem).get(), nullptr, nullptr, const_cast<char*>(passphrase.c_str())));
}

std::string subject_of(X509* cert)
{
  char* s = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  std::string out = s ? s : "";
  OPENSSL_free(s);
  return out;
}

std::string serial_of(X509* cert)
{
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

// Return the subjectAltName entries as "DNS:x" / "IP:x" strings.
std::vector<std::string> alt_names(X509* cert)
{
  std::vector<std::string> out;
  const Names gens(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens.get()); ++i) {
    int type = 0;
    const auto* v = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens.get(), i), &type));
    const auto* data = ASN1_STRING_get0_data(v);
    const int n = ASN1_STRING_length(v);
    if (type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n)));
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(n == 4 ? AF_INET : AF_INET6, data, text, sizeof text);
      out.push_back(std::string("IP:") + text);
    }
  }
  return out;
}

std::int64_t seconds_between(const ASN1_TIME* from, const ASN1_TIME* to)
{
  int days = 0;
  int secs = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &secs, from, to), 1);
  return static_cast<std::int64_t>(days) * 86400 + secs;
}

// Return every certificate in concatenated PEM text.
std::vector<Cert> pem_certs(const std::string& pem)
{
  std::vector<Cert> out;
  const Bio bio = mem(pem);
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(c);
  }
  ERR_clear_error();
  return out;
}

std::string to_pem(X509* cert)
{
  const Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data);  // BIO_get_mem_data without its C cast
  return std::string(data, static_cast<std::size_t>(n));
}

// ---- fixture ---------------------------------------------------------------

std::int64_t real_now_ms()
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// A CA made once per process (EC, so it is quick anyway).
const CaHierarchy& shared_ca()
{
  static const CaHierarchy ca = clm::server::create_ca(KeyType::ec_p256);
  return ca;
}

class CredServiceTest : public TempDirTest {
protected:
  CredServiceTest() : TempDirTest("clm-credsvc") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    m_now = real_now_ms();
    m_store = std::make_unique<SqliteStore>(db_path());
    m_box = std::make_unique<SecretBox>(std::string(SecretBox::k_key_size, '\x33'));
    auto stored = [&](const std::string& name, const clm::server::KeyPair& kp) {
      return std::pair{name, StoredKeyPair{kp.cert_pem, m_box->seal(kp.key_pem, clm::server::key_pair_associated_data(name))}};
    };
    m_store->initialize({stored("CA", ca().root), stored("ca1", ca().issuing)});
    m_ids = std::make_unique<IdService>(*m_store, *m_box, IdPolicy{}, [this] { return m_now; });
    m_policy.key_type = KeyType::ec_p256;
    rebuild();
    const ApiResponse id = m_ids->post(clm::dump_json(json{{"mode", "create"}, {"tenantid", "T"}, {"alias", "a"}}));
    ASSERT_EQ(id.status, 201);
    m_keyid = id.body.at("keyid").get<std::string>();
    m_key = id.body.at("key").get<std::string>();
  }
  void TearDown() override
  {
    m_service.reset();
    m_ids.reset();
    m_store.reset();
    TempDirTest::TearDown();
  }

  // Rebuild the service with m_policy (the store and its contents stay).
  void rebuild()
  {
    m_service.reset();
    m_service = std::make_unique<CredService>(*m_store, *m_box, *m_ids, m_policy, [this] { return m_now; });
  }

  static const CaHierarchy& ca() { return shared_ca(); }
  IdService& ids() { return *m_ids; }
  CredService& service() { return *m_service; }
  SqliteStore& store() { return *m_store; }
  fs::path db_path() const { return dir() / "clm.db"; }
  std::int64_t lifetime_ms() const
  {
    return std::chrono::duration_cast<std::chrono::milliseconds>(m_policy.lifetime).count();
  }

  // Return the fields every CredInfo request starts with.
  json base(const std::string& mode) const { return json{{"mode", mode}, {"keyid", m_keyid}, {"key", m_key}}; }

  // Return a complete create request for a client certificate in PEM.
  json create_request(const std::string& devicename = "dev01", const std::string& certmode = "client") const
  {
    json j = base("create");
    j["devicename"] = devicename;
    j["certmode"] = certmode;
    j["catype"] = certmode == "caonly" ? "CA" : "ca1";
    j["keyfilepath"] = "/tmp/key";
    j["cafilepath"] = "/etc/clm/cacert.pem";
    if (certmode != "caonly") {
      j["clientsubject"] = certmode == "server" ? "/O=NEC/CN=gw.example.com" : k_subject;
      j["clientfilepath"] = "/etc/clm/clcert.pem";
    }
    return j;
  }

  // Return a get/update/revoke request for device (deviceid, devicename) and key number.
  json device_request(const std::string& mode, const std::string& deviceid, const std::string& devicename,
                      const std::string& keynumber) const
  {
    json j = base(mode);
    j["deviceid"] = deviceid;
    j["devicename"] = devicename;
    j["keynumber"] = keynumber;
    j["catype"] = "ca1";
    if (mode != "revoke") {
      j["filepath"] = "/etc/clm/clcert.pem";
    }
    return j;
  }

  ApiResponse post(const json& request) { return service().post(clm::dump_json(request)); }

  // Return the errorcode of a POST of body (0 on success).
  int body_errorcode(std::string_view body)
  {
    try {
      return service().post(body).body.value("errorcode", -1);
    } catch (const ApiError& e) {
      return e.errorcode;
    }
  }
  int errorcode(const json& request) { return body_errorcode(clm::dump_json(request)); }

  // Return request with field set to value (or removed when value is null).
  static json with(json request, const std::string& field, const json& value)
  {
    if (value.is_null()) {
      request.erase(field);
    } else {
      request[field] = value;
    }
    return request;
  }

  // A device registered by a first certificate and that certificate.
  struct Issued {
    std::string deviceid;
    std::string devicekey;
    std::string devicename;
    std::string keynumber;
    std::string serial;
    json body;
  };

  // Issue a first certificate for a new device name; fail the test when refused.
  Issued register_device(const std::string& devicename = "dev01", const std::string& certmode = "client")
  {
    const ApiResponse r = post(create_request(devicename, certmode));
    EXPECT_EQ(r.status, 201) << r.body;
    Issued out;
    out.devicename = devicename;
    out.deviceid = r.body.value("deviceid", "");
    out.devicekey = r.body.value("devicekey", "");
    out.keynumber = r.body.value("clientkeynumber", "");
    out.serial = r.body.value("clientserial", "");
    out.body = r.body;
    return out;
  }

  // Issue another certificate for a registered device.
  Issued issue_again(const Issued& device, const std::string& certmode = "client")
  {
    json req = create_request(device.devicename, certmode);
    req["deviceid"] = device.deviceid;
    const ApiResponse r = post(req);
    EXPECT_EQ(r.status, 201) << r.body;
    Issued out = device;
    out.keynumber = r.body.value("clientkeynumber", "");
    out.serial = r.body.value("clientserial", "");
    out.body = r.body;
    return out;
  }

  json request_for(const std::string& mode, const Issued& d) const
  {
    return device_request(mode, d.deviceid, d.devicename, d.keynumber);
  }

  // An update that makes a new key must carry the passphrase that encrypts it (4.3).
  json update_request(const Issued& d) const
  {
    json req = request_for("update", d);
    req["passphrase"] = k_passphrase;
    return req;
  }

  std::optional<CertRecord> record_of(const std::string& keynumber) { return store().find_certificate(std::stoll(keynumber)); }

  std::int64_t m_now = 0;
  CertPolicy m_policy;

private:
  std::unique_ptr<SqliteStore> m_store;
  std::unique_ptr<SecretBox> m_box;
  std::unique_ptr<IdService> m_ids;
  std::unique_ptr<CredService> m_service;
  std::string m_keyid;
  std::string m_key;
};

// ---- body, mode and ID/password ---------------------------------------------

TEST_F(CredServiceTest, non_json_body_is_1101)
{
  EXPECT_EQ(body_errorcode("mode=create"), 1101);
  EXPECT_EQ(body_errorcode(""), 1101);
  EXPECT_EQ(body_errorcode("[]"), 1101);
}

TEST_F(CredServiceTest, missing_mode_is_1102_and_unknown_mode_1103)
{
  EXPECT_EQ(errorcode(with(create_request(), "mode", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "mode", "delete")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "mode", 3)), 1103);
}

TEST_F(CredServiceTest, missing_keyid_or_key_is_1102)
{
  EXPECT_EQ(errorcode(with(create_request(), "keyid", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "key", nullptr)), 1102);
}

TEST_F(CredServiceTest, malformed_keyid_is_1104)
{
  EXPECT_EQ(errorcode(with(create_request(), "keyid", "abc")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "keyid", "12345678901")), 1104);
}

TEST_F(CredServiceTest, unknown_keyid_is_1204)
{
  EXPECT_EQ(errorcode(with(create_request(), "keyid", "0000000099")), 1204);
}

TEST_F(CredServiceTest, wrong_password_is_1201)
{
  EXPECT_EQ(errorcode(with(create_request(), "key", "WrongPassword1")), 1201);
}

TEST_F(CredServiceTest, deleted_id_is_1202)
{
  ASSERT_EQ(ids().post(clm::dump_json(base("delete"))).status, 200);
  EXPECT_EQ(errorcode(create_request()), 1202);
}

TEST_F(CredServiceTest, expired_id_is_1203)
{
  m_now += std::chrono::duration_cast<std::chrono::milliseconds>(IdPolicy{}.lifetime).count();
  EXPECT_EQ(errorcode(create_request()), 1203);
}

TEST_F(CredServiceTest, id_is_checked_before_the_other_fields)
{
  json bad = with(create_request(), "certmode", "nonsense");
  EXPECT_EQ(errorcode(with(bad, "key", "WrongPassword1")), 1201);
  EXPECT_EQ(errorcode(bad), 1103);
}

// ---- create: field validation -------------------------------------------------

TEST_F(CredServiceTest, create_devicename_is_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "devicename", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "devicename", 5)), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "devicename", std::string(65, 'd'))), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "devicename", "dev\t01")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "devicename", "dev\x7f")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "devicename", "")), 1104);
  EXPECT_EQ(register_device(std::string(64, 'd')).deviceid, "0000000001");
  // The WebAPI reference limits a device name to 64 bytes only.
  EXPECT_EQ(register_device("edge gw;01").deviceid, "0000000002");
}

TEST_F(CredServiceTest, create_deviceid_and_devicekey_are_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "deviceid", 1)), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "deviceid", std::string(65, '1'))), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "deviceid", "00 1")), 1104);
  const Issued d = register_device();
  json again = with(create_request(), "deviceid", d.deviceid);
  EXPECT_EQ(errorcode(with(again, "devicekey", std::string(129, 'k'))), 1104);
  EXPECT_EQ(errorcode(with(again, "devicekey", "with space")), 1104);
  EXPECT_EQ(errorcode(with(again, "devicekey", 7)), 1103);
}

TEST_F(CredServiceTest, create_certmode_is_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "certmode", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "certmode", "ca")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "certmode", "Client")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "certmode", true)), 1103);
}

TEST_F(CredServiceTest, create_catype_is_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "catype", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "catype", "ca2")), 1302);
  EXPECT_EQ(errorcode(with(create_request(), "catype", "")), 1302);
  EXPECT_EQ(errorcode(with(create_request(), "catype", "CA")), 1103);
  EXPECT_EQ(errorcode(with(create_request("dev01", "caonly"), "catype", "ca1")), 1103);
  EXPECT_EQ(errorcode(with(create_request("dev01", "server"), "catype", "CA")), 1103);
}

TEST_F(CredServiceTest, create_cert_types_are_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "cacerttype", "p12")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "cacerttype", "crt")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "clientcerttype", "pfx")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "clientcerttype", 1)), 1103);
  EXPECT_EQ(errorcode(with(create_request("dev01", "caonly"), "clientcerttype", "x")), 1103);
}

TEST_F(CredServiceTest, create_clientsubject_is_required_for_client_and_server)
{
  EXPECT_EQ(errorcode(with(create_request(), "clientsubject", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request("dev01", "server"), "clientsubject", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "clientsubject", 12)), 1103);
  EXPECT_EQ(post(create_request("dev01", "caonly")).status, 201);
}

TEST_F(CredServiceTest, create_malformed_clientsubject_is_1104)
{
  const std::vector<std::string> subjects{
    "CN=AP1", "/O=NEC", "/CN=", "/CN=a/CN=b", "/X=1/CN=a", "/C=JPN/CN=a", "/CN=" + std::string(65, 'c'),
    "/O=NEC//CN=a", "/CN=a/", "/cn=a", "", "/CN=a\tb", "/CN=a\\",
  };
  for (const std::string& subject : subjects) {
    EXPECT_EQ(errorcode(with(create_request(), "clientsubject", subject)), 1104) << subject;
  }
}

// Return a subject of exactly bytes bytes (402..530), every value within its bounds:
// a CN of 64 two-byte characters, and the rest ASCII.
std::string subject_of_size(std::size_t bytes)
{
  std::string cn;
  for (int i = 0; i < 64; ++i) {
    cn += "\xc3\xa9";  // é
  }
  std::string s = "/CN=" + cn + "/O=" + std::string(64, 'o') + "/OU=" + std::string(64, 'u') + "/L="
                  + std::string(128, 'l') + "/ST=";
  s += std::string(bytes - s.size(), 's');
  return s;
}

TEST_F(CredServiceTest, create_subject_of_512_bytes_is_accepted_and_513_refused)
{
  ASSERT_EQ(subject_of_size(512).size(), 512u);
  EXPECT_EQ(post(with(create_request(), "clientsubject", subject_of_size(512))).status, 201);
  EXPECT_EQ(errorcode(with(create_request("dev02"), "clientsubject", subject_of_size(513))), 1104);
}

TEST_F(CredServiceTest, create_server_cn_must_be_a_host_name)
{
  EXPECT_EQ(errorcode(with(create_request("dev01", "server"), "clientsubject", "/CN=my gateway")), 1104);
  EXPECT_EQ(errorcode(with(create_request("dev01", "server"), "clientsubject", "/CN=-bad.example")), 1104);
  EXPECT_EQ(post(with(create_request("dev01", "server"), "clientsubject", "/CN=10.0.0.1")).status, 201);
}

TEST_F(CredServiceTest, create_passphrase_is_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "passphrase", std::string(129, 'p'))), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "passphrase", "has space")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "passphrase", "")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "passphrase", 1234)), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "clientcerttype", "p12")), 1102);
  EXPECT_EQ(post(with(create_request(), "passphrase", std::string(128, '~'))).status, 201);
}

TEST_F(CredServiceTest, create_file_paths_are_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "keyfilepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "keyfilepath", std::string(1025, 'k'))), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "cafilepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request("dev01", "caonly"), "cafilepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "cafilepath", "/tmp/a\nb")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "clientfilepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request(), "clientfilepath", "")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "clientfilepath", "/" + std::string(1024, 'c'))), 1104);
  EXPECT_EQ(post(with(create_request(), "clientfilepath", "/" + std::string(1023, 'c'))).status, 201);
}

TEST_F(CredServiceTest, create_cafilepath_is_optional_for_der_and_p12)
{
  json der = with(with(create_request("a"), "cafilepath", nullptr), "clientcerttype", "der");
  EXPECT_EQ(post(der).status, 201);
  json p12 = with(with(create_request("b"), "cafilepath", nullptr), "clientcerttype", "p12");
  EXPECT_EQ(post(with(p12, "passphrase", k_passphrase)).status, 201);
}

TEST_F(CredServiceTest, create_ipaddress_is_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "ipaddress", "300.1.1.1")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "ipaddress", "host.example")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "ipaddress", 192)), 1103);
  EXPECT_EQ(post(with(create_request("a"), "ipaddress", "192.168.0.1")).status, 201);
  EXPECT_EQ(post(with(create_request("b"), "ipaddress", "fe80::1")).status, 201);
}

TEST_F(CredServiceTest, create_macaddress_is_validated_and_normalized)
{
  for (const char* bad : {"12:34:56:78:90", "12:34-56:78:90:12", "1234567890123", "12:34:56:78:90:1g", "zz"}) {
    EXPECT_EQ(errorcode(with(create_request(), "macaddress", bad)), 1104) << bad;
  }
  int n = 0;
  for (const char* good : {"12:34:56:78:90:AB", "12-34-56-78-90-ab", "1234567890Ab"}) {
    const std::string name = "dev" + std::to_string(++n);
    ASSERT_EQ(post(with(create_request(name), "macaddress", good)).status, 201) << good;
    EXPECT_EQ(store().find_device_by_name(name)->macaddress, "12:34:56:78:90:ab") << good;
  }
}

TEST_F(CredServiceTest, create_ext_data_is_validated)
{
  EXPECT_EQ(errorcode(with(create_request(), "ext_data", json::array({"osname", "x"}))), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "ext_data", "osname=x")), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "ext_data", json{{"memorysize", 2048}})), 1103);
  EXPECT_EQ(errorcode(with(create_request(), "ext_data", json{{std::string(129, 'n'), "v"}})), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "ext_data", json{{"n", std::string(257, 'v')}})), 1104);
  const json ok{{std::string(128, 'n'), std::string(256, 'v')}, {"osname", "Debian"}};
  ASSERT_EQ(post(with(create_request(), "ext_data", ok)).status, 201);
  EXPECT_EQ(json::parse(store().find_device_by_name("dev01")->ext_data), ok);
}

TEST_F(CredServiceTest, refused_create_registers_nothing)
{
  EXPECT_EQ(errorcode(with(create_request(), "clientsubject", "/O=no-cn")), 1104);
  EXPECT_EQ(errorcode(with(create_request(), "macaddress", "bad")), 1104);
  EXPECT_FALSE(store().find_device_by_name("dev01").has_value());
  const Issued d = register_device();
  EXPECT_EQ(d.deviceid, "0000000001");
  EXPECT_EQ(d.keynumber, "3") << "a refused request used up a key number";
}

// ---- devices -------------------------------------------------------------------

TEST_F(CredServiceTest, first_create_registers_the_device)
{
  const Issued d = register_device();
  EXPECT_EQ(d.deviceid, "0000000001");
  EXPECT_EQ(d.devicekey.size(), 32u);
  EXPECT_EQ(d.devicekey.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            std::string::npos);
  EXPECT_EQ(register_device("dev02").deviceid, "0000000002");
}

TEST_F(CredServiceTest, device_info_is_stored_at_registration_and_refreshed)
{
  json req = create_request();
  req["ipaddress"] = "192.168.0.1";
  req["macaddress"] = "AA-BB-CC-DD-EE-FF";
  req["ext_data"] = json{{"osname", "Debian"}};
  const ApiResponse r = post(req);
  ASSERT_EQ(r.status, 201);
  auto device = store().find_device_by_name("dev01");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->ipaddress, "192.168.0.1");
  EXPECT_EQ(device->macaddress, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(json::parse(device->ext_data), (json{{"osname", "Debian"}}));

  json again = create_request();
  again["deviceid"] = r.body.at("deviceid");
  again["ipaddress"] = "10.0.0.2";
  ASSERT_EQ(post(again).status, 201);
  device = store().find_device_by_name("dev01");
  EXPECT_EQ(device->ipaddress, "10.0.0.2");
  EXPECT_EQ(device->macaddress, "aa:bb:cc:dd:ee:ff") << "a field not reported was lost";
}

TEST_F(CredServiceTest, known_devicename_without_deviceid_is_1702)
{
  register_device();
  EXPECT_EQ(errorcode(create_request()), 1702);
  EXPECT_EQ(errorcode(create_request("dev01", "caonly")), 1702);
}

TEST_F(CredServiceTest, create_with_deviceid_of_unknown_name_is_1706)
{
  const Issued d = register_device();
  EXPECT_EQ(errorcode(with(create_request("other"), "deviceid", d.deviceid)), 1706);
}

TEST_F(CredServiceTest, create_with_wrong_deviceid_is_1701)
{
  register_device("dev01");
  const Issued second = register_device("dev02");
  EXPECT_EQ(errorcode(with(create_request("dev01"), "deviceid", second.deviceid)), 1701);
  EXPECT_EQ(errorcode(with(create_request("dev01"), "deviceid", "0000000099")), 1701);
}

TEST_F(CredServiceTest, create_with_deviceid_issues_again_without_a_devicekey)
{
  const Issued d = register_device();
  const Issued again = issue_again(d);
  EXPECT_EQ(again.body.value("deviceid", ""), d.deviceid);
  EXPECT_FALSE(again.body.contains("devicekey")) << again.body;
}

TEST_F(CredServiceTest, devicekey_when_given_must_match)
{
  const Issued d = register_device();
  json req = with(create_request(), "deviceid", d.deviceid);
  EXPECT_EQ(errorcode(with(req, "devicekey", "WrongKey123")), 1703);
  EXPECT_EQ(errorcode(with(req, "devicekey", d.devicekey + "x")), 1703);
  EXPECT_EQ(post(with(req, "devicekey", d.devicekey)).status, 201);
  EXPECT_EQ(post(req).status, 201);
}

TEST_F(CredServiceTest, get_update_revoke_check_the_device)
{
  const Issued d = register_device();
  register_device("dev02");
  for (const std::string mode : {"get", "update", "revoke"}) {
    const json req = mode == "update" ? update_request(d) : request_for(mode, d);
    EXPECT_EQ(errorcode(with(req, "deviceid", nullptr)), 1102) << mode;
    EXPECT_EQ(errorcode(with(req, "devicename", nullptr)), 1102) << mode;
    EXPECT_EQ(errorcode(with(req, "devicename", "nobody")), 1706) << mode;
    EXPECT_EQ(errorcode(with(req, "deviceid", "0000000002")), 1701) << mode;
    EXPECT_EQ(errorcode(with(req, "devicekey", "WrongKey123")), 1703) << mode;
  }
  EXPECT_EQ(post(with(request_for("get", d), "devicekey", d.devicekey)).status, 200);
}

TEST_F(CredServiceTest, devicekey_is_stored_sealed)
{
  const Issued d = register_device();
  for (const char* suffix : {"", "-wal"}) {
    const fs::path p = db_path().string() + suffix;
    if (fs::exists(p)) {
      EXPECT_EQ(read_plain(p).find(d.devicekey), std::string::npos) << "devicekey found in " << p;
    }
  }
}

// ---- create: what is issued ----------------------------------------------------

TEST_F(CredServiceTest, caonly_pem_returns_the_root)
{
  const ApiResponse r = post(create_request("dev01", "caonly"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.value("cacert", ""), ca().root.cert_pem);
  EXPECT_EQ(r.body.value("cacerttype", ""), "pem");
  EXPECT_EQ(r.body.value("cakeynumber", ""), "1");
  const Cert root = pem_cert(ca().root.cert_pem);
  EXPECT_EQ(r.body.value("caserial", ""), serial_of(root.get()));
  EXPECT_FALSE(r.body.contains("clientcert"));
  EXPECT_FALSE(r.body.contains("privatekey"));
  EXPECT_FALSE(r.body.contains("clientkeynumber"));
  EXPECT_EQ(r.body.value("deviceid", ""), "0000000001");
  EXPECT_TRUE(r.body.contains("devicekey"));
}

TEST_F(CredServiceTest, caonly_der_returns_the_root_in_base64)
{
  const ApiResponse r = post(with(create_request("dev01", "caonly"), "cacerttype", "der"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.value("cacerttype", ""), "der");
  const Cert c = der_cert(clm::base64_decode(r.body.value("cacert", "")));
  ASSERT_TRUE(c);
  EXPECT_EQ(to_pem(c.get()), ca().root.cert_pem);
}

TEST_F(CredServiceTest, caonly_issues_no_key_number)
{
  post(create_request("a", "caonly"));
  EXPECT_EQ(register_device("b").keynumber, "3");
}

TEST_F(CredServiceTest, subject_may_repeat_ou_and_email_address)
{
  const std::string subject = "/O=NEC/OU=IoT/OU=Edge/emailAddress=a@example.com/emailAddress=b@example.com/CN=dev01";
  const ApiResponse r = post(with(create_request(), "clientsubject", subject));
  ASSERT_EQ(r.status, 201) << r.body;
  const Cert leaf = pem_cert(r.body.value("clientcert", ""));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(subject_of(leaf.get()), subject);
  EXPECT_EQ(errorcode(with(create_request("dev02"), "clientsubject", "/CN=a/CN=b")), 1104);
}

TEST_F(CredServiceTest, client_pem_certificate_chains_to_the_root)
{
  const Issued d = register_device();
  const json& b = d.body;
  EXPECT_EQ(b.value("clientcerttype", ""), "pem");
  const std::string leaf_pem = b.value("clientcert", "");
  const Cert leaf = pem_cert(leaf_pem);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(subject_of(leaf.get()), k_subject);
  EXPECT_TRUE(clm::server::certificate_chains_to(leaf_pem, ca().issuing.cert_pem, ca().root.cert_pem));
  EXPECT_FALSE(clm::server::certificate_chains_to(leaf_pem, "", ca().root.cert_pem));
  // The CA answer is the issuing CA first, then the root.
  EXPECT_EQ(b.value("cacert", ""), ca().issuing.cert_pem + ca().root.cert_pem);
  EXPECT_EQ(pem_certs(b.value("cacert", "")).size(), 2u);
  EXPECT_EQ(b.value("cakeynumber", ""), "2");
  EXPECT_EQ(b.value("caserial", ""), serial_of(pem_cert(ca().issuing.cert_pem).get()));
  EXPECT_EQ(b.value("clientserial", ""), serial_of(leaf.get()));
}

TEST_F(CredServiceTest, client_certificate_has_the_client_profile)
{
  const Cert leaf = pem_cert(register_device().body.value("clientcert", ""));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_get_version(leaf.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_NE(X509_get_extension_flags(leaf.get()) & EXFLAG_BCONS, 0u) << "no basicConstraints";
  EXPECT_EQ(X509_get_key_usage(leaf.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_NE(X509_get0_subject_key_id(leaf.get()), nullptr);
  EXPECT_NE(X509_get0_authority_key_id(leaf.get()), nullptr);
  EXPECT_TRUE(alt_names(leaf.get()).empty());
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);
}

TEST_F(CredServiceTest, client_certificate_validity_follows_the_policy)
{
  const Cert leaf = pem_cert(register_device().body.value("clientcert", ""));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(seconds_between(X509_get0_notBefore(leaf.get()), X509_get0_notAfter(leaf.get())),
            std::chrono::duration_cast<std::chrono::seconds>(m_policy.lifetime).count() + 300);
  const std::int64_t now_s = m_now / 1000;
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(leaf.get()), nullptr), -1);
  EXPECT_EQ(record_of("3")->not_after_ms, (now_s + 365 * 86400) * 1000);
}

TEST_F(CredServiceTest, custom_lifetime_is_used)
{
  m_policy.lifetime = 2h;
  rebuild();
  const Cert leaf = pem_cert(register_device().body.value("clientcert", ""));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(seconds_between(X509_get0_notBefore(leaf.get()), X509_get0_notAfter(leaf.get())), 7200 + 300);
}

TEST_F(CredServiceTest, private_key_matches_the_certificate_and_is_unencrypted_pkcs8)
{
  const Issued d = register_device();
  const std::string key_pem = d.body.value("privatekey", "");
  EXPECT_EQ(key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << key_pem.substr(0, 40);
  const Pkey key = pem_key(key_pem);
  ASSERT_TRUE(key);
  const Cert leaf = pem_cert(d.body.value("clientcert", ""));
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
}

TEST_F(CredServiceTest, passphrase_encrypts_the_private_key)
{
  const ApiResponse r = post(with(create_request(), "passphrase", k_passphrase));
  ASSERT_EQ(r.status, 201);
  const std::string key_pem = r.body.value("privatekey", "");
  EXPECT_EQ(key_pem.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0), 0u) << key_pem.substr(0, 40);
  EXPECT_FALSE(pem_key(key_pem, "wrong-pass"));
  ERR_clear_error();
  const Pkey key = pem_key(key_pem, k_passphrase);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(pem_cert(r.body.value("clientcert", "")).get(), key.get()), 1);
}

TEST_F(CredServiceTest, client_der_is_base64_of_the_certificate)
{
  const ApiResponse r = post(with(with(create_request(), "clientcerttype", "der"), "cacerttype", "der"));
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body.value("clientcerttype", ""), "der");
  const Cert leaf = der_cert(clm::base64_decode(r.body.value("clientcert", "")));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(subject_of(leaf.get()), k_subject);
  // DER carries one certificate: the issuing CA.
  const Cert ca1 = der_cert(clm::base64_decode(r.body.value("cacert", "")));
  ASSERT_TRUE(ca1);
  EXPECT_EQ(to_pem(ca1.get()), ca().issuing.cert_pem);
  EXPECT_EQ(r.body.value("cacerttype", ""), "der");
  EXPECT_EQ(r.body.value("cakeynumber", ""), "2");
  EXPECT_TRUE(pem_key(r.body.value("privatekey", "")));
}

TEST_F(CredServiceTest, client_p12_holds_key_and_certificate_under_the_passphrase)
{
  json req = with(create_request(), "clientcerttype", "p12");
  const ApiResponse r = post(with(req, "passphrase", k_passphrase));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.value("clientcerttype", ""), "p12");
  EXPECT_FALSE(r.body.contains("privatekey")) << "the key travels inside the PKCS#12 file";
  const std::string der = clm::base64_decode(r.body.value("clientcert", ""));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const Pkcs12 p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(p12);

  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  EXPECT_EQ(PKCS12_parse(p12.get(), "wrong-pass", &key, &cert, &chain), 0);
  ERR_clear_error();
  ASSERT_EQ(PKCS12_parse(p12.get(), k_passphrase, &key, &cert, &chain), 1);
  const Pkey key_owner(key);
  const Cert cert_owner(cert);
  ASSERT_TRUE(key && cert);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EXPECT_EQ(subject_of(cert), k_subject);
  EXPECT_EQ(serial_of(cert), r.body.value("clientserial", ""));
  EXPECT_TRUE(chain == nullptr || sk_X509_num(chain) == 0) << "the PKCS#12 file holds a chain";
  sk_X509_pop_free(chain, X509_free);
  EXPECT_TRUE(clm::server::certificate_chains_to(to_pem(cert), ca().issuing.cert_pem, ca().root.cert_pem));
}

TEST_F(CredServiceTest, server_certificate_has_server_auth_and_a_dns_name)
{
  const Issued d = register_device("gw", "server");
  const Cert leaf = pem_cert(d.body.value("clientcert", ""));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(alt_names(leaf.get()), (std::vector<std::string>{"DNS:gw.example.com"}));
  EXPECT_EQ(X509_check_host(leaf.get(), "gw.example.com", 0, 0, nullptr), 1);
}

TEST_F(CredServiceTest, server_certificate_for_an_address_has_an_ip_name)
{
  const ApiResponse r = post(with(create_request("gw", "server"), "clientsubject", "/O=NEC/CN=192.0.2.7"));
  ASSERT_EQ(r.status, 201);
  const Cert leaf = pem_cert(r.body.value("clientcert", ""));
  EXPECT_EQ(alt_names(leaf.get()), (std::vector<std::string>{"IP:192.0.2.7"}));
}

TEST_F(CredServiceTest, rsa_policy_issues_rsa_keys_with_key_encipherment)
{
  m_policy.key_type = KeyType::rsa2048;
  rebuild();
  const Issued d = register_device();
  const Pkey key = pem_key(d.body.value("privatekey", ""));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  const Cert leaf = pem_cert(d.body.value("clientcert", ""));
  EXPECT_EQ(X509_get_key_usage(leaf.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  // Signed by the (EC) issuing CA all the same.
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);
}

TEST_F(CredServiceTest, serials_are_16_upper_case_hex_digits_and_unique)
{
  const Issued d = register_device();
  std::set<std::string> serials;
  for (int i = 0; i < 20; ++i) {
    const std::string serial = issue_again(d).serial;
    EXPECT_EQ(serial.size(), 16u) << serial;
    EXPECT_EQ(serial.find_first_not_of("0123456789ABCDEF"), std::string::npos) << serial;
    EXPECT_NE(serial.front(), '0') << serial;
    serials.insert(serial);
  }
  EXPECT_EQ(serials.size(), 20u);
}

TEST_F(CredServiceTest, key_numbers_are_shared_and_increasing)
{
  EXPECT_EQ(store().find_ca_certificate("CA")->keynumber, 1);
  EXPECT_EQ(store().find_ca_certificate("ca1")->keynumber, 2);
  const Issued a = register_device("a");
  const Issued b = register_device("b", "server");
  const Issued c = issue_again(a);
  EXPECT_EQ(a.keynumber, "3");
  EXPECT_EQ(b.keynumber, "4");
  EXPECT_EQ(c.keynumber, "5");
  EXPECT_EQ(store().allocate_keynumber("symmetric"), 6) << "the sequence is not shared";
  EXPECT_EQ(issue_again(b).keynumber, "7");
}

TEST_F(CredServiceTest, private_key_is_stored_sealed)
{
  const Issued d = register_device();
  const std::string key_pem = d.body.value("privatekey", "");
  // The base64 body of the key, one line of it, must appear in no database file.
  const std::string line = key_pem.substr(key_pem.find('\n') + 1, 40);
  for (const char* suffix : {"", "-wal"}) {
    const fs::path p = db_path().string() + suffix;
    if (fs::exists(p)) {
      EXPECT_EQ(read_plain(p).find(line), std::string::npos) << "private key found in " << p;
    }
  }
  const auto rec = record_of(d.keynumber);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->sealed_key.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(CredServiceTest, issued_certificate_is_recorded)
{
  const Issued d = register_device("gw", "server");
  const auto rec = record_of(d.keynumber);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->serial, d.serial);
  EXPECT_EQ(rec->catype, "ca1");
  EXPECT_EQ(rec->deviceid, d.deviceid);
  EXPECT_EQ(rec->kind, clm::server::CertKind::server);
  EXPECT_EQ(rec->subject, "/O=NEC/CN=gw.example.com");
  EXPECT_EQ(rec->status, CertStatus::valid);
  EXPECT_EQ(rec->filepath, "/etc/clm/clcert.pem");
  EXPECT_EQ(rec->created_ms, m_now);
  EXPECT_FALSE(rec->ca_name.has_value());
}

TEST_F(CredServiceTest, issuance_failure_is_1401)
{
  m_policy.lifetime = 0s;
  rebuild();
  EXPECT_EQ(errorcode(create_request()), 1401);
  EXPECT_FALSE(store().find_device_by_name("dev01")) << "a failed issuance left a registered device";
}

// ---- get ------------------------------------------------------------------------

TEST_F(CredServiceTest, get_by_keynumber_returns_the_certificate_and_key)
{
  const Issued d = register_device();
  const ApiResponse r = post(request_for("get", d));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.value("deviceid", ""), d.deviceid);
  EXPECT_EQ(r.body.value("clientcert", ""), d.body.value("clientcert", "?"));
  EXPECT_EQ(r.body.value("privatekey", ""), d.body.value("privatekey", "?"));
  EXPECT_EQ(r.body.value("clientkeynumber", ""), d.keynumber);
  EXPECT_EQ(r.body.value("clientserial", ""), d.serial);
  EXPECT_EQ(r.body.value("clientcerttype", ""), "pem");
  EXPECT_FALSE(r.body.contains("devicekey"));
}

TEST_F(CredServiceTest, get_by_certserial_in_any_case)
{
  const Issued d = register_device();
  std::string lower = d.serial;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const std::string& serial : {d.serial, lower, "00" + d.serial}) {
    const ApiResponse r = post(with(with(request_for("get", d), "keynumber", nullptr), "certserial", serial));
    ASSERT_EQ(r.status, 200) << serial;
    EXPECT_EQ(r.body.value("clientkeynumber", ""), d.keynumber);
  }
}

TEST_F(CredServiceTest, get_keynumber_wins_over_certserial)
{
  const Issued d = register_device();
  const Issued second = issue_again(d);
  const ApiResponse r = post(with(request_for("get", d), "certserial", second.serial));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.value("clientkeynumber", ""), d.keynumber);
}

TEST_F(CredServiceTest, get_fields_are_validated)
{
  const Issued d = register_device();
  const json req = request_for("get", d);
  EXPECT_EQ(errorcode(with(req, "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "keynumber", "3a")), 1104);
  EXPECT_EQ(errorcode(with(req, "keynumber", "12345678901")), 1104);
  EXPECT_EQ(errorcode(with(req, "keynumber", 3)), 1103);
  EXPECT_EQ(errorcode(with(with(req, "keynumber", nullptr), "certserial", "XYZ")), 1104);
  EXPECT_EQ(errorcode(with(with(req, "keynumber", nullptr), "certserial", std::string(41, 'A'))), 1104);
  EXPECT_EQ(errorcode(with(req, "catype", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "catype", "ca9")), 1302);
  EXPECT_EQ(errorcode(with(req, "certtype", "crt")), 1103);
  EXPECT_EQ(errorcode(with(req, "certtype", "p12")), 1102);
  EXPECT_EQ(errorcode(with(req, "passphrase", "a b")), 1104);
  EXPECT_EQ(errorcode(with(req, "filepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "filepath", std::string(1025, 'f'))), 1104);
}

TEST_F(CredServiceTest, get_converts_to_der_and_p12)
{
  const Issued d = register_device();
  const ApiResponse der = post(with(request_for("get", d), "certtype", "der"));
  ASSERT_EQ(der.status, 200);
  const Cert leaf = der_cert(clm::base64_decode(der.body.value("clientcert", "")));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(serial_of(leaf.get()), d.serial);
  EXPECT_EQ(der.body.value("clientcerttype", ""), "der");

  const ApiResponse p12 = post(with(with(request_for("get", d), "certtype", "p12"), "passphrase", k_passphrase));
  ASSERT_EQ(p12.status, 200);
  const std::string bytes = clm::base64_decode(p12.body.value("clientcert", ""));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const Pkcs12 parsed(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  ASSERT_TRUE(parsed);
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ASSERT_EQ(PKCS12_parse(parsed.get(), k_passphrase, &key, &cert, nullptr), 1);
  const Pkey key_owner(key);
  const Cert cert_owner(cert);
  EXPECT_EQ(serial_of(cert), d.serial);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EXPECT_FALSE(p12.body.contains("privatekey"));
}

TEST_F(CredServiceTest, get_with_passphrase_encrypts_the_key)
{
  const Issued d = register_device();
  const ApiResponse r = post(with(request_for("get", d), "passphrase", k_passphrase));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(pem_key(r.body.value("privatekey", ""), k_passphrase));
  EXPECT_EQ(r.body.value("privatekey", "").find("ENCRYPTED"), std::string("-----BEGIN ").size());
}

TEST_F(CredServiceTest, get_records_the_filepath)
{
  const Issued d = register_device();
  ASSERT_EQ(post(with(request_for("get", d), "filepath", "/srv/new.pem")).status, 200);
  EXPECT_EQ(record_of(d.keynumber)->filepath, "/srv/new.pem");
}

TEST_F(CredServiceTest, get_ca_certificates_by_keynumber_and_serial)
{
  const Issued d = register_device();
  json req = with(request_for("get", d), "catype", "CA");
  const ApiResponse root = post(with(req, "keynumber", "1"));
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_EQ(root.body.value("cacert", ""), ca().root.cert_pem);
  EXPECT_EQ(root.body.value("cacerttype", ""), "pem");
  EXPECT_EQ(root.body.value("cakeynumber", ""), "1");
  EXPECT_EQ(root.body.value("deviceid", ""), d.deviceid);
  EXPECT_FALSE(root.body.contains("clientcert"));

  const std::string ca1_serial = serial_of(pem_cert(ca().issuing.cert_pem).get());
  const ApiResponse ca1 = post(with(with(with(req, "keynumber", nullptr), "certserial", ca1_serial), "certtype", "der"));
  ASSERT_EQ(ca1.status, 200) << ca1.body;
  EXPECT_EQ(ca1.body.value("cakeynumber", ""), "2");
  EXPECT_EQ(ca1.body.value("caserial", ""), ca1_serial);
  EXPECT_EQ(ca1.body.value("cacerttype", ""), "der");
  EXPECT_EQ(to_pem(der_cert(clm::base64_decode(ca1.body.value("cacert", ""))).get()), ca().issuing.cert_pem);
}

TEST_F(CredServiceTest, get_ca_refuses_p12_and_leaves)
{
  const Issued d = register_device();
  const json req = with(request_for("get", d), "catype", "CA");
  EXPECT_EQ(errorcode(with(with(req, "certtype", "p12"), "passphrase", k_passphrase)), 1103);
  EXPECT_EQ(errorcode(req), 1301) << "a leaf was returned as a CA certificate";
  EXPECT_EQ(errorcode(with(request_for("get", d), "keynumber", "1")), 1301) << "a CA certificate was returned as a leaf";
}

TEST_F(CredServiceTest, get_of_unknown_certificate_is_1301)
{
  const Issued d = register_device();
  EXPECT_EQ(errorcode(with(request_for("get", d), "keynumber", "99")), 1301);
  EXPECT_EQ(errorcode(with(with(request_for("get", d), "keynumber", nullptr), "certserial", "0123456789ABCDEF")), 1301);
}

TEST_F(CredServiceTest, get_of_another_devices_certificate_is_1303)
{
  const Issued mine = register_device("dev01");
  const Issued theirs = register_device("dev02");
  EXPECT_EQ(errorcode(with(request_for("get", mine), "keynumber", theirs.keynumber)), 1303);
}

TEST_F(CredServiceTest, get_of_revoked_or_updated_certificate_is_1306)
{
  const Issued d = register_device();
  const Issued second = issue_again(d);
  ASSERT_EQ(post(request_for("revoke", d)).status, 200);
  EXPECT_EQ(errorcode(request_for("get", d)), 1306);
  ASSERT_EQ(post(update_request(second)).status, 200);
  EXPECT_EQ(errorcode(request_for("get", second)), 1306);
}

TEST_F(CredServiceTest, get_of_expired_certificate_is_1305)
{
  const Issued d = register_device();
  m_now += lifetime_ms() - 1000;
  EXPECT_EQ(post(request_for("get", d)).status, 200);
  m_now += 1000;
  EXPECT_EQ(errorcode(request_for("get", d)), 1305);
}

// ---- update -----------------------------------------------------------------------

TEST_F(CredServiceTest, update_issues_a_new_certificate_with_the_same_subject)
{
  const Issued d = register_device("gw", "server");
  const ApiResponse r = post(with(update_request(d), "newfilepath", "/etc/clm/svcert2.pem"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.value("deviceid", ""), d.deviceid);
  const std::string new_keynumber = r.body.value("clientkeynumber", "");
  EXPECT_GT(std::stoll(new_keynumber), std::stoll(d.keynumber));
  EXPECT_NE(r.body.value("clientserial", ""), d.serial);
  EXPECT_EQ(r.body.value("clientcerttype", ""), "pem");

  const Cert old_cert = pem_cert(d.body.value("clientcert", ""));
  const Cert new_cert = pem_cert(r.body.value("clientcert", ""));
  ASSERT_TRUE(new_cert);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(old_cert.get()), X509_get_subject_name(new_cert.get())), 0);
  EXPECT_EQ(X509_get_extended_key_usage(new_cert.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(alt_names(new_cert.get()), (std::vector<std::string>{"DNS:gw.example.com"}));
  EXPECT_TRUE(clm::server::certificate_chains_to(to_pem(new_cert.get()), ca().issuing.cert_pem, ca().root.cert_pem));
  const Pkey key = pem_key(r.body.value("privatekey", ""), k_passphrase);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(new_cert.get(), key.get()), 1);
  EXPECT_NE(r.body.value("privatekey", ""), d.body.value("privatekey", "")) << "the key was not renewed";

  const auto old_rec = record_of(d.keynumber);
  EXPECT_EQ(old_rec->status, CertStatus::updated);
  EXPECT_EQ(old_rec->replaced_by, std::stoll(new_keynumber));
  EXPECT_EQ(record_of(new_keynumber)->filepath, "/etc/clm/svcert2.pem");
  EXPECT_EQ(record_of(new_keynumber)->subject, old_rec->subject);
}

TEST_F(CredServiceTest, update_without_newfilepath_keeps_the_filepath)
{
  const Issued d = register_device();
  const ApiResponse r = post(with(update_request(d), "filepath", "/srv/cl.pem"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(record_of(r.body.value("clientkeynumber", ""))->filepath, "/srv/cl.pem");
}

TEST_F(CredServiceTest, updated_certificate_cannot_be_fetched_or_updated_again)
{
  const Issued d = register_device();
  ASSERT_EQ(post(update_request(d)).status, 200);
  EXPECT_EQ(errorcode(request_for("get", d)), 1306);
  EXPECT_EQ(errorcode(update_request(d)), 1306);
  EXPECT_EQ(errorcode(request_for("revoke", d)), 1306);
}

TEST_F(CredServiceTest, update_of_revoked_certificate_is_1306)
{
  const Issued d = register_device();
  ASSERT_EQ(post(request_for("revoke", d)).status, 200);
  EXPECT_EQ(errorcode(update_request(d)), 1306);
}

TEST_F(CredServiceTest, update_of_expired_certificate_is_1305)
{
  const Issued d = register_device();
  m_now += lifetime_ms();
  EXPECT_EQ(errorcode(update_request(d)), 1305);
}

TEST_F(CredServiceTest, update_of_unknown_or_foreign_certificate_is_1301_or_1303)
{
  const Issued mine = register_device("dev01");
  const Issued theirs = register_device("dev02");
  EXPECT_EQ(errorcode(with(update_request(mine), "keynumber", "77")), 1301);
  EXPECT_EQ(errorcode(with(update_request(mine), "keynumber", "2")), 1301);
  EXPECT_EQ(errorcode(with(update_request(mine), "keynumber", theirs.keynumber)), 1303);
}

TEST_F(CredServiceTest, update_fields_are_validated)
{
  const Issued d = register_device();
  const json req = update_request(d);
  EXPECT_EQ(errorcode(with(req, "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "catype", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "catype", "CA")), 1103);
  EXPECT_EQ(errorcode(with(req, "catype", "root")), 1302);
  EXPECT_EQ(errorcode(with(req, "certtype", "jks")), 1103);
  EXPECT_EQ(errorcode(with(with(req, "passphrase", nullptr), "certtype", "p12")), 1102);
  EXPECT_EQ(errorcode(with(req, "filepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "newfilepath", std::string(1025, 'n'))), 1104);
  EXPECT_EQ(errorcode(with(req, "newkeynumber", "x")), 1104);
  EXPECT_EQ(errorcode(with(req, "newcertserial", "not-hex")), 1104);
  EXPECT_EQ(record_of(d.keynumber)->status, CertStatus::valid) << "a refused update changed the certificate";
}

TEST_F(CredServiceTest, update_making_a_new_key_needs_the_passphrase_and_encrypts_the_key)
{
  const Issued d = register_device();
  EXPECT_EQ(errorcode(request_for("update", d)), 1102);
  EXPECT_EQ(record_of(d.keynumber)->status, CertStatus::valid) << "a refused update changed the certificate";
  const ApiResponse r = post(update_request(d));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string key = r.body.value("privatekey", "");
  EXPECT_NE(key.find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos) << key;
}

TEST_F(CredServiceTest, update_adopting_needs_no_passphrase_unless_p12)
{
  const Issued d = register_device();
  const Issued next = issue_again(d);
  const json adopt = with(request_for("update", d), "newkeynumber", next.keynumber);
  EXPECT_EQ(errorcode(with(adopt, "certtype", "p12")), 1102);
  EXPECT_EQ(post(adopt).status, 200);
}

TEST_F(CredServiceTest, update_to_p12_needs_and_uses_the_passphrase)
{
  const Issued d = register_device();
  const ApiResponse r = post(with(update_request(d), "certtype", "p12"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("clientcerttype", ""), "p12");
  const std::string bytes = clm::base64_decode(r.body.value("clientcert", ""));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const Pkcs12 parsed(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(PKCS12_verify_mac(parsed.get(), k_passphrase, -1), 1);
}

TEST_F(CredServiceTest, update_adopts_an_existing_certificate_by_newkeynumber)
{
  const Issued d = register_device();
  const Issued next = issue_again(d);
  const ApiResponse r = post(with(with(request_for("update", d), "newkeynumber", next.keynumber), "newfilepath", "/n.pem"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("clientkeynumber", ""), next.keynumber);
  EXPECT_EQ(r.body.value("clientserial", ""), next.serial);
  EXPECT_EQ(r.body.value("clientcert", ""), next.body.value("clientcert", "?"));
  EXPECT_EQ(r.body.value("privatekey", ""), next.body.value("privatekey", "?"));
  EXPECT_EQ(record_of(d.keynumber)->status, CertStatus::updated);
  EXPECT_EQ(record_of(d.keynumber)->replaced_by, std::stoll(next.keynumber));
  EXPECT_EQ(record_of(next.keynumber)->status, CertStatus::valid);
  EXPECT_EQ(record_of(next.keynumber)->filepath, "/n.pem");
  EXPECT_EQ(issue_again(d).keynumber, std::to_string(std::stoll(next.keynumber) + 1)) << "adopting allocated a number";
}

TEST_F(CredServiceTest, update_adopts_an_existing_certificate_by_newcertserial)
{
  const Issued d = register_device();
  const Issued next = issue_again(d);
  const ApiResponse r = post(with(request_for("update", d), "newcertserial", next.serial));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("clientkeynumber", ""), next.keynumber);
}

TEST_F(CredServiceTest, update_adopting_itself_is_1103)
{
  const Issued d = register_device();
  EXPECT_EQ(errorcode(with(request_for("update", d), "newkeynumber", d.keynumber)), 1103);
  EXPECT_EQ(errorcode(with(request_for("update", d), "newcertserial", d.serial)), 1103);
}

TEST_F(CredServiceTest, update_adopting_an_invalid_certificate_is_1307)
{
  const Issued d = register_device();
  const Issued revoked = issue_again(d);
  const Issued replaced = issue_again(d);
  ASSERT_EQ(post(request_for("revoke", revoked)).status, 200);
  ASSERT_EQ(post(update_request(replaced)).status, 200);
  EXPECT_EQ(errorcode(with(request_for("update", d), "newkeynumber", revoked.keynumber)), 1307);
  EXPECT_EQ(errorcode(with(request_for("update", d), "newkeynumber", replaced.keynumber)), 1307);
  EXPECT_EQ(record_of(d.keynumber)->status, CertStatus::valid);
}

TEST_F(CredServiceTest, update_adopting_an_expired_certificate_is_1308)
{
  const Issued d = register_device();
  const Issued early = issue_again(d);  // expires first
  m_now += 10'000;
  const Issued late = issue_again(d);
  m_now += lifetime_ms() - 10'000;  // early has just expired, late has ten seconds left
  EXPECT_EQ(errorcode(with(request_for("update", late), "newkeynumber", early.keynumber)), 1308);
}

TEST_F(CredServiceTest, update_adopting_unknown_or_foreign_is_1301_or_1303)
{
  const Issued d = register_device("dev01");
  const Issued other = register_device("dev02");
  EXPECT_EQ(errorcode(with(request_for("update", d), "newkeynumber", "88")), 1301);
  EXPECT_EQ(errorcode(with(request_for("update", d), "newkeynumber", "1")), 1301);
  EXPECT_EQ(errorcode(with(request_for("update", d), "newkeynumber", other.keynumber)), 1303);
}

// ---- revoke -----------------------------------------------------------------------

TEST_F(CredServiceTest, revoke_marks_the_certificate_revoked)
{
  const Issued d = register_device();
  m_now += 5000;
  const ApiResponse r = post(request_for("revoke", d));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, (json{{"errorcode", 0}, {"deviceid", d.deviceid}, {"clientkeynumber", d.keynumber},
                          {"clientserial", d.serial}}));
  const auto rec = record_of(d.keynumber);
  EXPECT_EQ(rec->status, CertStatus::revoked);
  EXPECT_EQ(rec->revoked_at_ms, m_now);
}

TEST_F(CredServiceTest, revoke_twice_is_1306)
{
  const Issued d = register_device();
  ASSERT_EQ(post(request_for("revoke", d)).status, 200);
  EXPECT_EQ(errorcode(request_for("revoke", d)), 1306);
}

TEST_F(CredServiceTest, revoke_by_certserial_with_filepath)
{
  const Issued d = register_device();
  json req = with(with(request_for("revoke", d), "keynumber", nullptr), "certserial", d.serial);
  const ApiResponse r = post(with(req, "filepath", "/etc/clm/clcert.pem"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.value("clientkeynumber", ""), d.keynumber);
}

TEST_F(CredServiceTest, revoke_fields_and_targets_are_checked)
{
  const Issued d = register_device("dev01");
  const Issued other = register_device("dev02");
  const json req = request_for("revoke", d);
  EXPECT_EQ(errorcode(with(req, "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "catype", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "catype", "CA")), 1103);
  EXPECT_EQ(errorcode(with(req, "catype", "x")), 1302);
  EXPECT_EQ(errorcode(with(req, "filepath", std::string(1025, 'f'))), 1104);
  EXPECT_EQ(errorcode(with(req, "keynumber", "55")), 1301);
  EXPECT_EQ(errorcode(with(req, "keynumber", "1")), 1301) << "the root CA was revocable";
  EXPECT_EQ(errorcode(with(req, "keynumber", other.keynumber)), 1303);
  EXPECT_EQ(record_of(other.keynumber)->status, CertStatus::valid);
}

TEST_F(CredServiceTest, expired_certificate_can_still_be_revoked)
{
  const Issued d = register_device();
  m_now += lifetime_ms() + 1;
  EXPECT_EQ(post(request_for("revoke", d)).status, 200);
}

// ---- audit trail ---------------------------------------------------------------

TEST_F(CredServiceTest, every_successful_call_is_recorded)
{
  const Issued d = register_device();
  json ca_get = with(with(request_for("get", d), "catype", "CA"), "keynumber", "1");
  ASSERT_EQ(post(with(ca_get, "filepath", "/etc/clm/cacert.pem")).status, 200);
  ASSERT_EQ(post(request_for("get", d)).status, 200);
  const ApiResponse upd = post(with(update_request(d), "newfilepath", "/etc/clm/new.pem"));
  ASSERT_EQ(upd.status, 200);
  Issued renewed = d;
  renewed.keynumber = upd.body.value("clientkeynumber", "");
  ASSERT_EQ(post(request_for("revoke", renewed)).status, 200);
  EXPECT_EQ(errorcode(request_for("get", d)), 1306);  // refused: not recorded

  const std::vector<EventRecord> events = store().device_events(d.deviceid);
  ASSERT_EQ(events.size(), 5u);
  const std::vector<std::tuple<std::string, std::int64_t, std::string>> expected{
    {"create", 3, "/etc/clm/clcert.pem"},
    {"get", 1, "/etc/clm/cacert.pem"},
    {"get", 3, "/etc/clm/clcert.pem"},
    {"update", std::stoll(renewed.keynumber), "/etc/clm/new.pem"},
    {"revoke", std::stoll(renewed.keynumber), "/etc/clm/new.pem"},
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].api, "CredInfo");
    EXPECT_EQ(events[i].deviceid, d.deviceid);
    EXPECT_EQ(events[i].mode, std::get<0>(expected[i])) << i;
    EXPECT_EQ(events[i].keynumber, std::get<1>(expected[i])) << i;
    EXPECT_EQ(events[i].filepath, std::get<2>(expected[i])) << i;
    EXPECT_EQ(events[i].at_ms, m_now);
  }
}

TEST_F(CredServiceTest, caonly_create_is_recorded_against_the_root)
{
  const ApiResponse r = post(create_request("dev01", "caonly"));
  ASSERT_EQ(r.status, 201);
  const auto events = store().device_events(r.body.value("deviceid", ""));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].mode, "create");
  EXPECT_EQ(events[0].keynumber, 1);
  EXPECT_EQ(events[0].filepath, "/etc/clm/cacert.pem");
}

// ---- CA registration -------------------------------------------------------------

TEST_F(CredServiceTest, ca_certificates_are_registered_once)
{
  const auto root = store().find_ca_certificate("CA");
  const auto ca1 = store().find_ca_certificate("ca1");
  ASSERT_TRUE(root && ca1);
  EXPECT_EQ(root->serial, serial_of(pem_cert(ca().root.cert_pem).get()));
  EXPECT_EQ(ca1->serial, serial_of(pem_cert(ca().issuing.cert_pem).get()));
  EXPECT_EQ(root->catype, "CA");
  EXPECT_EQ(ca1->catype, "CA");
  EXPECT_EQ(ca1->kind, clm::server::CertKind::ca);
  EXPECT_EQ(ca1->subject, "/O=clm/CN=ca1");
  EXPECT_FALSE(ca1->deviceid.has_value());
  rebuild();
  clm::server::register_ca_certificates(store(), m_now);
  EXPECT_EQ(store().allocate_keynumber("probe"), 3) << "the CA certificates were registered twice";
}

TEST_F(CredServiceTest, missing_ca_key_pair_is_an_error)
{
  const fs::path other = dir() / "empty.db";
  SqliteStore empty(other);
  EXPECT_THROW(clm::server::register_ca_certificates(empty, m_now), clm::Error);
}

// ---- CRL ------------------------------------------------------------------------

struct ParsedCrl {
  Crl crl;
  std::vector<std::string> serials;
  long number = -1;
};

ParsedCrl parse_crl(const std::string& pem)
{
  ParsedCrl out;
  out.crl.reset(PEM_read_bio_X509_CRL(mem(pem).get(), nullptr, nullptr, nullptr));
  if (!out.crl) {
    return out;
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(out.crl.get());
  for (int i = 0; revoked && i < sk_X509_REVOKED_num(revoked); ++i) {
    const ASN1_INTEGER* serial = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    char* hex = BN_bn2hex(bn);
    out.serials.emplace_back(hex);
    OPENSSL_free(hex);
    BN_free(bn);
  }
  const Asn1Integer number(
    static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(out.crl.get(), NID_crl_number, nullptr, nullptr)));
  if (number) {
    out.number = ASN1_INTEGER_get(number.get());
  }
  return out;
}

TEST_F(CredServiceTest, crl_without_revocations_is_signed_by_ca1)
{
  const ParsedCrl crl = parse_crl(service().crl(std::nullopt));
  ASSERT_TRUE(crl.crl);
  EXPECT_EQ(X509_CRL_get_version(crl.crl.get()), X509_CRL_VERSION_2);
  const Cert ca1 = pem_cert(ca().issuing.cert_pem);
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(crl.crl.get()), X509_get_subject_name(ca1.get())), 0);
  EXPECT_EQ(X509_CRL_verify(crl.crl.get(), X509_get0_pubkey(ca1.get())), 1);
  const Cert root = pem_cert(ca().root.cert_pem);
  EXPECT_NE(X509_CRL_verify(crl.crl.get(), X509_get0_pubkey(root.get())), 1);
  ERR_clear_error();
  EXPECT_EQ(X509_CRL_get_signature_nid(crl.crl.get()), NID_ecdsa_with_SHA256);
  EXPECT_TRUE(crl.serials.empty());
  EXPECT_GE(crl.number, 1);
  EXPECT_EQ(seconds_between(X509_CRL_get0_lastUpdate(crl.crl.get()), X509_CRL_get0_nextUpdate(crl.crl.get())),
            7 * 86400);
  EXPECT_EQ(X509_CRL_get_ext_by_NID(crl.crl.get(), NID_authority_key_identifier, -1) >= 0, true);
}

TEST_F(CredServiceTest, crl_lists_exactly_the_revoked_serials)
{
  const Issued d = register_device();
  const Issued second = issue_again(d);
  const Issued third = issue_again(d);
  const Issued fourth = issue_again(d);
  ASSERT_EQ(post(request_for("revoke", d)).status, 200);
  ASSERT_EQ(post(request_for("revoke", third)).status, 200);
  ASSERT_EQ(post(update_request(fourth)).status, 200);  // superseded, not revoked
  const ParsedCrl crl = parse_crl(service().crl(std::string("ca1")));
  ASSERT_TRUE(crl.crl);
  std::set<std::string> listed(crl.serials.begin(), crl.serials.end());
  EXPECT_EQ(listed, (std::set<std::string>{d.serial, third.serial}));
  EXPECT_EQ(crl.serials.size(), 2u);
  EXPECT_EQ(X509_CRL_verify(crl.crl.get(), X509_get0_pubkey(pem_cert(ca().issuing.cert_pem).get())), 1);

  // A revoked certificate makes X509_verify_cert fail once the CRL is checked.
  X509_STORE* st = X509_STORE_new();
  X509_STORE_add_cert(st, pem_cert(ca().root.cert_pem).get());
  X509_STORE_add_crl(st, crl.crl.get());
  X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
  STACK_OF(X509)* chain = sk_X509_new_null();
  const Cert ca1 = pem_cert(ca().issuing.cert_pem);
  sk_X509_push(chain, ca1.get());
  for (const auto& [issued, expect_ok] : {std::pair{&d, false}, std::pair{&second, true}}) {
    const Cert leaf = pem_cert(issued->body.value("clientcert", ""));
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, st, leaf.get(), chain);
    EXPECT_EQ(X509_verify_cert(ctx) == 1, expect_ok) << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    if (!expect_ok) {
      EXPECT_EQ(X509_STORE_CTX_get_error(ctx), X509_V_ERR_CERT_REVOKED);
    }
    X509_STORE_CTX_free(ctx);
  }
  sk_X509_free(chain);
  X509_STORE_free(st);
  ERR_clear_error();
}

TEST_F(CredServiceTest, crl_is_reused_until_the_revoked_set_changes)
{
  const Issued d = register_device();
  const std::string first = service().crl(std::nullopt);
  m_now += 60'000;
  EXPECT_EQ(service().crl(std::nullopt), first) << "an unchanged CRL was signed again";
  ASSERT_EQ(post(request_for("revoke", d)).status, 200);
  const std::string second = service().crl(std::nullopt);
  EXPECT_NE(second, first);
  EXPECT_GT(parse_crl(second).number, parse_crl(first).number);
  EXPECT_EQ(parse_crl(second).serials, (std::vector<std::string>{d.serial}));
}

TEST_F(CredServiceTest, crl_is_signed_again_after_a_day)
{
  const std::string first = service().crl(std::nullopt);
  m_now += k_day_ms;
  const std::string second = service().crl(std::nullopt);
  EXPECT_NE(second, first);
  EXPECT_GT(parse_crl(second).number, parse_crl(first).number);
}

TEST_F(CredServiceTest, crl_of_another_catype_is_1302)
{
  for (const char* catype : {"CA", "ca2", ""}) {
    try {
      service().crl(std::string(catype));
      ADD_FAILURE() << "crl(" << catype << ") did not throw";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.errorcode, 1302) << catype;
    }
  }
}

// ---- names of the server ----------------------------------------------------

TEST_F(CredServiceTest, create_refuses_a_cn_that_could_pose_as_the_server_with_1104)
{
  int n = 0;
  for (const char* certmode : {"client", "server"}) {
    for (const char* subject : {"/CN=127.0.0.1", "/CN=localhost", "/CN=LocalHost.", "/CN=::1", "/CN=*.com",
                                "/CN=*", "/O=x/OU=gw.example/CN=127.0.0.1"}) {
      try {
        post(with(create_request("dev" + std::to_string(++n), certmode), "clientsubject", subject));
        ADD_FAILURE() << certmode << " " << subject << " was issued";
      } catch (const ApiError& e) {
        EXPECT_EQ(e.errorcode, 1104) << certmode << " " << subject;
        EXPECT_NE(e.detail.find("clientsubject CN"), std::string::npos) << e.detail;
      }
    }
  }
  // Addresses compare as addresses, whatever the spelling (client CNs are free text).
  for (const char* subject : {"/CN=127.000.000.001", "/CN=127.1", "/CN=0:0:0:0:0:0:0:1"}) {
    EXPECT_EQ(errorcode(with(create_request("dev" + std::to_string(++n)), "clientsubject", subject)), 1104) << subject;
  }
  EXPECT_TRUE(store().find_device_by_name("dev1") == std::nullopt) << "a refused create registered its device";
}

TEST_F(CredServiceTest, create_refuses_the_names_of_the_servers_tls_identity)
{
  m_policy.reserved_names.push_back("clm.example.net");
  m_policy.reserved_names.push_back("192.0.2.7");
  rebuild();
  EXPECT_EQ(errorcode(with(create_request("dev01", "server"), "clientsubject", "/CN=CLM.example.net")), 1104);
  EXPECT_EQ(errorcode(with(create_request("dev02", "server"), "clientsubject", "/CN=192.0.2.7")), 1104);
  EXPECT_EQ(errorcode(with(create_request("dev03"), "clientsubject", "/CN=clm.example.net")), 1104);
  // Other loopback addresses and names that merely contain a server name are issued.
  EXPECT_EQ(post(with(create_request("dev04", "server"), "clientsubject", "/CN=127.0.0.2")).status, 201);
  EXPECT_EQ(post(with(create_request("dev05", "server"), "clientsubject", "/CN=gw.clm.example.net")).status, 201);
  EXPECT_EQ(post(with(create_request("dev06"), "clientsubject", "/O=localhost/CN=AP1")).status, 201);
}

}  // namespace
