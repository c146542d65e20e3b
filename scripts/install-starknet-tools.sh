#!/usr/bin/env bash
# Installs what the Starknet adapter needs, skipping what is already there:
#   * starknet-devnet 0.10.1 (cargo install, ~18 min on 2 cores, once per machine);
#   * the Cairo 2.16.0 corelib, from the crates.io crate cairo-native 0.9.0-rc.4 (digest-checked);
#   * the Cairo compiler tool tools/cairo-compile (release build, ~6 min once; the target
#     directory is kept under ~/.cache so later runs reuse it).
# Prints the environment to export (STARKNET_DEVNET, STARKML_CAIRO_COMPILE, STARKML_CAIRO_CORELIB).
set -euo pipefail
cd "$(dirname "$0")/.."
DEVNET_VERSION=0.10.1

devnet="$(command -v starknet-devnet || echo "${CARGO_HOME:-$HOME/.cargo}/bin/starknet-devnet")"
if [[ "$("$devnet" --version 2>/dev/null || true)" != *"$DEVNET_VERSION"* ]]; then
  echo "installing starknet-devnet $DEVNET_VERSION (about 18 minutes on 2 cores)" >&2
  cargo install starknet-devnet --version "$DEVNET_VERSION" --locked >&2
  devnet="${CARGO_HOME:-$HOME/.cargo}/bin/starknet-devnet"
fi

corelib="$(bash scripts/get-cairo-corelib.sh | tail -1)"

target="${STARKML_CAIRO_COMPILE_TARGET:-$HOME/.cache/starkml-cairo-compile-target}"
echo "building the Cairo compiler tool (tools/cairo-compile) in $target" >&2
(cd tools/cairo-compile && CARGO_TARGET_DIR="$target" cargo build --release --locked >&2)
compiler="$target/release/starkml-cairo-compile"

echo "export STARKNET_DEVNET=$devnet"
echo "export STARKML_CAIRO_COMPILE=$compiler"
echo "export STARKML_CAIRO_CORELIB=$corelib"
