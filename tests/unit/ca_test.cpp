// Tests of the clm-server certificate authority: the CA hierarchy, issued TLS
// certificates and chain verification, checked with OpenSSL's own parsers.
#include "ca.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/openssl.hpp>

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <array>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using clm::server::CaHierarchy;
using clm::server::certificate_chains_to;
using clm::certificate_not_after;
using clm::server::create_ca;
using clm::server::issue_tls_certificate;
using clm::server::Issuer;
using clm::server::KeyPair;
using clm::server::KeyType;
using clm::server::LeafKind;
using clm::server::LeafSpec;
using clm::server::RevokedSerial;

using namespace std::chrono_literals;

const std::vector<std::string> k_names = {"localhost", "127.0.0.1", "::1", "gw.example"};
constexpr int k_days = 90;

using Cert = clm::util::X509Ptr;
using Pkey = clm::util::EvpPkeyPtr;

// Return the certificate of PEM text, or null when it does not parse.
Cert parse_cert(const std::string& pem)
{
  clm::util::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Return the private key of PEM text, or null when it does not parse.
Pkey parse_key(const std::string& pem)
{
  clm::util::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// Return the commonName of the certificate's subject ("" when there is none).
std::string common_name(X509* cert)
{
  char buf[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf) < 0) {
    return "";
  }
  return buf;
}

// Return the organizationName of the certificate's subject.
std::string organization(X509* cert)
{
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_organizationName, buf, sizeof buf);
  return buf;
}

// Return whether the certificate's extension nid is present and critical.
bool is_critical(X509* cert, int nid)
{
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

// Return the subjectAltName entries as ("DNS" | "IP", text) pairs, in order.
std::vector<std::pair<std::string, std::string>> subject_alt_names(X509* cert)
{
  std::vector<std::pair<std::string, std::string>> out;
  clm::util::GeneralNamesPtr gens(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!gens) {
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(gens.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(gens.get(), i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
    const unsigned char* data = ASN1_STRING_get0_data(value);
    const int length = ASN1_STRING_length(value);
    if (type == GEN_DNS) {
      out.emplace_back("DNS", std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length)));
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      const int family = length == 4 ? AF_INET : AF_INET6;
      out.emplace_back("IP", inet_ntop(family, data, text, sizeof text) != nullptr ? text : "?");
    } else {
      out.emplace_back("other", "");
    }
  }
  return out;
}

// Return how far tp lies from now + days, in absolute value.
std::chrono::system_clock::duration distance_from(std::chrono::system_clock::time_point tp, int days)
{
  const auto expected = std::chrono::system_clock::now() + std::chrono::days{days};
  return tp > expected ? tp - expected : expected - tp;
}

void expect_key_type(X509* cert, const std::string& key_pem, KeyType type)
{
  const Pkey key = parse_key(key_pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert, key.get()), 1);
  EXPECT_EQ(key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << "not unencrypted PKCS#8";
  if (type == KeyType::rsa2048) {
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  } else {
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);
    char group[64] = {};
    ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, nullptr), 1);
    EXPECT_STREQ(group, "prime256v1");
  }
}

