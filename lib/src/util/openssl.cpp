#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/openssl.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <string>

namespace clm::util {

BioPtr memory_bio(std::string_view text, const char* what)
{
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    throw Error(ExitCode::internal, std::string(what) + ": text too large for a memory BIO");
  }
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    throw_openssl_error(std::string(what) + ": BIO_new_mem_buf");
  }
  return bio;
}

X509Ptr read_pem_certificate(std::string_view pem, const char* what)
{
  const BioPtr bio = memory_bio(pem, what);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    throw_openssl_error(std::string(what) + ": cannot parse PEM certificate");
  }
  return cert;
}

}  // namespace clm::util
