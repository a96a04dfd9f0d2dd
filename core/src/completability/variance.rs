//! First-order (Cramér–Rao / delta-method) variances of entries of a rank-r matrix observed
//! with independent noise, valid for any locally efficient completion method (Király & Theran
//! 2013 for r = 1; the general-r form is the delta method on the factor model).
//!
//! At a fit (Û, V̂) of the observations ([`fit_low_rank`]), with J the Jacobian of the
//! observed entries in θ = (U, V) (row e = (i, j): V̂_j in block U_i, Û_i in block V_j) and
//! Σ = diag σ², the Fisher matrix is F = Jᵀ Σ⁻¹ J and
//!
//!   Var(â_ij) = g_ijᵀ F⁺ g_ij,   g_ij = (V̂_j in block U_i, Û_i in block V_j).
//!
//! The computation is in Jacobi-scaled parameters D^(½)θ, D = diag F (1 where F_tt = 0), so
//! that the kernel test below does not depend on the scale of individual rows and columns
//! (at r = 1, on the size of |u_i| and |v_j|); gᵀF⁺g is invariant under this change of
//! variables. F always has the r²-dimensional gauge kernel {(ÛB, −V̂Bᵀ)}, and every g_ij is
//! orthogonal to it exactly, so it is lifted explicitly: F̃ = D^(−½)FD^(−½) + QQᵀ with Q an
//! orthonormal basis of the scaled gauge directions (the scaled F has unit diagonal), which
//! leaves gᵀF⁺g unchanged. What remains of the kernel of F̃ (eigenvalues ≤ 10⁻¹⁰ λ_max) is the
//! part of ker J beyond the gauge: (i, j) is completable iff g_ij ⟂ ker J, decided here by the
//! relative residual ‖W₀ᵀg̃‖/‖g̃‖ ≤ 10⁻⁶ of the scaled g̃ = D^(−½)g against that kernel (W₀
//! its eigenvectors); otherwise the variance is +∞. [`first_order_variance`] does not rely on
//! this float test: it decides completability by the exact closure ([`super::closure`]), so
//! the variance is finite exactly for the entries of the closure even where the fit is poor
//! (a fit that stalls near a degenerate point makes the float test fail; the value is then the
//! variance at that fit, with the kernel part left out). [`variance_at_fit`], for a caller's
//! own fit, uses the float test. At r = 1 the variance is a_ij² R_eff(i, j) of the bipartite
//! graph with resistances σ_e²/a_e² (effective resistance in log coordinates).
//!
//! Dense: F is N × N with N = r(m + n); cost O(|Ω| r² + N³) (the eigendecomposition) plus
//! O(r N) per query, memory 3N² doubles. N of a few thousand (e.g. 200 × 200 at r = 3,
//! N = 1200) is the intended size.

use super::input::{check_inputs, check_queries, check_rank, noise_variances};
use super::variance_dense::symmetric_eigen;
use super::variance_fisher::{block, normal_equations};
use super::variance_fit::{fit, theta_of};
use super::{closure, Closure, ClosureOptions, CompletabilityError, Mask};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

pub use super::variance_fit::LowRankFit;

/// Eigenvalues of F̃ at most this fraction of the largest count as its kernel.
const KERNEL: f64 = 1e-10;
/// Largest relative residual of g against the row space of J for a completable entry.
const COMPLETABLE: f64 = 1e-6;

/// Weighted rank-`rank` fit of the observations `values[e]` at `mask.entry(e)` with noise
/// variances `variances` (1 when `None`), by ALS then Levenberg–Marquardt from a seeded random
/// start (see [`LowRankFit`] for what it reports). Errors as for [`first_order_variance`].
pub fn fit_low_rank(mask: &Mask, values: &[f64], variances: Option<&[f64]>, rank: usize, par: Par) -> Result<LowRankFit, CompletabilityError> {
    let sigma2 = check_inputs(mask, values, variances, rank, &[])?;
    fit(mask, values, &sigma2, rank, par)
}

/// First-order variances `g_ijᵀ F⁺ g_ij` of the queried entries (0-based `(row, column)`) at
/// the fit [`fit_low_rank`] of the observations; `+∞` exactly where the entry is not in the
/// rank-`rank` closure (computed with the default [`ClosureOptions`]). Observed entries get
/// the variance of their fitted value (≤ σ_e²), not σ_e².
///
/// Errors: rank 0 or ≥ min(m, n), `values`/`variances` of the wrong length, non-finite
/// values or variances, a variance ≤ 0, a query outside the matrix, a failed factorisation.
pub fn first_order_variance(
    mask: &Mask,
    values: &[f64],
    variances: Option<&[f64]>,
    rank: usize,
    queries: &[(usize, usize)],
    par: Par,
) -> Result<Vec<f64>, CompletabilityError> {
    let sigma2 = check_inputs(mask, values, variances, rank, queries)?;
    let fitted = fit(mask, values, &sigma2, rank, par)?;
    let exact = closure(mask, rank, &ClosureOptions::default(), par)?;
    variances_at(mask, &sigma2, &fitted, queries, Some(&exact), par)
}

