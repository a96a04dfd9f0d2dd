//! Singular values and singular value thresholding of mode-k unfoldings.
//!
//! The proximal operator of `τ‖·‖_*` at `X_(k) = U Σ Vᵀ` is `U (Σ − τ)₊ Vᵀ`. For a short-fat
//! unfolding (`n_k ≤ N/n_k`, the usual case) it is computed without any SVD or copy:
//! `G = X_(k) X_(k)ᵀ = U Σ² Uᵀ` is accumulated piecewise, a symmetric eigensolver gives `U` and
//! `σ_i = √λ_i`, and `X_(k) ← U_r diag(1 − τ/σ_i) U_rᵀ X_(k)` over the `r` values above `τ` is
//! applied piecewise in place. Eigenvalues of `G` carry an absolute error of about
//! `ε σ_max²`, so singular values below about `√ε σ_max ≈ 1.5e-8 σ_max` are not resolved; when
//! `τ` falls below [`GRAM_MIN_RELATIVE_THRESHOLD`]` · σ_max`, or the unfolding is tall, the
//! unfolding is copied out and thresholded through a thin SVD instead.

use super::shape::{check_mode, Shape};
use super::unfold::{fold_into, unfold_into, Unfolding, Workspace};
use super::TensorError;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::linalg::svd::{self, ComputeSvdVectors};
use faer::{Accum, Mat, Par};

/// Smallest `τ / σ_max` for which thresholding goes through the Gram matrix.
pub const GRAM_MIN_RELATIVE_THRESHOLD: f64 = 1e-6;

/// The singular values of the mode-k unfolding `X_(k)`, nonincreasing.
pub fn singular_values(x: &[f64], shape: &Shape, k: usize, par: Par) -> Result<Vec<f64>, TensorError> {
    check_tensor(x, shape, k)?;
    Ok(ModeSpectrum::new(shape, k, par).singular_values(x)?.to_vec())
}

/// Singular value thresholding of the mode-k unfolding in place:
/// `X_(k) ← prox_{τ‖·‖_*}(X_(k)) = U (Σ − τ)₊ Vᵀ`, for `τ ≥ 0`.
pub fn prox_nuclear(x: &mut [f64], shape: &Shape, k: usize, tau: f64, par: Par) -> Result<Shrinkage, TensorError> {
    check_tensor(x, shape, k)?;
    if !(tau >= 0.0 && tau.is_finite()) {
        return Err(TensorError::InvalidParameter { name: "tau", value: tau, requirement: "finite and >= 0" });
    }
    ModeSpectrum::new(shape, k, par).shrink(x, tau)
}

fn check_tensor(x: &[f64], shape: &Shape, k: usize) -> Result<(), TensorError> {
    check_mode(shape, k)?;
    if x.len() != shape.len() {
        return Err(TensorError::LengthMismatch { what: "tensor", expected: shape.len(), got: x.len() });
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(TensorError::NonFinite { what: "tensor", index }),
        None => Ok(()),
    }
}

/// What one thresholding did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shrinkage {
    /// Singular values kept (`σ_i > τ`).
    pub rank: usize,
    /// Nuclear norm of the result, `Σ (σ_i − τ)₊`.
    pub nuclear_norm: f64,
    /// Largest singular value of the input.
    pub sigma_max: f64,
}

/// Buffers of the thin SVD `X_(k) = U Σ Vᵀ` of a copied unfolding, made on the first call of
/// [`DenseSvd::decompose`] (most modes never need them) and reused after it.
struct DenseSvd {
    /// The unfolding; after thresholding, the thresholded unfolding.
    a: Mat<f64>,
    s: Diag<f64>,
    u: Mat<f64>,
    v: Mat<f64>,
    stack: MemBuffer,
}

impl DenseSvd {
    fn new() -> Self {
        Self { a: Mat::new(), s: Diag::zeros(0), u: Mat::new(), v: Mat::new(), stack: MemBuffer::new(StackReq::EMPTY) }
    }

