#include <clm/cert_files.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/json_io.hpp>
#include <clm/output_files.hpp>
#include <clm/sidecar.hpp>

namespace clm {

namespace fs = std::filesystem;

namespace {

// Return the bytes of a certificate field: PEM text as is, DER and PKCS#12 base64-decoded.
std::string field_bytes(const json& body, const char* field, const std::string& format)
{
  const auto found = answer_string(body, field);
  if (!found) {
    throw_bad_answer(field, "is missing");
  }
  const std::string& text = *found;
  if (format == "pem") {
    if (text.find("-----BEGIN ") == std::string::npos) {
      throw_bad_answer(field, "is not PEM");
    }
    return text.back() == '\n' ? text : text + "\n";
  }
  try {
    return base64_decode(text);
  } catch (const Error&) {
    throw_bad_answer(field, "is not base64");
  }
}

// Check the names an answer hands the tools (cert_output, --exec), so a bad one fails
// before any file is written.
void check_answer_names(const json& body)
{
  answer_name(body, "clientkeynumber", Field::keynumber, AnswerUse::value);
  answer_name(body, "cakeynumber", Field::keynumber, AnswerUse::value);
  answer_name(body, "clientserial", Field::certserial, AnswerUse::value);
  answer_name(body, "caserial", Field::certserial, AnswerUse::value);
}

}  // namespace

CertFiles fetched_cert_files(const std::filesystem::path& dir, const std::string& cert_name,
                             const std::string& key_name, const std::string& format, bool ca)
{
  CertFiles files;
  files.dir = dir;
  if (ca) {
    files.ca_name = cert_name;
    files.ca_format = format;
  } else {
    files.cert_name = cert_name;
    files.cert_format = format;
    files.key_name = format == "p12" ? "" : key_name;
  }
  return files;
}

fs::path cert_file_path(const fs::path& dir, const std::string& name, const std::string& format)
{
  return dir / (name + "." + format);
}

std::string default_key_name(const std::string& cert_name)
{
  if (cert_name == "clcert") {
    return "clkey";
  }
  if (cert_name == "svcert") {
    return "svkey";
  }
  if (cert_name == "cert") {
    return "certkey";
  }
  return cert_name + "-key";
}

LeafNames default_leaf_names(const std::string& mode)
{
  return mode == "client" ? LeafNames{"clcert", "clkey"} : LeafNames{"svcert", "svkey"};
}

void check_subject_option(const std::optional<std::string>& subject, const std::string& option)
{
  if (!subject) {
    throw Error(ExitCode::missing_parameter, "missing " + option + " (such as /O=Example/CN=gw01)");
  }
  if (subject->size() > k_max_subject_bytes || subject->find("CN=") == std::string::npos || subject->front() != '/') {
    throw Error(ExitCode::bad_parameter,
                option + ": want /C=../ST=../L=../O=../OU=../CN=.. with CN, at most 512 bytes");
  }
}

void check_format(const std::string& format, const std::string& allowed, const std::string& option)
{
  const std::string padded = "|" + allowed + "|";
  if (format.empty() || format.find('|') != std::string::npos
      || padded.find("|" + format + "|") == std::string::npos) {
    throw Error(ExitCode::bad_parameter, option + ": '" + format + "' is not one of " + allowed);
  }
}

std::vector<std::string> write_cert_answer(const json& body, const CertFiles& f)
{
  std::vector<std::string> written;
  auto add = [&](const std::vector<std::string>& paths) { written.insert(written.end(), paths.begin(), paths.end()); };
  // Decode everything before writing anything, so a bad answer leaves no files behind.
  check_answer_names(body);
  std::optional<std::string> ca, cert, key;
  if (!f.ca_name.empty() && body.contains("cacert")) {
    ca = field_bytes(body, "cacert", f.ca_format);
  }
  if (!f.cert_name.empty() && body.contains("clientcert")) {
    cert = field_bytes(body, "clientcert", f.cert_format);
  }
  if (!f.key_name.empty() && body.contains("privatekey")) {
    key = field_bytes(body, "privatekey", "pem");
  }
  if (ca) {
    add(write_with_sidecar(cert_file_path(f.dir, f.ca_name, f.ca_format), *ca, k_public_mode));
  }
  if (key) {
    add(write_with_sidecar(cert_file_path(f.dir, f.key_name, "pem"), *key, k_secret_mode));
  }
  if (cert) {
    // A PKCS#12 file holds the private key.
    add(write_with_sidecar(cert_file_path(f.dir, f.cert_name, f.cert_format), *cert,
                           f.cert_format == "p12" ? k_secret_mode : k_public_mode));
  }
  return written;
}

json cert_output(const ApiResult& result, const std::string& devicename, const std::vector<std::string>& files)
{
  json out = api_output(result);
  for (const char* secret : {"cacert", "clientcert", "privatekey", "devicekey"}) {
    out.erase(secret);
  }
  out["devicename"] = devicename;
  // keynumber/certserial name the certificate the answer is about, so the next tool
  // in a pipe (clm-cert revoke, get, update) finds it under the request field names.
  for (const auto& [keynumber, serial] :
       {std::pair{"clientkeynumber", "clientserial"}, std::pair{"cakeynumber", "caserial"}}) {
    if (out.contains(keynumber)) {
      out["keynumber"] = answer_name(out, keynumber, Field::keynumber, AnswerUse::value).value_or("");
      out["certserial"] = answer_name(out, serial, Field::certserial, AnswerUse::value).value_or("");
      break;
    }
  }
  out["files"] = files;
  out["changed"] = result.ok();
  return out;
}

}  // namespace clm
