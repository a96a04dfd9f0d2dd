//! f-divergences: f*(f′(1)) = f′(1) − f(1); the conjugate against a numerical supremum
//! sup_u (tu − f(u)) over a grid of t; fused f*∘g_f against the naive composition where that
//! is safe and for |v| up to 1e4 where it is not; objective gradients against central
//! differences (both precisions); the objective at P = Q with the optimal output; and the
//! pointwise supremum of the variational bound on two discrete distributions against the
//! closed-form divergence.

use crate::common::Rng;
use core::f64::consts::LN_2;
use faer::Col;
use tessera::nn::{objective, objective_grad, Divergence, FdivError};

/// The maximiser of a unimodal `h` on `[lo, hi]` by golden-section search, and its value.
fn golden_max(h: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> (f64, f64) {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (hi - r * (hi - lo), lo + r * (hi - lo));
    let (mut ha, mut hb) = (h(a), h(b));
    for _ in 0..200 {
        if ha > hb {
            hi = b;
            (b, hb) = (a, ha);
            a = hi - r * (hi - lo);
            ha = h(a);
        } else {
            lo = a;
            (a, ha) = (b, hb);
            b = lo + r * (hi - lo);
            hb = h(b);
        }
    }
    let x = (lo + hi) / 2.0;
    (x, h(x))
}

/// `g_f⁻¹(t)` by bisection (`g_f` is increasing).
fn activation_inverse(div: Divergence, t: f64) -> f64 {
    let (mut lo, mut hi) = (-50.0, 50.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if div.activation(mid) < t {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[test]
fn conjugate_at_the_derivative_at_one() {
    for div in Divergence::ALL {
        let (d1, f1) = (div.generator_derivative(1.0), div.generator(1.0));
        let want_f1 = if div == Divergence::Gan { -4f64.ln() } else { 0.0 };
        assert!((f1 - want_f1).abs() < 1e-15, "{}: f(1) = {f1}", div.name());
        let want_d1 = match div {
            Divergence::KullbackLeibler => 1.0,
            Divergence::ReverseKl => -1.0,
            Divergence::Gan => -LN_2,
            _ => 0.0,
        };
        assert!((d1 - want_d1).abs() < 1e-15, "{}: f′(1) = {d1}", div.name());
        // Fenchel–Young equality at u = 1: f*(f′(1)) = f′(1) − f(1).
        assert!((div.conjugate(d1) - (d1 - f1)).abs() < 1e-15, "{}", div.name());
        let v = activation_inverse(div, d1);
        assert!((div.activation(v) - d1).abs() < 1e-14);
        assert!((div.conjugate_of_activation(v) - (d1 - f1)).abs() < 1e-14, "{}: fused", div.name());
    }
}

#[test]
fn conjugate_is_the_supremum() {
    for div in Divergence::ALL {
        let sup = div.conjugate_domain_sup();
        let top = if sup.is_finite() { sup - 0.02 } else { 3.0 };
        for k in 0..=40 {
            let t = -4.0 + (top + 4.0) * k as f64 / 40.0;
            let want = div.conjugate(t);
            let (u, got) = if div == Divergence::Pearson {
                golden_max(|u| t * u - div.generator(u), -100.0, 100.0)
            } else {
                let (s, h) = golden_max(|s| t * s.exp() - div.generator(s.exp()), -40.0, 40.0);
                (s.exp(), h)
            };
            assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()), "{} t={t}: sup {got} vs f* {want}", div.name());
            // The maximiser u* has f′(u*) = t.
            assert!((div.generator_derivative(u) - t).abs() < 1e-4, "{} t={t}: f′(u*) = {}", div.name(), div.generator_derivative(u));
        }
        if sup.is_finite() {
            assert_eq!(div.conjugate(sup), f64::INFINITY);
            assert_eq!(div.conjugate(sup + 1.0), f64::INFINITY);
        }
    }
}

#[test]
fn fused_matches_naive_composition_where_safe() {
    for div in Divergence::ALL {
        for k in 0..=400 {
            let v = -10.0 + 20.0 * k as f64 / 400.0;
            let t = div.activation(v);
            assert!(t < div.conjugate_domain_sup(), "{} g_f({v}) = {t} outside dom f*", div.name());
            let (naive, fused) = (div.conjugate(t), div.conjugate_of_activation(v));
            assert!((naive - fused).abs() <= 1e-10 * (1.0 + fused.abs()), "{} v={v}: {naive} vs {fused}", div.name());
            // Derivatives against central differences.
            let h = 1e-5;
            let dg = (div.activation(v + h) - div.activation(v - h)) / (2.0 * h);
            let dc = (div.conjugate_of_activation(v + h) - div.conjugate_of_activation(v - h)) / (2.0 * h);
            assert!((dg - div.activation_derivative(v)).abs() <= 1e-7 * (1.0 + dg.abs()), "{} g′({v})", div.name());
            assert!(
                (dc - div.conjugate_of_activation_derivative(v)).abs() <= 1e-7 * (1.0 + dc.abs()),
                "{} (f*∘g)′({v})",
                div.name()
            );
        }
    }
}

#[test]
fn stable_for_extreme_outputs() {
    use Divergence::*;
    let e = |x: f64, want: f64, what: &str| {
        assert!(!x.is_nan(), "{what}: NaN");
        assert!((x - want).abs() <= 1e-12 * (1.0 + want.abs()) || x == want, "{what}: {x} vs {want}");
    };
    for &v in &[1e4, -1e4, 1e3, -1e3, 800.0, -800.0] {
        e(Gan.conjugate_of_activation(v), v.max(0.0), "gan f*∘g");
        e(Gan.activation(v), v.min(0.0), "gan g");
        e(JensenShannon.conjugate_of_activation(v), v.max(0.0) - LN_2, "js f*∘g");
        e(JensenShannon.activation(v), LN_2 + v.min(0.0), "js g");
        e(ReverseKl.conjugate_of_activation(v), v - 1.0, "rkl f*∘g");
        e(Pearson.conjugate_of_activation(v), v * v / 4.0 + v, "pearson f*∘g");
        for div in [Gan, JensenShannon] {
            e(div.activation_derivative(v), if v > 0.0 { 0.0 } else { 1.0 }, "sigmoid(−v)");
            e(div.conjugate_of_activation_derivative(v), if v > 0.0 { 1.0 } else { 0.0 }, "sigmoid(v)");
        }
        if v > 0.0 {
            e(Neyman.conjugate_of_activation(v), 2.0, "neyman f*∘g");
            e(Neyman.activation(v), 1.0, "neyman g");
            e(SquaredHellinger.activation(v), 1.0, "hellinger g");
            e(ReverseKl.activation(v), 0.0, "rkl g");
            e(KullbackLeibler.conjugate_of_activation(-v), 0.0, "kl f*∘g");
        } else {
            e(SquaredHellinger.conjugate_of_activation(v), -1.0, "hellinger f*∘g");
        }
    }
    // The naive composition fails where the fused form does not.
    assert_eq!(Gan.conjugate(Gan.activation(800.0)), f64::INFINITY);
    // f32 storage of extreme outputs: finite objective and gradients for GAN and JS.
    for div in [Gan, JensenShannon] {
        let vp = Col::from_fn(4, |i| [1e4f32, -1e4, 50.0, -50.0][i]);
        let vq = Col::from_fn(3, |i| [1e4f32, -1e4, 0.0][i]);
        let (mut gp, mut gq) = (Col::<f32>::zeros(4), Col::<f32>::zeros(3));
        let f = objective_grad(div, vp.as_ref(), vq.as_ref(), gp.as_mut(), gq.as_mut()).unwrap();
        assert!(f.is_finite() && gp.iter().chain(gq.iter()).all(|g| g.is_finite()), "{}: {f}", div.name());
    }
}

fn random_col(n: usize, scale: f64, seed: u64) -> Col<f64> {
    let mut rng = Rng::new(seed);
    Col::from_fn(n, |_| scale * rng.normal())
}

#[test]
fn gradients_match_finite_differences() {
    for (s, div) in Divergence::ALL.into_iter().enumerate() {
        let (vp, vq) = (random_col(7, 1.5, 2 * s as u64 + 1), random_col(5, 1.5, 2 * s as u64 + 2));
        let (mut gp, mut gq) = (Col::zeros(7), Col::zeros(5));
        let f = objective_grad(div, vp.as_ref(), vq.as_ref(), gp.as_mut(), gq.as_mut()).unwrap();
        assert_eq!(f, objective(div, vp.as_ref(), vq.as_ref()).unwrap());
        let h = 1e-6;
        let fd = |which: usize, i: usize| {
            let (mut a, mut b) = ((vp.clone(), vq.clone()), (vp.clone(), vq.clone()));
            if which == 0 {
                a.0[i] += h;
                b.0[i] -= h;
            } else {
                a.1[i] += h;
                b.1[i] -= h;
            }
            (objective(div, a.0.as_ref(), a.1.as_ref()).unwrap() - objective(div, b.0.as_ref(), b.1.as_ref()).unwrap())
                / (2.0 * h)
        };
        for i in 0..7 {
            assert!((fd(0, i) - gp[i]).abs() <= 1e-7 * (1.0 + gp[i].abs()), "{} ∂F/∂v_p[{i}]", div.name());
        }
        for i in 0..5 {
            assert!((fd(1, i) - gq[i]).abs() <= 1e-7 * (1.0 + gq[i].abs()), "{} ∂F/∂v_q[{i}]", div.name());
        }
        // f32 storage agrees with f64 to f32 precision.
        let (vp32, vq32) = (Col::from_fn(7, |i| vp[i] as f32), Col::from_fn(5, |i| vq[i] as f32));
        let (mut gp32, mut gq32) = (Col::<f32>::zeros(7), Col::<f32>::zeros(5));
        let f32v = objective_grad(div, vp32.as_ref(), vq32.as_ref(), gp32.as_mut(), gq32.as_mut()).unwrap();
        assert!((f32v - f).abs() <= 1e-5 * (1.0 + f.abs()), "{}: f32 {f32v} vs {f}", div.name());
        for i in 0..7 {
            assert!((gp32[i] as f64 - gp[i]).abs() <= 1e-5 * (1.0 + gp[i].abs()));
        }
        for i in 0..5 {
            assert!((gq32[i] as f64 - gq[i]).abs() <= 1e-5 * (1.0 + gq[i].abs()));
        }
    }
}

#[test]
fn objective_at_p_equals_q_is_f_of_one_and_stationary() {
    for div in Divergence::ALL {
        // Both sample sets are the same points, and V takes the optimal value g_f⁻¹(f′(1)) on each.
        let v = activation_inverse(div, div.generator_derivative(1.0));
        let batch = Col::from_fn(9, |_| v);
        let (mut gp, mut gq) = (Col::zeros(9), Col::zeros(9));
        let f = objective_grad(div, batch.as_ref(), batch.as_ref(), gp.as_mut(), gq.as_mut()).unwrap();
        let want = div.generator(1.0); // D_f(P‖P) = f(1): 0, and −ln 4 for GAN
        assert!((f - want).abs() < 1e-13, "{}: F = {f}, want {want}", div.name());
        // Each shared point's output gets no net gradient: the optimum is stationary.
        for i in 0..9 {
            assert!((gp[i] + gq[i]).abs() < 1e-13, "{}: net gradient {}", div.name(), gp[i] + gq[i]);
        }
    }
}

#[test]
fn bound_supremum_is_the_divergence_for_discrete_distributions() {
    // P and Q on five atoms, with rational weights so that a batch can hold them exactly.
    let p_counts = [1usize, 2, 3, 4, 10];
    let q_counts = [4usize, 3, 2, 1, 10];
    let (np, nq) = (20.0, 20.0);
    for div in Divergence::ALL {
        let mut closed = 0.0;
        let mut bound = 0.0;
        let mut v_opt = Vec::new();
        for k in 0..5 {
            let (p, q) = (p_counts[k] as f64 / np, q_counts[k] as f64 / nq);
            closed += q * div.generator(p / q);
            let (v, h) = golden_max(|v| p * div.activation(v) - q * div.conjugate_of_activation(v), -30.0, 30.0);
            assert!((div.activation(v) - div.generator_derivative(p / q)).abs() < 1e-6, "{}: T* = f′(p/q)", div.name());
            bound += h;
            v_opt.push(v);
        }
        assert!((bound - closed).abs() < 1e-12, "{}: sup of the bound {bound} vs D_f {closed}", div.name());
        // The batch objective on samples of P and Q at those outputs is the same number.
        let batch = |counts: &[usize]| {
            let values: Vec<f64> = counts.iter().zip(&v_opt).flat_map(|(&c, &v)| std::iter::repeat_n(v, c)).collect();
            Col::from_fn(values.len(), |i| values[i])
        };
        let f = objective(div, batch(&p_counts).as_ref(), batch(&q_counts).as_ref()).unwrap();
        assert!((f - closed).abs() < 1e-12, "{}: batch objective {f} vs D_f {closed}", div.name());
        // Any other output gives less.
        let worse = objective(div, batch(&q_counts).as_ref(), batch(&p_counts).as_ref()).unwrap();
        assert!(worse < closed - 1e-3, "{}", div.name());
    }
}

#[test]
fn bad_input() {
    let (a, empty) = (Col::<f64>::zeros(3), Col::<f64>::zeros(0));
    let d = Divergence::Gan;
    assert_eq!(objective(d, empty.as_ref(), a.as_ref()).unwrap_err(), FdivError::EmptyBatch { what: "v_p" });
    assert_eq!(objective(d, a.as_ref(), empty.as_ref()).unwrap_err(), FdivError::EmptyBatch { what: "v_q" });
    let (mut g3, mut g2) = (Col::<f64>::zeros(3), Col::<f64>::zeros(2));
    let err = objective_grad(d, a.as_ref(), a.as_ref(), g3.as_mut(), g2.as_mut()).unwrap_err();
    assert_eq!(err, FdivError::LengthMismatch { what: "grad_q", expected: 3, got: 2 });
}
