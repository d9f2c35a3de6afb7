// Certificate authority of clm-server on OpenSSL 3: a two-level CA (root "CA" and
// issuing CA "ca1") and the TLS server certificates it issues.
#pragma once

#include <chrono>
#include <string>
#include <vector>

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

// Issue a TLS server certificate signed by issuer: subject /O=clm/CN=<first name>,
// subjectAltName with every entry of names (entries that parse as IPv4/IPv6 become
// IP:..., the rest DNS:...), extendedKeyUsage serverAuth, keyUsage critical
// digitalSignature (+keyEncipherment for RSA), basicConstraints critical CA:FALSE, SKI/AKI, valid `days` days
// (notBefore = now - 5 minutes for clock skew), random positive 128-bit serial (top bit cleared), SHA-256.
KeyPair issue_tls_certificate(const KeyPair& issuer, const std::vector<std::string>& names, KeyType type, int days);

// Return the notAfter of a PEM certificate as a system_clock time point.
std::chrono::system_clock::time_point certificate_not_after(const std::string& cert_pem);

// Return whether cert_pem verifies against the root certificate root_pem, with any
// intermediate certificates in chain_pem (concatenated PEM, may be empty) — X509_verify_cert.
bool certificate_chains_to(const std::string& cert_pem, const std::string& chain_pem, const std::string& root_pem);

}  // namespace clm::server