    /// The thin SVD of `x`'s mode-k unfolding into `a`, `s`, `u`, `v`; `sigma` gets the
    /// singular values (nonincreasing).
    fn decompose(&mut self, x: &[f64], shape: &Shape, k: usize, sigma: &mut Vec<f64>) -> Result<(), TensorError> {
        let split = shape.split(k);
        let (n, cols) = (split.n, split.cols());
        if self.a.nrows() != n || self.a.ncols() != cols {
            let size = n.min(cols);
            let thin = ComputeSvdVectors::Thin;
            *self = Self {
                a: Mat::zeros(n, cols),
                s: Diag::zeros(size),
                u: Mat::zeros(n, size),
                v: Mat::zeros(cols, size),
                stack: MemBuffer::new(svd::svd_scratch::<f64>(n, cols, thin, thin, Par::Seq, Default::default())),
            };
        }
        unfold_into(x, shape, k, self.a.as_mut());
        svd::svd(
            self.a.as_ref(),
            self.s.as_mut(),
            Some(self.u.as_mut()),
            Some(self.v.as_mut()),
            Par::Seq,
            MemStack::new(&mut self.stack),
            Default::default(),
        )
        .map_err(|_| TensorError::Decomposition("singular value decomposition"))?;
        sigma.clear();
        sigma.extend(self.s.column_vector().iter().copied());
        Ok(())
    }
}

/// Reusable workspace for the spectral operations on one mode of one tensor shape: after the
/// first call of each operation, calls allocate nothing (except
/// [`ModeSpectrum::left_singular_vectors`], which returns a new matrix).
pub(crate) struct ModeSpectrum {
    shape: Shape,
    k: usize,
    unfolding: Unfolding,
    work: Workspace,
    gram: Mat<f64>,
    eigenvalues: Diag<f64>,
    eigenvectors: Mat<f64>,
    /// Singular values in nonincreasing order, from the last call.
    sigma: Vec<f64>,
    factors: (Mat<f64>, Mat<f64>),
    stack: MemBuffer,
    dense: DenseSvd,
    /// Parallelism of the Gram matrix and the low-rank update, cut into blocks of fixed
    /// sizes; faer's routines (eigensolver, SVD, products) are called sequentially, since in
    /// parallel they allocate on every call.
    par: Par,
}

