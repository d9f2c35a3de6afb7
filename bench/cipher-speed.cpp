// clm-bench-cipher: encrypt one buffer with TWINE-128 and TWINE-80 (ECB: every block on its
// own, through encrypt_blocks, and TWINE-128 also one encrypt_block call per block), the
// TWINE-OTR profile, AES-128 ECB through OpenSSL EVP (the hardware AES baseline) and
// AES-128-OTR through the same generic OTR engine, and print MB/s (10^6 bytes per second)
// and the ratio to AES-128 EVP, best of --runs runs each. Run by bench/cipher-speed.sh.
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/otr.hpp>
#include <clm/twine.hpp>

#include <CLI/CLI.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Options {
  std::size_t mib = 64;
  int runs = 3;
};

struct Result {
  std::string name;
  double mb_per_s = 0;
};

// A byte of every output, summed and printed, so no encryption can be optimized away.
std::uint8_t g_sink = 0;

void consume(const std::uint8_t* data, std::size_t size)
{
  for (std::size_t i = 0; i < size; i += 4096) {
    g_sink = static_cast<std::uint8_t>(g_sink ^ data[i]);
  }
}

// Return the best throughput of runs calls of work over size bytes, in MB/s.
double best_mb_per_s(std::size_t size, int runs, const std::function<void()>& work)
{
  double best_seconds = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - t0;
    if (i == 0 || elapsed.count() < best_seconds) {
      best_seconds = elapsed.count();
    }
  }
  return static_cast<double>(size) / best_seconds / 1e6;
}

const std::uint8_t* bytes(const std::string& s)
{
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// ECB over the buffer through Twine::encrypt_blocks (several blocks side by side).
void twine_ecb(const clm::Twine& twine, const std::string& in, std::vector<std::uint8_t>& out)
{
  twine.encrypt_blocks(bytes(in), out.data(), in.size() / clm::Twine::k_block_size);
  consume(out.data(), out.size());
}

// ECB over the buffer with one Twine::encrypt_block call per block.
void twine_one_by_one(const clm::Twine& twine, const std::string& in, std::vector<std::uint8_t>& out)
{
  const std::uint8_t* src = bytes(in);
  for (std::size_t i = 0; i + clm::Twine::k_block_size <= in.size(); i += clm::Twine::k_block_size) {
    twine.encrypt_block(src + i, out.data() + i);
  }
  consume(out.data(), out.size());
}

void aes_ecb_evp(const std::string& key, const std::string& in, std::vector<std::uint8_t>& out)
{
  const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                           &EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, bytes(key), nullptr) != 1
      || EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1
      || EVP_EncryptUpdate(ctx.get(), out.data(), &len, bytes(in), static_cast<int>(in.size())) != 1) {
    clm::throw_openssl_error("AES-128-ECB");
  }
  consume(out.data(), out.size());
}

int run(const Options& opt)
{
  const std::size_t size = opt.mib << 20;
  std::printf("clm-bench-cipher: %zu MiB buffer, best of %d runs\n", opt.mib, opt.runs);
  const std::string buffer = clm::random_bytes(size);
  std::vector<std::uint8_t> out(size);
  const std::string key128 = clm::random_bytes(16);
  const std::string key80 = clm::random_bytes(10);

  const clm::Twine twine128(key128);
  const clm::Twine twine80(key80);
  const clm::AesBlockCipher aes(key128);
  const std::string aes_nonce = clm::random_bytes(12);

  std::vector<Result> results;
  results.push_back({"TWINE-128 ECB", best_mb_per_s(size, opt.runs, [&] { twine_ecb(twine128, buffer, out); })});
  results.push_back({"TWINE-80 ECB", best_mb_per_s(size, opt.runs, [&] { twine_ecb(twine80, buffer, out); })});
  results.push_back({"TWINE-128 encrypt_block loop",
                     best_mb_per_s(size, opt.runs, [&] { twine_one_by_one(twine128, buffer, out); })});
  results.push_back({"TWINE-OTR (profile seal)", best_mb_per_s(size, opt.runs, [&] {
                       const std::string sealed = clm::twine_otr_seal(key128, buffer);
                       consume(bytes(sealed), sealed.size());
                     })});
  const double aes_rate = best_mb_per_s(size, opt.runs, [&] { aes_ecb_evp(key128, buffer, out); });
  results.push_back({"AES-128 ECB (OpenSSL EVP)", aes_rate});
  results.push_back({"AES-128-OTR (generic, P)", best_mb_per_s(size, opt.runs, [&] {
                       const std::string sealed = clm::otr_seal(aes, clm::OtrMode::parallel, aes_nonce, {}, buffer, 16);
                       consume(bytes(sealed), sealed.size());
                     })});

  std::printf("%-28s %10s %16s\n", "cipher", "MB/s", "vs AES-128 EVP");
  for (const auto& r : results) {
    std::printf("%-28s %10.1f %15.4fx\n", r.name.c_str(), r.mb_per_s, r.mb_per_s / aes_rate);
  }
  std::printf("(checksum %02x)\n", g_sink);
  return 0;
}

}  // namespace

int main(int argc, char** argv)
{
  CLI::App app{"Encrypt a buffer with TWINE, TWINE-OTR, AES-128 (EVP) and AES-128-OTR; print MB/s."};
  Options opt;
  app.add_option("--mib", opt.mib, "buffer size in MiB")->check(CLI::Range(1, 1024));
  app.add_option("--runs", opt.runs, "runs per cipher; the best counts")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  try {
    return run(opt);
  } catch (const clm::Error& e) {
    std::fprintf(stderr, "clm-bench-cipher: error: %s\n", e.what());
    return static_cast<int>(e.code());
  }
}
