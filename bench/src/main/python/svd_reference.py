#!/usr/bin/python3
"""PyTorch reference for lowrank's SVD report (dev.lowrank.bench.SvdReport runs it).

For each shape it builds a trained-like float32 matrix W = U diag(s) V^T (random orthonormal U, V,
s_i = 10 i^-0.7, i from 1) and measures, as medians of several runs in this process:

  exact_s      torch.linalg.svd(W, full_matrices=False)
  lowrank_s    torch.svd_lowrank(W, q=rank+10, niter=2)
  err_lowrank  ||W - W_r||_F of svd_lowrank's rank-r truncation, divided by the Eckart-Young
               optimum sqrt(sum_{i>r} s_i^2) (so 1.0 is optimal)

Prints one JSON object on stdout. Usage:
  svd_reference.py --shapes 768x768,2048x2048 --rank 128 --threads 2 --runs 5 --exact-runs 3
"""
import argparse
import json
import os
import statistics
import time


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="768x768,768x3072,3072x768,2048x2048")
    ap.add_argument("--rank", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0, help="0 keeps torch's default")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--exact-runs", type=int, default=3)
    ap.add_argument("--skip-exact", default="", help="comma-separated shapes whose exact SVD is not timed")
    args = ap.parse_args()
    if args.threads:
        # Set before torch loads its BLAS, so that OpenBLAS/OpenMP start with that many threads.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    rank = args.rank
    skip = set(s for s in args.skip_exact.split(",") if s)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "rank": rank, "svd": []}
    for shape in args.shapes.split(","):
        n, m = (int(x) for x in shape.split("x"))
        k = min(n, m)
        u, _ = torch.linalg.qr(torch.randn(n, k, generator=gen))
        v, _ = torch.linalg.qr(torch.randn(m, k, generator=gen))
        s = (torch.arange(1, k + 1, dtype=torch.float64) ** -0.7) * 10.0
        w = (u * s.float()) @ v.T
        optimum = float(torch.sqrt((s[rank:] ** 2).sum()))
        row = {"shape": [n, m]}
        if shape not in skip:
            row["exact_s"] = median_time(
                lambda: torch.linalg.svd(w, full_matrices=False), args.exact_runs)
        row["lowrank_s"] = median_time(lambda: torch.svd_lowrank(w, q=rank + 10, niter=2), args.runs)
        uu, ss, vv = torch.svd_lowrank(w, q=rank + 10, niter=2)
        approx = (uu[:, :rank] * ss[:rank]) @ vv[:, :rank].T
        row["err_lowrank"] = float(torch.linalg.norm((w - approx).double())) / optimum
        out["svd"].append(row)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
