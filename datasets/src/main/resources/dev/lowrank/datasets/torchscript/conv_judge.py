#!/usr/bin/python3
"""PyTorch as the judge of lowrank's factorized convolutions, attention projections and encoders.

Usage: conv_judge.py SPEC.json RESULT.json

SPEC lists cases: {"name", "output", "original", "shape" (the whole input batch), "manifest" (the
lowrank report of the output, JSON), "tolerance" (relative logit difference), "optimum" (how far
above the Eckart-Young error a factor pair may be, e.g. 1.005)}. For each case it loads both
models with torch.jit.load (the output must load) and checks:

  (a) the modules that hold factors (lowrank_a/lowrank_b, or an attention module's
      <p>_proj_lowrank_a/_b) are exactly the layers the manifest lists as factorized, with the
      manifest's rank and, for a convolution, the shapes of the manifest's form;
  (b) each factor pair is within "optimum" of the Eckart-Young error of the kernel arranged as its
      form arranges it (channel: C_out x C_in kh kw; spatial: C_in kh x kw C_out);
  (c) the output's logits on a seeded random input equal those of the original model in which each
      factorized kernel (a projection's third of in_proj_weight) holds the product of its factors;
  (d) the output's parameter count is the manifest's params.compressed, the original's its
      params.original.
"""

import json
import sys

import torch


def split(name):
    """enc.layers.0.self_attn.in_proj_q -> ("enc.layers.0.self_attn", "q"); else (name, None)."""
    head, _, tail = name.rpartition(".")
    if tail in ("in_proj_q", "in_proj_k", "in_proj_v"):
        return head, tail[-1]
    return name, None


def original_weight(module, proj):
    if proj is None:
        return module.weight
    if getattr(module, "in_proj_weight", None) is not None:
        w = module.in_proj_weight
        e = w.shape[0] // 3
        i = "qkv".index(proj)
        return w[i * e:(i + 1) * e]
    return getattr(module, proj + "_proj_weight")


def factors(module, proj):
    if proj is None:
        return module.lowrank_a, module.lowrank_b
    return getattr(module, proj + "_proj_lowrank_a"), getattr(module, proj + "_proj_lowrank_b")


def arranged(w, form):
    """The matrix the form truncates (float64)."""
    w = w.double()
    if w.dim() == 2:
        return w
    c_out, c_in, kh, kw = w.shape
    if form == "spatial":
        return w.permute(1, 2, 3, 0).reshape(c_in * kh, kw * c_out)
    return w.reshape(c_out, -1)


def product(a, b, like, form):
    """B A in the original weight's layout (float64)."""
    a, b = a.double(), b.double()
    if like.dim() == 2:
        return b @ a
    if form == "spatial":
        return torch.einsum("okj,kci->ocij", b[:, :, 0, :], a[:, :, :, 0])
    c_out = like.shape[0]
    r = a.shape[0]
    return (b.reshape(c_out, r) @ a.reshape(r, -1)).reshape(like.shape)


def expected_shapes(w, form, r):
    if w.dim() == 2:
        return (r, w.shape[1]), (w.shape[0], r)
    c_out, c_in, kh, kw = w.shape
    if form == "spatial":
        return (r, c_in, kh, 1), (c_out, r, 1, kw)
    return (r, c_in, kh, kw), (c_out, r, 1, 1)


def held_factors(model):
    names = set()
    for name, m in model.named_modules():
        if hasattr(m, "lowrank_a"):
            names.add(name)
        for p in "qkv":
            if hasattr(m, p + "_proj_lowrank_a"):
                names.add(name + ".in_proj_" + p)
    return names


def check(case):
    problems = []
    out = torch.jit.load(case["output"])
    ref = torch.jit.load(case["original"])
    manifest = json.loads(case["manifest"])
    layers = [l for l in manifest["layers"] if l["status"] == "factorized"]
    want = {l["name"] for l in layers}
    got = held_factors(out)
    if got != want:
        problems.append(f"modules with factors {sorted(got)} != manifest {sorted(want)}")
    got_modules = dict(out.named_modules())
    ref_modules = dict(ref.named_modules())
    worst = 1.0
    with torch.no_grad():
        for l in layers:
            mod_name, proj = split(l["name"])
            form = l.get("form")
            r = l["rank"]
            if mod_name not in got_modules:
                problems.append(f"{l['name']}: no module {mod_name} in the output")
                continue
            w0 = original_weight(ref_modules[mod_name], proj)
            a, b = factors(got_modules[mod_name], proj)
            want_a, want_b = expected_shapes(w0, form, r)
            if tuple(a.shape) != want_a or tuple(b.shape) != want_b:
                problems.append(
                    f"{l['name']}: A {tuple(a.shape)}, B {tuple(b.shape)}, want {want_a} {want_b}"
                )
                continue
            if a.dtype != w0.dtype or b.dtype != w0.dtype:
                problems.append(f"{l['name']}: factors are {a.dtype}, weight {w0.dtype}")
            wr = product(a, b, w0, form)
            s = torch.linalg.svdvals(arranged(w0, form))
            optimum = float(torch.sqrt((s[r:] ** 2).sum()))
            error = float(torch.linalg.norm(w0.double() - wr))
            norm = float(torch.linalg.norm(w0.double()))
            ratio = error / optimum if optimum > 1e-9 * norm else (1.0 if error <= 1e-6 * norm else float("inf"))
            worst = max(worst, ratio)
            if ratio > case.get("optimum", 1.005):
                problems.append(f"{l['name']}: error {ratio:.5f}x the Eckart-Young optimum")
            w0.copy_(wr.to(w0.dtype))
        torch.manual_seed(7)
        x = torch.randn(*case["shape"])
        y = out(x).double()
        y_ref = ref(x).double()
        scale = float(y_ref.abs().max())
        if scale < 1e-6:
            problems.append("the reference logits are all zero: the comparison would say nothing")
        diff = float((y - y_ref).abs().max()) / max(scale, 1e-12)
        if diff > case.get("tolerance", 1e-4):
            problems.append(f"logits differ from the reconstruction by {diff:.3g} (relative)")
    params = sum(p.numel() for p in out.parameters())
    original = sum(p.numel() for p in torch.jit.load(case["original"]).parameters())
    if params != manifest["params"]["compressed"]:
        problems.append(f"{params} parameters, the manifest says {manifest['params']['compressed']}")
    if original != manifest["params"]["original"]:
        problems.append(f"original {original} parameters, manifest {manifest['params']['original']}")
    return {
        "name": case["name"],
        "problems": problems,
        "worstOptimumRatio": worst,
        "logitDiff": diff,
        "parameters": params,
        "originalParameters": original,
        "factorized": len(got),
        "torch": torch.__version__,
    }


def main():
    torch.set_num_threads(2)
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
