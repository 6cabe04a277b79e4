#!/usr/bin/python3
"""PyTorch as the judge of lowrank's TorchScript runner (calibration capture).

Usage: capture_judge.py SPEC.json RESULT.json

SPEC: {"fixtures": PATH of make_torchscript_fixtures.py, "cases": [{"name", "model" (mlp, cnn,
transformer, edge), "file" (the .pt), "shape", "rows", "features" (float32 file), "outputs"
(float32 file of the runner's first output), "captures": [{"layer", "call", "file"}], "order" (the
layers in the order the runner saw them first), "ineligible" (layers that may go unobserved)}]}.

For each case it (a) runs the archive with torch.jit.load and compares its output with the
runner's, and (b) rebuilds the eager model of the fixture script, loads the archive's state dict,
records every nn.Linear's and nn.Conv2d's input with forward pre-hooks, and compares the layers,
calls and values with what the runner observed.
"""

import importlib.util
import json
import sys

import torch


def load(path, count):
    return torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.float32)[:count]


def check(case, fixtures):
    problems = []
    n = case["rows"]
    shape = [n] + case["shape"]
    x = load(case["features"], n * int(torch.tensor(case["shape"]).prod())).reshape(shape)
    scripted = torch.jit.load(case["file"])
    with torch.no_grad():
        y = scripted(x)
    ours = load(case["outputs"], y.numel()).reshape(y.shape)
    scale = max(1.0, float(y.abs().max()))
    output_diff = float((ours - y).abs().max()) / scale
    if output_diff > 1e-5:
        problems.append(f"outputs differ from PyTorch's by {output_diff:.3g}")
    classes = {"mlp": fixtures.Mlp, "cnn": fixtures.Cnn, "transformer": fixtures.Transformer,
               "edge": fixtures.Edge}
    eager = classes[case["model"]]()
    eager.load_state_dict(scripted.state_dict())
    eager.eval()
    seen = []

    def hook(name):
        def record(module, inputs):
            seen.append((name, inputs[0].detach().clone()))
        return record

    for name, module in eager.named_modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            module.register_forward_pre_hook(hook(name))
    with torch.no_grad():
        eager(x)
    expected = {}
    order = []
    for name, t in seen:
        expected.setdefault(name, []).append(t)
        if name not in order:
            order.append(name)
    got = {}
    for c in case["captures"]:
        got.setdefault(c["layer"], {})[c["call"]] = c
    # Layers that must stay dense may be unobservable (a traced layer whose tied weight is passed
    # to its forward); every other layer PyTorch calls must be observed.
    unobservable = set(case.get("ineligible", []))
    expected = {k: v for k, v in expected.items() if k in got or k not in unobservable}
    order = [k for k in order if k in expected]
    if sorted(got) != sorted(expected):
        problems.append(f"observed layers {sorted(got)}, PyTorch's hooks saw {sorted(expected)}")
    if case["order"] != order:
        problems.append(f"call order {case['order']}, PyTorch's {order}")
    worst = 0.0
    for name, tensors in expected.items():
        for call, t in enumerate(tensors):
            c = got.get(name, {}).get(call)
            if c is None:
                problems.append(f"{name} call {call} was not observed")
                continue
            mine = load(c["file"], t.numel()).reshape(t.shape)
            d = float((mine - t).abs().max()) / max(1.0, float(t.abs().max()))
            worst = max(worst, d)
            if d > 1e-5:
                problems.append(f"{name} call {call}: input differs by {d:.3g}")
        if len(got.get(name, {})) != len(tensors):
            problems.append(f"{name}: {len(got.get(name, {}))} calls observed, {len(tensors)} made")
    return {"name": case["name"], "problems": problems, "outputDiff": output_diff,
            "captureDiff": worst, "layers": order}


def main():
    torch.set_num_threads(1)
    spec = json.load(open(sys.argv[1]))
    loader = importlib.util.spec_from_file_location("fixtures", spec["fixtures"])
    fixtures = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(fixtures)
    results = []
    for case in spec["cases"]:
        try:
            results.append(check(case, fixtures))
        except Exception as e:  # report, do not stop: the Java test names the case
            results.append({"name": case["name"], "problems": [f"{type(e).__name__}: {e}"]})
    json.dump({"results": results}, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
