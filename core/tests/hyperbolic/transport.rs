//! Parallel transport: isometry of the Riemannian metric, round trips, the origin special cases,
//! VJPs against central differences, f32 storage, robustness, thread determinism.

use crate::common::{points, points_at_norm, vectors};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::PoincareBall;

fn tr(ball: &PoincareBall, x: &Mat<f64>, y: &Mat<f64>, v: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(v.nrows(), v.ncols());
    ball.transport(x.as_ref(), y.as_ref(), v.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn from0(ball: &PoincareBall, y: &Mat<f64>, v: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(v.nrows(), v.ncols());
    ball.transport_from_origin(y.as_ref(), v.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn to0(ball: &PoincareBall, x: &Mat<f64>, v: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(v.nrows(), v.ncols());
    ball.transport_to_origin(x.as_ref(), v.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn tr_vjp(ball: &PoincareBall, x: &Mat<f64>, y: &Mat<f64>, v: &Mat<f64>, g: &Mat<f64>, par: Par) -> [Mat<f64>; 3] {
    let (n, d) = v.shape();
    let mut gs = [Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d)];
    let [gx, gy, gv] = &mut gs;
    ball.transport_vjp(x.as_ref(), y.as_ref(), v.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), gv.as_mut(), par)
        .unwrap();
    gs
}

fn dot_row(a: &Mat<f64>, b: &Mat<f64>, i: usize) -> f64 {
    (0..a.ncols()).map(|j| a[(i, j)] * b[(i, j)]).sum()
}

#[test]
fn preserves_the_metric_and_round_trips() {
    for &c in &[0.5, 1.0, 3.0] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (300, 5);
        let (x, y) = (points(n, d, c, 0.95, 1), points(n, d, c, 0.95, 2));
        let (v, w) = (vectors(n, d, 1.0, 3), vectors(n, d, 1.0, 4));
        let (pv, pw) = (tr(&ball, &x, &y, &v), tr(&ball, &x, &y, &w));
        let lambda = |p: &Mat<f64>, i: usize| 2.0 / (1.0 - c * row_norm(p, i).powi(2));
        for i in 0..n {
            let a = lambda(&x, i).powi(2) * dot_row(&v, &w, i);
            let b = lambda(&y, i).powi(2) * dot_row(&pv, &pw, i);
            let scale = lambda(&x, i).powi(2) * row_norm(&v, i) * row_norm(&w, i);
            assert!((a - b).abs() <= 1e-11 * scale, "metric row {i}: {a} vs {b}");
        }
        assert_close(&tr(&ball, &y, &x, &pv), &v, 1e-11, "P_{y→x} P_{x→y} = I");
        let zero = Mat::<f64>::zeros(n, d);
        assert_close(&from0(&ball, &y, &v), &tr(&ball, &zero, &y, &v), 1e-14, "from origin");
        assert_close(&to0(&ball, &x, &v), &tr(&ball, &x, &zero, &v), 1e-14, "to origin");
        assert_close(&tr(&ball, &x, &x, &v), &v, 1e-14, "P_{x→x} = I");
    }
}

#[test]
fn vjps_match_central_differences() {
    for (k, &c) in [0.3, 1.0, 2.5].iter().enumerate() {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (12, 4);
        let s = 20 + 10 * k as u64;
        let (x, y, v) = (points(n, d, c, 0.95, s), points(n, d, c, 0.95, s + 1), vectors(n, d, 1.0, s + 2));
        let g = vectors(n, d, 1.0, s + 3);
        let grads = tr_vjp(&ball, &x, &y, &v, &g, Par::Seq);
        let f = |ins: &[Mat<f64>]| tr(&ball, &ins[0], &ins[1], &ins[2]);
        check_vjp(&[x.clone(), y.clone(), v.clone()], f, &g, &grads, 1e-6, 1e-6, &format!("transport c={c}"));

        let (mut gy, mut gv) = (Mat::zeros(n, d), Mat::zeros(n, d));
        ball.transport_from_origin_vjp(y.as_ref(), v.as_ref(), g.as_ref(), gy.as_mut(), gv.as_mut(), Par::Seq).unwrap();
        let f = |ins: &[Mat<f64>]| from0(&ball, &ins[0], &ins[1]);
        check_vjp(&[y.clone(), v.clone()], f, &g, &[gy, gv], 1e-6, 1e-6, "from origin");

        let (mut gx, mut gv) = (Mat::zeros(n, d), Mat::zeros(n, d));
        ball.transport_to_origin_vjp(x.as_ref(), v.as_ref(), g.as_ref(), gx.as_mut(), gv.as_mut(), Par::Seq).unwrap();
        let f = |ins: &[Mat<f64>]| to0(&ball, &ins[0], &ins[1]);
        check_vjp(&[x, v], f, &g, &[gx, gv], 1e-6, 1e-6, "to origin");
    }
}

#[test]
fn f32_storage_matches_f64() {
    let c = 1.4;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (400, 6);
    let x = through_f32(&points(n, d, c, 0.95, 40));
    let y = through_f32(&points(n, d, c, 0.95, 41));
    let v = through_f32(&vectors(n, d, 1.0, 42));
    let g = through_f32(&vectors(n, d, 1.0, 43));
    let (x32, y32, v32, g32) = (to_f32(&x), to_f32(&y), to_f32(&v), to_f32(&g));
    let mut out = Mat::<f32>::zeros(n, d);
    ball.transport(x32.as_ref(), y32.as_ref(), v32.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&out), &tr(&ball, &x, &y, &v), 1e-6, "f32 forward");
    let mut gs = [Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d)];
    let [gx, gy, gv] = &mut gs;
    ball.transport_vjp(x32.as_ref(), y32.as_ref(), v32.as_ref(), g32.as_ref(), gx.as_mut(), gy.as_mut(), gv.as_mut(), Par::Seq)
        .unwrap();
    for (got, want) in gs.iter().zip(&tr_vjp(&ball, &x, &y, &v, &g, Par::Seq)) {
        assert_close(&widen(got), want, 1e-6, "f32 grads");
    }
    let mut out = Mat::<f32>::zeros(n, d);
    ball.transport_to_origin(x32.as_ref(), v32.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&out), &to0(&ball, &x, &v), 1e-6, "f32 to origin");
}

