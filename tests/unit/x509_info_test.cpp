// Tests of the X.509 facts module: what inspect_certificate reads out of PEM, DER and
// PKCS#12 files, and the facts, notAfter and names the server reads out of PEM text.
// The certificates come from the server's CA, with subjects, serials and times chosen here.
#include "ca.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/util/hex.hpp>
#include <clm/x509_info.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace {

using clm::ExitCode;
using clm::test::error_of;
using clm::server::Issuer;
using clm::server::KeyPair;
using clm::server::KeyType;
using clm::server::LeafKind;
using clm::server::LeafSpec;
using clm::server::PrivateKey;
using namespace std::chrono;

const clm::server::CaHierarchy& test_ca()
{
  static const auto ca = clm::server::create_ca(KeyType::ec_p256);
  return ca;
}

// 2030-01-02 03:00:00 UTC: the certificates' notBefore is five minutes earlier.
const system_clock::time_point k_issued = sys_days{year{2030} / 1 / 2} + hours{3};

LeafSpec spec_with(std::vector<clm::SubjectEntry> subject, LeafKind kind = LeafKind::client)
{
  LeafSpec spec;
  spec.subject = std::move(subject);
  spec.kind = kind;
  spec.serial_hex = "7A1B2C3D4E5F6071";
  spec.now = k_issued;
  spec.lifetime = hours{24 * 30};
  return spec;
}

// Return the DER of a leaf issued by the test CA for a new key of type.
std::string issue_der(const LeafSpec& spec, KeyType type = KeyType::ec_p256)
{
  return Issuer(test_ca().issuing).issue(PrivateKey::generate(type), spec);
}

TEST(InspectCertificate, ReadsEveryFactOfAPemCertificate)
{
  const std::string der = issue_der(spec_with({{"O", "NEC"}, {"CN", "gw01"}}));
  const auto info = clm::inspect_certificate(clm::server::der_to_pem(der), "c.pem");
  EXPECT_EQ(info.subject, "/O=NEC/CN=gw01");
  EXPECT_EQ(info.issuer, "/O=clm/CN=ca1");
  EXPECT_EQ(info.serial, "7A1B2C3D4E5F6071");
  EXPECT_EQ(info.not_before, "2030-01-02T02:55:00Z");
  EXPECT_EQ(info.not_after, "2030-02-01T03:00:00Z");
  EXPECT_EQ(info.not_after_time, k_issued + hours{24 * 30});
  EXPECT_EQ(info.sha256_fingerprint, clm::util::hex_encode_upper(clm::sha256(der), ":"));
  EXPECT_EQ(info.key_type, "EC-P-256");
}

// The serial is printed in whole bytes, as `openssl x509 -serial` prints it: a serial
// whose first byte is below 0x10 keeps its leading 0, in both readers.
TEST(InspectCertificate, SerialKeepsTheLeadingZeroOfItsFirstByte)
{
  LeafSpec spec = spec_with({{"CN", "gw01"}});
  spec.serial_hex = "0ABCDE";
  const std::string pem = clm::server::der_to_pem(issue_der(spec));
  EXPECT_EQ(clm::inspect_certificate(pem, "c.pem").serial, "0ABCDE");
  EXPECT_EQ(clm::certificate_facts(pem).serial_hex, "0ABCDE");
}

TEST(InspectCertificate, ReadsDerAsPem)
{
  const std::string der = issue_der(spec_with({{"CN", "gw02"}}), KeyType::rsa2048);
  const auto info = clm::inspect_certificate(der, "c.der");
  EXPECT_EQ(info.subject, "/CN=gw02");
  EXPECT_EQ(info.key_type, "RSA-2048");
  EXPECT_EQ(info.sha256_fingerprint.size(), 32u * 3 - 1);
}

TEST(InspectCertificate, OpensPkcs12WithItsPassphraseOnly)
{
  const PrivateKey key = PrivateKey::generate(KeyType::ec_p256);
  const std::string der = Issuer(test_ca().issuing).issue(key, spec_with({{"CN", "gw03"}}));
  const std::string p12 = clm::server::make_pkcs12(der, key.pem(), "secret", "gw03");
  EXPECT_EQ(clm::inspect_certificate(p12, "c.p12", std::string("secret")).subject, "/CN=gw03");

  const auto missing = error_of([&] { clm::inspect_certificate(p12, "c.p12"); });
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->code(), ExitCode::missing_parameter);
  EXPECT_STREQ(missing->what(), "c.p12: a PKCS#12 file needs --passphrase-file");

  const auto wrong = error_of([&] { clm::inspect_certificate(p12, "c.p12", std::string("other")); });
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->code(), ExitCode::bad_file_format);
  EXPECT_STREQ(wrong->what(), "c.p12: cannot open the PKCS#12 file (wrong passphrase?)");
}

