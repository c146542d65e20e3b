"""starkml quickstart: train a small scikit-learn model, export it, compile it, prove one
prediction and verify the proof, printing the timings.

    pip install ./python scikit-learn skl2onnx     # from a clone of starkml
    python examples/python/quickstart.py
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import starkml


def timed(label, f):
    wall, cpu = time.perf_counter(), time.process_time()
    result = f()
    print(f"{label:<28} {time.perf_counter() - wall:8.3f} s wall {time.process_time() - cpu:8.3f} s CPU")
    return result


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities in [0, 1]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

    model = timed(
        "train (scikit-learn)",
        lambda: MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0).fit(X_train, y_train),
    )
    print(f"float test accuracy          {model.score(X_test, y_test):.4f}")

    # Export with skl2onnx's defaults and compile; the training rows calibrate the ranges.
    program = timed("export + compile", lambda: starkml.from_sklearn(model, X_train))
    s = program.summary
    print(f"program {program.digest[:16]}...: {s['ops']} ops, {s['parameters']} parameters, "
          f"scale {s['activation_scale']} fractional bits")

    x = X_test[0]
    outputs = timed("run (fixed point)", lambda: program.run(x))
    float_proba = model.predict_proba(x[None])[0]
    err = np.max(np.abs(outputs["output_probability"].ravel() - float_proba))
    print(f"label {int(outputs['output_label'].ravel()[0])} (float model: {model.predict(x[None])[0]}), "
          f"max probability error {err:.2e}")

    proof = timed("prove (96-bit preset)", lambda: starkml.prove(program, x))
    print(f"proof: {len(proof.to_bytes())} bytes, {proof.trace_rows} trace rows")

    verified = timed("verify", lambda: starkml.verify(program, proof))
    print(f"verified: label {verified.argmax}, {verified.conjectured_bits} bits conjectured "
          f"security ({verified.proven_bits} proven)")

    # Any change to the proof is caught.
    tampered = bytearray(proof.to_bytes())
    tampered[len(tampered) // 2] ^= 1
    try:
        starkml.verify(program, bytes(tampered))
        raise SystemExit("a tampered proof verified")
    except starkml.VerifyError as e:
        print(f"tampered proof refused: {e}")


if __name__ == "__main__":
    main()
