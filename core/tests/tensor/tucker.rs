//! Rank estimation, Tucker factors and core, and CP of the core, on tensors of known structure.

use faer::{Mat, Par};
use crate::support::*;
use tessera::tensor::{cp_als, mode_product, numerical_rank, tucker, tucker_components, CpOptions, Shape};

#[test]
fn numerical_rank_counts_values_above_the_relative_threshold() {
    assert_eq!(numerical_rank(&[10.0, 5.0, 0.2, 0.05], 0.01), 3);
    assert_eq!(numerical_rank(&[10.0, 0.1, 0.05], 0.01), 1);
    assert_eq!(numerical_rank(&[0.0, 0.0], 0.01), 0);
    assert_eq!(numerical_rank(&[], 0.01), 0);
}

#[test]
fn tucker_reconstructs_a_tucker_tensor() {
    let dims = [9, 8, 7, 3];
    let ranks = [2, 3, 4, 2];
    let shape = Shape::new(&dims).unwrap();
    let x = tucker_tensor(&dims, &ranks, 20);
    let t = tucker(&x, &shape, &ranks, Par::Seq).unwrap();
    assert_eq!(t.core_shape.dims(), &ranks);
    for (u, &r) in t.factors.iter().zip(&ranks) {
        let gram = u.transpose() * u;
        for i in 0..r {
            for j in 0..r {
                assert!((gram[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }
    let (mut y, mut s) = (t.core.clone(), t.core_shape.clone());
    for (k, u) in t.factors.iter().enumerate() {
        (y, s) = mode_product(&y, &s, k, u.as_ref(), Par::Seq).unwrap();
    }
    assert!(relative_error(&y, &x, |_| true) < 1e-12);
}

/// `Σ_c w_c f_1c ∘ … ∘ f_Kc` from the definition.
fn cp_tensor(weights: &[f64], factors: &[Mat<f64>]) -> Vec<f64> {
    let dims: Vec<usize> = factors.iter().map(|f| f.nrows()).collect();
    multi_indices(&dims)
        .iter()
        .map(|idx| (0..weights.len()).map(|c| weights[c] * idx.iter().enumerate().map(|(k, &i)| factors[k][(i, c)]).product::<f64>()).sum())
        .collect()
}

#[test]
fn cp_recovers_an_exact_cp_tensor_and_tucker_components_map_back() {
    let dims = [10, 9, 8];
    let mut rng = Rng::new(21);
    let factors: Vec<Mat<f64>> = dims.iter().map(|&n| Mat::from_fn(n, 3, |_, _| rng.normal())).collect();
    let x = cp_tensor(&[3.0, 2.0, 1.0], &factors);
    let shape = Shape::new(&dims).unwrap();
    let cp = cp_als(&x, &shape, &CpOptions { rank: 3, ..CpOptions::default() }).unwrap();
    assert!(cp.fit > 1.0 - 1e-6, "fit {}", cp.fit);
    assert!(relative_error(&cp_tensor(&cp.weights, &cp.factors), &x, |_| true) < 1e-6);
    // Signs: the largest entry of every loading but the last is positive.
    for f in &cp.factors[..2] {
        for c in 0..3 {
            let pivot = f.col(c).iter().fold(0.0f64, |m, &v| if v.abs() > m.abs() { v } else { m });
            assert!(pivot > 0.0);
        }
    }
    // Tucker (rank 3 in every mode) then CP of the 3×3×3 core, mapped back.
    let t = tucker(&x, &shape, &[3, 3, 3], Par::Seq).unwrap();
    let comp = tucker_components(&t, &CpOptions { rank: 3, ..CpOptions::default() }).unwrap();
    assert!(comp.factors.iter().zip(&dims).all(|(f, &n)| f.nrows() == n && f.ncols() == 3));
    assert!(relative_error(&cp_tensor(&comp.weights, &comp.factors), &x, |_| true) < 1e-6);
}
