// Certificate authority of clm-server on OpenSSL 3: the two-level device CA (root "CA"
// and issuing CA "ca1"), the separate root of the server's TLS identity and the TLS
// server certificates it issues, and how names in certificates compare. What is read
// out of a certificate (names, serial, subject, notAfter) is clm/x509_info.hpp's.
#pragma once

#include <clm/validate.hpp>
#include <clm/x509_info.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace clm::server {

// A certificate and its private key, both PEM.
struct KeyPair {
  std::string cert_pem;
  std::string key_pem;  // unencrypted PKCS#8 PEM; the caller encrypts it at rest
};

enum class KeyType { rsa2048, ec_p256 };

struct CaHierarchy {
  KeyPair root;     // "CA": self-signed root
  KeyPair issuing;  // "ca1": signed by root
};

// Create the two-level CA: root with subject /O=clm/CN=CA (valid 20 years), issuing CA
// with subject /O=clm/CN=ca1 (valid 10 years) signed by root. Both: basicConstraints
// critical CA:TRUE (root without pathlen, ca1 pathlen:0), keyUsage critical keyCertSign+cRLSign,
// subjectKeyIdentifier, authorityKeyIdentifier (keyid) on ca1. SHA-256 signatures.
CaHierarchy create_ca(KeyType type);

// Create the root of the server's TLS identity, apart from the device CA so that no
// certificate a client can obtain chains to it: subject /O=clm/CN=clm-server TLS root
// (valid 10 years), basicConstraints critical CA:TRUE pathlen:0, keyUsage critical
// keyCertSign+cRLSign, extendedKeyUsage serverAuth (it vouches for TLS servers only),
// subjectKeyIdentifier, SHA-256.
KeyPair create_tls_root(KeyType type);

// Issue a TLS server certificate signed by issuer: subject /O=clm/CN=<first name>,
// subjectAltName with every entry of names (entries that parse as IPv4/IPv6 become
// IP:..., the rest DNS:...), extendedKeyUsage serverAuth, keyUsage critical
// digitalSignature (+keyEncipherment for RSA), basicConstraints critical CA:FALSE, SKI/AKI, valid `days` days
// (notBefore = now - 5 minutes for clock skew), random positive 128-bit serial (top bit cleared), SHA-256.
KeyPair issue_tls_certificate(const KeyPair& issuer, const std::vector<std::string>& names, KeyType type, int days);

// Return whether cert_pem verifies against the root certificate root_pem, with any
// intermediate certificates in chain_pem (concatenated PEM, may be empty) — X509_verify_cert.
bool certificate_chains_to(const std::string& cert_pem, const std::string& chain_pem, const std::string& root_pem);

// Return every certificate of concatenated PEM text, each as PEM, in order (none for
// text without one); Error(internal) with OpenSSL's reason when one does not parse.
std::vector<std::string> pem_certificates(const std::string& pem);

// Return whether key_pem (an unencrypted PEM private key) is the key of cert_pem;
// Error(internal) with OpenSSL's reason when the key does not parse.
bool key_matches_certificate(const std::string& cert_pem, const std::string& key_pem);

// Return name in the form host names are compared in: an IP address as inet_ntop
// prints it (from any form inet_aton takes, such as 127.1 or 0x7f.0.0.1, an IPv6 one
// in brackets or with a zone, an IPv4-mapped IPv6 one as the IPv4 address), any other
// name in lower case without a trailing dot.
std::string canonical_host_name(std::string_view name);

// ---- leaf certificates and CRLs of the certificate API ----

enum class LeafKind { client, server };

// What a leaf certificate says: subject, purpose, serial and validity.
struct LeafSpec {
  std::vector<SubjectEntry> subject;  // in order; CN required
  LeafKind kind = LeafKind::client;
  std::string serial_hex;             // positive, e.g. from random_leaf_serial()
  std::chrono::system_clock::time_point now;
  std::chrono::seconds lifetime{0};
};

// A revoked certificate as a CRL lists it.
struct RevokedSerial {
  std::string serial_hex;
  std::chrono::system_clock::time_point revoked_at;
};

// A private key held parsed (OpenSSL's EVP_PKEY) together with its unencrypted PKCS#8
// PEM, so that neither form is ever made again from the other. Its const members may
// be called from several threads at once.
class PrivateKey {
public:
  // Return a new key of type; its PEM is written once, here.
  static PrivateKey generate(KeyType type);

  ~PrivateKey();
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;

  // Return the key as unencrypted PKCS#8 PEM.
  const std::string& pem() const { return m_pem; }

  // Return the key type (rsa2048 or ec_p256).
  KeyType type() const;

  // Return OpenSSL's key, owned by this object.
  evp_pkey_st* native() const { return m_key.get(); }

private:
  struct Free {
    void operator()(evp_pkey_st* key) const;
  };

  PrivateKey(std::unique_ptr<evp_pkey_st, Free> key, std::string pem);

  std::unique_ptr<evp_pkey_st, Free> m_key;
  std::string m_pem;
};

// A CA certificate and its key, parsed once, signing leaf certificates and CRLs with
// the signature algorithm and digest fetched once. Its const members may be called
// from several threads at once.
class Issuer {
public:
  // Parse ca; throw Error(internal) when it does not parse or the key does not match.
  explicit Issuer(const KeyPair& ca);
  ~Issuer();
  Issuer(Issuer&&) noexcept;
  Issuer& operator=(Issuer&&) noexcept;

  // Return the DER certificate of the public half of key: subject and serial from
  // spec, notBefore now - 5 minutes, notAfter now + lifetime, SHA-256,
  // basicConstraints critical CA:FALSE, keyUsage critical digitalSignature
  // (+keyEncipherment for RSA), extendedKeyUsage clientAuth or serverAuth, SKI/AKI, and
  // for a server certificate subjectAltName DNS:<CN> (IP:<CN> when CN is an address).
  std::string issue(const PrivateKey& key, const LeafSpec& spec) const;

  // Return a PEM version 2 CRL listing revoked, with thisUpdate, nextUpdate, the CRL
  // number extension and an authorityKeyIdentifier, signed with SHA-256.
  std::string crl(const std::vector<RevokedSerial>& revoked, std::chrono::system_clock::time_point this_update,
                  std::chrono::system_clock::time_point next_update, std::int64_t number) const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Return the key type of a PEM private key (any RSA key is rsa2048, any EC key ec_p256).
KeyType key_type_of(const std::string& key_pem);

// Return a random positive 64-bit serial as 16 upper-case hex digits, the first not zero.
std::string random_leaf_serial();

// Return the PEM form of a DER certificate.
std::string der_to_pem(const std::string& der);

// Return key_pem as encrypted PKCS#8 PEM (PBKDF2, AES-256-CBC) under passphrase.
std::string encrypt_private_key(const std::string& key_pem, const std::string& passphrase);

// Return the DER of a PKCS#12 file holding the certificate and its key, without chain,
// protected by passphrase with OpenSSL 3's defaults (AES-256-CBC, PBKDF2, SHA-256 MAC).
std::string make_pkcs12(const std::string& cert_der, const std::string& key_pem, const std::string& passphrase,
                        const std::string& friendly_name);

}  // namespace clm::server
