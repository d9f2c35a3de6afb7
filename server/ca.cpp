#include "ca.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/hex.hpp>
#include <clm/util/openssl.hpp>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <climits>
#include <ctime>
#include <memory>
#include <string_view>
#include <utility>

namespace clm::server {

namespace {

constexpr int k_root_days = 7305;     // 20 years, leap days included
constexpr int k_issuing_days = 3653;  // 10 years, leap days included
constexpr int k_tls_root_days = 3653;
constexpr const char* k_tls_root_name = "clm-server TLS root";
constexpr long k_skew_seconds = 5 * 60;
constexpr std::size_t k_serial_bytes = 16;
constexpr int k_rsa_bits = 2048;
constexpr int k_max_common_name = 64;  // ub-common-name of RFC 5280

[[noreturn]] void throw_openssl(const std::string& what)
{
  throw_openssl_error(what);
}

[[noreturn]] void throw_internal(const std::string& what)
{
  ERR_clear_error();
  throw Error(ExitCode::internal, what);
}

const unsigned char* bytes(std::string_view s)
{
  return reinterpret_cast<const unsigned char*>(s.data());
}

util::BioPtr write_bio()
{
  util::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) {
    throw_openssl("BIO_new");
  }
  return bio;
}

// Return everything written to a memory BIO.
std::string bio_text(BIO* bio)
{
  char* data = nullptr;
  // BIO_get_mem_data is a macro with a C cast; call what it expands to.
  const long n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);
  if (n < 0 || (n > 0 && data == nullptr)) {
    throw_openssl("BIO_get_mem_data");
  }
  return std::string(data, static_cast<std::size_t>(n));
}

util::EvpPkeyPtr parse_key(std::string_view pem, const char* what)
{
  const util::BioPtr bio = util::memory_bio(pem, what);
  // An empty passphrase keeps OpenSSL from prompting on the terminal for an encrypted key.
  util::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key) {
    throw_openssl(std::string(what) + ": cannot parse PEM private key");
  }
  return key;
}

// Return every certificate of concatenated PEM text (none for blank text).
util::X509StackPtr parse_cert_chain(std::string_view pem, const char* what)
{
  util::X509StackPtr chain(sk_X509_new_null());
  if (!chain) {
    throw_openssl(std::string(what) + ": sk_X509_new_null");
  }
  const util::BioPtr bio = util::memory_bio(pem, what);
  for (;;) {
    util::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      // PEM_R_NO_START_LINE at the end of the text is the normal way out of the loop.
      const unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      throw_openssl(std::string(what) + ": cannot parse PEM certificate");
    }
    if (sk_X509_push(chain.get(), cert.get()) == 0) {
      throw_openssl(std::string(what) + ": sk_X509_push");
    }
    static_cast<void>(cert.release());  // the stack owns it now
  }
  return chain;
}

std::string cert_pem(X509* cert)
{
  const util::BioPtr bio = write_bio();
  if (PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw_openssl("PEM_write_bio_X509");
  }
  return bio_text(bio.get());
}

// The DER of a P-256 key's parts, as OpenSSL 3 lays them out.
constexpr std::size_t k_p256_scalar_bytes = 32;
constexpr std::size_t k_p256_point_bytes = 65;  // 0x04 || x || y
// PKCS#8 PrivateKeyInfo (RFC 5208) of a P-256 key up to its scalar: version 0,
// AlgorithmIdentifier id-ecPublicKey with the named curve prime256v1, and the start of
// the RFC 5915 ECPrivateKey (version 1, privateKey OCTET STRING of 32 bytes).
constexpr std::array<unsigned char, 36> k_p256_pkcs8_head{
  0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
  0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20};
// Between the scalar and the point: publicKey [1] BIT STRING with no unused bits.
constexpr std::array<unsigned char, 5> k_p256_pkcs8_middle{0xa1, 0x44, 0x03, 0x42, 0x00};

