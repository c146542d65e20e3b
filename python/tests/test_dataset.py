"""One proof of a model's accuracy on a whole test set, from Python; files shared with the CLI."""

import json

import numpy as np
import pytest

import starkml
from conftest import DATA

CLASSICAL = DATA / "classical"


def test_dataset_accuracy_is_proven_and_bound_to_the_test_set(tmp_path):
    test_set = CLASSICAL / "dt_wine.testset.json"
    program = starkml.compile(
        CLASSICAL / "dt_wine.onnx", calibration=CLASSICAL / "dt_wine.calib.json", dataset=test_set
    )
    proof = starkml.prove(program, dataset=test_set)
    v = starkml.verify(program, proof, dataset=test_set)
    assert v.score is not None and v.score.startswith("accuracy ")
    labels = json.loads(test_set.read_text())["labels"]
    assert len(v.classes) == len(labels)
    correct = sum(int(c == y) for c, y in zip(v.classes, labels))
    assert v.score.startswith(f"accuracy {correct}/{len(labels)}")
    # The negative twin: the published test set differs in one label.
    other = json.loads(test_set.read_text())
    other["labels"][0] = (other["labels"][0] + 1) % 3
    with pytest.raises(starkml.VerifyError, match="another test set"):
        starkml.verify(program, proof, dataset=other)


def test_save_and_load_round_trip(tmp_path):
    program = starkml.compile(DATA / "logreg_iris.onnx", calibration=DATA / "logreg_iris.calib.json")
    program.save(tmp_path / "m.stkm")
    again = starkml.Program.load(tmp_path / "m.stkm")
    assert again.digest == program.digest and again.to_bytes() == program.to_bytes()
    x = np.asarray(json.loads((DATA / "logreg_iris.input.json").read_text())["data"])
    proof = starkml.prove(again, x, security="fast")
    proof.save(tmp_path / "m.proof")
    loaded = starkml.Proof.load(tmp_path / "m.proof", program)
    assert loaded.security == "fast" and loaded.trace_rows == proof.trace_rows
    assert loaded.program_digest == program.digest
    v = starkml.verify(tmp_path / "m.stkm", tmp_path / "m.proof")
    for k, val in loaded.outputs.items():
        np.testing.assert_array_equal(v.outputs[k], val)
    with pytest.raises(ValueError, match="does not know its program"):
        starkml.Proof.load(tmp_path / "m.proof").outputs
    with pytest.raises(OSError):
        starkml.Program.load(tmp_path / "missing.stkm")
