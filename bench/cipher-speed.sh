#!/usr/bin/env bash
# Benchmark: throughput of TWINE-128 and TWINE-80 (ECB, block by block), the TWINE-OTR
# profile, AES-128 ECB through OpenSSL EVP (the hardware AES baseline) and AES-128-OTR
# through the same generic OTR engine as TWINE-OTR. Prints MB/s and the ratio to
# AES-128 EVP, best of 3 runs each; asserts nothing.
#
#   bench/cipher-speed.sh [MIB]   (default 64; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

bin=$CLM_BUILD_DIR/bench/clm-bench-cipher
[ -x "$bin" ] || { echo "bench: $bin is missing; build first (scripts/build)" >&2; exit 1; }

"$bin" --mib "${1:-64}"
