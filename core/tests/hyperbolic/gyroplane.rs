//! Signed distance to gyroplanes: zero on the plane, odd in the normal, invariant under its
//! scale, agreement with the definition through Möbius addition, VJP against central
//! differences, zero normals rejected, f32 storage, extreme inputs, thread determinism.

use crate::common::{points, vectors};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::{HyperbolicError, PoincareBall, Real};

fn gdist<T: Real>(ball: &PoincareBall, x: &Mat<T>, p: &Mat<T>, a: &Mat<T>) -> Mat<T> {
    let mut out = Mat::from_fn(x.nrows(), p.nrows(), |_, _| T::from_f64(0.0));
    ball.gyroplane_dist(x.as_ref(), p.as_ref(), a.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn dot_rows(a: &Mat<f64>, i: usize, b: &Mat<f64>, k: usize) -> f64 {
    (0..a.ncols()).map(|j| a[(i, j)] * b[(k, j)]).sum()
}

#[test]
fn plane_sign_scale_and_definition() {
    for &c in &[0.5, 1.0, 2.0] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, kk, d) = (200, 3, 5);
        let x = points(n, d, c, 0.95, 1);
        let p = points(kk, d, c, 0.9, 2);
        let a = vectors(kk, d, 1.0, 3);
        let out = gdist(&ball, &x, &p, &a);
        assert_same_bits(&gdist(&ball, &x, &p, &(-&a)), &(-&out), "a → −a flips the sign");
        assert_close(&gdist(&ball, &x, &p, &(&a * 3.5)), &out, 1e-15, "a → 3.5a");
        // The definition, through Möbius addition: arsinh(2√c⟨w,a⟩/((1 − c‖w‖²)‖a‖))/√c.
        for k in 0..kk {
            let pk = Mat::from_fn(n, d, |_, j| -p[(k, j)]);
            let mut w = Mat::zeros(n, d);
            ball.mobius_add(pk.as_ref(), x.as_ref(), w.as_mut(), Par::Seq).unwrap();
            let a_norm = dot_rows(&a, k, &a, k).sqrt();
            for i in 0..n {
                let arg = 2.0 * c.sqrt() * dot_rows(&w, i, &a, k) / ((1.0 - c * row_norm(&w, i).powi(2)) * a_norm);
                let want = arg.asinh() / c.sqrt();
                assert!((out[(i, k)] - want).abs() <= 1e-11 * (1.0 + want.abs()), "definition ({i}, {k})");
            }
        }
        // Points p ⊕ v with ⟨v, a⟩ = 0 lie on the plane.
        for k in 0..kk {
            let mut v = points(n, d, c, 0.9, 4 + k as u64);
            let aa = dot_rows(&a, k, &a, k);
            for i in 0..n {
                let s = dot_rows(&v, i, &a, k) / aa;
                (0..d).for_each(|j| v[(i, j)] -= s * a[(k, j)]);
            }
            let pk = Mat::from_fn(n, d, |_, j| p[(k, j)]);
            let mut on = Mat::zeros(n, d);
            ball.mobius_add(pk.as_ref(), v.as_ref(), on.as_mut(), Par::Seq).unwrap();
            let out = gdist(&ball, &on, &p, &a);
            for i in 0..n {
                assert!(out[(i, k)].abs() <= 1e-12, "on plane {k}: {}", out[(i, k)]);
            }
        }
    }
}

#[test]
fn vjp_matches_central_differences() {
    let c = 0.9;
    let ball = PoincareBall::new(c).unwrap();
    let (n, kk, d) = (8, 3, 4);
    let x = points(n, d, c, 0.9, 5);
    let p = points(kk, d, c, 0.8, 6);
    let a = vectors(kk, d, 1.0, 7);
    let g = vectors(n, kk, 1.0, 8);
    let (mut gx, mut gp, mut ga) = (Mat::zeros(n, d), Mat::zeros(kk, d), Mat::zeros(kk, d));
    ball.gyroplane_dist_vjp(x.as_ref(), p.as_ref(), a.as_ref(), g.as_ref(), gx.as_mut(), gp.as_mut(), ga.as_mut(), Par::Seq)
        .unwrap();
    for k in 0..kk {
        assert!(dot_rows(&ga, k, &a, k).abs() <= 1e-12 * row_norm(&ga, k), "∇_a ⟂ a");
    }
    let f = |m: &[Mat<f64>]| gdist(&ball, &m[0], &m[1], &m[2]);
    check_vjp(&[x, p, a], f, &g, &[gx, gp, ga], 1e-6, 1e-7, "gyroplane_dist");
}

#[test]
fn zero_normal_is_rejected_before_writing() {
    let ball = PoincareBall::new(1.0).unwrap();
    let (n, kk, d) = (4, 3, 2);
    let x = points(n, d, 1.0, 0.9, 9);
    let p = points(kk, d, 1.0, 0.9, 10);
    let mut a = vectors(kk, d, 1.0, 11);
    a[(1, 0)] = 0.0;
    a[(1, 1)] = 0.0;
    let mut out = Mat::from_fn(n, kk, |_, _| 7.0);
    let err = ball.gyroplane_dist(x.as_ref(), p.as_ref(), a.as_ref(), out.as_mut(), Par::Seq);
    assert_eq!(err, Err(HyperbolicError::ZeroNormal { input: "a", row: 1 }));
    assert!(err.unwrap_err().to_string().contains("row 1"));
    assert!((0..n).all(|i| (0..kk).all(|k| out[(i, k)] == 7.0)), "output untouched");
    // A tiny but non-zero normal is a valid direction.
    let tiny = &vectors(kk, d, 1.0, 12) * 1e-300;
    assert!(ball.gyroplane_dist(x.as_ref(), p.as_ref(), tiny.as_ref(), out.as_mut(), Par::Seq).is_ok());
}