// Return whether key is an EC key on P-256.
bool is_p256(EVP_PKEY* key)
{
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    return false;
  }
  std::array<char, 32> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &length) != 1) {
    ERR_clear_error();
    return false;
  }
  const std::string_view name(group.data(), length);
  return name == "prime256v1" || name == "P-256";
}

// Return the uncompressed point of a P-256 key.
std::array<unsigned char, k_p256_point_bytes> p256_point(EVP_PKEY* key)
{
  std::array<unsigned char, k_p256_point_bytes> point{};
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(), &length)
        != 1
      || length != point.size()) {
    throw_openssl("EVP_PKEY_get_octet_string_param encoded-pub-key");
  }
  return point;
}

// Return key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
std::string key_pem(EVP_PKEY* key)
{
  const util::BioPtr bio = write_bio();
  if (!is_p256(key)) {
    if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      throw_openssl("PEM_write_bio_PrivateKey");
    }
    return bio_text(bio.get());
  }
  // A P-256 key is written from its scalar and point into the DER OpenSSL would write
  // (the unit test compares the two): OpenSSL 3's encoder looks up its implementations
  // on every call, which costs more than making the key.
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    throw_openssl("EVP_PKEY_get_bn_param priv");
  }
  const util::SecretBignumPtr scalar(raw);
  const auto point = p256_point(key);
  std::array<unsigned char, k_p256_pkcs8_head.size() + k_p256_scalar_bytes + k_p256_pkcs8_middle.size()
                              + k_p256_point_bytes>
    der{};
  auto* at = std::copy(k_p256_pkcs8_head.begin(), k_p256_pkcs8_head.end(), der.begin());
  if (BN_bn2binpad(scalar.get(), at, static_cast<int>(k_p256_scalar_bytes)) != static_cast<int>(k_p256_scalar_bytes)) {
    OPENSSL_cleanse(der.data(), der.size());
    throw_openssl("BN_bn2binpad");
  }
  at = std::copy(k_p256_pkcs8_middle.begin(), k_p256_pkcs8_middle.end(), at + k_p256_scalar_bytes);
  std::copy(point.begin(), point.end(), at);
  const int written = PEM_write_bio(bio.get(), "PRIVATE KEY", "", der.data(), static_cast<long>(der.size()));
  OPENSSL_cleanse(der.data(), der.size());
  if (written <= 0) {
    throw_openssl("PEM_write_bio PRIVATE KEY");
  }
  return bio_text(bio.get());
}

// Set cert's public key to key's. A P-256 key's SubjectPublicKeyInfo is set straight
// from its point: X509_set_pubkey runs the key through OpenSSL 3's encoder and then its
// decoder, which together cost more than signing the certificate.
void set_public_key(X509* cert, EVP_PKEY* key)
{
  if (!is_p256(key)) {
    if (X509_set_pubkey(cert, key) != 1) {
      throw_openssl("X509_set_pubkey");
    }
    return;
  }
  const auto point = p256_point(key);
  auto* bits = static_cast<unsigned char*>(OPENSSL_memdup(point.data(), point.size()));
  if (bits == nullptr) {
    throw_openssl("OPENSSL_memdup");
  }
  // set0: the algorithm's objects are OpenSSL's static ones; bits is owned by cert now.
  if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                             OBJ_nid2obj(NID_X9_62_prime256v1), bits, static_cast<int>(point.size()))
      != 1) {
    OPENSSL_free(bits);
    throw_openssl("X509_PUBKEY_set0_param");
  }
}

util::EvpPkeyPtr generate_key(KeyType type)
{
  const bool rsa = type == KeyType::rsa2048;
  util::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (!ctx) {
    throw_openssl("EVP_PKEY_CTX_new_from_name");
  }
  if (EVP_PKEY_keygen_init(ctx.get()) <= 0) {
    throw_openssl("EVP_PKEY_keygen_init");
  }
  if (rsa) {
    if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), k_rsa_bits) <= 0) {
      throw_openssl("EVP_PKEY_CTX_set_rsa_keygen_bits");
    }
  } else if (EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") <= 0) {
    throw_openssl("EVP_PKEY_CTX_set_group_name");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) <= 0) {
    throw_openssl("EVP_PKEY_generate");
  }
  return util::EvpPkeyPtr(raw);
}