impl ModeSpectrum {
    pub fn new(shape: &Shape, k: usize, par: Par) -> Self {
        let n = shape.dim(k);
        let scratch = evd::self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::Yes, Par::Seq, Default::default());
        Self {
            shape: shape.clone(),
            k,
            unfolding: Unfolding::new(shape, k),
            work: Workspace::default(),
            gram: Mat::zeros(n, n),
            eigenvalues: Diag::zeros(n),
            eigenvectors: Mat::zeros(n, n),
            sigma: Vec::with_capacity(n),
            factors: (Mat::zeros(n, n), Mat::zeros(n, n)),
            stack: MemBuffer::new(scratch),
            dense: DenseSvd::new(),
            par,
        }
    }

    /// `√min(n_k, N/n_k)`: the largest ratio `‖M‖_* / ‖M‖_F` over matrices of the
    /// unfolding's shape.
    pub fn nuclear_norm_slack(&self) -> f64 {
        let s = self.unfolding.split();
        (s.n.min(s.cols()) as f64).sqrt()
    }

    fn is_short_fat(&self) -> bool {
        let s = self.unfolding.split();
        s.n <= s.cols()
    }

    /// Eigen-decomposes the Gram matrix of `x`'s unfolding; fills `sigma` (nonincreasing).
    fn decompose_gram(&mut self, x: &[f64], vectors: bool) -> Result<(), TensorError> {
        self.unfolding.gram(x, self.gram.as_mut(), self.par, &mut self.work);
        let u = if vectors { Some(self.eigenvectors.as_mut()) } else { None };
        evd::self_adjoint_evd(
            self.gram.as_ref(),
            self.eigenvalues.as_mut(),
            u,
            Par::Seq,
            MemStack::new(&mut self.stack),
            Default::default(),
        )
        .map_err(|_| TensorError::Decomposition("symmetric eigensolver"))?;
        self.sigma.clear();
        self.sigma.extend(self.eigenvalues.column_vector().iter().rev().map(|&l| l.max(0.0).sqrt()));
        Ok(())
    }

    /// Singular values of `x`'s unfolding by a thin SVD of the copied unfolding.
    fn dense_svd(&mut self, x: &[f64]) -> Result<(), TensorError> {
        self.dense.decompose(x, &self.shape, self.k, &mut self.sigma)
    }

    /// The singular values of `X_(k)`, nonincreasing (`min(n_k, N/n_k)` of them).
    pub fn singular_values(&mut self, x: &[f64]) -> Result<&[f64], TensorError> {
        if self.is_short_fat() {
            self.decompose_gram(x, false)?;
        } else {
            self.dense_svd(x)?;
        }
        Ok(&self.sigma)
    }

    /// The nuclear norm `‖X_(k)‖_*`.
    pub fn nuclear_norm(&mut self, x: &[f64]) -> Result<f64, TensorError> {
        Ok(self.singular_values(x)?.iter().sum())
    }

    /// The spectral norm `‖X_(k)‖_op`.
    pub fn spectral_norm(&mut self, x: &[f64]) -> Result<f64, TensorError> {
        Ok(self.singular_values(x)?.first().copied().unwrap_or(0.0))
    }

    /// The top `r` left singular vectors of `X_(k)` (an `n_k × r` matrix), with the singular
    /// values in `self.sigma`.
    pub fn left_singular_vectors(&mut self, x: &[f64], r: usize) -> Result<Mat<f64>, TensorError> {
        if self.is_short_fat() {
            self.decompose_gram(x, true)?;
            let n = self.shape.dim(self.k);
            Ok(Mat::from_fn(n, r, |i, j| self.eigenvectors[(i, n - 1 - j)]))
        } else {
            self.dense_svd(x)?;
            Ok(self.dense.u.subcols(0, r).to_owned())
        }
    }

    /// `X_(k) ← prox_{τ‖·‖_*}(X_(k))` in place.
    pub fn shrink(&mut self, x: &mut [f64], tau: f64) -> Result<Shrinkage, TensorError> {
        if self.is_short_fat() {
            self.decompose_gram(x, true)?;
            let sigma_max = self.sigma.first().copied().unwrap_or(0.0);
            if tau >= GRAM_MIN_RELATIVE_THRESHOLD * sigma_max {
                return Ok(self.shrink_through_gram(x, tau, sigma_max));
            }
        }
        self.shrink_through_svd(x, tau)
    }

    fn shrink_through_gram(&mut self, x: &mut [f64], tau: f64, sigma_max: f64) -> Shrinkage {
        let n = self.shape.dim(self.k);
        let rank = self.sigma.iter().take_while(|&&s| s > tau).count();
        let (v, w) = &mut self.factors;
        for j in 0..rank {
            let col = n - 1 - j;
            let scale = 1.0 - tau / self.sigma[j];
            for i in 0..n {
                let u = self.eigenvectors[(i, col)];
                v[(i, j)] = u;
                w[(i, j)] = u * scale;
            }
        }
        self.unfolding.apply_low_rank(x, v.as_ref().subcols(0, rank), w.as_ref().subcols(0, rank), self.par, &mut self.work);
        Shrinkage { rank, nuclear_norm: self.sigma[..rank].iter().map(|s| s - tau).sum(), sigma_max }
    }

    fn shrink_through_svd(&mut self, x: &mut [f64], tau: f64) -> Result<Shrinkage, TensorError> {
        self.dense_svd(x)?;
        let rank = self.sigma.iter().take_while(|&&s| s > tau).count();
        let DenseSvd { a, u, v, .. } = &mut self.dense;
        for (j, &s) in self.sigma[..rank].iter().enumerate() {
            v.col_mut(j).iter_mut().for_each(|v| *v *= s - tau);
        }
        matmul(a.as_mut(), Accum::Replace, u.subcols(0, rank), v.subcols(0, rank).transpose(), 1.0, Par::Seq);
        fold_into(a.as_ref(), &self.shape, self.k, x);
        let sigma_max = self.sigma.first().copied().unwrap_or(0.0);
        Ok(Shrinkage { rank, nuclear_norm: self.sigma[..rank].iter().map(|s| s - tau).sum(), sigma_max })
    }
}
