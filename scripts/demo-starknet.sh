#!/usr/bin/env bash
# A model on Starknet, end to end, on a local devnet: compile mlp_small, deploy its contract
# (and a registry), call predict on the canonical input and compare with `starkml run`, then
# prove a run, verify it and record the result in the registry.
# Usage: scripts/demo-starknet.sh [MODEL]   (MODEL in models/data, default mlp_small)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-mlp_small}"
out="${TMPDIR:-/tmp}/starkml-demo-starknet"
mkdir -p "$out"
eval "$(bash scripts/install-starknet-tools.sh)"
cargo build --release --locked -p starkml-cli
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/starkml"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$STARKNET_DEVNET" --host 127.0.0.1 --port "$port" --seed 0 --accounts 3 >"$out/devnet.log" 2>&1 &
devnet_pid=$!
trap 'kill "$devnet_pid" 2>/dev/null || true' EXIT
rpc="http://127.0.0.1:$port/rpc"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/is_alive" >/dev/null && break; sleep 0.2; done

"$bin" compile "models/data/$model.onnx" -o "$out/$model.stkm" --calibrate "models/data/$model.calib.json"
"$bin" starknet deploy "$out/$model.stkm" --rpc "$rpc" --workdir "$out/cairo" | tee "$out/deploy.json"
address="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_address"])' "$out/deploy.json")"
registry="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["registry_address"])' "$out/deploy.json")"

"$bin" starknet predict --address "$address" --input "models/data/$model.input.json" --rpc "$rpc" --json >"$out/chain.json"
"$bin" run "$out/$model.stkm" --input "models/data/$model.input.json" --json >"$out/local.json"
python3 - "$out/chain.json" "$out/local.json" <<'PY'
import json, sys
chain, local = (json.load(open(p)) for p in sys.argv[1:3])
assert [o["data"] for o in chain["outputs"]] == [o["data"] for o in local["outputs"]], (chain, local)
assert chain["argmax"] == local["argmax"]
print(f"on-chain predict equals starkml run: argmax {chain['argmax']}")
PY

"$bin" prove "$out/$model.stkm" --input "models/data/$model.input.json" -o "$out/$model.proof"
"$bin" starknet submit "$out/$model.proof" --program "$out/$model.stkm" --registry "$registry" --rpc "$rpc"
