#!/usr/bin/env python3
"""Writes tests/data/export_patterns/: small ONNX graphs node for node in the shape that
torch.onnx.export (TorchScript exporter, opset 11-17) emits for small PyTorch models, with random
float32 weights (fixed seeds) and onnxruntime reference outputs.

torch itself is not installable here (no CPU-only wheel on PyPI), so every graph is written with
onnx.helper, reproducing the exporter's patterns: node names (`/fc1/Gemm`), value names
(`/fc1/Gemm_output_0`), parameter names (`fc1.weight`), Constant nodes for scalars and shapes,
the opset-dependent forms (Unsqueeze axes as attribute before opset 13 and as an input from 13,
Clip bounds as inputs from opset 11, Reshape `allowzero` from opset 14), and the value_info
that the exporter's ONNX shape inference adds.

For each model NAME (see PATTERNS below for what each one covers):
  NAME.onnx           the model
  NAME.input.json     {"input_name", "shape", "data"}: one held-out sample
  NAME.expected.json  {"shape", "data"}: onnxruntime's output for it
  NAME.calib.json     {"inputs": [[...], ...]}: 10 calibration samples, same distribution
and, for the models the transpiler must refuse, NAME.onnx only plus one entry in
refused.json: {"model", "error_contains"} (the substring was taken from `starkml compile`).

Usage (needs numpy, onnx, onnxruntime):  python3 models/scripts/gen_export_patterns.py
The output is deterministic: every model draws from its own numpy generator seeded by its
position in PATTERNS, and input data is rounded to 4 decimals (then fed to onnxruntime as the
exact float32 values written to the JSON).
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "export_patterns")
)
CALIB_SAMPLES = 10
DECIMALS = 4

# Error substrings for the refused models, as printed by `starkml compile` (checked by
# tests/tests/export_patterns.rs).
REFUSED = {
    "refuse_sklearn_svc_probability": "probability estimates (prob_a / prob_b",
    "refuse_dynamic_seq_len": "dimension 1 is symbolic ('seq_len'); only the batch axis may be dynamic",
}


# ----------------------------------------------------------------------------- helpers


class G:
    """Accumulates nodes and initializers the way the exporter names them."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.const_count = 0

    def node(self, op, inputs, name, outputs=None, **attrs):
        """Appends node `name` (e.g. "/fc1/Gemm"); output defaults to f"{name}_output_0"."""
        outs = outputs or [f"{name}_output_0"]
        self.nodes.append(h.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0]

    def constant(self, value, dtype):
        """A `/Constant_k` node as the exporter emits for Python scalars and shape lists."""
        k = self.const_count
        self.const_count += 1
        name = "/Constant" if k == 0 else f"/Constant_{k}"
        t = nh.from_array(np.asarray(value, dtype=dtype), name="")
        return self.node("Constant", [], name, value=t)

    def param(self, name, arr):
        self.inits.append(nh.from_array(np.asarray(arr, dtype=np.float32), name))
        return name

    def w(self, name, shape, fan_in=None):
        """Kaiming-uniform-like weights, as nn.Linear / nn.Conv2d initialise them."""
        fan_in = fan_in or int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_in) * np.sqrt(3.0)
        return self.param(name, self.rng.uniform(-bound, bound, shape))

    def b(self, name, n, scale=0.1):
        return self.param(name, self.rng.normal(0.0, scale, n))

    def linear(self, prefix, x, fin, fout):
        """nn.Linear on a 2-D input: Gemm(alpha=1, beta=1, transB=1)."""
        w = self.w(f"{prefix}.weight", (fout, fin))
        b = self.b(f"{prefix}.bias", fout)
        return self.node("Gemm", [x, w, b], f"/{prefix}/Gemm", alpha=1.0, beta=1.0, transB=1)

    def conv(self, prefix, x, cin, cout, k, pads, bias=True, group=1, dilations=None, strides=None):
        """nn.Conv2d: Conv with explicit dilations, group, kernel_shape, pads and strides."""
        pname = prefix.replace("/", ".")
        w = self.w(f"{pname}.weight", (cout, cin // group, k, k))
        ins = [x, w] + ([self.b(f"{pname}.bias", cout)] if bias else [])
        return self.node(
            "Conv",
            ins,
            f"/{prefix}/Conv",
            dilations=dilations or [1, 1],
            group=group,
            kernel_shape=[k, k],
            pads=[pads] * 4,
            strides=strides or [1, 1],
        )

    def bn(self, prefix, x, c, opset):
        """nn.BatchNorm{1,2}d in eval mode, not folded (do_constant_folding=False); from opset
        14 the exporter (symbolic_opset14.batch_norm) also writes training_mode=0."""
        ins = [
            x,
            self.param(f"{prefix}.weight", self.rng.uniform(0.5, 1.5, c)),
            self.param(f"{prefix}.bias", self.rng.normal(0.0, 0.1, c)),
            self.param(f"{prefix}.running_mean", self.rng.normal(0.0, 0.2, c)),
            self.param(f"{prefix}.running_var", self.rng.uniform(0.5, 1.5, c)),
        ]
        extra = {"training_mode": 0} if opset >= 14 else {}
        return self.node("BatchNormalization", ins, f"/{prefix}/BatchNormalization", epsilon=1e-5, momentum=0.9,
                         **extra)

    def view_flatten(self, x, opset):
        """`x.view(x.size(0), -1)` with a dynamic batch axis: Shape -> Gather(Constant 0) ->
        Unsqueeze (axes attribute before opset 13, Constant input from 13) -> Concat with
        Constant [-1] -> Reshape (allowzero=0 from opset 14)."""
        shape = self.node("Shape", [x], "/Shape")
        zero = self.constant(0, np.int64)
        n = self.node("Gather", [shape, zero], "/Gather", axis=0)
        if opset >= 13:
            axes = self.constant([0], np.int64)
            n1 = self.node("Unsqueeze", [n, axes], "/Unsqueeze")
        else:
            n1 = self.node("Unsqueeze", [n], "/Unsqueeze", axes=[0])
        minus1 = self.constant([-1], np.int64)
        target = self.node("Concat", [n1, minus1], "/Concat", axis=0)
        extra = {"allowzero": 0} if opset >= 14 else {}
        return self.node("Reshape", [x, target], "/Reshape", **extra)


def vi(name, dims):
    return h.make_tensor_value_info(name, T.FLOAT, dims)


IR_VERSION = {11: 6, 12: 7, 13: 7, 14: 8, 15: 8, 16: 8, 17: 8}


def finish(g, name, opset, inputs, outputs, keep_initializers_as_inputs=False, domains=()):
    if keep_initializers_as_inputs:
        inputs = inputs + [
            h.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in g.inits
        ]
    graph = h.make_graph(g.nodes, "main_graph", inputs, outputs, g.inits)
    imports = [h.make_opsetid("", opset)] + [h.make_opsetid(d, v) for d, v in domains]
    m = h.make_model(graph, opset_imports=imports, producer_name="pytorch", producer_version="2.1.0")
    m.ir_version = IR_VERSION[opset]
    onnx.checker.check_model(m, full_check=True)
    # The exporter runs ONNX shape inference and keeps the value_info it produces.
    return onnx.shape_inference.infer_shapes(m, strict_mode=True)


# ----------------------------------------------------------------------------- patterns
# Each builder returns (model, input_shape_with_batch_1, sampler(rng, n) -> [n, *shape]).


def normal(shape, sd=1.0):
    return lambda rng, n: rng.normal(0.0, sd, (n,) + tuple(shape))


def uniform(shape, lo, hi):
    return lambda rng, n: rng.uniform(lo, hi, (n,) + tuple(shape))


def linear_gemm_batch(rng):
    """1. nn.Sequential(Linear(16,32), ReLU, Linear(32,32), ReLU, Linear(32,10)) exported with
    dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}}, opset 17: Gemm with
    transB=1 (weights stay [out, in]) and a symbolic batch axis on the input and output."""
    g = G(rng)
    x = g.linear("fc1", "input", 16, 32)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.linear("fc2", x, 32, 32)
    x = g.node("Relu", [x], "/relu_1/Relu")
    w = g.w("fc3.weight", (10, 32))
    b = g.b("fc3.bias", 10)
    g.node("Gemm", [x, w, b], "/fc3/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "linear_gemm_batch", 17, [vi("input", ["batch_size", 16])], [vi("output", ["batch_size", 10])])
    return m, (1, 16), normal((16,))


def mlp_matmul_3d(rng):
    """2. The same Linear layers on a rank-3 input [1, 5, 8] (a sequence of 5 tokens): the
    exporter emits MatMul with a pre-transposed weight initializer named `onnx::MatMul_N`
    ([in, out]) followed by Add(bias, matmul) -- bias FIRST, as symbolic_opset9.linear
    builds it -- opset 14."""
    g = G(rng)
    w1 = g.param("onnx::MatMul_31", g.rng.uniform(-0.6, 0.6, (8, 16)))
    b1 = g.b("fc1.bias", 16)
    mm = g.node("MatMul", ["input", w1], "/fc1/MatMul")
    x = g.node("Add", [b1, mm], "/fc1/Add")
    x = g.node("Relu", [x], "/act/Relu")
    w2 = g.param("onnx::MatMul_32", g.rng.uniform(-0.43, 0.43, (16, 4)))
    b2 = g.b("fc2.bias", 4)
    mm = g.node("MatMul", [x, w2], "/fc2/MatMul")
    g.node("Add", [b2, mm], "/fc2/Add", outputs=["output"])
    m = finish(g, "mlp_matmul_3d", 14, [vi("input", [1, 5, 8])], [vi("output", [1, 5, 4])])
    return m, (1, 5, 8), normal((5, 8))


def cnn_bn_view(rng):
    """3. conv1 = Conv2d(3, 4, 3, padding=1) -> ReLU -> MaxPool2d(2, 2) -> conv2 = Conv2d(4, 8,
    3, padding=1, bias=False) -> BatchNorm2d(8) (eval mode, not folded) -> ReLU ->
    x.view(x.size(0), -1) (Shape/Gather/Unsqueeze/Concat/Reshape, opset 13 Unsqueeze with axes
    as a Constant input) -> fc = Linear(8*4*4, 6) as Gemm. Dynamic batch axis."""
    g = G(rng)
    x = g.conv("conv1", "input", 3, 4, 3, 1)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.node("MaxPool", [x], "/pool/MaxPool", ceil_mode=0, kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    x = g.conv("conv2", x, 4, 8, 3, 1, bias=False)
    x = g.bn("bn2", x, 8, 13)
    x = g.node("Relu", [x], "/relu_1/Relu")
    x = g.view_flatten(x, 13)
    w = g.w("fc.weight", (6, 128))
    b = g.b("fc.bias", 6)
    g.node("Gemm", [x, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "cnn_bn_view", 13, [vi("input", ["batch_size", 3, 8, 8])], [vi("output", ["batch_size", 6])])
    return m, (1, 3, 8, 8), uniform((3, 8, 8), 0.0, 1.0)


def relu6_clip(rng):
    """4. Linear -> nn.ReLU6 -> Linear -> torch.clamp(x, max=1.5) -> Linear, opset 11: ReLU6 is
    Clip(x, min, max) with min/max from scalar Constant nodes; clamp with only a max is
    Clip(x, "", max) (the min input given as the empty name)."""
    g = G(rng)
    x = g.linear("fc1", "input", 12, 24)
    lo = g.constant(0.0, np.float32)
    hi = g.constant(6.0, np.float32)
    x = g.node("Clip", [x, lo, hi], "/act/Clip")
    x = g.linear("fc2", x, 24, 16)
    hi2 = g.constant(1.5, np.float32)
    x = g.node("Clip", [x, "", hi2], "/Clip")
    w = g.w("fc3.weight", (5, 16))
    b = g.b("fc3.bias", 5)
    g.node("Gemm", [x, w, b], "/fc3/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "relu6_clip", 11, [vi("input", ["batch_size", 12])], [vi("output", ["batch_size", 5])])
    # Inputs with a large spread so that both clips saturate on some units of the held-out
    # sample (and of the calibration samples).
    return m, (1, 12), normal((12,), 5.0)


def gap_flatten_gemm(rng):
    """5. Conv2d(2, 6, 3) -> ReLU -> nn.AdaptiveAvgPool2d((1, 1)) (exported as
    GlobalAveragePool) -> torch.flatten(x, 1) (Flatten axis=1) -> Linear(6, 4), opset 12."""
    g = G(rng)
    x = g.conv("conv", "input", 2, 6, 3, 0)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.node("GlobalAveragePool", [x], "/avgpool/GlobalAveragePool")
    x = g.node("Flatten", [x], "/Flatten", axis=1)
    w = g.w("fc.weight", (4, 6))
    b = g.b("fc.bias", 4)
    g.node("Gemm", [x, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "gap_flatten_gemm", 12, [vi("input", ["batch_size", 2, 9, 9])], [vi("output", ["batch_size", 4])])
    return m, (1, 2, 9, 9), normal((2, 9, 9))


def avgpool_pad_ceil(rng):
    """6. Conv2d(2, 4, 3, padding=1) -> nn.AvgPool2d(3, stride=2, padding=1,
    count_include_pad=False) -> nn.AvgPool2d(2, stride=2, ceil_mode=True,
    count_include_pad=False) -> flatten -> Linear, opset 13. torch >= 2.0 (symbolic_opset10
    _avg_pool) emits ceil_mode and count_include_pad as attributes, no Pad node. The
    ceil-mode window overhangs the 5x5 map: 3x3 outputs where floor mode gives 2x2."""
    g = G(rng)
    x = g.conv("conv", "input", 2, 4, 3, 1)
    x = g.node("AveragePool", [x], "/pool1/AveragePool", ceil_mode=0, count_include_pad=0,
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    x = g.node("AveragePool", [x], "/pool2/AveragePool", ceil_mode=1, count_include_pad=0,
               kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    x = g.node("Flatten", [x], "/Flatten", axis=1)
    w = g.w("fc.weight", (5, 4 * 3 * 3))
    b = g.b("fc.bias", 5)
    g.node("Gemm", [x, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "avgpool_pad_ceil", 13, [vi("input", ["batch_size", 2, 9, 9])], [vi("output", ["batch_size", 5])])
    return m, (1, 2, 9, 9), normal((2, 9, 9))


def avgpool_ceil_include_pad(rng):
    """6b. The PyTorch default nn.AvgPool2d(2, ceil_mode=True) (count_include_pad=True) on a
    5x5 map, opset 13: AveragePool(ceil_mode=1, count_include_pad=1, pads 0). The last window
    of each axis overhangs the input by one column/row that is NOT padding; PyTorch divides it
    by the in-bounds count (here 2 or 1). This onnxruntime divides by the same count, which is
    what the runtime's pooling kernel does too."""
    g = G(rng)
    x = g.conv("conv", "input", 1, 3, 3, 1)
    x = g.node("AveragePool", [x], "/pool/AveragePool", ceil_mode=1, count_include_pad=1,
               kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    x = g.node("Flatten", [x], "/Flatten", axis=1)
    w = g.w("fc.weight", (4, 3 * 3 * 3))
    b = g.b("fc.bias", 4)
    g.node("Gemm", [x, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "avgpool_ceil_include_pad", 13, [vi("input", ["batch_size", 1, 5, 5])], [vi("output", ["batch_size", 4])])
    return m, (1, 1, 5, 5), normal((1, 5, 5))


def leaky_dropout_identity(rng):
    """7. Linear -> BatchNorm1d -> LeakyReLU(0.1) -> Dropout(0.5) -> Linear whose weight is tied
    to a module attribute (the exporter reads it through an Identity node: Identity(fc2.weight)
    -> onnx::Gemm_N), opset 13. Dropout as exported with training=TrainingMode.PRESERVE in
    eval mode: Dropout(x, ratio) with the ratio a scalar Constant input and no training_mode
    input (inference: the identity)."""
    g = G(rng)
    x = g.linear("fc1", "input", 10, 20)
    x = g.bn("bn1", x, 20, 13)
    x = g.node("LeakyRelu", [x], "/act/LeakyRelu", alpha=0.1)
    ratio = g.constant(0.5, np.float32)
    x = g.node("Dropout", [x, ratio], "/drop/Dropout")
    w = g.w("fc2.weight", (20, 20))
    wid = g.node("Identity", [w], "/Identity", outputs=["onnx::Gemm_41"])
    b = g.b("fc2.bias", 20)
    x = g.node("Gemm", [x, wid, b], "/fc2/Gemm", alpha=1.0, beta=1.0, transB=1)
    x = g.node("LeakyRelu", [x], "/act_1/LeakyRelu", alpha=0.1)
    w3 = g.w("fc3.weight", (3, 20))
    b3id = g.node("Identity", [g.b("fc3.bias", 3)], "/Identity_1", outputs=["onnx::Gemm_42"])
    g.node("Gemm", [x, w3, b3id], "/fc3/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "leaky_dropout_identity", 13, [vi("input", ["batch_size", 10])], [vi("output", ["batch_size", 3])])
    return m, (1, 10), normal((10,))


def residual_block(rng):
    """8. stem Conv2d(1, 4, 3, padding=1) -> ReLU -> BasicBlock without BN (Conv -> ReLU ->
    Conv -> Add(out, identity) -> ReLU) -> x.view(x.size(0), -1) in the opset 11 form
    (Unsqueeze with an axes attribute) -> Linear, opset 11."""
    g = G(rng)
    x = g.conv("stem", "input", 1, 4, 3, 1)
    skip = g.node("Relu", [x], "/relu/Relu")
    y = g.conv("block/conv1", skip, 4, 4, 3, 1)
    y = g.node("Relu", [y], "/block/relu/Relu")
    y = g.conv("block/conv2", y, 4, 4, 3, 1)
    y = g.node("Add", [y, skip], "/block/Add")
    y = g.node("Relu", [y], "/block/relu_1/Relu")
    y = g.node("MaxPool", [y], "/pool/MaxPool", kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    y = g.view_flatten(y, 11)
    w = g.w("fc.weight", (5, 4 * 3 * 3))
    b = g.b("fc.bias", 5)
    g.node("Gemm", [y, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "residual_block", 11, [vi("input", ["batch_size", 1, 6, 6])], [vi("output", ["batch_size", 5])])
    return m, (1, 1, 6, 6), normal((1, 6, 6))


def depthwise_dilated(rng):
    """9. MobileNet-style: Conv2d(3, 6, 1) -> ReLU6 (Clip with Constant bounds) -> depthwise
    Conv2d(6, 6, 3, padding=1, groups=6, bias=False) -> BatchNorm2d (opset 15 form, with
    training_mode=0) -> ReLU -> dilated Conv2d(6, 4, 3, padding=2, dilation=2) -> ReLU ->
    GlobalAveragePool -> Flatten -> Linear, opset 15."""
    g = G(rng)
    x = g.conv("pw", "input", 3, 6, 1, 0)
    lo = g.constant(0.0, np.float32)
    hi = g.constant(6.0, np.float32)
    x = g.node("Clip", [x, lo, hi], "/act/Clip")
    x = g.conv("dw", x, 6, 6, 3, 1, bias=False, group=6)
    x = g.bn("bn", x, 6, 15)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.conv("dil", x, 6, 4, 3, 2, dilations=[2, 2])
    x = g.node("Relu", [x], "/relu_1/Relu")
    x = g.node("GlobalAveragePool", [x], "/avgpool/GlobalAveragePool")
    x = g.node("Flatten", [x], "/Flatten", axis=1)
    w = g.w("fc.weight", (3, 4))
    b = g.b("fc.bias", 3)
    g.node("Gemm", [x, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "depthwise_dilated", 15, [vi("input", ["batch_size", 3, 7, 7])], [vi("output", ["batch_size", 3])])
    return m, (1, 3, 7, 7), normal((3, 7, 7))


def initializers_as_inputs(rng):
    """10. A LeNet-like Conv -> ReLU -> MaxPool -> x.view(-1, 72) (Reshape with a Constant
    [-1, 72] shape) -> Linear -> ReLU -> Linear exported with keep_initializers_as_inputs=True
    (the default before torch 1.8 / opset 9-11 exports): every initializer is also listed in
    graph.input after the real input, opset 11."""
    g = G(rng)
    x = g.conv("conv1", "input", 1, 2, 3, 0)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.node("MaxPool", [x], "/pool/MaxPool", kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    shape = g.constant([-1, 72], np.int64)
    x = g.node("Reshape", [x, shape], "/Reshape")
    x = g.linear("fc1", x, 72, 16)
    x = g.node("Relu", [x], "/relu_1/Relu")
    w = g.w("fc2.weight", (4, 16))
    b = g.b("fc2.bias", 4)
    g.node("Gemm", [x, w, b], "/fc2/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "initializers_as_inputs", 11, [vi("input", [1, 1, 14, 14])], [vi("output", [1, 4])],
               keep_initializers_as_inputs=True)
    return m, (1, 1, 14, 14), normal((1, 14, 14))


def normalize_concat_transpose(rng):
    """11. Input normalisation inside forward(): x / 255 (scalar Constant), (x - mean) / std
    with mean/std as [1, 3, 1, 1] Constants, x * 0.5 (scalar Constant Mul); two branches
    (Conv 1x1 and Conv 3x3 padding 1) -> torch.cat(dim=1) (Concat axis=1) -> ReLU ->
    x.permute(0, 2, 3, 1) (Transpose) -> torch.flatten(x, 1) -> Linear, opset 15. Input is a
    raw 0..255 image."""
    g = G(rng)
    c255 = g.constant(255.0, np.float32)
    x = g.node("Div", ["input", c255], "/Div")
    mean = g.constant(np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1), np.float32)
    x = g.node("Sub", [x, mean], "/Sub")
    std = g.constant(np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1), np.float32)
    x = g.node("Div", [x, std], "/Div_1")
    half = g.constant(0.5, np.float32)
    x = g.node("Mul", [x, half], "/Mul")
    a = g.conv("branch_a", x, 3, 2, 1, 0)
    b = g.conv("branch_b", x, 3, 3, 3, 1)
    x = g.node("Concat", [a, b], "/Concat", axis=1)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.node("Transpose", [x], "/Transpose", perm=[0, 2, 3, 1])
    x = g.node("Flatten", [x], "/Flatten", axis=1)
    w = g.w("fc.weight", (4, 5 * 5 * 5))
    bias = g.b("fc.bias", 4)
    g.node("Gemm", [x, w, bias], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "normalize_concat_transpose", 15, [vi("input", ["batch_size", 3, 5, 5])], [vi("output", ["batch_size", 4])])
    return m, (1, 3, 5, 5), lambda rng, n: np.round(rng.uniform(0.0, 255.0, (n, 3, 5, 5)))


def alias_identity_bn_fold(rng):
    """12. An Identity node on an activation (as tf2onnx, ONNX graph editors and torch for a
    tensor returned twice leave them) between a bias-free Conv and its BatchNorm, while the raw
    conv output has a second reader: Conv(1, 4, 3, padding=1, bias=False) -> Identity ->
    BatchNorm2d -> ReLU -> Add(., conv output) -> flatten -> Linear, opset 13. The BN must not
    be folded into the Conv: the Add reads the un-normalised conv output. (Wrong numbers in the
    transpiler at the time of writing: see KNOWN_FAILURES in tests/tests/export_patterns.rs.)"""
    g = G(rng)
    c = g.conv("conv", "input", 1, 4, 3, 1, bias=False)
    y = g.node("Identity", [c], "/Identity")
    y = g.bn("bn", y, 4, 13)
    y = g.node("Relu", [y], "/relu/Relu")
    y = g.node("Add", [y, c], "/Add")
    y = g.node("Flatten", [y], "/Flatten", axis=1)
    w = g.w("fc.weight", (3, 4 * 4 * 4))
    b = g.b("fc.bias", 3)
    g.node("Gemm", [y, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "alias_identity_bn_fold", 13, [vi("input", ["batch_size", 1, 4, 4])], [vi("output", ["batch_size", 3])])
    return m, (1, 1, 4, 4), normal((1, 4, 4))


def alias_dropout_bias_fold(rng):
    """13. A dense layer in the MatMul-then-Add(matmul, bias) order (as tf2onnx writes Keras
    Dense layers; torch writes Add(bias, matmul)) with a Dropout (opset 13, ratio input)
    between the MatMul and the bias Add, and a second reader of the raw MatMul output (a skip
    connection): MatMul -> Dropout -> Add(., bias) -> ReLU -> Add(., matmul) -> Linear. The bias
    must not be folded into the MatMul: the skip Add reads the MatMul without bias. (Wrong
    numbers in the transpiler at the time of writing: see KNOWN_FAILURES.)"""
    g = G(rng)
    w1 = g.param("dense/kernel", g.rng.uniform(-0.6, 0.6, (8, 6)))
    mm = g.node("MatMul", ["input", w1], "/dense/MatMul")
    ratio = g.constant(0.5, np.float32)
    x = g.node("Dropout", [mm, ratio], "/dense/Dropout")
    x = g.node("Add", [x, g.b("dense/bias", 6, 0.5)], "/dense/Add")
    x = g.node("Relu", [x], "/dense/Relu")
    x = g.node("Add", [x, mm], "/Add")
    w = g.w("fc.weight", (4, 6))
    b = g.b("fc.bias", 4)
    g.node("Gemm", [x, w, b], "/fc/Gemm", outputs=["output"], alpha=1.0, beta=1.0, transB=1)
    m = finish(g, "alias_dropout_bias_fold", 13, [vi("input", ["batch_size", 8])], [vi("output", ["batch_size", 4])])
    return m, (1, 8), normal((8,))


def softmax_output(rng):
    """A classifier whose forward() ends in F.softmax(x, dim=1): the probabilities are the
    graph output (refused until Softmax values were computed; kept as a positive case)."""
    g = G(rng)
    x = g.linear("fc1", "input", 6, 8)
    x = g.node("Relu", [x], "/relu/Relu")
    x = g.linear("fc2", x, 8, 3)
    g.node("Softmax", [x], "/Softmax", outputs=["output"], axis=1)
    m = finish(g, "softmax_output", 13, [vi("input", ["batch_size", 6])], [vi("output", ["batch_size", 3])])
    return m, (1, 6), normal((6,))


PATTERNS = [
    linear_gemm_batch,
    mlp_matmul_3d,
    cnn_bn_view,
    relu6_clip,
    gap_flatten_gemm,
    avgpool_pad_ceil,
    avgpool_ceil_include_pad,
    leaky_dropout_identity,
    residual_block,
    depthwise_dilated,
    initializers_as_inputs,
    normalize_concat_transpose,
    alias_identity_bn_fold,
    alias_dropout_bias_fold,
    softmax_output,
]


# ----------------------------------------------------------------------------- refused




def refuse_sklearn_svc_probability(rng):
    """R1. skl2onnx export of SVC(kernel="rbf", probability=True) with zipmap=False: an
    SVMClassifier with prob_a / prob_b (Platt scaling and libsvm's iterative pairwise
    coupling, refused with a hint). (Until issue 14 this slot held a Scaler pipeline, which
    now compiles.)"""
    sv = rng.normal(0.0, 1.0, (6, 4))
    nodes = [
        h.make_node("SVMClassifier", ["float_input"], ["label", "probabilities"], name="SVMc",
                    domain="ai.onnx.ml", classlabels_ints=[0, 1, 2], kernel_type="RBF",
                    kernel_params=[0.25, 0.0, 3.0], support_vectors=sv.flatten().tolist(),
                    vectors_per_class=[2, 2, 2], coefficients=rng.normal(0.0, 1.0, 12).tolist(),
                    rho=rng.normal(0.0, 0.5, 3).tolist(), prob_a=[-1.5, -1.2, -1.7],
                    prob_b=[0.1, -0.05, 0.02], post_transform="NONE"),
    ]
    graph = h.make_graph(nodes, "svc_probability", [h.make_tensor_value_info("float_input", T.FLOAT, [None, 4])],
                         [h.make_tensor_value_info("label", T.INT64, [None]),
                          h.make_tensor_value_info("probabilities", T.FLOAT, [None, 3])])
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 13), h.make_opsetid("ai.onnx.ml", 1)],
                     producer_name="skl2onnx", producer_version="1.16.0")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def refuse_dynamic_seq_len(rng):
    """R3. The rank-3 MLP of pattern 2 exported with dynamic_axes={"input": {0: "batch_size",
    1: "seq_len"}}: the sequence axis is symbolic, which a fixed-size program cannot take."""
    g = G(rng)
    w1 = g.param("onnx::MatMul_31", g.rng.uniform(-0.6, 0.6, (8, 4)))
    mm = g.node("MatMul", ["input", w1], "/fc1/MatMul")
    g.node("Add", [g.b("fc1.bias", 4), mm], "/fc1/Add", outputs=["output"])
    return finish(g, "refuse_dynamic_seq_len", 14, [vi("input", ["batch_size", "seq_len", 8])],
                  [vi("output", ["batch_size", "seq_len", 4])])


# (seed offset, builder): the seeds stay those of the first generation.
REFUSED_MODELS = [(1, refuse_sklearn_svc_probability), (2, refuse_dynamic_seq_len)]


# ----------------------------------------------------------------------------- output


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).flatten()]


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def quiet():
    """Session options without the warning about initializers listed as graph inputs."""
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return so


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed, make in enumerate(PATTERNS):
        name = make.__name__
        rng = np.random.default_rng(1000 + seed)
        model, shape, sampler = make(rng)
        path = os.path.join(OUT, f"{name}.onnx")
        onnx.save(model, path)
        # One held-out sample plus the calibration samples, from the same distribution; the
        # rounded float32 values are exactly what the JSON holds.
        xs = np.round(sampler(rng, CALIB_SAMPLES + 1), DECIMALS).astype(np.float32)
        xs = xs.reshape((CALIB_SAMPLES + 1,) + tuple(shape))
        sess = ort.InferenceSession(path, quiet(), providers=["CPUExecutionProvider"])
        in_name = sess.get_inputs()[0].name
        y = sess.run(None, {in_name: xs[0]})[0]
        dump(os.path.join(OUT, f"{name}.input.json"),
             {"input_name": in_name, "shape": list(shape), "data": [round(v, DECIMALS) for v in flat(xs[0])]})
        dump(os.path.join(OUT, f"{name}.expected.json"), {"shape": list(y.shape), "data": flat(y)})
        dump(os.path.join(OUT, f"{name}.calib.json"),
             {"inputs": [[round(v, DECIMALS) for v in flat(x)] for x in xs[1:]]})
        print(f"{name}: input {list(shape)} -> output {list(y.shape)}")
    refused = []
    for seed, make in REFUSED_MODELS:
        name = make.__name__
        model = make(np.random.default_rng(2000 + seed))
        onnx.save(model, os.path.join(OUT, f"{name}.onnx"))
        # The model itself is valid: onnxruntime loads it.
        ort.InferenceSession(os.path.join(OUT, f"{name}.onnx"), quiet(), providers=["CPUExecutionProvider"])
        refused.append({"model": f"{name}.onnx", "error_contains": REFUSED[name]})
        print(f"{name}: refused model")
    dump(os.path.join(OUT, "refused.json"), refused)


if __name__ == "__main__":
    main()
