#!/usr/bin/python3
"""A BERT-base-shaped encoder for lowrank's calibration benchmark, and the PyTorch reference of the
same steps (dev.lowrank.bench.CalibrationReport runs both).

  bert_calibration.py make OUT_DIR [--layers 12] [--hidden 768] [--ffn 3072] [--heads 12]
      [--sequences 32] [--length 128] [--seed 0]
    writes OUT_DIR/bert.pt (torch.jit.script of the encoder: 12 blocks of query, key, value and
    output 768x768, 3072x768 and 768x3072 linear layers with trained-like spectra, layer norms,
    GELU; forward(x, attention_mask) on input embeddings, per-token outputs) and the calibration
    data OUT_DIR/x.npy (float32 [sequences, length, hidden]) and OUT_DIR/attention_mask.npy
    (int64 [sequences, length], every position real: sequences x length tokens).

  bert_calibration.py reference OUT_DIR [--rank 128] [--threads 2] [--batch 32]
    times, in this process, the PyTorch implementation of calibration plus whitened compression:
    forward pre-hooks summing X^T X (float32 products, float64 sum, padding left out, an input fed
    to several layers summed once), the forward passes over the data, then per layer the Cholesky
    factor C of G (torch.linalg.cholesky; a small ridge if G is not positive definite),
    torch.svd_lowrank(W C, q=rank+10, niter=2), B = U S and A = V^T C^-1
    (torch.linalg.solve_triangular). Prints one JSON object: seconds for the forward with hooks,
    the factorization, and the total.

Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import json
import math
import os
import sys
import time


def build(torch, layers, hidden, ffn, heads):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = heads
            self.query = nn.Linear(hidden, hidden)
            self.key = nn.Linear(hidden, hidden)
            self.value = nn.Linear(hidden, hidden)
            self.output = nn.Linear(hidden, hidden)
            self.norm1 = nn.LayerNorm(hidden)
            self.intermediate = nn.Linear(hidden, ffn)
            self.down = nn.Linear(ffn, hidden)
            self.norm2 = nn.LayerNorm(hidden)

        def forward(self, x, bias):
            b, s, h = x.shape
            d = h // self.heads
            q = self.query(x).view(b, s, self.heads, d).transpose(1, 2)
            k = self.key(x).view(b, s, self.heads, d).transpose(1, 2)
            v = self.value(x).view(b, s, self.heads, d).transpose(1, 2)
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
            ctx = torch.matmul(torch.softmax(scores, -1), v).transpose(1, 2).reshape(b, s, h)
            x = self.norm1(x + self.output(ctx))
            return self.norm2(x + self.down(torch.nn.functional.gelu(self.intermediate(x))))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])

        def forward(self, x, attention_mask):
            bias = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -10000.0
            for block in self.blocks:
                x = block(x, bias)
            return x

    return Encoder()


def trained_like(torch, n, m, gen):
    k = min(n, m)
    u, _ = torch.linalg.qr(torch.randn(n, k, generator=gen))
    v, _ = torch.linalg.qr(torch.randn(m, k, generator=gen))
    s = (torch.arange(1, k + 1, dtype=torch.float32) ** -0.7) * 10.0 / math.sqrt(k)
    return (u * s) @ v.T


def make(args):
    import numpy as np
    import torch

    gen = torch.Generator().manual_seed(args.seed)
    model = build(torch, args.layers, args.hidden, args.ffn, args.heads).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.copy_(trained_like(torch, *module.weight.shape, gen) * 4.0)
                module.bias.normal_(0, 0.02, generator=gen)
    os.makedirs(args.dir, exist_ok=True)
    torch.jit.script(model).save(os.path.join(args.dir, "bert.pt"))
    x = torch.randn(args.sequences, args.length, args.hidden, generator=gen)
    np.save(os.path.join(args.dir, "x.npy"), x.numpy().astype(np.float32))
    mask = np.ones((args.sequences, args.length), dtype=np.int64)
    np.save(os.path.join(args.dir, "attention_mask.npy"), mask)
    json.dump({"parameters": sum(p.numel() for p in model.parameters())}, sys.stdout)


def reference(args):
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    scripted = torch.jit.load(os.path.join(args.dir, "bert.pt"))
    state = scripted.state_dict()
    blocks = sum(1 for k in state if k.endswith("query.weight"))
    hidden = state["blocks.0.query.weight"].shape[0]
    ffn = state["blocks.0.intermediate.weight"].shape[0]
    model = build(torch, blocks, hidden, ffn, 12 if hidden % 12 == 0 else 1).eval()
    model.load_state_dict(state)
    x = torch.from_numpy(np.load(os.path.join(args.dir, "x.npy")))
    mask = torch.from_numpy(np.load(os.path.join(args.dir, "attention_mask.npy")))
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    grams = {}
    counts = {}
    owner = {}
    current = {"mask": None, "seen": {}}

    def hook(name):
        def record(module, inputs):
            t = inputs[0]
            key = id(t)
            # The same tensor as an earlier layer's (query, key, value); the tensor is kept in the
            # map for the forward, so that its id is not reused.
            if key in current["seen"] and current["seen"][key][0] is t:
                owner[name] = current["seen"][key][1]
                return
            current["seen"][key] = (t, name)
            owner[name] = name
            rows = t[current["mask"]] if t.dim() == 3 else t
            rows = rows.reshape(-1, t.shape[-1])
            g = (rows.T @ rows).double()
            grams[name] = grams[name] + g if name in grams else g
            counts[name] = counts.get(name, 0) + rows.shape[0]

        return record

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in linears]
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, x.shape[0], args.batch):
            current["mask"] = mask[i : i + args.batch].bool()
            current["seen"] = {}
            model(x[i : i + args.batch], mask[i : i + args.batch])
    forward = time.perf_counter() - start
    for h in handles:
        h.remove()
    start = time.perf_counter()
    factors = {}
    with torch.no_grad():
        chol = {}
        for name, module in linears:
            src = owner[name]
            if src not in chol:
                g = (grams[src] / counts[src]).float()
                c, info = torch.linalg.cholesky_ex(g)
                ridge = 1e-6 * float(torch.diagonal(g).mean())
                while int(info) != 0:
                    c, info = torch.linalg.cholesky_ex(g + ridge * torch.eye(g.shape[0]))
                    ridge *= 100
                chol[src] = c
            c = chol[src]
            w = module.weight
            u, s, v = torch.svd_lowrank(w @ c, q=args.rank + 10, niter=2)
            u, s, v = u[:, : args.rank], s[: args.rank], v[:, : args.rank]
            b = u * s
            # A C = V^T: A = V^T C^-1.
            a = torch.linalg.solve_triangular(c, v.T, upper=False, left=False)
            factors[name] = (b, a)
    factorize = time.perf_counter() - start
    json.dump(
        {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "layers": len(linears),
            "statistics": len(grams),
            "tokens": int(mask.sum()),
            "forward_s": forward,
            "factorize_s": factorize,
            "total_s": forward + factorize,
        },
        sys.stdout,
    )


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("dir")
    mk.add_argument("--layers", type=int, default=12)
    mk.add_argument("--hidden", type=int, default=768)
    mk.add_argument("--ffn", type=int, default=3072)
    mk.add_argument("--heads", type=int, default=12)
    mk.add_argument("--sequences", type=int, default=32)
    mk.add_argument("--length", type=int, default=128)
    mk.add_argument("--seed", type=int, default=0)
    ref = sub.add_parser("reference")
    ref.add_argument("dir")
    ref.add_argument("--rank", type=int, default=128)
    ref.add_argument("--threads", type=int, default=2)
    ref.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    make(args) if args.command == "make" else reference(args)


if __name__ == "__main__":
    main()
