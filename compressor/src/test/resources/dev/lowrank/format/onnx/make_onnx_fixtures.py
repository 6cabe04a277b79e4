#!/usr/bin/python3
"""Writes the ONNX fixtures lowrank's tests read, and fixtures.json, their golden values.

Run from the repository root with Debian's PyTorch and ONNX (apt-get install -y python3-torch
python3-onnx):

    /usr/bin/python3 compressor/src/test/resources/dev/lowrank/format/onnx/make_onnx_fixtures.py

Into this script's folder it writes:

- mlp.onnx, transformer.onnx: the MLP (64-128-64-10) and the small transformer of the TorchScript
  fixtures (datasets/src/main/python/make_torchscript_fixtures.py, trained on the bundled digits),
  their weights loaded from mlp_scripted.pt and transformer_scripted.pt and exported with
  torch.onnx.export (opset 13, dynamic batch): nn.Linear on 2-D inputs becomes Gemm (transB=1),
  on 3-D inputs MatMul + Add; the transformer's attention adds MatMuls without weights.
- mlp_external.onnx + mlp_external.onnx.data: the same MLP with every tensor in an external file.
- edge.onnx: built with onnx.helper, the cases the rewriter must recognize and the ones it must
  leave dense: a weight shared by two MatMuls, one also read by ReduceSum, one that is a graph
  input, a float16 weight, a left operand (W @ x), a quantized MatMulInteger, a Gemm with transA,
  alpha, beta and C, a weight read by an If node's subgraph, an unnamed node, a MatMul on 3-D input.
- gemm_opset9.onnx: Gemm before opset 11 (C required), one with transA (stays dense).
- fixtures.json: per model the IR version, operator set, parameter count (elements of initializers
  of floating-point and 8-bit integer types), the layers lowrank must list (name, shape, bias,
  whether eligible), a fixed seeded input and the outputs for it: PyTorch's for the exported models,
  a NumPy evaluation of the graph for the hand-built ones.

Everything is seeded: a rerun with the same torch and onnx versions writes the same values (the
committed files were made with Debian bookworm's torch 1.13 and onnx 1.12).
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, *[".."] * 8))
TORCHSCRIPT = os.path.join(
    ROOT, "datasets", "src", "main", "resources", "dev", "lowrank", "datasets", "torchscript")
SEED = 20240531
PARAM_TYPES = {
    TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE,
    TensorProto.INT8, TensorProto.UINT8,
}


def parameters(model):
    return int(sum(int(np.prod(t.dims)) for t in model.graph.initializer
                   if t.data_type in PARAM_TYPES))


def layer(name, n, m, bias, eligible=True, reason=None):
    d = {"name": name, "outFeatures": n, "inFeatures": m, "bias": bias, "eligible": eligible}
    if reason:
        d["reason"] = reason
    return d


def entry(file, model, input_shape, x, y, layers, **extra):
    d = {
        "file": file,
        "irVersion": model.ir_version,
        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
        "parameters": parameters(model),
        "inputShape": input_shape,
        "input": [float(v) for v in x.reshape(-1)],
        "batch": int(x.shape[0]),
        "output": [float(v) for v in y.reshape(-1)],
        "outputWidth": int(np.prod(y.shape[1:])),
        "layers": layers,
    }
    d.update(extra)
    return d


def exported(rng):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "datasets", "src", "main", "python"))
    import make_torchscript_fixtures as ts

    out = []
    specs = [
        ("mlp", ts.Mlp, [64], [
            layer("fc1", 128, 64, True), layer("fc2", 64, 128, True), layer("fc3", 10, 64, True)]),
        ("transformer", ts.Transformer, [8, 8], [layer("embed", 32, 8, True)] + [
            l for i in range(2) for l in (
                layer(f"/enc/layers.{i}/self_attn/MatMul", 96, 32, True),
                layer(f"/enc/layers.{i}/self_attn/Gemm", 32, 32, True),
                layer(f"enc.layers.{i}.linear1", 64, 32, True),
                layer(f"enc.layers.{i}.linear2", 32, 64, True))
        ] + [layer("fc", 64, 256, True), layer("head", 10, 64, True)]),
    ]
    for name, cls, shape, layers in specs:
        module = cls()
        module.load_state_dict(torch.jit.load(os.path.join(TORCHSCRIPT, name + "_scripted.pt"))
                               .state_dict())
        module.eval()
        path = os.path.join(HERE, name + ".onnx")
        torch.onnx.export(
            module, torch.zeros([2] + shape), path, input_names=["x"], output_names=["logits"],
            dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
        model = onnx.load(path)
        x = rng.random_sample([3] + shape).astype(np.float32)
        with torch.no_grad():
            y = module(torch.from_numpy(x)).numpy()
        out.append(entry(name + ".onnx", model, shape, x, y, layers))
        if name == "mlp":
            ext = os.path.join(HERE, "mlp_external.onnx")
            if os.path.exists(ext + ".data"):
                os.remove(ext + ".data")  # onnx appends to an existing data file
            onnx.save_model(model, ext, save_as_external_data=True, all_tensors_to_one_file=True,
                            location="mlp_external.onnx.data", size_threshold=0)
            out.append(entry("mlp_external.onnx", onnx.load(ext, load_external_data=False),
                             shape, x, y, layers, data="mlp_external.onnx.data"))
    return out


def init(name, a, dtype=None):
    return numpy_helper.from_array(np.asarray(a, dtype=dtype), name)


def edge(rng):
    f32 = np.float32
    w = {k: (rng.standard_normal(s) / np.sqrt(s[0])).astype(f32) for k, s in [
        ("w_shared", (16, 16)), ("w_read", (16, 16)), ("w_input", (16, 16)),
        ("w_left", (8, 16)), ("w_gemm", (8, 12)), ("w_sub", (12, 12)),
        ("blk.weight", (12, 6)), ("w_proj", (3, 5))]}
    w_half = (rng.standard_normal((16, 16)) / 4).astype(np.float16)
    w_quant = rng.integers(-100, 100, size=(8, 8)).astype(np.int8)
    c_gemm = rng.standard_normal(12).astype(f32)
    blk_bias = rng.standard_normal(6).astype(f32)
    x_scale, x_zero, q_scale = f32(0.05), np.uint8(128), f32(0.01)
    inits = [init(k, v) for k, v in w.items()] + [
        init("w_half", w_half), init("w_quant", w_quant), init("c_gemm", c_gemm),
        init("blk.bias", blk_bias), init("x_scale", x_scale), init("x_zero", x_zero),
        init("w_zero", np.int8(0)), init("q_scale", f32(x_scale * q_scale)),
        init("flag", np.array(True)), init("shape3", np.array([-1, 2, 3], dtype=np.int64)),
        init("shape10", np.array([-1, 10], dtype=np.int64)),
    ]
    then_graph = helper.make_graph(
        [helper.make_node("MatMul", ["g1", "w_sub"], ["t_out"], name="/then/MatMul")],
        "then", [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, None)])
    else_graph = helper.make_graph(
        [helper.make_node("Identity", ["g1"], ["e_out"], name="/else/Identity")],
        "else", [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, None)])
    nodes = [
        helper.make_node("MatMul", ["x", "w_shared"], ["s1"], name="/shared/MatMul"),
        helper.make_node("MatMul", ["s1", "w_shared"], ["s2"], name="/shared/MatMul_1"),
        helper.make_node("MatMul", ["s2", "w_read"], ["r1"], name="/read/MatMul"),
        helper.make_node("ReduceSum", ["w_read"], ["rs"], name="/read/ReduceSum", keepdims=0),
        helper.make_node("Add", ["r1", "rs"], ["r2"], name="/read/Add"),
        helper.make_node("MatMul", ["r2", "w_input"], ["i1"], name="/input/MatMul"),
        helper.make_node("Cast", ["i1"], ["h0"], name="/half/Cast", to=TensorProto.FLOAT16),
        helper.make_node("MatMul", ["h0", "w_half"], ["h1"], name="/half/MatMul"),
        helper.make_node("Cast", ["h1"], ["f1"], name="/half/Cast_1", to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["f1"], ["f1t"], name="/left/Transpose"),
        helper.make_node("MatMul", ["w_left", "f1t"], ["l0"], name="/left/MatMul"),
        helper.make_node("Transpose", ["l0"], ["l1"], name="/left/Transpose_1"),
        helper.make_node("QuantizeLinear", ["l1", "x_scale", "x_zero"], ["lq"],
                         name="/quant/QuantizeLinear"),
        helper.make_node("MatMulInteger", ["lq", "w_quant", "x_zero", "w_zero"], ["qi"],
                         name="/quant/MatMulInteger"),
        helper.make_node("Cast", ["qi"], ["qf"], name="/quant/Cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["qf", "q_scale"], ["q1"], name="/quant/Mul"),
        helper.make_node("Transpose", ["q1"], ["q1t"], name="/gemm/Transpose"),
        helper.make_node("Gemm", ["q1t", "w_gemm", "c_gemm"], ["g1"], name="/gemm/Gemm",
                         transA=1, alpha=0.5, beta=2.0),
        helper.make_node("If", ["flag"], ["u1"], name="/branch/If",
                         then_branch=then_graph, else_branch=else_graph),
        helper.make_node("MatMul", ["u1", "w_sub"], ["u2"], name="/sub/MatMul"),
        helper.make_node("MatMul", ["u2", "blk.weight"], ["b0"]),
        helper.make_node("Add", ["b0", "blk.bias"], ["b1"]),
        helper.make_node("Reshape", ["b1", "shape3"], ["p0"], name="/seq/Reshape"),
        helper.make_node("MatMul", ["p0", "w_proj"], ["p1"], name="/seq/proj/MatMul"),
        helper.make_node("Reshape", ["p1", "shape10"], ["y"], name="/seq/Reshape_1"),
    ]
    graph = helper.make_graph(
        nodes, "edge",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16]),
         helper.make_tensor_value_info("w_input", TensorProto.FLOAT, [16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="lowrank-fixtures")
    model.ir_version = 7
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, "edge.onnx"))

    x = rng.standard_normal((3, 16)).astype(f32)
    h = x @ w["w_shared"] @ w["w_shared"]
    h = h @ w["w_read"] + w["w_read"].sum(dtype=f32)
    h = h @ w["w_input"]
    h = (h.astype(np.float16) @ w_half).astype(f32)
    h = (w["w_left"] @ h.T).T
    q = np.clip(np.rint(h / x_scale) + 128, 0, 255).astype(np.int32)
    h = ((q - 128) @ w_quant.astype(np.int32)).astype(f32) * f32(x_scale * q_scale)
    h = f32(0.5) * (h @ w["w_gemm"]) + f32(2.0) * c_gemm
    h = h @ w["w_sub"]
    h = h @ w["w_sub"]
    h = h @ w["blk.weight"] + blk_bias
    y = (h.reshape(-1, 2, 3) @ w["w_proj"]).reshape(-1, 10)
    layers = [
        layer("/shared/MatMul", 16, 16, False, False, "shared"),
        layer("/shared/MatMul_1", 16, 16, False, False, "shared"),
        layer("read", 16, 16, False, False, "also read by ReduceSum node '/read/ReduceSum'"),
        layer("input", 16, 16, False, False, "also a graph input"),
        layer("half", 16, 16, False, False, "FLOAT16"),
        layer("left", 8, 16, False, False, "left operand"),
        layer("quant", 8, 8, False, False, "quantized op MatMulInteger"),
        layer("gemm", 12, 8, True),
        layer("sub", 12, 12, False, False, "a subgraph of If node '/branch/If'"),
        layer("blk", 6, 12, True),
        layer("seq.proj", 5, 3, False),
    ]
    # The float16 product is where ONNX Runtime and NumPy may round differently.
    return entry("edge.onnx", model, [16], x, y, layers, tolerance=2e-2)


def gemm_opset9(rng):
    f32 = np.float32
    w1 = (rng.standard_normal((4, 6)) / 2).astype(f32)
    c1 = rng.standard_normal(4).astype(f32)
    w2 = (rng.standard_normal((4, 3)) / 2).astype(f32)
    c2 = rng.standard_normal(3).astype(f32)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "c1"], ["h"], name="/fc1/Gemm", transB=1),
        helper.make_node("Relu", ["h"], ["hr"], name="/Relu"),
        helper.make_node("Transpose", ["hr"], ["ht"], name="/Transpose"),
        helper.make_node("Gemm", ["ht", "w2", "c2"], ["y"], name="/fc2/Gemm", transA=1),
    ]
    graph = helper.make_graph(
        nodes, "gemm9", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [init("w1", w1), init("c1", c1), init("w2", w2), init("c2", c2)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)],
                              producer_name="lowrank-fixtures")
    model.ir_version = 4
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, "gemm_opset9.onnx"))
    x = rng.standard_normal((3, 6)).astype(f32)
    y = np.maximum(x @ w1.T + c1, 0) @ w2 + c2
    layers = [layer("fc1", 4, 6, True),
              layer("fc2", 3, 4, True, False, "before opset 11")]
    return entry("gemm_opset9.onnx", model, [6], x, y, layers)


def main():
    rng = np.random.RandomState(SEED)
    fixtures = exported(rng)
    rng = np.random.default_rng(SEED)
    fixtures += [edge(rng), gemm_opset9(rng)]
    with open(os.path.join(HERE, "fixtures.json"), "w", encoding="utf-8") as f:
        json.dump({"fixtures": fixtures, "onnx": onnx.__version__}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
