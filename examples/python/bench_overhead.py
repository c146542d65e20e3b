"""The cost of the Python API over the `starkml` command line, on the bundled models.

For each model: compile (with its calibration file), run, prove and verify, through the CLI
(one process per step; CPU of the child processes) and through `starkml` in this process
(CPU of this process), median of --repeat runs. Prints a Markdown table for BENCHMARKS.md.

    python examples/python/bench_overhead.py --cli $CARGO_TARGET_DIR/release/starkml
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import starkml

DATA = Path(__file__).resolve().parents[2] / "models" / "data"


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(f, repeat):
    """Median wall and CPU seconds of `f`, CPU of this process plus its children."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time() + children_cpu()
        f()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() + children_cpu() - c)
    return statistics.median(walls), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True, help="path of the release `starkml` binary")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--models", default="mlp_small,mlp_large,cnn_small")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())

    def cli(*a):
        subprocess.run([args.cli, *map(str, a)], check=True, capture_output=True)

    print("| model | step | CLI wall ms | CLI CPU ms | Python wall ms | Python CPU ms | overhead (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        onnx, calib, inp = DATA / f"{name}.onnx", DATA / f"{name}.calib.json", DATA / f"{name}.input.json"
        stkm, proof_path = tmp / f"{name}.stkm", tmp / f"{name}.proof"
        given = json.loads(inp.read_text())
        x = np.asarray(given["data"]).reshape(given["shape"])
        program = starkml.compile(onnx, calibration=calib)
        proof = starkml.prove(program, x)
        cli("compile", onnx, "-o", stkm, "--calibrate", calib)
        cli("prove", stkm, "--input", inp, "-o", proof_path)
        steps = [
            ("compile", lambda: cli("compile", onnx, "-o", stkm, "--calibrate", calib),
             lambda: starkml.compile(onnx, calibration=calib)),
            ("run", lambda: cli("run", stkm, "--input", inp),
             lambda: program.run(x)),
            ("prove", lambda: cli("prove", stkm, "--input", inp, "-o", proof_path),
             lambda: starkml.prove(program, x)),
            ("verify", lambda: cli("verify", stkm, proof_path),
             lambda: starkml.verify(program, proof)),
        ]
        for step, via_cli, via_py in steps:
            cw, cc = measure(via_cli, args.repeat)
            pw, pc = measure(via_py, args.repeat)
            print(f"| {name} | {step} | {cw * 1e3:.1f} | {cc * 1e3:.1f} | {pw * 1e3:.1f} | "
                  f"{pc * 1e3:.1f} | {(pc - cc) * 1e3:+.1f} ms |")


if __name__ == "__main__":
    main()