// Expect a SHA-256 signature made with a key of type type.
void expect_signature(X509* cert, KeyType type)
{
  EXPECT_EQ(X509_get_signature_nid(cert),
            type == KeyType::rsa2048 ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
}

// Return a CA hierarchy of type made once per process: RSA key generation is slow.
const CaHierarchy& shared_ca(KeyType type)
{
  static const CaHierarchy rsa = create_ca(KeyType::rsa2048);
  static const CaHierarchy ec = create_ca(KeyType::ec_p256);
  return type == KeyType::rsa2048 ? rsa : ec;
}

class CaTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(CaTest, RootIsSelfSignedCa)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const Cert root = parse_cert(ca.root.cert_pem);
  ASSERT_TRUE(root);

  EXPECT_EQ(X509_self_signed(root.get(), 1), 1);
  EXPECT_EQ(organization(root.get()), "clm");
  EXPECT_EQ(common_name(root.get()), "CA");
  EXPECT_EQ(X509_get_version(root.get()), X509_VERSION_3);
  EXPECT_NE(X509_check_ca(root.get()), 0);
  EXPECT_NE(X509_get_extension_flags(root.get()) & EXFLAG_CA, 0u);
  EXPECT_EQ(X509_get_pathlen(root.get()), -1);
  EXPECT_TRUE(is_critical(root.get(), NID_basic_constraints));
  EXPECT_TRUE(is_critical(root.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(root.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(root.get()), nullptr);
  expect_signature(root.get(), GetParam());
  expect_key_type(root.get(), ca.root.key_pem, GetParam());

  EXPECT_LT(distance_from(certificate_not_after(ca.root.cert_pem), 7305), 10min);
  EXPECT_TRUE(certificate_chains_to(ca.root.cert_pem, "", ca.root.cert_pem));
}

TEST_P(CaTest, IssuingCaIsSignedByRoot)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const Cert root = parse_cert(ca.root.cert_pem);
  const Cert ca1 = parse_cert(ca.issuing.cert_pem);
  ASSERT_TRUE(root);
  ASSERT_TRUE(ca1);

  EXPECT_EQ(X509_self_signed(ca1.get(), 0), 0);
  EXPECT_EQ(X509_check_issued(root.get(), ca1.get()), X509_V_OK);
  EXPECT_EQ(organization(ca1.get()), "clm");
  EXPECT_EQ(common_name(ca1.get()), "ca1");
  EXPECT_NE(X509_check_ca(ca1.get()), 0);
  EXPECT_EQ(X509_get_pathlen(ca1.get()), 0);
  EXPECT_TRUE(is_critical(ca1.get(), NID_basic_constraints));
  EXPECT_TRUE(is_critical(ca1.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(ca1.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(ca1.get());
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(root.get())), 0);
  EXPECT_NE(X509_get0_subject_key_id(ca1.get()), nullptr);
  expect_signature(ca1.get(), GetParam());
  expect_key_type(ca1.get(), ca.issuing.key_pem, GetParam());

  EXPECT_LT(distance_from(certificate_not_after(ca.issuing.cert_pem), 3653), 10min);
  EXPECT_TRUE(certificate_chains_to(ca.issuing.cert_pem, "", ca.root.cert_pem));
  // ca1 is no trust anchor: the root does not chain to it.
  EXPECT_FALSE(certificate_chains_to(ca.root.cert_pem, "", ca.issuing.cert_pem));
}

TEST_P(CaTest, TlsCertificateHasServerProfile)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const KeyPair tls = issue_tls_certificate(ca.issuing, k_names, GetParam(), k_days);
  const Cert cert = parse_cert(tls.cert_pem);
  const Cert ca1 = parse_cert(ca.issuing.cert_pem);
  ASSERT_TRUE(cert);
  ASSERT_TRUE(ca1);

  EXPECT_EQ(organization(cert.get()), "clm");
  EXPECT_EQ(common_name(cert.get()), "localhost");
  EXPECT_EQ(X509_check_issued(ca1.get(), cert.get()), X509_V_OK);
  const std::vector<std::pair<std::string, std::string>> expected_sans = {
      {"DNS", "localhost"}, {"IP", "127.0.0.1"}, {"IP", "::1"}, {"DNS", "gw.example"}};
  EXPECT_EQ(subject_alt_names(cert.get()), expected_sans);
  EXPECT_FALSE(is_critical(cert.get(), NID_subject_alt_name));

  EXPECT_NE(X509_get_extension_flags(cert.get()) & EXFLAG_XKUSAGE, 0u);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_extension_flags(cert.get()) & EXFLAG_CA, 0u);
  EXPECT_TRUE(is_critical(cert.get(), NID_basic_constraints));
  EXPECT_TRUE(is_critical(cert.get(), NID_key_usage));
  // RFC 5480: keyEncipherment only for RSA keys.
  const std::uint32_t expected_usage =
    GetParam() == KeyType::rsa2048 ? KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT : KU_DIGITAL_SIGNATURE;
  EXPECT_EQ(X509_get_key_usage(cert.get()), expected_usage);
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get());
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca1.get())), 0);
  expect_signature(cert.get(), GetParam());
  expect_key_type(cert.get(), tls.key_pem, GetParam());

  EXPECT_LT(distance_from(certificate_not_after(tls.cert_pem), k_days), 2min);
  // notBefore lies five minutes in the past, for clock skew.
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(cert.get()), nullptr), -1);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get())), 1);
  EXPECT_EQ(days, k_days);
  EXPECT_EQ(seconds, 5 * 60);
}

