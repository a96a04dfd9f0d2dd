//! Minor completion against the truth on random rank-r matrices, a hand-computed circuit, the
//! Cramér–Rao bound, and a Monte Carlo of its variance.

use crate::support::*;
use faer::Par;
use tessera::completability::{
    complete_minors, first_order_variance, CompletabilityError, Estimate, Mask, MinorOptions,
};

fn options() -> MinorOptions {
    MinorOptions::default()
}

/// Every entry of dense-enough random masks is completed, to 1e-8 relative of the truth.
#[test]
fn random_low_rank_matrices_are_completed_exactly() {
    let mut rng = Rng::new(7);
    for r in 1..=3 {
        for trial in 0..6 {
            let (m, n) = (14 + trial, 12 + 2 * trial);
            let truth = LowRank::new(m, n, r, &mut rng);
            let mask = bernoulli_mask(m, n, 0.5, &mut rng);
            let values = truth.observe(&mask);
            let queries = all_positions(m, n);
            let out = complete_minors(&mask, &values, None, r, &queries, &options(), Par::Seq).unwrap();
            let mut determined = 0;
            for (&(i, j), est) in queries.iter().zip(&out) {
                if est.is_determined() {
                    determined += 1;
                    let err = relative(est.value, truth.at(i, j));
                    assert!(err < 1e-8, "r = {r}, trial {trial}: ({i}, {j}) {} vs {}: {err:e}", est.value, truth.at(i, j));
                    assert!(est.variance.is_finite() && est.variance > 0.0);
                }
            }
            assert_eq!(determined, m * n, "r = {r}, trial {trial}: every entry of a half-observed matrix is reachable");
        }
    }
}

/// Sparser masks: some entries stay undetermined, and those completed are right and in the
/// closure (brute-force Jacobian rank).
#[test]
fn sparse_masks_complete_only_closure_entries() {
    let mut rng = Rng::new(11);
    let (mut completed, mut undetermined) = (0, 0);
    for r in 1..=3 {
        for _ in 0..4 {
            let (m, n) = (10, 9);
            let truth = LowRank::new(m, n, r, &mut rng);
            let mask = bernoulli_mask(m, n, 0.22 + 0.08 * r as f64, &mut rng);
            let values = truth.observe(&mask);
            let queries: Vec<_> = all_positions(m, n).into_iter().filter(|&(i, j)| mask.find(i, j).is_none()).collect();
            let out = complete_minors(&mask, &values, None, r, &queries, &options(), Par::Seq).unwrap();
            for (&(i, j), est) in queries.iter().zip(&out) {
                if est.is_determined() {
                    completed += 1;
                    assert!(relative(est.value, truth.at(i, j)) < 1e-8, "r = {r} ({i}, {j})");
                    assert!(completable_brute_force(&truth, &mask, i, j), "r = {r} ({i}, {j}) completed outside the closure");
                } else {
                    undetermined += 1;
                    assert!(est.value.is_nan() && est.variance == f64::INFINITY && est.estimators == 0);
                }
            }
        }
    }
    assert!(completed > 50 && undetermined > 50, "completed {completed}, undetermined {undetermined}");
}

