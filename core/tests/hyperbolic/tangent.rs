//! Conformal factor, Euclidean-to-Riemannian gradient and projection: values, VJPs against
//! central differences, f32 storage, robustness, thread determinism.

use crate::common::{points, points_at_norm, vectors};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::PoincareBall;

fn lambda(ball: &PoincareBall, x: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), 1);
    ball.conformal_factor(x.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn rgrad(ball: &PoincareBall, x: &Mat<f64>, g: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    ball.egrad_to_rgrad(x.as_ref(), g.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn proj(ball: &PoincareBall, x: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    ball.project(x.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

#[test]
fn values() {
    let c = 0.8;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (300, 5);
    let x = points(n, d, c, 0.9, 1);
    let g = vectors(n, d, 1.0, 2);
    let lam = lambda(&ball, &x);
    let rg = rgrad(&ball, &x, &g);
    for i in 0..n {
        let want = 2.0 / (1.0 - c * row_norm(&x, i).powi(2));
        assert!((lam[(i, 0)] - want).abs() <= 1e-13 * want, "λ row {i}");
        for j in 0..d {
            let want = g[(i, j)] / (lam[(i, 0)] * lam[(i, 0)]);
            assert!((rg[(i, j)] - want).abs() <= 1e-15 * (1.0 + want.abs()), "rgrad ({i}, {j})");
        }
    }
    // Near the boundary: 1 − ‖x‖² = 2^-39 − 2^-80 exactly for x = (1 − 2^-40) e₁ (c = 1).
    let ball1 = PoincareBall::new(1.0).unwrap();
    let e = Mat::from_fn(1, 3, |_, j| if j == 0 { 1.0 - 2f64.powi(-40) } else { 0.0 });
    let want = 2.0 / (2f64.powi(-39) - 2f64.powi(-80));
    assert!((lambda(&ball1, &e)[(0, 0)] - want).abs() <= 2.0 * f64::EPSILON * want);
}

#[test]
fn project_is_idempotent_and_fixes_interior_points() {
    let c = 2.0;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (300, 4);
    let inside = points(n, d, c, 0.99, 3);
    assert_same_bits(&proj(&ball, &inside), &inside, "interior unchanged");
    let outside = &vectors(n, d, 1.0, 4) * faer::Scale(10.0);
    let mut outside = outside;
    outside[(0, 0)] = 1e300; // huge but finite: no overflow in the norm
    outside[(1, 1)] = -1e-300;
    let p = proj(&ball, &outside);
    let m = ball.max_norm::<f64>();
    for i in 0..n {
        let r = row_norm(&p, i);
        assert!(r <= m * (1.0 + 2.0 * f64::EPSILON), "row {i} norm {r}");
        if row_norm(&outside, i) > m {
            assert!((r - m).abs() <= 4.0 * f64::EPSILON * m, "row {i} pulled to the max norm: {r}");
        }
    }
    assert_close(&proj(&ball, &p), &p, 4.0 * f64::EPSILON, "idempotent");
    let bad = Mat::from_fn(1, 2, |_, j| if j == 0 { f64::INFINITY } else { 0.0 });
    assert!(ball.project(bad.as_ref(), Mat::zeros(1, 2).as_mut(), Par::Seq).is_err(), "rejects non-finite");
    // f32: the projected point is inside the ball once stored.
    let out32 = {
        let mut o = Mat::<f32>::zeros(n, d);
        let mut outside32 = to_f32(&outside);
        outside32[(0, 0)] = 1e30; // 1e300 is not an f32
        ball.project(outside32.as_ref(), o.as_mut(), Par::Seq).unwrap();
        widen(&o)
    };
    assert!(ball.check_points("p", out32.as_ref()).is_ok());
}

#[test]
fn vjps_match_central_differences() {
    for (k, &c) in [0.3, 1.0, 2.5].iter().enumerate() {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (12, 4);
        let s = 20 + 10 * k as u64;
        let x = points(n, d, c, 0.95, s);
        let g1 = vectors(n, 1, 1.0, s + 1);
        let mut gx = Mat::zeros(n, d);
        ball.conformal_factor_vjp(x.as_ref(), g1.as_ref(), gx.as_mut(), Par::Seq).unwrap();
        check_vjp(&[x.clone()], |ins| lambda(&ball, &ins[0]), &g1, &[gx], 1e-7, 1e-6, "conformal factor");

        let (v, g) = (vectors(n, d, 1.0, s + 2), vectors(n, d, 1.0, s + 3));
        let (mut gx, mut gv) = (Mat::zeros(n, d), Mat::zeros(n, d));
        ball.egrad_to_rgrad_vjp(x.as_ref(), v.as_ref(), g.as_ref(), gx.as_mut(), gv.as_mut(), Par::Seq).unwrap();
        check_vjp(&[x.clone(), v], |ins| rgrad(&ball, &ins[0], &ins[1]), &g, &[gx, gv], 1e-6, 1e-6, "egrad_to_rgrad");

        // Project: interior rows and rows well outside.
        let y = Mat::from_fn(n, d, |i, j| if i % 2 == 0 { x[(i, j)] } else { 3.0 * x[(i, j)] / (c.sqrt() * row_norm(&x, i)) });
        let mut gy = Mat::zeros(n, d);
        ball.project_vjp(y.as_ref(), g.as_ref(), gy.as_mut(), Par::Seq).unwrap();
        check_vjp(&[y], |ins| proj(&ball, &ins[0]), &g, &[gy], 1e-6, 1e-6, "project");
    }
}

#[test]
fn f32_storage_matches_f64() {
    let c = 1.5;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (400, 5);
    let x = through_f32(&points(n, d, c, 0.95, 40));
    let g = through_f32(&vectors(n, d, 1.0, 41));
    let (x32, g32) = (to_f32(&x), to_f32(&g));
    let mut lam32 = Mat::<f32>::zeros(n, 1);
    ball.conformal_factor(x32.as_ref(), lam32.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&lam32), &lambda(&ball, &x), 1e-6, "f32 λ");
    let mut rg32 = Mat::<f32>::zeros(n, d);
    ball.egrad_to_rgrad(x32.as_ref(), g32.as_ref(), rg32.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&rg32), &rgrad(&ball, &x, &g), 1e-6, "f32 rgrad");
    let (mut gx32, mut gg32) = (Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d));
    ball.egrad_to_rgrad_vjp(x32.as_ref(), g32.as_ref(), g32.as_ref(), gx32.as_mut(), gg32.as_mut(), Par::Seq).unwrap();
    let (mut gx, mut gg) = (Mat::zeros(n, d), Mat::zeros(n, d));
    ball.egrad_to_rgrad_vjp(x.as_ref(), g.as_ref(), g.as_ref(), gx.as_mut(), gg.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&gx32), &gx, 1e-6, "f32 rgrad vjp x");
    assert_close(&widen(&gg32), &gg, 1e-6, "f32 rgrad vjp g");
}

#[test]
fn robust_at_extremes() {
    for &d in &[1, 3, 300] {
        let c = 1.0;
        let ball = PoincareBall::new(c).unwrap();
        let fracs = [1.0 - 1e-3, 1.0 - 1e-7, 1.0 - 1e-12, 0.0];
        let px: Vec<_> = fracs.iter().map(|&f| points_at_norm(1, d, c, f, 50)).collect();
        let x = Mat::from_fn(fracs.len(), d, |i, j| px[i][(0, j)]);
        let g = vectors(fracs.len(), d, 1.0, 51);
        let g1 = vectors(fracs.len(), 1, 1.0, 52);
        assert_all_finite(&lambda(&ball, &x), "λ");
        assert_all_finite(&rgrad(&ball, &x, &g), "rgrad");
        let mut gx = Mat::zeros(fracs.len(), d);
        ball.conformal_factor_vjp(x.as_ref(), g1.as_ref(), gx.as_mut(), Par::Seq).unwrap();
        assert_all_finite(&gx, "λ vjp");
        let mut gg = Mat::zeros(fracs.len(), d);
        ball.egrad_to_rgrad_vjp(x.as_ref(), g.as_ref(), g.as_ref(), gx.as_mut(), gg.as_mut(), Par::Seq).unwrap();
        assert_all_finite(&gx, "rgrad vjp x");
        let far = &x * faer::Scale(1e300);
        ball.project_vjp(far.as_ref(), g.as_ref(), gx.as_mut(), Par::Seq).unwrap();
        assert_all_finite(&gx, "project vjp");
    }
    let ball = PoincareBall::new(1.0).unwrap();
    let edge = (1.0 - f32::EPSILON / 2.0) as f32;
    let x = Mat::<f32>::from_fn(2, 2, |i, j| if i == j { edge } else { 0.0 });
    let mut lam = Mat::<f32>::zeros(2, 1);
    ball.conformal_factor(x.as_ref(), lam.as_mut(), Par::Seq).unwrap();
    assert_all_finite32(&lam, "f32 λ");
    let mut gx = Mat::<f32>::zeros(2, 2);
    ball.conformal_factor_vjp(x.as_ref(), Mat::<f32>::ones(2, 1).as_ref(), gx.as_mut(), Par::Seq).unwrap();
    assert_all_finite32(&gx, "f32 λ vjp");
}

#[test]
fn threads_are_bitwise_deterministic() {
    let c = 1.0;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10_000, 4);
    let x = points(n, d, c, 0.99, 80);
    let g = vectors(n, d, 1.0, 81);
    let far = &x * faer::Scale(3.0);
    let run = |par: Par| {
        let (mut gx, mut gg, mut gp) = (Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d));
        ball.egrad_to_rgrad_vjp(x.as_ref(), g.as_ref(), g.as_ref(), gx.as_mut(), gg.as_mut(), par).unwrap();
        ball.project_vjp(far.as_ref(), g.as_ref(), gp.as_mut(), par).unwrap();
        (gx, gg, gp)
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    assert_same_bits(&par.0, &seq.0, "rgrad vjp x");
    assert_same_bits(&par.1, &seq.1, "rgrad vjp g");
    assert_same_bits(&par.2, &seq.2, "project vjp");
}