// Return a random positive serial of k_serial_bytes bytes with the top bit cleared.
util::Asn1IntegerPtr random_serial()
{
  std::array<unsigned char, k_serial_bytes> buf{};
  // Zero is not positive: draw again in the (2^-127) case that it comes up.
  while (std::all_of(buf.begin(), buf.end(), [](unsigned char b) { return b == 0; })) {
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
      throw_openssl("RAND_bytes");
    }
    buf[0] &= 0x7f;  // a clear top bit keeps the DER INTEGER at 16 bytes, no 0x00 pad
  }
  const util::BignumPtr bn(BN_bin2bn(buf.data(), static_cast<int>(buf.size()), nullptr));
  if (!bn) {
    throw_openssl("BN_bin2bn");
  }
  util::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) {
    throw_openssl("BN_to_ASN1_INTEGER");
  }
  return serial;
}

util::X509NamePtr make_name(const std::string& common_name)
{
  util::X509NamePtr name(X509_NAME_new());
  if (!name) {
    throw_openssl("X509_NAME_new");
  }
  if (X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8, bytes("clm"), -1, -1, 0) != 1) {
    throw_openssl("X509_NAME_add_entry_by_txt O");
  }
  // A longer name cannot be a commonName; the subjectAltName carries it anyway.
  if (!common_name.empty() && common_name.size() <= static_cast<std::size_t>(k_max_common_name) &&
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, bytes(common_name), -1, -1, 0) != 1) {
    throw_openssl("X509_NAME_add_entry_by_txt CN");
  }
  return name;
}

// Return a version 3 certificate for key with subject, serial and validity set (notBefore
// now minus the skew allowance, notAfter now plus lifetime_seconds), not yet signed.
util::X509Ptr new_cert(EVP_PKEY* key, const X509_NAME* subject, ASN1_INTEGER* serial, std::time_t now,
                       long long lifetime_seconds)
{
  util::X509Ptr cert(X509_new());
  if (!cert) {
    throw_openssl("X509_new");
  }
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    throw_openssl("X509_set_version");
  }
  if (X509_set_serialNumber(cert.get(), serial) != 1) {
    throw_openssl("X509_set_serialNumber");
  }
  if (X509_set_subject_name(cert.get(), subject) != 1) {
    throw_openssl("X509_set_subject_name");
  }
  // Start a little in the past so peers whose clocks lag still accept the certificate.
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -k_skew_seconds, &now) == nullptr) {
    throw_openssl("X509_time_adj_ex notBefore");
  }
  // Days and seconds apart, so that a long lifetime cannot overflow a 32-bit long.
  const auto days = static_cast<int>(lifetime_seconds / 86400);
  const auto seconds = static_cast<long>(lifetime_seconds % 86400);
  if (X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, seconds, &now) == nullptr) {
    throw_openssl("X509_time_adj_ex notAfter");
  }
  set_public_key(cert.get(), key);
  return cert;
}

// Return a certificate valid for days days from now with a random 128-bit serial.
util::X509Ptr new_cert(EVP_PKEY* key, const X509_NAME* subject, int days)
{
  const util::Asn1IntegerPtr serial = random_serial();
  return new_cert(key, subject, serial.get(), std::time(nullptr), static_cast<long long>(days) * 86400);
}

// Add the extension nid with OpenSSL config syntax value; issuer may be cert itself.
void add_extension(X509* cert, X509* issuer, int nid, const char* value)
{
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  const util::X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext) {
    throw_openssl(std::string("X509V3_EXT_nconf_nid ") + OBJ_nid2sn(nid) + "=" + value);
  }
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    throw_openssl(std::string("X509_add_ext ") + OBJ_nid2sn(nid));
  }
}

void sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key)
{
  if (X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1) {
    throw_openssl("X509_set_issuer_name");
  }
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
    throw_openssl("X509_sign");
  }
}

