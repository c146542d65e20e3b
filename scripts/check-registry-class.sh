#!/usr/bin/env bash
# Checks that the committed registry class (starknet/contracts/registry.contract_class.json)
# is what the Cairo compiler tool makes of starknet/contracts/registry today (the output is
# deterministic). With --update, rewrites the committed class instead.
set -euo pipefail
cd "$(dirname "$0")/.."
compiler="${STARKML_CAIRO_COMPILE:-$HOME/.cache/starkml-cairo-compile-target/release/starkml-cairo-compile}"
corelib="${STARKML_CAIRO_CORELIB:-$(bash scripts/get-cairo-corelib.sh | tail -1)}"
committed=starknet/contracts/registry.contract_class.json
fresh="$(mktemp -d)/registry.contract_class.json"
"$compiler" --corelib "$corelib" starknet/contracts/registry "$fresh" >/dev/null
if [[ "${1:-}" == "--update" ]]; then
  cp "$fresh" "$committed"
  echo "updated $committed"
elif cmp -s "$fresh" "$committed"; then
  echo "registry class matches its source"
else
  echo "error: $committed does not match starknet/contracts/registry; run scripts/check-registry-class.sh --update" >&2
  exit 1
fi
