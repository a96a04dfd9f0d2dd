//! Möbius matrix-vector product: `rI ⊗ x = r ⊗ x`, `(MN) ⊗ x = M ⊗ (N ⊗ x)`, rotations commute,
//! VJPs (x and M) against central differences, f32 storage, robustness, thread determinism of
//! the M-gradient reduction.

use crate::common::{points, points_at_norm, vectors, Rng};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::PoincareBall;

fn mv(ball: &PoincareBall, m: &Mat<f64>, x: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), m.nrows());
    ball.mobius_matvec(m.as_ref(), x.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn mv_vjp(ball: &PoincareBall, m: &Mat<f64>, x: &Mat<f64>, g: &Mat<f64>, par: Par) -> (Mat<f64>, Mat<f64>) {
    let (mut gm, mut gx) = (Mat::zeros(m.nrows(), m.ncols()), Mat::zeros(x.nrows(), x.ncols()));
    ball.mobius_matvec_vjp(m.as_ref(), x.as_ref(), g.as_ref(), gm.as_mut(), gx.as_mut(), par).unwrap();
    (gm, gx)
}

#[test]
fn identities() {
    for &c in &[0.6, 1.0, 2.0] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (300, 5);
        let x = points(n, d, c, 0.95, 1);
        for &r in &[0.3, 1.0, 2.5, -1.7] {
            let m = Mat::from_fn(d, d, |i, j| if i == j { r } else { 0.0 });
            let rr = Mat::from_fn(n, 1, |_, _| r);
            let mut want = Mat::zeros(n, d);
            ball.mobius_scalar_mul(rr.as_ref(), x.as_ref(), want.as_mut(), Par::Seq).unwrap();
            assert_close(&mv(&ball, &m, &x), &want, 1e-13, "rI ⊗ x = r ⊗ x");
        }
        // (MN) ⊗ x = M ⊗ (N ⊗ x), rectangular.
        let (mm, nn) = (vectors(3, 4, 0.6, 2), vectors(4, d, 0.6, 3));
        let x_small = points(n, d, c, 0.8, 4);
        assert_close(&mv(&ball, &(&mm * &nn), &x_small), &mv(&ball, &mm, &mv(&ball, &nn, &x_small)), 1e-11, "(MN)⊗x");
        // A rotation (Householder reflection) acts linearly: Q ⊗ x = Qx.
        let h = vectors(d, 1, 1.0, 5);
        let q = Mat::<f64>::identity(d, d) - &h * h.transpose() * faer::Scale(2.0 / h.squared_norm_l2());
        assert_close(&mv(&ball, &q, &x), &(&x * q.transpose()), 1e-14, "Q ⊗ x = Qx");
        // Mx = 0 ⇒ M ⊗ x = 0.
        let mut m0 = vectors(2, d, 1.0, 6);
        for j in 0..d {
            m0[(1, j)] = 0.0;
        }
        let out = mv(&ball, &m0, &x);
        assert!((0..n).all(|i| out[(i, 1)] == 0.0), "zero row of M gives a zero coordinate");
        assert_eq!(mv(&ball, &Mat::zeros(3, d), &x).norm_max(), 0.0, "0 ⊗ x = 0");
    }
}

#[test]
fn vjp_matches_central_differences() {
    for (k, &c) in [0.3, 1.0, 2.5].iter().enumerate() {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d_in, d_out) = (10, 4, 3);
        let s = 20 + 10 * k as u64;
        let mut x = points(n, d_in, c, 0.95, s);
        let m = vectors(d_out, d_in, 0.7, s + 1);
        for j in 0..d_in {
            x[(0, j)] = 0.0; // the limit at the origin
        }
        let g = vectors(n, d_out, 1.0, s + 2);
        let (gm, gx) = mv_vjp(&ball, &m, &x, &g, Par::Seq);
        let f = |ins: &[Mat<f64>]| mv(&ball, &ins[0], &ins[1]);
        check_vjp(&[m, x.clone()], f, &g, &[gm, gx], 1e-6, 1e-6, &format!("matvec c={c}"));
        // A rank-deficient M with M x = 0 on some rows: the limit y → 0.
        let mut m1 = Mat::zeros(d_out, d_in);
        m1[(0, 0)] = 1.0;
        m1[(2, 1)] = -0.5;
        for i in 0..3 {
            x[(i + 1, 0)] = 0.0;
            x[(i + 1, 1)] = 0.0;
        }
        let (gm, gx) = mv_vjp(&ball, &m1, &x, &g, Par::Seq);
        check_vjp(&[m1, x], f, &g, &[gm, gx], 1e-6, 1e-6, &format!("matvec Mx=0 c={c}"));
    }
}

#[test]
fn f32_storage_matches_f64() {
    let c = 1.3;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d_in, d_out) = (500, 6, 4);
    let x = through_f32(&points(n, d_in, c, 0.95, 40));
    let m = through_f32(&vectors(d_out, d_in, 0.5, 41));
    let g = through_f32(&vectors(n, d_out, 1.0, 42));
    let (x32, m32, g32) = (to_f32(&x), to_f32(&m), to_f32(&g));
    let mut out = Mat::<f32>::zeros(n, d_out);
    ball.mobius_matvec(m32.as_ref(), x32.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&out), &mv(&ball, &m, &x), 1e-6, "f32 forward");
    let (mut gm32, mut gx32) = (Mat::<f32>::zeros(d_out, d_in), Mat::<f32>::zeros(n, d_in));
    ball.mobius_matvec_vjp(m32.as_ref(), x32.as_ref(), g32.as_ref(), gm32.as_mut(), gx32.as_mut(), Par::Seq).unwrap();
    let (gm, gx) = mv_vjp(&ball, &m, &x, &g, Par::Seq);
    assert_close(&widen(&gm32), &gm, 1e-6, "f32 grad M");
    assert_close(&widen(&gx32), &gx, 1e-6, "f32 grad x");
}