// Return whether name is acceptable as a dNSName (an IA5String): printable ASCII, no spaces.
bool is_dns_text(std::string_view name)
{
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    if (c <= ' ' || c > '~') {
      return false;
    }
  }
  return true;
}

// Return a GENERAL_NAME of type type holding data as an ASN1 string of string_type.
util::GeneralNamePtr general_name(int type, int string_type, const unsigned char* data, std::size_t size)
{
  util::Asn1StringPtr value(ASN1_STRING_type_new(string_type));
  if (!value || ASN1_STRING_set(value.get(), data, static_cast<int>(size)) != 1) {
    throw_openssl("ASN1_STRING_set");
  }
  util::GeneralNamePtr gn(GENERAL_NAME_new());
  if (!gn) {
    throw_openssl("GENERAL_NAME_new");
  }
  GENERAL_NAME_set0_value(gn.get(), type, value.release());
  return gn;
}

// Return the subjectAltName entries of names: IP for IPv4/IPv6 literals, DNS for the rest.
// Built with the ASN.1 API rather than config text, so no name can inject further entries.
util::GeneralNamesPtr subject_alt_names(const std::vector<std::string>& names)
{
  util::GeneralNamesPtr gens(sk_GENERAL_NAME_new_null());
  if (!gens) {
    throw_openssl("sk_GENERAL_NAME_new_null");
  }
  for (const std::string& name : names) {
    std::array<unsigned char, 16> ip{};
    util::GeneralNamePtr gn;
    if (inet_pton(AF_INET, name.c_str(), ip.data()) == 1) {
      gn = general_name(GEN_IPADD, V_ASN1_OCTET_STRING, ip.data(), 4);
    } else if (inet_pton(AF_INET6, name.c_str(), ip.data()) == 1) {
      gn = general_name(GEN_IPADD, V_ASN1_OCTET_STRING, ip.data(), 16);
    } else if (is_dns_text(name)) {
      gn = general_name(GEN_DNS, V_ASN1_IA5STRING, bytes(name), name.size());
    } else {
      throw_internal("issue_tls_certificate: bad subjectAltName \"" + name + "\"");
    }
    if (sk_GENERAL_NAME_push(gens.get(), gn.get()) == 0) {
      throw_openssl("sk_GENERAL_NAME_push");
    }
    static_cast<void>(gn.release());  // the stack owns it now
  }
  return gens;
}

}  // namespace