#[test]
fn robust_at_extremes() {
    for &d in &[1, 3, 300] {
        let c = 1.0;
        let ball = PoincareBall::new(c).unwrap();
        let fracs = [1.0 - 1e-3, 1.0 - 1e-7, 1.0 - 1e-12, 0.0];
        let n = fracs.len() * fracs.len();
        let px: Vec<_> = fracs.iter().map(|&f| points_at_norm(1, d, c, f, 50)).collect();
        let x = Mat::from_fn(n, d, |i, j| px[i / fracs.len()][(0, j)]);
        // y: −x direction on even rows (the far side), x's own direction on odd rows.
        let y = Mat::from_fn(n, d, |i, j| {
            let t = px[i % fracs.len()][(0, j)];
            if i % 2 == 0 { -t } else { t }
        });
        let v = vectors(n, d, 1.0, 52);
        assert_all_finite(&tr(&ball, &x, &y, &v), "forward");
        assert_all_finite(&to0(&ball, &x, &v), "to origin");
        assert_all_finite(&from0(&ball, &y, &v), "from origin");
        for m in tr_vjp(&ball, &x, &y, &v, &vectors(n, d, 1.0, 53), Par::Seq) {
            assert_all_finite(&m, "grads");
        }
    }
    let ball = PoincareBall::new(1.0).unwrap();
    let edge = (1.0 - f32::EPSILON / 2.0) as f32;
    let x = Mat::<f32>::from_fn(3, 2, |i, j| if j == 0 { [edge, -edge, 0.0][i] } else { 0.0 });
    let y = Mat::<f32>::from_fn(3, 2, |i, j| if j == 1 { [edge, edge, -edge][i] } else { 0.0 });
    let v = to_f32(&vectors(3, 2, 1.0, 54));
    let mut out = Mat::<f32>::zeros(3, 2);
    ball.transport(x.as_ref(), y.as_ref(), v.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert_all_finite32(&out, "f32 forward");
    let mut gs = [Mat::<f32>::zeros(3, 2), Mat::<f32>::zeros(3, 2), Mat::<f32>::zeros(3, 2)];
    let [gx, gy, gv] = &mut gs;
    ball.transport_vjp(x.as_ref(), y.as_ref(), v.as_ref(), v.as_ref(), gx.as_mut(), gy.as_mut(), gv.as_mut(), Par::Seq)
        .unwrap();
    gs.iter().for_each(|m| assert_all_finite32(m, "f32 grads"));
}

#[test]
fn threads_are_bitwise_deterministic() {
    let c = 1.1;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10_000, 5);
    let (x, y, v) = (points(n, d, c, 0.99, 80), points(n, d, c, 0.99, 81), vectors(n, d, 1.0, 82));
    let g = vectors(n, d, 1.0, 83);
    let run = |par: Par| {
        let mut out = Mat::zeros(n, d);
        ball.transport(x.as_ref(), y.as_ref(), v.as_ref(), out.as_mut(), par).unwrap();
        (out, tr_vjp(&ball, &x, &y, &v, &g, par))
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    assert_same_bits(&par.0, &seq.0, "forward");
    for (a, b) in par.1.iter().zip(&seq.1) {
        assert_same_bits(a, b, "grads");
    }
}
