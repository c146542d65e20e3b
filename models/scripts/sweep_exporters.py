"""Sweep of scikit-learn estimators exported with skl2onnx's defaults (issue 14): each is
trained on a bundled dataset, exported, compiled by `starkml compile --calibrate` (64 training
rows) and run on 10 samples against onnxruntime; prints one line per estimator (compile or run
error, or the largest output difference). Nothing is committed from it: it finds what a user
with their own model would hit.

    /tmp/mlvenv/bin/python models/scripts/sweep_exporters.py PATH/TO/starkml [NAME ...]

(the virtual environment of gen_classical.py; output files go to /tmp/sweep).
"""
import json, os, subprocess, sys, warnings
os.makedirs("/tmp/sweep", exist_ok=True)
import numpy as np
import onnxruntime as ort
from sklearn import datasets
from skl2onnx import to_onnx
warnings.filterwarnings("ignore")
from sklearn.linear_model import LinearRegression, Ridge, Lasso, SGDClassifier, LogisticRegression, Perceptron, RidgeClassifier, ElasticNet, BayesianRidge, HuberRegressor
from sklearn.tree import DecisionTreeRegressor, ExtraTreeClassifier
from sklearn.ensemble import ExtraTreesClassifier, RandomForestRegressor, GradientBoostingClassifier, AdaBoostClassifier, HistGradientBoostingClassifier, HistGradientBoostingRegressor, IsolationForest, BaggingClassifier, VotingClassifier
from sklearn.naive_bayes import GaussianNB, BernoulliNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVR, LinearSVR, NuSVC
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler, PolynomialFeatures
from sklearn.pipeline import make_pipeline
from sklearn.neural_network import MLPRegressor
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
B = sys.argv[1]
ONLY = set(sys.argv[2:])
cases = [
 ("linreg", "diabetes", LinearRegression()), ("ridge", "diabetes", Ridge()), ("lasso", "diabetes", Lasso()),
 ("enet", "diabetes", ElasticNet()), ("bayesridge", "diabetes", BayesianRidge()), ("huber", "diabetes", HuberRegressor(max_iter=1000)),
 ("dtr", "diabetes", DecisionTreeRegressor(max_depth=6)), ("rfr", "diabetes", RandomForestRegressor(n_estimators=10, max_depth=6)),
 ("sgd", "iris", SGDClassifier()), ("perceptron", "iris", Perceptron()), ("ridgec", "iris", RidgeClassifier()),
 ("extratree", "iris", ExtraTreeClassifier()), ("extratrees", "iris", ExtraTreesClassifier(n_estimators=10)),
 ("gbc", "iris", GradientBoostingClassifier(n_estimators=20)), ("gbc_bin", "breast_cancer", GradientBoostingClassifier(n_estimators=20)),
 ("ada", "iris", AdaBoostClassifier(n_estimators=10)), ("hgbc", "iris", HistGradientBoostingClassifier(max_iter=20)),
 ("hgbr", "diabetes", HistGradientBoostingRegressor(max_iter=20)), ("iforest", "iris", IsolationForest(n_estimators=10)),
 ("bagging", "iris", BaggingClassifier(n_estimators=5)), ("gnb", "iris", GaussianNB()), ("bnb", "iris", BernoulliNB()), ("mnb", "iris", MultinomialNB()),
 ("knn", "iris", KNeighborsClassifier()), ("knnr", "diabetes", KNeighborsRegressor()), ("svr", "diabetes", SVR()), ("linsvr", "diabetes", LinearSVR()),
 ("nusvc", "iris", NuSVC()), ("pca", "iris", PCA(2)), ("tsvd", "iris", TruncatedSVD(2)), ("kmeans", "iris", KMeans(3, n_init=3)),
 ("minmax_logreg", "breast_cancer", make_pipeline(MinMaxScaler(), LogisticRegression())), ("robust_logreg", "wine", make_pipeline(RobustScaler(), LogisticRegression(max_iter=500))),
 ("maxabs_svc", "wine", make_pipeline(MaxAbsScaler(), LinearSVR())), ("poly_lin", "diabetes", make_pipeline(PolynomialFeatures(2), LinearRegression())),
 ("mlpr", "diabetes", make_pipeline(StandardScaler(), MLPRegressor((16,), max_iter=500))), ("lda", "iris", LinearDiscriminantAnalysis()),
 ("logreg_bin", "breast_cancer", make_pipeline(StandardScaler(), LogisticRegression())),
]
out = {}
for name, ds, m in [c for c in cases if not ONLY or c[0] in ONLY]:
    x, y = getattr(datasets, "load_" + ds)(return_X_y=True)
    x = x.astype(np.float32)
    try:
        m.fit(x, y)
        onx = to_onnx(m, x[:1])
    except Exception as e:
        out[name] = "export failed: " + str(e)[:100]; continue
    p = f"/tmp/sweep/{name}.onnx"
    open(p, "wb").write(onx.SerializeToString())
    json.dump({"inputs": [list(map(float, r)) for r in x[:64]]}, open(f"/tmp/sweep/{name}.calib.json", "w"))
    r = subprocess.run([B, "compile", p, "--calibrate", f"/tmp/sweep/{name}.calib.json", "-o", f"/tmp/sweep/{name}.stkm"], capture_output=True, text=True)
    if r.returncode != 0:
        out[name] = "COMPILE: " + r.stderr.strip().replace("\n", " | ")[:300]; continue
    sess = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
    iname = sess.get_inputs()[0].name
    worst, lab_ok, n = 0.0, 0, 10
    idx = np.linspace(0, len(x) - 1, n).astype(int)
    status = "ok"
    for i in idx:
        ref = sess.run(None, {iname: x[i:i+1]})
        json.dump({"input_name": iname, "data": list(map(float, x[i]))}, open("/tmp/sweep/in.json", "w"))
        r = subprocess.run([B, "run", f"/tmp/sweep/{name}.stkm", "--input", "/tmp/sweep/in.json", "--json"], capture_output=True, text=True)
        if r.returncode != 0:
            status = "RUN: " + r.stderr.strip()[:200]; break
        got = json.loads(r.stdout)["outputs"]
        for k, (g, rr) in enumerate(zip(got, ref)):
            if isinstance(rr, list):
                rr = [rr[0][kk] for kk in sorted(rr[0])]
            rr = np.asarray(rr, dtype=np.float64).ravel()
            gg = np.asarray(g["data"], dtype=np.float64).ravel()
            if gg.shape != rr.shape:
                status = f"shape {gg.shape} vs {rr.shape} out {k}"; break
            worst = max(worst, float(np.max(np.abs(gg - rr))) if len(gg) else 0)
    if status == "ok":
        status = f"ok max_err {worst:.2e}"
    out[name] = status
for k, v in out.items():
    print(f"{k:16s} {v}")
