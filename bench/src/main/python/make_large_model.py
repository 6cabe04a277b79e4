#!/usr/bin/python3
"""Writes a large scripted TorchScript model for the memory check of `lowrank compress`.

   /usr/bin/python3 bench/src/main/python/make_large_model.py OUT.pt [--layers 16] [--width 4096]

Each layer is nn.Linear(width, width) with a trained-like weight (power-law spectrum, as
svd_reference.py builds them), followed by ReLU; 16 layers of 4096 make a 1.07 GB file.
Needs Debian's python3-torch.
"""
import argparse
import torch


def trained_like(n, gen):
    u, _ = torch.linalg.qr(torch.randn(n, n, generator=gen))
    v, _ = torch.linalg.qr(torch.randn(n, n, generator=gen))
    s = (torch.arange(1, n + 1, dtype=torch.float32) ** -0.7) * 10.0
    return (u * s) @ v.T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--width", type=int, default=4096)
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(0)
    layers = []
    with torch.no_grad():
        for _ in range(args.layers):
            lin = torch.nn.Linear(args.width, args.width)
            lin.weight.copy_(trained_like(args.width, gen))
            layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers).eval()
    torch.jit.script(model).save(args.out)


if __name__ == "__main__":
    main()
