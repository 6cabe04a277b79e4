#!/usr/bin/python3
"""NumPy reference for the low-rank forward, run by ForwardReport in the same script as the Java
figures, and the writer of the dense TorchScript layer that the report compresses.

  forward_reference.py [--n 4096] [--rank 10] [--runs 200]
      prints JSON: the lecture's fast matrix-by-vector demo, dense a @ x against u @ (v.T @ x), at
      batch 1 and 64, in float64 (as shared/reference/torch_reference.py measures it) and float32.
  forward_reference.py --write-model OUT.pt [--n 4096] [--rank 10]
      writes a scripted nn.Linear(n, n) whose weight has rank `rank` (needs torch).
"""
import argparse, json, statistics, time
import numpy as np


def median_time(fn, runs, warmup=3):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--rank", type=int, default=10)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--write-model")
    args = ap.parse_args()
    n, r = args.n, args.rank
    if args.write_model:
        import torch
        torch.manual_seed(0)
        layer = torch.nn.Linear(n, n)
        with torch.no_grad():
            layer.weight.copy_(torch.randn(n, r) @ torch.randn(r, n) / n ** 0.5)
        torch.jit.script(torch.nn.Sequential(layer).eval()).save(args.write_model)
        return
    rng = np.random.default_rng(0)
    out = {"numpy": np.__version__, "n": n, "rank": r, "flop_ratio": n * n / (2 * n * r)}
    for dtype in ("float64", "float32"):
        u = rng.normal(size=(n, r)).astype(dtype)
        v = rng.normal(size=(n, r)).astype(dtype)
        a = u @ v.T
        for batch in (1, 64):
            x = (rng.normal(size=(n,)) if batch == 1 else rng.normal(size=(n, batch))).astype(dtype)
            dense = median_time(lambda: a @ x, max(10, args.runs // 10))
            low = median_time(lambda: u @ (v.T @ x), args.runs)
            out[f"{dtype}_batch{batch}"] = {"dense_s": dense, "lowrank_s": low, "speedup": dense / low}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