TEST_P(CaTest, TlsCertificateVerifiesOnlyThroughIssuingCa)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const KeyPair tls = issue_tls_certificate(ca.issuing, k_names, GetParam(), k_days);

  EXPECT_TRUE(certificate_chains_to(tls.cert_pem, ca.issuing.cert_pem, ca.root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(tls.cert_pem, "", ca.root.cert_pem));
  // Extra certificates in the chain do no harm.
  EXPECT_TRUE(certificate_chains_to(tls.cert_pem, ca.root.cert_pem + ca.issuing.cert_pem, ca.root.cert_pem));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_P(CaTest, CertificateFromAnotherCaDoesNotVerify)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const CaHierarchy other = create_ca(GetParam());
  const KeyPair tls = issue_tls_certificate(ca.issuing, k_names, GetParam(), k_days);
  const KeyPair foreign = issue_tls_certificate(other.issuing, k_names, GetParam(), k_days);

  EXPECT_FALSE(certificate_chains_to(foreign.cert_pem, other.issuing.cert_pem, ca.root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(foreign.cert_pem, ca.issuing.cert_pem, ca.root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(tls.cert_pem, other.issuing.cert_pem, other.root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(other.issuing.cert_pem, "", ca.root.cert_pem));
  // Same names, same structure: "CA" of another hierarchy is still another CA.
  EXPECT_TRUE(certificate_chains_to(foreign.cert_pem, other.issuing.cert_pem, other.root.cert_pem));
  EXPECT_EQ(ERR_peek_error(), 0u);

  const Cert cert = parse_cert(tls.cert_pem);
  const Pkey foreign_key = parse_key(foreign.key_pem);
  ASSERT_TRUE(cert);
  ASSERT_TRUE(foreign_key);
  ERR_set_mark();
  EXPECT_EQ(X509_check_private_key(cert.get(), foreign_key.get()), 0);
  ERR_pop_to_mark();
}

TEST_P(CaTest, SerialsDiffer)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const KeyPair a = issue_tls_certificate(ca.issuing, k_names, GetParam(), k_days);
  const KeyPair b = issue_tls_certificate(ca.issuing, k_names, GetParam(), k_days);
  const Cert cert_a = parse_cert(a.cert_pem);
  const Cert cert_b = parse_cert(b.cert_pem);
  ASSERT_TRUE(cert_a);
  ASSERT_TRUE(cert_b);

  const ASN1_INTEGER* serial_a = X509_get0_serialNumber(cert_a.get());
  const ASN1_INTEGER* serial_b = X509_get0_serialNumber(cert_b.get());
  EXPECT_NE(ASN1_INTEGER_cmp(serial_a, serial_b), 0);
  for (const ASN1_INTEGER* serial : {serial_a, serial_b}) {
    EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER) << "serial must be positive";
    EXPECT_LE(ASN1_STRING_length(serial), 16);
    EXPECT_GE(ASN1_STRING_length(serial), 8) << "serial looks too short to be random";
  }
  EXPECT_NE(a.key_pem, b.key_pem);
}

// Return the test name suffix of a key type.
std::string key_type_name(const ::testing::TestParamInfo<KeyType>& param)
{
  return param.param == KeyType::rsa2048 ? "rsa2048" : "ec_p256";
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, CaTest, ::testing::Values(KeyType::rsa2048, KeyType::ec_p256), key_type_name);

TEST(Ca, LeafKeyTypeIsIndependentOfCaKeyType)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const KeyPair tls = issue_tls_certificate(ca.issuing, {"gw.example"}, KeyType::rsa2048, 30);
  const Cert cert = parse_cert(tls.cert_pem);
  ASSERT_TRUE(cert);
  expect_key_type(cert.get(), tls.key_pem, KeyType::rsa2048);
  expect_signature(cert.get(), KeyType::ec_p256);
  EXPECT_TRUE(certificate_chains_to(tls.cert_pem, ca.issuing.cert_pem, ca.root.cert_pem));
}

TEST(Ca, NameTooLongForCommonNameStaysInSubjectAltName)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const std::string long_name = std::string(70, 'a') + ".example";
  const KeyPair tls = issue_tls_certificate(ca.issuing, {long_name}, KeyType::ec_p256, 30);
  const Cert cert = parse_cert(tls.cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "");
  EXPECT_EQ(organization(cert.get()), "clm");
  const std::vector<std::pair<std::string, std::string>> expected = {{"DNS", long_name}};
  EXPECT_EQ(subject_alt_names(cert.get()), expected);
}

TEST(Ca, NameCannotInjectSubjectAltNames)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const std::string name = "a.example,IP:10.0.0.1";
  const KeyPair tls = issue_tls_certificate(ca.issuing, {name}, KeyType::ec_p256, 30);
  const Cert cert = parse_cert(tls.cert_pem);
  ASSERT_TRUE(cert);
  const std::vector<std::pair<std::string, std::string>> expected = {{"DNS", name}};
  EXPECT_EQ(subject_alt_names(cert.get()), expected);
}

