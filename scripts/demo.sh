#!/usr/bin/env bash
# The main job on a bundled model: compile mlp_small with its calibration samples, inspect
# the program, run it on the canonical input, prove the run and verify the proof.
# Usage: scripts/demo.sh [MODEL]   (MODEL in models/data, default mlp_small)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-mlp_small}"
out="${TMPDIR:-/tmp}/starkml-demo"
mkdir -p "$out"
cargo build --release --locked -p starkml-cli
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/starkml"
"$bin" compile "models/data/$model.onnx" -o "$out/$model.stkm" --calibrate "models/data/$model.calib.json"
"$bin" inspect "$out/$model.stkm" --summary
"$bin" run "$out/$model.stkm" --input "models/data/$model.input.json" --json
echo "expected (onnxruntime, float): $(cat "models/data/$model.expected.json")"
"$bin" prove "$out/$model.stkm" --input "models/data/$model.input.json" -o "$out/$model.proof"
"$bin" verify "$out/$model.stkm" "$out/$model.proof"
