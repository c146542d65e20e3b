#!/usr/bin/env python3
"""Writes tests/data/transformer/: a transformer encoder block as torch.onnx.export (opset 17)
emits nn.TransformerEncoderLayer(d_model=32, nhead=2, dim_feedforward=64, batch_first=True,
activation="gelu") followed by a mean over the tokens and a linear classification head, with
random weights (fixed seed), calibration samples and onnxruntime outputs.

torch is not installable on our machines (no CPU-only wheel on PyPI), so the graph is written
with onnx.helper node by node in the exporter's pattern: the fused in-projection as MatMul +
Add, Split into q, k, v, per-head Reshape + Transpose, the 1/sqrt(d_head) scaling as Div,
Softmax(axis=-1), MatMul with v, Transpose + Reshape back, the out-projection, the residual Add,
LayerNormalization (opset 17), the exact GELU as Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x ->
Mul 0.5, the second residual and LayerNormalization, ReduceMean over tokens and Gemm(transB=1).

Usage (needs numpy, onnx, onnxruntime): python3 models/scripts/gen_transformer.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "transformer")
D, HEADS, FF, TOKENS, CLASSES = 32, 2, 64, 16, 4
DH = D // HEADS


def f32(name, arr):
    return nh.from_array(np.asarray(arr, dtype=np.float32), name)


def i64(name, value):
    return nh.from_array(np.asarray(value, dtype=np.int64), name)


def block(rng):
    n = []
    add = n.append
    add(h.make_node("MatMul", ["input", "in_proj_weight_t"], ["qkv0"], name="/self_attn/MatMul"))
    add(h.make_node("Add", ["qkv0", "in_proj_bias"], ["qkv"], name="/self_attn/Add"))
    add(h.make_node("Split", ["qkv", "split_sizes"], ["q", "k", "v"], axis=-1, name="/self_attn/Split"))
    for t in ["q", "k", "v"]:
        add(h.make_node("Reshape", [t, "heads_shape"], [t + "_h"], name=f"/self_attn/Reshape_{t}"))
    add(h.make_node("Transpose", ["q_h"], ["q_t"], perm=[0, 2, 1, 3], name="/self_attn/Transpose"))
    add(h.make_node("Transpose", ["k_h"], ["k_t"], perm=[0, 2, 3, 1], name="/self_attn/Transpose_1"))
    add(h.make_node("Transpose", ["v_h"], ["v_t"], perm=[0, 2, 1, 3], name="/self_attn/Transpose_2"))
    add(h.make_node("MatMul", ["q_t", "k_t"], ["scores0"], name="/self_attn/MatMul_1"))
    add(h.make_node("Div", ["scores0", "sqrt_dh"], ["scores"], name="/self_attn/Div"))
    add(h.make_node("Softmax", ["scores"], ["attn"], axis=-1, name="/self_attn/Softmax"))
    add(h.make_node("MatMul", ["attn", "v_t"], ["ctx_h"], name="/self_attn/MatMul_2"))
    add(h.make_node("Transpose", ["ctx_h"], ["ctx_t"], perm=[0, 2, 1, 3], name="/self_attn/Transpose_3"))
    add(h.make_node("Reshape", ["ctx_t", "model_shape"], ["ctx"], name="/self_attn/Reshape_3"))
    add(h.make_node("MatMul", ["ctx", "out_proj_weight_t"], ["o0"], name="/self_attn/out_proj/MatMul"))
    add(h.make_node("Add", ["o0", "out_proj_bias"], ["o"], name="/self_attn/out_proj/Add"))
    add(h.make_node("Add", ["input", "o"], ["res1"], name="/Add"))
    add(h.make_node("LayerNormalization", ["res1", "norm1.weight", "norm1.bias"], ["h1"], axis=-1, epsilon=1e-5, name="/norm1/LayerNormalization"))
    add(h.make_node("MatMul", ["h1", "linear1_weight_t"], ["f0"], name="/linear1/MatMul"))
    add(h.make_node("Add", ["f0", "linear1.bias"], ["f1"], name="/linear1/Add"))
    add(h.make_node("Div", ["f1", "sqrt2"], ["g0"], name="/activation/Div"))
    add(h.make_node("Erf", ["g0"], ["g1"], name="/activation/Erf"))
    add(h.make_node("Add", ["g1", "one"], ["g2"], name="/activation/Add"))
    add(h.make_node("Mul", ["f1", "g2"], ["g3"], name="/activation/Mul"))
    add(h.make_node("Mul", ["g3", "half"], ["g4"], name="/activation/Mul_1"))
    add(h.make_node("MatMul", ["g4", "linear2_weight_t"], ["f2"], name="/linear2/MatMul"))
    add(h.make_node("Add", ["f2", "linear2.bias"], ["f3"], name="/linear2/Add"))
    add(h.make_node("Add", ["h1", "f3"], ["res2"], name="/Add_1"))
    add(h.make_node("LayerNormalization", ["res2", "norm2.weight", "norm2.bias"], ["h2"], axis=-1, epsilon=1e-5, name="/norm2/LayerNormalization"))
    add(h.make_node("ReduceMean", ["h2"], ["pooled"], axes=[1], keepdims=0, name="/ReduceMean"))
    add(h.make_node("Gemm", ["pooled", "head.weight", "head.bias"], ["output"], alpha=1.0, beta=1.0, transB=1, name="/head/Gemm"))
    s = 1 / np.sqrt(D)
    inits = [
        f32("in_proj_weight_t", rng.normal(0, s, (D, 3 * D))),
        f32("in_proj_bias", rng.normal(0, 0.02, 3 * D)),
        i64("split_sizes", [D, D, D]),
        i64("heads_shape", [1, TOKENS, HEADS, DH]),
        f32("sqrt_dh", np.sqrt(DH)),
        i64("model_shape", [1, TOKENS, D]),
        f32("out_proj_weight_t", rng.normal(0, s, (D, D))),
        f32("out_proj_bias", rng.normal(0, 0.02, D)),
        f32("norm1.weight", rng.uniform(0.8, 1.2, D)),
        f32("norm1.bias", rng.normal(0, 0.05, D)),
        f32("linear1_weight_t", rng.normal(0, s, (D, FF))),
        f32("linear1.bias", rng.normal(0, 0.02, FF)),
        f32("sqrt2", np.sqrt(2.0)),
        f32("one", 1.0),
        f32("half", 0.5),
        f32("linear2_weight_t", rng.normal(0, 1 / np.sqrt(FF), (FF, D))),
        f32("linear2.bias", rng.normal(0, 0.02, D)),
        f32("norm2.weight", rng.uniform(0.8, 1.2, D)),
        f32("norm2.bias", rng.normal(0, 0.05, D)),
        f32("head.weight", rng.normal(0, s, (CLASSES, D))),
        f32("head.bias", rng.normal(0, 0.02, CLASSES)),
    ]
    graph = h.make_graph(
        n,
        "main_graph",
        [h.make_tensor_value_info("input", T.FLOAT, [1, TOKENS, D])],
        [h.make_tensor_value_info("output", T.FLOAT, [1, CLASSES])],
        inits,
    )
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], producer_name="pytorch", producer_version="2.5.1")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    rng = np.random.default_rng(17)
    model = block(rng)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "transformer_block.onnx")
    onnx.save(model, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    sample = lambda: rng.normal(0, 1, (1, TOKENS, D)).astype(np.float32)
    calib = [sample() for _ in range(20)]
    with open(os.path.join(OUT, "transformer_block.calib.json"), "w") as f:
        json.dump({"inputs": [c.ravel().tolist() for c in calib]}, f)
    tests = [sample() for _ in range(5)]
    expected = [sess.run(None, {"input": x})[0].ravel().tolist() for x in tests]
    with open(os.path.join(OUT, "transformer_block.testset.json"), "w") as f:
        json.dump({"inputs": [x.ravel().tolist() for x in tests], "expected": expected}, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
