//! The determinantal-matroid closure against independent answers: union–find at r = 1,
//! floating-point Jacobian ranks (clear singular-value gaps) on small masks, known circuits,
//! the Laman-type count, and real rank-r witnesses for every entry reported not completable.

use crate::common::Rng;
use faer::{Mat, Par};
use tessera::completability::{closure, Closure, ClosureOptions, CompletabilityError, Components, Mask, RCore};

/// A mask with each entry observed independently with probability `q`, at least one entry.
fn bernoulli(m: usize, n: usize, q: f64, rng: &mut Rng) -> Mask {
    let mut dense: Vec<u8> = (0..m * n).map(|_| u8::from(rng.uniform() < q)).collect();
    dense[0] = 1;
    Mask::from_dense(m, n, &dense).unwrap()
}

fn dense_mask(m: usize, n: usize, observed: impl Fn(usize, usize) -> bool) -> Mask {
    let dense: Vec<u8> = (0..m * n).map(|k| u8::from(observed(k % m, k / m))).collect();
    Mask::from_dense(m, n, &dense).unwrap()
}

fn run(mask: &Mask, r: usize) -> Closure {
    closure(mask, r, &ClosureOptions::default(), Par::Seq).unwrap()
}

/// A real random point, U (m × r) then V (n × r), rows contiguous.
fn point(m: usize, n: usize, r: usize, rng: &mut Rng) -> (Vec<f64>, Vec<f64>) {
    ((0..m * r).map(|_| rng.normal()).collect(), (0..n * r).map(|_| rng.normal()).collect())
}

/// J of (U, V) ↦ (UVᵀ)_entries at a real point: columns U_i at i·r, V_j at (m + j)·r.
fn jacobian(entries: &[(usize, usize)], m: usize, n: usize, r: usize, u: &[f64], v: &[f64]) -> Mat<f64> {
    let mut jac = Mat::<f64>::zeros(entries.len(), r * (m + n));
    for (row, &(i, j)) in entries.iter().enumerate() {
        for k in 0..r {
            jac[(row, i * r + k)] = v[j * r + k];
            jac[(row, (m + j) * r + k)] = u[i * r + k];
        }
    }
    jac
}

fn entries(mask: &Mask) -> Vec<(usize, usize)> {
    (0..mask.len()).map(|e| mask.entry(e)).collect()
}

/// Numerical rank with an asserted gap: the kept singular values exceed 10⁻⁶ σ_max and the
/// dropped ones are below 10⁻¹¹ σ_max.
fn float_rank(jac: &Mat<f64>) -> usize {
    let s = jac.singular_values().unwrap();
    let top = s[0];
    let rank = s.iter().filter(|&&x| x > 1e-9 * top).count();
    assert!(rank == 0 || s[rank - 1] > 1e-6 * top, "no clear gap: {:?}", &s[rank.saturating_sub(1)..]);
    assert!(s[rank..].iter().all(|&x| x < 1e-11 * top), "no clear gap: {:?}", &s[rank..]);
    rank
}

#[test]
fn rank_one_closure_is_the_union_find_answer() {
    let mut rng = Rng::new(1);
    for trial in 0..300 {
        let (m, n) = (2 + trial % 9, 2 + (trial / 9) % 11);
        let mask = bernoulli(m, n, 0.05 + 0.3 * rng.uniform(), &mut rng);
        let c = run(&mask, 1);
        let uf = Components::new(&mask);
        for i in 0..m {
            for j in 0..n {
                assert_eq!(c.contains(i, j), uf.connected(i, j), "trial {trial} ({i}, {j})");
            }
        }
        assert_eq!(c.jacobian_rank(), m + n - uf.count());
        assert_eq!(c.components(), uf.count());
        assert_eq!(c.is_finitely_completable(), uf.count() == 1);
    }
}

#[test]
fn prime_field_rank_equals_the_float_rank() {
    let mut rng = Rng::new(2);
    for trial in 0..120 {
        let r = 1 + trial % 3;
        let (m, n) = (r + 2 + trial % 5, r + 2 + (trial / 5) % 6);
        let mask = bernoulli(m, n, 0.3 + 0.5 * rng.uniform(), &mut rng);
        let c = run(&mask, r);
        let (u, v) = point(m, n, r, &mut rng);
        assert_eq!(c.jacobian_rank(), float_rank(&jacobian(&entries(&mask), m, n, r, &u, &v)), "trial {trial}");
    }
}

