//! Möbius scalar multiplication: gyrovector-space identities, VJP against central differences,
//! f32 storage, robustness at the boundary and for extreme `r`, thread determinism.

use crate::common::{self, points, points_at_norm, Rng};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::PoincareBall;

fn mul(ball: &PoincareBall, r: &Mat<f64>, x: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    ball.mobius_scalar_mul(r.as_ref(), x.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn add(ball: &PoincareBall, x: &Mat<f64>, y: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    ball.mobius_add(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn scalars(n: usize, lo: f64, hi: f64, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    Mat::from_fn(n, 1, |_, _| lo + (hi - lo) * rng.uniform())
}

#[test]
fn identities() {
    for &c in &[0.7, 1.0, 3.0] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (300, 5);
        let x = points(n, d, c, 0.9, 11);
        let ones = Mat::from_fn(n, 1, |_, _| 1.0);
        assert_close(&mul(&ball, &ones, &x), &x, 1e-14, "1 ⊗ x = x");
        let twos = Mat::from_fn(n, 1, |_, _| 2.0);
        assert_close(&mul(&ball, &twos, &x), &add(&ball, &x, &x), 1e-12, "2 ⊗ x = x ⊕ x");
        let neg = Mat::from_fn(n, 1, |_, _| -1.0);
        assert_close(&mul(&ball, &neg, &x), &(-&x), 1e-14, "(−1) ⊗ x = −x");
        let r = scalars(n, -1.5, 1.5, 12);
        let s = scalars(n, -1.5, 1.5, 13);
        let r_plus_s = &r + &s;
        let lhs = mul(&ball, &r_plus_s, &x);
        let rhs = add(&ball, &mul(&ball, &r, &x), &mul(&ball, &s, &x));
        assert_close(&lhs, &rhs, 1e-11, "(r+s) ⊗ x = r⊗x ⊕ s⊗x");
        let rs = Mat::from_fn(n, 1, |i, _| r[(i, 0)] * s[(i, 0)]);
        assert_close(&mul(&ball, &r, &mul(&ball, &s, &x)), &mul(&ball, &rs, &x), 1e-11, "r⊗(s⊗x) = (rs)⊗x");
        let zero = Mat::<f64>::zeros(n, d);
        assert_eq!(mul(&ball, &r, &zero).norm_max(), 0.0, "r ⊗ 0 = 0");
        // The hyperbolic distance from the origin scales by |r|: artanh(√c‖r⊗x‖) = |r| artanh(√c‖x‖).
        let out = mul(&ball, &r, &x);
        for i in 0..n {
            let want = r[(i, 0)].abs() * (c.sqrt() * row_norm(&x, i)).atanh();
            let got = (c.sqrt() * row_norm(&out, i)).atanh();
            assert!((got - want).abs() <= 1e-12 * (1.0 + want), "distance scaling row {i}: {got} vs {want}");
        }
    }
}

#[test]
fn vjp_matches_central_differences() {
    for (k, &c) in [0.3, 1.0, 2.5].iter().enumerate() {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (16, 4);
        let seed = 20 + 10 * k as u64;
        let mut x = points(n, d, c, 0.95, seed);
        for j in 0..d {
            x[(0, j)] = 0.0; // the limit gradient at the origin
        }
        let r = scalars(n, -2.5, 2.5, seed + 1);
        let g = common::vectors(n, d, 1.0, seed + 2);
        let (mut gr, mut gx) = (Mat::zeros(n, 1), Mat::zeros(n, d));
        ball.mobius_scalar_mul_vjp(r.as_ref(), x.as_ref(), g.as_ref(), gr.as_mut(), gx.as_mut(), Par::Seq).unwrap();
        let f = |ins: &[Mat<f64>]| mul(&ball, &ins[0], &ins[1]);
        check_vjp(&[r.clone(), x.clone()], f, &g, &[gr, gx], 1e-6, 2e-7, &format!("scalar_mul c={c}"));
    }
}

#[test]
fn f32_storage_matches_f64() {
    let c = 1.7;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (500, 7);
    let x = through_f32(&points(n, d, c, 0.95, 40));
    let r = through_f32(&scalars(n, -3.0, 3.0, 41));
    let g = through_f32(&common::vectors(n, d, 1.0, 42));
    let (x32, r32, g32) = (to_f32(&x), to_f32(&r), to_f32(&g));
    let mut out32 = Mat::<f32>::zeros(n, d);
    ball.mobius_scalar_mul(r32.as_ref(), x32.as_ref(), out32.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&out32), &mul(&ball, &r, &x), 1e-6, "f32 forward");
    let (mut gr32, mut gx32) = (Mat::<f32>::zeros(n, 1), Mat::<f32>::zeros(n, d));
    ball.mobius_scalar_mul_vjp(r32.as_ref(), x32.as_ref(), g32.as_ref(), gr32.as_mut(), gx32.as_mut(), Par::Seq)
        .unwrap();
    let (mut gr, mut gx) = (Mat::zeros(n, 1), Mat::zeros(n, d));
    ball.mobius_scalar_mul_vjp(r.as_ref(), x.as_ref(), g.as_ref(), gr.as_mut(), gx.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&gr32), &gr, 1e-6, "f32 grad r");
    assert_close(&widen(&gx32), &gx, 1e-6, "f32 grad x");
}

/// Rows: points near the boundary, at the origin, tiny; `r` from tiny to huge of both signs.
fn extreme_inputs(d: usize, c: f64) -> (Mat<f64>, Mat<f64>) {
    let rs = [0.0, 1e-300, -1e-30, 1e-8, 1.0, -1.0, 7.5, 1e8, -1e30, 1e300];
    let rows: Vec<Mat<f64>> = [1.0 - 1e-3, 1.0 - 1e-7, 1.0 - 1e-12, 1e-200, 0.0, 0.5]
        .iter()
        .enumerate()
        .map(|(k, &f)| points_at_norm(rs.len(), d, c, f, 50 + k as u64))
        .collect();
    let x = Mat::from_fn(rows.len() * rs.len(), d, |i, j| rows[i / rs.len()][(i % rs.len(), j)]);
    let r = Mat::from_fn(x.nrows(), 1, |i, _| rs[i % rs.len()]);
    (r, x)
}

#[test]
fn robust_at_extremes() {
    for &d in &[1, 3, 300] {
        for &c in &[0.5, 1.0, 4.0] {
            let ball = PoincareBall::new(c).unwrap();
            let (r, x) = extreme_inputs(d, c);
            let n = x.nrows();
            let out = mul(&ball, &r, &x);
            assert_all_finite(&out, "forward");
            for i in 0..n {
                assert!(c.sqrt() * row_norm(&out, i) < 1.0, "row {i} left the ball");
            }
            let g = common::vectors(n, d, 1.0, 60);
            let (mut gr, mut gx) = (Mat::zeros(n, 1), Mat::zeros(n, d));
            ball.mobius_scalar_mul_vjp(r.as_ref(), x.as_ref(), g.as_ref(), gr.as_mut(), gx.as_mut(), Par::Seq).unwrap();
            assert_all_finite(&gr, "grad r");
            assert_all_finite(&gx, "grad x");
        }
    }
    // f32: up to the largest f32 below the boundary (c = 1).
    let ball = PoincareBall::new(1.0).unwrap();
    let edge = 1.0 - f32::EPSILON as f64 / 2.0;
    for &d in &[1, 4, 300] {
        let mut x = through_f32(&points_at_norm(8, d, 1.0, 1.0 - 1e-6, 70));
        for j in 0..d {
            x[(0, j)] = if j == 0 { edge } else { 0.0 };
            x[(1, j)] = if j == 0 { -edge } else { 0.0 };
            x[(2, j)] = 0.0;
        }
        let r = Mat::from_fn(8, 1, |i, _| [1.0, -1e30, 1e30, 1e-30, 0.5, 2.0, -3.0, 1e-40][i]);
        let (x32, r32) = (to_f32(&x), to_f32(&r));
        let mut out = Mat::<f32>::zeros(8, d);
        ball.mobius_scalar_mul(r32.as_ref(), x32.as_ref(), out.as_mut(), Par::Seq).unwrap();
        assert_all_finite32(&out, "f32 forward");
        let out64 = widen(&out);
        for i in 0..8 {
            assert!(row_norm(&out64, i) < 1.0, "f32 row {i} left the ball");
        }
        let g = to_f32(&common::vectors(8, d, 1.0, 71));
        let (mut gr, mut gx) = (Mat::<f32>::zeros(8, 1), Mat::<f32>::zeros(8, d));
        ball.mobius_scalar_mul_vjp(r32.as_ref(), x32.as_ref(), g.as_ref(), gr.as_mut(), gx.as_mut(), Par::Seq).unwrap();
        assert_all_finite32(&gr, "f32 grad r");
        assert_all_finite32(&gx, "f32 grad x");
    }
}

#[test]
fn threads_are_bitwise_deterministic() {
    let c = 1.2;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10_000, 6);
    let x = points(n, d, c, 0.99, 80);
    let r = scalars(n, -4.0, 4.0, 81);
    let g = common::vectors(n, d, 1.0, 82);
    let run = |par: Par| {
        let mut out = Mat::zeros(n, d);
        let (mut gr, mut gx) = (Mat::zeros(n, 1), Mat::zeros(n, d));
        ball.mobius_scalar_mul(r.as_ref(), x.as_ref(), out.as_mut(), par).unwrap();
        ball.mobius_scalar_mul_vjp(r.as_ref(), x.as_ref(), g.as_ref(), gr.as_mut(), gx.as_mut(), par).unwrap();
        (out, gr, gx)
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    assert_same_bits(&par.0, &seq.0, "forward");
    assert_same_bits(&par.1, &seq.1, "grad r");
    assert_same_bits(&par.2, &seq.2, "grad x");
}
