//! Exponential and logarithmic maps: inverse pairs, consistency at the origin, VJPs against
//! central differences (including `u = 0` and `x = y`), f32 storage, extreme inputs, thread
//! determinism.

use crate::common::{points, vectors};
use faer::{Mat, MatMut, MatRef, Par};
use crate::support::*;
use tessera::hyperbolic::{HyperbolicError, PoincareBall, Real};

type Binary<T> = fn(&PoincareBall, MatRef<'_, T>, MatRef<'_, T>, MatMut<'_, T>, Par) -> Result<(), HyperbolicError>;
type Unary<T> = fn(&PoincareBall, MatRef<'_, T>, MatMut<'_, T>, Par) -> Result<(), HyperbolicError>;

fn bin<T: Real>(ball: &PoincareBall, op: Binary<T>, a: &Mat<T>, b: &Mat<T>) -> Mat<T> {
    let mut out = Mat::from_fn(a.nrows(), a.ncols(), |_, _| T::from_f64(0.0));
    op(ball, a.as_ref(), b.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn un<T: Real>(ball: &PoincareBall, op: Unary<T>, a: &Mat<T>) -> Mat<T> {
    let mut out = Mat::from_fn(a.nrows(), a.ncols(), |_, _| T::from_f64(0.0));
    op(ball, a.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

#[test]
fn exp_and_log_are_inverse() {
    for &c in &[0.3, 1.0, 2.5] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (300, 6);
        let x = points(n, d, c, 0.95, 1);
        let y = points(n, d, c, 0.95, 2);
        let log = bin(&ball, PoincareBall::logmap, &x, &y);
        assert_close(&bin(&ball, PoincareBall::expmap, &x, &log), &y, 1e-12, "exp_x(log_x y) = y");
        // Tangent vectors of Riemannian length ‖u‖_x = λ_x‖u‖ ~ 2: far enough to leave the
        // neighbourhood of x, not so far that exp_x(u) is clamped at the boundary.
        let mut u = vectors(n, d, 0.5 / c.sqrt(), 3);
        for i in 0..n {
            let half_lambda = 1.0 / (1.0 - c * row_norm(&x, i).powi(2));
            (0..d).for_each(|j| u[(i, j)] /= half_lambda);
        }
        let exp = bin(&ball, PoincareBall::expmap, &x, &u);
        assert_close(&bin(&ball, PoincareBall::logmap, &x, &exp), &u, 1e-10, "log_x(exp_x u) = u");
        let exp0 = un(&ball, PoincareBall::expmap0, &u);
        assert_close(&un(&ball, PoincareBall::logmap0, &exp0), &u, 1e-12, "log0(exp0 u) = u");
        assert_close(&un(&ball, PoincareBall::expmap0, &un(&ball, PoincareBall::logmap0, &y)), &y, 1e-13, "exp0(log0 y) = y");
        // At the origin the general maps reduce to exp₀ and log₀.
        let zero = Mat::<f64>::zeros(n, d);
        assert_close(&bin(&ball, PoincareBall::expmap, &zero, &u), &un(&ball, PoincareBall::expmap0, &u), 1e-15, "exp_0");
        assert_close(&bin(&ball, PoincareBall::logmap, &zero, &y), &un(&ball, PoincareBall::logmap0, &y), 1e-15, "log_0");
        // Identities at u = 0 and y = x.
        assert_close(&bin(&ball, PoincareBall::expmap, &x, &zero), &x, 1e-16, "exp_x(0) = x");
        assert_eq!(bin(&ball, PoincareBall::logmap, &x, &x).norm_max(), 0.0, "log_x(x) = 0");
    }
}

#[test]
fn vjps_match_central_differences() {
    let c = 1.4;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (12, 4);
    let x = points(n, d, c, 0.9, 4);
    let mut y = points(n, d, c, 0.9, 5);
    let mut u = vectors(n, d, 0.8, 6);
    for j in 0..d {
        y[(0, j)] = x[(0, j)]; // x = y: the logarithm is smooth there
        u[(1, j)] = 0.0; // u = 0: so is the exponential
        y[(2, j)] = x[(2, j)] + 1e-9;
    }
    let g = vectors(n, d, 1.0, 7);
    let (mut ga, mut gb) = (Mat::zeros(n, d), Mat::zeros(n, d));

    ball.expmap_vjp(x.as_ref(), u.as_ref(), g.as_ref(), ga.as_mut(), gb.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| bin(&ball, PoincareBall::expmap, &a[0], &a[1]);
    check_vjp(&[x.clone(), u.clone()], f, &g, &[ga.clone(), gb.clone()], 1e-6, 1e-7, "expmap");

    ball.logmap_vjp(x.as_ref(), y.as_ref(), g.as_ref(), ga.as_mut(), gb.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| bin(&ball, PoincareBall::logmap, &a[0], &a[1]);
    check_vjp(&[x.clone(), y.clone()], f, &g, &[ga.clone(), gb.clone()], 1e-6, 1e-7, "logmap");

    ball.expmap0_vjp(u.as_ref(), g.as_ref(), ga.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| un(&ball, PoincareBall::expmap0, &a[0]);
    check_vjp(std::slice::from_ref(&u), f, &g, &[ga.clone()], 1e-6, 1e-7, "expmap0");

    ball.logmap0_vjp(y.as_ref(), g.as_ref(), ga.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| un(&ball, PoincareBall::logmap0, &a[0]);
    check_vjp(std::slice::from_ref(&y), f, &g, &[ga.clone()], 1e-6, 1e-7, "logmap0");

    // Small arguments exercise the series branches (z < ½) of the slope functions.
    let small = &u * 1e-3;
    ball.expmap0_vjp(small.as_ref(), g.as_ref(), ga.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| un(&ball, PoincareBall::expmap0, &a[0]);
    check_vjp(std::slice::from_ref(&small), f, &g, &[ga.clone()], 1e-8, 1e-7, "expmap0 small");
    let small_y = &y * 0.3;
    ball.logmap0_vjp(small_y.as_ref(), g.as_ref(), ga.as_mut(), Par::Seq).unwrap();
    let f = |a: &[Mat<f64>]| un(&ball, PoincareBall::logmap0, &a[0]);
    check_vjp(&[small_y], f, &g, &[ga], 1e-7, 1e-7, "logmap0 small");
}

#[test]
fn f32_storage_matches_f64() {
    let c = 0.9;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (200, 5);
    let x = through_f32(&points(n, d, c, 0.9, 8));
    let y = through_f32(&points(n, d, c, 0.9, 9));
    let u = through_f32(&vectors(n, d, 0.5, 10));
    let (x32, y32, u32) = (to_f32(&x), to_f32(&y), to_f32(&u));
    let cases = [
        (widen(&bin(&ball, PoincareBall::expmap, &x32, &u32)), bin(&ball, PoincareBall::expmap, &x, &u), "expmap"),
        (widen(&bin(&ball, PoincareBall::logmap, &x32, &y32)), bin(&ball, PoincareBall::logmap, &x, &y), "logmap"),
        (widen(&un(&ball, PoincareBall::expmap0, &u32)), un(&ball, PoincareBall::expmap0, &u), "expmap0"),
        (widen(&un(&ball, PoincareBall::logmap0, &y32)), un(&ball, PoincareBall::logmap0, &y), "logmap0"),
    ];
    // The f32 path computes in f64 and rounds once on store.
    for (got, want, what) in cases {
        assert_close(&got, &want, 1.2e-7, what);
    }
    let g = through_f32(&vectors(n, d, 1.0, 11));
    let (mut gx32, mut gy32) = (Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d));
    let (mut gx, mut gy) = (Mat::zeros(n, d), Mat::zeros(n, d));
    ball.logmap_vjp(x32.as_ref(), y32.as_ref(), to_f32(&g).as_ref(), gx32.as_mut(), gy32.as_mut(), Par::Seq).unwrap();
    ball.logmap_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&gx32), &gx, 1.2e-7, "logmap_vjp x");
    assert_close(&widen(&gy32), &gy, 1.2e-7, "logmap_vjp y");
}

/// Rows: the largest representable point below the boundary along an axis, and (for `d > 1`)
/// along a diagonal, then ordinary points; `c = 1`.
fn extreme_points<T: Real>(n: usize, d: usize) -> Mat<f64> {
    let ball = PoincareBall::new(1.0).unwrap();
    let mut x = points(n, d, 1.0, 0.99, 12);
    let top = if T::NAME == "f32" { 1.0 - 2f64.powi(-24) } else { 1.0 - 2f64.powi(-53) };
    for j in 0..d {
        x[(0, j)] = if j == 0 { top } else { 0.0 };
        x[(1, j)] = -top / (d as f64).sqrt();
    }
    let x = Mat::from_fn(n, d, |i, j| T::from_f64(x[(i, j)]).to_f64());
    let x_t = Mat::from_fn(n, d, |i, j| T::from_f64(x[(i, j)]));
    assert!(ball.check_points("x", x_t.as_ref()).is_ok(), "{} extreme points must be inside", T::NAME);
    x
}

fn extremes<T: Real>() {
    let ball = PoincareBall::new(1.0).unwrap();
    let huge = if T::NAME == "f32" { 1e37 } else { 1e300 };
    for d in [1, 300] {
        let n = 6;
        let x = extreme_points::<T>(n, d);
        // y: the antipodal extreme point, the same extreme point, an extreme point for an
        // ordinary x, ordinary points.
        let y = Mat::from_fn(n, d, |i, j| match i {
            0 => -x[(0, j)],
            1 => x[(1, j)],
            2 => x[(0, j)],
            _ => x[(n + 2 - i, j)],
        });
        let mut u = vectors(n, d, huge, 13);
        for j in 0..d {
            u[(2, j)] = 0.0;
            u[(3, j)] = -x[(0, j)] * huge;
        }
        let g = vectors(n, d, 1.0, 14);
        let t = |m: &Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]));
        let (x, y, u, g) = (t(&x), t(&y), t(&u), t(&g));
        let finite = |m: &Mat<T>, what: &str| {
            for i in 0..m.nrows() {
                for j in 0..m.ncols() {
                    assert!(m[(i, j)].to_f64().is_finite(), "{} d={d} {what}: ({i}, {j})", T::NAME);
                }
            }
        };
        for (op, a, b, what) in [
            (PoincareBall::expmap::<T> as Binary<T>, &x, &u, "expmap"),
            (PoincareBall::logmap::<T>, &x, &y, "logmap"),
            (PoincareBall::logmap::<T>, &y, &x, "logmap swapped"),
        ] {
            let out = bin(&ball, op, a, b);
            finite(&out, what);
            if what == "expmap" {
                assert!(ball.check_points("out", out.as_ref()).is_ok(), "{} d={d}: expmap left the ball", T::NAME);
            }
        }
        let e0 = un(&ball, PoincareBall::expmap0, &u);
        finite(&e0, "expmap0");
        assert!(ball.check_points("out", e0.as_ref()).is_ok());
        finite(&un(&ball, PoincareBall::logmap0, &x), "logmap0");
        let z = || Mat::from_fn(n, d, |_, _| T::from_f64(0.0));
        let (mut ga, mut gb) = (z(), z());
        ball.expmap_vjp(x.as_ref(), u.as_ref(), g.as_ref(), ga.as_mut(), gb.as_mut(), Par::Seq).unwrap();
        finite(&ga, "expmap_vjp x");
        finite(&gb, "expmap_vjp u");
        ball.logmap_vjp(x.as_ref(), y.as_ref(), g.as_ref(), ga.as_mut(), gb.as_mut(), Par::Seq).unwrap();
        finite(&ga, "logmap_vjp x");
        finite(&gb, "logmap_vjp y");
        ball.expmap0_vjp(u.as_ref(), g.as_ref(), ga.as_mut(), Par::Seq).unwrap();
        finite(&ga, "expmap0_vjp");
        ball.logmap0_vjp(x.as_ref(), g.as_ref(), ga.as_mut(), Par::Seq).unwrap();
        finite(&ga, "logmap0_vjp");
    }
}

#[test]
fn extreme_inputs_stay_finite() {
    extremes::<f64>();
    extremes::<f32>();
}

#[test]
fn two_threads_bitwise_equal_to_sequential() {
    let c = 1.1;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10_000, 7);
    let x = points(n, d, c, 0.99, 15);
    let y = points(n, d, c, 0.99, 16);
    let u = vectors(n, d, 2.0, 17);
    let g = vectors(n, d, 1.0, 18);
    let run = |par: Par| {
        let (mut e, mut l, mut gx, mut gu, mut gx2, mut gy) =
            (Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d));
        ball.expmap(x.as_ref(), u.as_ref(), e.as_mut(), par).unwrap();
        ball.logmap(x.as_ref(), y.as_ref(), l.as_mut(), par).unwrap();
        ball.expmap_vjp(x.as_ref(), u.as_ref(), g.as_ref(), gx.as_mut(), gu.as_mut(), par).unwrap();
        ball.logmap_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx2.as_mut(), gy.as_mut(), par).unwrap();
        [e, l, gx, gu, gx2, gy]
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    for (a, b) in seq.iter().zip(&par) {
        assert_same_bits(a, b, "maps");
    }
}