#[test]
fn robust_at_extremes() {
    let mut rng = Rng::new(50);
    for &d in &[1, 3, 300] {
        for &c in &[0.5, 2.0] {
            let ball = PoincareBall::new(c).unwrap();
            let fracs = [1.0 - 1e-3, 1.0 - 1e-7, 1.0 - 1e-12, 0.0, 1e-200, 0.5];
            let px: Vec<_> = fracs.iter().enumerate().map(|(k, &f)| points_at_norm(1, d, c, f, 60 + k as u64)).collect();
            let x = Mat::from_fn(fracs.len(), d, |i, j| px[i][(0, j)]);
            for &scale in &[0.0, 1e-300, 1e-8, 1.0, 1e8, 1e150] {
                let m = Mat::from_fn(2, d, |_, _| scale * rng.normal());
                let out = mv(&ball, &m, &x);
                assert_all_finite(&out, "forward");
                (0..x.nrows()).for_each(|i| assert!(c.sqrt() * row_norm(&out, i) < 1.0, "left the ball"));
                let (gm, gx) = mv_vjp(&ball, &m, &x, &vectors(x.nrows(), 2, 1.0, 61), Par::Seq);
                assert_all_finite(&gm, "grad M");
                assert_all_finite(&gx, "grad x");
            }
        }
    }
    let ball = PoincareBall::new(1.0).unwrap();
    let edge = (1.0 - f32::EPSILON / 2.0) as f32;
    let x = Mat::<f32>::from_fn(3, 2, |i, j| if j == 0 { [edge, -edge, 0.0][i] } else { 0.0 });
    for &scale in &[0.0f32, 1e-30, 1.0, 1e20] {
        let m = Mat::<f32>::from_fn(2, 2, |i, j| scale * (1.0 + i as f32 - 0.5 * j as f32));
        let mut out = Mat::<f32>::zeros(3, 2);
        ball.mobius_matvec(m.as_ref(), x.as_ref(), out.as_mut(), Par::Seq).unwrap();
        assert_all_finite32(&out, "f32 forward");
        let (mut gm, mut gx) = (Mat::<f32>::zeros(2, 2), Mat::<f32>::zeros(3, 2));
        let g = Mat::<f32>::from_fn(3, 2, |i, j| 1.0 - (i + j) as f32);
        ball.mobius_matvec_vjp(m.as_ref(), x.as_ref(), g.as_ref(), gm.as_mut(), gx.as_mut(), Par::Seq).unwrap();
        assert_all_finite32(&gm, "f32 grad M");
        assert_all_finite32(&gx, "f32 grad x");
    }
}

#[test]
fn threads_are_bitwise_deterministic() {
    let c = 0.9;
    let ball = PoincareBall::new(c).unwrap();
    for &(n, d_in, d_out) in &[(10_000, 8, 5), (40_000, 3, 3)] {
        let x = points(n, d_in, c, 0.99, 80);
        let m = vectors(d_out, d_in, 0.5, 81);
        let g = vectors(n, d_out, 1.0, 82);
        let run = |par: Par| {
            let mut out = Mat::zeros(n, d_out);
            ball.mobius_matvec(m.as_ref(), x.as_ref(), out.as_mut(), par).unwrap();
            (out, mv_vjp(&ball, &m, &x, &g, par))
        };
        let seq = run(Par::Seq);
        let par = in_two_threads(|| run(rayon2()));
        assert_same_bits(&par.0, &seq.0, "forward");
        assert_same_bits(&par.1 .0, &seq.1 .0, "grad M");
        assert_same_bits(&par.1 .1, &seq.1 .1, "grad x");
    }
}

/// A batch larger than the VJP's blocks of rows gives each row's `∇_x` bit for bit as a call
/// on a short unaligned piece does, and the `∇_M` that is the sum of the pieces' (the chunk and
/// block bookkeeping of the reduction).
#[test]
fn gradients_over_blocks_match_pieces() {
    let c = 1.3;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d_in, d_out, piece) = (40_003, 5, 4, 997);
    let x = points(n, d_in, c, 0.99, 90);
    let m = vectors(d_out, d_in, 0.6, 91);
    let g = vectors(n, d_out, 1.0, 92);
    let (gm, gx) = mv_vjp(&ball, &m, &x, &g, Par::Seq);
    let mut gm_sum = Mat::<f64>::zeros(d_out, d_in);
    for first in (0..n).step_by(piece) {
        let len = piece.min(n - first);
        let part = |a: &Mat<f64>| a.subrows(first, len).to_owned();
        let (gm_part, gx_part) = mv_vjp(&ball, &m, &part(&x), &part(&g), Par::Seq);
        assert_same_bits(&gx_part, &part(&gx), &format!("grad x of rows {first}.."));
        gm_sum += &gm_part;
    }
    assert_close(&gm, &gm_sum, 1e-12, "grad M against the sum over pieces");
}
