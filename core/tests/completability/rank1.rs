//! Rank-1 completion against the truth, explicit path products, dense least squares and
//! pseudo-inverses, the parallel-resistor formula, the general-rank first-order variance,
//! Monte Carlo over noisy observations, thread counts and bad input.

use crate::common::{self, Rng};
use faer::{Mat, Par, Side};
use tessera::completability::{complete_rank1, CompletabilityError, Mask, Rank1Method, Rank1Options, Rank1Variance};

const PATH: Rank1Options =
    Rank1Options { method: Rank1Method::Path, tol: 1e-12, max_iter: 1000, variance: Rank1Variance::Exact };
const MINVAR: Rank1Options =
    Rank1Options { method: Rank1Method::MinVariance, tol: 1e-12, max_iter: 1000, variance: Rank1Variance::Exact };

/// `count` distinct uniform positions of an `m × n` matrix.
fn random_mask(m: usize, n: usize, count: usize, rng: &mut Rng) -> Mask {
    let mut seen = std::collections::HashSet::new();
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    while rows.len() < count {
        let (i, j) = ((rng.uniform() * m as f64) as i64, (rng.uniform() * n as f64) as i64);
        if seen.insert((i, j)) {
            rows.push(i);
            cols.push(j);
        }
    }
    Mask::from_coordinates(m, n, &rows, &cols).unwrap()
}

/// Factors with random signs and magnitudes in [0.5, 2), a fraction `zero` of them exactly 0.
fn factor(len: usize, zero: f64, rng: &mut Rng) -> Vec<f64> {
    (0..len)
        .map(|_| {
            let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
            let magnitude = 0.5 + 1.5 * rng.uniform();
            if rng.uniform() < zero {
                0.0
            } else {
                sign * magnitude
            }
        })
        .collect()
}

fn all_entries(m: usize, n: usize) -> Vec<(usize, usize)> {
    (0..m).flat_map(|i| (0..n).map(move |j| (i, j))).collect()
}

/// Row/column components by depth-first search, for completability by brute force.
fn labels(mask: &Mask) -> Vec<usize> {
    let (m, n) = (mask.nrows(), mask.ncols());
    let mut label = vec![usize::MAX; m + n];
    for s in 0..m + n {
        if label[s] != usize::MAX {
            continue;
        }
        let mut stack = vec![s];
        label[s] = s;
        while let Some(v) = stack.pop() {
            let next: Vec<usize> = if v < m {
                mask.row(v).map(|(j, _)| m + j).collect()
            } else {
                mask.col(v - m).map(|(i, _)| i).collect()
            };
            for w in next {
                if label[w] == usize::MAX {
                    label[w] = s;
                    stack.push(w);
                }
            }
        }
    }
    label
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn completable_entries_of_random_rank1_matrices_match_the_truth() {
    let mut rng = Rng::new(11);
    for trial in 0..6 {
        let (m, n) = (30 + trial, 40 - trial);
        let mask = random_mask(m, n, 70 + 10 * trial, &mut rng);
        let (u, v) = (factor(m, 0.0, &mut rng), factor(n, 0.0, &mut rng));
        let values: Vec<f64> = (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1]).collect();
        let queries = all_entries(m, n);
        let label = labels(&mask);
        for options in [PATH, MINVAR] {
            let est = complete_rank1(&mask, &values, None, &queries, &options, Par::Seq).unwrap();
            let mut determined = 0;
            for (&(i, j), e) in queries.iter().zip(&est) {
                assert_eq!(e.is_determined(), label[i] == label[m + j], "trial {trial} ({i}, {j})");
                if e.is_determined() {
                    determined += 1;
                    assert!(
                        relative(e.value, u[i] * v[j]) < 1e-8,
                        "trial {trial} ({i}, {j}): {} vs {}",
                        e.value,
                        u[i] * v[j]
                    );
                    assert!(e.variance > 0.0 && e.variance.is_finite());
                } else {
                    assert_eq!(e.variance, f64::INFINITY);
                    assert!(e.value.is_nan());
                }
            }
            assert!(determined > queries.len() / 10 && determined < queries.len(), "trial {trial}: {determined}");
        }
    }
}

