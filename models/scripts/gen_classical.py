"""Classical-ML test models (issue 14): scikit-learn, XGBoost and LightGBM exports.

Each model is trained on one of scikit-learn's bundled datasets with fixed seeds and
exported with its exporter's defaults (skl2onnx `to_onnx`, onnxmltools `convert_xgboost` /
`convert_lightgbm`): classifiers keep their ZipMap, inputs have a symbolic batch axis. For
each NAME this writes to `models/data/classical/`:

- `NAME.onnx`;
- `NAME.testset.json`: 100 held-out samples (float32 values), their true labels (or
  targets), and onnxruntime's outputs on each: `ort_label` and `ort_scores` (the
  probability row of a classifier, the prediction of a regressor);
- `NAME.calib.json`: the first 64 training samples, for `starkml compile --calibrate`;
- `models.json`: a summary (dataset, ops, exporter, float accuracy on the 100 samples).

Run (about a minute; needs the packages below from PyPI):

    python -m venv /tmp/mlvenv
    /tmp/mlvenv/bin/pip install scikit-learn skl2onnx onnxmltools xgboost lightgbm onnxruntime
    /tmp/mlvenv/bin/python models/scripts/gen_classical.py

The generated files are committed, so CI needs none of these packages.
"""

import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from sklearn import datasets
from sklearn.ensemble import AdaBoostClassifier, GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "classical")
N_TEST = 100
N_CALIB = 64
SEED = 0


def dataset(spec):
    """`NAME` or `NAME:plus1` (labels 1..C) or `NAME:pm1` (binary labels -1 / +1): class labels
    other than 0..C-1, as users' own data often has them."""
    name, _, relabel = spec.partition(":")
    loader = {
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "breast_cancer": datasets.load_breast_cancer,
        "diabetes": datasets.load_diabetes,
        "digits": datasets.load_digits,
    }[name]
    x, y = loader(return_X_y=True)
    x = x.astype(np.float32)
    if relabel == "plus1":
        y = y + 1
    elif relabel == "pm1":
        y = 2 * y - 1
    # Small datasets: the test split is N_TEST samples drawn with replacement from the
    # held-out part when it is smaller (iris, wine).
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=SEED)
    if len(xte) < N_TEST:
        idx = np.random.default_rng(SEED).choice(len(xte), N_TEST, replace=True)
        xte, yte = xte[idx], yte[idx]
    return xtr, ytr, xte[:N_TEST], yte[:N_TEST]


def skl(model, x):
    from skl2onnx import to_onnx

    return to_onnx(model, x[:1])


def xgb(model, x):
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    return convert_xgboost(model, initial_types=[("input", FloatTensorType([None, x.shape[1]]))])


def lgbm(model, x):
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    return convert_lightgbm(model, initial_types=[("input", FloatTensorType([None, x.shape[1]]))])


def models():
    from lightgbm import LGBMClassifier
    from xgboost import XGBClassifier

    return [
        ("dt_wine", "wine", DecisionTreeClassifier(max_depth=8, random_state=SEED), skl),
        ("rf_cancer", "breast_cancer", RandomForestClassifier(n_estimators=50, random_state=SEED), skl),
        ("gbr_diabetes", "diabetes", GradientBoostingRegressor(random_state=SEED), skl),
        ("xgb_wine", "wine", XGBClassifier(n_estimators=50, max_depth=4, random_state=SEED), xgb),
        ("lgbm_cancer", "breast_cancer", LGBMClassifier(n_estimators=50, random_state=SEED, verbose=-1), lgbm),
        ("logreg_iris_proba", "iris", LogisticRegression(max_iter=1000), skl),
        ("linsvc_cancer", "breast_cancer", LinearSVC(max_iter=20000, random_state=SEED), skl),
        ("svc_rbf_iris", "iris", SVC(kernel="rbf", random_state=SEED), skl),
        ("mlp_wine", "wine", make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=2000, random_state=SEED)), skl),
        ("logreg_wine_labels_1to3", "wine:plus1", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), skl),
        ("dt_cancer_labels_pm1", "breast_cancer:pm1", DecisionTreeClassifier(max_depth=4, random_state=SEED), skl),
        ("ada_iris", "iris", AdaBoostClassifier(random_state=SEED), skl),
        ("xgb_cancer_binary", "breast_cancer", XGBClassifier(n_estimators=50, max_depth=4, random_state=SEED), xgb),
        ("gnb_iris", "iris", GaussianNB(), skl),
    ]


def run_ort(path, x):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    labels, scores = [], []
    outs = [o.name for o in sess.get_outputs()]
    for row in x:
        res = sess.run(None, {name: row[None, :]})
        if len(outs) == 1:  # a regressor
            labels.append(None)
            scores.append([float(v) for v in np.asarray(res[0]).ravel()])
            continue
        labels.append(int(np.asarray(res[0]).ravel()[0]))
        p = res[1]
        if isinstance(p, list):  # ZipMap: a list of {label: probability}
            p = [p[0][k] for k in sorted(p[0])]
        scores.append([float(v) for v in np.asarray(p).ravel()])
    return name, outs, labels, scores


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    summary = {}
    index = os.path.join(OUT, "models.json")
    if only and os.path.exists(index):  # regenerating some: keep the others' entries
        with open(index) as f:
            summary = json.load(f)
    for name, ds, model, export in models():
        if only and name not in only:
            continue
        xtr, ytr, xte, yte = dataset(ds)
        model.fit(xtr, ytr)
        onx = export(model, xtr)
        path = os.path.join(OUT, f"{name}.onnx")
        onnx.save(onx, path)
        input_name, outs, labels, scores = run_ort(path, xte)
        classifier = labels[0] is not None
        if classifier:
            metric = float(np.mean(np.array(labels) == yte))
        else:
            metric = float(np.mean(np.abs(np.array(scores).ravel() - yte)))
        testset = {
            "kind": "classifier" if classifier else "regressor",
            "input_name": input_name,
            "input_shape": [1, int(xte.shape[1])],
            "outputs": outs,
            "inputs": [[float(v) for v in row] for row in xte],
            "labels": [float(v) for v in yte],
            "ort_label": labels if classifier else None,
            "ort_scores": scores,
        }
        with open(os.path.join(OUT, f"{name}.testset.json"), "w") as f:
            json.dump(testset, f)
        with open(os.path.join(OUT, f"{name}.calib.json"), "w") as f:
            json.dump(
                {
                    "input_shape": [1, int(xte.shape[1])],
                    "note": "first training samples, for calibration",
                    "inputs": [[float(v) for v in row] for row in xtr[:N_CALIB]],
                },
                f,
            )
        ops = sorted({f"{n.domain or 'ai.onnx'}.{n.op_type}" for n in onx.graph.node})
        summary[name] = {
            "dataset": ds,
            "estimator": type(model).__name__ if not hasattr(model, "steps") else
            " + ".join(type(s).__name__ for _, s in model.steps),
            "exporter": export.__name__,
            "ops": ops,
            "opsets": {o.domain or "ai.onnx": o.version for o in onx.opset_import},
            "outputs": outs,
            "accuracy_float" if classifier else "mae_float": metric,
            "onnx_bytes": os.path.getsize(path),
        }
        print(name, summary[name], flush=True)
    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
