#!/usr/bin/env python3
"""Accuracy of geoopt's PoincareBall.dist (and its gradient) near the boundary of the ball.

For float64, c = 1, d = 16 (options below), and each eps in {1e-7, 1e-5, 1e-3}, draws `--pairs`
pairs of points x, y with Euclidean norm 1 - eps in independent seeded random directions (the
coordinates are then whatever doubles that rounds to; the reference uses those exact doubles).

For each pair it prints one JSON line with
  * geoopt's ``ball.dist(x, y)`` and ``d/dx ball.dist(x, y)`` (autograd, ``.backward()``),
  * a reference computed with mpmath at 60 significant digits from the exact double inputs:
        d(x, y) = arcosh(1 + delta),  delta = 2 |x - y|^2 / ((1 - |x|^2) (1 - |y|^2))
        grad_x d = 4 / (sqrt(delta (2 + delta)) (1 - |x|^2) (1 - |y|^2))
                   * ((x - y) + |x - y|^2 / (1 - |x|^2) * x)
  * relative errors: |d_geoopt - d_ref| / d_ref and |g_geoopt - g_ref|_2 / |g_ref|_2, and whether
    geoopt's gradient is exactly zero.

The manifold is built as ``PoincareBall(c=torch.tensor(1.0, dtype=torch.float64))`` so that c is
exactly 1 (``PoincareBall(c=1.0).double()`` would give c = 0.99999996, carried through float32).

Usage:  python boundary_accuracy.py [--pairs 3] [--d 16] [--seed 7] [--eps 1e-7,1e-5,1e-3]
"""

import argparse
import json
import sys
from pathlib import Path
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import geoopt  # noqa: E402

mpmath.mp.dps = 60


def reference(x, y):
    """Distance and its gradient wrt x, at 60 digits, from the exact doubles x, y (c = 1)."""
    X = [mpmath.mpf(float(v)) for v in x]  # mpf(float) is exact
    Y = [mpmath.mpf(float(v)) for v in y]
    nx2 = mpmath.fsum(v * v for v in X)
    ny2 = mpmath.fsum(v * v for v in Y)
    diff = [a - b for a, b in zip(X, Y)]
    dxy2 = mpmath.fsum(v * v for v in diff)
    ax = 1 - nx2
    ay = 1 - ny2
    delta = 2 * dxy2 / (ax * ay)
    dist = mpmath.acosh(1 + delta)
    # d/dx arcosh(1 + delta) = delta' / sqrt((1 + delta)^2 - 1) = delta' / sqrt(delta (2 + delta))
    scale = 4 / (mpmath.sqrt(delta * (2 + delta)) * ax * ay)
    grad = [scale * (dv + dxy2 / ax * xv) for dv, xv in zip(diff, X)]
    return dist, grad


def tessera_ball():
    """Tessera's Python binding on the repository's release library, for the side-by-side columns."""
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "bindings" / "python"))
    import tessera

    return tessera.PoincareBall(1.0, num_threads=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=3, help="random pairs per eps")
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--eps", default="1e-7,1e-5,1e-3", help="points at Euclidean norm 1 - eps")
    args = ap.parse_args()

    dtype = torch.float64
    ball = geoopt.manifolds.PoincareBall(c=torch.tensor(1.0, dtype=dtype))
    assert ball.c.item() == 1.0
    rng = np.random.default_rng(args.seed)
    tsr = tessera_ball()

    for eps in (float(e) for e in args.eps.split(",") if e):
        for pair in range(args.pairs):
            dirs = rng.standard_normal((2, args.d))
            dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
            xy = dirs * (1.0 - eps)
            x = torch.tensor(xy[0], dtype=dtype, requires_grad=True)
            y = torch.tensor(xy[1], dtype=dtype)
            dist = ball.dist(x, y)
            dist.backward()
            g = x.grad.detach().numpy().astype(np.float64)
            d_geo = float(dist.item())

            d_tsr = float(tsr.dist(xy[:1], xy[1:])[0])
            g_tsr = tsr.dist_vjp(xy[:1], xy[1:], np.ones(1))[0][0]

            d_ref, g_ref = reference(xy[0], xy[1])
            g_ref_norm = mpmath.sqrt(mpmath.fsum(v * v for v in g_ref))
            def grad_err(g):
                return mpmath.sqrt(mpmath.fsum((mpmath.mpf(float(a)) - b) ** 2 for a, b in zip(g, g_ref)))

            g_err = grad_err(g)
            print(json.dumps({
                "peer": "geoopt", "check": "boundary_dist", "dtype": "f64", "c": 1.0, "d": args.d,
                "eps": eps, "pair": pair,
                "norm_x": float(np.linalg.norm(xy[0])), "norm_y": float(np.linalg.norm(xy[1])),
                "dist_geoopt": d_geo,
                "dist_ref": float(d_ref),
                "dist_rel_err": float(abs(mpmath.mpf(d_geo) - d_ref) / d_ref),
                "grad_x_geoopt_norm": float(np.linalg.norm(g)),
                "grad_x_ref_norm": float(g_ref_norm),
                "grad_x_rel_err": float(g_err / g_ref_norm),
                "grad_x_is_zero": bool(np.all(g == 0.0)),
                "dist_tessera": d_tsr,
                "dist_tessera_rel_err": float(abs(mpmath.mpf(d_tsr) - d_ref) / d_ref),
                "grad_x_tessera_rel_err": float(grad_err(g_tsr) / g_ref_norm),
                "grad_x_geoopt": [float(v) for v in g],
                "grad_x_ref": [float(v) for v in g_ref],
            }), flush=True)


if __name__ == "__main__":
    main()
