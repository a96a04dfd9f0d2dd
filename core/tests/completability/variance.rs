//! First-order variances against the effective resistance at r = 1, the brute-force Jacobian
//! closure, gauge invariance, and a Monte Carlo of refits.

use crate::support::*;
use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Par, Side};
use tessera::completability::{
    first_order_variance, fit_low_rank, variance_at_fit, CompletabilityError, Components, LowRankFit, Mask,
};

/// At r = 1, Var(â_ij)/a_ij² is the effective resistance between row i and column j of the
/// bipartite graph with resistances σ_e²/a_e² (dense Laplacian pseudo-inverse), and +∞
/// across components.
#[test]
fn rank_one_reduces_to_the_effective_resistance() {
    let mut rng = Rng::new(3);
    let mut seen_infinite = 0;
    for trial in 0..8 {
        let (m, n) = (9 + trial % 3, 8);
        let truth = LowRank::new(m, n, 1, &mut rng);
        let mask = bernoulli_mask(m, n, 0.18 + 0.04 * (trial % 4) as f64, &mut rng);
        let values = truth.observe(&mask);
        let sigma2: Vec<f64> = (0..mask.len()).map(|_| 0.2 + rng.uniform()).collect();
        let queries = all_positions(m, n);
        let var = first_order_variance(&mask, &values, Some(&sigma2), 1, &queries, Par::Seq).unwrap();
        let dim = m + n;
        let mut laplacian = Mat::<f64>::zeros(dim, dim);
        for e in 0..mask.len() {
            let (i, j) = mask.entry(e);
            let c = values[e] * values[e] / sigma2[e];
            laplacian[(i, i)] += c;
            laplacian[(m + j, m + j)] += c;
            laplacian[(i, m + j)] -= c;
            laplacian[(m + j, i)] -= c;
        }
        let eig = laplacian.self_adjoint_eigen(Side::Lower).unwrap();
        let top = eig.S().column_vector().iter().copied().fold(0.0, f64::max);
        let components = Components::new(&mask);
        for (q, &(i, j)) in queries.iter().enumerate() {
            if !components.connected(i, j) {
                assert_eq!(var[q], f64::INFINITY, "trial {trial} ({i}, {j}) joins two components");
                seen_infinite += 1;
                continue;
            }
            let r_eff: f64 = (0..dim)
                .filter(|&k| eig.S()[k] > 1e-12 * top)
                .map(|k| (eig.U()[(i, k)] - eig.U()[(m + j, k)]).powi(2) / eig.S()[k])
                .sum();
            let a = truth.at(i, j);
            assert!(relative(var[q] / (a * a), r_eff) < 1e-8, "trial {trial} ({i}, {j}): {} vs {r_eff}", var[q] / (a * a));
        }
    }
    assert!(seen_infinite > 0);
}

/// Finite exactly on the entries in the closure (brute-force Jacobian rank) at r = 2, 3, on
/// the masks where the fit reaches the observations (on sparse masks below the threshold it
/// can stall in a local minimum: those are counted and must stay few).
#[test]
fn finite_exactly_on_the_closure() {
    let mut rng = Rng::new(5);
    let (mut finite, mut infinite, mut stalled) = (0, 0, 0);
    for r in 2..=3 {
        for trial in 0..8 {
            let (m, n) = (8, 9);
            let truth = LowRank::new(m, n, r, &mut rng);
            let mask = bernoulli_mask(m, n, 0.22 + 0.06 * r as f64 + 0.03 * trial as f64, &mut rng);
            let values = truth.observe(&mask);
            if fit_low_rank(&mask, &values, None, r, Par::Seq).unwrap().relative_residual > 1e-10 {
                stalled += 1;
                continue;
            }
            let queries = all_positions(m, n);
            let var = first_order_variance(&mask, &values, None, r, &queries, Par::Seq).unwrap();
            for (q, &(i, j)) in queries.iter().enumerate() {
                let closure = completable_brute_force(&truth, &mask, i, j);
                assert_eq!(var[q].is_finite(), closure, "r = {r}, trial {trial} ({i}, {j}): variance {}", var[q]);
                if closure {
                    finite += 1;
                } else {
                    infinite += 1;
                }
            }
        }
    }
    eprintln!("finite {finite}, infinite {infinite}, stalled fits {stalled}");
    assert!(finite > 100 && infinite > 100 && stalled <= 3, "finite {finite}, infinite {infinite}, stalled fits {stalled}");
}