/// Masks large enough for several elimination panels (|J| r > 64), near the transition.
#[test]
fn prime_field_rank_equals_the_float_rank_across_panels() {
    let mut rng = Rng::new(3);
    for (n, r, x) in [(30, 3, 0.9), (40, 2, 1.0), (26, 3, 1.1), (36, 4, 0.95)] {
        let q = x * (r * (2 * n - r)) as f64 / (n * n) as f64;
        let mask = bernoulli(n, n, q, &mut rng);
        let c = run(&mask, r);
        let (u, v) = point(n, n, r, &mut rng);
        assert_eq!(c.jacobian_rank(), float_rank(&jacobian(&entries(&mask), n, n, r, &u, &v)), "n {n} r {r}");
    }
}

/// e ∈ cl ⇔ rank J_{Ω ∪ e} = rank J_Ω, with both ranks in floating point.
#[test]
fn per_entry_closure_matches_float_ranks() {
    let mut rng = Rng::new(4);
    for trial in 0..24 {
        let r = 2 + trial % 2;
        let n = 3 * r + trial % 4;
        let q = (0.8 + 0.1 * (trial % 4) as f64) * (r * (2 * n - r)) as f64 / (n * n) as f64;
        let mask = bernoulli(n, n, q, &mut rng);
        let c = run(&mask, r);
        let (u, v) = point(n, n, r, &mut rng);
        let mut list = entries(&mask);
        let base = float_rank(&jacobian(&list, n, n, r, &u, &v));
        for i in 0..n {
            for j in (0..n).filter(|&j| mask.find(i, j).is_none()) {
                list.push((i, j));
                let grown = float_rank(&jacobian(&list, n, n, r, &u, &v));
                list.pop();
                assert_eq!(c.contains(i, j), grown == base, "trial {trial} ({i}, {j})");
            }
        }
    }
}

/// The same on masks whose eliminated system spans several panels (|J| r > 64), just below
/// the transition so that the kernel tests decide many entries.
#[test]
fn per_entry_closure_matches_float_ranks_across_panels() {
    let mut rng = Rng::new(9);
    let mut decided = [0usize; 2];
    for (n, r, x) in [(24, 3, 0.95), (36, 2, 0.97)] {
        let q = x * (r * (2 * n - r)) as f64 / (n * n) as f64;
        let mask = bernoulli(n, n, q, &mut rng);
        let c = run(&mask, r);
        let (u, v) = point(n, n, r, &mut rng);
        let mut list = entries(&mask);
        let base = float_rank(&jacobian(&list, n, n, r, &u, &v));
        assert_eq!(c.jacobian_rank(), base);
        // Every missing entry of the first 8 rows (the float check costs one SVD each).
        for i in 0..8 {
            for j in (0..n).filter(|&j| mask.find(i, j).is_none()) {
                list.push((i, j));
                let grown = float_rank(&jacobian(&list, n, n, r, &u, &v));
                list.pop();
                assert_eq!(c.contains(i, j), grown == base, "n {n} r {r} ({i}, {j})");
                decided[usize::from(grown == base)] += 1;
            }
        }
    }
    assert!(decided[0] > 20 && decided[1] > 20, "both answers must occur: {decided:?}");
}

#[test]
fn the_full_matrix_is_finitely_completable() {
    for (m, n, r) in [(6, 5, 1), (6, 5, 2), (7, 7, 3), (9, 4, 3)] {
        let c = run(&dense_mask(m, n, |_, _| true), r);
        assert!(c.is_finitely_completable());
        assert_eq!(c.jacobian_rank(), r * (m + n - r));
        assert_eq!((c.deficiency(), c.pruned(), c.components()), (0, (0, 0), 1));
    }
}

#[test]
fn a_biclique_minus_an_edge_completes_the_edge() {
    for r in 1..=3 {
        let k = r + 1;
        let mask = dense_mask(k + 1, k + 1, |i, j| i < k && j < k && (i, j) != (0, 0));
        let c = run(&mask, r);
        assert!(c.contains(0, 0), "r {r}");
        // Nothing outside the biclique: row k and column k are empty.
        assert!(!c.contains(k, 0) && !c.contains(0, k));
        assert_eq!(c.jacobian_rank(), k * k - 1, "a circuit minus one element is independent");
    }
}

#[test]
fn a_row_with_fewer_than_r_observations_is_pruned() {
    // Rows 0..6 fully observed, row 6 sees only columns 0 and 1; r = 3.
    let mask = dense_mask(7, 6, |i, j| i < 6 || j < 2);
    let c = run(&mask, 3);
    assert_eq!(c.pruned(), (1, 0));
    assert!(c.contains(6, 0) && c.contains(6, 1));
    assert!((2..6).all(|j| !c.contains(6, j)));
    assert!((0..6).all(|i| (0..6).all(|j| c.contains(i, j))));
    // The two entries of row 6 are coloops, row 6's other r − 2 = 1 parameter is free.
    assert_eq!(c.jacobian_rank(), 3 * (6 + 6 - 3) + 2);
    assert_eq!(c.deficiency(), 1);
    let core = RCore::new(&mask, 3);
    assert_eq!((core.pruned(), core.pruned_entries()), ((1, 0), 2));
}

