#include <clm/error.hpp>
#include <clm/x509_info.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <cmath>
#include <ctime>
#include <memory>

namespace clm {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const
  {
    Free(p);
  }
};
template <typename T, auto Free>
using Ptr = std::unique_ptr<T, Deleter<Free>>;
using Cert = Ptr<X509, X509_free>;

void free_openssl_string(char* p)
{
  OPENSSL_free(p);
}
using Pkey = Ptr<EVP_PKEY, EVP_PKEY_free>;

std::string name_text(const X509_NAME* name)
{
  char buf[1024];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

std::string time_text(const ASN1_TIME* t, std::chrono::system_clock::time_point* out)
{
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    return "";
  }
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (out) {
    *out = std::chrono::system_clock::from_time_t(timegm(&tm));
  }
  return buf;
}

Cert parse_any(std::string_view bytes, const std::string& what, const std::optional<std::string>& passphrase)
{
  Ptr<BIO, BIO_free_all> bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (bytes.find("-----BEGIN") != std::string_view::npos) {
    Cert c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (c) {
      return c;
    }
  }
  ERR_clear_error();
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (Cert c(d2i_X509(nullptr, &p, static_cast<long>(bytes.size()))); c) {
    return c;
  }
  ERR_clear_error();
  p = reinterpret_cast<const unsigned char*>(bytes.data());
  Ptr<PKCS12, PKCS12_free> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  if (p12) {
    if (!passphrase) {
      throw Error(ExitCode::missing_parameter, what + ": a PKCS#12 file needs --passphrase-file");
    }
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    if (PKCS12_parse(p12.get(), passphrase->c_str(), &key, &cert, nullptr) != 1 || !cert) {
      ERR_clear_error();
      throw Error(ExitCode::bad_file_format, what + ": cannot open the PKCS#12 file (wrong passphrase?)");
    }
    EVP_PKEY_free(key);
    return Cert(cert);
  }
  ERR_clear_error();
  throw Error(ExitCode::bad_file_format, what + ": not a PEM, DER or PKCS#12 certificate");
}

std::string key_type_of(X509* cert)
{
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key) {
    return "unknown";
  }
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
  case EVP_PKEY_RSA: return "RSA-" + std::to_string(bits);
  case EVP_PKEY_EC: {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) == 1) {
      const std::string g = group;
      return g == "prime256v1" ? "EC-P-256" : g == "secp384r1" ? "EC-P-384" : "EC-" + g;
    }
    return "EC";
  }
  case EVP_PKEY_ED25519: return "Ed25519";
  default: return "other-" + std::to_string(bits);
  }
}

}  // namespace

CertificateInfo inspect_certificate(std::string_view bytes, const std::string& what,
                                    const std::optional<std::string>& passphrase)
{
  const Cert cert = parse_any(bytes, what, passphrase);
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(cert.get()));
  info.issuer = name_text(X509_get_issuer_name(cert.get()));
  Ptr<BIGNUM, BN_free> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial) {
    Ptr<char, free_openssl_string> hex(BN_bn2hex(serial.get()));
    info.serial = hex ? hex.get() : "";
  }
  info.not_before = time_text(X509_get0_notBefore(cert.get()), nullptr);
  info.not_after = time_text(X509_get0_notAfter(cert.get()), &info.not_after_time);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &len);
  static constexpr char k_hex[] = "0123456789ABCDEF";
  for (unsigned int i = 0; i < len; ++i) {
    if (i > 0) {
      info.sha256_fingerprint += ':';
    }
    info.sha256_fingerprint += k_hex[md[i] >> 4];
    info.sha256_fingerprint += k_hex[md[i] & 0xf];
  }
  info.key_type = key_type_of(cert.get());
  return info;
}

json certificate_json(const CertificateInfo& info, std::chrono::system_clock::time_point now)
{
  const double seconds = std::chrono::duration<double>(info.not_after_time - now).count();
  return json{{"subject", info.subject},
              {"issuer", info.issuer},
              {"serial", info.serial},
              {"not_before", info.not_before},
              {"not_after", info.not_after},
              {"days_left", static_cast<long long>(std::floor(seconds / 86400.0))},
              {"sha256_fingerprint", info.sha256_fingerprint},
              {"key_type", info.key_type}};
}

}  // namespace clm
