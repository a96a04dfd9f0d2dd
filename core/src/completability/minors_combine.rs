//! Best linear unbiased combination of correlated estimators of one entry.
//!
//! With gradients G (k × |Ω|) the first-order covariance is C = G Σ Gᵀ; among the unbiased
//! combinations Σ w_t x_t (Σ w_t = 1) the variance wᵀCw is least for w = C⁻¹1 / (1ᵀC⁻¹1),
//! with variance 1/(1ᵀC⁻¹1) (≤ every single C_tt). Estimators are admitted in order through
//! an incremental Cholesky factor of C; one whose new pivot is below `DEPENDENT · C_tt` is a
//! (near) linear combination of those before it to first order and is left out.

use super::minors_block::Estimator;
use super::minors_gradient::Gradient;
use super::minors_known::Completed;

/// Relative Cholesky pivot below which an estimator counts as dependent on the earlier ones.
const DEPENDENT: f64 = 1e-10;

/// The BLUE combination of `estimators` (at least one), its gradient, and how many were used.
pub(super) fn combine(estimators: &[Estimator], sigma2: &[f64]) -> Option<Completed> {
    let mut kept: Vec<&Estimator> = Vec::with_capacity(estimators.len());
    // Rows of the lower Cholesky factor L of C restricted to `kept` (row t has t + 1 entries).
    let mut l: Vec<Vec<f64>> = Vec::with_capacity(estimators.len());
    for e in estimators {
        let diag = e.gradient.variance(sigma2);
        if !diag.is_finite() || diag <= 0.0 {
            continue;
        }
        let mut row: Vec<f64> = Vec::with_capacity(kept.len() + 1);
        for (t, k) in kept.iter().enumerate() {
            let c = e.gradient.covariance(&k.gradient, sigma2);
            let y = (c - row.iter().zip(&l[t]).map(|(a, b)| a * b).sum::<f64>()) / l[t][t];
            row.push(y);
        }
        let pivot = diag - row.iter().map(|y| y * y).sum::<f64>();
        if pivot > DEPENDENT * diag {
            row.push(pivot.sqrt());
            l.push(row);
            kept.push(e);
        }
    }
    if kept.is_empty() {
        return None;
    }
    // C x = 1 through L y = 1, Lᵀ x = y.
    let k = kept.len();
    let mut x = vec![0.0; k];
    for t in 0..k {
        x[t] = (1.0 - (0..t).map(|s| l[t][s] * x[s]).sum::<f64>()) / l[t][t];
    }
    for t in (0..k).rev() {
        x[t] = (x[t] - (t + 1..k).map(|s| l[s][t] * x[s]).sum::<f64>()) / l[t][t];
    }
    let total: f64 = x.iter().sum();
    let w: Vec<f64> = x.iter().map(|v| v / total).collect();
    Some(Completed {
        value: kept.iter().zip(&w).map(|(e, w)| w * e.value).sum(),
        gradient: Gradient::combine(kept.iter().zip(&w).map(|(e, &w)| (w, &e.gradient))),
        estimators: k as u32,
    })
}
