//! The weighted Laplacian of the nonzero part of a rank-1 mask and its grounded solves.
//!
//! With conductance c_e = 1/w_e (w_e the log-space variance of entry e) and the vertex order of
//! the breadth-first forest, L = Bᵀ C B, where (Bz)_e = z_i − z_{m+j} for e = (i, j). Each
//! component is solved on its own position range, grounded at its root (z_root = 0), which
//! makes the system positive definite; right-hand sides summing to zero over the component
//! (all used here) give the solution of L z = b up to the constant, so potential differences
//! are exact. Solver: preconditioned conjugate gradients with the diagonal as preconditioner,
//! K right-hand sides in lockstep (one pass over the matrix per iteration for all K), each
//! stopped when ‖r‖ ≤ tol‖b‖. Passes run over fixed vertex chunks and reductions are summed
//! in chunk order, so the result does not depend on the thread count.

use super::rank1_forest::Forest;
use super::{CompletabilityError, Mask};
use core::ops::Range;
use faer::Par;
use rayon::prelude::*;

/// Vertices per chunk of a pass.
const CHUNK: usize = 2048;

pub(crate) struct Laplacian {
    /// `start[p]..start[p + 1]` index the neighbours of position p in `adj`.
    start: Vec<usize>,
    /// (neighbour position, conductance).
    adj: Vec<(u32, f64)>,
    diag: Vec<f64>,
}

impl Laplacian {
    /// The Laplacian of the entries with finite `log_abs`, conductances `1 / log_var`, in the
    /// position order of `forest`.
    pub fn new(mask: &Mask, forest: &Forest, log_abs: &[f64], log_var: &[f64]) -> Self {
        let m = mask.nrows();
        let total = forest.order.len();
        let mut start = Vec::with_capacity(total + 1);
        start.push(0);
        let mut adj = Vec::with_capacity(2 * mask.len());
        let mut diag = Vec::with_capacity(total);
        for &v in &forest.order {
            let v = v as usize;
            let before = adj.len();
            let mut push = |w: usize, e: usize| {
                if log_abs[e].is_finite() {
                    adj.push((forest.pos[w], 1.0 / log_var[e]));
                }
            };
            if v < m {
                mask.row(v).for_each(|(j, e)| push(m + j, e));
            } else {
                mask.col(v - m).for_each(|(i, e)| push(i, e));
            }
            diag.push(adj[before..].iter().map(|&(_, c)| c).sum());
            start.push(adj.len());
        }
        Self { start, adj, diag }
    }

