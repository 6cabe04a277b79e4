#!/usr/bin/python3
"""Writes token_encoder.pt, the per-token fixture of the fine-tuning tests.

Usage: make_token_encoder.py [OUT]   (default: token_encoder.pt next to this script)

A small TorchScript model that reads a digits image as 8 row tokens of 8 values and returns one
16-wide vector per token ([batch, 8, 16]), like a text encoder's last hidden state: two linear
layers per token with a GELU between them, then a layer norm. Seeded, not trained: distillation
needs no trained teacher, only a fixed one. Regenerate with /usr/bin/python3 (PyTorch 1.13).
"""

import os
import sys

import torch


class TokenEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(8, 48)
        self.mix = torch.nn.Linear(48, 48)
        self.out = torch.nn.Linear(48, 16)
        self.norm = torch.nn.LayerNorm(16)

    def forward(self, x):
        h = torch.nn.functional.gelu(self.embed(x))
        h = h + torch.nn.functional.gelu(self.mix(h))
        return self.norm(self.out(h))


def main():
    torch.manual_seed(7)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "token_encoder.pt")
    model = torch.jit.script(TokenEncoder().eval())
    model.save(out)


if __name__ == "__main__":
    main()
