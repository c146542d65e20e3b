"""Tries EZKL on the classical-ML exports of models/data/classical (issue 14).

EZKL loads ONNX through tract; this asks it for circuit settings (`ezkl.gen_settings`, its
first step) on each exporter model as committed, and prints one markdown row per model: the
step passed, or EZKL's own error. Run (about a minute, EZKL pinned as in ../shared/ezkl):

    python3.11 -m venv /tmp/ezvenv
    /tmp/ezvenv/bin/pip install ezkl==23.0.5 onnx==1.23.2
    /tmp/ezvenv/bin/python scripts/ezkl_classical.py
"""

import json
import os
import tempfile

import ezkl

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "data", "classical")


def main():
    with open(os.path.join(D, "models.json")) as f:
        models = json.load(f)
    print(f"EZKL {ezkl.__version__}")
    print("| model | EZKL gen_settings |")
    print("|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in models:
            try:
                ok = ezkl.gen_settings(os.path.join(D, f"{name}.onnx"), os.path.join(tmp, "s.json"))
                verdict = "passed" if ok else "returned false"
            except Exception as e:  # EZKL raises a plain RuntimeError with tract's message
                verdict = "refused: " + " ".join(str(e).split())[:160]
            print(f"| {name} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