#[test]
fn pruning_cascades() {
    // A path-like staircase: at r = 2 every row and column falls in turn.
    let mask = dense_mask(5, 5, |i, j| j == i || j == i + 1);
    let core = RCore::new(&mask, 2);
    assert_eq!(core.pruned(), (5, 5));
    assert_eq!(core.pruned_entries(), mask.len());
    let c = run(&mask, 2);
    assert_eq!(c.jacobian_rank(), mask.len());
    assert_eq!(c.count(), mask.len());
}

/// If Ω is independent (rank J = |Ω|), every sub-mask on I × J with |I|, |J| ≥ r has at most
/// r(|I| + |J| − r) entries; and a K_{r+1,r+1} inside a mask makes it dependent.
#[test]
fn independent_masks_satisfy_the_laman_count() {
    let mut rng = Rng::new(5);
    let mut independent = 0;
    for trial in 0..60 {
        let r = 2 + trial % 2;
        let (m, n) = (5, 5);
        let mask = bernoulli(m, n, 0.35 + 0.3 * rng.uniform(), &mut rng);
        let c = run(&mask, r);
        let count_in = |rows: u32, cols: u32| (0..mask.len()).filter(|&e| {
            let (i, j) = mask.entry(e);
            rows >> i & 1 == 1 && cols >> j & 1 == 1
        }).count();
        let laman = (1u32..1 << m).all(|rows| {
            (1u32..1 << n).all(|cols| {
                let (a, b) = (rows.count_ones() as usize, cols.count_ones() as usize);
                a < r || b < r || count_in(rows, cols) <= r * (a + b - r)
            })
        });
        if c.jacobian_rank() == mask.len() {
            independent += 1;
            assert!(laman, "trial {trial}");
        }
        if !laman {
            assert!(c.jacobian_rank() < mask.len());
        }
    }
    assert!(independent > 5, "too few independent masks to test ({independent})");
    for r in 1..=3 {
        let mask = dense_mask(r + 2, r + 2, |i, j| i <= r && j <= r || i == j);
        assert!(run(&mask, r).jacobian_rank() < mask.len());
    }
}

/// Gauss–Newton back onto {(U, V) : (UVᵀ)_Ω = target} with minimum-norm steps.
fn project(entries: &[(usize, usize)], target: &[f64], m: usize, n: usize, r: usize, x: &mut [f64]) -> f64 {
    let mut residual_norm = f64::INFINITY;
    for _ in 0..50 {
        let (u, v) = x.split_at(m * r);
        let res: Vec<f64> = entries
            .iter()
            .zip(target)
            .map(|(&(i, j), &t)| (0..r).map(|k| u[i * r + k] * v[j * r + k]).sum::<f64>() - t)
            .collect();
        residual_norm = res.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
        if residual_norm < 1e-13 {
            break;
        }
        let svd = jacobian(entries, m, n, r, u, v).svd().unwrap();
        let (uu, s, vv) = (svd.U(), svd.S().column_vector(), svd.V());
        let top = s[0];
        let mut step = vec![0.0; x.len()];
        for k in (0..s.nrows()).filter(|&k| s[k] > 1e-10 * top) {
            let c = (0..res.len()).map(|e| uu[(e, k)] * res[e]).sum::<f64>() / s[k];
            step.iter_mut().enumerate().for_each(|(p, d)| *d += c * vv[(p, k)]);
        }
        x.iter_mut().zip(&step).for_each(|(a, d)| *a -= d);
    }
    residual_norm
}

