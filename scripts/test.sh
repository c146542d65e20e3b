#!/usr/bin/env bash
# The whole test suite on a fresh machine: fetches what the tests need when it is missing
# (the ONNX conformance cases, generated from the pinned onnx package by
# scripts/get-conformance.sh; starknet-devnet 0.10.1, the Cairo corelib and compiler tool, by
# scripts/install-starknet-tools.sh), checks that the committed registry class matches its
# source, then runs every test, including the ones that start a real devnet, and the Python
# package's (scripts/python-test.sh: pip install ./python, pytest, the quickstart).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/get-conformance.sh)"
eval "$(bash scripts/install-starknet-tools.sh)"
bash scripts/check-registry-class.sh
cargo test --workspace --locked -- --include-ignored
bash scripts/python-test.sh
