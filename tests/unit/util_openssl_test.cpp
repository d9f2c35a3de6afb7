// Tests of util/openssl: the owning pointers free what they hold and cost one pointer.
#include <clm/util/openssl.hpp>

#include <openssl/err.h>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace util = clm::util;

TEST(OpenSslPtr, is_pointer_sized)
{
  static_assert(sizeof(util::X509Ptr) == sizeof(X509*));
  static_assert(sizeof(util::OpenSslString) == sizeof(char*));
  SUCCEED();
}

TEST(OpenSslPtr, owns_and_frees_objects)
{
  // Run under the sanitizers, a missed or double free here fails the build's tests.
  util::BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_TRUE(bio);
  EXPECT_EQ(BIO_write(bio.get(), "abc", 3), 3);
  util::BignumPtr bn(BN_new());
  ASSERT_TRUE(bn);
  ASSERT_EQ(BN_set_word(bn.get(), 0xABCDEF), 1);
  const util::OpenSslString hex(BN_bn2hex(bn.get()));
  ASSERT_TRUE(hex);
  EXPECT_EQ(std::string(hex.get()), "ABCDEF");
  const util::EvpMdCtxPtr md(EVP_MD_CTX_new());
  EXPECT_TRUE(md);
  const util::EvpCipherCtxPtr cipher(EVP_CIPHER_CTX_new());
  EXPECT_TRUE(cipher);
}

TEST(OpenSslPtr, certificate_stack_frees_its_certificates)
{
  util::X509StackPtr stack(sk_X509_new_null());
  ASSERT_TRUE(stack);
  for (int i = 0; i < 3; ++i) {
    util::X509Ptr cert(X509_new());
    ASSERT_TRUE(cert);
    ASSERT_GT(sk_X509_push(stack.get(), cert.get()), 0);
    static_cast<void>(cert.release());  // the stack owns it now
  }
  EXPECT_EQ(sk_X509_num(stack.get()), 3);
}

TEST(ToDer, returns_what_i2d_writes)
{
  util::Asn1IntegerPtr n(ASN1_INTEGER_new());
  ASSERT_TRUE(n);
  ASSERT_EQ(ASN1_INTEGER_set(n.get(), 0x1234), 1);
  EXPECT_EQ(util::to_der(i2d_ASN1_INTEGER, n.get()), std::string("\x02\x02\x12\x34", 4));
}

TEST(ToDer, failure_is_nullopt)
{
  // A certificate with nothing set cannot be encoded.
  const util::X509Ptr empty(X509_new());
  ASSERT_TRUE(empty);
  EXPECT_FALSE(util::to_der(i2d_X509, empty.get()));
  ERR_clear_error();
}

}  // namespace