// Expect fn to throw clm::Error(internal) whose message holds part, leaving no OpenSSL error behind.
template <typename Fn>
void expect_internal_error(Fn fn, const std::string& part)
{
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const clm::Error& e) {
    EXPECT_EQ(e.code(), clm::ExitCode::internal);
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Ca, ErrorsThrowInternalWithOpenSslReason)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const CaHierarchy other = create_ca(KeyType::ec_p256);

  expect_internal_error([&] { issue_tls_certificate(ca.issuing, {}, KeyType::ec_p256, 30); }, "no names");
  expect_internal_error([&] { issue_tls_certificate(ca.issuing, {"a.example"}, KeyType::ec_p256, 0); },
                        "validity");
  expect_internal_error([&] { issue_tls_certificate(ca.issuing, {"bad name"}, KeyType::ec_p256, 30); },
                        "bad subjectAltName");
  expect_internal_error([&] { issue_tls_certificate(ca.issuing, {""}, KeyType::ec_p256, 30); },
                        "bad subjectAltName");
  const KeyPair mismatched{.cert_pem = ca.issuing.cert_pem, .key_pem = other.issuing.key_pem};
  expect_internal_error([&] { issue_tls_certificate(mismatched, {"a.example"}, KeyType::ec_p256, 30); },
                        "does not match");
  const KeyPair garbage{.cert_pem = "not a certificate", .key_pem = ca.issuing.key_pem};
  expect_internal_error([&] { issue_tls_certificate(garbage, {"a.example"}, KeyType::ec_p256, 30); },
                        "no start line");
  expect_internal_error([&] { certificate_chains_to("garbage", "", ca.root.cert_pem); }, "no start line");
  expect_internal_error([&] { certificate_chains_to(ca.issuing.cert_pem, "", ""); }, "root");
  const std::string truncated = ca.issuing.cert_pem.substr(0, ca.issuing.cert_pem.size() / 2);
  expect_internal_error([&] { certificate_chains_to(ca.issuing.cert_pem, truncated, ca.root.cert_pem); },
                        "chain");
}

// ---- leaf certificates and CRLs (certificate API) ------------------------------

Cert der_cert(const std::string& der)
{
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return Cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string serial_hex(X509* cert)
{
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string one_line_subject(X509* cert)
{
  char* s = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  std::string out = s;
  OPENSSL_free(s);
  return out;
}

LeafSpec leaf_spec(LeafKind kind, const std::string& cn = "dev.example")
{
  LeafSpec spec;
  spec.subject = {{"C", "JP"}, {"O", "NEC"}, {"CN", cn}};
  spec.kind = kind;
  spec.serial_hex = clm::server::random_leaf_serial();
  spec.now = std::chrono::system_clock::now();
  spec.lifetime = std::chrono::hours(24 * 30);
  return spec;
}

std::int64_t validity_seconds(X509* cert)
{
  int days = 0;
  int secs = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)), 1);
  return static_cast<std::int64_t>(days) * 86400 + secs;
}

TEST(Leaf, ClientCertificateHasTheClientProfile)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const Issuer issuer(ca.issuing);
  const clm::server::PrivateKey key = clm::server::PrivateKey::generate(KeyType::ec_p256);
  const std::string& key_pem = key.pem();
  const LeafSpec spec = leaf_spec(LeafKind::client);
  const Cert cert = der_cert(issuer.issue(key, spec));
  ASSERT_TRUE(cert);
  EXPECT_EQ(one_line_subject(cert.get()), "/C=JP/O=NEC/CN=dev.example");
  EXPECT_EQ(serial_hex(cert.get()), spec.serial_hex);
  EXPECT_EQ(validity_seconds(cert.get()), 30 * 86400 + 300);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_TRUE(is_critical(cert.get(), NID_basic_constraints));
  EXPECT_TRUE(is_critical(cert.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_TRUE(subject_alt_names(cert.get()).empty());
  const Cert ca1 = parse_cert(ca.issuing.cert_pem);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert.get()), X509_get0_subject_key_id(ca1.get())), 0);
  EXPECT_EQ(X509_check_private_key(cert.get(), parse_key(key_pem).get()), 1);
  expect_signature(cert.get(), KeyType::ec_p256);
  EXPECT_TRUE(certificate_chains_to(clm::server::der_to_pem(issuer.issue(key, leaf_spec(LeafKind::client))),
                                    ca.issuing.cert_pem, ca.root.cert_pem));
}

