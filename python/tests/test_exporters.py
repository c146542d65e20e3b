"""scikit-learn through skl2onnx with its defaults, and PyTorch when installed."""

import numpy as np
import pytest

import starkml

# The fixed-point probabilities against scikit-learn's floats: a softmax through tables at
# the program's scale (the Rust classical tests use 5e-3 for the same exports).
PROBA_TOLERANCE = 5e-3


def test_from_sklearn_logistic_regression():
    pytest.importorskip("skl2onnx")
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.linear_model import LogisticRegression

    X, y = datasets.load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    program = starkml.from_sklearn(model, X)
    names = [o.name for o in program.outputs]
    assert names == ["output_label", "output_probability"], names
    agree = 0
    for row in X[::10]:
        out = program.run(row)
        agree += int(out["output_label"].ravel()[0] == model.predict(row[None])[0])
        proba = out["output_probability"].ravel()
        err = np.max(np.abs(proba - model.predict_proba(row[None])[0]))
        assert err < PROBA_TOLERANCE, err
    assert agree == len(X[::10])
    proof = starkml.prove(program, X[0])
    assert starkml.verify(program, proof).argmax == int(model.predict(X[:1])[0])


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_from_sklearn_boosted_trees_when_installed(library):
    lib = pytest.importorskip(library)
    pytest.importorskip("onnxmltools")
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    if library == "xgboost":
        model = lib.XGBClassifier(n_estimators=10, max_depth=3).fit(X, y)
    else:
        model = lib.LGBMClassifier(n_estimators=10, num_leaves=8, verbose=-1).fit(X, y)
    program = starkml.from_sklearn(model, X)
    rows = X[::25]
    labels = [int(program.run(r)[program.outputs[0].name].ravel()[0]) for r in rows]
    assert labels == [int(v) for v in model.predict(rows)]
    assert starkml.verify(program, starkml.prove(program, X[0])).argmax == labels[0]


@pytest.mark.parametrize("dynamo", [None, False])
def test_from_torch_when_installed(dynamo):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 6 * 6, 3),
    )
    x = torch.rand(1, 1, 6, 6)
    calibration = torch.rand(64, 1, 6, 6).numpy()
    program = starkml.from_torch(net, x, calibration=calibration, dynamo=dynamo)
    got = program.run(x.numpy())["output"]
    want = net(x).detach().numpy()
    assert np.max(np.abs(got - want)) < 0.01, (got, want)
    assert starkml.verify(program, starkml.prove(program, x.numpy())).argmax == int(want.argmax())


def test_from_torch_without_onnxscript_falls_back(monkeypatch):
    torch = pytest.importorskip("torch")
    import sys

    monkeypatch.setitem(sys.modules, "onnxscript", None)  # `import onnxscript` fails
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    x = torch.rand(1, 4)
    program = starkml.from_torch(net, x, calibration=torch.rand(32, 4).numpy())
    assert np.max(np.abs(program.run(x.numpy())["output"] - net(x).detach().numpy())) < 0.01


def test_exporters_say_what_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith(("skl2onnx", "onnxmltools")):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match="pip install torch"):
        starkml.from_torch(object(), None)
    with pytest.raises(ImportError, match="pip install skl2onnx"):
        starkml.from_sklearn(object(), np.zeros((1, 2)))

    class XGBLike:  # what from_sklearn sees of an XGBoost model: its module
        __module__ = "xgboost.sklearn"

    with pytest.raises(ImportError, match="pip install onnxmltools"):
        starkml.from_sklearn(XGBLike(), np.zeros((1, 2)))
