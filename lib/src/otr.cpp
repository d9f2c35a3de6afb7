#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/otr.hpp>
#include <clm/util/endian.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace clm {

void BlockCipher::encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const
{
  const std::size_t n = block_size();
  for (std::size_t i = 0; i < count; ++i) {
    encrypt_block(in + i * n, out + i * n);
  }
}

namespace {

// Message pairs (and associated-data blocks) handed to BlockCipher::encrypt_blocks at once:
// the first blocks of all pairs in a batch are independent, and so are the second blocks,
// which lets a pipelined cipher (AES-NI through EVP) overlap them.
constexpr std::size_t k_batch = 32;

template <std::size_t N>
using Block = std::array<std::uint8_t, N>;

const std::uint8_t* bytes(std::string_view s)
{
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

std::uint8_t* bytes(std::string& s)
{
  return reinterpret_cast<std::uint8_t*>(s.data());
}

// dst = a ⊕ b over N bytes, eight at a time (any of them may alias).
template <std::size_t N>
inline void xor_bytes(std::uint8_t* dst, const std::uint8_t* a, const std::uint8_t* b)
{
  for (std::size_t i = 0; i < N; i += 8) {
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    x ^= y;
    std::memcpy(dst + i, &x, 8);
  }
}

template <std::size_t N>
inline void xor_into(Block<N>& x, const Block<N>& y)
{
  xor_bytes<N>(x.data(), x.data(), y.data());
}

template <std::size_t N>
inline Block<N> xor_of(Block<N> x, const Block<N>& y)
{
  xor_into(x, y);
  return x;
}

// Return 2X in GF(2^n): shift left one bit, folding the bit shifted out back in with the
// field's constant (x^128 + x^7 + x^2 + x + 1, or x^64 + x^4 + x^3 + x + 1), without branching.
template <std::size_t N>
inline Block<N> twice(const Block<N>& x)
{
  static_assert(N == 8 || N == 16);
  Block<N> r;
  if constexpr (N == 8) {
    const std::uint64_t v = util::load_be64(x.data());
    util::store_be64((v << 1) ^ (0x1B & (0 - (v >> 63))), r.data());
  } else {
    const std::uint64_t hi = util::load_be64(x.data());
    const std::uint64_t lo = util::load_be64(x.data() + 8);
    util::store_be64((hi << 1) | (lo >> 63), r.data());
    util::store_be64((lo << 1) ^ (0x87 & (0 - (hi >> 63))), r.data() + 8);
  }
  return r;
}

template <std::size_t N>
Block<N> thrice(const Block<N>& x)
{
  return xor_of(twice(x), x);
}

// Return 3²X = (x+1)²X = 4X ⊕ X.
template <std::size_t N>
Block<N> three_squared(const Block<N>& x)
{
  return xor_of(twice(twice(x)), x);
}

// Return 7X = 4X ⊕ 2X ⊕ X.
template <std::size_t N>
Block<N> seven(const Block<N>& x)
{
  const Block<N> x2 = twice(x);
  return xor_of(xor_of(twice(x2), x2), x);
}

// Return ozp(p[0..len)): the bytes, then 0x80 and zeros up to N when len < N.
template <std::size_t N>
Block<N> ozp(const std::uint8_t* p, std::size_t len)
{
  Block<N> b{};
  std::copy_n(p, len, b.begin());
  if (len < N) {
    b[len] = 0x80;
  }
  return b;
}

template <std::size_t N>
Block<N> load(const std::uint8_t* p)
{
  Block<N> b;
  std::copy_n(p, N, b.begin());
  return b;
}

// One OTR computation over an N-byte block cipher, nonce and tag size already checked.
template <std::size_t N>
class Otr {
public:
  Otr(const BlockCipher& cipher, OtrMode mode, std::string_view nonce, std::size_t tag_size)
    : m_cipher(cipher), m_mode(mode), m_nonce(nonce), m_tag_size(tag_size)
  {
  }

  std::string seal(std::string_view associated, std::string_view plaintext) const
  {
    const Block<N> ta = associated_tag(associated);
    std::string out(plaintext.size() + m_tag_size, '\0');
    Block<N> tag = crypt<Direction::encrypt>(ta, bytes(plaintext), plaintext.size(), bytes(out));
    if (m_mode == OtrMode::parallel) {
      xor_into(tag, ta);
    }
    std::copy_n(tag.begin(), m_tag_size, bytes(out) + plaintext.size());
    return out;
  }

  std::string open(std::string_view associated, std::string_view sealed) const
  {
    if (sealed.size() < m_tag_size) {
      throw Error(ExitCode::tampered, "OTR sealed text is shorter than its tag");
    }
    const std::size_t len = sealed.size() - m_tag_size;
    const Block<N> ta = associated_tag(associated);
    std::string out(len, '\0');
    Block<N> tag = crypt<Direction::decrypt>(ta, bytes(sealed), len, bytes(out));
    if (m_mode == OtrMode::parallel) {
      xor_into(tag, ta);
    }
    if (CRYPTO_memcmp(tag.data(), bytes(sealed) + len, m_tag_size) != 0) {
      OPENSSL_cleanse(out.data(), out.size());
      throw Error(ExitCode::tampered, "OTR authentication failed (wrong key, nonce or associated data, or tampered)");
    }
    return out;
  }

private:
  enum class Direction { encrypt, decrypt };

  Block<N> encrypt(const Block<N>& x) const
  {
    Block<N> y;
    m_cipher.encrypt_block(x.data(), y.data());
    return y;
  }

  // Return Format(tau, N) = num2str(tau mod n, 7) || 0* || 1 || N as one block.
  Block<N> format() const
  {
    Block<N> f{};
    f[0] = static_cast<std::uint8_t>(((m_tag_size * 8) % (N * 8)) << 1);
    const std::size_t at = N - m_nonce.size();
    std::copy_n(bytes(m_nonce), m_nonce.size(), f.begin() + static_cast<std::ptrdiff_t>(at));
    f[at - 1] |= 1;
    return f;
  }

  // Return TA, the associated data's contribution (zero when there is none).
  Block<N> associated_tag(std::string_view associated) const
  {
    if (associated.empty()) {
      return Block<N>{};
    }
    const std::uint8_t* a = bytes(associated);
    const std::size_t before_last = (associated.size() - 1) / N;
    const std::size_t last_len = associated.size() - before_last * N;
    Block<N> q = encrypt(Block<N>{});
    Block<N> xi{};
    if (m_mode == OtrMode::parallel) {
      // Ξ = ⊕ E(Q_i ⊕ A_i) with Q_i = 2^(i-1) Q; TA = E(Ξ ⊕ ozp(A_a) ⊕ 3Q_a or 3²Q_a).
      std::array<std::uint8_t, k_batch * N> in;
      std::array<std::uint8_t, k_batch * N> out;
      for (std::size_t i = 0; i < before_last;) {
        const std::size_t k = std::min(k_batch, before_last - i);
        for (std::size_t t = 0; t < k; ++t) {
          xor_bytes<N>(&in[t * N], q.data(), a + (i + t) * N);
          q = twice(q);
        }
        m_cipher.encrypt_blocks(in.data(), out.data(), k);
        for (std::size_t t = 0; t < k; ++t) {
          xor_bytes<N>(xi.data(), xi.data(), &out[t * N]);
        }
        i += k;
      }
      xor_into(xi, ozp<N>(a + before_last * N, last_len));
      xor_into(xi, last_len == N ? three_squared(q) : thrice(q));
    } else {
      // CBC over all but the last block, then TA = E(Ξ ⊕ ozp(A_a) ⊕ 4Q (full) or 2Q (partial)).
      // The published S-mode answers pin only a single full block (4Q); the CBC chain and
      // the partial-block 2Q follow the AES-OTR v3 description.
      for (std::size_t i = 0; i < before_last; ++i) {
        xor_into(xi, load<N>(a + i * N));
        xi = encrypt(xi);
      }
      xor_into(xi, ozp<N>(a + before_last * N, last_len));
      const Block<N> q2 = twice(q);
      xor_into(xi, last_len == N ? twice(q2) : q2);
    }
    return encrypt(xi);
  }

  // Encrypt or decrypt len bytes from in to out; return TE.
  template <Direction D>
  Block<N> crypt(const Block<N>& ta, const std::uint8_t* in, std::size_t len, std::uint8_t* out) const
  {
    Block<N> l = encrypt(format());
    if (m_mode == OtrMode::serial) {
      l = twice(xor_of(l, ta));
    }
    Block<N> l_star = thrice(l);
    Block<N> sigma{};

    // m blocks (an empty message is one empty block); all pairs but the last chunk.
    // Encrypt: C1 = E(L ⊕ M1) ⊕ M2, C2 = E(L* ⊕ C1) ⊕ M1, Σ ^= M2.
    // Decrypt: M1 = E(L* ⊕ C1) ⊕ C2, M2 = E(L ⊕ M1) ⊕ C1, Σ ^= M2.
    const std::size_t m = len == 0 ? 1 : (len + N - 1) / N;
    const std::size_t pairs = (m - 1) / 2;
    std::array<std::uint8_t, k_batch * N> first;   // E inputs of the pairs' first blocks
    std::array<std::uint8_t, k_batch * N> second;  // E inputs of the pairs' second blocks
    std::array<std::uint8_t, k_batch * N> masks;   // the mask of each pair's second E input
    std::array<std::uint8_t, k_batch * N> z;
    for (std::size_t i = 0; i < pairs;) {
      const std::size_t k = std::min(k_batch, pairs - i);
      const std::uint8_t* src = in + 2 * i * N;
      std::uint8_t* dst = out + 2 * i * N;
      for (std::size_t t = 0; t < k; ++t) {
        const std::uint8_t* x1 = src + 2 * t * N;  // M1 or C1
        if constexpr (D == Direction::encrypt) {
          xor_bytes<N>(&first[t * N], l.data(), x1);
          std::memcpy(&masks[t * N], l_star.data(), N);
        } else {
          xor_bytes<N>(&first[t * N], l_star.data(), x1);
          std::memcpy(&masks[t * N], l.data(), N);
        }
        xor_into(l, l_star);  // 2L
        l_star = twice(l_star);
      }
      m_cipher.encrypt_blocks(first.data(), z.data(), k);
      for (std::size_t t = 0; t < k; ++t) {
        const std::uint8_t* x2 = src + 2 * t * N + N;  // M2 or C2
        std::uint8_t* y1 = dst + 2 * t * N;            // C1 or M1
        xor_bytes<N>(y1, &z[t * N], x2);
        xor_bytes<N>(&second[t * N], &masks[t * N], y1);
        if constexpr (D == Direction::encrypt) {
          xor_bytes<N>(sigma.data(), sigma.data(), x2);
        }
      }
      m_cipher.encrypt_blocks(second.data(), z.data(), k);
      for (std::size_t t = 0; t < k; ++t) {
        const std::uint8_t* x1 = src + 2 * t * N;
        std::uint8_t* y2 = dst + 2 * t * N + N;  // C2 or M2
        xor_bytes<N>(y2, &z[t * N], x1);
        if constexpr (D == Direction::decrypt) {
          xor_bytes<N>(sigma.data(), sigma.data(), y2);
        }
      }
      i += k;
    }

    // The last chunk: one block (m odd) or two (m even), the very last of last_len bytes.
    const std::size_t done = 2 * pairs * N;
    const std::size_t last_len = len - (m - 1) * N;
    Block<N> la;
    if (m % 2 == 1) {
      const Block<N> pad = encrypt(l);
      for (std::size_t b = 0; b < last_len; ++b) {
        out[done + b] = static_cast<std::uint8_t>(pad[b] ^ in[done + b]);
      }
      const std::uint8_t* plain = D == Direction::encrypt ? in + done : out + done;
      xor_into(sigma, ozp<N>(plain, last_len));
      la = l;
    } else {
      const std::uint8_t* x1 = in + done;  // M_(m-1) or C_(m-1)
      const std::uint8_t* x2 = x1 + N;     // M_m or C_m
      std::uint8_t* y1 = out + done;
      std::uint8_t* y2 = y1 + N;
      Block<N> zz;
      if constexpr (D == Direction::encrypt) {
        // Z = E(L ⊕ M_(m-1)); C_m = msb(Z) ⊕ M_m; C_(m-1) = E(L* ⊕ ozp(C_m)) ⊕ M_(m-1).
        zz = encrypt(xor_of(l, load<N>(x1)));
        for (std::size_t b = 0; b < last_len; ++b) {
          y2[b] = static_cast<std::uint8_t>(zz[b] ^ x2[b]);
        }
        const Block<N> c_last = ozp<N>(y2, last_len);
        const Block<N> head = encrypt(xor_of(l_star, c_last));
        for (std::size_t b = 0; b < N; ++b) {
          y1[b] = static_cast<std::uint8_t>(head[b] ^ x1[b]);
        }
        xor_into(sigma, xor_of(zz, c_last));
      } else {
        // M_(m-1) = E(L* ⊕ ozp(C_m)) ⊕ C_(m-1); Z = E(L ⊕ M_(m-1)); M_m = msb(Z) ⊕ C_m.
        const Block<N> c_last = ozp<N>(x2, last_len);
        const Block<N> head = encrypt(xor_of(l_star, c_last));
        for (std::size_t b = 0; b < N; ++b) {
          y1[b] = static_cast<std::uint8_t>(head[b] ^ x1[b]);
        }
        zz = encrypt(xor_of(l, load<N>(y1)));
        for (std::size_t b = 0; b < last_len; ++b) {
          y2[b] = static_cast<std::uint8_t>(zz[b] ^ x2[b]);
        }
        xor_into(sigma, xor_of(zz, c_last));
      }
      la = l_star;
    }
    xor_into(sigma, last_len == N ? seven(la) : three_squared(la));
    return encrypt(sigma);
  }

  const BlockCipher& m_cipher;
  OtrMode m_mode;
  std::string_view m_nonce;
  std::size_t m_tag_size;
};

void check_parameters(const BlockCipher& cipher, std::string_view nonce, std::size_t tag_size)
{
  const std::size_t n = cipher.block_size();
  if (n != 8 && n != 16) {
    throw Error(ExitCode::bad_parameter, "OTR needs a 64- or 128-bit block cipher, not " + std::to_string(8 * n) + "-bit");
  }
  if (nonce.empty() || nonce.size() > n - 1) {
    throw Error(ExitCode::bad_parameter, "OTR nonce must be 1.." + std::to_string(n - 1) + " bytes for a "
                                           + std::to_string(8 * n) + "-bit block, not " + std::to_string(nonce.size()));
  }
  if (tag_size == 0 || tag_size > n) {
    throw Error(ExitCode::bad_parameter, "OTR tag must be 1.." + std::to_string(n) + " bytes for a "
                                           + std::to_string(8 * n) + "-bit block, not " + std::to_string(tag_size));
  }
}

void check_twine_otr_key(std::string_view key)
{
  if (key.size() != k_twine_otr_key_size) {
    throw Error(ExitCode::bad_parameter, "TWINE-OTR key must be 16 bytes, not " + std::to_string(key.size()));
  }
}

}  // namespace

std::string otr_seal(const BlockCipher& cipher, OtrMode mode, std::string_view nonce, std::string_view associated,
                     std::string_view plaintext, std::size_t tag_size)
{
  check_parameters(cipher, nonce, tag_size);
  if (cipher.block_size() == 16) {
    return Otr<16>(cipher, mode, nonce, tag_size).seal(associated, plaintext);
  }
  return Otr<8>(cipher, mode, nonce, tag_size).seal(associated, plaintext);
}

std::string otr_open(const BlockCipher& cipher, OtrMode mode, std::string_view nonce, std::string_view associated,
                     std::string_view sealed, std::size_t tag_size)
{
  check_parameters(cipher, nonce, tag_size);
  if (cipher.block_size() == 16) {
    return Otr<16>(cipher, mode, nonce, tag_size).open(associated, sealed);
  }
  return Otr<8>(cipher, mode, nonce, tag_size).open(associated, sealed);
}

AesBlockCipher::AesBlockCipher(std::string_view key)
{
  const EVP_CIPHER* type = nullptr;
  switch (key.size()) {
  case 16:
    type = EVP_aes_128_ecb();
    break;
  case 24:
    type = EVP_aes_192_ecb();
    break;
  case 32:
    type = EVP_aes_256_ecb();
    break;
  default:
    throw Error(ExitCode::bad_parameter, "AES key must be 16, 24 or 32 bytes, not " + std::to_string(key.size()));
  }
  m_ctx.reset(EVP_CIPHER_CTX_new());
  if (!m_ctx) {
    throw_openssl_error("EVP_CIPHER_CTX_new");
  }
  if (EVP_EncryptInit_ex(m_ctx.get(), type, nullptr, bytes(key), nullptr) != 1
      || EVP_CIPHER_CTX_set_padding(m_ctx.get(), 0) != 1) {
    throw_openssl_error("AES-ECB key setup");
  }
}

void AesBlockCipher::CtxFree::operator()(evp_cipher_ctx_st* ctx) const
{
  EVP_CIPHER_CTX_free(ctx);
}

void AesBlockCipher::encrypt_block(const std::uint8_t* in, std::uint8_t* out) const
{
  encrypt_blocks(in, out, 1);
}

void AesBlockCipher::encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const
{
  // ECB without padding keeps no partial block, so one context serves every call.
  constexpr std::size_t k_max_blocks = (1u << 30) / 16;
  while (count > 0) {
    const std::size_t k = std::min(count, k_max_blocks);
    int len = 0;
    if (EVP_EncryptUpdate(m_ctx.get(), out, &len, in, static_cast<int>(k * 16)) != 1) {
      throw_openssl_error("AES-ECB encryption");
    }
    in += k * 16;
    out += k * 16;
    count -= k;
  }
}

void TwineBlockCipher::encrypt_block(const std::uint8_t* in, std::uint8_t* out) const
{
  m_twine.encrypt_block(in, out);
}

void TwineBlockCipher::encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const
{
  m_twine.encrypt_blocks(in, out, count);
}

std::string twine_otr_seal(std::string_view key, std::string_view plaintext, std::string_view associated)
{
  check_twine_otr_key(key);
  const TwineBlockCipher cipher(key);
  std::string nonce = random_bytes(k_twine_otr_nonce_size);
  return nonce + otr_seal(cipher, OtrMode::parallel, nonce, associated, plaintext, k_twine_otr_tag_size);
}

std::string twine_otr_open(std::string_view key, std::string_view sealed, std::string_view associated)
{
  check_twine_otr_key(key);
  if (sealed.size() < k_twine_otr_nonce_size + k_twine_otr_tag_size) {
    throw Error(ExitCode::bad_file_format, "TWINE-OTR sealed text is " + std::to_string(sealed.size())
                                             + " bytes, shorter than nonce and tag (15)");
  }
  const TwineBlockCipher cipher(key);
  return otr_open(cipher, OtrMode::parallel, sealed.substr(0, k_twine_otr_nonce_size), associated,
                  sealed.substr(k_twine_otr_nonce_size), k_twine_otr_tag_size);
}

}  // namespace clm
