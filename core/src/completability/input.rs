//! Input checks shared by the estimators (rank 1, minors, first-order variance): rank,
//! per-entry values and noise variances, queried positions.

use super::{CompletabilityError, Mask};

/// Checks `rank`, `values`, `variances` and `queries` against `mask` and returns the noise
/// variances `σ_e²` (1 where none are given).
pub(super) fn check_inputs(
    mask: &Mask,
    values: &[f64],
    variances: Option<&[f64]>,
    rank: usize,
    queries: &[(usize, usize)],
) -> Result<Vec<f64>, CompletabilityError> {
    check_rank(mask, rank)?;
    check_values(mask, "values", values)?;
    let sigma2 = noise_variances(mask, variances)?;
    check_queries(mask, queries)?;
    Ok(sigma2)
}

/// `1 ≤ rank < min(m, n)`, and `m · n` small enough for 32-bit slots.
pub(super) fn check_rank(mask: &Mask, rank: usize) -> Result<(), CompletabilityError> {
    let (m, n) = (mask.nrows(), mask.ncols());
    if rank == 0 || rank >= m.min(n) {
        return Err(CompletabilityError::InvalidRank { rank, nrows: m, ncols: n });
    }
    if m.checked_mul(n).is_none_or(|mn| mn >= u32::MAX as usize) {
        return Err(CompletabilityError::TooLarge);
    }
    Ok(())
}

/// One finite value per observed entry.
pub(super) fn check_values(mask: &Mask, what: &'static str, values: &[f64]) -> Result<(), CompletabilityError> {
    if values.len() != mask.len() {
        return Err(CompletabilityError::LengthMismatch { what, expected: mask.len(), got: values.len() });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(CompletabilityError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// The noise variances: `variances` checked (one finite positive value per entry), or 1s.
pub(super) fn noise_variances(mask: &Mask, variances: Option<&[f64]>) -> Result<Vec<f64>, CompletabilityError> {
    check_variances(mask, variances)?;
    Ok(variances.map_or_else(|| vec![1.0; mask.len()], <[f64]>::to_vec))
}

/// `variances`, when given: one finite positive value per entry.
pub(super) fn check_variances(mask: &Mask, variances: Option<&[f64]>) -> Result<(), CompletabilityError> {
    let Some(s) = variances else { return Ok(()) };
    check_values(mask, "variances", s)?;
    match s.iter().position(|&v| v <= 0.0) {
        Some(index) => Err(CompletabilityError::NonPositiveVariance { index }),
        None => Ok(()),
    }
}

/// Every query inside the matrix.
pub(super) fn check_queries(mask: &Mask, queries: &[(usize, usize)]) -> Result<(), CompletabilityError> {
    let (m, n) = (mask.nrows(), mask.ncols());
    for (entry, &(i, j)) in queries.iter().enumerate() {
        if i >= m {
            return Err(CompletabilityError::IndexOutOfRange { entry, axis: "row", index: i as i64, extent: m });
        }
        if j >= n {
            return Err(CompletabilityError::IndexOutOfRange { entry, axis: "column", index: j as i64, extent: n });
        }
    }
    Ok(())
}
