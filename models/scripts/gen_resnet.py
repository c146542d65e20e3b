#!/usr/bin/env python3
"""Writes tests/data/resnet/: a ResNet-style CNN of 68 M multiply-accumulates, in the node
pattern torch.onnx.export (opset 13, training=EVAL, no constant folding of BatchNorm) gives a
torchvision-style BasicBlock network on 32x32 RGB input:

    stem  conv3x3 3->32, BN, ReLU                                   (32x32)
    stage conv3x3/2 32->64, BN, ReLU, conv3x3, BN  (+ conv1x1/2, BN shortcut), Add, ReLU
          conv3x3 64->64, BN, ReLU, conv3x3, BN    (+ identity), Add, ReLU   (16x16)
    stage the same at 128 channels                                  (8x8)
    head  GlobalAveragePool, Flatten, Gemm(transB=1) -> 10 logits

torch is not installable here, so the graph is written with onnx.helper node by node.
Weights are He-initialised from a fixed seed; every BatchNormalization's running mean and
variance are the statistics of its input over the calibration batch (computed with
onnxruntime, layer by layer), so activations are normalised as in a trained network in eval
mode. Inputs are N(0, 1) images (normalised pixels). Writes the model, 16 calibration
samples and a 4-sample test set with onnxruntime's logits.

Usage (needs numpy, onnx, onnxruntime): python3 models/scripts/gen_resnet.py [--size N --out DIR]

`--size N` builds the same network (same convolution weights; BatchNorm statistics from its
own samples) for N x N input (MACs and activations grow with N^2; BENCHMARKS.md's largest
proven model is built this way), with 4 calibration samples and one test input, into DIR.
"""
import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "resnet")
NAME = "resnet_cifar"