#[test]
fn with_zero_factors_every_determined_entry_matches_the_truth() {
    let mut rng = Rng::new(12);
    let (mut zeros, mut determined, mut refused) = (0, 0, 0);
    for _ in 0..5 {
        let (m, n) = (25, 30);
        let mask = random_mask(m, n, 120, &mut rng);
        let (u, v) = (factor(m, 0.15, &mut rng), factor(n, 0.15, &mut rng));
        let values: Vec<f64> = (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1]).collect();
        for options in [PATH, MINVAR] {
            for q in all_entries(m, n) {
                match complete_rank1(&mask, &values, None, &[q], &options, Par::Seq) {
                    Ok(est) if est[0].is_determined() => {
                        let truth = u[q.0] * v[q.1];
                        determined += 1;
                        if est[0].value == 0.0 {
                            zeros += 1;
                            assert_eq!(truth, 0.0, "{q:?}");
                        } else {
                            assert!(relative(est[0].value, truth) < 1e-8, "{q:?}: {} vs {truth}", est[0].value);
                        }
                    }
                    Ok(_) => {}
                    Err(CompletabilityError::ZeroValue { entry }) => {
                        refused += 1;
                        assert_eq!(values[entry], 0.0);
                    }
                    Err(other) => panic!("{q:?}: {other}"),
                }
            }
        }
    }
    assert!(zeros > 100 && determined > zeros + 1000 && refused > 10, "{zeros} {determined} {refused}");
}

#[test]
fn zeros_force_rows_and_columns_or_are_refused() {
    use CompletabilityError::*;
    // u = (1, 2, 0), v = (1, 3): (2, 0) = 0 next to the nonzero (0, 0) forces row 2 to zero.
    let mask = Mask::from_coordinates(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 0]).unwrap();
    let values = [1.0, 3.0, 2.0, 0.0];
    for options in [PATH, MINVAR] {
        let est = complete_rank1(&mask, &values, None, &[(1, 1), (2, 1)], &options, Par::Seq).unwrap();
        assert!(relative(est[0].value, 6.0) < 1e-12);
        assert_eq!(est[1].value, 0.0);
        // v_1 / v_0 = 3 is determined and (2, 0) is the only observation of row 2:
        // Var â_21 = (v_1 / v_0)² σ²_20.
        assert!(relative(est[1].variance, 9.0) < 1e-10, "{}", est[1].variance);
    }
    // Only zeros: (1, 1) would have to divide by a zero.
    let mask = Mask::from_coordinates(2, 2, &[0, 0, 1], &[0, 1, 0]).unwrap();
    assert_eq!(
        complete_rank1(&mask, &[0.0, 0.0, 0.0], None, &[(1, 1)], &MINVAR, Par::Seq),
        Err(ZeroValue { entry: 2 })
    );
    // A zero between a nonzero row and a nonzero column fits no rank-1 matrix.
    let mask = Mask::from_coordinates(2, 2, &[0, 0, 1, 1], &[0, 1, 0, 1]).unwrap();
    assert_eq!(
        complete_rank1(&mask, &[1.0, 0.0, 2.0, 3.0], None, &[(0, 0)], &PATH, Par::Seq),
        Err(InconsistentZero { entry: 1 })
    );
}

#[test]
fn a_path_estimate_is_the_alternating_product() {
    // Path 0 –(0,0)– c0 –(1,0)– 1 –(1,1)– c1 –(2,1)– 2 –(2,2)– c2, and an isolated (3, 3).
    let mask = Mask::from_coordinates(4, 4, &[0, 1, 1, 2, 2, 3], &[0, 0, 1, 1, 2, 3]).unwrap();
    let values = [2.0, -3.0, 5.0, 0.5, -7.0, 1.0];
    let variances = [0.1, 0.2, 0.3, 0.01, 0.5, 1.0];
    let expected = 2.0 * 5.0 * -7.0 / (-3.0 * 0.5);
    let log_var: f64 = (0..5).map(|e| variances[e] / (values[e] * values[e])).sum();
    for options in [PATH, MINVAR] {
        let est =
            complete_rank1(&mask, &values, Some(&variances), &[(0, 2), (0, 3), (1, 1)], &options, Par::Seq).unwrap();
        assert!(relative(est[0].value, expected) < 1e-13, "{}", est[0].value);
        assert!(relative(est[0].variance, expected * expected * log_var) < 1e-10);
        assert_eq!(est[0].estimators, 1);
        assert!(!est[1].is_determined() && est[1].value.is_nan() && est[1].variance == f64::INFINITY);
        // An observed entry on a tree is its own only path.
        assert!(relative(est[2].value, 5.0) < 1e-13 && relative(est[2].variance, 0.3) < 1e-10);
    }
}

