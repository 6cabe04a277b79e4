#!/usr/bin/python3
"""PyTorch as the judge of lowrank's data-aware truncation of convolutions.

Usage: conv_calibration_judge.py SPEC.json RESULT.json

SPEC: {"convJudge": PATH of conv_judge.py, "cases": [{"name", "fixtures" (the script that defines
the eager model), "class" (its class name), "original" (the .pt), "inputs" (float32 file of the
calibration samples), "shape" (their shape, the whole set), "batch" (the judge's logit batch shape),
"grams": [{"layer", "file" (float64, m x m row-major: lowrank's Gram matrix of the layer's input
patches)}], "outputs": [{"name", "output" (a compressed .pt), "manifest" (its report, JSON)}]}]}.

For each case it rebuilds the eager model, loads the archive's state dict, records every
nn.Conv2d's input with forward pre-hooks on the calibration samples, unfolds it with F.unfold (the
layer's kernel, dilation, padding and stride) into patches P ([N L, C_in kh kw]) and:

  (a) compares G = P^T P (float64) with lowrank's Gram matrix of the layer;
  (b) runs conv_judge.check on every output (PyTorch loads it, its factor modules are the manifest's,
      its logits equal the original's with each kernel replaced by the product of its factors, its
      parameter count is the manifest's; no weight-optimum bound: data-aware factors do not aim at
      it);
  (c) measures each factorized convolution's data error on the patches,
      ||(W - W') P^T||_F / ||W P^T||_F with W' the product of its factors (either form), and the
      data-weighted optimum at its rank, sqrt(sum_{i>r} s_i^2 / sum s_i^2) with s the singular
      values of W_c G^(1/2) (the channel form W_c, G^(1/2) from torch.linalg.eigh: no Cholesky, so
      independent of lowrank's whitening).
"""

import importlib.util
import json
import sys

import torch
import torch.nn.functional as F


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def patches(conv, x):
    """F.unfold of a Conv2d's input, as rows [N L, C_in kh kw] (float64)."""
    cols = F.unfold(x, conv.kernel_size, dilation=conv.dilation, padding=conv.padding,
                    stride=conv.stride)
    return cols.transpose(1, 2).reshape(-1, cols.shape[1]).double()


def data_figures(w, w_approx, g, r):
    wm = w.double().reshape(w.shape[0], -1)
    em = wm - w_approx.double().reshape(w.shape[0], -1)
    total = float(torch.trace(wm @ g @ wm.T))
    lost = float(torch.trace(em @ g @ em.T))
    values, vectors = torch.linalg.eigh(g)
    half = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    s = torch.linalg.svdvals(wm @ half)
    optimum = float((s[r:] ** 2).sum() / (s ** 2).sum()) ** 0.5
    return (max(lost, 0.0) / total) ** 0.5, optimum


def check(case, conv_judge):
    problems = []
    fixtures = load_module(case["fixtures"], "fixtures_" + case["name"])
    scripted = torch.jit.load(case["original"])
    eager = getattr(fixtures, case["class"])()
    eager.load_state_dict(scripted.state_dict())
    eager.eval()
    n = 1
    for d in case["shape"]:
        n *= d
    x = torch.frombuffer(bytearray(open(case["inputs"], "rb").read()), dtype=torch.float32)
    x = x[:n].reshape(case["shape"])
    convs = {name: m for name, m in eager.named_modules() if isinstance(m, torch.nn.Conv2d)}
    seen = {}

    def hook(name):
        def record(module, inputs):
            seen.setdefault(name, []).append(patches(module, inputs[0]))
        return record

    for name, m in convs.items():
        m.register_forward_pre_hook(hook(name))
    with torch.no_grad():
        eager(x)
    grams = {name: sum(p.T @ p for p in ps) for name, ps in seen.items()}
    gram_diffs = {}
    for entry in case["grams"]:
        layer = entry["layer"]
        if layer not in grams:
            problems.append(f"{layer}: PyTorch's hooks saw no input")
            continue
        g = grams[layer]
        m = g.shape[0]
        ours = torch.frombuffer(bytearray(open(entry["file"], "rb").read()), dtype=torch.float64)
        if ours.numel() != m * m:
            problems.append(f"{layer}: lowrank's Gram has {ours.numel()} values, not {m} x {m}")
            continue
        d = float((ours.reshape(m, m) - g).abs().max()) / float(g.abs().max())
        gram_diffs[layer] = d
        if d > 1e-5:
            problems.append(f"{layer}: lowrank's patch Gram differs from F.unfold's by {d:.3g}")
    outputs = []
    for out in case["outputs"]:
        verdict = conv_judge.check({
            "name": out["name"], "output": out["output"], "original": case["original"],
            "shape": case["batch"], "manifest": out["manifest"], "tolerance": 1e-4,
            "optimum": 1e9,
        })
        problems.extend(f"{out['name']}: {p}" for p in verdict["problems"])
        compressed = dict(torch.jit.load(out["output"]).named_modules())
        layers = {}
        with torch.no_grad():
            for l in json.loads(out["manifest"])["layers"]:
                if l["status"] != "factorized" or l.get("kind") != "conv2d":
                    continue
                name, form, r = l["name"], l["form"], l["rank"]
                w = convs[name].weight
                module = compressed[name]
                w_approx = conv_judge.product(module.lowrank_a, module.lowrank_b, w, form)
                error, optimum = data_figures(w, w_approx, grams[name], r)
                layers[name] = {"form": form, "rank": r, "dataError": error, "optimum": optimum}
        outputs.append({"name": out["name"], "layers": layers})
    return {"name": case["name"], "problems": problems, "gramDiffs": gram_diffs,
            "outputs": outputs, "torch": torch.__version__}


def main():
    torch.set_num_threads(2)
    spec = json.load(open(sys.argv[1]))
    conv_judge = load_module(spec["convJudge"], "conv_judge")
    results = []
    for case in spec["cases"]:
        try:
            results.append(check(case, conv_judge))
        except Exception as e:  # report, do not stop: the Java test names the case
            results.append({"name": case["name"], "problems": [f"{type(e).__name__}: {e}"]})
    json.dump({"results": results}, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
