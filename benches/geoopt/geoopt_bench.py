#!/usr/bin/env python3
"""Throughput of geoopt's PoincareBall operations (PyTorch, CPU), as a peer for Tessera.

Prints one JSON line per measurement on stdout:

    {"peer": "geoopt", "op": ..., "dtype": "f64"|"f32", "d": ..., "n": ...,
     "threads": ..., "mode": "fwd"|"fwd+bwd", "points_per_s": ..., "best_s": ...}

`points_per_s` is n / (best wall time of one call over k timed repetitions, after warm-up).
`best_s` is that best time in seconds. A line describing the run (versions, options)
goes to stderr so that stdout stays one measurement per line.

What is measured
----------------
* Manifold: ``geoopt.manifolds.PoincareBall(c=torch.tensor(c, dtype=dtype))``. The curvature is
  passed as a tensor of the benchmark dtype: ``PoincareBall(c=1.0).to(torch.float64)`` would carry
  c through float32 and end up with c = 0.99999996.
* geoopt defaults are kept, as users run them: ops with a ``project=`` keyword (mobius_add,
  mobius_scalar_mul, mobius_matvec, expmap, expmap0) project their result back into the ball
  (``project=True``), which costs one extra norm and select per point. Nothing is torch.compile'd.
* Inputs, generated once per dtype from a seeded NumPy generator (in float64, then cast):
  points x, y, z, p lie in the ball of radius 1/sqrt(c), uniform random directions, Euclidean norms
  uniform in [0, 0.9]/sqrt(c); tangent vectors u, v, a are N(0, 1/d) per coordinate (norm ~ 1);
  per-point scalars r ~ U[-2, 2] (mobius_scalar_mul) and t ~ U[0, 1] (geodesic), shape (n, 1);
  one shared d x d matrix M ~ N(0, 1/d) for mobius_matvec.
* "fwd": inputs without requires_grad, so no autograd graph is recorded.
  "fwd+bwd": every floating input of the op (points, vectors, scalars r/t, the matrix M) has
  requires_grad=True; one timed repetition is op(...) -> .sum() -> .backward(). Gradients are reset
  (set to None) outside the timed region.
* Op name mapping (Tessera name -> geoopt call):
    mobius_add        ball.mobius_add(x, y)
    mobius_scalar_mul ball.mobius_scalar_mul(r, x)
    mobius_matvec     ball.mobius_matvec(M, x)
    expmap            ball.expmap(x, u)
    expmap0           ball.expmap0(u)
    logmap            ball.logmap(x, y)
    logmap0           ball.logmap0(x)
    dist              ball.dist(x, y)
    dist0             ball.dist0(x)
    geodesic          ball.geodesic(t, x, y)
    gyration          ball.gyration(x, y, z)    (gyr[x, y] z)
    transp            ball.transp(x, y, v)      (parallel transport of v from x to y)
    transp0           ball.transp0(y, u)        (from the origin to y)
    transp0back       ball.transp0back(y, u)    (from y to the origin)
    project           ball.projx(x)             (inputs are inside the ball: a no-op selection)
    egrad2rgrad       ball.egrad2rgrad(x, u)
    dist2plane        ball.dist2plane(x, p, a)  (defaults: signed=False, scaled=False)

Usage:  python geoopt_bench.py [--n 1000000] [--n-bwd N] [--d 16] [--threads 1] [--k 5]
                               [--dtypes f64,f32] [--ops dist,expmap,...] [--modes fwd,fwd+bwd]
"""

import argparse
import json
import math
import platform
import sys
import time
import warnings

# geoopt decorates helpers with torch.jit.script, which newer torch versions warn about.
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import geoopt  # noqa: E402

DTYPES = {"f64": torch.float64, "f32": torch.float32}

# op name -> (names of the inputs it takes, function(ball, inputs) -> tensor)
OPS = {
    "mobius_add": (("x", "y"), lambda b, i: b.mobius_add(i["x"], i["y"])),
    "mobius_scalar_mul": (("r", "x"), lambda b, i: b.mobius_scalar_mul(i["r"], i["x"])),
    "mobius_matvec": (("M", "x"), lambda b, i: b.mobius_matvec(i["M"], i["x"])),
    "expmap": (("x", "u"), lambda b, i: b.expmap(i["x"], i["u"])),
    "expmap0": (("u",), lambda b, i: b.expmap0(i["u"])),
    "logmap": (("x", "y"), lambda b, i: b.logmap(i["x"], i["y"])),
    "logmap0": (("x",), lambda b, i: b.logmap0(i["x"])),
    "dist": (("x", "y"), lambda b, i: b.dist(i["x"], i["y"])),
    "dist0": (("x",), lambda b, i: b.dist0(i["x"])),
    "geodesic": (("t", "x", "y"), lambda b, i: b.geodesic(i["t"], i["x"], i["y"])),
    "gyration": (("x", "y", "z"), lambda b, i: b.gyration(i["x"], i["y"], i["z"])),
    "transp": (("x", "y", "v"), lambda b, i: b.transp(i["x"], i["y"], i["v"])),
    "transp0": (("y", "u"), lambda b, i: b.transp0(i["y"], i["u"])),
    "transp0back": (("y", "u"), lambda b, i: b.transp0back(i["y"], i["u"])),
    "project": (("x",), lambda b, i: b.projx(i["x"])),
    "egrad2rgrad": (("x", "u"), lambda b, i: b.egrad2rgrad(i["x"], i["u"])),
    "dist2plane": (("x", "p", "a"), lambda b, i: b.dist2plane(i["x"], i["p"], i["a"])),
}


