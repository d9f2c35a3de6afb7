// std::unique_ptr for the OpenSSL 3 objects the tools and the server hold, each freed
// by its own free function.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace clm::util {

// Deleter calling an OpenSSL free function, so std::unique_ptr stays pointer-sized.
template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const
  {
    Free(p);
  }
};

// Own a T freed with Free.
template <typename T, auto Free>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<Free>>;

// Free memory OpenSSL allocated (OPENSSL_free is a macro, so it has no address).
inline void openssl_free(void* p)
{
  OPENSSL_free(p);
}

// Free a stack of certificates and every certificate on it.
inline void free_x509_stack(STACK_OF(X509) * s)
{
  sk_X509_pop_free(s, X509_free);
}

using OpenSslString = OpenSslPtr<char, openssl_free>;  // text such as BN_bn2hex returns
using OpenSslBytes = OpenSslPtr<unsigned char, openssl_free>;  // bytes such as i2d_X509 returns
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using SecretBignumPtr = OpenSslPtr<BIGNUM, BN_clear_free>;  // wiped when freed
using Asn1IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1StringPtr = OpenSslPtr<ASN1_STRING, ASN1_STRING_free>;
using Asn1TimePtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdPtr = OpenSslPtr<EVP_MD, EVP_MD_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMacPtr = OpenSslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OpenSslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509StackPtr = OpenSslPtr<STACK_OF(X509), free_x509_stack>;
using X509NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using X509RevokedPtr = OpenSslPtr<X509_REVOKED, X509_REVOKED_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using Pkcs12Ptr = OpenSslPtr<PKCS12, PKCS12_free>;

// Return a read-only memory BIO over text, which must outlive it; Error(internal) naming
// what when it cannot be made.
BioPtr memory_bio(std::string_view text, const char* what);

// Return the first certificate of PEM text; Error(internal) naming what when there is none.
X509Ptr read_pem_certificate(std::string_view pem, const char* what);

// Return the DER encoding i2d writes for object, or nullopt when it fails (OpenSSL's
// error queue says why).
template <typename T>
std::optional<std::string> to_der(int (*i2d)(const T*, unsigned char**), const T* object)
{
  unsigned char* raw = nullptr;
  const int n = i2d(object, &raw);
  if (n <= 0) {
    return std::nullopt;
  }
  const OpenSslBytes owned(raw);
  return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<std::size_t>(n));
}

}  // namespace clm::util