CaHierarchy create_ca(KeyType type)
{
  const util::EvpPkeyPtr root_key = generate_key(type);
  const util::X509Ptr root = new_cert(root_key.get(), make_name("CA").get(), k_root_days);
  add_extension(root.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(root.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(root.get(), root.get(), NID_subject_key_identifier, "hash");
  sign(root.get(), root.get(), root_key.get());

  const util::EvpPkeyPtr issuing_key = generate_key(type);
  const util::X509Ptr issuing = new_cert(issuing_key.get(), make_name("ca1").get(), k_issuing_days);
  add_extension(issuing.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(issuing.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(issuing.get(), root.get(), NID_subject_key_identifier, "hash");
  add_extension(issuing.get(), root.get(), NID_authority_key_identifier, "keyid:always");
  sign(issuing.get(), root.get(), root_key.get());

  return CaHierarchy{
      .root = KeyPair{.cert_pem = cert_pem(root.get()), .key_pem = key_pem(root_key.get())},
      .issuing = KeyPair{.cert_pem = cert_pem(issuing.get()), .key_pem = key_pem(issuing_key.get())},
  };
}

KeyPair create_tls_root(KeyType type)
{
  const util::EvpPkeyPtr key = generate_key(type);
  const util::X509Ptr root = new_cert(key.get(), make_name(k_tls_root_name).get(), k_tls_root_days);
  add_extension(root.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(root.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  // Verifiers that read an extendedKeyUsage on a CA as a limit on what it may vouch for
  // (OpenSSL does) accept nothing from this root but TLS server certificates.
  add_extension(root.get(), root.get(), NID_ext_key_usage, "serverAuth");
  add_extension(root.get(), root.get(), NID_subject_key_identifier, "hash");
  sign(root.get(), root.get(), key.get());
  return KeyPair{.cert_pem = cert_pem(root.get()), .key_pem = key_pem(key.get())};
}

KeyPair issue_tls_certificate(const KeyPair& issuer, const std::vector<std::string>& names, KeyType type, int days)
{
  if (names.empty()) {
    throw_internal("issue_tls_certificate: no names given");
  }
  if (days <= 0) {
    throw_internal("issue_tls_certificate: validity must be at least one day");
  }
  const util::X509Ptr issuer_cert = util::read_pem_certificate(issuer.cert_pem, "issuer certificate");
  const util::EvpPkeyPtr issuer_key = parse_key(issuer.key_pem, "issuer key");
  if (X509_check_private_key(issuer_cert.get(), issuer_key.get()) != 1) {
    throw_openssl("issue_tls_certificate: issuer key does not match issuer certificate");
  }
  const util::GeneralNamesPtr sans = subject_alt_names(names);

  const util::EvpPkeyPtr key = generate_key(type);
  const util::X509Ptr cert = new_cert(key.get(), make_name(names.front()).get(), days);
  X509* const ca = issuer_cert.get();
  add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  // RFC 5480 §3: keyEncipherment is for RSA key transport; an EC key only signs.
  add_extension(cert.get(), ca, NID_key_usage,
                type == KeyType::ec_p256 ? "critical,digitalSignature" : "critical,digitalSignature,keyEncipherment");
  add_extension(cert.get(), ca, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl("X509_add1_ext_i2d subjectAltName");
  }
  sign(cert.get(), ca, issuer_key.get());

  return KeyPair{.cert_pem = cert_pem(cert.get()), .key_pem = key_pem(key.get())};
}

bool certificate_chains_to(const std::string& cert_pem, const std::string& chain_pem, const std::string& root_pem)
{
  const util::X509Ptr cert = util::read_pem_certificate(cert_pem, "certificate_chains_to: certificate");
  const util::X509StackPtr chain = parse_cert_chain(chain_pem, "certificate_chains_to: chain");
  const util::X509Ptr root = util::read_pem_certificate(root_pem, "certificate_chains_to: root");

  const util::X509StorePtr store(X509_STORE_new());
  if (!store) {
    throw_openssl("X509_STORE_new");
  }
  if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
    throw_openssl("X509_STORE_add_cert");
  }
  const util::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx) {
    throw_openssl("X509_STORE_CTX_new");
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), chain.get()) != 1) {
    throw_openssl("X509_STORE_CTX_init");
  }
  const int rc = X509_verify_cert(ctx.get());
  if (rc < 0) {
    throw_openssl("X509_verify_cert");
  }
  // A failed verification may leave entries behind; it is an answer, not an error.
  ERR_clear_error();
  return rc == 1;
}

std::vector<std::string> pem_certificates(const std::string& pem)
{
  const util::X509StackPtr chain = parse_cert_chain(pem, "pem_certificates");
  std::vector<std::string> out;
  for (int i = 0; i < sk_X509_num(chain.get()); ++i) {
    out.push_back(cert_pem(sk_X509_value(chain.get(), i)));
  }
  return out;
}

bool key_matches_certificate(const std::string& cert_pem, const std::string& key_pem)
{
  const util::X509Ptr cert = util::read_pem_certificate(cert_pem, "key_matches_certificate: certificate");
  const util::EvpPkeyPtr key = parse_key(key_pem, "key_matches_certificate: key");
  const bool match = X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();  // a mismatch is an answer, not an error
  return match;
}

std::string canonical_host_name(std::string_view name)
{
  std::string text(name);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::array<char, INET6_ADDRSTRLEN> out{};
  in_addr v4{};
  // inet_aton, not inet_pton: resolvers take 127.1, 0x7f.0.0.1 and 0177.0.0.1 as 127.0.0.1 too.
  if (text.find(':') == std::string::npos && inet_aton(text.c_str(), &v4) == 1) {
    return inet_ntop(AF_INET, &v4, out.data(), out.size());
  }
  std::array<unsigned char, 16> v6{};
  const std::string address = text.substr(0, text.find('%'));  // fe80::1%eth0 names fe80::1
  if (inet_pton(AF_INET6, address.c_str(), v6.data()) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(v6.data()))) {
      return inet_ntop(AF_INET, v6.data() + 12, out.data(), out.size());
    }
    return inet_ntop(AF_INET6, v6.data(), out.data(), out.size());
  }
  if (!text.empty() && text.back() == '.') {
    text.pop_back();  // localhost. is localhost
  }
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return text;
}