    /// Solves the grounded system on the positions `range` of one component for `K`
    /// right-hand sides (`b[p − range.start][l]`; the root entry is ignored), each to
    /// relative residual `tol`, starting from `start` (zero if `None`; its root entry is
    /// ignored). Returns the solutions, zero at the root.
    pub fn solve<const K: usize>(
        &self,
        range: Range<usize>,
        b: &[[f64; K]],
        start: Option<&[[f64; K]]>,
        tol: f64,
        max_iter: usize,
        par: Par,
    ) -> Result<Vec<[f64; K]>, CompletabilityError> {
        let len = range.len();
        let offset = range.start;
        // Inverse diagonal, zero at the grounded root.
        let inv: Vec<f64> = (0..len).map(|s| if s == 0 { 0.0 } else { 1.0 / self.diag[offset + s] }).collect();
        let mut x = start.map_or_else(|| vec![[0.0; K]; len], <[_]>::to_vec);
        x[0] = [0.0; K];
        let mut r = b.to_vec();
        if start.is_some() {
            for (s, rv) in r.iter_mut().enumerate().skip(1) {
                let lx = self.apply(offset, s, &x);
                for l in 0..K {
                    rv[l] -= lx[l];
                }
            }
        }
        r[0] = [0.0; K];
        let mut p: Vec<[f64; K]> = r.iter().zip(&inv).map(|(rv, &d)| rv.map(|t| t * d)).collect();
        let mut q = vec![[0.0; K]; len];
        let all: Vec<usize> = (0..len.div_ceil(CHUNK)).collect();
        let sums = sum_chunks::<_, K, 2>(par, all, |c, _| {
            let mut acc = [[0.0; K]; 2];
            for s in c * CHUNK..((c + 1) * CHUNK).min(len) {
                for l in 0..K {
                    acc[0][l] += r[s][l] * r[s][l];
                    acc[1][l] += r[s][l] * r[s][l] * inv[s];
                }
            }
            acc
        });
        let (mut rr, mut rz) = (sums[0], sums[1]);
        // ‖b‖² (without the root) for the relative residual; ‖r₀‖² without a start.
        let bb: [f64; K] = match start {
            None => rr,
            Some(_) => core::array::from_fn(|l| b[1..].iter().map(|bv| bv[l] * bv[l]).sum()),
        };
        let mut active: [bool; K] = core::array::from_fn(|l| rr[l] > tol * tol * bb[l]);
        let mut iterations = 0;
        while active.iter().any(|&a| a) {
            if iterations == max_iter {
                let residual = (0..K).filter(|&l| active[l]).map(|l| (rr[l] / bb[l]).sqrt()).fold(0.0, f64::max);
                return Err(CompletabilityError::NotConverged { iterations, residual });
            }
            iterations += 1;
            // q = L p, with p·q per right-hand side.
            let pieces: Vec<&mut [[f64; K]]> = q.chunks_mut(CHUNK).collect();
            let [pq] = sum_chunks::<_, K, 1>(par, pieces, |c, qc| {
                let mut dot = [0.0; K];
                for (t, qv) in qc.iter_mut().enumerate() {
                    let s = c * CHUNK + t;
                    if s == 0 {
                        continue;
                    }
                    let acc = self.apply(offset, s, &p);
                    for l in 0..K {
                        dot[l] += p[s][l] * acc[l];
                    }
                    *qv = acc;
                }
                [dot]
            });
            let alpha: [f64; K] = core::array::from_fn(|l| if active[l] && pq[l] > 0.0 { rz[l] / pq[l] } else { 0.0 });
            // x += α p, r −= α q, with r·r and r·D⁻¹r.
            let pieces: Vec<_> = x.chunks_mut(CHUNK).zip(r.chunks_mut(CHUNK)).collect();
            let [rr_new, rz_new] = sum_chunks::<_, K, 2>(par, pieces, |c, (xc, rc)| {
                let mut acc = [[0.0; K]; 2];
                for (t, (xv, rv)) in xc.iter_mut().zip(rc.iter_mut()).enumerate() {
                    let s = c * CHUNK + t;
                    for l in 0..K {
                        xv[l] += alpha[l] * p[s][l];
                        rv[l] -= alpha[l] * q[s][l];
                        acc[0][l] += rv[l] * rv[l];
                        acc[1][l] += rv[l] * rv[l] * inv[s];
                    }
                }
                acc
            });
            let beta: [f64; K] =
                core::array::from_fn(|l| if active[l] && rz[l] > 0.0 { rz_new[l] / rz[l] } else { 0.0 });
            // p = D⁻¹ r + β p.
            let pieces: Vec<&mut [[f64; K]]> = p.chunks_mut(CHUNK).collect();
            sum_chunks::<_, K, 0>(par, pieces, |c, pc| {
                for (t, pv) in pc.iter_mut().enumerate() {
                    let s = c * CHUNK + t;
                    for l in 0..K {
                        pv[l] = r[s][l] * inv[s] + beta[l] * pv[l];
                    }
                }
                []
            });
            (rr, rz) = (rr_new, rz_new);
            for l in 0..K {
                active[l] = active[l] && pq[l] > 0.0 && rr[l] > tol * tol * bb[l];
            }
        }
        Ok(x)
    }
}

impl Laplacian {
    /// The diagonal entry (weighted degree) at position `p`.
    pub fn degree(&self, p: usize) -> f64 {
        self.diag[p]
    }

    /// The (position, conductance) neighbours of position `p`.
    pub fn neighbours(&self, p: usize) -> &[(u32, f64)] {
        &self.adj[self.start[p]..self.start[p + 1]]
    }

    /// (L v)_s for local position `s` of the component starting at position `offset`.
    #[inline]
    fn apply<const K: usize>(&self, offset: usize, s: usize, v: &[[f64; K]]) -> [f64; K] {
        let d = self.diag[offset + s];
        let mut acc = v[s].map(|t| d * t);
        for &(w, cond) in &self.adj[self.start[offset + s]..self.start[offset + s + 1]] {
            let vw = &v[w as usize - offset];
            for l in 0..K {
                acc[l] -= cond * vw[l];
            }
        }
        acc
    }
}

/// Runs `f(chunk index, piece)` over `pieces` (in parallel when `par` allows) and sums the
/// returned `W` sums per right-hand side in chunk order.
fn sum_chunks<I: Send, const K: usize, const W: usize>(
    par: Par,
    pieces: Vec<I>,
    f: impl Fn(usize, I) -> [[f64; K]; W] + Sync,
) -> [[f64; K]; W] {
    let partial: Vec<[[f64; K]; W]> = if par.degree() > 1 && pieces.len() > 1 {
        pieces.into_par_iter().enumerate().map(|(c, piece)| f(c, piece)).collect()
    } else {
        pieces.into_iter().enumerate().map(|(c, piece)| f(c, piece)).collect()
    };
    let mut total = [[0.0; K]; W];
    for part in &partial {
        for (t, v) in total.iter_mut().zip(part) {
            for l in 0..K {
                t[l] += v[l];
            }
        }
    }
    total
}
