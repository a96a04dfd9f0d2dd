//! The elementwise passes of a training step, each one pass over contiguous memory, compiled
//! for AVX-512, AVX2+FMA or the baseline at run time ([`crate::simd::dispatch`]).
//!
//! Buffers are `n × B` column-major (one sample per column, features contiguous), so a bias is
//! added to each column and a bias gradient is a sum of columns (vertical adds). The passes
//! take matrix views with contiguous columns and any column stride, so that a task can run
//! them on a block of rows of a layer (see [`super::network`]).

use super::activation::*;
use super::{Activation, Float};
use crate::simd::dispatch;
use faer::{MatMut, MatRef};

/// The columns of `m`, whose rows must be contiguous (as every buffer of the engine's are).
fn columns<'a, T>(m: MatRef<'a, T>) -> impl Iterator<Item = &'a [T]> {
    m.try_as_col_major().expect("contiguous columns").col_iter().map(|c| c.as_slice())
}

fn columns_mut<'a, T>(m: MatMut<'a, T>) -> impl Iterator<Item = &'a mut [T]> {
    m.try_as_col_major_mut().expect("contiguous columns").col_iter_mut().map(|c| c.as_slice_mut())
}

/// `x ← f(x + b)` for every column `x` of `z` (`b.len()` rows); when `keep` is given (same
/// shape) it receives the pre-activation `x + b` (only [`Activation::needs_preactivation`]
/// needs it).
pub fn bias_activation<T: Float>(act: Activation, bias: &[T], z: MatMut<'_, T>, keep: Option<MatMut<'_, T>>) {
    use Activation::*;
    dispatch(
        #[inline(always)]
        || match act {
            Identity => bias_map(bias, z, keep, identity),
            Relu => bias_map(bias, z, keep, relu),
            LeakyRelu => bias_map(bias, z, keep, leaky_relu),
            Tanh => bias_map(bias, z, keep, tanh),
            Sigmoid => bias_map(bias, z, keep, sigmoid),
            Softplus => bias_map(bias, z, keep, softplus),
            Gelu => bias_map(bias, z, keep, gelu),
        },
    )
}

#[inline(always)]
fn bias_map<T: Float>(bias: &[T], z: MatMut<'_, T>, keep: Option<MatMut<'_, T>>, f: impl Fn(T) -> T) {
    debug_assert_eq!(z.nrows(), bias.len());
    match keep {
        None => {
            for col in columns_mut(z) {
                for (v, &b) in col.iter_mut().zip(bias) {
                    *v = f(*v + b);
                }
            }
        }
        Some(keep) => {
            debug_assert_eq!(keep.shape(), z.shape());
            for (col, kcol) in columns_mut(z).zip(columns_mut(keep)) {
                for ((v, k), &b) in col.iter_mut().zip(kcol).zip(bias) {
                    *k = *v + b;
                    *v = f(*k);
                }
            }
        }
    }
}

/// `d ← d ⊙ f'(v)`, where `v` (same shape as `d`) is the layer's pre-activation if
/// [`Activation::needs_preactivation`], else its output: each derivative is written in
/// terms of the one it needs.
pub fn activation_backward<T: Float>(act: Activation, v: MatRef<'_, T>, d: MatMut<'_, T>) {
    use Activation::*;
    debug_assert_eq!(v.shape(), d.shape());
    dispatch(
        #[inline(always)]
        || match act {
            Identity => {}
            Relu => scale_by(v, d, d_relu),
            LeakyRelu => scale_by(v, d, d_leaky_relu),
            Tanh => scale_by(v, d, d_tanh),
            Sigmoid => scale_by(v, d, d_sigmoid),
            Softplus => scale_by(v, d, d_softplus),
            Gelu => scale_by(v, d, d_gelu),
        },
    )
}

#[inline(always)]
fn scale_by<T: Float>(v: MatRef<'_, T>, d: MatMut<'_, T>, df: impl Fn(T) -> T) {
    for (dcol, vcol) in columns_mut(d).zip(columns(v)) {
        for (g, &v) in dcol.iter_mut().zip(vcol) {
            *g *= df(v);
        }
    }
}

