//! Mode-k unfoldings without copies.
//!
//! In column-major storage the mode-k unfolding `X_(k)` (`n_k × N/n_k`) is, up to the order of
//! its columns, the horizontal concatenation `[P_1ᵀ … P_pᵀ]` of strided *pieces* `P_i`, each a
//! `rows × n_k` view into the tensor:
//! - slabs: `right` contiguous `left × n_k` column-major blocks (one per trailing index);
//! - lanes: `left` views of shape `right × n_k` (one per leading index), used when `left` is
//!   small so that each piece stays large.
//!
//! Everything the solvers need is invariant to the column order: the Gram matrix
//! `X_(k) X_(k)ᵀ = Σ P_iᵀ P_i`, left products `X_(k) ← M X_(k)` (piecewise `P_i ← P_i Mᵀ`) and
//! mode products. [`unfold`] and [`fold`] materialise Kolda's order (the other indices in
//! increasing column-major order) for callers who want the matrix itself.

use super::shape::{check_mode, ModeSplit, Shape};
use super::TensorError;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Leading extent below which lanes are used instead of slabs.
const LANE_LEFT_MAX: usize = 16;

/// Number of partial Gram matrices when an unfolding has many pieces.
const GRAM_GROUPS: usize = 8;

/// Buffers reused by [`Unfolding::gram`] and [`Unfolding::apply_low_rank`]: repeated calls on
/// one unfolding allocate nothing after the first (temporaries are sized for rank `n_k`).
#[derive(Default)]
pub(crate) struct Workspace {
    /// Partial Gram matrices, one per group of pieces.
    partial: Vec<Mat<f64>>,
    /// `rows × r` temporaries, one per group of slabs processed in parallel.
    tmp: Vec<Vec<f64>>,
}

/// One mode of a tensor, seen as pieces of its unfolding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unfolding {
    split: ModeSplit,
    lanes: bool,
}

impl Unfolding {
    pub fn new(shape: &Shape, k: usize) -> Self {
        Self::from_split(shape.split(k))
    }

    pub fn from_split(split: ModeSplit) -> Self {
        let lanes = split.left < LANE_LEFT_MAX && split.left < split.right;
        Self { split, lanes }
    }

    pub fn split(&self) -> ModeSplit {
        self.split
    }

    /// The same mode of a tensor whose mode-k extent is `n` (pieces correspond one to one).
    fn with_n(&self, n: usize) -> Self {
        Self { split: ModeSplit { n, ..self.split }, lanes: self.lanes }
    }

    fn count(&self) -> usize {
        if self.lanes { self.split.left } else { self.split.right }
    }

    /// `(offset, rows, row_stride, col_stride)` of piece `i`.
    fn layout(&self, i: usize) -> (usize, usize, usize, usize) {
        let ModeSplit { left, n, right } = self.split;
        if self.lanes { (i, right, left * n, left) } else { (i * left * n, left, 1, left) }
    }

    /// Length of the tensor this unfolding describes.
    fn len(&self) -> usize {
        self.split.slab_len() * self.split.right
    }

