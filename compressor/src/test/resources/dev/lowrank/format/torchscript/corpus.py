#!/usr/bin/python3
"""TorchScript as PyTorch prints it, for TorchScriptSyntaxJudgeTest: saves scripted and traced
modules that use much of what TorchScript compiles (recurrent and attention layers, a transformer,
convolutions, and a module with loops, branches, asserts, raises, `with`, forks, interfaces,
script classes, optional and keyword-only arguments, dicts, lists, strings and slices).

Usage: corpus.py OUTPUT_DIR  (prints the files it wrote, one a line)
"""

import os
import sys
import warnings
from typing import Dict, List, Optional, Tuple

import torch

warnings.filterwarnings("ignore")
out = sys.argv[1]
torch.manual_seed(0)


@torch.jit.script
class Box:
    def __init__(self, x: int):
        self.x = x

    def grow(self, n: int) -> int:
        self.x += n
        return self.x


@torch.jit.interface
class Iface(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pass


class Impl(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2


def helper(x: torch.Tensor, k: int = 2) -> torch.Tensor:
    return x**k


class Features(torch.nn.Module):
    __constants__ = ["c"]
    sub: Iface

    def __init__(self):
        super().__init__()
        self.c = 0.5
        self.lin = torch.nn.Linear(4, 4)
        self.sub = Impl()
        self.d = {"a": 1}
        self.s = "quote' \" tab\t newline\n e\u00e9"
        self.ml = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(2)])
        self.md = torch.nn.ModuleDict({"p": torch.nn.ReLU()})
        self.register_buffer("buf", torch.zeros(3))

    @torch.jit.export
    def other(self, x: torch.Tensor, y: Optional[torch.Tensor] = None, *, z: int) -> Tuple[torch.Tensor, int]:
        if y is None:
            y = x
        elif y.dim() > 1:
            y = y.sum(dim=-1, keepdim=True)
        return x + y, z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.lin(x)
        for m in self.ml:
            y = m(y)
        y = self.md["p"](y)
        i = 0
        while i < 3:
            i += 1
            if i == 2:
                continue
            if bool(y.sum() > 1e9):
                break
        acc: List[int] = []
        for j in range(4):
            acc.append(j * 2 // 3 % 5)
        dd: Dict[str, torch.Tensor] = {"q": y}
        assert y.dim() == 2, "need 2d"
        if y.shape[0] < 0:
            raise ValueError("negative " + self.s)
        n = Box(3).grow(2)
        z = y[:, 1:3] + y[..., ::2][:, :2] if n > 0 else y[:, :2]
        with torch.no_grad():
            w = torch.relu(z)
        print("n", n, len(acc), dd["q"].shape)
        r = torch.jit.wait(torch.jit.fork(helper, w))
        s = self.sub(r)
        v = s.float().clamp(min=-1.0, max=1e-05) * self.c + self.buf.sum() + (~(s > 0)).float()
        return v + self.other(v, None, z=3)[0]


class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 4, 3, padding=1),
            torch.nn.BatchNorm2d(4),
            torch.nn.ReLU(inplace=True),
            torch.nn.MaxPool2d(2),
            torch.nn.Dropout(0.1),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
        )
        self.head = torch.nn.Linear(4, 3)

    def forward(self, x):
        return torch.nn.functional.gelu(self.head(self.body(x)), approximate="tanh")


def save(name, make):
    path = os.path.join(out, name + ".pt")
    torch.jit.save(make(), path)
    print(path, flush=True)


modules = [
    ("features", Features(), None),
    ("conv", Conv(), (2, 3, 8, 8)),
    ("lstm", torch.nn.LSTM(8, 16, 2, batch_first=True), (2, 5, 8)),
    ("gru", torch.nn.GRU(8, 16, bidirectional=True), (5, 2, 8)),
    ("mha", torch.nn.MultiheadAttention(16, 4), None),
    ("encoder", torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 4, 32), 2), (5, 2, 16)),
    ("transformer", torch.nn.Transformer(16, 2, 1, 1, 32), None),
    ("embedding", torch.nn.EmbeddingBag(10, 4), None),
    ("layernorm", torch.nn.Sequential(torch.nn.LayerNorm(8), torch.nn.Linear(8, 8), torch.nn.Tanh()), (2, 8)),
]
for name, module, shape in modules:
    module.eval()
    save(name + "_scripted", lambda: torch.jit.script(module))
    if shape is not None:
        with torch.no_grad():
            save(name + "_traced", lambda: torch.jit.trace(module, torch.zeros(*shape)))
