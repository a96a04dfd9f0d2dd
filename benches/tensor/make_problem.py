#!/usr/bin/env python3
"""Write one tensor-completion problem directory (format: benches/tensor/README.md).

A random Tucker tensor (standard normal core of size `rank`, factors with orthonormal columns
from the reduced QR of standard normal matrices), a uniformly random subset of
round(fraction * N) observed entries, and optional Gaussian noise on the observed values.
Everything is drawn from one numpy.random.default_rng(seed), in this order: core, factor 1..K,
observed subset, noise.

    python3 benches/tensor/make_problem.py --shape 80,80,80 --rank 5,5,5 --fraction 0.3 \
        --seed 1 --noise 0 --out /tmp/tsr/p80
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np


def ints(s):
    return [int(v) for v in s.split(",") if v]


def tucker_tensor(rng, shape, rank):
    """Core x_1 U_1 x_2 U_2 ... x_K U_K, returned as a numpy array of `shape` (any memory order)."""
    core = rng.standard_normal(rank)
    x = core
    for k, (n, r) in enumerate(zip(shape, rank)):
        q, _ = np.linalg.qr(rng.standard_normal((n, r)), mode="reduced")
        # mode-k product: contract axis k of x with the columns of q, put the new axis back at k
        x = np.moveaxis(np.tensordot(q, x, axes=([1], [k])), 0, k)
    return x


def make(shape, rank, fraction, seed, noise):
    if len(shape) != len(rank):
        raise ValueError("shape and rank need the same number of modes")
    if any(r < 1 or r > n for n, r in zip(shape, rank)):
        raise ValueError("need 1 <= rank[k] <= shape[k]")
    if not 0.0 < fraction <= 1.0:
        raise ValueError("fraction must be in (0, 1]")
    rng = np.random.default_rng(seed)
    x = tucker_tensor(rng, shape, rank)
    truth = np.asarray(x).ravel(order="F")  # column-major: first index fastest
    n_total = truth.size
    m = int(round(fraction * n_total))
    idx = np.sort(rng.choice(n_total, size=m, replace=False)).astype(np.int64)
    val = truth[idx].copy()
    if noise > 0:
        val += noise * rng.standard_normal(m)
    return truth, idx, val


def write(out, shape, rank, fraction, seed, noise, truth, idx, val):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"shape": list(shape), "tucker_rank": list(rank), "fraction": fraction,
            "seed": seed, "noise": noise}
    (out / "meta.json").write_text(json.dumps(meta) + "\n")
    truth.astype("<f8").tofile(out / "truth.f64")
    idx.astype("<i8").tofile(out / "obs_idx.i64")
    val.astype("<f8").tofile(out / "obs_val.f64")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="80,80,80")
    ap.add_argument("--rank", default="5,5,5")
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    shape, rank = ints(a.shape), ints(a.rank)
    truth, idx, val = make(shape, rank, a.fraction, a.seed, a.noise)
    if np.any(val == 0.0):
        # The reference code builds its mask as B~=0, so an observed exact 0 would be dropped there.
        print("warning: an observed value is exactly 0; the reference code treats it as missing",
              file=sys.stderr)
    write(a.out, shape, rank, a.fraction, a.seed, a.noise, truth, idx, val)
    print(json.dumps({"out": str(a.out), "n": int(truth.size), "n_obs": int(idx.size)}))


if __name__ == "__main__":
    sys.exit(main())