def ball_points(rng, n, d, c):
    """n points in the ball of radius 1/sqrt(c): uniform directions, norms uniform in [0, 0.9]/sqrt(c)."""
    g = rng.standard_normal((n, d))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    r = rng.uniform(0.0, 0.9, size=(n, 1)) / math.sqrt(c)
    return g * r


def make_inputs(n, d, c, seed):
    """All inputs in float64 NumPy arrays (cast per dtype later, so f32 and f64 see the same data)."""
    rng = np.random.default_rng(seed)
    return {
        "x": ball_points(rng, n, d, c),
        "y": ball_points(rng, n, d, c),
        "z": ball_points(rng, n, d, c),
        "p": ball_points(rng, n, d, c),
        "u": rng.standard_normal((n, d)) / math.sqrt(d),
        "v": rng.standard_normal((n, d)) / math.sqrt(d),
        "a": rng.standard_normal((n, d)) / math.sqrt(d),
        "r": rng.uniform(-2.0, 2.0, size=(n, 1)),
        "t": rng.uniform(0.0, 1.0, size=(n, 1)),
        "M": rng.standard_normal((d, d)) / math.sqrt(d),
    }


def time_fwd(fn, ball, inputs, warmup, k):
    best = math.inf
    with torch.no_grad():
        for _ in range(warmup):
            fn(ball, inputs)
        for _ in range(k):
            t0 = time.perf_counter()
            out = fn(ball, inputs)
            t1 = time.perf_counter()
            del out
            best = min(best, t1 - t0)
    return best


def time_fwd_bwd(fn, ball, inputs, warmup, k):
    leaves = list(inputs.values())
    best = math.inf
    for rep in range(warmup + k):
        for leaf in leaves:
            leaf.grad = None
        t0 = time.perf_counter()
        out = fn(ball, inputs)
        out.sum().backward()
        t1 = time.perf_counter()
        del out
        if rep >= warmup:
            best = min(best, t1 - t0)
    for leaf in leaves:
        leaf.grad = None
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="batch size (points per call), fwd")
    ap.add_argument("--n-bwd", type=int, default=None, help="batch size for fwd+bwd (default: --n)")
    ap.add_argument("--d", type=int, default=16, help="dimension")
    ap.add_argument("--c", type=float, default=1.0, help="curvature magnitude (ball of radius 1/sqrt(c))")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads(T)")
    ap.add_argument("--k", type=int, default=5, help="timed repetitions; the best is reported")
    ap.add_argument("--warmup", type=int, default=2, help="untimed calls before timing")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--dtypes", default="f64,f32")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--modes", default="fwd,fwd+bwd")
    args = ap.parse_args()

    ops = [o for o in args.ops.split(",") if o]
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown op {o!r}; known: {', '.join(OPS)}")
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in ("fwd", "fwd+bwd"):
            ap.error(f"unknown mode {m!r}")
    dtypes = [t for t in args.dtypes.split(",") if t]
    for t in dtypes:
        if t not in DTYPES:
            ap.error(f"unknown dtype {t!r}")
    n_bwd = args.n_bwd if args.n_bwd is not None else args.n

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    print(json.dumps({
        "run": "geoopt_bench", "torch": torch.__version__, "geoopt": geoopt.__version__,
        "numpy": np.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(), "n": args.n, "n_bwd": n_bwd, "d": args.d,
        "c": args.c, "k": args.k, "warmup": args.warmup, "seed": args.seed,
    }), file=sys.stderr, flush=True)

    n_max = max(args.n if "fwd" in modes else 0, n_bwd if "fwd+bwd" in modes else 0)
    base = make_inputs(n_max, args.d, args.c, args.seed)

    for tname in dtypes:
        dtype = DTYPES[tname]
        ball = geoopt.manifolds.PoincareBall(c=torch.tensor(args.c, dtype=dtype))
        for mode in modes:
            n = args.n if mode == "fwd" else n_bwd
            for op in ops:
                names, fn = OPS[op]
                inputs = {}
                for name in names:
                    arr = base[name] if name == "M" else base[name][:n]
                    tensor = torch.tensor(arr, dtype=dtype)
                    if mode == "fwd+bwd":
                        tensor.requires_grad_(True)
                    inputs[name] = tensor
                if mode == "fwd":
                    best = time_fwd(fn, ball, inputs, args.warmup, args.k)
                else:
                    best = time_fwd_bwd(fn, ball, inputs, args.warmup, args.k)
                print(json.dumps({
                    "peer": "geoopt", "op": op, "dtype": tname, "d": args.d, "n": n,
                    "threads": args.threads, "mode": mode, "points_per_s": n / best,
                    "best_s": best,
                }), flush=True)
                del inputs


if __name__ == "__main__":
    main()
