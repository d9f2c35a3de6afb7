// Turning a CredInfo answer into files on the device, and into the JSON a tool prints.
#pragma once

#include <clm/http_client.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace clm {

// Where each part of an answer goes; an empty name means "do not write that part".
struct CertFiles {
  std::filesystem::path dir;
  std::string ca_name;
  std::string ca_format = "pem";    // pem | der
  std::string cert_name;
  std::string cert_format = "pem";  // pem | der | p12
  std::string key_name;             // private keys are always .pem
};

// Return the files a fetched certificate (CredInfo get) goes to: a CA certificate as
// dir/cert_name.EXT; a leaf as dir/cert_name.EXT with its key as dir/key_name.pem, or
// without a key file for p12, which holds the key.
CertFiles fetched_cert_files(const std::filesystem::path& dir, const std::string& cert_name,
                             const std::string& key_name, const std::string& format, bool ca);

// Return dir/name.ext for a format (pem, der or p12).
std::filesystem::path cert_file_path(const std::filesystem::path& dir, const std::string& name,
                                     const std::string& format);

// Return the private key file name that goes with a certificate file name: clkey for
// clcert, svkey for svcert, certkey for cert, NAME-key otherwise.
std::string default_key_name(const std::string& cert_name);

// Certificate and private key file names of a leaf certificate by mode: clcert/clkey
// for client, svcert/svkey for server (command reference certcreate).
struct LeafNames {
  std::string cert;
  std::string key;
};

// Return the default LeafNames of mode (client or server).
LeafNames default_leaf_names(const std::string& mode);

// Throw Error(missing_parameter) naming option when subject is absent, Error(bad_parameter)
// unless it looks like /C=../ST=../L=../O=../OU=../CN=.. with CN, at most 512 bytes.
void check_subject_option(const std::optional<std::string>& subject, const std::string& option);

// Throw Error(bad_parameter) naming option unless format is one of allowed ("pem|der").
void check_format(const std::string& format, const std::string& allowed, const std::string& option);

// Write cacert, clientcert and privatekey of an answer body (each when present and its
// name is set): certificates 0644, private keys and PKCS#12 0600, each with a .sha256
// sidecar. Return the paths written. throw_bad_answer, before any file is written,
// when a field does not decode or a field the tools read (clientkeynumber, cakeynumber,
// clientserial, caserial) is of the wrong type or value.
std::vector<std::string> write_cert_answer(const json& body, const CertFiles& files);

// Return what a tool prints for an answer: the server's fields without certificate and
// key material (they are in files) and without devicekey (kept in the state dir), plus
// devicename, keynumber/certserial of the certificate it is about, files and changed;
// throw_bad_answer naming the field when one of those is of the wrong type or value.
json cert_output(const ApiResult& result, const std::string& devicename, const std::vector<std::string>& files);

}  // namespace clm