/// First-order variances of the queried entries at a given fit (e.g. one refitted to other
/// data, or a gauge transform (ÛB, V̂B⁻ᵀ) of one, which leaves them unchanged).
pub fn variance_at_fit(
    mask: &Mask,
    variances: Option<&[f64]>,
    fit: &LowRankFit,
    queries: &[(usize, usize)],
    par: Par,
) -> Result<Vec<f64>, CompletabilityError> {
    let rank = fit.u.ncols();
    check_rank(mask, rank)?;
    let shape = |what, got: (usize, usize), expected: (usize, usize)| {
        if got == expected {
            Ok(())
        } else {
            Err(CompletabilityError::LengthMismatch { what, expected: expected.0 * expected.1, got: got.0 * got.1 })
        }
    };
    shape("fit.u", (fit.u.nrows(), fit.u.ncols()), (mask.nrows(), rank))?;
    shape("fit.v", (fit.v.nrows(), fit.v.ncols()), (mask.ncols(), rank))?;
    let theta = theta_of(fit);
    if let Some(index) = theta.iter().position(|v| !v.is_finite()) {
        return Err(CompletabilityError::NonFinite { what: "fit", index });
    }
    let sigma2 = noise_variances(mask, variances)?;
    check_queries(mask, queries)?;
    variances_at(mask, &sigma2, fit, queries, None, par)
}

/// The variances at `fit`; completability decided by `exact` when given, else by the float
/// kernel test.
fn variances_at(
    mask: &Mask,
    sigma2: &[f64],
    fit: &LowRankFit,
    queries: &[(usize, usize)],
    exact: Option<&Closure>,
    par: Par,
) -> Result<Vec<f64>, CompletabilityError> {
    let (m, r) = (mask.nrows(), fit.u.ncols());
    let theta = theta_of(fit);
    let (mut f, _) = normal_equations(&theta, mask, None, sigma2, r);
    let dim = f.nrows();
    // Jacobi scaling D^(−½) F D^(−½) (a parameter without information keeps scale 1).
    let scale: Vec<f64> = (0..dim).map(|t| if f[(t, t)] > 0.0 { f[(t, t)].sqrt().recip() } else { 1.0 }).collect();
    for c in 0..dim {
        for t in 0..dim {
            f[(t, c)] *= scale[t] * scale[c];
        }
    }
    let gauge = gauge_basis(&theta, &scale, m, r);
    matmul(f.as_mut(), Accum::Add, gauge.as_ref(), gauge.transpose(), 1.0, par);
    let (lambda, w) = symmetric_eigen(&f, par)?;
    let top = lambda.last().copied().unwrap_or(0.0);
    let kernel = lambda.iter().take_while(|&&l| l <= KERNEL * top).count();
    // Column t of `y` is row t of W times D_t^(−½), and λ^(−½) outside the kernel.
    let y = Mat::from_fn(dim, dim, |k, t| if k < kernel { w[(t, k)] } else { w[(t, k)] / lambda[k].sqrt() } * scale[t]);
    let variance = |&(i, j): &(usize, usize)| -> f64 {
        let mut z = vec![0.0; dim];
        let mut norm2 = 0.0;
        for (range, factor) in [(block(i, r), block(m + j, r)), (block(m + j, r), block(i, r))] {
            for (t, &g) in range.zip(&theta[factor]) {
                norm2 += (g * scale[t]).powi(2);
                z.iter_mut().zip(y.col(t).iter()).for_each(|(z, y)| *z += g * y);
            }
        }
        let residual2: f64 = z[..kernel].iter().map(|v| v * v).sum();
        let completable = match exact {
            Some(c) => c.contains(i, j),
            None => norm2 > 0.0 && residual2 <= COMPLETABLE * COMPLETABLE * norm2,
        };
        if !completable {
            f64::INFINITY
        } else {
            z[kernel..].iter().map(|v| v * v).sum()
        }
    };
    Ok(if par.degree() > 1 { queries.par_iter().map(variance).collect() } else { queries.iter().map(variance).collect() })
}

/// Orthonormal basis (N × r²) of the gauge directions (ÛB, −V̂Bᵀ) in the scaled parameters
/// D^(½)θ: for B = E_kl, U_i block entry l gets U_ik and V_j block entry k gets −V_jl, each
/// divided by its `scale` (= D^(−½)). Modified Gram–Schmidt, twice.
fn gauge_basis(theta: &[f64], scale: &[f64], m: usize, r: usize) -> Mat<f64> {
    let dim = theta.len();
    let n = dim / r - m;
    let mut z = Mat::<f64>::zeros(dim, r * r);
    for k in 0..r {
        for l in 0..r {
            let c = k * r + l;
            for i in 0..m {
                z[(i * r + l, c)] = theta[i * r + k] / scale[i * r + l];
            }
            for j in 0..n {
                z[((m + j) * r + k, c)] = -theta[(m + j) * r + l] / scale[(m + j) * r + k];
            }
        }
    }
    for _ in 0..2 {
        for c in 0..r * r {
            for p in 0..c {
                let dot: f64 = (0..dim).map(|t| z[(t, p)] * z[(t, c)]).sum();
                (0..dim).for_each(|t| z[(t, c)] -= dot * z[(t, p)]);
            }
            let norm = (0..dim).map(|t| z[(t, c)] * z[(t, c)]).sum::<f64>().sqrt();
            if norm > 0.0 {
                (0..dim).for_each(|t| z[(t, c)] /= norm);
            }
        }
    }
    z
}