TEST(Leaf, ServerCertificateNamesItsCommonName)
{
  const Issuer issuer(shared_ca(KeyType::ec_p256).issuing);
  const clm::server::PrivateKey key = clm::server::PrivateKey::generate(KeyType::ec_p256);
  const Cert dns = der_cert(issuer.issue(key, leaf_spec(LeafKind::server, "gw.example")));
  EXPECT_EQ(X509_get_extended_key_usage(dns.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(subject_alt_names(dns.get()), (std::vector<std::pair<std::string, std::string>>{{"DNS", "gw.example"}}));
  const Cert ip = der_cert(issuer.issue(key, leaf_spec(LeafKind::server, "2001:db8::7")));
  EXPECT_EQ(subject_alt_names(ip.get()), (std::vector<std::pair<std::string, std::string>>{{"IP", "2001:db8::7"}}));
}

TEST(Leaf, RsaLeafOfAnRsaCaAllowsKeyEncipherment)
{
  const Issuer issuer(shared_ca(KeyType::rsa2048).issuing);
  const clm::server::PrivateKey key = clm::server::PrivateKey::generate(KeyType::rsa2048);
  const std::string& key_pem = key.pem();
  const Cert cert = der_cert(issuer.issue(key, leaf_spec(LeafKind::client)));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  expect_signature(cert.get(), KeyType::rsa2048);
  expect_key_type(cert.get(), key_pem, KeyType::rsa2048);
}

TEST(Leaf, ValidityStartsFromTheGivenTime)
{
  const Issuer issuer(shared_ca(KeyType::ec_p256).issuing);
  LeafSpec spec = leaf_spec(LeafKind::client);
  spec.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  spec.lifetime = std::chrono::seconds(90 * 60);
  const Cert cert = der_cert(issuer.issue(clm::server::PrivateKey::generate(KeyType::ec_p256), spec));
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), 1'700'000'000 - 300), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()), 1'700'000'000 + 5400), 0);
}

TEST(Leaf, LongLifetimeDoesNotOverflow)
{
  const Issuer issuer(shared_ca(KeyType::ec_p256).issuing);
  LeafSpec spec = leaf_spec(LeafKind::client);
  spec.lifetime = std::chrono::hours(24LL * 365 * 1000);
  const Cert cert = der_cert(issuer.issue(clm::server::PrivateKey::generate(KeyType::ec_p256), spec));
  ASSERT_TRUE(cert);
  EXPECT_GT(validity_seconds(cert.get()), 999LL * 365 * 86400);
}

TEST(Leaf, IssueRefusesBadInput)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const Issuer issuer(ca.issuing);
  const clm::server::PrivateKey key = clm::server::PrivateKey::generate(KeyType::ec_p256);
  LeafSpec no_cn = leaf_spec(LeafKind::client);
  no_cn.subject = {{"O", "NEC"}};
  expect_internal_error([&] { issuer.issue(key, no_cn); }, "no CN");
  LeafSpec no_time = leaf_spec(LeafKind::client);
  no_time.lifetime = std::chrono::seconds(0);
  expect_internal_error([&] { issuer.issue(key, no_time); }, "lifetime");
  LeafSpec bad_serial = leaf_spec(LeafKind::client);
  bad_serial.serial_hex = "XYZ";
  expect_internal_error([&] { issuer.issue(key, bad_serial); }, "serial");
  const KeyPair mismatched{.cert_pem = ca.issuing.cert_pem, .key_pem = ca.root.key_pem};
  expect_internal_error([&] { Issuer bad(mismatched); }, "does not match");
}

TEST(PrivateKey, HoldsTheKeyItsPemSays)
{
  for (const KeyType type : {KeyType::ec_p256, KeyType::rsa2048}) {
    const clm::server::PrivateKey key = clm::server::PrivateKey::generate(type);
    EXPECT_EQ(key.type(), type);
    EXPECT_EQ(key.pem().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << "not unencrypted PKCS#8";
    EXPECT_EQ(EVP_PKEY_eq(key.native(), parse_key(key.pem()).get()), 1);
    EXPECT_NE(key.pem(), clm::server::PrivateKey::generate(type).pem());
  }
}

TEST(Leaf, RandomSerialsAre16HexDigitsAndDiffer)
{
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string s = clm::server::random_leaf_serial();
    ASSERT_EQ(s.size(), 16u) << s;
    ASSERT_EQ(s.find_first_not_of("0123456789ABCDEF"), std::string::npos) << s;
    ASSERT_NE(s.front(), '0') << s;
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Leaf, KeyTypeOfReadsTheAlgorithm)
{
  EXPECT_EQ(clm::server::key_type_of(shared_ca(KeyType::ec_p256).root.key_pem), KeyType::ec_p256);
  EXPECT_EQ(clm::server::key_type_of(shared_ca(KeyType::rsa2048).root.key_pem), KeyType::rsa2048);
}

TEST(Leaf, EncryptedKeyOpensOnlyWithThePassphrase)
{
  const std::string key_pem = clm::server::PrivateKey::generate(KeyType::ec_p256).pem();
  const std::string encrypted = clm::server::encrypt_private_key(key_pem, "pass-phrase");
  EXPECT_EQ(encrypted.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0), 0u);
  clm::util::BioPtr bio(BIO_new_mem_buf(encrypted.data(), static_cast<int>(encrypted.size())));
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("pass-phrase")));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), parse_key(key_pem).get()), 1);
  EXPECT_FALSE(parse_key(encrypted)) << "opened without the passphrase";
  ERR_clear_error();
}

