#!/usr/bin/env python3
"""Runs every model of tests/data/export_patterns/ through the `starkml` CLI and compares with
the onnxruntime reference (the same checks as tests/tests/export_patterns.rs, through the
binary):

  starkml compile NAME.onnx -o TMP/NAME.stkm --calibrate NAME.calib.json
  starkml run TMP/NAME.stkm --input NAME.input.json --json

Tolerance: |got - expected| <= 1e-2 * max(1, |expected|) for every output value, and the argmax
over the last axis agrees for every row. Refused models (refused.json) must fail to compile with
exit code 1 and the recorded substring on stderr.

The alias_* models are known to fail at present (KNOWN_FAILURES in the Rust test): their FAIL
lines are expected until the transpiler's in-place folds are fixed.

Usage: python3 models/scripts/check_export_patterns.py [path/to/starkml]
(default: $CARGO_TARGET_DIR/release/starkml or target/release/starkml). Exit 1 on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "tests", "data", "export_patterns")


def rows_argmax(data, shape):
    n = shape[-1] if shape else 1
    return [max(range(n), key=lambda j, r=r: (data[r * n + j], -j)) for r in range(len(data) // n)]


def main():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "release", "starkml")
    names = sorted(f[: -len(".expected.json")] for f in os.listdir(DATA) if f.endswith(".expected.json"))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            base = os.path.join(DATA, name)
            prog = os.path.join(tmp, f"{name}.stkm")
            c = subprocess.run([binary, "compile", f"{base}.onnx", "-o", prog, "--calibrate", f"{base}.calib.json"],
                               capture_output=True, text=True)
            if c.returncode != 0:
                print(f"FAIL {name}: compile exit {c.returncode}: {c.stderr.strip()}")
                failures += 1
                continue
            r = subprocess.run([binary, "run", prog, "--input", f"{base}.input.json", "--json"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {name}: run exit {r.returncode}: {r.stderr.strip()}")
                failures += 1
                continue
            out = json.loads(r.stdout)["outputs"][0]
            want = json.load(open(f"{base}.expected.json"))
            got = out["data"]
            errs = [abs(g - w) for g, w in zip(got, want["data"])]
            worst = max(e / max(1.0, abs(w)) for e, w in zip(errs, want["data"]))
            ok = (
                len(got) == len(want["data"])
                and worst <= 1e-2
                and rows_argmax(got, out["shape"]) == rows_argmax(want["data"], want["shape"])
            )
            print(f"{'ok  ' if ok else 'FAIL'} {name}: max abs err {max(errs):.2e}, max rel err "
                  f"{worst:.2e}, argmax {rows_argmax(got, out['shape'])} vs {rows_argmax(want['data'], want['shape'])}")
            if not ok:
                print(f"     got      {got}\n     expected {want['data']}")
                failures += 1
        for entry in json.load(open(os.path.join(DATA, "refused.json"))):
            c = subprocess.run([binary, "compile", os.path.join(DATA, entry["model"]), "-o", os.path.join(tmp, "x.stkm")],
                               capture_output=True, text=True)
            ok = c.returncode == 1 and entry["error_contains"] in c.stderr
            print(f"{'ok  ' if ok else 'FAIL'} {entry['model']}: exit {c.returncode}: {c.stderr.strip()}")
            failures += 0 if ok else 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
