#!/usr/bin/env bash
# The SPA's release bundle: size of each file as served, raw and gzipped
# (gzip -9, what a compressing proxy would send; the server itself
# compresses responses with gzip too). Builds the server first, which
# builds the SPA into target/spa-dist; the SPA is always compiled with the
# `wasm-release` profile, so the quicker debug server build is enough.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p crm360
printf '%-40s %12s %12s\n' file raw gzip
for f in target/spa-dist/*; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  printf '%-40s %12s %12s\n' "$(basename "$f")" "$raw" "$gz"
done
