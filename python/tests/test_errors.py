"""Untrusted bytes and wrong inputs raise typed exceptions carrying the Rust message; each
refusal has a positive twin that passes."""

import numpy as np
import pytest

import starkml
from conftest import data, load_json


@pytest.fixture(scope="module")
def program():
    return starkml.compile(data("mlp_small.onnx"), calibration=data("mlp_small.calib.json"))


@pytest.fixture(scope="module")
def x():
    return np.asarray(load_json("mlp_small.input.json")["data"]).reshape(1, 64)


@pytest.fixture(scope="module")
def proof(program, x):
    return starkml.prove(program, x)


def test_exception_hierarchy():
    for e in [starkml.CompileError, starkml.InputError, starkml.ProgramError, starkml.RunError,
              starkml.ProveError, starkml.VerifyError]:
        assert issubclass(e, starkml.StarkmlError)
        assert e.__module__ == "starkml"


def test_malformed_onnx_bytes_raise_compile_error():
    good = data("mlp_small.onnx").read_bytes()
    assert starkml.compile(good).digest  # the positive twin
    with pytest.raises(starkml.CompileError, match="not a valid ONNX model"):
        starkml.compile(b"\x08\x07garbage")
    for cut in [1, 100, len(good) // 2, len(good) - 1]:
        with pytest.raises(starkml.CompileError):
            starkml.compile(good[:cut])
    with pytest.raises(TypeError, match="model must be"):
        starkml.compile(12345)


def test_malformed_program_bytes_raise_program_error(program):
    good = program.to_bytes()
    assert starkml.Program.from_bytes(good).digest == program.digest
    with pytest.raises(starkml.ProgramError, match="magic"):
        starkml.Program.from_bytes(b"XXXX" + good[4:])
    with pytest.raises(starkml.ProgramError):
        starkml.Program.from_bytes(good[: len(good) // 2])


def test_wrong_inputs_raise_input_error(program, x):
    assert program.predict(x) == program.predict(x.ravel())  # [64] for [1, 64] is accepted
    with pytest.raises(starkml.InputError, match=r"shape \[2, 64\].*expects \[1, 64\]"):
        program.run(np.zeros((2, 64)))
    with pytest.raises(starkml.InputError, match=r"shape \[63\]"):
        program.run(np.zeros(63))
    with pytest.raises(starkml.InputError, match="outside the declared range"):
        program.run(np.full((1, 64), 100.0))
    with pytest.raises(starkml.InputError, match="not finite"):
        program.run(np.full((1, 64), np.nan))
    with pytest.raises(starkml.InputError, match="not an array of numbers"):
        program.run([["a"] * 64])
    with pytest.raises(starkml.InputError, match="takes 1 input"):
        program.run({"input": x, "other": x})
    with pytest.raises(starkml.InputError):
        starkml.prove(program, np.zeros((2, 64)))


def test_tampered_proofs_raise_verify_error(program, proof):
    assert starkml.verify(program, proof).argmax == 2
    raw = proof.to_bytes()
    for at in [len(raw) // 3, len(raw) // 2, len(raw) - 10]:
        bad = bytearray(raw)
        bad[at] ^= 0x40
        with pytest.raises(starkml.VerifyError, match="invalid proof"):
            starkml.verify(program, bytes(bad))
    with pytest.raises(starkml.VerifyError):
        starkml.Proof.from_bytes(raw[:100])
    with pytest.raises(starkml.VerifyError):
        starkml.verify(program, b"")


def test_a_proof_of_another_program_is_refused(program, proof):
    other = starkml.compile(data("mlp_small.onnx"), calibration=data("mlp_small.calib.json"), scale=12)
    assert other.digest != program.digest
    with pytest.raises(starkml.VerifyError, match="program"):
        starkml.verify(other, proof)


def test_min_bits_is_enforced(program, proof):
    assert starkml.verify(program, proof, min_bits=96).conjectured_bits >= 96
    with pytest.raises(starkml.VerifyError, match="128"):
        starkml.verify(program, proof, min_bits=128)


def test_unknown_options_raise_value_error(program, x):
    with pytest.raises(ValueError, match="security preset"):
        starkml.prove(program, x, security="42")
    with pytest.raises(ValueError, match="hash"):
        starkml.prove(program, x, hash="md5")


def test_unprovable_programs_raise_prove_error(program, x):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    # One output is a constant: nothing the AIR proves computes it.
    const = helper.make_node(
        "Constant", [], ["y"], value=numpy_helper.from_array(np.ones((1, 2), np.float32))
    )
    add = helper.make_node("Add", ["x", "x"], ["z"])
    info = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph([const, add], "const_out", [info("x")], [info("y"), info("z")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    unprovable = starkml.compile(model)
    assert [o.name for o in unprovable.outputs] == ["y", "z"]
    assert "constant" in unprovable.summary["unprovable_ops"][0]
    assert unprovable.run(np.array([1.0, 2.0]))["z"].tolist() == [[2.0, 4.0]]
    with pytest.raises(starkml.ProveError, match="cannot prove 1 op"):
        starkml.prove(unprovable, np.array([1.0, 2.0]))
    assert program.summary["unprovable_ops"] == []
    starkml.prove(program, x)  # the positive twin


def test_external_data_is_read_beside_the_model(tmp_path, program):
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(data("mlp_small.onnx")))
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.onnx.data", size_threshold=0)
    assert (tmp_path / "ext.onnx.data").exists()
    compiled = starkml.compile(path, calibration=data("mlp_small.calib.json"))
    assert compiled.digest != "" and compiled.summary["parameters"] == program.summary["parameters"]
    x = np.asarray(load_json("mlp_small.input.json")["data"])
    np.testing.assert_array_equal(compiled.run(x)["output"], program.run(x)["output"])
    # The same bytes without their directory: the refusal names the file.
    with pytest.raises(starkml.CompileError, match="external file"):
        starkml.compile(path.read_bytes())
    (tmp_path / "ext.onnx.data").unlink()
    with pytest.raises(starkml.CompileError, match="cannot open"):
        starkml.compile(path)