/// K_{r+1,r+1} minus (r, r): one minor, its value and variance by hand.
#[test]
fn single_circuit_matches_the_schur_complement_by_hand() {
    // r = 1: a_11 = a_10 a_01 / a_00, Var = Σ (∂a_11/∂a_e)² σ_e².
    let mask = Mask::from_coordinates(2, 2, &[0, 0, 1], &[0, 1, 0]).unwrap();
    let (a00, a01, a10) = (2.0, -3.0, 5.0);
    let sigma2 = [0.5, 2.0, 1.0];
    let out = complete_minors(&mask, &[a00, a01, a10], Some(&sigma2), 1, &[(1, 1)], &options(), Par::Seq).unwrap();
    assert!(relative(out[0].value, a10 * a01 / a00) < 1e-15);
    assert_eq!(out[0].estimators, 1);
    let hand = (a10 * a01 / (a00 * a00)).powi(2) * sigma2[0] + (a10 / a00).powi(2) * sigma2[1] + (a01 / a00).powi(2) * sigma2[2];
    assert!(relative(out[0].variance, hand) < 1e-14, "{} vs {hand}", out[0].variance);

    // r = 2 on a 3 × 3 rank-2 matrix without (2, 2).
    let u = [[1.0, 2.0], [-1.0, 0.5], [3.0, 1.0]];
    let v = [[0.5, -2.0], [1.0, 1.0], [2.0, 0.25]];
    let a = |i: usize, j: usize| u[i][0] * v[j][0] + u[i][1] * v[j][1];
    let positions: Vec<(usize, usize)> = (0..3).flat_map(|j| (0..3).map(move |i| (i, j))).filter(|&p| p != (2, 2)).collect();
    let rows: Vec<i64> = positions.iter().map(|p| p.0 as i64).collect();
    let cols: Vec<i64> = positions.iter().map(|p| p.1 as i64).collect();
    let mask = Mask::from_coordinates(3, 3, &rows, &cols).unwrap();
    let values: Vec<f64> = positions.iter().map(|&(i, j)| a(i, j)).collect();
    let sigma2: Vec<f64> = (0..8).map(|e| 0.5 + 0.25 * e as f64).collect();
    let out = complete_minors(&mask, &values, Some(&sigma2), 2, &[(2, 2)], &options(), Par::Seq).unwrap();
    // Closed form with the adjugate of the 2 × 2 block A = A_{01,01}.
    let (p, q, s, t) = (a(0, 0), a(0, 1), a(1, 0), a(1, 1));
    let det = p * t - q * s;
    let inv = [[t / det, -q / det], [-s / det, p / det]];
    let b = [a(0, 2), a(1, 2)];
    let l = [a(2, 0), a(2, 1)];
    let c = [inv[0][0] * b[0] + inv[0][1] * b[1], inv[1][0] * b[0] + inv[1][1] * b[1]];
    let d = [l[0] * inv[0][0] + l[1] * inv[1][0], l[0] * inv[0][1] + l[1] * inv[1][1]];
    assert!(relative(out[0].value, a(2, 2)) < 1e-13);
    assert!(relative(out[0].value, l[0] * c[0] + l[1] * c[1]) < 1e-14);
    let var = |i: usize, j: usize| sigma2[positions.iter().position(|&x| x == (i, j)).unwrap()];
    let mut hand = 0.0;
    for k in 0..2 {
        hand += c[k] * c[k] * var(2, k) + d[k] * d[k] * var(k, 2);
        for m in 0..2 {
            hand += d[k] * d[k] * c[m] * c[m] * var(k, m);
        }
    }
    assert_eq!(out[0].estimators, 1);
    assert!(relative(out[0].variance, hand) < 1e-12, "{} vs {hand}", out[0].variance);
}

/// Combining estimators never raises the variance over the first one, and no combination of
/// minors beats the Cramér–Rao bound of the entry.
#[test]
fn combined_variance_is_between_the_bound_and_a_single_minor() {
    let mut rng = Rng::new(23);
    for r in 1..=3 {
        let (m, n) = (12, 11);
        let truth = LowRank::new(m, n, r, &mut rng);
        let mask = bernoulli_mask(m, n, 0.6, &mut rng);
        let values = truth.observe(&mask);
        let sigma2: Vec<f64> = (0..mask.len()).map(|_| 0.5 + rng.uniform()).collect();
        let queries: Vec<_> = all_positions(m, n).into_iter().filter(|&(i, j)| mask.find(i, j).is_none()).collect();
        let single = complete_minors(&mask, &values, Some(&sigma2), r, &queries, &MinorOptions { max_estimators: 1, max_rounds: 1, ..options() }, Par::Seq).unwrap();
        let many = complete_minors(&mask, &values, Some(&sigma2), r, &queries, &MinorOptions { max_rounds: 1, ..options() }, Par::Seq).unwrap();
        let bound = first_order_variance(&mask, &values, Some(&sigma2), r, &queries, Par::Seq).unwrap();
        let mut improved = 0;
        for q in 0..queries.len() {
            if !single[q].is_determined() {
                continue;
            }
            assert!(many[q].variance <= single[q].variance * (1.0 + 1e-12), "r = {r} {:?}", queries[q]);
            assert!(many[q].variance >= bound[q] * (1.0 - 1e-8), "r = {r} {:?}: {} below the bound {}", queries[q], many[q].variance, bound[q]);
            if many[q].estimators > 1 && many[q].variance < 0.9 * single[q].variance {
                improved += 1;
            }
        }
        assert!(improved > queries.len() / 4, "r = {r}: only {improved} of {} improved", queries.len());
    }
}