class Net:
    def __init__(self, rng, size):
        self.rng = rng
        self.size = size
        self.nodes = []
        self.inits = {}
        self.bns = []  # (bn name, input value name, channels)
        self.macs = 0

    def conv(self, x, name, cin, cout, k, stride, hw):
        w = self.rng.normal(0, np.sqrt(2.0 / (cin * k * k)), (cout, cin, k, k))
        self.inits[f"{name}.weight"] = w
        p = k // 2
        self.nodes.append(h.make_node(
            "Conv", [x, f"{name}.weight"], [f"/{name}/Conv_output_0"], dilations=[1, 1], group=1,
            kernel_shape=[k, k], pads=[p, p, p, p], strides=[stride, stride], name=f"/{name}/Conv"))
        out_hw = hw // stride
        self.macs += cout * out_hw * out_hw * cin * k * k
        return f"/{name}/Conv_output_0", out_hw

    def bn(self, x, name, c):
        self.inits[f"{name}.weight"] = self.rng.uniform(0.6, 1.2, c)
        self.inits[f"{name}.bias"] = self.rng.normal(0, 0.1, c)
        self.inits[f"{name}.running_mean"] = np.zeros(c)
        self.inits[f"{name}.running_var"] = np.ones(c)
        out = f"/{name}/BatchNormalization_output_0"
        self.nodes.append(h.make_node(
            "BatchNormalization",
            [x, f"{name}.weight", f"{name}.bias", f"{name}.running_mean", f"{name}.running_var"],
            [out], epsilon=1e-5, momentum=0.9, name=f"/{name}/BatchNormalization"))
        self.bns.append((name, x, c))
        return out

    def relu(self, x, name):
        out = f"/{name}/Relu_output_0"
        self.nodes.append(h.make_node("Relu", [x], [out], name=f"/{name}/Relu"))
        return out

    def block(self, x, name, cin, cout, stride, hw):
        y, hw2 = self.conv(x, f"{name}.conv1", cin, cout, 3, stride, hw)
        y = self.relu(self.bn(y, f"{name}.bn1", cout), f"{name}/relu")
        y, _ = self.conv(y, f"{name}.conv2", cout, cout, 3, 1, hw2)
        y = self.bn(y, f"{name}.bn2", cout)
        if stride != 1 or cin != cout:
            s, _ = self.conv(x, f"{name}.downsample.0", cin, cout, 1, stride, hw)
            s = self.bn(s, f"{name}.downsample.1", cout)
        else:
            s = x
        out = f"/{name}/Add_output_0"
        self.nodes.append(h.make_node("Add", [y, s], [out], name=f"/{name}/Add"))
        return self.relu(out, f"{name}/relu_1"), hw2

    def build(self):
        x, hw = self.conv("input", "conv1", 3, 32, 3, 1, self.size)
        x = self.relu(self.bn(x, "bn1", 32), "relu")
        x, hw = self.block(x, "layer1.0", 32, 64, 2, hw)
        x, hw = self.block(x, "layer1.1", 64, 64, 1, hw)
        x, hw = self.block(x, "layer2.0", 64, 128, 2, hw)
        x, hw = self.block(x, "layer2.1", 128, 128, 1, hw)
        self.nodes.append(h.make_node("GlobalAveragePool", [x], ["/avgpool/GlobalAveragePool_output_0"],
                                      name="/avgpool/GlobalAveragePool"))
        self.nodes.append(h.make_node("Flatten", ["/avgpool/GlobalAveragePool_output_0"], ["/Flatten_output_0"],
                                      axis=1, name="/Flatten"))
        self.inits["fc.weight"] = self.rng.normal(0, np.sqrt(1.0 / 128), (10, 128))
        self.inits["fc.bias"] = self.rng.normal(0, 0.05, 10)
        self.nodes.append(h.make_node("Gemm", ["/Flatten_output_0", "fc.weight", "fc.bias"], ["output"],
                                      alpha=1.0, beta=1.0, transB=1, name="/fc/Gemm"))
        self.macs += 128 * 10

    def model(self, extra_outputs=()):
        inits = [nh.from_array(np.asarray(v, dtype=np.float32), k) for k, v in self.inits.items()]
        outs = [h.make_tensor_value_info("output", T.FLOAT, ["batch_size", 10])]
        outs += [h.make_tensor_value_info(n, T.FLOAT, None) for n in extra_outputs]
        g = h.make_graph(self.nodes, "main_graph",
                         [h.make_tensor_value_info("input", T.FLOAT, ["batch_size", 3, self.size, self.size])],
                         outs, inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="pytorch",
                         producer_version="2.1.0")
        m.ir_version = 8
        return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    net = Net(rng, args.size)
    net.build()
    n_calib, n_test = (16, 4) if args.size == 32 else (4, 1)
    xs = rng.normal(0, 1, (n_calib + n_test, 3, args.size, args.size)).astype(np.float32)
    calib, test = xs[:n_calib], xs[n_calib:]
    # Running statistics of every BatchNormalization from its input over the calibration
    # batch, in graph order (each one changes what the later ones see).
    for name, x, c in net.bns:
        sess = ort.InferenceSession(net.model([x]).SerializeToString())
        a = sess.run([x], {"input": calib})[0]
        net.inits[f"{name}.running_mean"] = a.mean(axis=(0, 2, 3))
        net.inits[f"{name}.running_var"] = a.var(axis=(0, 2, 3)) + 1e-3
    m = net.model()
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(out_dir, f"{NAME}.onnx")
    onnx.save(m, path)
    sess = ort.InferenceSession(path)
    ys = sess.run(None, {"input": test})[0]
    json.dump({"inputs": [x.flatten().tolist() for x in calib]}, open(os.path.join(out_dir, f"{NAME}.calib.json"), "w"))
    json.dump({"inputs": [x.flatten().tolist() for x in test], "expected": ys.tolist()},
              open(os.path.join(out_dir, f"{NAME}.testset.json"), "w"))
    print(f"{path}: {net.macs / 1e6:.1f} M MACs, {sum(v.size for v in net.inits.values())} parameters, "
          f"logits range [{ys.min():.2f}, {ys.max():.2f}]")


if __name__ == "__main__":
    main()
