//! Row echelon form over F_p by blocked Gaussian elimination on balanced residues in `f64`,
//! and uniformly random kernel vectors from it.
//!
//! Columns are processed in panels of [`DELAY`]. Inside a panel, pivots are found column by
//! column (the first nonzero residue below the current rank; any nonzero pivot is exact) and
//! the rest of the panel is updated with delayed reduction. The trailing matrix is then
//! updated by one faer matmul of inner dimension ≤ [`DELAY`], `A₂₂ ← A₂₂ − L₂₁ (L₁₁⁻¹ A₁₂)`,
//! exact in `f64`, and reduced. Every partial sum is an integer below 2⁵³, so the result does
//! not depend on faer's summation order or thread count.

use super::field::{self, DELAY};
use crate::rng::SplitMix64;
use faer::linalg::matmul::matmul;
use faer::reborrow::ReborrowMut;
use faer::{Accum, Mat, MatMut, Par};
use rayon::prelude::*;

/// `A = P⁻¹ L U` in place: row `t < rank` of `a` holds U from its pivot column
/// `pivots[t]` on; everything left of and below the pivots is elimination data.
pub(crate) struct Echelon {
    a: Mat<f64>,
    pivots: Vec<usize>,
}

impl Echelon {
    /// Eliminates `a` (entries balanced residues).
    pub(crate) fn new(mut a: Mat<f64>, par: Par) -> Self {
        let (nr, nc) = (a.nrows(), a.ncols());
        let mut pivots = Vec::new();
        let mut c0 = 0;
        while c0 < nc && pivots.len() < nr {
            let c1 = (c0 + DELAY).min(nc);
            let rank0 = pivots.len();
            for c in c0..c1 {
                let rk = pivots.len();
                if rk == nr {
                    break;
                }
                let col = &mut a.col_as_slice_mut(c)[rk..];
                col.iter_mut().for_each(|x| *x = field::reduce(*x));
                let Some(t) = col.iter().position(|&x| x != 0.0).map(|t| t + rk) else { continue };
                if t != rk {
                    (0..nc).for_each(|k| a.col_as_slice_mut(k).swap(rk, t));
                }
                let s = field::to_balanced(field::inv(field::to_canonical(a[(rk, c)])));
                let lower: Vec<f64> = a.col_as_slice_mut(c)[rk + 1..]
                    .iter_mut()
                    .map(|x| {
                        *x = field::reduce(*x * s);
                        *x
                    })
                    .collect();
                for c2 in c + 1..c1 {
                    let col = a.col_as_slice_mut(c2);
                    col[rk] = field::reduce(col[rk]);
                    let u = col[rk];
                    if u != 0.0 {
                        col[rk + 1..].iter_mut().zip(&lower).for_each(|(x, &l)| *x -= l * u);
                    }
                }
                pivots.push(c);
            }
            let k = pivots.len() - rank0;
            if k > 0 && c1 < nc {
                trailing_update(&mut a, rank0, &pivots[rank0..], c1, par);
            }
            c0 = c1;
        }
        Self { a, pivots }
    }

    /// The rank.
    pub(crate) fn rank(&self) -> usize {
        self.pivots.len()
    }

    /// `count` uniformly random elements of the right kernel, canonical, vector `v` in
    /// `out[v·n..(v + 1)·n]`: the free columns are drawn uniformly, the pivot variables
    /// follow by back substitution, column by column from the right (contiguous access,
    /// delayed reduction of the row accumulators).
    pub(crate) fn kernel(&self, count: usize, rng: &mut SplitMix64) -> Vec<u64> {
        let (nc, rank) = (self.a.ncols(), self.rank());
        let mut row_of = vec![usize::MAX; nc];
        for (t, &c) in self.pivots.iter().enumerate() {
            row_of[c] = t;
        }
        let inverse: Vec<f64> = self
            .pivots
            .iter()
            .enumerate()
            .map(|(t, &c)| field::to_balanced(field::inv(field::to_canonical(self.a[(t, c)]))))
            .collect();
        let mut z = vec![0.0f64; nc * count];
        let mut acc = vec![0.0f64; rank * count];
        let mut above = rank;
        for (step, c) in (0..nc).rev().enumerate() {
            if step % DELAY == 0 {
                acc.iter_mut().for_each(|x| *x = field::reduce(*x));
            }
            if row_of[c] != usize::MAX {
                let t = row_of[c];
                above = t;
                for v in 0..count {
                    z[v * nc + c] = field::reduce(-field::reduce(acc[v * rank + t]) * inverse[t]);
                }
            } else {
                for v in 0..count {
                    z[v * nc + c] = field::to_balanced(rng.below(field::P));
                }
            }
            let column = &self.a.col_as_slice(c)[..above];
            for v in 0..count {
                let zc = z[v * nc + c];
                acc[v * rank..v * rank + above].iter_mut().zip(column).for_each(|(s, &u)| *s += u * zc);
            }
        }
        z.into_iter().map(field::to_canonical).collect()
    }
}

