"""The Python API over the Rust core: numpy in, numpy out, typed exceptions."""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _starkml as _core
from ._starkml import InputError, ProgramError, VerifyError

PathLike = Union[str, "os.PathLike[str]"]
ArrayLike = Any  # numpy arrays, nested lists, CPU torch tensors: anything np.asarray takes
Inputs = Union[ArrayLike, Mapping[str, ArrayLike], Sequence[ArrayLike], PathLike]
ProgressFn = Callable[[str, Optional[int], float], None]

__all__ = ["Program", "Proof", "Verified", "compile", "prove", "verify", "from_torch", "from_sklearn"]


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, os.PathLike))


def _read_bytes(path: PathLike) -> bytes:
    return Path(path).read_bytes()


def _as_float_array(x: ArrayLike, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{what} is not an array of numbers: {e}") from e
    return arr


def _json_text(x: Union[PathLike, Mapping[str, Any]], what: str) -> str:
    """JSON text from a path to a JSON file or an already parsed object."""
    if _is_path(x):
        return Path(x).read_text()
    if isinstance(x, Mapping):
        return json.dumps(x)
    raise TypeError(f"{what} must be a path to a JSON file or a dict, not {type(x).__name__}")


# ----------------------------------------------------------------------------- programs


@dataclass(frozen=True)
class TensorInfo:
    """A program input or output: name, shape, scale (fractional bits) and, for inputs, the
    declared real range ``(lo, hi)`` the runtime accepts."""

    name: str
    shape: Tuple[int, ...]
    scale: int
    range: Optional[Tuple[float, float]] = None


class Program:
    """A compiled fixed-point program: the verifier's copy of the model.

    Create one with :func:`compile` (or :func:`from_torch`, :func:`from_sklearn`), or load a
    ``.stkm`` file written by ``starkml compile`` or :meth:`save`.
    """

    def __init__(self, core: "_core.Program"):
        self._core = core

    # -- files
    @classmethod
    def load(cls, path: PathLike) -> "Program":
        """Reads a program file (``.stkm``). Raises ProgramError when it is not a valid
        program, OSError when it cannot be read."""
        return cls.from_bytes(_read_bytes(path))

    @classmethod
    def from_bytes(cls, data: bytes) -> "Program":
        """Decodes and validates program bytes. Raises ProgramError."""
        return cls(_core.Program.from_bytes(bytes(data)))

    def save(self, path: PathLike) -> None:
        """Writes the program file (``.stkm``), readable by ``starkml`` and :meth:`load`."""
        Path(path).write_bytes(self.to_bytes())

    def to_bytes(self) -> bytes:
        """The program file's bytes."""
        return self._core.to_bytes()

    # -- description
    @property
    def digest(self) -> str:
        """BLAKE3 digest (hex) of the program: what every proof of it commits to."""
        return self._core.digest

    @property
    def name(self) -> str:
        """The program's name (the ONNX file's stem or graph name)."""
        return self._core.name

    @property
    def inputs(self) -> List[TensorInfo]:
        """The inputs, in order."""
        return [TensorInfo(n, tuple(s), sc, r) for n, s, sc, r in self._core.inputs]

    @property
    def outputs(self) -> List[TensorInfo]:
        """The outputs, in order."""
        return [TensorInfo(n, tuple(s), sc) for n, s, sc in self._core.outputs]

    @property
    def summary(self) -> Dict[str, Any]:
        """Digest, op counts, parameters, MACs, scales (fractional bits), largest bound
        (bits), declared bounds, ops the prover cannot prove yet, size in bytes."""
        return dict(self._core.summary())

    def inspect(self) -> str:
        """The program's text form (as ``starkml inspect`` prints it)."""
        return self._core.text()

    # -- running
    def _flat_inputs(self, inputs: Inputs) -> List[List[float]]:
        """One flat list per program input, checked against the program's shapes."""
        if _is_path(inputs):
            return self._core.parse_inputs(Path(inputs).read_text())
        infos = self._core.inputs
        if isinstance(inputs, Mapping):
            given = []
            for name, value in inputs.items():
                arr = _as_float_array(value, f"input '{name}'")
                given.append((str(name), list(arr.shape), arr.ravel().tolist()))
            if len(given) == 1 and len(infos) == 1:
                given = [(None, given[0][1], given[0][2])]
            return self._core.match_inputs(given)
        if len(infos) > 1 and isinstance(inputs, (list, tuple)):
            given = []
            for k, value in enumerate(inputs):
                arr = _as_float_array(value, f"input #{k}")
                given.append((None, list(arr.shape), arr.ravel().tolist()))
            return self._core.match_inputs(given)
        arr = _as_float_array(inputs, "the input")
        return self._core.match_inputs([(None, list(arr.shape), arr.ravel().tolist())])

    def run(self, inputs: Inputs) -> Dict[str, np.ndarray]:
        """Runs the program bit-exactly (as ``starkml run`` does) and returns its outputs by
        name, dequantised to float64 arrays of the outputs' shapes.

        ``inputs``: a numpy array (or anything ``np.asarray`` takes) for a program of one
        input, a dict of arrays by input name, a list of arrays in input order, or the path
        of an input JSON file (starkml's ``{"data": ...}`` or EZKL's ``{"input_data": ...}``).
        An array's shape must be the input's, up to leading axes of size 1.

        Raises InputError (count, names, shape, values outside the declared range),
        RunError (an overflow or declared bound exceeded)."""
        outputs, _ = self._core.run(self._flat_inputs(inputs))
        return _named(outputs)

    def predict(self, inputs: Inputs) -> Union[int, List[int]]:
        """The predicted class of a run (of each sample, for a batched program): the first
        output's value when it holds integer labels, else the index of its largest value."""
        _, classes = self._core.run(self._flat_inputs(inputs))
        return _argmax(classes)

    def __repr__(self) -> str:
        return f"<starkml.Program {self.name!r} digest {self.digest[:16]}...>"


def _named(outputs: Sequence[Tuple[str, Sequence[int], Sequence[float]]]) -> Dict[str, np.ndarray]:
    return {n: np.asarray(v, dtype=np.float64).reshape(tuple(s)) for n, s, v in outputs}


def _argmax(classes: Sequence[int]) -> Union[int, List[int]]:
    return int(classes[0]) if len(classes) == 1 else [int(c) for c in classes]


def _model_bytes(model: Any) -> Tuple[bytes, Optional[str], Optional[str]]:
    """The ONNX bytes, the file's stem, and the directory external data is read from."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), None, None
    if _is_path(model):
        path = Path(model)
        return _read_bytes(path), path.stem, str(path.resolve().parent)
    if hasattr(model, "SerializeToString"):  # onnx.ModelProto (onnx.load inlines external data)
        return model.SerializeToString(), None, None
    raise TypeError(
        "model must be a path to an .onnx file, ONNX bytes or an onnx.ModelProto, "
        f"not {type(model).__name__}"
    )


def _calibration(cal: Any) -> Tuple[Optional[List[List[List[float]]]], Optional[List[str]]]:
    """Calibration samples per input (flat rows) and the input names if given by name."""
    if cal is None:
        return None, None
    if _is_path(cal):
        data = json.loads(Path(cal).read_text())
        if isinstance(data, dict) and "input_data" in data and "inputs" not in data:
            # EZKL's data file: one flat list per input, one sample.
            return [[_as_float_array(x, "input_data").ravel().tolist()] for x in data["input_data"]], None
        if not isinstance(data, dict) or "inputs" not in data:
            raise InputError(f"{cal}: a calibration file has 'inputs' (or EZKL's 'input_data')")
        cal = data["inputs"]
    if isinstance(cal, Mapping):
        names = [str(k) for k in cal]
        return [_rows(v, f"calibration '{k}'") for k, v in cal.items()], names
    return [_rows(cal, "calibration")], None


def _rows(x: ArrayLike, what: str) -> List[List[float]]:
    arr = _as_float_array(x, what)
    if arr.ndim <= 1:
        return [arr.ravel().tolist()]
    return [row.ravel().tolist() for row in arr]


def compile(
    model: Any,
    calibration: Any = None,
    scale: Optional[int] = None,
    output_names: Optional[Sequence[str]] = None,
    *,
    max_scale: Optional[int] = None,
    input_range: Optional[Tuple[float, float]] = None,
    batch: int = 1,
    name: Optional[str] = None,
    dataset: Any = None,
    metric: Optional[str] = None,
    score_output: Optional[str] = None,
) -> Program:
    """Compiles an ONNX model into a fixed-point program (as ``starkml compile``).

    model: path of an ``.onnx`` file (tensors saved as external data, ``model.onnx.data``,
        are read from its directory), ONNX bytes, or an ``onnx.ModelProto``.
    calibration: sample inputs that declare the input ranges: an array whose first axis is
        the samples (``(N, features)``), a dict of such arrays by input name, or the path of
        a calibration JSON (``{"inputs": [[...], ...]}``, or EZKL's ``{"input_data": ...}``).
        Without it every input is declared in ``input_range`` (default [-16, 16]).
    scale: activation scale in fractional bits; default: the finest (up to ``max_scale``,
        default 16) at which every bound fits and the prover accepts the program.
    output_names: compile only these graph outputs (e.g. ``["label"]`` for a classifier).
    batch: samples per run (the inputs' first axis); one proof then covers them all.
    dataset: a labelled test set (path or dict ``{"inputs": ..., "labels": ...}``) to build
        an evaluation program: one proof of every prediction and of the score (``metric``:
        "accuracy" or "mae"; ``score_output`` the output scored).

    Raises CompileError (naming the node, input or field that failed), InputError (a
    malformed test set), OSError, TypeError."""
    onnx, stem, directory = _model_bytes(model)
    samples, names = _calibration(calibration)
    core = _core.compile(
        onnx,
        calibration=samples,
        calibration_names=names,
        scale=scale,
        max_scale=max_scale,
        output_names=list(output_names) if output_names is not None else None,
        input_range=tuple(input_range) if input_range is not None else None,
        batch=int(batch),
        name=name if name is not None else stem,
        test_set=_json_text(dataset, "dataset") if dataset is not None else None,
        metric=metric,
        score_output=score_output,
        external_data=directory,
    )
    return Program(core)


# ----------------------------------------------------------------------------- proofs


class Proof:
    """A STARK proof of one run of a program. Its outputs are claims until :func:`verify`
    checks them."""

    def __init__(self, core: "_core.Proof", program: Optional[Program] = None):
        self._core = core
        self._program = program

    @classmethod
    def load(cls, path: PathLike, program: Optional[Program] = None) -> "Proof":
        """Reads a proof file (written by ``starkml prove`` or :meth:`save`). Give the
        ``program`` to read :attr:`outputs` by name. Raises VerifyError when the bytes are
        not a proof."""
        return cls.from_bytes(_read_bytes(path), program)

    @classmethod
    def from_bytes(cls, data: bytes, program: Optional[Program] = None) -> "Proof":
        """Decodes proof bytes (structure only). Raises VerifyError."""
        return cls(_core.Proof.from_bytes(bytes(data)), program)

    def save(self, path: PathLike) -> None:
        """Writes the proof file, readable by ``starkml verify`` and :meth:`load`."""
        Path(path).write_bytes(self.to_bytes())

    def to_bytes(self) -> bytes:
        """The proof file's bytes."""
        return self._core.to_bytes()

    @property
    def security(self) -> str:
        """The security preset: "96", "fast" or "128"."""
        return self._core.security

    @property
    def hash(self) -> str:
        """The commitment hash: "blake3" or "blake2s"."""
        return self._core.hash

    @property
    def conjectured_bits(self) -> int:
        """Conjectured security in bits."""
        return self._core.bits[0]

    @property
    def proven_bits(self) -> int:
        """Proven (list-decoding) security in bits."""
        return self._core.bits[1]

    @property
    def trace_rows(self) -> int:
        """Rows of the proven trace."""
        return self._core.trace_rows

    @property
    def program_digest(self) -> str:
        """Digest (hex) of the program the proof claims to be a run of."""
        return self._core.program_digest

    @property
    def outputs(self) -> Dict[str, np.ndarray]:
        """The claimed outputs by name, dequantised (unverified: use :func:`verify`).
        Needs the program (given to :meth:`load`, or the one :func:`prove` ran)."""
        if self._program is None:
            raise ValueError(
                "the proof does not know its program: load it with Proof.load(path, program)"
            )
        return _named(self._core.outputs(self._program._core))

    def __repr__(self) -> str:
        return repr(self._core)


def _progress_fn(progress: Union[None, bool, ProgressFn]) -> Optional[ProgressFn]:
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm.auto import tqdm  # type: ignore
    except ImportError:
        def report(stage: str, rows: Optional[int], elapsed: float) -> None:
            extra = f", {rows} rows" if rows else ""
            print(f"starkml: {stage}{extra} ({elapsed:.2f} s)", file=sys.stderr, flush=True)

        return report
    bar = tqdm(total=4, unit="stage", desc="proving")

    def step(stage: str, rows: Optional[int], elapsed: float) -> None:
        bar.set_postfix_str(f"{stage}{f', {rows} rows' if rows else ''}")
        bar.update(1)
        if stage == "stark":
            bar.close()

    return step


def _as_program(program: Union[Program, PathLike, bytes]) -> Program:
    if isinstance(program, Program):
        return program
    if _is_path(program):
        return Program.load(program)
    if isinstance(program, (bytes, bytearray, memoryview)):
        return Program.from_bytes(bytes(program))
    raise TypeError(f"program must be a Program, a .stkm path or bytes, not {type(program).__name__}")


def prove(
    program: Union[Program, PathLike, bytes],
    inputs: Inputs = None,
    security: str = "96",
    *,
    hash: str = "blake3",
    progress: Union[None, bool, ProgressFn] = None,
    dataset: Any = None,
) -> Proof:
    """Runs ``program`` on ``inputs`` and proves the run with a STARK (as ``starkml prove``).

    program: a :class:`Program`, a program file path, or its bytes.
    inputs: as for :meth:`Program.run` (array, dict of arrays, list, or input JSON path,
        EZKL's format included).
    security: "96" (default: 96-bit conjectured security), "fast" (95 bits, faster) or "128".
    hash: "blake3" (default) or "blake2s" (cheaper to verify in Cairo).
    progress: True for a progress bar (tqdm when installed, else lines on stderr), or a
        callable ``progress(stage, rows, elapsed_s)`` called as each stage starts: "run",
        "schedule", "trace", "stark" (``rows`` the trace length from "trace" on).
    dataset: for an evaluation program (``compile(..., dataset=...)``), the test set
        (path or dict) instead of ``inputs``.

    The GIL is released while proving: other Python threads keep running.

    Raises InputError, RunError, ProveError (ops the prover cannot prove yet, listed; not
    enough memory), ValueError (unknown preset or hash)."""
    program = _as_program(program)
    if dataset is not None:
        flat = program._core.test_set_inputs(_json_text(dataset, "dataset"))
    elif inputs is None:
        raise TypeError("prove() needs inputs (or dataset= for an evaluation program)")
    else:
        flat = program._flat_inputs(inputs)
    core = _core.prove(
        program._core, flat, security=str(security), hash=hash, progress=_progress_fn(progress)
    )
    return Proof(core, program)


# ----------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Verified:
    """What a valid proof proves."""

    #: The proven outputs by name, dequantised.
    outputs: Dict[str, np.ndarray]
    #: The predicted class (a list for a batched program).
    argmax: Union[int, List[int]]
    #: The security preset of the proof ("96", "fast", "128").
    security: str
    #: The commitment hash ("blake3", "blake2s").
    hash: str
    #: Conjectured security in bits.
    conjectured_bits: int
    #: Proven (list-decoding) security in bits.
    proven_bits: int
    #: Rows of the proven trace.
    trace_rows: int
    #: Digest (hex) of the program the proof is a run of.
    program_digest: str
    #: Digest (hex) of the proof's inputs (the test set of an evaluation program).
    test_set: str
    #: The proven score of an evaluation program ("accuracy 97/100 = 0.9700"), else None.
    score: Optional[str] = None
    #: The predicted class of each sample.
    classes: List[int] = field(default_factory=list)


def verify(
    program: Union[Program, PathLike, bytes],
    proof: Union[Proof, PathLike, bytes],
    min_bits: Optional[int] = None,
    *,
    dataset: Any = None,
) -> Verified:
    """Verifies a proof against the verifier's own copy of the program (as ``starkml
    verify``) and returns what it proves.

    program: a :class:`Program`, a program file path, or its bytes.
    proof: a :class:`Proof`, a proof file path, or its bytes.
    min_bits: refuse proofs with fewer bits of conjectured security (default: any preset).
    dataset: for an evaluation program, the published test set (path or dict): the proof
        must have been made on exactly this one.

    Raises VerifyError naming the failed check (invalid proof, another program, below
    ``min_bits``, another test set), ProgramError (invalid program bytes)."""
    program = _as_program(program)
    if isinstance(proof, Proof):
        proof_bytes = proof.to_bytes()
    elif _is_path(proof):
        proof_bytes = _read_bytes(proof)
    else:
        proof_bytes = bytes(proof)
    test_set = (
        program._core.test_set_inputs(_json_text(dataset, "dataset")) if dataset is not None else None
    )
    d = _core.verify(program._core, proof_bytes, min_bits=int(min_bits or 0), test_set=test_set)
    return Verified(
        outputs=_named(d["outputs"]),
        argmax=_argmax(d["classes"]),
        security=d["security"],
        hash=d["hash"],
        conjectured_bits=d["conjectured_bits"],
        proven_bits=d["proven_bits"],
        trace_rows=d["trace_rows"],
        program_digest=d["program_digest"],
        test_set=d["test_set"],
        score=d["score"],
        classes=list(d["classes"]),
    )


# ----------------------------------------------------------------------------- exporters


def from_torch(
    module: Any,
    example_input: Any,
    calibration: Any = None,
    *,
    opset: Optional[int] = None,
    dynamo: Optional[bool] = None,
    input_names: Sequence[str] = ("input",),
    output_names: Sequence[str] = ("output",),
    **compile_kwargs: Any,
) -> Program:
    """Exports a PyTorch module with ``torch.onnx.export`` and compiles it.

    The export uses PyTorch's defaults (the ``torch.export``-based exporter from PyTorch 2.9,
    which needs ``onnxscript``; when that is missing, the TorchScript exporter), the batch
    axis fixed at the example's; ``dynamo`` and ``opset`` choose explicitly. ``calibration``
    defaults to the example input itself (one sample: give more, first axis the samples,
    for ranges that cover other inputs). Other keyword arguments go to :func:`compile`.
    Needs ``torch`` (``pip install torch``)."""
    try:
        import torch  # type: ignore
    except ImportError as e:
        raise ImportError("starkml.from_torch needs PyTorch: pip install torch") from e
    import tempfile

    module.eval()
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    kwargs: Dict[str, Any] = dict(input_names=list(input_names), output_names=list(output_names))
    if opset is not None:
        kwargs["opset_version"] = opset
    if dynamo is not None:
        kwargs["dynamo"] = dynamo
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        path = os.path.join(tmp, "model.onnx")
        try:
            torch.onnx.export(module, args, path, **kwargs)
        except ImportError:
            if dynamo is not None:
                raise
            # The default exporter needs onnxscript; the TorchScript one does not.
            torch.onnx.export(module, args, path, dynamo=False, **kwargs)
        if calibration is None:
            calibration = {
                n: a.detach().cpu().numpy().reshape(1, -1) for n, a in zip(input_names, args)
            }
        # By path: the exporter may have written the weights to `model.onnx.data` beside it.
        compile_kwargs.setdefault("name", type(module).__name__)
        return compile(path, calibration, **compile_kwargs)


def from_sklearn(
    estimator: Any,
    X: ArrayLike,
    calibration: Any = None,
    *,
    target_opset: Optional[int] = None,
    **compile_kwargs: Any,
) -> Program:
    """Exports a fitted scikit-learn estimator or pipeline with skl2onnx's defaults
    (``to_onnx``), or an XGBoost / LightGBM model with onnxmltools' ``convert_xgboost`` /
    ``convert_lightgbm``, and compiles it.

    ``X`` is sample input data (its first row types the export; all of it calibrates unless
    ``calibration`` is given). Other keyword arguments go to :func:`compile`. Needs
    ``skl2onnx`` (``pip install skl2onnx``), and ``onnxmltools`` for XGBoost and LightGBM."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    origin = type(estimator).__module__.split(".")[0]
    if origin in ("xgboost", "lightgbm"):
        try:
            import onnxmltools  # type: ignore
            from onnxmltools.convert.common.data_types import FloatTensorType  # type: ignore
        except ImportError as e:
            raise ImportError(
                f"starkml.from_sklearn needs onnxmltools for {origin} models: pip install onnxmltools"
            ) from e
        convert = onnxmltools.convert_xgboost if origin == "xgboost" else onnxmltools.convert_lightgbm
        types = [("input", FloatTensorType([None, X.shape[1]]))]
        onx = convert(estimator, initial_types=types, target_opset=target_opset)
    else:
        try:
            from skl2onnx import to_onnx  # type: ignore
        except ImportError as e:
            raise ImportError("starkml.from_sklearn needs skl2onnx: pip install skl2onnx") from e
        onx = to_onnx(estimator, X[:1], target_opset=target_opset)
    return compile(onx, X if calibration is None else calibration, **compile_kwargs)