TEST(Leaf, Pkcs12HoldsKeyAndCertificateWithAes256)
{
  const Issuer issuer(shared_ca(KeyType::ec_p256).issuing);
  const clm::server::PrivateKey leaf_key = clm::server::PrivateKey::generate(KeyType::ec_p256);
  const std::string& key_pem = leaf_key.pem();
  const std::string der = issuer.issue(leaf_key, leaf_spec(LeafKind::client));
  const std::string p12_der = clm::server::make_pkcs12(der, key_pem, "p12-pass", "dev.example");
  const auto* p = reinterpret_cast<const unsigned char*>(p12_der.data());
  const clm::util::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(p12_der.size())));
  ASSERT_TRUE(p12);
  EXPECT_EQ(PKCS12_verify_mac(p12.get(), "p12-pass", -1), 1);
  EXPECT_EQ(PKCS12_verify_mac(p12.get(), "wrong", -1), 0);
  // The key bag is shrouded with PBES2 + AES-256-CBC (OpenSSL 3's default).
  STACK_OF(PKCS7)* safes = PKCS12_unpack_authsafes(p12.get());
  ASSERT_NE(safes, nullptr);
  bool found_key_bag = false;
  for (int i = 0; i < sk_PKCS7_num(safes); ++i) {
    PKCS7* safe = sk_PKCS7_value(safes, i);
    if (OBJ_obj2nid(safe->type) != NID_pkcs7_data) {
      continue;
    }
    STACK_OF(PKCS12_SAFEBAG)* bags = PKCS12_unpack_p7data(safe);
    for (int j = 0; bags && j < sk_PKCS12_SAFEBAG_num(bags); ++j) {
      const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, j);
      if (PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag) {
        const X509_SIG* sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
        const X509_ALGOR* alg = nullptr;
        X509_SIG_get0(sig, &alg, nullptr);
        const ASN1_OBJECT* oid = nullptr;
        X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
        EXPECT_EQ(OBJ_obj2nid(oid), NID_pbes2);
        found_key_bag = true;
      }
    }
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  }
  sk_PKCS7_pop_free(safes, PKCS7_free);
  EXPECT_TRUE(found_key_bag);
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ASSERT_EQ(PKCS12_parse(p12.get(), "p12-pass", &key, &cert, nullptr), 1);
  const Pkey key_owner(key);
  const Cert cert_owner(cert);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
}

// The P-256 key and public key are written without OpenSSL's encoders: byte for byte
// what OpenSSL writes for them.
TEST(PrivateKey, P256KeyAndPublicKeyAreWhatOpenSslWrites)
{
  const Issuer issuer(shared_ca(KeyType::ec_p256).issuing);
  for (int i = 0; i < 20; ++i) {
    const clm::server::PrivateKey key = clm::server::PrivateKey::generate(KeyType::ec_p256);
    clm::util::BioPtr bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), key.native(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    EXPECT_EQ(key.pem(), std::string(data, static_cast<std::size_t>(n)));
    const Cert cert = der_cert(issuer.issue(key, leaf_spec(LeafKind::client)));
    ASSERT_TRUE(cert);
    const auto public_key = clm::util::to_der(i2d_X509_PUBKEY, X509_get_X509_PUBKEY(cert.get()));
    ASSERT_TRUE(public_key);
    EXPECT_EQ(public_key, clm::util::to_der(i2d_PUBKEY, key.native()));
    EXPECT_EQ(X509_check_private_key(cert.get(), key.native()), 1);
  }
}

// One Issuer shared by two threads signing at once (as the server's workers do):
// every certificate verifies against the CA, and so does a CRL signed meanwhile.
class ConcurrentIssuer : public ::testing::TestWithParam<KeyType> {};