#[test]
fn two_edge_disjoint_paths_combine_as_parallel_resistors() {
    // (0, 0) unobserved; paths 0–c1–1–c0 and 0–c2–2–c0.
    let mask = Mask::from_coordinates(3, 3, &[0, 1, 1, 0, 2, 2], &[1, 1, 0, 2, 2, 0]).unwrap();
    let values = [1.5, -2.0, 3.0, 0.7, 1.1, -4.0];
    let variances = [0.2, 0.1, 0.4, 0.3, 0.05, 0.6];
    let w: Vec<f64> = (0..6).map(|e| variances[e] / (values[e] * values[e])).collect();
    let (p1, p2) = (values[0] * values[2] / values[1], values[3] * values[5] / values[4]);
    let (v1, v2) = (w[0] + w[1] + w[2], w[3] + w[4] + w[5]);
    assert!(p1.signum() == p2.signum());
    let log = (p1.abs().ln() / v1 + p2.abs().ln() / v2) / (1.0 / v1 + 1.0 / v2);
    let value = p1.signum() * log.exp();
    let est = complete_rank1(&mask, &values, Some(&variances), &[(0, 0)], &MINVAR, Par::Seq).unwrap();
    assert!(relative(est[0].value, value) < 1e-12);
    assert!(relative(est[0].variance, value * value / (1.0 / v1 + 1.0 / v2)) < 1e-10);
    assert_eq!(est[0].estimators, 2);
    let path = complete_rank1(&mask, &values, Some(&variances), &[(0, 0)], &PATH, Par::Seq).unwrap();
    let (pv1, pv2) = (p1 * p1 * v1, p2 * p2 * v2);
    assert!(
        (relative(path[0].value, p1) < 1e-12 && relative(path[0].variance, pv1) < 1e-10)
            || (relative(path[0].value, p2) < 1e-12 && relative(path[0].variance, pv2) < 1e-10)
    );
}

/// Pseudo-inverse of a symmetric positive semi-definite matrix by eigendecomposition.
fn pinv(h: &Mat<f64>) -> Mat<f64> {
    let evd = h.self_adjoint_eigen(Side::Lower).unwrap();
    let (s, u) = (evd.S().column_vector(), evd.U());
    let cutoff = s.iter().fold(0.0f64, |a, &b| a.max(b)) * 1e-10;
    let d = Mat::from_fn(h.nrows(), h.ncols(), |i, j| if i == j && s[i] > cutoff { 1.0 / s[i] } else { 0.0 });
    u * d * u.transpose()
}

#[test]
fn min_variance_is_weighted_least_squares_and_variance_the_effective_resistance() {
    let mut rng = Rng::new(13);
    for trial in 0..4 {
        let (m, n) = (9, 11);
        let mask = random_mask(m, n, 30 + 5 * trial, &mut rng);
        let (u, v) = (factor(m, 0.0, &mut rng), factor(n, 0.0, &mut rng));
        // Noisy magnitudes (not rank 1), consistent signs.
        let values: Vec<f64> =
            (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1] * (0.3 * rng.normal()).exp()).collect();
        let variances: Vec<f64> = (0..mask.len()).map(|_| 0.05 + rng.uniform()).collect();
        let size = m + n;
        let mut lap = Mat::<f64>::zeros(size, size);
        let mut rhs = vec![0.0; size];
        for e in 0..mask.len() {
            let (i, j) = mask.entry(e);
            let c = values[e] * values[e] / variances[e];
            let b = values[e].abs().ln();
            for (a, s) in [(i, 1.0), (m + j, -1.0)] {
                lap[(a, a)] += c;
                rhs[a] += s * c * b;
            }
            lap[(i, m + j)] -= c;
            lap[(m + j, i)] -= c;
        }
        let lp = pinv(&lap);
        let z: Vec<f64> = (0..size).map(|a| (0..size).map(|b| lp[(a, b)] * rhs[b]).sum()).collect();
        let queries = all_entries(m, n);
        let label = labels(&mask);
        let est = complete_rank1(&mask, &values, Some(&variances), &queries, &MINVAR, Par::Seq).unwrap();
        for (&(i, j), e) in queries.iter().zip(&est) {
            if label[i] != label[m + j] {
                assert!(!e.is_determined());
                continue;
            }
            let magnitude = (z[i] - z[m + j]).exp();
            let r = lp[(i, i)] + lp[(m + j, m + j)] - 2.0 * lp[(i, m + j)];
            assert!(relative(e.value.abs(), magnitude) < 1e-9, "trial {trial} ({i}, {j})");
            assert_eq!(e.value.signum(), (u[i] * v[j]).signum());
            assert!(relative(e.variance, magnitude * magnitude * r) < 1e-8, "trial {trial} ({i}, {j})");
        }
    }
}