// ---- leaf certificates, CRLs and the encodings the certificate API returns ----

namespace {

util::X509Ptr parse_der_cert(std::string_view der, const char* what)
{
  const unsigned char* p = bytes(der);
  util::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != bytes(der) + der.size()) {
    throw_openssl(std::string(what) + ": cannot parse DER certificate");
  }
  return cert;
}

std::string cert_der(X509* cert)
{
  auto der = util::to_der(i2d_X509, cert);
  if (!der) {
    throw_openssl("i2d_X509");
  }
  return std::move(*der);
}

// Return the serial of hex text as an ASN1 INTEGER.
util::Asn1IntegerPtr serial_from_hex(const std::string& hex)
{
  BIGNUM* raw = nullptr;
  if (hex.empty() || BN_hex2bn(&raw, hex.c_str()) != static_cast<int>(hex.size())) {
    BN_free(raw);
    throw_internal("serial '" + hex + "' is not hexadecimal");
  }
  const util::BignumPtr bn(raw);
  util::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) {
    throw_openssl("BN_to_ASN1_INTEGER");
  }
  return serial;
}

util::Asn1TimePtr asn1_time(std::chrono::system_clock::time_point t)
{
  util::Asn1TimePtr out(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)));
  if (!out) {
    throw_openssl("ASN1_TIME_set");
  }
  return out;
}

util::X509NamePtr leaf_name(const std::vector<SubjectEntry>& subject)
{
  util::X509NamePtr name(X509_NAME_new());
  if (!name) {
    throw_openssl("X509_NAME_new");
  }
  for (const SubjectEntry& e : subject) {
    if (X509_NAME_add_entry_by_txt(name.get(), e.key.c_str(), MBSTRING_UTF8, bytes(e.value),
                                   static_cast<int>(e.value.size()), -1, 0) != 1) {
      throw_openssl("subject " + e.key);
    }
  }
  return name;
}

const std::string* common_name(const std::vector<SubjectEntry>& subject)
{
  for (const SubjectEntry& e : subject) {
    if (e.key == "CN") {
      return &e.value;
    }
  }
  return nullptr;
}

}  // namespace

void PrivateKey::Free::operator()(evp_pkey_st* key) const
{
  EVP_PKEY_free(key);
}

PrivateKey::PrivateKey(std::unique_ptr<evp_pkey_st, Free> key, std::string pem)
  : m_key(std::move(key)), m_pem(std::move(pem))
{
}

PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;

PrivateKey PrivateKey::generate(KeyType type)
{
  util::EvpPkeyPtr key = generate_key(type);
  std::string pem = key_pem(key.get());
  return PrivateKey(std::unique_ptr<evp_pkey_st, Free>(key.release()), std::move(pem));
}

KeyType PrivateKey::type() const
{
  return EVP_PKEY_get_base_id(m_key.get()) == EVP_PKEY_RSA ? KeyType::rsa2048 : KeyType::ec_p256;
}

struct Issuer::Impl {
  util::X509Ptr cert;
  util::EvpPkeyPtr key;
  // A SHA-256 signing context initialized once on key; each signature works on a copy
  // of it, so no request fetches the signature algorithm or the digest again.
  util::EvpMdCtxPtr signer;

  // Return a signing context of its own for one signature.
  util::EvpMdCtxPtr signing_context() const
  {
    util::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), signer.get()) != 1) {
      throw_openssl("EVP_MD_CTX_copy_ex");
    }
    return ctx;
  }
};

