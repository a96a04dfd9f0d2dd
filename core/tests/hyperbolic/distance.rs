//! Distances: metric axioms, agreement with the logarithm and with `dist0`, VJPs against
//! central differences and at the non-differentiable points, f32 storage, extreme inputs,
//! thread determinism. (Accuracy at the boundary: `hyperbolic_boundary_accuracy.rs`.)

use crate::common::{points, vectors, Rng};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::{PoincareBall, Real};

fn dist<T: Real>(ball: &PoincareBall, x: &Mat<T>, y: &Mat<T>) -> Mat<T> {
    let mut out = Mat::from_fn(x.nrows(), 1, |_, _| T::from_f64(0.0));
    ball.dist(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn dist0<T: Real>(ball: &PoincareBall, x: &Mat<T>) -> Mat<T> {
    let mut out = Mat::from_fn(x.nrows(), 1, |_, _| T::from_f64(0.0));
    ball.dist0(x.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

#[test]
fn metric_axioms_and_consistency() {
    for &c in &[0.5, 1.0, 4.0] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (500, 5);
        let x = points(n, d, c, 0.999, 1);
        let y = points(n, d, c, 0.999, 2);
        let z = points(n, d, c, 0.999, 3);
        let (dxy, dyx) = (dist(&ball, &x, &y), dist(&ball, &y, &x));
        assert_same_bits(&dxy, &dyx, "symmetry");
        assert_eq!(dist(&ball, &x, &x).norm_max(), 0.0, "d(x, x) = 0");
        let (dyz, dxz) = (dist(&ball, &y, &z), dist(&ball, &x, &z));
        for i in 0..n {
            assert!(dxy[(i, 0)] > 0.0);
            assert!(dxz[(i, 0)] <= (dxy[(i, 0)] + dyz[(i, 0)]) * (1.0 + 1e-14), "triangle inequality row {i}");
        }
        // d(x, y) = ‖log_x y‖_x = λ_x ‖log_x y‖.
        let mut log = Mat::zeros(n, d);
        ball.logmap(x.as_ref(), y.as_ref(), log.as_mut(), Par::Seq).unwrap();
        let lambda_log = Mat::from_fn(n, 1, |i, _| 2.0 / (1.0 - c * row_norm(&x, i).powi(2)) * row_norm(&log, i));
        assert_close(&lambda_log, &dxy, 1e-12, "λ_x‖log_x y‖");
        let zero = Mat::<f64>::zeros(n, d);
        assert_close(&dist0(&ball, &x), &dist(&ball, &zero, &x), 1e-15, "dist0(x) = dist(0, x)");
        // Along a ray from the origin distances add up.
        let half = &x * 0.5;
        let along = Mat::from_fn(n, 1, |i, _| dist0(&ball, &half)[(i, 0)] + dist(&ball, &half, &x)[(i, 0)]);
        assert_close(&along, &dist0(&ball, &x), 1e-13, "collinear");
    }
}

#[test]
fn vjps_match_central_differences_and_vanish_where_undefined() {
    let c = 0.8;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10, 4);
    let x = points(n, d, c, 0.95, 4);
    let y = points(n, d, c, 0.95, 5);
    let mut rng = Rng::new(6);
    let g = Mat::from_fn(n, 1, |_, _| rng.normal());
    let (mut gx, mut gy) = (Mat::zeros(n, d), Mat::zeros(n, d));
    ball.dist_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| dist(&ball, &a[0], &a[1]);
    check_vjp(&[x.clone(), y.clone()], f, &g, &[gx.clone(), gy.clone()], 1e-6, 1e-7, "dist");
    let mut g0 = Mat::zeros(n, d);
    ball.dist0_vjp(x.as_ref(), g.as_ref(), g0.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| dist0(&ball, &a[0]);
    check_vjp(std::slice::from_ref(&x), f, &g, &[g0.clone()], 1e-6, 1e-7, "dist0");

    // At x = y (resp. x = 0) the gradient is 0; one ulp away it has its one-sided size
    // |g| λ_x (resp. 2|g|), with no NaN, also where ‖x − y‖² underflows.
    for scale in [1.0, 1e-150] {
        let xs = &x * scale;
        for apart in [false, true] {
            let y = Mat::from_fn(n, d, |i, j| {
                let v = xs[(i, j)];
                if apart && j == 0 { f64::from_bits(v.to_bits() + 1) } else { v }
            });
            ball.dist_vjp(xs.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
            for i in 0..n {
                let (nx, ny) = (row_norm(&gx, i), row_norm(&gy, i));
                let want = if apart { 2.0 / (1.0 - c * row_norm(&xs, i).powi(2)) * g[(i, 0)].abs() } else { 0.0 };
                assert!((nx - want).abs() <= 1e-9 * want && (ny - want).abs() <= 1e-9 * want, "scale {scale:e} row {i}: {nx} {ny} vs {want}");
            }
        }
    }
    for scale in [0.0, 1e-300, 1e-160, 1e-20] {
        let xs = &x * scale;
        ball.dist0_vjp(xs.as_ref(), g.as_ref(), g0.as_mut(), Par::Seq).unwrap();
        for i in 0..n {
            let want = if scale == 0.0 { 0.0 } else { 2.0 * g[(i, 0)].abs() };
            assert!((row_norm(&g0, i) - want).abs() <= 1e-12 * want, "dist0 scale {scale:e} row {i}");
        }
    }
}

#[test]
fn f32_storage_matches_f64() {
    let c = 1.3;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (300, 6);
    let x = through_f32(&points(n, d, c, 0.99, 7));
    let y = through_f32(&points(n, d, c, 0.99, 8));
    let (x32, y32) = (to_f32(&x), to_f32(&y));
    assert_close(&widen(&dist(&ball, &x32, &y32)), &dist(&ball, &x, &y), 1.2e-7, "dist");
    assert_close(&widen(&dist0(&ball, &x32)), &dist0(&ball, &x), 1.2e-7, "dist0");
    let g = through_f32(&vectors(n, 1, 1.0, 9));
    let (mut gx32, mut gy32) = (Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d));
    let (mut gx, mut gy) = (Mat::zeros(n, d), Mat::zeros(n, d));
    ball.dist_vjp(x32.as_ref(), y32.as_ref(), to_f32(&g).as_ref(), gx32.as_mut(), gy32.as_mut(), Par::Seq).unwrap();
    ball.dist_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&gx32), &gx, 1.2e-7, "dist_vjp x");
    assert_close(&widen(&gy32), &gy, 1.2e-7, "dist_vjp y");
}

fn extremes<T: Real>() {
    let ball = PoincareBall::new(1.0).unwrap();
    let top = if T::NAME == "f32" { 1.0 - 2f64.powi(-24) } else { 1.0 - 2f64.powi(-53) };
    for d in [1, 300] {
        let n = 4;
        let t = |f: &dyn Fn(usize, usize) -> f64| Mat::from_fn(n, d, |i, j| T::from_f64(f(i, j)));
        // Rows: antipodal extreme points, equal extreme points, extreme and origin, origin twice.
        let x = t(&|i, j| if j == 0 && i < 3 { top } else { 0.0 });
        let y = t(&|i, j| if j == 0 && i < 2 { if i == 0 { -top } else { top } } else { 0.0 });
        let out = widen32(&dist(&ball, &x, &y));
        let out0 = widen32(&dist0(&ball, &x));
        let cap = if T::NAME == "f32" { 17.4 } else { 37.5 };
        assert!(out[(0, 0)] > cap && out[(0, 0)].is_finite(), "{} d={d}: antipodal distance {}", T::NAME, out[(0, 0)]);
        assert_eq!(out[(1, 0)], 0.0);
        assert!(out0[(0, 0)] > cap / 2.0 && out0[(0, 0)].is_finite());
        let g = Mat::from_fn(n, 1, |_, _| T::from_f64(1.0));
        let z = || Mat::from_fn(n, d, |_, _| T::from_f64(0.0));
        let (mut gx, mut gy, mut g0) = (z(), z(), z());
        ball.dist_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
        ball.dist0_vjp(x.as_ref(), g.as_ref(), g0.as_mut(), Par::Seq).unwrap();
        for m in [&gx, &gy, &g0] {
            assert_all_finite(&widen32(m), T::NAME);
        }
    }
}

fn widen32<T: Real>(m: &Mat<T>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)].to_f64())
}

#[test]
fn extreme_inputs_stay_finite() {
    extremes::<f64>();
    extremes::<f32>();
}

#[test]
fn two_threads_bitwise_equal_to_sequential() {
    let c = 0.6;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10_000, 5);
    let x = points(n, d, c, 0.999, 10);
    let y = points(n, d, c, 0.999, 11);
    let g = vectors(n, 1, 1.0, 12);
    let run = |par: Par| {
        let (mut dxy, mut d0, mut gx, mut gy, mut g0) =
            (Mat::zeros(n, 1), Mat::zeros(n, 1), Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d));
        ball.dist(x.as_ref(), y.as_ref(), dxy.as_mut(), par).unwrap();
        ball.dist0(x.as_ref(), d0.as_mut(), par).unwrap();
        ball.dist_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), par).unwrap();
        ball.dist0_vjp(x.as_ref(), g.as_ref(), g0.as_mut(), par).unwrap();
        [dxy, d0, gx, gy, g0]
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    for (a, b) in seq.iter().zip(&par) {
        assert_same_bits(a, b, "distance");
    }
}
