//! The Gauss–Newton normal equations of the weighted fit Σ_e (a_e − U_i·V_j)²/σ_e² in the
//! parameters θ = (U_0, …, U_{m−1}, V_0, …, V_{n−1}) (rows of r): F = Jᵀ Σ⁻¹ J, b = Jᵀ Σ⁻¹ res.
//!
//! Row e = (i, j) of J holds V_j in block U_i and U_i in block V_j.

use super::Mask;
use faer::Mat;

/// Offset of row `i`'s block (`i < m`) or column `j`'s block (`m + j`) in θ.
pub(super) fn block(vertex: usize, r: usize) -> core::ops::Range<usize> {
    vertex * r..(vertex + 1) * r
}

/// `U_i · V_j` from θ.
pub(super) fn predict(theta: &[f64], m: usize, r: usize, i: usize, j: usize) -> f64 {
    theta[block(i, r)].iter().zip(&theta[block(m + j, r)]).map(|(u, v)| u * v).sum()
}

/// `Σ_e (a_e − U_i·V_j)²/σ_e²`.
pub(super) fn cost(theta: &[f64], mask: &Mask, values: &[f64], sigma2: &[f64], r: usize) -> f64 {
    let m = mask.nrows();
    (0..mask.len())
        .map(|e| {
            let (i, j) = mask.entry(e);
            let res = values[e] - predict(theta, m, r, i, j);
            res * res / sigma2[e]
        })
        .sum()
}

/// `F = Jᵀ Σ⁻¹ J` (both triangles) and, with `values`, `b = Jᵀ Σ⁻¹ (a − UVᵀ)` as an N × 1 matrix.
pub(super) fn normal_equations(theta: &[f64], mask: &Mask, values: Option<&[f64]>, sigma2: &[f64], r: usize) -> (Mat<f64>, Mat<f64>) {
    let m = mask.nrows();
    let dim = theta.len();
    let mut f = Mat::<f64>::zeros(dim, dim);
    let mut b = Mat::<f64>::zeros(dim, 1);
    let mut row = vec![0.0; 2 * r];
    for e in 0..mask.len() {
        let (i, j) = mask.entry(e);
        let w = 1.0 / sigma2[e];
        row[..r].copy_from_slice(&theta[block(m + j, r)]);
        row[r..].copy_from_slice(&theta[block(i, r)]);
        let offset = |t: usize| if t < r { i * r + t } else { (m + j) * r + t - r };
        for s in 0..2 * r {
            for t in 0..2 * r {
                f[(offset(s), offset(t))] += w * row[s] * row[t];
            }
        }
        if let Some(a) = values {
            let res = w * (a[e] - predict(theta, m, r, i, j));
            for s in 0..2 * r {
                b[(offset(s), 0)] += res * row[s];
            }
        }
    }
    (f, b)
}
