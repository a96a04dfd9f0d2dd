//! CP (CANDECOMP/PARAFAC) decomposition by alternating least squares, for the small Tucker
//! cores of the interpretability heuristic.
//!
//! `X ≈ Σ_c w_c f_1c ∘ … ∘ f_Kc` with unit-norm factor columns. Each sweep updates every
//! mode by least squares, `F_k = X_(k) (⊙_{j≠k} F_j) H⁺` with `H = ∗_{j≠k} F_jᵀF_j` (Hadamard
//! product of the Gram matrices), until the relative fit `1 − ‖X − X̂‖/‖X‖` changes by less than
//! `tol`. The starting point is the HOSVD (top left singular vectors of each unfolding), padded
//! with seeded Gaussian columns when `R > n_k`. Signs are fixed so that in every mode but the
//! last the largest-magnitude entry of each column is positive. The fit is computed from the
//! Gram matrices (`‖X‖² − 2⟨X, X̂⟩ + ‖X̂‖²`), so it resolves residuals down to about
//! `√ε ‖X‖`; a tighter `tol` only runs more sweeps.

use crate::rng::SplitMix64;
use super::shape::Shape;
use super::svt::ModeSpectrum;
use super::TensorError;
use faer::{Mat, Par, Side};

/// Options of [`cp_als`].
#[derive(Clone, Debug, PartialEq)]
pub struct CpOptions {
    /// Number of components `R ≥ 1`.
    pub rank: usize,
    /// Sweep limit.
    pub max_iter: usize,
    /// Stop when the fit changes by less than this between sweeps.
    pub tol: f64,
    /// Seed of the padding columns of the starting point.
    pub seed: u64,
}

impl Default for CpOptions {
    fn default() -> Self {
        Self { rank: 1, max_iter: 500, tol: 1e-10, seed: 0 }
    }
}

/// A CP decomposition.
#[derive(Clone, Debug, PartialEq)]
pub struct Cp {
    /// Component weights `w_c ≥ 0`.
    pub weights: Vec<f64>,
    /// `n_k × R` factors with unit-norm columns.
    pub factors: Vec<Mat<f64>>,
    /// Sweeps run.
    pub iterations: usize,
    /// `1 − ‖X − X̂‖_F/‖X‖_F`.
    pub fit: f64,
}

/// Rank-`R` CP decomposition of `x` by alternating least squares.
pub fn cp_als(x: &[f64], shape: &Shape, options: &CpOptions) -> Result<Cp, TensorError> {
    if x.len() != shape.len() {
        return Err(TensorError::LengthMismatch { what: "tensor", expected: shape.len(), got: x.len() });
    }
    if options.rank == 0 {
        return Err(TensorError::InvalidParameter { name: "rank", value: 0.0, requirement: ">= 1" });
    }
    if !(options.tol >= 0.0) || options.max_iter == 0 {
        return Err(TensorError::InvalidParameter { name: "tol", value: options.tol, requirement: ">= 0 with max_iter >= 1" });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(TensorError::NonFinite { what: "tensor", index });
    }
    let rank = options.rank;
    let norm_x = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut factors = initial_factors(x, shape, options)?;
    let mut weights = vec![1.0; rank];
    let (mut fit, mut iterations) = (0.0, 0);
    while iterations < options.max_iter {
        iterations += 1;
        let mut last = Mat::zeros(0, 0);
        for k in 0..shape.order() {
            let m = mttkrp(x, shape, &factors, k);
            let h = hadamard_gram(&factors, k);
            let mut f = m.as_ref() * pseudo_inverse(&h)?;
            for c in 0..rank {
                let norm = f.col(c).norm_l2();
                weights[c] = norm;
                if norm > 0.0 {
                    f.col_mut(c).iter_mut().for_each(|v| *v /= norm);
                }
            }
            factors[k] = f;
            last = m;
        }
        // ⟨X, X̂⟩ from the last mode's MTTKRP, ‖X̂‖² from the Gram matrices.
        let k = shape.order() - 1;
        let inner: f64 = (0..rank).map(|c| weights[c] * last.col(c).transpose() * factors[k].col(c)).sum();
        let h = hadamard_gram(&factors, usize::MAX);
        let model: f64 = (0..rank).flat_map(|a| (0..rank).map(move |b| (a, b))).map(|(a, b)| weights[a] * weights[b] * h[(a, b)]).sum();
        let residual = (norm_x * norm_x - 2.0 * inner + model).max(0.0).sqrt();
        let new_fit = if norm_x > 0.0 { 1.0 - residual / norm_x } else { 1.0 };
        let done = (new_fit - fit).abs() < options.tol;
        fit = new_fit;
        if done {
            break;
        }
    }
    fix_signs(&mut factors);
    Ok(Cp { weights, factors, iterations, fit })
}