#[test]
fn variance_equals_the_general_rank_first_order_variance_at_rank_1() {
    // gᵀ(JᵀΣ⁻¹J)⁺g with the value-space Jacobian of a_ij = u_i v_j at the truth.
    let mut rng = Rng::new(14);
    let (m, n) = (8, 10);
    let mask = random_mask(m, n, 40, &mut rng);
    let (u, v) = (factor(m, 0.0, &mut rng), factor(n, 0.0, &mut rng));
    let values: Vec<f64> = (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1]).collect();
    let variances: Vec<f64> = (0..mask.len()).map(|_| 0.1 + rng.uniform()).collect();
    let grad = |i: usize, j: usize| {
        let mut g = vec![0.0; m + n];
        g[i] = v[j];
        g[m + j] = u[i];
        g
    };
    let mut fisher = Mat::<f64>::zeros(m + n, m + n);
    for (e, s2) in variances.iter().enumerate() {
        let (i, j) = mask.entry(e);
        let g = grad(i, j);
        for a in [i, m + j] {
            for b in [i, m + j] {
                fisher[(a, b)] += g[a] * g[b] / s2;
            }
        }
    }
    let fp = pinv(&fisher);
    let label = labels(&mask);
    let queries: Vec<(usize, usize)> =
        all_entries(m, n).into_iter().filter(|&(i, j)| label[i] == label[m + j]).collect();
    assert!(queries.len() > 20);
    let est = complete_rank1(&mask, &values, Some(&variances), &queries, &MINVAR, Par::Seq).unwrap();
    for (&(i, j), e) in queries.iter().zip(&est) {
        let g = grad(i, j);
        let var: f64 = (0..m + n).map(|a| (0..m + n).map(|b| g[a] * fp[(a, b)] * g[b]).sum::<f64>()).sum();
        assert!(relative(e.variance, var) < 1e-7, "({i}, {j}): {} vs {var}", e.variance);
    }
}

#[test]
fn monte_carlo_variance_agrees_with_the_prediction() {
    let mut rng = Rng::new(15);
    let (m, n) = (15, 15);
    let mask = random_mask(m, n, 60, &mut rng);
    let (u, v) = (factor(m, 0.0, &mut rng), factor(n, 0.0, &mut rng));
    let truth: Vec<f64> = (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1]).collect();
    // Small noise, so that first order holds to well below the statistical error.
    let variances: Vec<f64> = truth.iter().map(|a| (1e-3 * a * (0.5 + rng.uniform())).powi(2)).collect();
    let label = labels(&mask);
    let queries: Vec<(usize, usize)> =
        all_entries(m, n).into_iter().filter(|&(i, j)| label[i] == label[m + j]).step_by(7).take(12).collect();
    assert!(queries.len() >= 8);
    let draws = 4000;
    for options in [PATH, MINVAR] {
        let predicted = complete_rank1(&mask, &truth, Some(&variances), &queries, &options, Par::Seq).unwrap();
        let mut sum = vec![0.0; queries.len()];
        let mut sum2 = vec![0.0; queries.len()];
        for _ in 0..draws {
            let noisy: Vec<f64> = truth.iter().zip(&variances).map(|(a, s)| a + s.sqrt() * rng.normal()).collect();
            let est = complete_rank1(&mask, &noisy, Some(&variances), &queries, &options, Par::Seq).unwrap();
            for (q, e) in est.iter().enumerate() {
                let d = e.value - u[queries[q].0] * v[queries[q].1];
                sum[q] += d;
                sum2[q] += d * d;
            }
        }
        for (q, p) in predicted.iter().enumerate() {
            let mean = sum[q] / draws as f64;
            let var = sum2[q] / draws as f64 - mean * mean;
            // Sample variance of 4000 normal draws: relative standard error √(2/4000) ≈ 2.2%.
            assert!(
                relative(var, p.variance) < 0.1,
                "{:?} {q}: Monte Carlo {var} vs predicted {}",
                options.method,
                p.variance
            );
            assert!(mean.abs() < 5.0 * (p.variance / draws as f64).sqrt(), "{:?} {q}: bias {mean}", options.method);
        }
    }
}

