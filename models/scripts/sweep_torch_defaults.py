"""Export small PyTorch models with torch.onnx.export's defaults (since PyTorch 2.9 the
torch.export-based exporter, opset 18+, weights in model.onnx.data beside the model), compile
each with the starkml CLI, run it, compare with torch and prove it.

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch onnx onnxscript
    /tmp/torchvenv/bin/python models/scripts/sweep_torch_defaults.py $CARGO_TARGET_DIR/release/starkml

2026-12-02, torch 2.15.0: 9 of 10 compile, agree within 3.6e-4 and prove; LSTM (opset 20)
is refused as an unsupported operator."""
import json, os, subprocess, sys, warnings
import numpy as np
import torch
import torch.nn as nn

warnings.filterwarnings("ignore")
CLI = sys.argv[1]
OUT = os.environ.get("SWEEP_OUT", "/tmp/tsweep/out")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)


class Res(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1); self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1); self.b2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 4)
    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = torch.relu(self.b2(self.c2(y)) + y)
        return self.fc(y.mean(dim=(2, 3)))


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(8, 8); self.k = nn.Linear(8, 8); self.v = nn.Linear(8, 8)
    def forward(self, x):
        a = torch.softmax(self.q(x) @ self.k(x).transpose(-1, -2) / 8 ** 0.5, dim=-1)
        return a @ self.v(x)


cases = {
    "mlp": (nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3)), (1, 10)),
    "mlp_sigmoid_tanh": (nn.Sequential(nn.Linear(6, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2)), (1, 6)),
    "cnn_pool": (nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)), (1, 1, 12, 12)),
    "resblock_bn": (Res(), (1, 3, 8, 8)),
    "gelu_layernorm": (nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 4)), (1, 8)),
    "attention": (Attn(), (1, 4, 8)),
    "softmax_head": (nn.Sequential(nn.Linear(5, 7), nn.Softmax(dim=-1)), (1, 5)),
    "conv1d": (nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 14, 3)), (1, 2, 16)),
    "leaky_elu": (nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.ELU(), nn.Linear(8, 2)), (1, 4)),
    "lstm": (nn.LSTM(4, 6, batch_first=True), (1, 5, 4)),
}
for name, (m, shape) in cases.items():
    m.eval()
    for p in m.modules():
        if isinstance(p, nn.BatchNorm2d):
            p.running_mean.uniform_(-0.5, 0.5); p.running_var.uniform_(0.5, 2.0)
    d = f"{OUT}/{name}"; os.makedirs(d, exist_ok=True)
    x = torch.rand(*shape) * 2 - 1
    try:
        with torch.no_grad():
            torch.onnx.export(m, (x,), f"{d}/model.onnx")
    except Exception as e:
        print(f"{name:18} EXPORT FAILED {type(e).__name__}: {str(e)[:120]}"); continue
    with torch.no_grad():
        want = m(x)
        want = (want[0] if isinstance(want, tuple) else want).numpy()
    calib = [(torch.rand(*shape) * 2 - 1).numpy().ravel().tolist() for _ in range(32)]
    json.dump({"inputs": calib}, open(f"{d}/calib.json", "w"))
    json.dump({"data": x.numpy().ravel().tolist()}, open(f"{d}/input.json", "w"))
    r = subprocess.run([CLI, "compile", f"{d}/model.onnx", "-o", f"{d}/m.stkm", "--calibrate", f"{d}/calib.json"], capture_output=True, text=True)
    if r.returncode:
        print(f"{name:18} COMPILE FAILED: {r.stderr.strip()[:300]}"); continue
    warn = "prove-warning" if "cannot prove" in r.stderr else ""
    r = subprocess.run([CLI, "run", f"{d}/m.stkm", "--input", f"{d}/input.json", "--json"], capture_output=True, text=True)
    if r.returncode:
        print(f"{name:18} RUN FAILED: {r.stderr.strip()[:300]}"); continue
    got = np.asarray(json.loads(r.stdout)["outputs"][0]["data"])
    err = np.max(np.abs(got - want.ravel())) if got.size == want.size else float("nan")
    r = subprocess.run([CLI, "prove", f"{d}/m.stkm", "--input", f"{d}/input.json", "-o", f"{d}/p"], capture_output=True, text=True)
    proved = "proved" if r.returncode == 0 else "prove failed: " + r.stderr.strip().splitlines()[-1][:150]
    print(f"{name:18} ok, max err {err:.2e} {warn} {proved}")
