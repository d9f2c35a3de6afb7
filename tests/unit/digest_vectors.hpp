// Known digests the unit tests check against: SHA-256 (FIPS 180-2) and HMAC-SHA256 (RFC 4231).
#pragma once

namespace clm::test {

inline constexpr const char* k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr const char* k_abc_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// RFC 4231, test case 2.
inline constexpr const char* k_rfc4231_2_key = "Jefe";
inline constexpr const char* k_rfc4231_2_data = "what do ya want for nothing?";
inline constexpr const char* k_rfc4231_2_mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

}  // namespace clm::test