/// A random n × n mask with `count` entries, exact rank-1 values on it, and every `step`-th
/// entry (row-major) whose row and column are connected as queries.
fn exact_rank1_problem(seed: u64, n: usize, count: usize, step: usize) -> (Mask, Vec<f64>, Vec<(usize, usize)>) {
    let mut rng = Rng::new(seed);
    let mask = random_mask(n, n, count, &mut rng);
    let (u, v) = (factor(n, 0.0, &mut rng), factor(n, 0.0, &mut rng));
    let values: Vec<f64> = (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1]).collect();
    let label = labels(&mask);
    let queries = all_entries(n, n).into_iter().filter(|&(i, j)| label[i] == label[n + j]).step_by(step).collect();
    (mask, values, queries)
}

#[test]
fn sketched_variances_are_within_their_stated_error() {
    let (mask, values, queries) = exact_rank1_problem(16, 60, 400, 13);
    let exact = complete_rank1(&mask, &values, None, &queries, &MINVAR, Par::Seq).unwrap();
    let dimensions = 200;
    let sketch = Rank1Options { variance: Rank1Variance::Sketch { dimensions, seed: 3 }, ..MINVAR };
    let approx = complete_rank1(&mask, &values, None, &queries, &sketch, Par::Seq).unwrap();
    let bound = (2.0 / dimensions as f64).sqrt();
    let mut mean_ratio = 0.0;
    for (a, e) in approx.iter().zip(&exact) {
        assert_eq!(a.value, e.value);
        assert!(relative(a.variance, e.variance) < 5.0 * bound, "{} vs {}", a.variance, e.variance);
        mean_ratio += a.variance / e.variance / queries.len() as f64;
    }
    // Unbiased: the mean ratio is 1 within a few standard errors.
    assert!((mean_ratio - 1.0).abs() < 5.0 * bound / (queries.len() as f64).sqrt() + 0.02, "{mean_ratio}");
}