/// After a panel with pivot rows `rank0..rank0 + k` in columns `pivots`: `U₁₂ = L₁₁⁻¹ A₁₂`
/// for the trailing columns `c1..`, then `A₂₂ −= L₂₁ U₁₂`, both reduced.
fn trailing_update(a: &mut Mat<f64>, rank0: usize, pivots: &[usize], c1: usize, par: Par) {
    let (nr, nc, k) = (a.nrows(), a.ncols(), pivots.len());
    let below = rank0 + k;
    // L₁₁⁻¹ (unit lower triangular), column by column over canonical residues.
    let l = |t: usize, s: usize| field::to_canonical(a[(rank0 + t, pivots[s])]);
    let mut linv = Mat::<f64>::zeros(k, k);
    for s in 0..k {
        let mut x = vec![0u64; k];
        x[s] = 1;
        for t in s + 1..k {
            let sum = (s..t).fold(0u64, |acc, q| field::add(acc, field::mul(l(t, q), x[q])));
            x[t] = field::neg(sum);
        }
        for t in s..k {
            linv[(t, s)] = field::to_balanced(x[t]);
        }
    }
    let mut u12 = Mat::<f64>::zeros(k, nc - c1);
    matmul(u12.as_mut(), Accum::Replace, linv.as_ref(), a.as_ref().submatrix(rank0, c1, k, nc - c1), 1.0, par);
    reduce_all(u12.as_mut(), par);
    a.as_mut().submatrix_mut(rank0, c1, k, nc - c1).copy_from(&u12);
    if below < nr {
        let l21 = Mat::<f64>::from_fn(nr - below, k, |i, s| a[(below + i, pivots[s])]);
        let a22 = a.as_mut().submatrix_mut(below, c1, nr - below, nc - c1);
        // Column blocks small enough to stay in cache between the product and its reduction.
        let update = |(b, mut block): (usize, MatMut<'_, f64>)| {
            let rhs = u12.as_ref().subcols(b * BLOCK, block.ncols());
            for r0 in (0..block.nrows()).step_by(ROW_BLOCK) {
                let h = ROW_BLOCK.min(block.nrows() - r0);
                let mut tile = block.rb_mut().subrows_mut(r0, h);
                matmul(tile.rb_mut(), Accum::Add, l21.as_ref().subrows(r0, h), rhs, -1.0, Par::Seq);
                reduce_all(tile, Par::Seq);
            }
        };
        if par.degree() > 1 {
            a22.par_col_chunks_mut(BLOCK).enumerate().for_each(update);
        } else {
            let mut a22 = a22;
            for b in 0..(nc - c1).div_ceil(BLOCK) {
                let width = BLOCK.min(nc - c1 - b * BLOCK);
                update((b, a22.rb_mut().subcols_mut(b * BLOCK, width)));
            }
        }
    }
}

/// Columns of the trailing matrix per update block.
const BLOCK: usize = 64;
/// Rows per tile of an update block (a 1024 × 64 tile is 512 KiB).
const ROW_BLOCK: usize = 1024;

/// Balanced reduction of every entry, by columns (in parallel when `par` allows).
pub(crate) fn reduce_all(mut a: MatMut<'_, f64>, par: Par) {
    // Contiguous columns as slices, so that the loop vectorises.
    let reduce_col = |mut col: faer::ColMut<'_, f64>| match col.rb_mut().try_as_col_major_mut() {
        Some(contiguous) => contiguous.as_slice_mut().iter_mut().for_each(|x| *x = field::reduce(*x)),
        None => col.iter_mut().for_each(|x| *x = field::reduce(*x)),
    };
    if par.degree() > 1 {
        a.par_col_chunks_mut(1).for_each(|mut c| reduce_col(c.rb_mut().col_mut(0)));
    } else {
        for j in 0..a.ncols() {
            reduce_col(a.rb_mut().col_mut(j));
        }
    }
}
