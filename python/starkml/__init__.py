"""starkml: verifiable machine learning on STARKs, from Python.

Compile an ONNX model into a deterministic fixed-point program, run it, prove a run with a
STARK (no trusted setup) and verify the proof::

    import numpy as np, starkml
    program = starkml.compile("model.onnx", calibration=np.load("samples.npy"))
    proof = starkml.prove(program, x)                # x: numpy array (or dict of arrays)
    verified = starkml.verify(program, proof)         # raises starkml.VerifyError if invalid
    print(verified.argmax, verified.outputs)

Everything runs in the Rust core (the same code as the ``starkml`` command line); the GIL is
released while compiling, running, proving and verifying. Errors are raised as
:class:`StarkmlError` subclasses carrying the Rust error's message: :class:`CompileError`,
:class:`InputError`, :class:`ProgramError`, :class:`RunError`, :class:`ProveError`,
:class:`VerifyError`.

Units: programs compute on integers with a fixed number of fractional bits (the *scale*);
inputs and outputs are real numbers here, quantised and dequantised at that scale.
"""

from __future__ import annotations

from ._starkml import (
    CompileError,
    InputError,
    ProgramError,
    ProveError,
    RunError,
    StarkmlError,
    VerifyError,
    __version__,
)
from ._api import (
    Proof,
    Program,
    Verified,
    compile,
    from_sklearn,
    from_torch,
    prove,
    verify,
)

__all__ = [
    "CompileError",
    "InputError",
    "ProgramError",
    "ProveError",
    "Proof",
    "Program",
    "RunError",
    "StarkmlError",
    "Verified",
    "VerifyError",
    "__version__",
    "compile",
    "from_sklearn",
    "from_torch",
    "prove",
    "verify",
]
