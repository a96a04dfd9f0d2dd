//! Geodesics: end points, constant speed, VJP against central differences, f32 storage,
//! extreme inputs, thread determinism.

use crate::common::{points, vectors, Rng};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::{PoincareBall, Real};

fn geodesic<T: Real>(ball: &PoincareBall, x: &Mat<T>, y: &Mat<T>, t: &Mat<T>) -> Mat<T> {
    let mut out = Mat::from_fn(x.nrows(), x.ncols(), |_, _| T::from_f64(0.0));
    ball.geodesic(x.as_ref(), y.as_ref(), t.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn dist(ball: &PoincareBall, x: &Mat<f64>, y: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), 1);
    ball.dist(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

#[test]
fn end_points_and_constant_speed() {
    for &c in &[0.4, 1.0, 3.0] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (300, 5);
        let x = points(n, d, c, 0.99, 1);
        let y = points(n, d, c, 0.99, 2);
        let constant = |v: f64| Mat::from_fn(n, 1, |_, _| v);
        assert_close(&geodesic(&ball, &x, &y, &constant(0.0)), &x, 1e-15, "γ(0) = x");
        assert_close(&geodesic(&ball, &x, &y, &constant(1.0)), &y, 1e-11, "γ(1) = y");
        let mut rng = Rng::new(3);
        let t = Mat::from_fn(n, 1, |_, _| rng.uniform());
        let dxy = dist(&ball, &x, &y);
        let along = dist(&ball, &x, &geodesic(&ball, &x, &y, &t));
        let want = Mat::from_fn(n, 1, |i, _| t[(i, 0)] * dxy[(i, 0)]);
        assert_close(&along, &want, 1e-10, "d(x, γ(t)) = t d(x, y)");
        // γ(t) is also at distance (1 − t) d(x, y) from y: it lies on the geodesic segment.
        let rest = dist(&ball, &y, &geodesic(&ball, &x, &y, &t));
        let want = Mat::from_fn(n, 1, |i, _| (1.0 - t[(i, 0)]) * dxy[(i, 0)]);
        assert_close(&rest, &want, 1e-10, "d(γ(t), y) = (1 − t) d(x, y)");
    }
}

#[test]
fn vjp_matches_central_differences() {
    let c = 1.2;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10, 4);
    let x = points(n, d, c, 0.9, 4);
    let mut y = points(n, d, c, 0.9, 5);
    for j in 0..d {
        y[(0, j)] = x[(0, j)];
    }
    let mut rng = Rng::new(6);
    let t = Mat::from_fn(n, 1, |i, _| if i == 1 { 0.0 } else { 3.0 * rng.uniform() - 1.0 });
    let g = vectors(n, d, 1.0, 7);
    let (mut gx, mut gy, mut gt) = (Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, 1));
    ball.geodesic_vjp(x.as_ref(), y.as_ref(), t.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), gt.as_mut(), Par::Seq)
        .unwrap();
    let f = |a: &[Mat<f64>]| geodesic(&ball, &a[0], &a[1], &a[2]);
    check_vjp(&[x, y, t], f, &g, &[gx, gy, gt], 1e-6, 1e-7, "geodesic");
}

#[test]
fn f32_storage_matches_f64() {
    let c = 0.7;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (200, 5);
    let x = through_f32(&points(n, d, c, 0.95, 8));
    let y = through_f32(&points(n, d, c, 0.95, 9));
    let mut rng = Rng::new(10);
    let t = through_f32(&Mat::from_fn(n, 1, |_, _| rng.uniform()));
    let got = widen(&geodesic(&ball, &to_f32(&x), &to_f32(&y), &to_f32(&t)));
    assert_close(&got, &geodesic(&ball, &x, &y, &t), 1.2e-7, "geodesic");
}

fn extremes<T: Real>() {
    let ball = PoincareBall::new(1.0).unwrap();
    let top = if T::NAME == "f32" { 1.0 - 2f64.powi(-24) } else { 1.0 - 2f64.powi(-53) };
    let huge = if T::NAME == "f32" { 1e38 } else { 1e300 };
    for d in [1, 300] {
        let n = 5;
        let x = Mat::from_fn(n, d, |i, j| T::from_f64(if j == 0 && i != 4 { top } else { 0.0 }));
        let y = Mat::from_fn(n, d, |i, j| T::from_f64(if j == 0 { [-top, top, 0.5, -top, top][i] } else { 0.0 }));
        let t = Mat::from_fn(n, 1, |i, _| T::from_f64([0.5, 2.0, huge, -huge, 1.0][i]));
        let out = geodesic(&ball, &x, &y, &t);
        assert!(ball.check_points("out", out.as_ref()).is_ok(), "{} d={d}: geodesic left the ball", T::NAME);
        let g = Mat::from_fn(n, d, |_, _| T::from_f64(1.0));
        let z = |k| Mat::from_fn(n, k, |_, _| T::from_f64(0.0));
        let (mut gx, mut gy, mut gt) = (z(d), z(d), z(1));
        ball.geodesic_vjp(x.as_ref(), y.as_ref(), t.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), gt.as_mut(), Par::Seq)
            .unwrap();
        for m in [&gx, &gy, &gt] {
            for i in 0..m.nrows() {
                for j in 0..m.ncols() {
                    assert!(m[(i, j)].to_f64().is_finite(), "{} d={d}: non-finite gradient at ({i}, {j})", T::NAME);
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
    let (n, d) = (10_000, 6);
    let x = points(n, d, c, 0.99, 11);
    let y = points(n, d, c, 0.99, 12);
    let mut rng = Rng::new(13);
    let t = Mat::from_fn(n, 1, |_, _| 2.0 * rng.uniform() - 0.5);
    let g = vectors(n, d, 1.0, 14);
    let run = |par: Par| {
        let (mut out, mut gx, mut gy, mut gt) = (Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, 1));
        ball.geodesic(x.as_ref(), y.as_ref(), t.as_ref(), out.as_mut(), par).unwrap();
        ball.geodesic_vjp(x.as_ref(), y.as_ref(), t.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), gt.as_mut(), par)
            .unwrap();
        [out, gx, gy, gt]
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    for (a, b) in seq.iter().zip(&par) {
        assert_same_bits(a, b, "geodesic");
    }
}
