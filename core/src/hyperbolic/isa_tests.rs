//! Every operation gives the same bits on every instruction set this CPU has: AVX-512 runs the
//! kernels on `zmm::Z`, AVX2 and the baseline on `V`, and `Z` must perform `V`'s operations in
//! the same order.

use super::{PoincareBall, Real};
use crate::rng::SplitMix64 as Rng;
use crate::simd::{with_isa_cap, Isa};
use faer::{Mat, MatMut, MatRef, Par};

/// `n × d` points with norms spread over `[0, r)` of the radius, and a few at `0.999999` of
/// it (the compensated paths); row 3 is the origin.
fn points(n: usize, d: usize, c: f64, r: f64, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    let mut m = Mat::from_fn(n, d, |_, _| rng.normal());
    for i in 0..n {
        let norm = m.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
        let target = if i % 5 == 4 { 0.999_999 } else if i == 3 { 0.0 } else { r * rng.unit() };
        for j in 0..d {
            m[(i, j)] *= target / c.sqrt() / norm;
        }
    }
    m
}

fn vectors(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    Mat::from_fn(n, d, |_, _| rng.normal())
}

fn cast<T: Real>(m: &Mat<f64>) -> Mat<T> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]))
}

/// Every output of every operation (forward and VJP), as bits.
fn all_outputs<T: Real>(ball: &PoincareBall, n: usize, d: usize) -> Vec<(&'static str, Vec<u64>)> {
    let c = ball.c;
    let x = cast::<T>(&points(n, d, c, 0.99, 1));
    let mut y = cast::<T>(&points(n, d, c, 0.99, 2));
    // Coinciding rows: the distance's subgradient case.
    for j in 0..d {
        y[(7, j)] = x[(7, j)];
    }
    let u = cast::<T>(&vectors(n, d, 3));
    let g = cast::<T>(&vectors(n, d, 4));
    let g1 = cast::<T>(&vectors(n, 1, 5));
    let t = cast::<T>(&Mat::from_fn(n, 1, |i, _| (i as f64 * 0.37).sin()));
    let (x, y, u, g, g1, t) = (x.as_ref(), y.as_ref(), u.as_ref(), g.as_ref(), g1.as_ref(), t.as_ref());
    let zero = || Mat::<T>::from_fn(n, d, |_, _| T::from_f64(0.0));
    let zero1 = || Mat::<T>::from_fn(n, 1, |_, _| T::from_f64(0.0));
    let bits = |ms: &[&Mat<T>]| -> Vec<u64> {
        ms.iter().flat_map(|m| (0..m.ncols()).flat_map(move |j| (0..m.nrows()).map(move |i| m[(i, j)].to_f64().to_bits()))).collect()
    };
    let seq = Par::Seq;
    let mut all = Vec::new();
    type Unary<T> = fn(&PoincareBall, MatRef<'_, T>, MatMut<'_, T>, Par) -> Result<(), super::HyperbolicError>;
    type Binary<T> = fn(&PoincareBall, MatRef<'_, T>, MatRef<'_, T>, MatMut<'_, T>, Par) -> Result<(), super::HyperbolicError>;
    type UnaryVjp<T> = fn(&PoincareBall, MatRef<'_, T>, MatRef<'_, T>, MatMut<'_, T>, Par) -> Result<(), super::HyperbolicError>;
    type BinaryVjp<T> =
        fn(&PoincareBall, MatRef<'_, T>, MatRef<'_, T>, MatRef<'_, T>, MatMut<'_, T>, MatMut<'_, T>, Par) -> Result<(), super::HyperbolicError>;
    let unary: [(&str, Unary<T>, UnaryVjp<T>, MatRef<'_, T>, bool); 5] = [
        ("dist0", PoincareBall::dist0, PoincareBall::dist0_vjp, x, true),
        ("expmap0", PoincareBall::expmap0, PoincareBall::expmap0_vjp, u, false),
        ("logmap0", PoincareBall::logmap0, PoincareBall::logmap0_vjp, x, false),
        ("project", PoincareBall::project, PoincareBall::project_vjp, u, false),
        ("conformal_factor", PoincareBall::conformal_factor, PoincareBall::conformal_factor_vjp, x, true),
    ];
    for (name, f, vjp, a, scalar) in unary {
        let mut out = if scalar { zero1() } else { zero() };
        f(ball, a, out.as_mut(), seq).unwrap();
        let mut ga = zero();
        vjp(ball, a, if scalar { g1 } else { g }, ga.as_mut(), seq).unwrap();
        all.push((name, bits(&[&out, &ga])));
    }
    let binary: [(&str, Binary<T>, BinaryVjp<T>, MatRef<'_, T>, MatRef<'_, T>, bool); 7] = [
        ("mobius_add", PoincareBall::mobius_add, PoincareBall::mobius_add_vjp, x, y, false),
        ("dist", PoincareBall::dist, PoincareBall::dist_vjp, x, y, true),
        ("expmap", PoincareBall::expmap, PoincareBall::expmap_vjp, x, u, false),
        ("logmap", PoincareBall::logmap, PoincareBall::logmap_vjp, x, y, false),
        ("egrad_to_rgrad", PoincareBall::egrad_to_rgrad, PoincareBall::egrad_to_rgrad_vjp, x, u, false),
        ("transport_from_origin", PoincareBall::transport_from_origin, PoincareBall::transport_from_origin_vjp, y, u, false),
        ("transport_to_origin", PoincareBall::transport_to_origin, PoincareBall::transport_to_origin_vjp, x, u, false),
    ];
    for (name, f, vjp, a, b, scalar) in binary {
        let mut out = if scalar { zero1() } else { zero() };
        f(ball, a, b, out.as_mut(), seq).unwrap();
        let (mut ga, mut gb) = (zero(), zero());
        vjp(ball, a, b, if scalar { g1 } else { g }, ga.as_mut(), gb.as_mut(), seq).unwrap();
        all.push((name, bits(&[&out, &ga, &gb])));
    }
    // r ⊗ x: r is n × 1.
    let (mut out, mut gr, mut gx) = (zero(), zero1(), zero());
    ball.mobius_scalar_mul(t, x, out.as_mut(), seq).unwrap();
    ball.mobius_scalar_mul_vjp(t, x, g, gr.as_mut(), gx.as_mut(), seq).unwrap();
    all.push(("mobius_scalar_mul", bits(&[&out, &gr, &gx])));
    let (mut out, mut gx, mut gy, mut gt) = (zero(), zero(), zero(), zero1());
    ball.geodesic(x, y, t, out.as_mut(), seq).unwrap();
    ball.geodesic_vjp(x, y, t, g, gx.as_mut(), gy.as_mut(), gt.as_mut(), seq).unwrap();
    all.push(("geodesic", bits(&[&out, &gx, &gy, &gt])));
    let (mut out, mut ga, mut gb, mut gc) = (zero(), zero(), zero(), zero());
    ball.gyration(x, y, u, out.as_mut(), seq).unwrap();
    ball.gyration_vjp(x, y, u, g, ga.as_mut(), gb.as_mut(), gc.as_mut(), seq).unwrap();
    all.push(("gyration", bits(&[&out, &ga, &gb, &gc])));
    let (mut out, mut ga, mut gb, mut gc) = (zero(), zero(), zero(), zero());
    ball.transport(x, y, u, out.as_mut(), seq).unwrap();
    ball.transport_vjp(x, y, u, g, ga.as_mut(), gb.as_mut(), gc.as_mut(), seq).unwrap();
    all.push(("transport", bits(&[&out, &ga, &gb, &gc])));
    // M ⊗ x with d_out = d + 2 (not a multiple of the four rows per pass, in general).
    let zeros = |r: usize, k: usize| Mat::<T>::from_fn(r, k, |_, _| T::from_f64(0.0));
    let m = cast::<T>(&vectors(d + 2, d, 6));
    let gm_in = cast::<T>(&vectors(n, d + 2, 7));
    let (mut out, mut gm, mut gx) = (zeros(n, d + 2), zeros(d + 2, d), zero());
    ball.mobius_matvec(m.as_ref(), x, out.as_mut(), seq).unwrap();
    ball.mobius_matvec_vjp(m.as_ref(), x, gm_in.as_ref(), gm.as_mut(), gx.as_mut(), seq).unwrap();
    all.push(("mobius_matvec", bits(&[&out, &gm, &gx])));
    // Three gyroplanes.
    let (pp, aa) = (cast::<T>(&points(3, d, c, 0.9, 8)), cast::<T>(&vectors(3, d, 9)));
    let g3 = cast::<T>(&vectors(n, 3, 10));
    let (mut out, mut gx, mut gp, mut ga) = (zeros(n, 3), zero(), zeros(3, d), zeros(3, d));
    ball.gyroplane_dist(x, pp.as_ref(), aa.as_ref(), out.as_mut(), seq).unwrap();
    ball.gyroplane_dist_vjp(x, pp.as_ref(), aa.as_ref(), g3.as_ref(), gx.as_mut(), gp.as_mut(), ga.as_mut(), seq).unwrap();
    all.push(("gyroplane_dist", bits(&[&out, &gx, &gp, &ga])));
    all
}

fn check<T: Real>(what: &str) {
    let ball = PoincareBall::new(0.8).unwrap();
    for (n, d) in [(37, 19), (16, 16), (9, 3)] {
        let widest = all_outputs::<T>(&ball, n, d);
        for isa in Isa::available() {
            let got = with_isa_cap(isa, || all_outputs::<T>(&ball, n, d));
            for ((name, a), (_, b)) in widest.iter().zip(&got) {
                let diff = a.iter().zip(b).filter(|(p, q)| p != q).count();
                assert!(diff == 0, "{what} {name} n={n} d={d}: {diff} of {} outputs differ between {isa:?} and {:?}", a.len(), Isa::detected());
            }
        }
    }
}

#[test]
fn every_instruction_set_gives_the_same_bits_f64() {
    check::<f64>("f64");
}

#[test]
fn every_instruction_set_gives_the_same_bits_f32() {
    check::<f32>("f32");
}