TEST_P(ConcurrentIssuer, TwoThreadsSignAtOnce)
{
  const CaHierarchy& ca = shared_ca(GetParam());
  const Issuer issuer(ca.issuing);
  constexpr int k_per_thread = 40;
  std::array<std::vector<std::string>, 2> ders;
  std::array<std::string, 2> errors;
  std::array<std::string, 2> crls;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < ders.size(); ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < k_per_thread; ++i) {
          ders[t].push_back(
            issuer.issue(clm::server::PrivateKey::generate(KeyType::ec_p256), leaf_spec(LeafKind::client)));
          if (i == k_per_thread / 2) {
            const auto now = std::chrono::system_clock::now();
            crls[t] = issuer.crl({}, now, now + std::chrono::hours(1), static_cast<std::int64_t>(t));
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  const Cert ca1 = parse_cert(ca.issuing.cert_pem);
  std::set<std::string> serials;
  for (std::size_t t = 0; t < ders.size(); ++t) {
    EXPECT_EQ(errors[t], "");
    ASSERT_EQ(ders[t].size(), static_cast<std::size_t>(k_per_thread));
    for (const std::string& der : ders[t]) {
      const Cert cert = der_cert(der);
      ASSERT_TRUE(cert);
      EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(ca1.get())), 1);
      EXPECT_TRUE(certificate_chains_to(clm::server::der_to_pem(der), ca.issuing.cert_pem, ca.root.cert_pem));
      serials.insert(serial_hex(cert.get()));
    }
    clm::util::BioPtr bio(BIO_new_mem_buf(crls[t].data(), static_cast<int>(crls[t].size())));
    clm::util::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(crl);
    EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca1.get())), 1);
  }
  EXPECT_EQ(serials.size(), 2u * k_per_thread);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, ConcurrentIssuer, ::testing::Values(KeyType::rsa2048, KeyType::ec_p256),
                         key_type_name);

