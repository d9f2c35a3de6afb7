// Tests of the clm-server certificate authority: the CA hierarchy, issued TLS
// certificates and chain verification, checked with OpenSSL's own parsers.
#include "ca.hpp"

#include <clm/error.hpp>

#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using clm::server::CaHierarchy;
using clm::server::certificate_chains_to;
using clm::server::certificate_not_after;
using clm::server::create_ca;
using clm::server::issue_tls_certificate;
using clm::server::KeyPair;
using clm::server::KeyType;

using namespace std::chrono_literals;

const std::vector<std::string> k_names = {"localhost", "127.0.0.1", "::1", "gw.example"};
constexpr int k_days = 90;

struct CertFree {
  void operator()(X509* p) const { X509_free(p); }
};
struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};

using Cert = std::unique_ptr<X509, CertFree>;
using Pkey = std::unique_ptr<EVP_PKEY, KeyFree>;

// Return the certificate of PEM text, or null when it does not parse.
Cert parse_cert(const std::string& pem)
{
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Return the private key of PEM text, or null when it does not parse.
Pkey parse_key(const std::string& pem)
{
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
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
  std::unique_ptr<GENERAL_NAMES, NamesFree> gens(
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
  expect_internal_error([&] { certificate_not_after("garbage"); }, "certificate_not_after");
  expect_internal_error([&] { certificate_chains_to("garbage", "", ca.root.cert_pem); }, "no start line");
  expect_internal_error([&] { certificate_chains_to(ca.issuing.cert_pem, "", ""); }, "root");
  const std::string truncated = ca.issuing.cert_pem.substr(0, ca.issuing.cert_pem.size() / 2);
  expect_internal_error([&] { certificate_chains_to(ca.issuing.cert_pem, truncated, ca.root.cert_pem); },
                        "chain");
}

}  // namespace
