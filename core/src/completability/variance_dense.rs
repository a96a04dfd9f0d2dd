//! The dense factorisations of the Fisher matrix, through faer with an explicit `Par`.

use super::CompletabilityError;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::diag::Diag;
use faer::{Mat, MatMut, Par};

/// Solves `A X = B` in place of `B` for a symmetric positive definite `A` (lower triangle
/// used, overwritten by its Cholesky factor).
pub(super) fn cholesky_solve(a: &mut Mat<f64>, b: MatMut<'_, f64>, par: Par) -> Result<(), CompletabilityError> {
    let n = a.nrows();
    let scratch = llt::factor::cholesky_in_place_scratch::<f64>(n, par, Default::default())
        .or(llt::solve::solve_in_place_scratch::<f64>(n, b.ncols(), par));
    let mut buffer = MemBuffer::new(scratch);
    let stack = MemStack::new(&mut buffer);
    llt::factor::cholesky_in_place(a.as_mut(), Default::default(), par, stack, Default::default())
        .map_err(|_| CompletabilityError::Decomposition("Cholesky factorisation"))?;
    llt::solve::solve_in_place_with_conj(a.as_ref(), faer::Conj::No, b, par, stack);
    Ok(())
}

/// Eigenvalues (nondecreasing) and eigenvectors of a symmetric `A` (lower triangle used).
pub(super) fn symmetric_eigen(a: &Mat<f64>, par: Par) -> Result<(Vec<f64>, Mat<f64>), CompletabilityError> {
    let n = a.nrows();
    let mut buffer = MemBuffer::new(evd::self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, par, Default::default()));
    let mut values = Diag::<f64>::zeros(n);
    let mut vectors = Mat::<f64>::zeros(n, n);
    evd::self_adjoint_evd(a.as_ref(), values.as_mut(), Some(vectors.as_mut()), par, MemStack::new(&mut buffer), Default::default())
        .map_err(|_| CompletabilityError::Decomposition("symmetric eigendecomposition"))?;
    Ok((values.column_vector().iter().copied().collect(), vectors))
}