/// For every entry reported not completable: move along the kernel of J_Ω in a direction that
/// changes that entry, return to the fibre, and compare two rank-r matrices.
#[test]
fn non_closure_entries_have_two_distinct_completions() {
    let mut rng = Rng::new(6);
    let mut witnessed = 0;
    for trial in 0..10 {
        let r = 1 + trial % 3;
        let n = 2 * r + 2 + trial % 2;
        let q = (0.7 + 0.05 * (trial % 5) as f64) * (r * (2 * n - r)) as f64 / (n * n) as f64;
        let mask = bernoulli(n, n, q, &mut rng);
        let c = run(&mask, r);
        let list = entries(&mask);
        let (u, v) = point(n, n, r, &mut rng);
        let value = |x: &[f64], i: usize, j: usize| (0..r).map(|k| x[i * r + k] * x[(n + j) * r + k]).sum::<f64>();
        let x0: Vec<f64> = u.iter().chain(&v).copied().collect();
        let target: Vec<f64> = list.iter().map(|&(i, j)| value(&x0, i, j)).collect();
        let svd = jacobian(&list, n, n, r, &u, &v).svd().unwrap();
        let s = svd.S().column_vector();
        let rank = (0..s.nrows()).filter(|&k| s[k] > 1e-9 * s[0]).count();
        assert_eq!(rank, c.jacobian_rank());
        let kernel = svd.V().subcols(rank, 2 * n * r - rank);
        for i in 0..n {
            for j in (0..n).filter(|&j| !c.contains(i, j)) {
                // δ = projection of J_e onto ker J_Ω.
                let je = jacobian(&[(i, j)], n, n, r, &u, &v);
                let coef: Vec<f64> =
                    (0..kernel.ncols()).map(|k| (0..2 * n * r).map(|p| je[(0, p)] * kernel[(p, k)]).sum()).collect();
                let mut x = x0.clone();
                let norm = coef.iter().map(|c| c * c).sum::<f64>().sqrt();
                assert!(norm > 1e-6, "J_e lies in the row space at ({i}, {j})");
                // Step length for a first-order change of 0.3 in entry e (at most 3).
                let t = (0.3 / norm).min(3.0);
                for (k, &ck) in coef.iter().enumerate() {
                    (0..x.len()).for_each(|p| x[p] += t * ck / norm * kernel[(p, k)]);
                }
                let residual = project(&list, &target, n, n, r, &mut x);
                assert!(residual < 1e-10, "did not return to the fibre: {residual}");
                let change = (value(&x, i, j) - value(&x0, i, j)).abs();
                assert!(change > 1e-2, "trial {trial} ({i}, {j}) changed by {change}");
                witnessed += 1;
            }
        }
    }
    assert!(witnessed > 20, "too few non-closure entries ({witnessed})");
}

#[test]
fn the_answer_does_not_depend_on_the_thread_count() {
    let mut rng = Rng::new(7);
    for (n, r, x) in [(60, 3, 0.9), (50, 2, 1.0), (70, 3, 1.2)] {
        let q = x * (r * (2 * n - r)) as f64 / (n * n) as f64;
        let mask = bernoulli(n, n, q, &mut rng);
        let options = ClosureOptions { seed: 11, trials: 2 };
        let mut dense = [vec![0u8; n * n], vec![0u8; n * n]];
        let mut ranks = [0; 2];
        for (t, par) in [Par::Seq, Par::rayon(2)].into_iter().enumerate() {
            let c = closure(&mask, r, &options, par).unwrap();
            c.fill_dense(&mut dense[t]);
            ranks[t] = c.jacobian_rank();
            assert_eq!(c.count(), dense[t].iter().filter(|&&b| b == 1).count());
        }
        assert_eq!(ranks[0], ranks[1]);
        assert_eq!(dense[0], dense[1]);
    }
}

#[test]
fn count_and_fill_agree_with_contains() {
    let mut rng = Rng::new(8);
    let mask = bernoulli(12, 15, 0.3, &mut rng);
    let c = run(&mask, 2);
    let mut dense = vec![0u8; 12 * 15];
    c.fill_dense(&mut dense);
    for (k, &b) in dense.iter().enumerate() {
        assert_eq!(b == 1, c.contains(k % 12, k / 12));
    }
    assert_eq!(c.count(), dense.iter().filter(|&&b| b == 1).count());
    assert!((0..mask.len()).all(|e| c.contains(mask.entry(e).0, mask.entry(e).1)));
    assert_eq!(c.full_rank(), 2 * (12 + 15 - 2));
    assert_eq!(c.deficiency(), c.full_rank() - c.jacobian_rank());
}

#[test]
fn bad_ranks_and_options_are_rejected() {
    let mask = dense_mask(4, 6, |_, _| true);
    let o = ClosureOptions::default();
    for r in [0, 4, 5] {
        assert_eq!(
            closure(&mask, r, &o, Par::Seq).unwrap_err(),
            CompletabilityError::InvalidRank { rank: r, nrows: 4, ncols: 6 }
        );
    }
    assert!(matches!(
        closure(&mask, 2, &ClosureOptions { seed: 0, trials: 0 }, Par::Seq),
        Err(CompletabilityError::InvalidParameter { name: "trials", .. })
    ));
}
