#!/usr/bin/python3
"""The ONNX judge of OnnxCheckerJudgeTest: checks lowrank's ONNX outputs with Debian's python3-onnx.

    /usr/bin/python3 onnx_judge.py cases.json

For each case: onnx.checker.check_model(output, full_check=True) (which also runs shape
inference); the output keeps the original's IR version, operator sets, graph inputs and outputs;
each factorized layer's initializers <layer>.lowrank_a (A^T, m x r) and <layer>.lowrank_b (B^T,
r x n) are at the Eckart-Young optimum of the original weight (numpy's SVD in float64); the
original weight initializer is gone; and the parameter count (elements of floating-point and 8-bit
initializers) is the one lowrank reported. Prints one line per failure, exits 1 if any.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

PARAM_TYPES = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE,
               TensorProto.INT8, TensorProto.UINT8}


def initializers(model):
    return {t.name: t for t in model.graph.initializer}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    failures = []
    for c in cases:
        name = c["name"]
        try:
            onnx.checker.check_model(c["output"], full_check=True)
        except Exception as e:  # the checker's own exception types vary by version
            failures.append(f"{name}: the ONNX checker refuses the output: {e}")
            continue
        a = onnx.load(c["original"])
        b = onnx.load(c["output"])
        if a.ir_version != b.ir_version:
            failures.append(f"{name}: IR version {b.ir_version}, the original has {a.ir_version}")
        # proto3 leaves out fields at their default ("" for the domain): compare the values.
        if [(o.domain, o.version) for o in a.opset_import] != [
                (o.domain, o.version) for o in b.opset_import]:
            failures.append(f"{name}: operator sets changed")
        if list(a.graph.input) != list(b.graph.input) or list(a.graph.output) != list(b.graph.output):
            failures.append(f"{name}: graph inputs or outputs changed")
        ia, ib = initializers(a), initializers(b)
        for layer, spec in c["layers"].items():
            w = numpy_helper.to_array(ia[spec["weight"]]).astype(np.float64)
            if spec["transposed"]:
                w = w.T
            at = numpy_helper.to_array(ib[layer + ".lowrank_a"]).astype(np.float64)
            bt = numpy_helper.to_array(ib[layer + ".lowrank_b"]).astype(np.float64)
            r = at.shape[1]
            if r != spec["rank"] or bt.shape != (r, w.shape[0]) or at.shape[0] != w.shape[1]:
                failures.append(f"{name}: {layer} factors {at.shape} {bt.shape} for W {w.shape}")
                continue
            err = np.linalg.norm(w - (at @ bt).T)
            s = np.linalg.svd(w, compute_uv=False)
            opt = np.sqrt(np.sum(s[r:] ** 2))
            if err > opt * (1 + 1e-4) + 1e-6:
                failures.append(f"{name}: {layer} error {err} above the optimum {opt}")
            if spec["weight"] in ib:
                failures.append(f"{name}: {layer}'s weight {spec['weight']} is still there")
        params = sum(int(np.prod(t.dims)) for t in b.graph.initializer
                     if t.data_type in PARAM_TYPES)
        if params != c["javaParams"]:
            failures.append(f"{name}: {params} parameters, lowrank said {c['javaParams']}")
        print(f"{name}: checked", flush=True)
    for f in failures:
        print("FAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
