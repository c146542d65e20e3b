#!/usr/bin/env bash
# Fuzzes everything starkml reads from strangers, each target for SECONDS (default 600):
#   onnx_load       any bytes as an ONNX model (transpile)
#   program_decode  any bytes as a program file (decode, re-encode, run)
#   proof_verify    any bytes as a proof file of the bundled logreg_iris model (parse, verify),
#                   seeded with valid proofs so mutations reach the STARK verifier
# Needs the nightly toolchain (libFuzzer with AddressSanitizer) and cargo-fuzz, installed
# when missing. Corpora stay in fuzz/corpus (not committed); a crash leaves its input in
# fuzz/artifacts/TARGET/ and makes this script exit 1. Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(onnx_load program_decode proof_verify)
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (a few minutes)" >&2
  cargo install cargo-fuzz --locked >&2
fi
export CARGO_TARGET_DIR="${STARKML_FUZZ_TARGET:-$HOME/.cache/starkml-fuzz-target}"
mkdir -p fuzz/corpus/onnx_load fuzz/corpus/program_decode fuzz/corpus/proof_verify
cp models/data/*.onnx fuzz/corpus/onnx_load/
(cd fuzz && cargo +nightly run --quiet --release --bin seed -- corpus)
failed=0
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s" >&2
  if ! cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=200000 2>&1 | tail -n 25; then
    echo "== $t: FAILED (input in fuzz/artifacts/$t)" >&2
    failed=1
  elif [[ -n "$(ls "fuzz/artifacts/$t" 2>/dev/null)" ]]; then
    echo "== $t: crash inputs in fuzz/artifacts/$t" >&2
    failed=1
  else
    echo "== $t: nothing found in ${seconds}s" >&2
  fi
done
exit $failed