/// Seeded Monte Carlo: the spread of the combined estimate under small noise matches its
/// predicted first-order variance.
#[test]
fn monte_carlo_variance_matches_the_prediction() {
    let mut rng = Rng::new(31);
    for r in 1..=2 {
        let (m, n) = (8, 8);
        let truth = LowRank::new(m, n, r, &mut rng);
        let mask = bernoulli_mask(m, n, 0.55, &mut rng);
        let values = truth.observe(&mask);
        let noise = 1e-4;
        let sigma2: Vec<f64> = (0..mask.len()).map(|_| noise * noise * (0.5 + rng.uniform())).collect();
        let queries: Vec<_> = all_positions(m, n).into_iter().filter(|&(i, j)| mask.find(i, j).is_none()).collect();
        let predicted = complete_minors(&mask, &values, Some(&sigma2), r, &queries, &options(), Par::Seq).unwrap();
        let trials = 1000;
        let mut sum = vec![0.0; queries.len()];
        let mut sum2 = vec![0.0; queries.len()];
        for _ in 0..trials {
            let noisy: Vec<f64> = values.iter().zip(&sigma2).map(|(a, s)| a + s.sqrt() * rng.normal()).collect();
            let out = complete_minors(&mask, &noisy, Some(&sigma2), r, &queries, &options(), Par::Seq).unwrap();
            for q in 0..queries.len() {
                let dev = out[q].value - truth.at(queries[q].0, queries[q].1);
                sum[q] += dev;
                sum2[q] += dev * dev;
            }
        }
        let mut ratios = Vec::new();
        for q in 0..queries.len() {
            if predicted[q].is_determined() {
                let empirical = sum2[q] / trials as f64;
                ratios.push(empirical / predicted[q].variance);
                // Unbiased to first order: the mean deviation is within 5 standard errors.
                let mean = sum[q] / trials as f64;
                assert!(mean.abs() < 5.0 * (predicted[q].variance / trials as f64).sqrt(), "r = {r} {:?}: bias {mean:e}", queries[q]);
            }
        }
        assert!(ratios.len() > 10);
        // Each ratio has relative standard error √(2/1000) ≈ 0.045.
        for (q, ratio) in ratios.iter().enumerate() {
            assert!((0.75..1.3).contains(ratio), "r = {r}, query {q}: empirical / predicted = {ratio}");
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!((mean - 1.0).abs() < 0.05, "r = {r}: mean ratio {mean}");
    }
}

#[test]
fn observed_queries_return_the_observation_and_unreachable_ones_are_undetermined() {
    let mut rng = Rng::new(41);
    let truth = LowRank::new(6, 6, 2, &mut rng);
    // Row 5 has a single observation: at r = 2 nothing in it can be completed.
    let mut positions: Vec<(usize, usize)> = all_positions(5, 6);
    positions.push((5, 3));
    let rows: Vec<i64> = positions.iter().map(|p| p.0 as i64).collect();
    let cols: Vec<i64> = positions.iter().map(|p| p.1 as i64).collect();
    let mask = Mask::from_coordinates(6, 6, &rows, &cols).unwrap();
    let values = truth.observe(&mask);
    let sigma2: Vec<f64> = (0..mask.len()).map(|e| 1.0 + e as f64).collect();
    let out = complete_minors(&mask, &values, Some(&sigma2), 2, &[(5, 3), (5, 0), (2, 4)], &options(), Par::Seq).unwrap();
    let e = mask.find(5, 3).unwrap();
    assert_eq!(out[0], Estimate { value: values[e], variance: sigma2[e], estimators: 1 });
    assert!(!out[1].is_determined() && out[1].value.is_nan() && out[1].variance == f64::INFINITY);
    let e = mask.find(2, 4).unwrap();
    assert_eq!(out[2].value, values[e]);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut rng = Rng::new(53);
    let truth = LowRank::new(30, 25, 3, &mut rng);
    let mask = bernoulli_mask(30, 25, 0.35, &mut rng);
    let values = truth.observe(&mask);
    let queries = all_positions(30, 25);
    let seq = complete_minors(&mask, &values, None, 3, &queries, &options(), Par::Seq).unwrap();
    let par = complete_minors(&mask, &values, None, 3, &queries, &options(), rayon2()).unwrap();
    assert!(seq.iter().any(|e| e.is_determined()));
    for (a, b) in seq.iter().zip(&par) {
        assert_eq!(a.value.to_bits(), b.value.to_bits());
        assert_eq!(a.variance.to_bits(), b.variance.to_bits());
        assert_eq!(a.estimators, b.estimators);
    }
}

#[test]
fn max_rounds_limits_the_chains() {
    let mut rng = Rng::new(59);
    let truth = LowRank::new(12, 12, 2, &mut rng);
    let mask = bernoulli_mask(12, 12, 0.3, &mut rng);
    let values = truth.observe(&mask);
    let queries = all_positions(12, 12);
    let one = complete_minors(&mask, &values, None, 2, &queries, &MinorOptions { max_rounds: 1, ..options() }, Par::Seq).unwrap();
    let all = complete_minors(&mask, &values, None, 2, &queries, &options(), Par::Seq).unwrap();
    let count = |v: &[Estimate]| v.iter().filter(|e| e.is_determined()).count();
    assert!(count(&all) > count(&one), "{} vs {}", count(&all), count(&one));
    for (a, b) in one.iter().zip(&all).filter(|(a, _)| a.is_determined()) {
        assert_eq!(a.value.to_bits(), b.value.to_bits(), "an entry's estimate is fixed in its first round");
    }
}

#[test]
fn bad_input_is_rejected() {
    use CompletabilityError::*;
    let mask = Mask::from_dense(3, 4, &[1; 12]).unwrap();
    let values = vec![1.0; 12];
    let o = options();
    let run = |values: &[f64], variances: Option<&[f64]>, rank: usize, queries: &[(usize, usize)], o: &MinorOptions| {
        complete_minors(&mask, values, variances, rank, queries, o, Par::Seq)
    };
    assert_eq!(run(&values, None, 0, &[], &o), Err(InvalidRank { rank: 0, nrows: 3, ncols: 4 }));
    assert_eq!(run(&values, None, 3, &[], &o), Err(InvalidRank { rank: 3, nrows: 3, ncols: 4 }));
    assert_eq!(run(&values[..11], None, 1, &[], &o), Err(LengthMismatch { what: "values", expected: 12, got: 11 }));
    let mut bad = values.clone();
    bad[4] = f64::NAN;
    assert_eq!(run(&bad, None, 1, &[], &o), Err(NonFinite { what: "values", index: 4 }));
    bad[4] = f64::INFINITY;
    assert_eq!(run(&bad, None, 1, &[], &o), Err(NonFinite { what: "values", index: 4 }));
    assert_eq!(run(&values, Some(&[1.0; 3]), 1, &[], &o), Err(LengthMismatch { what: "variances", expected: 12, got: 3 }));
    let mut var = vec![1.0; 12];
    var[7] = 0.0;
    assert_eq!(run(&values, Some(&var), 1, &[], &o), Err(NonPositiveVariance { index: 7 }));
    var[7] = f64::NAN;
    assert_eq!(run(&values, Some(&var), 1, &[], &o), Err(NonFinite { what: "variances", index: 7 }));
    assert_eq!(run(&values, None, 1, &[(0, 0), (3, 0)], &o), Err(IndexOutOfRange { entry: 1, axis: "row", index: 3, extent: 3 }));
    assert_eq!(run(&values, None, 1, &[(0, 4)], &o), Err(IndexOutOfRange { entry: 0, axis: "column", index: 4, extent: 4 }));
    let zero = MinorOptions { max_estimators: 0, ..options() };
    assert!(matches!(run(&values, None, 1, &[], &zero), Err(InvalidParameter { name: "max_estimators", .. })));
    let zero = MinorOptions { max_rounds: 0, ..options() };
    assert!(matches!(run(&values, None, 1, &[], &zero), Err(InvalidParameter { name: "max_rounds", .. })));
    for floor in [-0.1, 1.5, f64::NAN] {
        let o = MinorOptions { min_reciprocal_condition: floor, ..options() };
        assert!(matches!(run(&values, None, 1, &[], &o), Err(InvalidParameter { name: "min_reciprocal_condition", .. })));
    }
}
