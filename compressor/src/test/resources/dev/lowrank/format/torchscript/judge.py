#!/usr/bin/python3
"""PyTorch as the judge of lowrank's TorchScript outputs.

Usage: judge.py SPEC.json RESULT.json

SPEC lists cases: {"name", "output", "original", "shape", "ranks": {layer: r}, "dense": [layer],
"javaParams", "features" (float32 little-endian file, N x prod(shape)), "djlLogits" (optional
float32 file, N x classes), "tolerance" (relative)}. For each case it loads both models with
torch.jit.load and checks:

  (a) every factorized layer's B A is the rank-r truncated SVD of the original W: the error
      ||W - B A||_F equals the Eckart-Young optimum sqrt(sum_{i>r} s_i^2) within 1e-4 ||W||_F;
  (b) the output's logits on the features equal those of the original model whose factorized
      layers hold W_r, and those DJL computed (djlLogits);
  (c) the output's parameter count is what lowrank reported (javaParams);

plus: the layers with lowrank_a/lowrank_b are exactly those of "ranks", the "dense" layers still
hold their weight, and the manifest is readable through _extra_files.
"""

import json
import math
import sys

import torch


def modules(m):
    return dict(m.named_modules())


def check(case):
    problems = []
    out = torch.jit.load(case["output"])
    ref = torch.jit.load(case["original"])
    extra = {"lowrank-manifest.json": ""}
    torch.jit.load(case["output"], _extra_files=extra)
    try:
        json.loads(extra["lowrank-manifest.json"])
    except ValueError:
        problems.append("the manifest is missing or not JSON")
    tol = case.get("tolerance", 1e-4)
    got, want = modules(out), modules(ref)
    factorized = {n: m for n, m in got.items() if hasattr(m, "lowrank_a")}
    if sorted(factorized) != sorted(case["ranks"]):
        problems.append(f"factorized layers {sorted(factorized)} != {sorted(case['ranks'])}")
    worst_ey = 0.0
    worst_wr = 0.0
    with torch.no_grad():
        for name, r in case["ranks"].items():
            m = got.get(name)
            if m is None or not hasattr(m, "lowrank_a"):
                continue
            a, b = m.lowrank_a, m.lowrank_b
            w0 = want[name].weight
            w = w0.double()
            if tuple(a.shape) != (r, w.shape[1]) or tuple(b.shape) != (w.shape[0], r):
                problems.append(f"{name}: A {tuple(a.shape)}, B {tuple(b.shape)}, rank {r}")
                continue
            if a.dtype != w0.dtype or b.dtype != w0.dtype:
                problems.append(f"{name}: factors are {a.dtype}, weight {w0.dtype}")
            u, s, vh = torch.linalg.svd(w, full_matrices=False)
            wr = (u[:, :r] * s[:r]) @ vh[:r]
            ba = b.double() @ a.double()
            norm = float(torch.linalg.norm(w))
            ey = abs(float(torch.linalg.norm(w - ba)) - float(torch.sqrt((s[r:] ** 2).sum())))
            worst_ey = max(worst_ey, ey / norm)
            worst_wr = max(worst_wr, float(torch.linalg.norm(ba - wr)) / norm)
            if ey > tol * norm:
                problems.append(f"{name}: ||W - BA|| is {ey / norm:.3g} ||W|| off the optimum")
            w0.copy_(wr.to(w0.dtype))
        for name in case["dense"]:
            m = got.get(name)
            if m is None or hasattr(m, "lowrank_a") or not hasattr(m, "weight"):
                problems.append(f"{name} should have stayed dense")
        n = case["rows"]
        x = torch.frombuffer(bytearray(open(case["features"], "rb").read()), dtype=torch.float32)
        x = x.reshape(n, *case["shape"])
        dtype = next(iter(out.parameters())).dtype
        if case.get("compareAsFloat"):
            out, ref = out.float(), ref.float()
            dtype = torch.float32
        y = out(x.to(dtype)).double()
        y_ref = ref(x.to(dtype)).double()
        scale = max(1.0, float(y_ref.abs().max()))
        logit_diff = float((y - y_ref).abs().max()) / scale
        if logit_diff > case.get("logitTolerance", 1e-4):
            problems.append(f"logits differ from the truncated reference by {logit_diff:.3g}")
        djl_diff = None
        if case.get("djlLogits"):
            d = torch.frombuffer(
                bytearray(open(case["djlLogits"], "rb").read()), dtype=torch.float32
            ).reshape(y.shape)
            djl_diff = float((d.double() - y).abs().max()) / scale
            if djl_diff > 1e-4:
                problems.append(f"DJL logits differ from PyTorch's by {djl_diff:.3g}")
        params = sum(p.numel() for p in out.parameters())
        if params != case["javaParams"]:
            problems.append(f"{params} parameters, lowrank reported {case['javaParams']}")
        accuracy = None
        if "labels" in case:
            labels = torch.tensor(case["labels"])
            accuracy = float((y.argmax(1) == labels).double().mean())
    return {
        "name": case["name"],
        "problems": problems,
        "eckartYoung": worst_ey,
        "truncationDistance": worst_wr,
        "logitDiff": logit_diff,
        "djlDiff": djl_diff,
        "parameters": params,
        "accuracy": accuracy,
        "torch": torch.__version__,
    }


def main():
    torch.set_num_threads(1)
    spec = json.load(open(sys.argv[1]))
    results = []
    for case in spec["cases"]:
        try:
            results.append(check(case))
        except Exception as e:  # report, do not stop: the Java test names the case
            results.append({"name": case["name"], "problems": [f"{type(e).__name__}: {e}"]})
    json.dump({"results": results}, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