Issuer::Issuer(const KeyPair& ca) : m_impl(std::make_unique<Impl>())
{
  m_impl->cert = util::read_pem_certificate(ca.cert_pem, "issuer certificate");
  m_impl->key = parse_key(ca.key_pem, "issuer key");
  if (X509_check_private_key(m_impl->cert.get(), m_impl->key.get()) != 1) {
    throw_openssl("issuer key does not match issuer certificate");
  }
  // Fill OpenSSL's lazily computed extension cache now, while no other thread reads it.
  X509_check_purpose(m_impl->cert.get(), -1, 0);
  m_impl->signer.reset(EVP_MD_CTX_new());
  if (!m_impl->signer
      || EVP_DigestSignInit_ex(m_impl->signer.get(), nullptr, "SHA256", nullptr, nullptr, m_impl->key.get(), nullptr)
           != 1) {
    throw_openssl("EVP_DigestSignInit_ex");
  }
}

Issuer::~Issuer() = default;
Issuer::Issuer(Issuer&&) noexcept = default;
Issuer& Issuer::operator=(Issuer&&) noexcept = default;

std::string Issuer::issue(const PrivateKey& leaf_key, const LeafSpec& spec) const
{
  const std::string* cn = common_name(spec.subject);
  if (cn == nullptr) {
    throw_internal("issue: the subject has no CN");
  }
  if (spec.lifetime.count() <= 0) {
    throw_internal("issue: lifetime must be positive");
  }
  EVP_PKEY* const key = leaf_key.native();
  const util::Asn1IntegerPtr serial = serial_from_hex(spec.serial_hex);
  X509* const ca = m_impl->cert.get();
  const util::X509Ptr cert = new_cert(key, leaf_name(spec.subject).get(), serial.get(),
                                      std::chrono::system_clock::to_time_t(spec.now), spec.lifetime.count());
  add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  // RFC 5480 3: keyEncipherment is for RSA key transport; an EC key only signs.
  add_extension(cert.get(), ca, NID_key_usage,
                EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? "critical,digitalSignature,keyEncipherment"
                                                                : "critical,digitalSignature");
  add_extension(cert.get(), ca, NID_ext_key_usage, spec.kind == LeafKind::server ? "serverAuth" : "clientAuth");
  add_extension(cert.get(), ca, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (spec.kind == LeafKind::server) {
    const util::GeneralNamesPtr sans = subject_alt_names({*cn});
    if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) != 1) {
      throw_openssl("X509_add1_ext_i2d subjectAltName");
    }
  }
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)) != 1) {
    throw_openssl("X509_set_issuer_name");
  }
  if (X509_sign_ctx(cert.get(), m_impl->signing_context().get()) <= 0) {
    throw_openssl("X509_sign_ctx");
  }
  return cert_der(cert.get());
}

std::string Issuer::crl(const std::vector<RevokedSerial>& revoked, std::chrono::system_clock::time_point this_update,
                        std::chrono::system_clock::time_point next_update, std::int64_t number) const
{
  X509* const ca = m_impl->cert.get();
  const util::X509CrlPtr crl(X509_CRL_new());
  if (!crl) {
    throw_openssl("X509_CRL_new");
  }
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1) {
    throw_openssl("X509_CRL_set_version");
  }
  if (X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) != 1) {
    throw_openssl("X509_CRL_set_issuer_name");
  }
  if (X509_CRL_set1_lastUpdate(crl.get(), asn1_time(this_update).get()) != 1
      || X509_CRL_set1_nextUpdate(crl.get(), asn1_time(next_update).get()) != 1) {
    throw_openssl("X509_CRL_set1_lastUpdate/nextUpdate");
  }
  for (const RevokedSerial& r : revoked) {
    util::X509RevokedPtr entry(X509_REVOKED_new());
    if (!entry) {
      throw_openssl("X509_REVOKED_new");
    }
    if (X509_REVOKED_set_serialNumber(entry.get(), serial_from_hex(r.serial_hex).get()) != 1
        || X509_REVOKED_set_revocationDate(entry.get(), asn1_time(r.revoked_at).get()) != 1) {
      throw_openssl("X509_REVOKED_set");
    }
    if (X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      throw_openssl("X509_CRL_add0_revoked");
    }
    static_cast<void>(entry.release());  // the CRL owns it now
  }
  if (X509_CRL_sort(crl.get()) != 1) {
    throw_openssl("X509_CRL_sort");
  }
  const util::Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!crl_number || ASN1_INTEGER_set_int64(crl_number.get(), number) != 1
      || X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl("CRL number");
  }
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl.get(), 0);
  const util::X509ExtensionPtr aki(X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) {
    throw_openssl("CRL authorityKeyIdentifier");
  }
  if (X509_CRL_sign_ctx(crl.get(), m_impl->signing_context().get()) <= 0) {
    throw_openssl("X509_CRL_sign_ctx");
  }
  const util::BioPtr bio = write_bio();
  if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    throw_openssl("PEM_write_bio_X509_CRL");
  }
  return bio_text(bio.get());
}