fn initial_factors(x: &[f64], shape: &Shape, options: &CpOptions) -> Result<Vec<Mat<f64>>, TensorError> {
    let mut rng = SplitMix64::new(options.seed);
    (0..shape.order())
        .map(|k| {
            let split = shape.split(k);
            let from_svd = options.rank.min(split.n).min(split.cols());
            let u = ModeSpectrum::new(shape, k, Par::Seq).left_singular_vectors(x, from_svd)?;
            Ok(Mat::from_fn(split.n, options.rank, |i, c| if c < from_svd { u[(i, c)] } else { rng.normal() }))
        })
        .collect()
}

/// `X_(k) (⊙_{j≠k} F_j)`: the matricised tensor times the Khatri–Rao product of the other
/// factors, by one pass over the entries.
fn mttkrp(x: &[f64], shape: &Shape, factors: &[Mat<f64>], k: usize) -> Mat<f64> {
    let rank = factors[0].ncols();
    let mut out = Mat::zeros(shape.dim(k), rank);
    let mut index = vec![0usize; shape.order()];
    let mut row = vec![0.0; rank];
    for &value in x {
        row.fill(value);
        for (j, f) in factors.iter().enumerate() {
            if j != k {
                row.iter_mut().enumerate().for_each(|(c, r)| *r *= f[(index[j], c)]);
            }
        }
        for (c, r) in row.iter().enumerate() {
            out[(index[k], c)] += r;
        }
        for (i, &n) in index.iter_mut().zip(shape.dims()) {
            *i += 1;
            if *i < n {
                break;
            }
            *i = 0;
        }
    }
    out
}

/// `∗_{j≠skip} F_jᵀ F_j`.
fn hadamard_gram(factors: &[Mat<f64>], skip: usize) -> Mat<f64> {
    let rank = factors[0].ncols();
    let mut h = Mat::from_fn(rank, rank, |_, _| 1.0);
    for (j, f) in factors.iter().enumerate() {
        if j != skip {
            let g = f.transpose() * f;
            faer::zip!(h.as_mut(), g.as_ref()).for_each(|faer::unzip!(h, g)| *h *= *g);
        }
    }
    h
}

/// Moore–Penrose pseudo-inverse of a symmetric positive semi-definite matrix.
fn pseudo_inverse(h: &Mat<f64>) -> Result<Mat<f64>, TensorError> {
    let evd = h.self_adjoint_eigen(Side::Lower).map_err(|_| TensorError::Decomposition("symmetric eigensolver"))?;
    let (s, u) = (evd.S().column_vector(), evd.U());
    let cutoff = s.iter().fold(0.0f64, |m, &v| m.max(v)) * h.nrows() as f64 * f64::EPSILON;
    let inv = Mat::from_fn(h.nrows(), h.ncols(), |i, j| if s[i] > cutoff { 1.0 / s[i] } else { 0.0 } * if i == j { 1.0 } else { 0.0 });
    Ok(u * inv * u.transpose())
}

/// Makes the largest-magnitude entry of each column positive in every mode but the last,
/// compensating in the last mode.
pub(crate) fn fix_signs(factors: &mut [Mat<f64>]) {
    let Some((last, rest)) = factors.split_last_mut() else { return };
    for f in rest {
        for c in 0..f.ncols() {
            let pivot = f.col(c).iter().fold(0.0f64, |m, &v| if v.abs() > m.abs() { v } else { m });
            if pivot < 0.0 {
                f.col_mut(c).iter_mut().for_each(|v| *v = -*v);
                last.col_mut(c).iter_mut().for_each(|v| *v = -*v);
            }
        }
    }
}