/// The fit of noiseless rank-r data on a dense mask is the truth.
#[test]
fn noiseless_fit_is_exact() {
    let mut rng = Rng::new(13);
    for r in 1..=3 {
        let (m, n) = (20, 17);
        let truth = LowRank::new(m, n, r, &mut rng);
        let mask = bernoulli_mask(m, n, 0.45, &mut rng);
        let values = truth.observe(&mask);
        let fit = fit_low_rank(&mask, &values, None, r, Par::Seq).unwrap();
        assert!(fit.relative_residual < 1e-12, "r = {r}: {}", fit.relative_residual);
        for (i, j) in all_positions(m, n) {
            assert!(relative(fit.value(i, j), truth.at(i, j)) < 1e-8, "r = {r} ({i}, {j})");
        }
    }
}

/// (ÛB, V̂B⁻ᵀ) is the same matrix: the variances do not change.
#[test]
fn variances_are_gauge_invariant() {
    let mut rng = Rng::new(17);
    for r in 1..=3 {
        let (m, n) = (11, 10);
        let truth = LowRank::new(m, n, r, &mut rng);
        let mask = bernoulli_mask(m, n, 0.35 + 0.05 * r as f64, &mut rng);
        let values = truth.observe(&mask);
        let sigma2: Vec<f64> = (0..mask.len()).map(|_| 0.5 + rng.uniform()).collect();
        let fit = fit_low_rank(&mask, &values, Some(&sigma2), r, Par::Seq).unwrap();
        let b = Mat::from_fn(r, r, |k, l| f64::from(u8::from(k == l)) * 2.0 + 0.7 * rng.normal());
        let b_inv_t = b.partial_piv_lu().inverse().transpose().to_owned();
        let moved = LowRankFit { u: &fit.u * &b, v: &fit.v * &b_inv_t, ..fit.clone() };
        let queries = all_positions(m, n);
        let before = variance_at_fit(&mask, Some(&sigma2), &fit, &queries, Par::Seq).unwrap();
        let after = variance_at_fit(&mask, Some(&sigma2), &moved, &queries, Par::Seq).unwrap();
        assert!(before.iter().any(|v| v.is_finite()));
        for (q, (x, y)) in before.iter().zip(&after).enumerate() {
            assert_eq!(x.is_finite(), y.is_finite(), "r = {r} {:?}", queries[q]);
            if x.is_finite() {
                assert!(relative(*y, *x) < 1e-7, "r = {r} {:?}: {x} vs {y}", queries[q]);
            }
        }
    }
}

