"""Writes the ONNX backend node-test cases of the installed `onnx` package as files.

Usage: python generate.py OUT_DIR

The `onnx` wheel does not ship its node cases as files: it generates them
(`onnx.backend.test.case.node.collect_testcases`). This script writes every case as

    OUT_DIR/<case>/model.onnx
    OUT_DIR/<case>/test_data_set_0/input_J.pb, output_J.pb

(a serialized TensorProto, or SequenceProto / OptionalProto / MapProto for non-tensor
values, as the onnx backend test runner reads them), plus OUT_DIR/index.json listing every
case: name, op_type, domain, expanded, opset, input and output names / kinds / dtypes /
shapes, rtol and atol. Random inputs come from numpy's legacy generator seeded with 0, so a
given onnx + numpy pair writes the same bytes every time; `index.json` records a SHA-256 of
the models and inputs (`inputs_digest`) that `scripts/get-conformance.sh` checks.

The cases are Apache-2.0 test data of the ONNX project (https://github.com/onnx/onnx,
onnx/backend/test/case/node); this script is starkml's own.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys

import numpy as np
import onnx
from onnx import numpy_helper

GENERATOR_VERSION = 1


def _write_value(path: str, value, vi: onnx.ValueInfoProto | None) -> tuple[dict, bytes]:
    """Serializes one input or output value; returns its index entry."""
    if isinstance(value, onnx.TensorProto):
        data = value.SerializeToString()
        entry = {"kind": "tensor", "dtype": onnx.helper.tensor_dtype_to_np_dtype(value.data_type).name
                 if value.data_type != onnx.TensorProto.STRING else "string",
                 "shape": list(value.dims)}
    elif isinstance(value, dict):
        data = numpy_helper.from_dict(value).SerializeToString()
        entry = {"kind": "map"}
    elif isinstance(value, list):
        data = numpy_helper.from_list(value).SerializeToString()
        entry = {"kind": "sequence"}
    elif value is None or (vi is not None and vi.type.HasField("optional_type")):
        data = numpy_helper.from_optional(value).SerializeToString()
        entry = {"kind": "optional"}
    else:
        arr = np.asarray(value)
        data = numpy_helper.from_array(arr).SerializeToString()
        entry = {"kind": "tensor", "dtype": "string" if arr.dtype.kind in "OSU" else arr.dtype.name,
                 "shape": list(arr.shape)}
    with open(path, "wb") as f:
        f.write(data)
    return entry, data


def _op_type(case, plain_ops: dict[str, tuple[str, str]]) -> tuple[str, str, bool]:
    """(op_type, domain, expanded) of a case: the tested node of a plain case; an expanded
    case (its graph is the op's function body) takes the op of the plain case it expands."""
    name = case.name
    if "_expanded" in name:
        base = name[: name.index("_expanded")]
        if base in plain_ops:
            op, dom = plain_ops[base]
            return op, dom, True
    nodes = case.model.graph.node
    if nodes:
        return nodes[0].op_type, nodes[0].domain or "ai.onnx", False
    return "", "ai.onnx", False


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python generate.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    np.random.seed(0)
    random.seed(0)
    from onnx.backend.test.case import node as node_cases

    cases = [c for c in node_cases.collect_testcases() if c.kind == "node" and c.model is not None]
    cases.sort(key=lambda c: c.name)
    plain_ops = {}
    for c in cases:
        if "_expanded" not in c.name and c.model.graph.node:
            n = c.model.graph.node[0]
            plain_ops[c.name] = (n.op_type, n.domain or "ai.onnx")

    os.makedirs(out, exist_ok=True)
    digest = hashlib.sha256()
    index_cases = []
    per_op: dict[str, dict[str, int]] = {}
    for c in cases:
        cdir = os.path.join(out, c.name)
        ddir = os.path.join(cdir, "test_data_set_0")
        os.makedirs(ddir, exist_ok=True)
        model_bytes = c.model.SerializeToString()
        with open(os.path.join(cdir, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        digest.update(c.name.encode() + b"\0" + model_bytes)
        g = c.model.graph
        inits = {t.name for t in g.initializer}
        in_vis = [v for v in g.input if v.name not in inits]
        inputs, outputs = c.data_sets[0] if c.data_sets else ([], [])
        in_entries, out_entries = [], []
        for j, v in enumerate(inputs):
            vi = in_vis[j] if j < len(in_vis) else None
            e, data = _write_value(os.path.join(ddir, f"input_{j}.pb"), v, vi)
            digest.update(data)
            in_entries.append({"name": vi.name if vi else f"input_{j}", **e})
        for j, v in enumerate(outputs):
            vi = g.output[j] if j < len(g.output) else None
            e, _ = _write_value(os.path.join(ddir, f"output_{j}.pb"), v, vi)
            out_entries.append({"name": vi.name if vi else f"output_{j}", **e})
        op, dom, expanded = _op_type(c, plain_ops)
        tally = per_op.setdefault(op, {"plain": 0, "expanded": 0})
        tally["expanded" if expanded else "plain"] += 1
        index_cases.append({
            "name": c.name,
            "op_type": op,
            "domain": dom,
            "expanded": expanded,
            "opset": {(o.domain or "ai.onnx"): o.version for o in c.model.opset_import},
            "ir_version": c.model.ir_version,
            "graph_ops": sorted({n.op_type for n in g.node}),
            "inputs": in_entries,
            "outputs": out_entries,
            "rtol": c.rtol,
            "atol": c.atol,
        })

    index = {
        "description": "ONNX backend node-test cases written by starkml's "
                       "scripts/conformance/generate.py from the onnx package",
        "generator_version": GENERATOR_VERSION,
        "onnx_version": onnx.__version__,
        "numpy_version": np.__version__,
        "total_cases": len(index_cases),
        "inputs_digest": digest.hexdigest(),
        "per_op": dict(sorted(per_op.items())),
        "cases": index_cases,
    }
    tmp = os.path.join(out, "index.json.tmp")
    with open(tmp, "w") as f:
        json.dump(index, f, indent=1)
    os.replace(tmp, os.path.join(out, "index.json"))
    print(f"{len(index_cases)} cases, {len(per_op)} ops, inputs digest {index['inputs_digest']}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