#[test]
fn f32_storage_matches_f64() {
    let c = 1.5;
    let ball = PoincareBall::new(c).unwrap();
    let (n, kk, d) = (100, 4, 6);
    let x = through_f32(&points(n, d, c, 0.9, 13));
    let p = through_f32(&points(kk, d, c, 0.9, 14));
    let a = through_f32(&vectors(kk, d, 1.0, 15));
    let got = widen(&gdist(&ball, &to_f32(&x), &to_f32(&p), &to_f32(&a)));
    assert_close(&got, &gdist(&ball, &x, &p, &a), 1.2e-7, "gyroplane_dist");
    let g = through_f32(&vectors(n, kk, 1.0, 16));
    let (mut gx, mut gp, mut ga) = (Mat::zeros(n, d), Mat::zeros(kk, d), Mat::zeros(kk, d));
    let (mut gx32, mut gp32, mut ga32) = (Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(kk, d), Mat::<f32>::zeros(kk, d));
    ball.gyroplane_dist_vjp(x.as_ref(), p.as_ref(), a.as_ref(), g.as_ref(), gx.as_mut(), gp.as_mut(), ga.as_mut(), Par::Seq)
        .unwrap();
    let (x32, p32, a32, g32) = (to_f32(&x), to_f32(&p), to_f32(&a), to_f32(&g));
    ball.gyroplane_dist_vjp(x32.as_ref(), p32.as_ref(), a32.as_ref(), g32.as_ref(), gx32.as_mut(), gp32.as_mut(), ga32.as_mut(), Par::Seq)
        .unwrap();
    for (got, want, what) in [(gx32, gx, "x"), (gp32, gp, "p"), (ga32, ga, "a")] {
        assert_close(&widen(&got), &want, 1.2e-7, what);
    }
}

fn extremes<T: Real>() {
    let ball = PoincareBall::new(1.0).unwrap();
    let top = if T::NAME == "f32" { 1.0 - 2f64.powi(-24) } else { 1.0 - 2f64.powi(-53) };
    // ∇_a scales as 1/‖a‖: normals down to 1e-200 (f64) and 1e-30 (f32) keep it finite.
    let (huge, tiny) = if T::NAME == "f32" { (1e38, 1e-30) } else { (1e300, 1e-200) };
    for d in [1, 300] {
        let (n, kk) = (3, 3);
        let t = |rows: usize, f: &dyn Fn(usize, usize) -> f64| Mat::from_fn(rows, d, |i, j| T::from_f64(f(i, j)));
        let x = t(n, &|i, j| if j == 0 { [top, -top, 0.0][i] } else { 0.0 });
        let p = t(kk, &|k, j| if j == 0 { [top, -top, 0.3][k] } else { 0.0 });
        let a = t(kk, &|k, j| if j == 0 { [huge, tiny, -1.0][k] } else if j == 1 { 1.0 } else { 0.0 });
        let out = gdist(&ball, &x, &p, &a);
        let g = Mat::from_fn(n, kk, |_, _| T::from_f64(1.0));
        let z = |rows| Mat::from_fn(rows, d, |_, _| T::from_f64(0.0));
        let (mut gx, mut gp, mut ga) = (z(n), z(kk), z(kk));
        ball.gyroplane_dist_vjp(x.as_ref(), p.as_ref(), a.as_ref(), g.as_ref(), gx.as_mut(), gp.as_mut(), ga.as_mut(), Par::Seq)
            .unwrap();
        for (m, what) in [(&out, "out"), (&gx, "gx"), (&gp, "gp"), (&ga, "ga")] {
            for i in 0..m.nrows() {
                for j in 0..m.ncols() {
                    assert!(m[(i, j)].to_f64().is_finite(), "{} d={d} {what}: ({i}, {j})", T::NAME);
                }
            }
        }
    }
}

#[test]
fn extreme_inputs_stay_finite() {
    extremes::<f64>();
    extremes::<f32>();
}

#[test]
fn two_threads_bitwise_equal_to_sequential() {
    let c = 1.0;
    let ball = PoincareBall::new(c).unwrap();
    let (n, kk, d) = (10_000, 3, 5);
    let x = points(n, d, c, 0.99, 17);
    let p = points(kk, d, c, 0.9, 18);
    let a = vectors(kk, d, 1.0, 19);
    let g = vectors(n, kk, 1.0, 20);
    let run = |par: Par| {
        let (mut out, mut gx, mut gp, mut ga) = (Mat::zeros(n, kk), Mat::zeros(n, d), Mat::zeros(kk, d), Mat::zeros(kk, d));
        ball.gyroplane_dist(x.as_ref(), p.as_ref(), a.as_ref(), out.as_mut(), par).unwrap();
        ball.gyroplane_dist_vjp(x.as_ref(), p.as_ref(), a.as_ref(), g.as_ref(), gx.as_mut(), gp.as_mut(), ga.as_mut(), par)
            .unwrap();
        [out, gx, gp, ga]
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    for (a, b) in seq.iter().zip(&par) {
        assert_same_bits(a, b, "gyroplane");
    }
}