/// Seeded Monte Carlo: refits of noisy observations spread as predicted.
#[test]
fn monte_carlo_refits_match_the_prediction() {
    let mut rng = Rng::new(19);
    for r in 1..=2 {
        let (m, n) = (9, 8);
        let truth = LowRank::new(m, n, r, &mut rng);
        let mask = bernoulli_mask(m, n, 0.6, &mut rng);
        let values = truth.observe(&mask);
        let noise = 1e-4;
        let sigma2: Vec<f64> = (0..mask.len()).map(|_| noise * noise * (0.5 + rng.uniform())).collect();
        let queries = all_positions(m, n);
        let predicted = first_order_variance(&mask, &values, Some(&sigma2), r, &queries, Par::Seq).unwrap();
        let trials = 400;
        let mut sum2 = vec![0.0; queries.len()];
        for _ in 0..trials {
            let noisy: Vec<f64> = values.iter().zip(&sigma2).map(|(a, s)| a + s.sqrt() * rng.normal()).collect();
            let fit = fit_low_rank(&mask, &noisy, Some(&sigma2), r, Par::Seq).unwrap();
            for (q, &(i, j)) in queries.iter().enumerate() {
                sum2[q] += (fit.value(i, j) - truth.at(i, j)).powi(2);
            }
        }
        let ratios: Vec<f64> = (0..queries.len())
            .filter(|&q| predicted[q].is_finite())
            .map(|q| sum2[q] / trials as f64 / predicted[q])
            .collect();
        assert!(ratios.len() > queries.len() / 2);
        // Relative standard error of one ratio: √(2/400) ≈ 0.07.
        for (q, ratio) in ratios.iter().enumerate() {
            assert!((0.65..1.45).contains(ratio), "r = {r}, query {q}: empirical / predicted = {ratio}");
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!((mean - 1.0).abs() < 0.08, "r = {r}: mean ratio {mean}");
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut rng = Rng::new(29);
    let truth = LowRank::new(30, 25, 3, &mut rng);
    let mask = bernoulli_mask(30, 25, 0.3, &mut rng);
    let values = truth.observe(&mask);
    let queries = all_positions(30, 25);
    let seq = first_order_variance(&mask, &values, None, 3, &queries, Par::Seq).unwrap();
    let par = first_order_variance(&mask, &values, None, 3, &queries, rayon2()).unwrap();
    assert!(seq.iter().any(|v| v.is_finite()));
    for (a, b) in seq.iter().zip(&par) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

#[test]
fn bad_input_is_rejected() {
    use CompletabilityError::*;
    let mask = Mask::from_dense(3, 4, &[1; 12]).unwrap();
    let values = vec![1.0; 12];
    let run = |values: &[f64], variances: Option<&[f64]>, rank: usize, queries: &[(usize, usize)]| {
        first_order_variance(&mask, values, variances, rank, queries, Par::Seq)
    };
    assert_eq!(run(&values, None, 0, &[]), Err(InvalidRank { rank: 0, nrows: 3, ncols: 4 }));
    assert_eq!(run(&values, None, 3, &[]), Err(InvalidRank { rank: 3, nrows: 3, ncols: 4 }));
    assert_eq!(run(&values[..2], None, 1, &[]), Err(LengthMismatch { what: "values", expected: 12, got: 2 }));
    let mut bad = values.clone();
    bad[11] = f64::NEG_INFINITY;
    assert_eq!(run(&bad, None, 1, &[]), Err(NonFinite { what: "values", index: 11 }));
    assert_eq!(run(&values, Some(&[1.0; 13]), 1, &[]), Err(LengthMismatch { what: "variances", expected: 12, got: 13 }));
    let mut var = vec![1.0; 12];
    var[2] = -1.0;
    assert_eq!(run(&values, Some(&var), 1, &[]), Err(NonPositiveVariance { index: 2 }));
    assert_eq!(run(&values, None, 1, &[(1, 9)]), Err(IndexOutOfRange { entry: 0, axis: "column", index: 9, extent: 4 }));
    assert_eq!(fit_low_rank(&mask, &values, None, 5, Par::Seq).err(), Some(InvalidRank { rank: 5, nrows: 3, ncols: 4 }));
    let fit = fit_low_rank(&mask, &values, None, 1, Par::Seq).unwrap();
    let wrong = LowRankFit { u: Mat::zeros(2, 1), ..fit.clone() };
    assert_eq!(variance_at_fit(&mask, None, &wrong, &[], Par::Seq), Err(LengthMismatch { what: "fit.u", expected: 3, got: 2 }));
    let mut nan = fit.clone();
    nan.v[(1, 0)] = f64::NAN;
    assert_eq!(variance_at_fit(&mask, None, &nan, &[], Par::Seq), Err(NonFinite { what: "fit", index: 4 }));
}

