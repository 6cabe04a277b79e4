#!/usr/bin/python3
"""Trains the TorchScript fixtures lowrank's tests read, on the bundled digits set.

Run from the repository root with Debian's PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 datasets/src/main/python/make_torchscript_fixtures.py

It writes six models (an MLP, a CNN with a linear head and a small nn.TransformerEncoder, each
saved after torch.jit.script and after torch.jit.trace) and fixtures.json, the golden values the
Java tests compare with (test accuracy, input shape, parameter count, the nn.Linear modules in
named_modules() order), into datasets/src/main/resources/dev/lowrank/datasets/torchscript/.

Data: digits.csv.gz next to the Java class dev.lowrank.datasets.Digits (64 pixels in 0..16, then
the label); pixels are divided by 16; sample i is a test sample when i % 5 == 0 (the rule of
Digits.test()). Training is seeded and single-threaded, so a rerun with the same torch version
gives the same files (weights and code; the script fixes PYTHONHASHSEED); the committed files were
made with torch 1.13.0a0 (Debian bookworm's python3-torch) and Python 3.11.
"""

import csv
import gzip
import json
import os
import random
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "resources", "dev", "lowrank", "datasets")
OUT = os.path.join(RESOURCES, "torchscript")
SEED = 20240531


def load_digits():
    rows = []
    with gzip.open(os.path.join(RESOURCES, "digits.csv.gz"), "rt", encoding="ascii") as f:
        for cells in csv.reader(f):
            if cells:
                rows.append([float(c) for c in cells])
    x = torch.tensor([r[:64] for r in rows], dtype=torch.float32) / 16.0
    y = torch.tensor([int(r[64]) for r in rows], dtype=torch.long)
    test = torch.tensor([i % 5 == 0 for i in range(len(rows))])
    return x[~test], y[~test], x[test], y[test]


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc2(torch.relu(self.fc1(x)))


class Transformer(nn.Module):
    """The 8 image rows are 8 tokens of 8 features."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(8, 32)
        self.pos = nn.Parameter(torch.zeros(1, 8, 32))
        layer = nn.TransformerEncoderLayer(
            d_model=32, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True
        )
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.fc = nn.Linear(8 * 32, 64)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        h = self.enc(self.embed(x) + self.pos)
        return self.head(torch.relu(self.fc(torch.flatten(h, 1))))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(32, 32)

    def forward(self, x):
        return x + torch.relu(self.fc(x))


class MyLinear(nn.Linear):
    """A subclass that keeps nn.Linear's forward: a plain linear layer."""


class ScaledLinear(nn.Linear):
    """A subclass whose forward is not the plain linear op."""

    def forward(self, x):
        return torch.nn.functional.linear(x, self.weight, self.bias) * 0.5


class Edge(nn.Module):
    """Cases the rewriter must handle: no bias, a class shared by two modules (Block), an
    nn.Linear subclass, a weight read by the parent (proj), a subclass with its own forward
    (scale) and tied weights (twin_a, twin_b)."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(64, 32, bias=False)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.gate = MyLinear(32, 32)
        self.proj = nn.Linear(32, 32)
        self.scale = ScaledLinear(32, 32)
        self.twin_a = nn.Linear(32, 32)
        self.twin_b = nn.Linear(32, 32)
        self.twin_b.weight = self.twin_a.weight
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for b in self.blocks:
            h = b(h)
        h = torch.relu(self.gate(h))
        h = h + torch.nn.functional.linear(h, self.proj.weight)
        h = self.scale(h)
        h = self.twin_b(torch.relu(self.twin_a(h)))
        return self.out(h)


MODELS = [
    # name, constructor, input shape of one sample, epochs, learning rate
    ("mlp", Mlp, [64], 60, 1e-3),
    ("cnn", Cnn, [1, 8, 8], 40, 1e-3),
    ("transformer", Transformer, [8, 8], 60, 1e-3),
    ("edge", Edge, [64], 20, 1e-3),
]


def train(model, x, y, epochs, lr):
    gen = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()


def checksum(w):
    """sum_ij W[i, j] (i + 1) (j + 2) in float64: detects transposed or shifted reads."""
    w = w.detach().double()
    i = torch.arange(1, w.shape[0] + 1, dtype=torch.float64)[:, None]
    j = torch.arange(2, w.shape[1] + 2, dtype=torch.float64)[None, :]
    return float((w * i * j).sum())


def linear_layers(module):
    return [
        {
            "name": name,
            "outFeatures": m.out_features,
            "inFeatures": m.in_features,
            "bias": m.bias is not None,
            "weightChecksum": checksum(m.weight),
        }
        for name, m in module.named_modules()
        if isinstance(m, nn.Linear)
    ]


def loaded_linear_names(module, expected):
    """The names of the expected layers in the loaded module's named_modules() order."""
    wanted = {layer["name"] for layer in expected}
    return [name for name, _ in module.named_modules() if name in wanted]


def accuracy(module, x, y):
    with torch.no_grad():
        return (module(x).argmax(1) == y).float().mean().item()


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Scripted class code lists Final constants in set order: fix the string hash seed so
        # that reruns print the same code.
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "PYTHONHASHSEED": "0"})
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    xtr, ytr, xte, yte = load_digits()
    os.makedirs(OUT, exist_ok=True)
    fixtures = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "data": "digits.csv.gz, pixels / 16, test when i % 5 == 0",
        "models": [],
    }
    for name, ctor, shape, epochs, lr in MODELS:
        random.seed(SEED)
        torch.manual_seed(SEED)
        model = ctor()
        train(model, xtr.reshape(-1, *shape), ytr, epochs, lr)
        xs = xte.reshape(-1, *shape)
        linears = linear_layers(model)
        params = sum(p.numel() for p in model.parameters())
        # Tracing without grad in eval mode records the fused fast path of
        # nn.TransformerEncoderLayer, which reads linear1/linear2/out_proj weights directly.
        with torch.no_grad():
            variants = {
                "scripted": torch.jit.script(model),
                "traced": torch.jit.trace(model, xs[:4]),
            }
        for kind, module in variants.items():
            file = f"{name}_{kind}.pt"
            torch.jit.save(module, os.path.join(OUT, file))
            loaded = torch.jit.load(os.path.join(OUT, file))
            fixtures["models"].append(
                {
                    "file": file,
                    "model": name,
                    "kind": kind,
                    "inputShape": shape,
                    "testAccuracy": round(accuracy(loaded, xs, yte), 6),
                    "parameters": sum(p.numel() for p in loaded.parameters()),
                    "linearLayers": linears,
                }
            )
            assert fixtures["models"][-1]["parameters"] == params, file
            assert loaded_linear_names(loaded, linears) == [l["name"] for l in linears], file
            print(file, fixtures["models"][-1]["testAccuracy"], os.path.getsize(os.path.join(OUT, file)))
    with open(os.path.join(OUT, "fixtures.json"), "w", encoding="utf-8") as f:
        json.dump(fixtures, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
