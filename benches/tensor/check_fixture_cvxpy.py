#!/usr/bin/env python3
"""Independent check of the tensor fixture: solve the same convex programs with cvxpy + Clarabel.

Optional; needs `pip install cvxpy` (which brings Clarabel). For each NAME.json in the fixture
directory (written by benches/tensor/octave/make_fixture.m) it solves, on the fixture's problem:
  constraint: min sum_k ||X_(k)||_*            + (1/2 lambda)||X_Omega - y||^2   (lambda=0: X_Omega = y)
  mixture:    min sum_k ||W_k,(k)||_*, X = sum_k W_k, same data term
  matrix:     min ||X_(mode)||_*                 + same data term
and prints the objective of both, the relative distance of the two X and of the latent
components W_k (mixture; these need not be unique), and max |X_Omega - y|.

    python3 benches/tensor/check_fixture_cvxpy.py [core/tests/fixtures/tensor]
"""
import json
import sys
from pathlib import Path

import numpy as np


def main(argv=None):
    import cvxpy as cp

    argv = sys.argv[1:] if argv is None else argv
    d = Path(argv[0] if argv else Path(__file__).resolve().parents[2] / "core/tests/fixtures/tensor")
    meta = json.loads((d / "meta.json").read_text())
    shape = meta["shape"]
    n_total, n_modes = int(np.prod(shape)), len(shape)
    idx = np.fromfile(d / "obs_idx.i64", "<i8")
    y = np.fromfile(d / "obs_val.f64", "<f8")
    lin = np.arange(n_total).reshape(shape, order="F")

    def unfold(x, k):
        rows = np.moveaxis(lin, k, 0).reshape(shape[k], -1, order="F")
        return cp.reshape(x[rows.ravel(order="F")], (shape[k], n_total // shape[k]), order="F")

    for jpath in sorted(d.glob("*.json")):
        if jpath.name == "meta.json":
            continue
        j = json.loads(jpath.read_text())
        name, method, lam = j["name"], j["method"], j["lambda"]
        ws = []
        if method == "mixture":
            ws = [cp.Variable(n_total) for _ in range(n_modes)]
            x = sum(ws)
            reg = sum(cp.normNuc(unfold(ws[k], k)) for k in range(n_modes))
        else:
            x = cp.Variable(n_total)
            if method == "constraint":
                reg = sum(cp.normNuc(unfold(x, k)) for k in range(n_modes))
            else:
                reg = cp.normNuc(unfold(x, j["mode"] - 1))
        if lam > 0:
            prob = cp.Problem(cp.Minimize(reg + cp.sum_squares(x[idx] - y) / (2 * lam)))
        else:
            prob = cp.Problem(cp.Minimize(reg), [x[idx] == y])
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, max_iter=500)
        xc = np.asarray(x.value).ravel()
        xo = np.fromfile(d / f"{name}_X.f64", "<f8")
        line = (f"{name}: fval octave {j['final_fval']:.12f} cvxpy {prob.value:.12f} ({prob.status}) | "
                f"||X_oct - X_cvx||/||X_cvx|| {np.linalg.norm(xo - xc) / np.linalg.norm(xc):.2e} | "
                f"max|X_Omega - y| octave {np.abs(xo[idx] - y).max():.1e} cvxpy {np.abs(xc[idx] - y).max():.1e}")
        for k, w in enumerate(ws):
            wo = np.fromfile(d / f"{name}_W{k + 1}.f64", "<f8")
            line += f" | W{k + 1} rel diff {np.linalg.norm(wo - w.value) / max(np.linalg.norm(w.value), 1e-300):.1e}"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
