// /SWCLM/CredInfo: issue, fetch, renew and revoke certificates (WebAPI reference
// chapter 4), and the CRL of the issuing CA (our extension, GET /SWCLM/CRL).
#pragma once

#include "api.hpp"
#include "ca.hpp"
#include "device_registry.hpp"
#include "id_service.hpp"
#include "store.hpp"

#include <clm/crypto.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace clm::server {

// How issued certificates look (clm-server.conf cert_lifetime; the key type follows the CA's).
struct CertPolicy {
  std::chrono::seconds lifetime{std::chrono::hours(24 * 365)};
  KeyType key_type = KeyType::rsa2048;
  // Names no certificate's CN may take, so that no device can pose as the server: the
  // server's own TLS names (serve adds them) and the loopback names.
  std::vector<std::string> reserved_names{"localhost", "127.0.0.1", "::1"};
};

// Give the CA certificates "CA" and "ca1" (in that order) key numbers and rows in the
// certificate table when they have none yet; data directories made before the
// certificate API get them on their next start. Error(bad_file_format) when a pair is missing.
void register_ca_certificates(Store& store, std::int64_t now_ms);

class CredService {
public:
  // Register the CA certificates if needed and load the issuing CA "ca1" from store.
  CredService(Store& store, const SecretBox& box, const IdService& ids, CertPolicy policy, Clock clock);

  // Handle POST: mode create (201), get, update or revoke (200), or throw ApiError.
  ApiResponse post(std::string_view body);

  // Return the CRL of catype (default and only "ca1") as PEM; throw ApiError 1302 for
  // another catype. A CRL is re-signed when the revoked set changed or a day passed.
  std::string crl(const std::optional<std::string>& catype);

private:
  // Each mode handles req for the authenticated ID keyid.
  ApiResponse create(const json& req, std::int64_t keyid);
  ApiResponse get(const json& req, std::int64_t keyid);
  ApiResponse update(const json& req, std::int64_t keyid);
  ApiResponse revoke(const json& req, std::int64_t keyid);

  // A leaf certificate signed by ca1, not yet stored.
  struct SignedLeaf {
    std::vector<SubjectEntry> subject;
    CertKind kind = CertKind::client;
    std::string serial;
    std::string der;
    std::int64_t now_ms = 0;
  };

  // Sign a new leaf over key with a fresh serial, valid from now_ms (whole seconds);
  // needs no transaction, so the signing of several requests runs in parallel.
  SignedLeaf sign_leaf(const std::vector<SubjectEntry>& subject, CertKind kind, const PrivateKey& key,
                       std::int64_t now_ms) const;
  // Insert leaf for device with key sealed; a serial that is already taken (all but
  // impossible with 64 random bits) is drawn and signed again. Call inside a transaction.
  CertRecord store_leaf(const std::string& deviceid, SignedLeaf leaf, const PrivateKey& key,
                        const std::string& filepath);
  std::string private_key_of(const CertRecord& cert) const;
  // Put the certificate and its key (key_pem) into body as certtype asks.
  void put_client(json& body, const CertRecord& cert, const std::string& key_pem, const std::string& certtype,
                  const std::optional<std::string>& passphrase) const;
  void record(std::int64_t keyid, const std::string& deviceid, const char* mode, std::int64_t keynumber,
              const std::string& filepath, std::int64_t now_ms);


  Store& m_store;
  const SecretBox& m_box;
  const IdService& m_ids;
  CertPolicy m_policy;
  Clock m_clock;
  DeviceRegistry m_devices;
  CertRecord m_root;  // "CA"
  CertRecord m_ca1;   // "ca1", the issuer of every leaf
  std::string m_root_pem;   // m_root as PEM, made once
  std::string m_chain_pem;  // ca1 then the root, as a leaf's answer carries them
  Issuer m_issuer;
  std::mutex m_crl_mutex;  // one CRL signed at a time in this process
};

}  // namespace clm::server
