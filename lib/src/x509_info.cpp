#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/hex.hpp>
#include <clm/util/openssl.hpp>
#include <clm/x509_info.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <arpa/inet.h>

#include <array>
#include <climits>
#include <cmath>
#include <ctime>

namespace clm {

namespace {

using util::X509Ptr;

// Return the certificate of a PEM, DER or PKCS#12 file's bytes; Error(bad_file_format)
// naming what when there is none.
X509Ptr parse_any(std::string_view bytes, const std::string& what, const std::optional<std::string>& passphrase)
{
  const util::BioPtr bio = util::memory_bio(bytes, what.c_str());
  if (bytes.find("-----BEGIN") != std::string_view::npos) {
    X509Ptr c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (c) {
      return c;
    }
  }
  ERR_clear_error();
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (X509Ptr c(d2i_X509(nullptr, &p, static_cast<long>(bytes.size()))); c) {
    return c;
  }
  ERR_clear_error();
  p = reinterpret_cast<const unsigned char*>(bytes.data());
  const util::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
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
    return X509Ptr(cert);
  }
  ERR_clear_error();
  throw Error(ExitCode::bad_file_format, what + ": not a PEM, DER or PKCS#12 certificate");
}

// Return a name in OpenSSL's one-line form, "/O=clm/CN=ca1", however long it is.
std::string name_text(const X509_NAME* name)
{
  const util::OpenSslString text(X509_NAME_oneline(name, nullptr, 0));
  if (!text) {
    throw_openssl_error("X509_NAME_oneline");
  }
  return text.get();
}

// Return a serial number as upper-case hex in whole bytes (so it may start with a 0), as
// `openssl x509 -serial` prints it.
std::string serial_text(const ASN1_INTEGER* serial)
{
  const util::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) {
    throw_openssl_error("ASN1_INTEGER_to_BN");
  }
  const util::OpenSslString hex(BN_bn2hex(bn.get()));
  if (!hex) {
    throw_openssl_error("BN_bn2hex");
  }
  return hex.get();
}

// A time of a certificate: the instant and its ISO 8601 UTC text.
struct Moment {
  std::chrono::system_clock::time_point at;
  std::string text;
};

// Return the time t holds, or nullopt when OpenSSL cannot read it as a date.
std::optional<Moment> moment_of(const ASN1_TIME* t)
{
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // Calendar arithmetic in UTC, independent of the local time zone (no mktime).
  using namespace std::chrono;
  const year_month_day date{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                            day{static_cast<unsigned>(tm.tm_mday)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Moment{sys_days{date} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec}, text};
}

// Return the notAfter of cert; Error(internal) naming what when it is not a date.
std::chrono::system_clock::time_point not_after_of(const X509* cert, const char* what)
{
  const auto moment = moment_of(X509_get0_notAfter(cert));
  if (!moment) {
    throw Error(ExitCode::internal, std::string(what) + ": notAfter is not a valid date");
  }
  return moment->at;
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

std::string sha256_fingerprint(const X509* cert)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) {
    throw_openssl_error("X509_digest");
  }
  return util::hex_encode_upper(std::string_view(reinterpret_cast<const char*>(md), len), ":");
}

std::string der_of(X509* cert)
{
  auto der = util::to_der(i2d_X509, cert);
  if (!der) {
    throw_openssl_error("i2d_X509");
  }
  return std::move(*der);
}

}  // namespace

CertificateInfo inspect_certificate(std::string_view bytes, const std::string& what,
                                    const std::optional<std::string>& passphrase)
{
  const X509Ptr cert = parse_any(bytes, what, passphrase);
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(cert.get()));
  info.issuer = name_text(X509_get_issuer_name(cert.get()));
  info.serial = serial_text(X509_get0_serialNumber(cert.get()));
  if (const auto from = moment_of(X509_get0_notBefore(cert.get()))) {
    info.not_before = from->text;
  }
  if (const auto until = moment_of(X509_get0_notAfter(cert.get()))) {
    info.not_after = until->text;
    info.not_after_time = until->at;
  }
  info.sha256_fingerprint = sha256_fingerprint(cert.get());
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

CertificateFacts certificate_facts(std::string_view cert_pem)
{
  const X509Ptr cert = util::read_pem_certificate(cert_pem, "certificate_facts");
  CertificateFacts facts;
  facts.der = der_of(cert.get());
  facts.serial_hex = serial_text(X509_get0_serialNumber(cert.get()));
  facts.subject = name_text(X509_get_subject_name(cert.get()));
  facts.not_after = not_after_of(cert.get(), "certificate_facts");
  return facts;
}

std::chrono::system_clock::time_point certificate_not_after(std::string_view cert_pem)
{
  const X509Ptr cert = util::read_pem_certificate(cert_pem, "certificate_not_after");
  return not_after_of(cert.get(), "certificate_not_after");
}

std::vector<std::string> certificate_names(std::string_view cert_pem)
{
  const X509Ptr cert = util::read_pem_certificate(cert_pem, "certificate_names");
  std::vector<std::string> names;
  int critical = 0;
  const util::GeneralNamesPtr gens(
    static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &critical, nullptr)));
  if (gens) {
    for (int i = 0; i < sk_GENERAL_NAME_num(gens.get()); ++i) {
      int type = 0;
      const auto* value =
        static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens.get(), i), &type));
      const auto* data = ASN1_STRING_get0_data(value);
      const auto size = static_cast<std::size_t>(ASN1_STRING_length(value));
      if (type == GEN_DNS) {
        names.emplace_back(reinterpret_cast<const char*>(data), size);
      } else if (type == GEN_IPADD && (size == 4 || size == 16)) {
        std::array<char, INET6_ADDRSTRLEN> text{};
        if (inet_ntop(size == 4 ? AF_INET : AF_INET6, data, text.data(), text.size()) != nullptr) {
          names.emplace_back(text.data());
        }
      }
    }
    return names;
  }
  ERR_clear_error();  // no subjectAltName is not an error
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    unsigned char* raw = nullptr;
    const int n = ASN1_STRING_to_UTF8(&raw, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
    const util::OpenSslBytes utf8(raw);
    if (n >= 0) {
      names.emplace_back(reinterpret_cast<const char*>(utf8.get()), static_cast<std::size_t>(n));
    }
  }
  return names;
}

}  // namespace clm
