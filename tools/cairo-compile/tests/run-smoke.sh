#!/usr/bin/env bash
# Smoke test for starkml-cairo-compile (expects a release build, see ../README.md):
#  1. tests/smoke compiles, passes the checks, and the summary line is JSON;
#  2. compiling a copy of the project in another directory gives a byte-identical class;
#  3. tests/broken fails with exit code 1 and its diagnostic on stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd -P)"
root="$(cd "$here/../../.." && pwd -P)"
target="${CARGO_TARGET_DIR:-$here/../target}"
bin="$target/release/starkml-cairo-compile"
[[ -x "$bin" ]] || { echo "no binary at $bin (build with cargo build --release --locked)" >&2; exit 1; }
corelib="$("$root/scripts/get-cairo-corelib.sh" | tail -1)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

summary="$("$bin" --corelib "$corelib" "$here/smoke" "$tmp/a.contract_class.json")"
echo "summary: $summary"
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["entry_points"]["external"] == 2 and s["entry_points"]["constructor"] == 1, s' "$summary"

cp -R "$here/smoke" "$tmp/elsewhere"
(cd "$tmp" && "$bin" --corelib "$corelib" elsewhere b.contract_class.json >/dev/null)
cmp "$tmp/a.contract_class.json" "$tmp/b.contract_class.json"
echo "deterministic: OK"

set +e
"$bin" --corelib "$corelib" "$here/broken" "$tmp/broken.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || { echo "broken project: expected exit 1, got $rc" >&2; exit 1; }
grep -q 'error' "$tmp/err" || { echo "broken project: no diagnostic on stderr" >&2; exit 1; }
[[ ! -s "$tmp/out" && ! -e "$tmp/broken.json" ]] || { echo "broken project: produced output" >&2; exit 1; }
echo "broken project: exit 1 with diagnostics: OK"
echo "smoke test passed"
