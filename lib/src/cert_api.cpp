#include <clm/cert_api.hpp>

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/openssl.hpp>

#include <openssl/pem.h>

namespace clm {

namespace {

// Return the plain PKCS#8 PEM of an encrypted PEM private key; Error(http_error) naming
// the answer's field when it does not decrypt with passphrase.
std::string decrypt_answer_key(const std::string& pem, const std::string& passphrase)
{
  const util::BioPtr in = util::memory_bio(pem, "privatekey");
  const util::EvpPkeyPtr key(
    PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, const_cast<char*>(passphrase.c_str())));
  if (!key) {
    throw Error(ExitCode::http_error, "server answer: privatekey does not decrypt with the passphrase sent");
  }
  const util::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl_error("writing the private key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void put_target(json& j, const CertSelector& s, const char* keynumber_field, const char* serial_field)
{
  put_optional(j, keynumber_field, s.keynumber);
  put_optional(j, serial_field, s.certserial);
}

}  // namespace

ApiResult cert_create(const Connection& conn, const DeviceCaller& caller, const CertCreate& req)
{
  json j = device_request("create", caller);
  j["certmode"] = req.certmode;
  j["catype"] = req.catype;
  j["cacerttype"] = req.cacerttype;
  j["keyfilepath"] = "/tmp/key";  // the reference fixes this management value
  j["cafilepath"] = req.cafilepath;
  if (req.certmode != "caonly") {
    j["clientcerttype"] = req.clientcerttype;
    j["clientfilepath"] = req.clientfilepath;
  }
  put_optional(j, "clientsubject", req.subject);
  put_optional(j, "passphrase", req.passphrase);
  put_device_facts(j, req.device);
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_get(const Connection& conn, const DeviceCaller& caller, const CertGet& req)
{
  json j = device_request("get", caller);
  put_target(j, req.target, "keynumber", "certserial");
  j["catype"] = req.catype;
  j["certtype"] = req.certtype;
  put_optional(j, "passphrase", req.passphrase);
  j["filepath"] = req.filepath;
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_update(const Connection& conn, const DeviceCaller& caller, const CertUpdate& req)
{
  json j = device_request("update", caller);
  put_target(j, req.target, "keynumber", "certserial");
  put_target(j, req.adopt, "newkeynumber", "newcertserial");
  j["catype"] = "ca1";
  j["certtype"] = req.certtype;
  // 4.3: an update that makes a new key must send the passphrase that encrypts it. When
  // the user gave none, a one-time passphrase keeps the key encrypted on the wire, and the
  // key is decrypted here, to be written unencrypted as create writes it without one.
  const bool makes_key = !req.adopt.keynumber && !req.adopt.certserial;
  std::optional<std::string> one_time;
  if (makes_key && !req.passphrase) {
    one_time = random_string(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+");
  }
  put_optional(j, "passphrase", one_time ? one_time : req.passphrase);
  j["filepath"] = req.filepath;
  j["newfilepath"] = req.newfilepath;
  ApiResult r = call_api(conn, k_credinfo_path, j);
  if (one_time && r.ok()) {
    if (const auto key = r.body.find("privatekey"); key != r.body.end() && key->is_string()) {
      *key = decrypt_answer_key(key->get<std::string>(), *one_time);
    }
  }
  return r;
}

ApiResult cert_revoke(const Connection& conn, const DeviceCaller& caller, const CertRevoke& req)
{
  json j = device_request("revoke", caller);
  put_target(j, req.target, "keynumber", "certserial");
  j["catype"] = "ca1";
  put_optional(j, "filepath", req.filepath);
  return call_api(conn, k_credinfo_path, j);
}

}  // namespace clm