TEST(Crl, ListsTheRevokedSerialsWithTheirDates)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const Issuer issuer(ca.issuing);
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  const std::string pem = issuer.crl({{"0A1B2C3D4E5F6071", at}, {"7F00000000000001", at + std::chrono::hours(1)}},
                                     at + std::chrono::hours(2), at + std::chrono::hours(2 + 24 * 7), 42);
  clm::util::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  clm::util::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  const Cert ca1 = parse_cert(ca.issuing.cert_pem);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca1.get())), 1);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl.get()), 1'700'000'000 + 7200), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl.get()), 1'700'000'000 + 7200 + 7 * 86400), 0);
  const clm::util::Asn1IntegerPtr number(
    static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_TRUE(number);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 42);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 2);
  std::set<std::pair<long long, time_t>> entries;
  for (int i = 0; i < 2; ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    std::int64_t serial = 0;
    ASSERT_EQ(ASN1_INTEGER_get_int64(&serial, X509_REVOKED_get0_serialNumber(r)), 1);
    std::tm tm{};
    ASSERT_EQ(ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(r), &tm), 1);
    entries.emplace(serial, timegm(&tm));
  }
  EXPECT_EQ(entries, (std::set<std::pair<long long, time_t>>{{0x0A1B2C3D4E5F6071LL, 1'700'000'000},
                                                              {0x7F00000000000001LL, 1'700'000'000 + 3600}}));
}

TEST(Crl, EmptyCrlIsValid)
{
  const Issuer issuer(shared_ca(KeyType::rsa2048).issuing);
  const auto now = std::chrono::system_clock::now();
  const std::string pem = issuer.crl({}, now, now + std::chrono::hours(1), 1);
  clm::util::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  clm::util::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(crl);
  // No revokedCertificates field at all (sk_num of null is -1): RFC 5280 omits it when empty.
  EXPECT_LE(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 0);
  EXPECT_EQ(X509_CRL_get_signature_nid(crl.get()), NID_sha256WithRSAEncryption);
}

// ---- the TLS root and the names in certificates ----

// Return the TLS root of type made once per process.
const KeyPair& shared_tls_root(KeyType type)
{
  static const KeyPair rsa = clm::server::create_tls_root(KeyType::rsa2048);
  static const KeyPair ec = clm::server::create_tls_root(KeyType::ec_p256);
  return type == KeyType::rsa2048 ? rsa : ec;
}

TEST_P(CaTest, TlsRootIsASelfSignedCaForTlsServersOnly)
{
  const KeyPair& root = shared_tls_root(GetParam());
  const Cert cert = parse_cert(root.cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(one_line_subject(cert.get()), "/O=clm/CN=clm-server TLS root");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_TRUE(is_critical(cert.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_pathlen(cert.get()), 0);
  EXPECT_TRUE(is_critical(cert.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_LT(distance_from(certificate_not_after(root.cert_pem), 3653), 2min);
  expect_key_type(cert.get(), root.key_pem, GetParam());
  expect_signature(cert.get(), GetParam());
  EXPECT_TRUE(certificate_chains_to(root.cert_pem, "", root.cert_pem));
}

TEST_P(CaTest, TlsRootAndDeviceCaDoNotVouchForEachOthersCertificates)
{
  const KeyPair& root = shared_tls_root(GetParam());
  const CaHierarchy& ca = shared_ca(GetParam());
  const KeyPair tls = issue_tls_certificate(root, k_names, KeyType::ec_p256, k_days);
  EXPECT_TRUE(certificate_chains_to(tls.cert_pem, "", root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(tls.cert_pem, ca.issuing.cert_pem, ca.root.cert_pem));
  // A device's server certificate for the server's own address, sent with its chain.
  const Issuer issuer(ca.issuing);
  const std::string device = clm::server::der_to_pem(
    issuer.issue(clm::server::PrivateKey::generate(KeyType::ec_p256), leaf_spec(LeafKind::server, "127.0.0.1")));
  EXPECT_TRUE(certificate_chains_to(device, ca.issuing.cert_pem, ca.root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(device, ca.issuing.cert_pem + ca.root.cert_pem, root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(ca.issuing.cert_pem, "", root.cert_pem));
}

TEST(TlsNames, PemCertificatesSplitAChainInOrder)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const KeyPair tls = issue_tls_certificate(ca.issuing, k_names, KeyType::ec_p256, k_days);
  EXPECT_EQ(clm::server::pem_certificates(tls.cert_pem + ca.issuing.cert_pem),
            (std::vector<std::string>{tls.cert_pem, ca.issuing.cert_pem}));
  EXPECT_TRUE(clm::server::pem_certificates("").empty());
  EXPECT_TRUE(clm::server::pem_certificates(tls.key_pem).empty()) << "a key holds no certificate";
  std::string broken = tls.cert_pem;
  broken.replace(broken.find('\n') + 10, 8, "!!!!!!!!");
  expect_internal_error([&] { clm::server::pem_certificates(broken); }, "pem_certificates");
}

TEST(TlsNames, KeyMatchesOnlyItsCertificate)
{
  const CaHierarchy& ca = shared_ca(KeyType::ec_p256);
  const KeyPair tls = issue_tls_certificate(ca.issuing, k_names, KeyType::ec_p256, k_days);
  EXPECT_TRUE(clm::server::key_matches_certificate(tls.cert_pem, tls.key_pem));
  EXPECT_FALSE(clm::server::key_matches_certificate(tls.cert_pem, ca.issuing.key_pem));
  EXPECT_FALSE(clm::server::key_matches_certificate(tls.cert_pem, shared_ca(KeyType::rsa2048).root.key_pem));
  expect_internal_error([&] { clm::server::key_matches_certificate(tls.cert_pem, "not a key"); }, "key");
}

TEST(TlsNames, CanonicalHostNamesCompareAddressesAsAddresses)
{
  using clm::server::canonical_host_name;
  for (const char* v4 : {"127.0.0.1", "127.000.000.001", "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433",
                         "::ffff:127.0.0.1", "[::ffff:7f00:1]"}) {
    EXPECT_EQ(canonical_host_name(v4), "127.0.0.1") << v4;
  }
  for (const char* v6 : {"::1", "0:0:0:0:0:0:0:1", "[::1]", "0000::0001", "::1%lo"}) {
    EXPECT_EQ(canonical_host_name(v6), "::1") << v6;
  }
  EXPECT_EQ(canonical_host_name("2001:DB8::7"), "2001:db8::7");
  for (const char* local : {"localhost", "LocalHost", "localhost.", "LOCALHOST."}) {
    EXPECT_EQ(canonical_host_name(local), "localhost") << local;
  }
  EXPECT_EQ(canonical_host_name("Gw.Example.COM"), "gw.example.com");
  EXPECT_NE(canonical_host_name("127.0.0.2"), canonical_host_name("127.0.0.1"));
  EXPECT_NE(canonical_host_name("localhost2"), canonical_host_name("localhost"));
  EXPECT_EQ(canonical_host_name(""), "");
}

}  // namespace
