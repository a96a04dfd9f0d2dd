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
use super::tree::join;
use super::TensorError;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// Leading extent below which lanes are used instead of slabs.
const LANE_LEFT_MAX: usize = 16;

/// The Gram matrix and the low-rank update cut the unfolding into at most `2^MAX_DEPTH`
/// blocks of at least about `MIN_BLOCK_LEN` elements (fewer for small tensors).
const MAX_DEPTH: u32 = 3;
const MIN_BLOCK_LEN: usize = 1 << 12;

/// Rows of a piece multiplied at a time by the low-rank update (the size of its temporaries).
const ROW_BLOCK: usize = 256;

/// Buffers reused by [`Unfolding::gram`] and [`Unfolding::apply_low_rank`]: repeated calls on
/// one unfolding allocate nothing after the first.
#[derive(Default)]
pub(crate) struct Workspace {
    /// Partial Gram matrices of every block but the first.
    partial: Vec<Mat<f64>>,
    /// `ROW_BLOCK × n_k` temporaries of the low-rank update, one per block.
    tmp: Vec<Vec<f64>>,
}

/// One mode of a tensor, seen as pieces of its unfolding.
///
/// Both layouts are read from the tensor viewed as the `left × n_k·right` column-major matrix
/// `V` (its column `c + n_k·r` holds the entries with mode-k index `c` and trailing index `r`):
/// slab `r` is the column block `r·n_k..(r+1)·n_k`, and lane `l` is row `l`, read as a
/// `right × n_k` matrix. A block of `V` of whole column blocks (slabs) or whole rows (lanes)
/// holds whole pieces; blocks are cut in halves, between column blocks while a block has two
/// or more and else between rows, down to a depth fixed by the tensor's size, and a block's
/// pieces are processed one after another.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unfolding {
    split: ModeSplit,
    lanes: bool,
    depth: u32,
}

/// Where a block of `V` is cut.
#[derive(Clone, Copy)]
enum Cut {
    Rows(usize),
    Cols(usize),
}

impl Cut {
    fn dims(self, rows: usize, cols: usize) -> [(usize, usize); 2] {
        match self {
            Cut::Rows(at) => [(at, cols), (rows - at, cols)],
            Cut::Cols(at) => [(rows, at), (rows, cols - at)],
        }
    }

    fn split(self, b: MatRef<'_, f64>) -> (MatRef<'_, f64>, MatRef<'_, f64>) {
        match self {
            Cut::Rows(at) => b.split_at_row(at),
            Cut::Cols(at) => b.split_at_col(at),
        }
    }

    fn split_mut(self, b: MatMut<'_, f64>) -> (MatMut<'_, f64>, MatMut<'_, f64>) {
        match self {
            Cut::Rows(at) => b.split_at_row_mut(at),
            Cut::Cols(at) => b.split_at_col_mut(at),
        }
    }
}

impl Unfolding {
    pub fn new(shape: &Shape, k: usize) -> Self {
        Self::from_split(shape.split(k))
    }

    pub fn from_split(split: ModeSplit) -> Self {
        let lanes = split.left < LANE_LEFT_MAX && split.left < split.right;
        let blocks = split.slab_len() * split.right / MIN_BLOCK_LEN;
        let depth = if blocks == 0 { 0 } else { blocks.ilog2().min(MAX_DEPTH) };
        Self { split, lanes, depth }
    }

    pub fn split(&self) -> ModeSplit {
        self.split
    }

    /// The same mode of a tensor whose mode-k extent is `n` (pieces correspond one to one).
    fn with_n(&self, n: usize) -> Self {
        Self { split: ModeSplit { n, ..self.split }, ..*self }
    }

