//! Shapes of dense column-major tensors and the three-way split `left × n_k × right` that
//! turns every mode-k operation into a loop over contiguous slabs.

use super::TensorError;

/// Largest supported order `K` (number of modes).
pub const MAX_ORDER: usize = 16;

/// The extents `n_1 × … × n_K` of a dense tensor stored column-major (first index fastest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    dims: Vec<usize>,
    len: usize,
}

impl Shape {
    /// Checks `1 ≤ K ≤ MAX_ORDER`, every `n_k ≥ 1`, and that `Π n_k` elements of `f64` are
    /// addressable.
    pub fn new(dims: &[usize]) -> Result<Self, TensorError> {
        if dims.is_empty() || dims.len() > MAX_ORDER {
            return Err(TensorError::InvalidOrder(dims.len()));
        }
        if let Some(mode) = dims.iter().position(|&n| n == 0) {
            return Err(TensorError::ZeroExtent { mode });
        }
        let max = isize::MAX as usize / core::mem::size_of::<f64>();
        let len = dims
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n).filter(|&l| l <= max))
            .ok_or(TensorError::TooLarge)?;
        Ok(Self { dims: dims.to_vec(), len })
    }

    /// The order `K`.
    pub fn order(&self) -> usize {
        self.dims.len()
    }

    /// The extents.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// `n_k`.
    pub fn dim(&self, k: usize) -> usize {
        self.dims[k]
    }

    /// Number of elements `N = Π n_k`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: every extent is at least 1.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `left = Π_{j<k} n_j`, `n_k`, `right = Π_{j>k} n_j`: element `(i_1, …, i_K)` sits at
    /// `l + left·(i_k + n_k·r)` with `l`, `r` the column-major indices of the other modes.
    pub fn split(&self, k: usize) -> ModeSplit {
        let left = self.dims[..k].iter().product();
        let right = self.dims[k + 1..].iter().product();
        ModeSplit { left, n: self.dims[k], right }
    }

    /// The shape with mode `k` replaced by `n`.
    pub fn with_dim(&self, k: usize, n: usize) -> Result<Self, TensorError> {
        let mut dims = self.dims.clone();
        dims[k] = n;
        Self::new(&dims)
    }

    /// Column-major linear index of a multi-index, or `None` when out of range.
    pub fn linear_index(&self, index: impl IntoIterator<Item = usize>) -> Option<usize> {
        let mut stride = 1;
        let mut linear = 0;
        let mut count = 0;
        for (i, &n) in index.into_iter().zip(&self.dims) {
            if i >= n {
                return None;
            }
            linear += i * stride;
            stride *= n;
            count += 1;
        }
        (count == self.dims.len()).then_some(linear)
    }
}

/// A tensor seen along mode `k` as `right` slabs, each a `left × n` column-major matrix.
/// The mode-k unfolding `X_(k)` (`n × left·right`, columns in Kolda's order) is the
/// horizontal concatenation of the transposed slabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeSplit {
    /// Product of the extents before mode `k`.
    pub left: usize,
    /// `n_k`.
    pub n: usize,
    /// Product of the extents after mode `k`.
    pub right: usize,
}

impl ModeSplit {
    /// Columns of the unfolding, `N / n_k`.
    pub fn cols(&self) -> usize {
        self.left * self.right
    }

    /// Elements per slab.
    pub fn slab_len(&self) -> usize {
        self.left * self.n
    }
}

/// Checks that `k` names a mode of `shape`.
pub(crate) fn check_mode(shape: &Shape, k: usize) -> Result<(), TensorError> {
    if k < shape.order() { Ok(()) } else { Err(TensorError::ModeOutOfRange { mode: k, order: shape.order() }) }
}
