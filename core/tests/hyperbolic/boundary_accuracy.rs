//! `dist`, `dist0` and `logmap` and their gradients near the boundary, at norms `1 − η` with
//! η down to 1e-13, against double-double references computed from the same `f64` inputs.
//!
//! Tolerances: every input of these kernels (`‖x−y‖²`, the compensated `δ = 1 − c‖x‖²`) is
//! accurate to a few ulp of its own size, and `d = arcosh(1+t)/√c` has condition number
//! `t/(√(t(t+2)) arcosh(1+t)) ≤ 1` in `t`; so values must be right to a few ulp: the bound
//! 1e-14 (45 ulp; measured ≤ 4e-16) rejects any formula that cancels (the artanh form is off by
//! 4e-4 at η = 1e-7 and 40% at η = 1e-13). The gradients are products and ratios of such
//! quantities (`(x−y)/‖x−y‖`, `c‖x−y‖/δ_x`, `1/√(δ_xδ_y + c‖x−y‖²)`), equally well
//! conditioned; what limits the check is the reference, fourth-order differences with step
//! 1e-4 of the smallest scale, whose error reaches 2.5e-13 at η = 1e-13. Bound: 1e-11,
//! normwise per argument (measured ≤ 3e-15 for η ≥ 1e-10).

use crate::common::dd::{self, DD};
use crate::common::{points_at_norm, vectors};
use faer::{Mat, Par};
use tessera::hyperbolic::PoincareBall;

const ETAS: [f64; 4] = [1e-3, 1e-7, 1e-10, 1e-13];
const CURVATURES: [f64; 2] = [1.0, 0.37];
const D: usize = 4;

fn row(m: &Mat<f64>, i: usize) -> Vec<f64> {
    (0..m.ncols()).map(|j| m[(i, j)]).collect()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    diff / b.iter().map(|y| y * y).sum::<f64>().sqrt()
}

/// Pairs `(x, y)` for one boundary gap η: both at `1 − η` in independent directions; one at
/// `1 − η` and one at `0.5` (both ways round); and close pairs at `1 − η` about 1e-3 apart.
fn pairs(c: f64, eta: f64, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let r = 1.0 - eta;
    let x = points_at_norm(6, D, c, r, seed);
    let far = points_at_norm(2, D, c, r, seed + 1);
    let inner = points_at_norm(2, D, c, 0.5, seed + 2);
    let nudge = vectors(2, D, 1e-3 / c.sqrt(), seed + 3);
    let mut y = Mat::zeros(6, D);
    let mut x = x;
    for j in 0..D {
        y[(0, j)] = far[(0, j)];
        y[(1, j)] = far[(1, j)];
        y[(2, j)] = inner[(0, j)];
        x[(3, j)] = inner[(1, j)];
        y[(3, j)] = x[(2, j)];
        y[(4, j)] = x[(4, j)] + nudge[(0, j)];
        y[(5, j)] = x[(5, j)] + nudge[(1, j)];
    }
    for i in 4..6 {
        let n = (0..D).map(|j| y[(i, j)] * y[(i, j)]).sum::<f64>().sqrt();
        for j in 0..D {
            y[(i, j)] *= r / c.sqrt() / n;
        }
    }
    (x, y)
}

/// Finite-difference step: 1e-4 of the smallest length on which the functions vary.
fn step(c: f64, x: &[f64], y: &[f64]) -> f64 {
    let dx = dd::delta(c, &dd::widen(x)).to_f64();
    let dy = dd::delta(c, &dd::widen(y)).to_f64();
    let e = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    1e-4 * dx.min(dy).min(c.sqrt() * e) / c.sqrt()
}

/// The geoopt formula `2 artanh(√c‖(−x) ⊕ y‖)/√c` in plain f64, for the record.
fn naive_dist(c: f64, x: &[f64], y: &[f64]) -> f64 {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let (xy, x2, y2) = (dot(x, y), dot(x, x), dot(y, y));
    let a = 1.0 - 2.0 * c * xy + c * y2;
    let b = 1.0 - c * x2;
    let den = 1.0 - 2.0 * c * xy + c * c * x2 * y2;
    let w: Vec<f64> = x.iter().zip(y).map(|(xi, yi)| (b * yi - a * xi) / den).collect();
    let z = (c * dot(&w, &w)).sqrt().min(1.0 - 1e-15);
    2.0 * z.atanh() / c.sqrt()
}

