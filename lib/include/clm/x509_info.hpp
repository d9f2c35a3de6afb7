// Facts read out of X.509 certificates, for the tools and the server alike: what
// `clm-cert inspect` prints, what `clm-cert update --within` reads before deciding to
// call the server, what the server's store keeps of a CA certificate and the names its
// TLS certificate is issued for. The one place that reads certificates' fields.
#pragma once

#include <clm/json_io.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

struct CertificateInfo {
  std::string subject;      // OpenSSL one-line form, "/C=JP/O=NEC/CN=gw01"
  std::string issuer;
  std::string serial;       // upper-case hex, as the WebAPI spells serials
  std::string not_before;   // ISO 8601 UTC
  std::string not_after;
  std::chrono::system_clock::time_point not_after_time;
  std::string sha256_fingerprint;  // upper-case hex pairs joined by ':'
  std::string key_type;            // "RSA-2048", "EC-P-256", ...
};

// Parse the first certificate of a PEM, DER or PKCS#12 file's bytes. PKCS#12 needs
// passphrase. Throws Error(bad_file_format) naming what when the bytes hold no certificate.
CertificateInfo inspect_certificate(std::string_view bytes, const std::string& what,
                                    const std::optional<std::string>& passphrase = std::nullopt);

// Return info as JSON, with days_left (whole days from now until not_after, negative once expired).
json certificate_json(const CertificateInfo& info, std::chrono::system_clock::time_point now);

// What a store keeps of a certificate.
struct CertificateFacts {
  std::string der;
  std::string serial_hex;  // upper case, as OpenSSL prints it
  std::string subject;     // /O=clm/CN=ca1 form
  std::chrono::system_clock::time_point not_after;
};

// Return the facts of a PEM certificate; Error(internal) with OpenSSL's reason when it
// does not parse.
CertificateFacts certificate_facts(std::string_view cert_pem);

// Return the notAfter of a PEM certificate; Error(internal) when it does not parse.
std::chrono::system_clock::time_point certificate_not_after(std::string_view cert_pem);

// Return the DNS names and IP addresses (as inet_ntop prints them) a PEM certificate
// is issued for: its subjectAltName entries, or every CN when it has no subjectAltName;
// Error(internal) when it does not parse.
std::vector<std::string> certificate_names(std::string_view cert_pem);

}  // namespace clm