TEST(InspectCertificate, NoCertificateIsBadFileFormat)
{
  for (const std::string bytes : {"", "garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}) {
    const auto e = error_of([&] { clm::inspect_certificate(bytes, "x.pem"); });
    ASSERT_TRUE(e) << bytes;
    EXPECT_EQ(e->code(), ExitCode::bad_file_format);
    EXPECT_STREQ(e->what(), "x.pem: not a PEM, DER or PKCS#12 certificate");
  }
}

TEST(InspectCertificate, LongSubjectIsReadWhole)
{
  // Twenty OUs of 60 characters: longer than the 1024-byte buffer the subject once went through.
  std::vector<clm::SubjectEntry> subject;
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    const std::string ou = std::string(58, 'u') + std::to_string(10 + i);
    subject.push_back({"OU", ou});
    expected += "/OU=" + ou;
  }
  subject.push_back({"CN", "gw04"});
  expected += "/CN=gw04";
  const auto info = clm::inspect_certificate(issue_der(spec_with(subject)), "long.der");
  EXPECT_EQ(info.subject, expected);
  EXPECT_GT(info.subject.size(), 1024u);
}

TEST(CertificateJson, DaysLeftCountsWholeDaysAndGoesNegative)
{
  const auto info = clm::inspect_certificate(issue_der(spec_with({{"CN", "gw05"}})), "c.der");
  const auto j = clm::certificate_json(info, info.not_after_time - hours{24 * 10} - minutes{1});
  EXPECT_EQ(j["days_left"], 10);
  EXPECT_EQ(j["subject"], "/CN=gw05");
  EXPECT_EQ(j["serial"], "7A1B2C3D4E5F6071");
  EXPECT_EQ(j["key_type"], "EC-P-256");
  EXPECT_EQ(clm::certificate_json(info, info.not_after_time + seconds{1})["days_left"], -1);
}

TEST(CertificateFacts, DescribeTheCertificate)
{
  const std::string der = issue_der(spec_with({{"O", "NEC"}, {"CN", "gw06"}}));
  const auto facts = clm::certificate_facts(clm::server::der_to_pem(der));
  EXPECT_EQ(facts.der, der);
  EXPECT_EQ(facts.serial_hex, "7A1B2C3D4E5F6071");
  EXPECT_EQ(facts.subject, "/O=NEC/CN=gw06");
  EXPECT_EQ(facts.not_after, k_issued + hours{24 * 30});
  EXPECT_EQ(clm::certificate_facts(test_ca().issuing.cert_pem).subject, "/O=clm/CN=ca1");
}

TEST(CertificateFacts, NotAfterIsTheFactsNotAfter)
{
  const std::string pem = test_ca().root.cert_pem;
  EXPECT_EQ(clm::certificate_not_after(pem), clm::certificate_facts(pem).not_after);
  EXPECT_EQ(clm::certificate_not_after(pem), clm::inspect_certificate(pem, "root").not_after_time);
}

TEST(CertificateFacts, GarbageIsInternalErrorNamingTheReader)
{
  for (const auto& [reader, name] :
       std::vector<std::pair<std::function<void()>, std::string>>{
         {[] { clm::certificate_facts("garbage"); }, "certificate_facts"},
         {[] { clm::certificate_not_after("garbage"); }, "certificate_not_after"},
         {[] { clm::certificate_names("garbage"); }, "certificate_names"}}) {
    const auto e = error_of(reader);
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->code(), ExitCode::internal) << name;
    EXPECT_NE(std::string(e->what()).find(name + ": cannot parse PEM certificate"), std::string::npos) << e->what();
  }
}

TEST(CertificateNames, AreTheSubjectAltNames)
{
  const std::vector<std::string> names = {"localhost", "127.0.0.1", "::1", "gw.example"};
  const KeyPair root = clm::server::create_tls_root(KeyType::ec_p256);
  const KeyPair tls = clm::server::issue_tls_certificate(root, names, KeyType::ec_p256, 90);
  EXPECT_EQ(clm::certificate_names(tls.cert_pem), names);
}

TEST(CertificateNames, AreTheCommonNamesWithoutSubjectAltName)
{
  const std::string pem =
    clm::server::der_to_pem(issue_der(spec_with({{"O", "NEC"}, {"CN", "gw1.example"}, {"CN", "10.0.0.1"}})));
  EXPECT_EQ(clm::certificate_names(pem), (std::vector<std::string>{"gw1.example", "10.0.0.1"}));
}

}  // namespace
