// Big-endian loads and stores of unsigned integers, spelled out byte by byte so that
// compilers see one byte-swapping load or store, whatever the alignment.
#pragma once

#include <cstdint>

namespace clm::util {

// Return the 64-bit big-endian integer at p.
inline std::uint64_t load_be64(const std::uint8_t* p)
{
  return (std::uint64_t{p[0]} << 56) | (std::uint64_t{p[1]} << 48) | (std::uint64_t{p[2]} << 40)
         | (std::uint64_t{p[3]} << 32) | (std::uint64_t{p[4]} << 24) | (std::uint64_t{p[5]} << 16)
         | (std::uint64_t{p[6]} << 8) | std::uint64_t{p[7]};
}

// Return the 32-bit big-endian integer at p.
inline std::uint32_t load_be32(const std::uint8_t* p)
{
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// Return the 16-bit big-endian integer at p.
inline std::uint16_t load_be16(const std::uint8_t* p)
{
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Store v at p, big-endian.
inline void store_be64(std::uint64_t v, std::uint8_t* p)
{
  p[0] = static_cast<std::uint8_t>(v >> 56);
  p[1] = static_cast<std::uint8_t>(v >> 48);
  p[2] = static_cast<std::uint8_t>(v >> 40);
  p[3] = static_cast<std::uint8_t>(v >> 32);
  p[4] = static_cast<std::uint8_t>(v >> 24);
  p[5] = static_cast<std::uint8_t>(v >> 16);
  p[6] = static_cast<std::uint8_t>(v >> 8);
  p[7] = static_cast<std::uint8_t>(v);
}

}  // namespace clm::util