    /// Piece `i` of `x` as a `rows × n_k` view.
    pub fn piece<'a>(&self, x: &'a [f64], i: usize) -> MatRef<'a, f64> {
        assert!(x.len() == self.len() && i < self.count());
        let (offset, rows, rs, cs) = self.layout(i);
        // SAFETY: the largest offset reached, offset + (rows−1)·rs + (n−1)·cs, is below
        // x.len() for both layouts (checked by the assert above on the tensor's length), and
        // the view borrows `x` immutably for 'a.
        unsafe { MatRef::from_raw_parts(x.as_ptr().add(offset), rows, self.split.n, rs as isize, cs as isize) }
    }

    /// Piece `i` of `x`, writable.
    pub fn piece_mut<'a>(&self, x: &'a mut [f64], i: usize) -> MatMut<'a, f64> {
        assert!(x.len() == self.len() && i < self.count());
        let (offset, rows, rs, cs) = self.layout(i);
        // SAFETY: in bounds as in `piece`; distinct (row, col) pairs map to distinct elements
        // (cs·n ≤ rs for lanes, rows ≤ cs for slabs), and `x` is borrowed mutably for 'a.
        unsafe { MatMut::from_raw_parts_mut(x.as_mut_ptr().add(offset), rows, self.split.n, rs as isize, cs as isize) }
    }

    /// Whether pieces are contiguous slabs (then they can be processed in parallel safely).
    fn slabs(&self) -> bool {
        !self.lanes
    }

    /// `out ← X_(k) X_(k)ᵀ` (lower triangle only; the upper one is left untouched). Pieces are
    /// summed in a fixed grouping, so the result does not depend on the thread count.
    pub fn gram(&self, x: &[f64], mut out: MatMut<'_, f64>, par: Par, work: &mut Workspace) {
        let count = self.count();
        out.fill(0.0);
        if count < 2 * GRAM_GROUPS {
            self.gram_range(x, out, 0..count, par);
            return;
        }
        let (n, group) = (self.split.n, count.div_ceil(GRAM_GROUPS));
        let groups = count.div_ceil(group);
        if work.partial.len() != groups || work.partial.first().is_some_and(|g| g.nrows() != n) {
            work.partial = (0..groups).map(|_| Mat::zeros(n, n)).collect();
        }
        let partial_gram = |(g, partial): (usize, &mut Mat<f64>)| {
            partial.fill(0.0);
            self.gram_range(x, partial.as_mut(), g * group..((g + 1) * group).min(count), Par::Seq);
        };
        if par.degree() > 1 {
            work.partial.par_iter_mut().enumerate().for_each(partial_gram);
        } else {
            work.partial.iter_mut().enumerate().for_each(partial_gram);
        }
        for g in &work.partial {
            faer::zip!(out.rb_mut(), g.as_ref()).for_each(|faer::unzip!(o, g)| *o += *g);
        }
    }

    fn gram_range(&self, x: &[f64], mut out: MatMut<'_, f64>, pieces: core::ops::Range<usize>, par: Par) {
        for i in pieces {
            let p = self.piece(x, i);
            triangular::matmul(
                out.rb_mut(),
                BlockStructure::TriangularLower,
                Accum::Add,
                p.transpose(),
                BlockStructure::Rectangular,
                p,
                BlockStructure::Rectangular,
                1.0,
                par,
            );
        }
    }

    /// `X_(k) ← W Vᵀ X_(k)` in place, for `V`, `W` of shape `n_k × r` (a rank-r left factor;
    /// `r = 0` zeroes the tensor). Slabs run in parallel in at most `4 × threads` groups, each
    /// with its own temporary from `work`.
    pub fn apply_low_rank(&self, x: &mut [f64], v: MatRef<'_, f64>, w: MatRef<'_, f64>, par: Par, work: &mut Workspace) {
        let r = v.ncols();
        let (_, rows, _, _) = self.layout(0);
        let apply = |p: MatMut<'_, f64>, tmp: &mut Vec<f64>, par: Par| {
            if tmp.len() < rows * self.split.n {
                tmp.resize(rows * self.split.n, 0.0);
            }
            let mut t = MatMut::from_column_major_slice_mut(&mut tmp[..rows * r], rows, r);
            matmul(t.rb_mut(), Accum::Replace, p.rb(), v, 1.0, par);
            matmul(p, Accum::Replace, t.rb(), w.transpose(), 1.0, par);
        };
        let count = self.count();
        let groups = if self.slabs() && par.degree() > 1 { count.min(4 * par.degree()) } else { 1 };
        if work.tmp.len() < groups {
            work.tmp.resize_with(groups, Vec::new);
        }
        if groups > 1 {
            let (len, left, n) = (self.split.slab_len(), self.split.left, self.split.n);
            let per = count.div_ceil(groups);
            x.par_chunks_mut(per * len).zip(work.tmp.par_iter_mut()).for_each(|(chunk, tmp)| {
                for slab in chunk.chunks_mut(len) {
                    apply(MatMut::from_column_major_slice_mut(slab, left, n), tmp, Par::Seq);
                }
            });
        } else {
            for i in 0..count {
                apply(self.piece_mut(x, i), &mut work.tmp[0], par);
            }
        }
    }

    /// `y ← x ×_k M`, i.e. `Y_(k) = M X_(k)`, for `M` of shape `J × n_k` and `y` of the
    /// tensor's shape with mode k of extent `J`.
    pub fn mode_product(&self, x: &[f64], m: MatRef<'_, f64>, y: &mut [f64], par: Par) {
        let out = self.with_n(m.nrows());
        for i in 0..self.count() {
            matmul(out.piece_mut(y, i), Accum::Replace, self.piece(x, i), m.transpose(), 1.0, par);
        }
    }
}

/// The mode-k unfolding `X_(k)` (`n_k × N/n_k`) of a tensor, columns in Kolda's order.
pub fn unfold(x: &[f64], shape: &Shape, k: usize) -> Mat<f64> {
    let s = shape.split(k);
    let mut m = Mat::zeros(s.n, s.cols());
    unfold_into(x, shape, k, m.as_mut());
    m
}

/// [`unfold`] into `out` (`n_k × N/n_k`).
pub(crate) fn unfold_into(x: &[f64], shape: &Shape, k: usize, mut out: MatMut<'_, f64>) {
    let ModeSplit { left, n, right } = shape.split(k);
    assert!(x.len() == shape.len() && out.nrows() == n && out.ncols() == left * right);
    for r in 0..right {
        for i in 0..n {
            for l in 0..left {
                out[(i, l + left * r)] = x[l + left * (i + n * r)];
            }
        }
    }
}

/// The inverse of [`unfold`]: the tensor of shape `shape` whose mode-k unfolding is `m`.
pub fn fold(m: MatRef<'_, f64>, shape: &Shape, k: usize) -> Vec<f64> {
    let mut x = vec![0.0; shape.len()];
    fold_into(m, shape, k, &mut x);
    x
}

/// [`fold`] into `x`.
pub(crate) fn fold_into(m: MatRef<'_, f64>, shape: &Shape, k: usize, x: &mut [f64]) {
    let ModeSplit { left, n, right } = shape.split(k);
    assert!(x.len() == shape.len() && m.nrows() == n && m.ncols() == left * right);
    for r in 0..right {
        for i in 0..n {
            for l in 0..left {
                x[l + left * (i + n * r)] = m[(i, l + left * r)];
            }
        }
    }
}

/// The mode-k product `x ×_k M` (`M` of shape `J × n_k`) and its shape.
pub fn mode_product(
    x: &[f64],
    shape: &Shape,
    k: usize,
    m: MatRef<'_, f64>,
    par: Par,
) -> Result<(Vec<f64>, Shape), TensorError> {
    check_mode(shape, k)?;
    if x.len() != shape.len() {
        return Err(TensorError::LengthMismatch { what: "tensor", expected: shape.len(), got: x.len() });
    }
    if m.ncols() != shape.dim(k) {
        return Err(TensorError::LengthMismatch { what: "matrix columns", expected: shape.dim(k), got: m.ncols() });
    }
    let out_shape = shape.with_dim(k, m.nrows())?;
    let mut y = vec![0.0; out_shape.len()];
    Unfolding::new(shape, k).mode_product(x, m, &mut y, par);
    Ok((y, out_shape))
}
