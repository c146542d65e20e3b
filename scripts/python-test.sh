#!/usr/bin/env bash
# The Python package (python/): lint of its Rust crate, `pip install ./python` (the README's
# command) into a virtual environment this script creates, the pytest suite (against the
# release `starkml` CLI of this checkout), the quickstart example, and a fresh virtual
# environment that installs the package and imports it from outside the source tree.
# Needs python3 (>= 3.9) with venv and pip, and PyPI (maturin, numpy, the test packages).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/starkml-target}"
venv="${STARKML_PYVENV:-$HOME/.cache/starkml-pyvenv}"
pip_quiet=(--quiet --disable-pip-version-check)
say() { echo "-- python: $*"; }

say "Rust crate: format and clippy"
(cd python && cargo fmt -- --check && cargo clippy --locked --all-targets -q -- -D warnings)

say "virtual environment $venv"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install "${pip_quiet[@]}" -r python/requirements-test.txt

say "pip install ./python (builds the extension in release mode)"
"$venv/bin/python" -m pip install "${pip_quiet[@]}" --force-reinstall --no-deps ./python

say "pytest"
cargo build --release --locked -q -p starkml-cli
STARKML_CLI="$CARGO_TARGET_DIR/release/starkml" STARKML_REQUIRE_CLI=1 \
  "$venv/bin/python" -m pytest -q python/tests

say "examples/python/quickstart.py"
"$venv/bin/python" examples/python/quickstart.py

say "a fresh virtual environment: pip install ./python, import outside the tree"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
python3 -m venv "$fresh/venv"
"$fresh/venv/bin/python" -m pip install "${pip_quiet[@]}" ./python
(cd "$fresh" && "$fresh/venv/bin/python" - "$repo" <<'PY'
import sys
from pathlib import Path

import numpy as np
import starkml

repo = Path(sys.argv[1])
assert not Path(starkml.__file__).resolve().is_relative_to(repo), starkml.__file__
data = repo / "models" / "data"
program = starkml.compile(data / "mlp_small.onnx", calibration=data / "mlp_small.calib.json")
proof = starkml.prove(program, data / "mlp_small.input.json")
verified = starkml.verify(program, proof)
assert verified.argmax == 2, verified.argmax
print(f"starkml {starkml.__version__} from {starkml.__file__}: mlp_small proven, class {verified.argmax}")
PY
)
