//! Gyration: agreement with its Möbius definition, isometry, gyrocommutativity, VJP against
//! central differences, f32 storage, robustness near the boundary, thread determinism.

use crate::common::{points, points_at_norm, vectors};
use faer::{Mat, Par};
use crate::support::*;
use tessera::hyperbolic::PoincareBall;

fn add(ball: &PoincareBall, x: &Mat<f64>, y: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    ball.mobius_add(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn gyr(ball: &PoincareBall, u: &Mat<f64>, v: &Mat<f64>, w: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(w.nrows(), w.ncols());
    ball.gyration(u.as_ref(), v.as_ref(), w.as_ref(), out.as_mut(), Par::Seq).unwrap();
    out
}

fn gyr_vjp(ball: &PoincareBall, u: &Mat<f64>, v: &Mat<f64>, w: &Mat<f64>, g: &Mat<f64>, par: Par) -> [Mat<f64>; 3] {
    let (n, d) = w.shape();
    let mut gs = [Mat::zeros(n, d), Mat::zeros(n, d), Mat::zeros(n, d)];
    let [gu, gv, gw] = &mut gs;
    ball.gyration_vjp(u.as_ref(), v.as_ref(), w.as_ref(), g.as_ref(), gu.as_mut(), gv.as_mut(), gw.as_mut(), par)
        .unwrap();
    gs
}

#[test]
fn equals_the_mobius_definition() {
    for &c in &[0.4, 1.0, 2.2] {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (300, 5);
        let (u, v, w) = (points(n, d, c, 0.9, 1), points(n, d, c, 0.9, 2), points(n, d, c, 0.9, 3));
        // ⊖(u ⊕ v) ⊕ (u ⊕ (v ⊕ w))
        let def = add(&ball, &(-add(&ball, &u, &v)), &add(&ball, &u, &add(&ball, &v, &w)));
        assert_close(&gyr(&ball, &u, &v, &w), &def, 1e-10, "closed form vs definition");
    }
}

#[test]
fn isometry_and_gyrocommutativity() {
    let c = 1.3;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (300, 6);
    let (u, v) = (points(n, d, c, 0.99, 4), points(n, d, c, 0.99, 5));
    let w = vectors(n, d, 2.0, 6);
    let out = gyr(&ball, &u, &v, &w);
    for i in 0..n {
        let (a, b) = (row_norm(&out, i), row_norm(&w, i));
        assert!((a - b).abs() <= 1e-13 * b, "‖gyr[u,v]w‖ = ‖w‖, row {i}: {a} vs {b}");
    }
    // Linear in w: gyr[u,v](2w − w') = 2 gyr w − gyr w'.
    let w2 = vectors(n, d, 1.0, 7);
    let lin = gyr(&ball, &u, &v, &(&w * faer::Scale(2.0) - &w2));
    assert_close(&lin, &(&out * faer::Scale(2.0) - gyr(&ball, &u, &v, &w2)), 1e-13, "linearity");
    // u ⊕ v = gyr[u,v](v ⊕ u).
    assert_close(&gyr(&ball, &u, &v, &add(&ball, &v, &u)), &add(&ball, &u, &v), 1e-12, "gyrocommutativity");
    // gyr[u,v] and gyr[v,u] are inverse.
    assert_close(&gyr(&ball, &v, &u, &out), &w, 1e-12, "gyr[v,u] gyr[u,v] = I");
}

/// `u ≈ −v` near the boundary: `D ≈ δ²` and the rearranged numerator keeps the isometry.
#[test]
fn isometry_near_antipodal_boundary_pairs() {
    let c = 1.0;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (200, 4);
    for &frac in &[1.0 - 1e-7, 1.0 - 1e-12] {
        let u = points_at_norm(n, d, c, frac, 8);
        let v = &vectors(n, d, 1e-9, 9) - &u;
        let v = Mat::from_fn(n, d, |i, j| v[(i, j)] * frac.min(frac / (c.sqrt() * row_norm(&v, i))));
        let w = vectors(n, d, 1.0, 10);
        let out = gyr(&ball, &u, &v, &w);
        for i in 0..n {
            let (a, b) = (row_norm(&out, i), row_norm(&w, i));
            assert!((a - b).abs() <= 1e-8 * b, "frac {frac} row {i}: {a} vs {b}");
        }
    }
}

#[test]
fn vjp_matches_central_differences() {
    for (k, &c) in [0.3, 1.0, 2.5].iter().enumerate() {
        let ball = PoincareBall::new(c).unwrap();
        let (n, d) = (12, 4);
        let s = 20 + 10 * k as u64;
        let (u, v, w) = (points(n, d, c, 0.95, s), points(n, d, c, 0.95, s + 1), vectors(n, d, 1.0, s + 2));
        let g = vectors(n, d, 1.0, s + 3);
        let grads = gyr_vjp(&ball, &u, &v, &w, &g, Par::Seq);
        let f = |ins: &[Mat<f64>]| gyr(&ball, &ins[0], &ins[1], &ins[2]);
        check_vjp(&[u, v, w], f, &g, &grads, 1e-6, 1e-6, &format!("gyration c={c}"));
    }
}

#[test]
fn f32_storage_matches_f64() {
    let c = 0.8;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (400, 5);
    let u = through_f32(&points(n, d, c, 0.95, 40));
    let v = through_f32(&points(n, d, c, 0.95, 41));
    let w = through_f32(&vectors(n, d, 1.0, 42));
    let g = through_f32(&vectors(n, d, 1.0, 43));
    let (u32_, v32, w32, g32) = (to_f32(&u), to_f32(&v), to_f32(&w), to_f32(&g));
    let mut out = Mat::<f32>::zeros(n, d);
    ball.gyration(u32_.as_ref(), v32.as_ref(), w32.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert_close(&widen(&out), &gyr(&ball, &u, &v, &w), 1e-6, "f32 forward");
    let mut gs = [Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d), Mat::<f32>::zeros(n, d)];
    let [gu, gv, gw] = &mut gs;
    ball.gyration_vjp(u32_.as_ref(), v32.as_ref(), w32.as_ref(), g32.as_ref(), gu.as_mut(), gv.as_mut(), gw.as_mut(), Par::Seq)
        .unwrap();
    let want = gyr_vjp(&ball, &u, &v, &w, &g, Par::Seq);
    for (got, want) in gs.iter().zip(&want) {
        assert_close(&widen(got), want, 1e-6, "f32 grads");
    }
}

#[test]
fn robust_at_extremes() {
    for &d in &[1, 3, 300] {
        for &c in &[0.5, 2.0] {
            let ball = PoincareBall::new(c).unwrap();
            let fracs = [1.0 - 1e-3, 1.0 - 1e-7, 1.0 - 1e-12, 0.0, 1e-200];
            let n = fracs.len() * fracs.len();
            let pu: Vec<_> = fracs.iter().map(|&f| points_at_norm(1, d, c, f, 50)).collect();
            let pv: Vec<_> = fracs.iter().map(|&f| points_at_norm(1, d, c, f, 51)).collect();
            let u = Mat::from_fn(n, d, |i, j| pu[i / fracs.len()][(0, j)]);
            // v: antipodal to u on even rows, independent on odd rows.
            let v = Mat::from_fn(n, d, |i, j| if i % 2 == 0 { -u[(i, j)] } else { pv[i % fracs.len()][(0, j)] });
            let w = vectors(n, d, 1.0, 52);
            assert_all_finite(&gyr(&ball, &u, &v, &w), "forward");
            let g = vectors(n, d, 1.0, 53);
            for m in gyr_vjp(&ball, &u, &v, &w, &g, Par::Seq) {
                assert_all_finite(&m, "grads");
            }
        }
    }
    let ball = PoincareBall::new(1.0).unwrap();
    let edge = (1.0 - f32::EPSILON / 2.0) as f32;
    let d = 3;
    let u = Mat::<f32>::from_fn(4, d, |i, j| if j == 0 { [edge, edge, 0.0, 0.5][i] } else { 0.0 });
    let v = Mat::<f32>::from_fn(4, d, |i, j| if j == i % d { [-edge, edge, edge, -edge][i] } else { 0.0 });
    let w = to_f32(&vectors(4, d, 1.0, 54));
    let mut out = Mat::<f32>::zeros(4, d);
    ball.gyration(u.as_ref(), v.as_ref(), w.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert_all_finite32(&out, "f32 forward");
    let mut gs = [Mat::<f32>::zeros(4, d), Mat::<f32>::zeros(4, d), Mat::<f32>::zeros(4, d)];
    let [gu, gv, gw] = &mut gs;
    ball.gyration_vjp(u.as_ref(), v.as_ref(), w.as_ref(), w.as_ref(), gu.as_mut(), gv.as_mut(), gw.as_mut(), Par::Seq)
        .unwrap();
    gs.iter().for_each(|m| assert_all_finite32(m, "f32 grads"));
}

#[test]
fn threads_are_bitwise_deterministic() {
    let c = 0.9;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (10_000, 5);
    let (u, v, w) = (points(n, d, c, 0.99, 80), points(n, d, c, 0.99, 81), vectors(n, d, 1.0, 82));
    let g = vectors(n, d, 1.0, 83);
    let run = |par: Par| {
        let mut out = Mat::zeros(n, d);
        ball.gyration(u.as_ref(), v.as_ref(), w.as_ref(), out.as_mut(), par).unwrap();
        (out, gyr_vjp(&ball, &u, &v, &w, &g, par))
    };
    let seq = run(Par::Seq);
    let par = in_two_threads(|| run(rayon2()));
    assert_same_bits(&par.0, &seq.0, "forward");
    for (a, b) in par.1.iter().zip(&seq.1) {
        assert_same_bits(a, b, "grads");
    }
}
