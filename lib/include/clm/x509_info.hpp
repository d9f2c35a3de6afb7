// Offline facts about a certificate file: what `clm-cert inspect` prints and what
// `clm-cert update --within` reads before deciding to call the server.
#pragma once

#include <clm/json_io.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace clm