#[test]
fn the_local_control_variate_makes_a_small_sketch_accurate_and_stays_unbiased() {
    // About 8 observations per row and column: the two-hop Galerkin lower bound carries most
    // of every resistance, so 8 sketch dimensions spread far less than the plain sketch's
    // √(2/8) = 0.5 across seeds, and the mean over seeds is the exact variance.
    let (mask, values, queries) = exact_rank1_problem(21, 200, 1600, 1999);
    let exact = complete_rank1(&mask, &values, None, &queries, &MINVAR, Par::Seq).unwrap();
    let seeds = 64;
    let (mut sum, mut sum2) = (vec![0.0; queries.len()], vec![0.0; queries.len()]);
    for seed in 0..seeds {
        let sketch = Rank1Options { variance: Rank1Variance::Sketch { dimensions: 8, seed }, ..MINVAR };
        let approx = complete_rank1(&mask, &values, None, &queries, &sketch, Par::Seq).unwrap();
        for (q, (a, e)) in approx.iter().zip(&exact).enumerate() {
            let ratio = a.variance / e.variance;
            sum[q] += ratio;
            sum2[q] += ratio * ratio;
        }
    }
    assert!(queries.len() >= 15);
    for q in 0..queries.len() {
        let mean = sum[q] / seeds as f64;
        let sd = (sum2[q] / seeds as f64 - mean * mean).sqrt();
        assert!(sd < 0.25 * 0.5, "query {q}: relative spread {sd}");
        assert!((mean - 1.0).abs() < 4.0 * sd / (seeds as f64).sqrt() + 1e-9, "query {q}: mean ratio {mean} ± {sd}");
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut rng = Rng::new(17);
    let (m, n) = (5000, 4000);
    let mask = random_mask(m, n, 40_000, &mut rng);
    let (u, v) = (factor(m, 0.0, &mut rng), factor(n, 0.0, &mut rng));
    let values: Vec<f64> =
        (0..mask.len()).map(|e| u[mask.entry(e).0] * v[mask.entry(e).1] * (0.01 * rng.normal()).exp()).collect();
    let queries: Vec<(usize, usize)> =
        (0..40).map(|_| ((rng.uniform() * m as f64) as usize, (rng.uniform() * n as f64) as usize)).collect();
    let tol = Rank1Options { tol: 1e-8, ..MINVAR };
    for options in [tol, Rank1Options { variance: Rank1Variance::Sketch { dimensions: 16, seed: 1 }, ..tol }, PATH] {
        let seq = complete_rank1(&mask, &values, None, &queries, &options, Par::Seq).unwrap();
        let two = common::in_two_threads(|| {
            complete_rank1(&mask, &values, None, &queries, &options, common::rayon2()).unwrap()
        });
        assert!(seq.iter().filter(|e| e.is_determined()).count() > 30);
        for (a, b) in seq.iter().zip(&two) {
            assert_eq!(a.value.to_bits(), b.value.to_bits());
            assert_eq!(a.variance.to_bits(), b.variance.to_bits());
        }
    }
}

#[test]
fn bad_input_is_rejected() {
    use CompletabilityError::*;
    let mask = Mask::from_coordinates(3, 3, &[0, 0, 1, 1, 2], &[0, 1, 0, 1, 2]).unwrap();
    let values = [1.0, 2.0, 3.0, 6.0, 1.0];
    let q = [(0, 0)];
    let run = |values: &[f64], variances: Option<&[f64]>, queries: &[(usize, usize)], options: &Rank1Options| {
        complete_rank1(&mask, values, variances, queries, options, Par::Seq)
    };
    assert_eq!(run(&values[..4], None, &q, &MINVAR), Err(LengthMismatch { what: "values", expected: 5, got: 4 }));
    assert_eq!(run(&[1.0, f64::NAN, 3.0, 6.0, 1.0], None, &q, &MINVAR), Err(NonFinite { what: "values", index: 1 }));
    assert_eq!(run(&[1.0, 2.0, f64::INFINITY, 6.0, 1.0], None, &q, &PATH), Err(NonFinite { what: "values", index: 2 }));
    assert_eq!(
        run(&values, Some(&[1.0; 6]), &q, &MINVAR),
        Err(LengthMismatch { what: "variances", expected: 5, got: 6 })
    );
    assert_eq!(
        run(&values, Some(&[1.0, 1.0, f64::NAN, 1.0, 1.0]), &q, &MINVAR),
        Err(NonFinite { what: "variances", index: 2 })
    );
    assert_eq!(run(&values, Some(&[1.0, 1.0, 1.0, 0.0, 1.0]), &q, &MINVAR), Err(NonPositiveVariance { index: 3 }));
    assert_eq!(run(&values, Some(&[1.0, -1.0, 1.0, 1.0, 1.0]), &q, &PATH), Err(NonPositiveVariance { index: 1 }));
    assert_eq!(
        run(&values, None, &[(0, 0), (3, 0)], &MINVAR),
        Err(IndexOutOfRange { entry: 1, axis: "row", index: 3, extent: 3 })
    );
    assert_eq!(
        run(&values, None, &[(0, 5)], &MINVAR),
        Err(IndexOutOfRange { entry: 0, axis: "column", index: 5, extent: 3 })
    );
    assert!(matches!(
        run(&values, None, &q, &Rank1Options { tol: 0.0, ..MINVAR }),
        Err(InvalidParameter { name: "tol", .. })
    ));
    assert!(matches!(
        run(&values, None, &q, &Rank1Options { tol: f64::NAN, ..MINVAR }),
        Err(InvalidParameter { name: "tol", .. })
    ));
    assert!(matches!(
        run(&values, None, &q, &Rank1Options { max_iter: 0, ..MINVAR }),
        Err(InvalidParameter { name: "max_iter", .. })
    ));
    let no_dims = Rank1Options { variance: Rank1Variance::Sketch { dimensions: 0, seed: 0 }, ..MINVAR };
    assert!(matches!(run(&values, None, &q, &no_dims), Err(InvalidParameter { name: "dimensions", .. })));
    // Rows 0 and 1 are joined only through row 2, forced to zero by (2, 0) = 0 next to the
    // nonzero (0, 0): (0, 1) would divide by a zero.
    let mask = Mask::from_coordinates(3, 2, &[0, 1, 2, 2], &[0, 1, 0, 1]).unwrap();
    let with_zero = [1.0, 3.0, 0.0, 0.0];
    assert_eq!(complete_rank1(&mask, &with_zero, None, &[(0, 1)], &MINVAR, Par::Seq), Err(ZeroValue { entry: 2 }));
    let forced = complete_rank1(&mask, &with_zero, None, &[(2, 1), (0, 0)], &PATH, Par::Seq).unwrap();
    assert_eq!((forced[0].value, forced[1].value), (0.0, 1.0));
    // Solver that cannot converge in one iteration.
    let mut rng = Rng::new(18);
    let big = random_mask(40, 40, 400, &mut rng);
    let ones = vec![1.0; big.len()];
    let hard = Rank1Options { max_iter: 1, ..MINVAR };
    assert!(matches!(
        complete_rank1(&big, &ones, None, &[(0, 0)], &hard, Par::Seq),
        Err(NotConverged { iterations: 1, .. })
    ));
}
