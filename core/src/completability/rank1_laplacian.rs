//! The weighted Laplacian of the nonzero part of a rank-1 mask and its grounded solves.
//!
//! With conductance c_e = 1/w_e (w_e the log-space variance of entry e) and the vertex order of
//! the breadth-first forest, L = Bᵀ C B, where (Bz)_e = z_i − z_{m+j} for e = (i, j). Each
//! component is solved on its own position range, grounded at its root (z_root = 0), which
//! makes the system positive definite; right-hand sides summing to zero over the component
//! (all used here) give the solution of L z = b up to the constant, so potential differences
//! are exact. Solver: preconditioned conjugate gradients with the diagonal as preconditioner,
//! k right-hand sides in lockstep (one pass over the matrix per iteration for all k), each
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

    /// Solves the grounded system on the positions `range` of one component for `k`
    /// right-hand sides stored position-major (`b[(p − range.start)·k + l]`; the root entry is
    /// ignored). Returns the solutions in the same layout, zero at the root.
    pub fn solve(
        &self,
        range: Range<usize>,
        k: usize,
        b: &[f64],
        tol: f64,
        max_iter: usize,
        par: Par,
    ) -> Result<Vec<f64>, CompletabilityError> {
        let len = range.len();
        let offset = range.start;
        let diag = &self.diag[range.clone()];
        // Inverse diagonal, zero at the grounded root.
        let inv: Vec<f64> = (0..len).map(|s| if s == 0 { 0.0 } else { 1.0 / diag[s] }).collect();
        let mut x = vec![0.0; len * k];
        let mut r = b.to_vec();
        r[..k].fill(0.0);
        let mut p: Vec<f64> = (0..len * k).map(|t| r[t] * inv[t / k]).collect();
        let mut q = vec![0.0; len * k];
        let all: Vec<usize> = (0..len.div_ceil(CHUNK)).collect();
        let bb = sum_chunks(par, all.clone(), k, |c, _| squares(&r, c, k, None));
        let mut rr = bb.clone();
        let mut rz = sum_chunks(par, all, k, |c, _| squares(&r, c, k, Some(&inv)));
        let mut active: Vec<bool> = (0..k).map(|l| rr[l] > tol * tol * bb[l]).collect();
        let mut iterations = 0;
        while active.iter().any(|&a| a) {
            if iterations == max_iter {
                let residual = (0..k).filter(|&l| active[l]).map(|l| (rr[l] / bb[l]).sqrt()).fold(0.0, f64::max);
                return Err(CompletabilityError::NotConverged { iterations, residual });
            }
            iterations += 1;
            // q = L p, with p·q per right-hand side.
            let pieces: Vec<&mut [f64]> = q.chunks_mut(CHUNK * k).collect();
            let pq = sum_chunks(par, pieces, k, |c, qc| {
                let mut dot = vec![0.0; k];
                for (t, qv) in qc.chunks_exact_mut(k).enumerate() {
                    let s = c * CHUNK + t;
                    if s == 0 {
                        qv.fill(0.0);
                        continue;
                    }
                    for l in 0..k {
                        qv[l] = diag[s] * p[s * k + l];
                    }
                    for &(w, cond) in &self.adj[self.start[offset + s]..self.start[offset + s + 1]] {
                        let w = w as usize - offset;
                        for l in 0..k {
                            qv[l] -= cond * p[w * k + l];
                        }
                    }
                    for l in 0..k {
                        dot[l] += p[s * k + l] * qv[l];
                    }
                }
                dot
            });
            let alpha: Vec<f64> =
                (0..k).map(|l| if active[l] && pq[l] > 0.0 { rz[l] / pq[l] } else { 0.0 }).collect();
            // x += α p, r −= α q, with r·r and r·D⁻¹r.
            let pieces: Vec<(&mut [f64], &mut [f64])> = x.chunks_mut(CHUNK * k).zip(r.chunks_mut(CHUNK * k)).collect();
            let sums = sum_chunks(par, pieces, 2 * k, |c, (xc, rc)| {
                let mut sums = vec![0.0; 2 * k];
                let base = c * CHUNK * k;
                for t in 0..xc.len() {
                    let l = t % k;
                    xc[t] += alpha[l] * p[base + t];
                    rc[t] -= alpha[l] * q[base + t];
                    sums[l] += rc[t] * rc[t];
                    sums[k + l] += rc[t] * rc[t] * inv[(base + t) / k];
                }
                sums
            });
            let beta: Vec<f64> =
                (0..k).map(|l| if active[l] && rz[l] > 0.0 { sums[k + l] / rz[l] } else { 0.0 }).collect();
            // p = D⁻¹ r + β p.
            let pieces: Vec<&mut [f64]> = p.chunks_mut(CHUNK * k).collect();
            sum_chunks(par, pieces, 0, |c, pc| {
                let base = c * CHUNK * k;
                for (t, pv) in pc.iter_mut().enumerate() {
                    *pv = r[base + t] * inv[(base + t) / k] + beta[t % k] * *pv;
                }
                Vec::new()
            });
            rr.copy_from_slice(&sums[..k]);
            rz.copy_from_slice(&sums[k..]);
            for l in 0..k {
                active[l] = active[l] && pq[l] > 0.0 && rr[l] > tol * tol * bb[l];
            }
        }
        Ok(x)
    }
}

/// Per right-hand side, Σ r² (or Σ r² d⁻¹ with the inverse diagonal) over chunk `c`.
fn squares(r: &[f64], c: usize, k: usize, inv: Option<&[f64]>) -> Vec<f64> {
    let mut s = vec![0.0; k];
    let end = ((c + 1) * CHUNK * k).min(r.len());
    for t in c * CHUNK * k..end {
        let scale = inv.map_or(1.0, |d| d[t / k]);
        s[t % k] += r[t] * r[t] * scale;
    }
    s
}

/// Runs `f(chunk index, piece)` over `pieces` (in parallel when `par` allows) and sums the
/// returned vectors of length `width` in chunk order.
fn sum_chunks<I: Send>(par: Par, pieces: Vec<I>, width: usize, f: impl Fn(usize, I) -> Vec<f64> + Sync) -> Vec<f64> {
    let partial: Vec<Vec<f64>> = if par.degree() > 1 && pieces.len() > 1 {
        pieces.into_par_iter().enumerate().map(|(c, piece)| f(c, piece)).collect()
    } else {
        pieces.into_iter().enumerate().map(|(c, piece)| f(c, piece)).collect()
    };
    let mut total = vec![0.0; width];
    for part in &partial {
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    total
}