/// `s ← Σ_columns d` (`s.len()` rows): the bias gradient.
pub fn column_sum<T: Float>(d: MatRef<'_, T>, s: &mut [T]) {
    debug_assert_eq!(d.nrows(), s.len());
    dispatch(
        #[inline(always)]
        || {
            s.fill(T::ZERO);
            for col in columns(d) {
                for (acc, &v) in s.iter_mut().zip(col) {
                    *acc += v;
                }
            }
        },
    )
}

/// Index of the first NaN or infinity of `x`, if any (one vectorised pass; the index is
/// searched for only when there is one).
pub fn first_non_finite<T: Float>(x: &[T]) -> Option<usize> {
    // `0·v` is ±0 for finite `v` and NaN otherwise; 16 independent sums vectorise.
    let all = dispatch(
        #[inline(always)]
        || {
            let mut acc = [T::ZERO; 16];
            let chunks = x.chunks_exact(16);
            let tail = chunks.remainder().iter().fold(T::ZERO, |s, &v| s + v * T::ZERO);
            for c in chunks {
                for (a, &v) in acc.iter_mut().zip(c) {
                    *a += v * T::ZERO;
                }
            }
            acc.iter().fold(tail, |s, &a| s + a) == T::ZERO
        },
    );
    if all {
        None
    } else {
        x.iter().position(|v| !v.is_finite())
    }
}

/// Side of the square tiles of [`transpose_into`]: a 64-byte line of `f32`.
const TILE: usize = 16;

/// `dst ← srcᵀ` (`dst` column-major, `src.ncols() × src.nrows()`). For column-major `src`,
/// by `TILE × TILE` tiles gathered in a local array: each tile reads `TILE` whole runs of a
/// column of `src` and writes `TILE` whole runs of a column of `dst`. faer's `copy_from` of the
/// transposed view instead reads one element per column in turn; for a 1024 × 256 `f32`
/// matrix, whose 4 KiB column stride puts those columns on one set of the L1 cache, that took
/// 0.76 ms on the AMD VM of docs/performance.md against 0.12 ms for the tiles.
pub fn transpose_into<T: Float>(src: MatRef<'_, T>, mut dst: MatMut<'_, T>) {
    if src.row_stride() != 1 || dst.row_stride() != 1 {
        return dst.copy_from(src.transpose());
    }
    let (src, mut dst) = (src.try_as_col_major().expect("unit row stride"), dst.try_as_col_major_mut().expect("unit row stride"));
    let (rows, cols) = (src.nrows(), src.ncols());
    // Reused: each tile reads back only the `height × width` corner it has just written.
    let mut tile = [[T::ZERO; TILE]; TILE];
    for j0 in (0..cols).step_by(TILE) {
        let width = TILE.min(cols - j0);
        for i0 in (0..rows).step_by(TILE) {
            let height = TILE.min(rows - i0);
            for j in 0..width {
                let run = &src.col(j0 + j).as_slice()[i0..i0 + height];
                for (t, &v) in tile.iter_mut().zip(run) {
                    t[j] = v;
                }
            }
            for (i, t) in tile.iter().enumerate().take(height) {
                dst.as_mut().col_mut(i0 + i).as_slice_mut()[j0..j0 + width].copy_from_slice(&t[..width]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    /// The tiles against the element-by-element transpose, for shapes with and without partial
    /// tiles (`f32` and `f64`), and the fallback for a source whose rows are not contiguous.
    #[test]
    fn transpose_into_is_the_transpose() {
        fn check<T: Float>(rows: usize, cols: usize) {
            let src = Mat::<T>::from_fn(rows, cols, |i, j| T::from_f64((i * 1000 + j) as f64));
            let mut dst = Mat::<T>::from_fn(cols, rows, |_, _| T::from_f64(-1.0));
            transpose_into(src.as_ref(), dst.as_mut());
            assert!((0..cols).all(|j| (0..rows).all(|i| dst[(j, i)] == src[(i, j)])), "{rows} x {cols}");
        }
        for (rows, cols) in [(1, 1), (16, 16), (37, 53), (1024, 256), (784, 17)] {
            check::<f32>(rows, cols);
            check::<f64>(rows, cols);
        }
        let wide = Mat::<f64>::from_fn(5, 7, |i, j| (i * 10 + j) as f64);
        let mut dst = Mat::<f64>::zeros(5, 7);
        transpose_into(wide.transpose(), dst.as_mut());
        assert_eq!(dst, wide);
    }
}
