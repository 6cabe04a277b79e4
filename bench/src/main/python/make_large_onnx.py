#!/usr/bin/python3
"""Writes a large ONNX model for the memory check of `lowrank compress` on ONNX files.

   /usr/bin/python3 bench/src/main/python/make_large_onnx.py OUT.onnx [--layers 16] [--width 4096]
       [--external]

Each layer is MatMul(x, W^T) + Add(bias) + Relu, as PyTorch exports nn.Linear on 3-D inputs, with
a trained-like weight (power-law spectrum, as make_large_model.py builds them); 16 layers of 4096
make a 1.07 GB file. With --external every tensor goes to OUT.onnx.data next to the model (ONNX's
external data), else the weights are inside the protobuf file. Needs Debian's python3-onnx.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--width", type=int, default=4096)
    ap.add_argument("--external", action="store_true")
    args = ap.parse_args()
    n = args.width
    rng = np.random.default_rng(0)
    # One pair of orthogonal bases; each layer permutes and flips them, so the weights differ but
    # share the trained-like spectrum s_i = 10 i^-0.7.
    u, _ = np.linalg.qr(rng.standard_normal((n, n), dtype=np.float32))
    v, _ = np.linalg.qr(rng.standard_normal((n, n), dtype=np.float32))
    s = (np.arange(1, n + 1, dtype=np.float32) ** -0.7) * 10.0
    nodes, inits = [], []
    x = "x"
    for i in range(args.layers):
        p = rng.permutation(n)
        signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), n)
        w = ((u[:, p] * signs) * s) @ v[:, p].T  # W (n x m), y = W x
        inits.append(numpy_helper.from_array(np.ascontiguousarray(w.T), f"onnx::MatMul_{i}"))
        inits.append(numpy_helper.from_array(np.zeros(n, np.float32), f"layers.{i}.bias"))
        nodes += [
            helper.make_node("MatMul", [x, f"onnx::MatMul_{i}"], [f"m{i}"],
                             name=f"/layers.{i}/MatMul"),
            helper.make_node("Add", [f"m{i}", f"layers.{i}.bias"], [f"a{i}"],
                             name=f"/layers.{i}/Add"),
            helper.make_node("Relu", [f"a{i}"], [f"h{i}"], name=f"/Relu_{i}"),
        ]
        x = f"h{i}"
    graph = helper.make_graph(
        nodes, "large", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if args.external:
        data = os.path.basename(args.out) + ".data"
        if os.path.exists(os.path.join(os.path.dirname(os.path.abspath(args.out)), data)):
            os.remove(os.path.join(os.path.dirname(os.path.abspath(args.out)), data))
        onnx.save_model(model, args.out, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data, size_threshold=1024)
    else:
        onnx.save_model(model, args.out)


if __name__ == "__main__":
    main()
