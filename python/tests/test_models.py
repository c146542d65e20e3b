"""The five bundled models from numpy: compile, run, prove, verify, and agreement with the
command line both ways."""

import json

import numpy as np
import pytest

import starkml
from conftest import MODELS, data, load_json

# Fixed point at the models' scale against onnxruntime's float outputs (stored in
# *.expected.json): the same tolerance as the Rust model tests.
FLOAT_TOLERANCE = 0.01


@pytest.fixture(scope="module", params=MODELS)
def compiled(request, tmp_path_factory):
    name = request.param
    program = starkml.compile(data(f"{name}.onnx"), calibration=data(f"{name}.calib.json"))
    path = tmp_path_factory.mktemp(name) / f"{name}.stkm"
    program.save(path)
    return name, program, path


def input_array(name):
    x = load_json(f"{name}.input.json")
    return np.asarray(x["data"], dtype=np.float64).reshape(x["shape"])


def test_compile_matches_the_cli_and_the_float_model(compiled, cli, tmp_path):
    name, program, _ = compiled
    out = tmp_path / "cli.stkm"
    code, _, err = cli("compile", data(f"{name}.onnx"), "-o", out, "--calibrate", data(f"{name}.calib.json"))
    assert code == 0, err
    assert starkml.Program.load(out).digest == program.digest
    outputs = program.run(input_array(name))
    expected = load_json(f"{name}.expected.json")
    got = outputs[expected["output_name"]]
    assert got.shape == tuple(expected["shape"])
    err = np.max(np.abs(got.ravel() - np.asarray(expected["data"])))
    assert err < FLOAT_TOLERANCE, f"{name}: max abs error {err}"
    assert program.predict(input_array(name)) == expected["argmax"]


def test_run_equals_starkml_run(compiled, cli):
    name, program, path = compiled
    code, out, err = cli("run", path, "--input", data(f"{name}.input.json"), "--json")
    assert code == 0, err
    ran = json.loads(out)
    mine = program.run(input_array(name))
    for o in ran["outputs"]:
        np.testing.assert_array_equal(mine[o["name"]].ravel(), np.asarray(o["data"]))
        assert list(mine[o["name"]].shape) == o["shape"]
    assert program.predict(input_array(name)) == ran["argmax"]


def test_python_proof_verifies_with_the_cli(compiled, cli, tmp_path):
    name, program, path = compiled
    proof = starkml.prove(program, input_array(name))
    proof_path = tmp_path / "py.proof"
    proof.save(proof_path)
    code, out, err = cli("verify", path, proof_path, "--json")
    assert code == 0, err
    v = json.loads(out)
    assert v["valid"] is True
    for o in v["outputs"]:
        np.testing.assert_array_equal(proof.outputs[o["name"]].ravel(), np.asarray(o["data"]))
    # The negative twin: one byte of the proof changed, the CLI refuses it.
    bad = bytearray(proof.to_bytes())
    bad[len(bad) // 2] ^= 0x01
    (tmp_path / "bad.proof").write_bytes(bytes(bad))
    code, out, _ = cli("verify", path, tmp_path / "bad.proof", "--json")
    assert code == 1 and json.loads(out.splitlines()[0])["valid"] is False


def test_cli_proof_verifies_in_python(compiled, cli, tmp_path):
    name, program, path = compiled
    proof_path = tmp_path / "cli.proof"
    code, _, err = cli("prove", path, "--input", data(f"{name}.ezkl_input.json"), "-o", proof_path)
    assert code == 0, err
    verified = starkml.verify(program, proof_path)
    ran = program.run(data(f"{name}.input.json"))
    for k, v in ran.items():
        np.testing.assert_array_equal(verified.outputs[k], v)
    assert verified.security == "96" and verified.conjectured_bits >= 96
    assert verified.program_digest == program.digest
    loaded = starkml.Proof.load(proof_path, program)
    for k, v in ran.items():
        np.testing.assert_array_equal(loaded.outputs[k], v)