KeyType key_type_of(const std::string& key_pem)
{
  const util::EvpPkeyPtr key = parse_key(key_pem, "key_type_of");
  switch (EVP_PKEY_get_base_id(key.get())) {
  case EVP_PKEY_RSA:
    return KeyType::rsa2048;
  case EVP_PKEY_EC:
    return KeyType::ec_p256;
  default:
    throw_internal("key_type_of: neither an RSA nor an EC key");
  }
}

std::string random_leaf_serial()
{
  for (;;) {
    std::string hex = util::hex_encode_upper(random_bytes(8));
    // A zero first digit would print shorter than 16 digits; draw again (1 in 16).
    if (hex.front() != '0') {
      return hex;
    }
  }
}

std::string der_to_pem(const std::string& der)
{
  if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
    throw_internal("der_to_pem: no certificate");
  }
  // Armour the bytes as they are: parsing them first would decode the public key through
  // OpenSSL 3's decoders, the most costly step of an issuance's answer.
  const util::BioPtr bio = write_bio();
  if (PEM_write_bio(bio.get(), PEM_STRING_X509, "", bytes(der), static_cast<long>(der.size())) <= 0) {
    throw_openssl("PEM_write_bio CERTIFICATE");
  }
  return bio_text(bio.get());
}

std::string encrypt_private_key(const std::string& key_pem, const std::string& passphrase)
{
  const util::EvpPkeyPtr key = parse_key(key_pem, "encrypt_private_key");
  const util::BioPtr bio = write_bio();
  // PKCS#8 with PBES2: PBKDF2 (HMAC-SHA256) and AES-256-CBC, "BEGIN ENCRYPTED PRIVATE KEY".
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), passphrase.data(),
                                    static_cast<int>(passphrase.size()), nullptr, nullptr) != 1) {
    throw_openssl("PEM_write_bio_PKCS8PrivateKey");
  }
  return bio_text(bio.get());
}

std::string make_pkcs12(const std::string& cert_der, const std::string& key_pem, const std::string& passphrase,
                        const std::string& friendly_name)
{
  const util::X509Ptr cert = parse_der_cert(cert_der, "make_pkcs12");
  const util::EvpPkeyPtr key = parse_key(key_pem, "make_pkcs12");
  // OpenSSL 3 defaults: AES-256-CBC with PBKDF2 for key and certificate, SHA-256 MAC.
  const util::Pkcs12Ptr p12(PKCS12_create(passphrase.c_str(),
                                          friendly_name.empty() ? nullptr : friendly_name.c_str(), key.get(),
                                          cert.get(), nullptr, 0, 0, 0, 0, 0));
  if (!p12) {
    throw_openssl("PKCS12_create");
  }
  auto der = util::to_der(i2d_PKCS12, p12.get());
  if (!der) {
    throw_openssl("i2d_PKCS12");
  }
  return std::move(*der);
}


}  // namespace clm::server
