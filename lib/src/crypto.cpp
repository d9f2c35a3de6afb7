#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/openssl.hpp>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

namespace clm {

namespace {

constexpr std::size_t k_nonce_size = 12;
constexpr std::size_t k_tag_size = 16;

[[noreturn]] void throw_openssl(const std::string& what)
{
  throw_openssl_error(what);
}

util::EvpCipherCtxPtr new_cipher_ctx()
{
  util::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    throw_openssl("EVP_CIPHER_CTX_new");
  }
  return ctx;
}

// Algorithms fetched from the default provider once. EVP_aes_256_gcm() and
// EVP_sha256() make OpenSSL 3 look the algorithm up again at every use, under the
// provider store's lock: a server sealing and opening secrets on every request pays
// for that more than for the cipher.
const EVP_CIPHER* aes_256_gcm()
{
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (!cipher) {
    throw_openssl("fetching AES-256-GCM");
  }
  return cipher;
}

const EVP_MD* sha256_md()
{
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) {
    throw_openssl("fetching SHA-256");
  }
  return md;
}

const unsigned char* bytes(std::string_view s)
{
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s)
{
  return reinterpret_cast<unsigned char*>(s.data());
}

}  // namespace

void throw_openssl_error(const std::string& what)
{
  const unsigned long e = ERR_get_error();
  std::string reason = "unknown OpenSSL error";
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  throw Error(ExitCode::internal, what + ": " + reason);
}

std::string random_bytes(std::size_t n)
{
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(bytes(out), static_cast<int>(n)) != 1) {
    throw_openssl("RAND_bytes");
  }
  return out;
}

std::string random_string(std::size_t n, std::string_view alphabet)
{
  if (alphabet.empty() || alphabet.size() > 256) {
    throw Error(ExitCode::internal, "random_string: alphabet must hold 1..256 characters");
  }
  // Rejection sampling: accept bytes below the largest multiple of the alphabet size.
  const std::size_t limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (const char c : random_bytes(n)) {
      const auto b = static_cast<unsigned char>(c);
      if (b < limit && out.size() < n) {
        out.push_back(alphabet[b % alphabet.size()]);
      }
    }
  }
  return out;
}

std::string base64_encode(std::string_view data)
{
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(bytes(out), bytes(data), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string base64_decode(std::string_view text)
{
  if (text.size() % 4 != 0) {
    throw Error(ExitCode::bad_file_format, "not base64: length is not a multiple of 4");
  }
  // EVP_DecodeBlock is lenient about '=': allow at most two, and only at the very end.
  const std::size_t data_end = text.find_last_not_of('=') + 1;
  const std::size_t padding = text.size() - data_end;
  if (padding > 2 || (padding > 0 && data_end == 0)
      || text.substr(0, data_end).find_first_not_of(
           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
           != std::string_view::npos) {
    throw Error(ExitCode::bad_file_format, "not base64");
  }
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int len = EVP_DecodeBlock(bytes(out), bytes(text), static_cast<int>(text.size()));
  if (len < 0) {
    throw Error(ExitCode::bad_file_format, "not base64");
  }
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t n = static_cast<std::size_t>(len);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) {
    --n;
  }
  out.resize(n);
  return out;
}

std::string sha256(std::string_view data)
{
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), bytes(out), &len, sha256_md(), nullptr) != 1) {
    throw_openssl("EVP_Digest(SHA-256)");
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b)
{
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SecretBox::SecretBox(std::string key) : m_key(std::move(key))
{
  if (m_key.size() != k_key_size) {
    throw Error(ExitCode::bad_parameter, "master key must be 32 bytes, not " + std::to_string(m_key.size()));
  }
}

SecretBox::~SecretBox()
{
  OPENSSL_cleanse(m_key.data(), m_key.size());
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associated) const
{
  const std::string nonce = random_bytes(k_nonce_size);
  auto ctx = new_cipher_ctx();
  int len = 0;
  std::string out = nonce;
  out.resize(k_nonce_size + plaintext.size() + k_tag_size);
  unsigned char* ct = bytes(out) + k_nonce_size;
  if (EVP_EncryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, bytes(m_key), bytes(nonce)) != 1
      || EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(associated), static_cast<int>(associated.size())) != 1
      || EVP_EncryptUpdate(ctx.get(), ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1
      || EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size),
                             ct + plaintext.size()) != 1) {
    throw_openssl("AES-256-GCM encryption");
  }
  return out;
}

std::string SecretBox::open(std::string_view sealed, std::string_view associated) const
{
  if (sealed.size() < k_nonce_size + k_tag_size) {
    throw Error(ExitCode::tampered, "sealed secret is too short");
  }
  const std::string_view nonce = sealed.substr(0, k_nonce_size);
  const std::string_view ct = sealed.substr(k_nonce_size, sealed.size() - k_nonce_size - k_tag_size);
  std::string tag(sealed.substr(sealed.size() - k_tag_size));
  std::string out(ct.size(), '\0');
  auto ctx = new_cipher_ctx();
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, bytes(m_key), bytes(nonce)) != 1
      || EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(associated), static_cast<int>(associated.size())) != 1
      || EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(ct), static_cast<int>(ct.size())) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size), tag.data()) != 1) {
    throw_openssl("AES-256-GCM decryption");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    throw Error(ExitCode::tampered, "sealed secret failed authentication (wrong master key or tampered)");
  }
  return out;
}

}  // namespace clm
