#!/usr/bin/env python3
"""Writes tests/data/torch_style/: ONNX graphs in the shape torch.onnx.export (opset 13)
gives small PyTorch models, with random weights (fixed seed) and onnxruntime outputs.

torch itself is not installable on our machines (no CPU-only wheel on PyPI), so the graphs
are written with onnx.helper, node by node as the exporter emits them: symbolic batch axis,
Conv + BatchNormalization (eval mode), MaxPool, GlobalAveragePool, the `x.view(x.size(0), -1)`
flatten (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), Linear as Gemm(transB=1), ReLU6 as
Clip with min/max inputs.

Usage (needs numpy, onnx, onnxruntime): python3 models/scripts/gen_torch_style.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "torch_style")


def f32(name, arr):
    return nh.from_array(np.asarray(arr, dtype=np.float32), name)


def i64(value):
    return nh.from_array(np.asarray(value, dtype=np.int64))


def cnn(rng):
    nodes = [
        h.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], pads=[1, 1, 1, 1], kernel_shape=[3, 3], name="/conv1/Conv"),
        h.make_node("BatchNormalization", ["c1", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"], ["b1"], epsilon=1e-5, name="/bn1/BatchNormalization"),
        h.make_node("Relu", ["b1"], ["r1"], name="/relu/Relu"),
        h.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="/pool/MaxPool"),
        h.make_node("Conv", ["p1", "conv2.weight"], ["c2"], kernel_shape=[3, 3], name="/conv2/Conv"),
        h.make_node("Relu", ["c2"], ["r2"], name="/relu_1/Relu"),
        h.make_node("GlobalAveragePool", ["r2"], ["gap"], name="/avgpool/GlobalAveragePool"),
        h.make_node("Shape", ["gap"], ["shape"], name="/Shape"),
        h.make_node("Constant", [], ["zero"], value=i64(0), name="/Constant"),
        h.make_node("Gather", ["shape", "zero"], ["n"], axis=0, name="/Gather"),
        h.make_node("Constant", [], ["axes"], value=i64([0]), name="/Constant_1"),
        h.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="/Unsqueeze"),
        h.make_node("Constant", [], ["minus1"], value=i64([-1]), name="/Constant_2"),
        h.make_node("Concat", ["n1", "minus1"], ["target"], axis=0, name="/Concat"),
        h.make_node("Reshape", ["gap", "target"], ["flat"], name="/Reshape"),
        h.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["fc"], alpha=1.0, beta=1.0, transB=1, name="/fc/Gemm"),
        h.make_node("Clip", ["fc", "min", "max"], ["output"], name="/act/Clip"),
    ]
    inits = [
        f32("conv1.weight", rng.normal(0, 0.4, (4, 1, 3, 3))),
        f32("conv1.bias", rng.normal(0, 0.1, 4)),
        f32("bn1.weight", rng.uniform(0.5, 1.5, 4)),
        f32("bn1.bias", rng.normal(0, 0.1, 4)),
        f32("bn1.running_mean", rng.normal(0, 0.1, 4)),
        f32("bn1.running_var", rng.uniform(0.5, 1.5, 4)),
        f32("conv2.weight", rng.normal(0, 0.3, (8, 4, 3, 3))),
        f32("fc.weight", rng.normal(0, 0.5, (5, 8))),
        f32("fc.bias", rng.normal(0, 0.1, 5)),
        f32("min", 0.0),
        f32("max", 6.0),
    ]
    g = h.make_graph(nodes, "torch_cnn", [h.make_tensor_value_info("input", T.FLOAT, ["batch_size", 1, 12, 12])],
                     [h.make_tensor_value_info("output", T.FLOAT, ["batch_size", 5])], inits)
    return g, (1, 12, 12)


def mlp(rng):
    nodes = [
        h.make_node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h1"], transB=1, name="/fc1/Gemm"),
        h.make_node("LeakyRelu", ["h1"], ["a1"], alpha=0.01, name="/act/LeakyRelu"),
        h.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["h2"], transB=1, name="/fc2/Gemm"),
        h.make_node("Add", ["h2", "a1_skip"], ["s"], name="/Add"),
        h.make_node("Relu", ["s"], ["r"], name="/relu/Relu"),
        h.make_node("Gemm", ["r", "fc3.weight", "fc3.bias"], ["output"], transB=1, name="/fc3/Gemm"),
        h.make_node("Identity", ["a1"], ["a1_skip"], name="/Identity"),
    ]
    # Identity must precede its reader: move it up.
    nodes.insert(3, nodes.pop())
    inits = [
        f32("fc1.weight", rng.normal(0, 0.4, (16, 10))),
        f32("fc1.bias", rng.normal(0, 0.1, 16)),
        f32("fc2.weight", rng.normal(0, 0.3, (16, 16))),
        f32("fc2.bias", rng.normal(0, 0.1, 16)),
        f32("fc3.weight", rng.normal(0, 0.3, (3, 16))),
        f32("fc3.bias", rng.normal(0, 0.1, 3)),
    ]
    g = h.make_graph(nodes, "torch_mlp", [h.make_tensor_value_info("input", T.FLOAT, ["batch_size", 10])],
                     [h.make_tensor_value_info("output", T.FLOAT, ["batch_size", 3])], inits)
    return g, (10,)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, make in [("torch_cnn", cnn), ("torch_mlp", mlp)]:
        g, shape = make(rng)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="starkml gen_torch_style.py")
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        path = os.path.join(OUT, f"{name}.onnx")
        onnx.save(m, path)
        xs = rng.uniform(0, 1, (12,) + shape).astype(np.float32)
        sess = ort.InferenceSession(path)
        ys = [sess.run(None, {"input": x[None]})[0].flatten().tolist() for x in xs]
        json.dump({"inputs": [x.flatten().tolist() for x in xs[:8]]}, open(os.path.join(OUT, f"{name}.calib.json"), "w"))
        json.dump({"inputs": [x.flatten().tolist() for x in xs[8:]], "expected": ys[8:]}, open(os.path.join(OUT, f"{name}.testset.json"), "w"))


if __name__ == "__main__":
    main()