    /// The tensor `x` as `V`.
    fn view<'a>(&self, x: &'a [f64]) -> MatRef<'a, f64> {
        let ModeSplit { left, n, right } = self.split;
        MatRef::from_column_major_slice(x, left, n * right)
    }

    fn view_mut<'a>(&self, x: &'a mut [f64]) -> MatMut<'a, f64> {
        let ModeSplit { left, n, right } = self.split;
        MatMut::from_column_major_slice_mut(x, left, n * right)
    }

    /// Where a `rows × cols` block of `V` at `depth` is cut (`None`: it is a leaf).
    fn cut(&self, rows: usize, cols: usize, depth: u32) -> Option<Cut> {
        let pieces = cols / self.split.n;
        if depth >= self.depth {
            None
        } else if pieces >= 2 {
            Some(Cut::Cols(pieces / 2 * self.split.n))
        } else if rows >= 2 {
            Some(Cut::Rows(rows / 2))
        } else {
            None
        }
    }

    /// Leaves under a `rows × cols` block at `depth`.
    fn leaves(&self, rows: usize, cols: usize, depth: u32) -> usize {
        match self.cut(rows, cols, depth) {
            None => 1,
            Some(cut) => cut.dims(rows, cols).iter().map(|&(r, c)| self.leaves(r, c, depth + 1)).sum(),
        }
    }

    fn piece_count(&self, rows: usize, cols: usize) -> usize {
        if self.lanes { rows } else { cols / self.split.n }
    }

    /// Piece `i` of a block `b` of `V`, as a `rows × n_k` view.
    fn piece<'a>(&self, b: MatRef<'a, f64>, i: usize) -> MatRef<'a, f64> {
        let n = self.split.n;
        if !self.lanes {
            return b.subcols(i * n, n);
        }
        let row = b.row(i);
        let (count, cs) = (row.ncols() / n, row.col_stride());
        // SAFETY: element (r, c) is entry c + n·r of the row, and the largest, (count·n − 1),
        // is in it; the view borrows `b` immutably for 'a.
        unsafe { MatRef::from_raw_parts(row.as_ptr(), count, n, n as isize * cs, cs) }
    }

    /// Piece `i` of `b`, writable.
    fn piece_mut<'a>(&self, b: MatMut<'a, f64>, i: usize) -> MatMut<'a, f64> {
        let n = self.split.n;
        if !self.lanes {
            return b.subcols_mut(i * n, n);
        }
        let row = b.row_mut(i);
        let (count, cs) = (row.ncols() / n, row.col_stride());
        // SAFETY: in bounds as in `piece`; distinct (r, c) are distinct entries c + n·r (c < n)
        // of the row, which is borrowed mutably for 'a.
        unsafe { MatMut::from_raw_parts_mut(row.as_ptr_mut(), count, n, n as isize * cs, cs) }
    }

    /// `out ← X_(k) X_(k)ᵀ` (lower triangle; the upper one is zeroed). Blocks are summed along
    /// a fixed tree, so the result does not depend on the thread count.
    pub fn gram(&self, x: &[f64], out: MatMut<'_, f64>, par: Par, work: &mut Workspace) {
        let (v, n) = (self.view(x), self.split.n);
        let blocks = self.leaves(v.nrows(), v.ncols(), 0);
        if work.partial.len() + 1 != blocks || work.partial.first().is_some_and(|g| g.nrows() != n) {
            work.partial = (1..blocks).map(|_| Mat::zeros(n, n)).collect();
        }
        self.gram_block(par.degree() > 1, v, out, &mut work.partial, 0);
    }

    /// The Gram matrix of block `b` at `depth` into `out`, with one matrix of `partial` for
    /// every leaf under `b` but the first.
    fn gram_block(&self, parallel: bool, b: MatRef<'_, f64>, mut out: MatMut<'_, f64>, partial: &mut [Mat<f64>], depth: u32) {
        let Some(cut) = self.cut(b.nrows(), b.ncols(), depth) else {
            out.fill(0.0);
            for i in 0..self.piece_count(b.nrows(), b.ncols()) {
                let p = self.piece(b, i);
                triangular::matmul(
                    out.rb_mut(),
                    BlockStructure::TriangularLower,
                    Accum::Add,
                    p.transpose(),
                    BlockStructure::Rectangular,
                    p,
                    BlockStructure::Rectangular,
                    1.0,
                    Par::Seq,
                );
            }
            return;
        };
        let (l, r) = cut.split(b);
        let (left, rest) = partial.split_at_mut(self.leaves(l.nrows(), l.ncols(), depth + 1) - 1);
        let (first, right) = rest.split_first_mut().expect("a partial sum for every leaf but the first");
        join(
            parallel,
            || self.gram_block(parallel, l, out.rb_mut(), left, depth + 1),
            || self.gram_block(parallel, r, first.as_mut(), right, depth + 1),
        );
        faer::zip!(out, first.as_ref()).for_each(|faer::unzip!(o, g)| *o += *g);
    }

    /// `X_(k) ← W Vᵀ X_(k)` in place, for `V`, `W` of shape `n_k × r` (a rank-r left factor;
    /// `r = 0` zeroes the tensor), block by block and, within a piece, `ROW_BLOCK` rows at a
    /// time.
    pub fn apply_low_rank(&self, x: &mut [f64], v: MatRef<'_, f64>, w: MatRef<'_, f64>, par: Par, work: &mut Workspace) {
        let n = self.split.n;
        let view = self.view_mut(x);
        let blocks = self.leaves(view.nrows(), view.ncols(), 0);
        if work.tmp.len() != blocks || work.tmp.first().is_some_and(|t| t.len() != ROW_BLOCK * n) {
            work.tmp = (0..blocks).map(|_| vec![0.0; ROW_BLOCK * n]).collect();
        }
        self.apply_block(par.degree() > 1, view, (v, w), &mut work.tmp, 0);
    }

    /// [`Self::apply_low_rank`] on block `b` at `depth`, with a temporary for every leaf under it.
    fn apply_block(&self, parallel: bool, mut b: MatMut<'_, f64>, vw: (MatRef<'_, f64>, MatRef<'_, f64>), tmp: &mut [Vec<f64>], depth: u32) {
        let Some(cut) = self.cut(b.nrows(), b.ncols(), depth) else {
            let ((v, w), r) = (vw, vw.0.ncols());
            for i in 0..self.piece_count(b.nrows(), b.ncols()) {
                let mut p = self.piece_mut(b.rb_mut(), i);
                for start in (0..p.nrows()).step_by(ROW_BLOCK) {
                    let rows = ROW_BLOCK.min(p.nrows() - start);
                    let mut block = p.rb_mut().subrows_mut(start, rows);
                    let mut t = MatMut::from_column_major_slice_mut(&mut tmp[0][..rows * r], rows, r);
                    matmul(t.rb_mut(), Accum::Replace, block.rb(), v, 1.0, Par::Seq);
                    matmul(block.rb_mut(), Accum::Replace, t.rb(), w.transpose(), 1.0, Par::Seq);
                }
            }
            return;
        };
        let (l, r) = cut.split_mut(b);
        let (left, right) = tmp.split_at_mut(self.leaves(l.nrows(), l.ncols(), depth + 1));
        join(
            parallel,
            || self.apply_block(parallel, l, vw, left, depth + 1),
            || self.apply_block(parallel, r, vw, right, depth + 1),
        );
    }

    /// `y ← x ×_k M`, i.e. `Y_(k) = M X_(k)`, for `M` of shape `J × n_k` and `y` of the
    /// tensor's shape with mode k of extent `J`.
    pub fn mode_product(&self, x: &[f64], m: MatRef<'_, f64>, y: &mut [f64], par: Par) {
        let (out, x) = (self.with_n(m.nrows()), self.view(x));
        let mut y = out.view_mut(y);
        for i in 0..self.piece_count(x.nrows(), x.ncols()) {
            matmul(out.piece_mut(y.rb_mut(), i), Accum::Replace, self.piece(x, i), m.transpose(), 1.0, par);
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
