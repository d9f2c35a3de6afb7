// Fuzz TWINE-OTR and the text codecs around it. The first 16 bytes are the key (shorter
// inputs pad with zeros), the rest is the sealed text to open; opening must refuse
// (tampered, or too short) or return plaintext that seals and opens back. A round trip
// over the same bytes as plaintext must return them, and the base64 and hex decoders
// must refuse or decode to bytes that encode back to an equivalent text.
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/otr.hpp>
#include <clm/util/hex.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool ok, const char* what)
{
  if (!ok) {
    std::fprintf(stderr, "fuzz_twine_otr: property failed: %s\n", what);
    std::abort();
  }
}

void fuzz_open(const std::string& key, std::string_view rest)
{
  // The associated data is a split of rest too, so it gets fuzzed as well.
  const std::string_view associated = rest.substr(0, rest.empty() ? 0 : rest[0] % 8);
  try {
    const std::string plain = clm::twine_otr_open(key, rest, associated);
    // Forged only by chance (2^-64): the plaintext is as long as the ciphertext.
    require(plain.size() + clm::k_twine_otr_nonce_size + clm::k_twine_otr_tag_size == rest.size(),
            "opened plaintext has the wrong length");
  } catch (const clm::Error& e) {
    require(e.code() == clm::ExitCode::tampered || e.code() == clm::ExitCode::bad_file_format,
            "twine_otr_open threw an unexpected exit code");
    if (rest.size() < clm::k_twine_otr_nonce_size + clm::k_twine_otr_tag_size) {
      require(e.code() == clm::ExitCode::bad_file_format, "a too-short text is not bad_file_format");
    }
  }
}

void fuzz_round_trip(const std::string& key, std::string_view plain)
{
  const std::string_view associated = plain.substr(0, plain.size() / 3);
  const std::string sealed = clm::twine_otr_seal(key, plain, associated);
  require(sealed.size() == plain.size() + clm::k_twine_otr_nonce_size + clm::k_twine_otr_tag_size,
          "sealed text has the wrong length");
  require(clm::twine_otr_open(key, sealed, associated) == plain, "seal then open did not give the plaintext");
  if (!sealed.empty()) {
    std::string flipped = sealed;
    flipped[plain.size() % flipped.size()] ^= 0x01;
    try {
      (void)clm::twine_otr_open(key, flipped, associated);
      require(false, "a flipped bit was not detected");
    } catch (const clm::Error& e) {
      require(e.code() == clm::ExitCode::tampered, "a flipped bit is not tampered");
    }
  }
}

void fuzz_codecs(std::string_view text)
{
  try {
    const std::string bytes = clm::base64_decode(text);
    // Decoding is lenient about nothing it would not write back: re-encode and decode.
    require(clm::base64_decode(clm::base64_encode(bytes)) == bytes, "base64 round trip changed the bytes");
  } catch (const clm::Error& e) {
    require(e.code() == clm::ExitCode::bad_file_format, "base64_decode threw an unexpected exit code");
  }
  require(clm::base64_decode(clm::base64_encode(text)) == text, "base64 encode/decode changed the bytes");
  try {
    const std::string bytes = clm::util::hex_decode(text);
    require(clm::util::hex_decode(clm::util::hex_encode(bytes)) == bytes, "hex round trip changed the bytes");
  } catch (const clm::Error&) {
  }
  require(clm::util::hex_decode(clm::util::hex_encode(text)) == text, "hex encode/decode changed the bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  std::string key(all.substr(0, clm::k_twine_otr_key_size));
  key.resize(clm::k_twine_otr_key_size, '\0');
  const std::string_view rest = all.substr(std::min(size, clm::k_twine_otr_key_size));
  fuzz_open(key, rest);
  fuzz_round_trip(key, rest);
  fuzz_codecs(all);
  return 0;
}