#[test]
fn dist_and_gradient_match_double_double() {
    for c in CURVATURES {
        let ball = PoincareBall::new(c).unwrap();
        for (k, eta) in ETAS.into_iter().enumerate() {
            let (x, y) = pairs(c, eta, 10 + k as u64);
            let n = x.nrows();
            let mut out = Mat::zeros(n, 1);
            ball.dist(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
            let g = Mat::from_fn(n, 1, |i, _| 0.5 + 0.25 * i as f64);
            let (mut gx, mut gy) = (Mat::zeros(n, D), Mat::zeros(n, D));
            ball.dist_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
            let (mut worst, mut worst_grad, mut worst_naive) = (0.0f64, 0.0f64, 0.0f64);
            for i in 0..n {
                let (xi, yi) = (row(&x, i), row(&y, i));
                let args = [dd::widen(&xi), dd::widen(&yi)];
                let want = dd::dist(c, &args[0], &args[1]).to_f64();
                let err = ((out[(i, 0)] - want) / want).abs();
                assert!(err <= 1e-14, "c={c} η={eta:e} row {i}: dist {} vs {want} (rel {err:e})", out[(i, 0)]);
                worst = worst.max(err);
                worst_naive = worst_naive.max(((naive_dist(c, &xi, &yi) - want) / want).abs());
                let f = |a: &[Vec<DD>]| vec![dd::dist(c, &a[0], &a[1])];
                let want_g = dd::gradient(f, &args, &[g[(i, 0)]], step(c, &xi, &yi));
                for (got, want, name) in [(row(&gx, i), &want_g[0], "x"), (row(&gy, i), &want_g[1], "y")] {
                    let err = rel_err(&got, want);
                    assert!(err <= 1e-11, "c={c} η={eta:e} row {i}: ∇_{name} dist {got:?} vs {want:?} ({err:e})");
                    worst_grad = worst_grad.max(err);
                }
            }
            eprintln!("dist c={c} η={eta:e}: rel err {worst:.1e}, gradient {worst_grad:.1e} (naive artanh form {worst_naive:.1e})");
        }
    }
}

#[test]
fn dist0_and_gradient_match_double_double() {
    for c in CURVATURES {
        let ball = PoincareBall::new(c).unwrap();
        for (k, eta) in ETAS.into_iter().enumerate() {
            let x = points_at_norm(8, D, c, 1.0 - eta, 20 + k as u64);
            let n = x.nrows();
            let mut out = Mat::zeros(n, 1);
            ball.dist0(x.as_ref(), out.as_mut(), Par::Seq).unwrap();
            let g = Mat::from_fn(n, 1, |i, _| 1.5 - 0.1 * i as f64);
            let mut gx = Mat::zeros(n, D);
            ball.dist0_vjp(x.as_ref(), g.as_ref(), gx.as_mut(), Par::Seq).unwrap();
            let zero = vec![DD::new(0.0); D];
            let (mut worst, mut worst_grad) = (0.0f64, 0.0f64);
            for i in 0..n {
                let xi = row(&x, i);
                let args = [dd::widen(&xi)];
                let want = dd::dist(c, &zero, &args[0]).to_f64();
                let err = ((out[(i, 0)] - want) / want).abs();
                assert!(err <= 1e-14, "c={c} η={eta:e} row {i}: dist0 {} vs {want} (rel {err:e})", out[(i, 0)]);
                worst = worst.max(err);
                let f = |a: &[Vec<DD>]| vec![dd::dist(c, &zero, &a[0])];
                let want_g = dd::gradient(f, &args, &[g[(i, 0)]], step(c, &xi, &[0.0; D]));
                let err = rel_err(&row(&gx, i), &want_g[0]);
                assert!(err <= 1e-11, "c={c} η={eta:e} row {i}: ∇ dist0 ({err:e})");
                worst_grad = worst_grad.max(err);
            }
            eprintln!("dist0 c={c} η={eta:e}: rel err {worst:.1e}, gradient {worst_grad:.1e}");
        }
    }
}

#[test]
fn logmap_and_gradient_match_double_double() {
    for c in CURVATURES {
        let ball = PoincareBall::new(c).unwrap();
        for (k, eta) in ETAS.into_iter().enumerate() {
            let (x, y) = pairs(c, eta, 30 + k as u64);
            let n = x.nrows();
            let mut out = Mat::zeros(n, D);
            ball.logmap(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
            let g = vectors(n, D, 1.0, 40 + k as u64);
            let (mut gx, mut gy) = (Mat::zeros(n, D), Mat::zeros(n, D));
            ball.logmap_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
            let (mut worst, mut worst_grad) = (0.0f64, 0.0f64);
            for i in 0..n {
                let (xi, yi) = (row(&x, i), row(&y, i));
                let args = [dd::widen(&xi), dd::widen(&yi)];
                let want: Vec<f64> = dd::logmap(c, &args[0], &args[1]).iter().map(|v| v.to_f64()).collect();
                let err = rel_err(&row(&out, i), &want);
                assert!(err <= 1e-14, "c={c} η={eta:e} row {i}: logmap {:?} vs {want:?} ({err:e})", row(&out, i));
                worst = worst.max(err);
                let f = |a: &[Vec<DD>]| dd::logmap(c, &a[0], &a[1]);
                let want_g = dd::gradient(f, &args, &row(&g, i), step(c, &xi, &yi));
                for (got, want, name) in [(row(&gx, i), &want_g[0], "x"), (row(&gy, i), &want_g[1], "y")] {
                    let err = rel_err(&got, want);
                    assert!(err <= 1e-11, "c={c} η={eta:e} row {i}: ∇_{name} logmap {got:?} vs {want:?} ({err:e})");
                    worst_grad = worst_grad.max(err);
                }
            }
            eprintln!("logmap c={c} η={eta:e}: rel err {worst:.1e}, gradient {worst_grad:.1e}");
        }
    }
}
