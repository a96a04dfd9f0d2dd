//! One minor estimator: with rows I, columns J, and I×J, {i}×J, I×{j} known, the vanishing
//! (r+1)-minor gives a_ij = A_iJ A_IJ⁻¹ A_Ij (Schur complement), and to first order
//!
//!   ∂a_ij/∂A_iJ = cᵀ,  ∂a_ij/∂A_Ij = d,  ∂a_ij/∂A_IJ = −d cᵀ,  c = A_IJ⁻¹A_Ij,  dᵀ = A_iJ A_IJ⁻¹,
//!
//! chained with the gradients of the block's entries with respect to the observations.

use super::minors_gradient::Gradient;
use super::minors_known::Known;

/// A value and its gradient with respect to the observations.
pub(super) struct Estimator {
    pub value: f64,
    pub gradient: Gradient,
}

/// The estimator of `(i, j)` from rows `rows` and columns `cols` (all the needed entries known),
/// or `None` when `A_IJ` is singular or its reciprocal 1-norm condition number
/// `1/(‖A_IJ‖₁‖A_IJ⁻¹‖₁)` is below `min_rcond`.
pub(super) fn minor_estimator(known: &Known, i: usize, j: usize, rows: &[u32], cols: &[u32], min_rcond: f64) -> Option<Estimator> {
    let r = rows.len();
    let slot = |p: u32, q: u32| known.get(p as usize, q as usize).expect("block entries are known");
    let block: Vec<usize> = cols.iter().flat_map(|&q| rows.iter().map(move |&p| slot(p, q))).collect();
    let a: Vec<f64> = block.iter().map(|&s| known.value(s)).collect();
    let inv = inverse(&a, r)?;
    let norm1 = |x: &[f64]| (0..r).map(|l| x[l * r..(l + 1) * r].iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max);
    let rcond = 1.0 / (norm1(&a) * norm1(&inv));
    if rcond.is_nan() || rcond < min_rcond {
        return None;
    }
    let right: Vec<usize> = rows.iter().map(|&p| slot(p, j as u32)).collect();
    let left: Vec<usize> = cols.iter().map(|&q| slot(i as u32, q)).collect();
    // Column-major r × r: inv[k + l·r] = (A⁻¹)_kl.
    let c: Vec<f64> = (0..r).map(|k| (0..r).map(|l| inv[k + l * r] * known.value(right[l])).sum()).collect();
    let d: Vec<f64> = (0..r).map(|l| (0..r).map(|k| known.value(left[k]) * inv[k + l * r]).sum()).collect();
    let value = left.iter().zip(&c).map(|(&s, ck)| known.value(s) * ck).sum();
    let terms = left.iter().zip(&c).map(|(&s, &ck)| (ck, known.gradient(s)))
        .chain(right.iter().zip(&d).map(|(&s, &dk)| (dk, known.gradient(s))))
        .chain((0..r * r).map(|t| (-d[t % r] * c[t / r], known.gradient(block[t]))));
    Some(Estimator { value, gradient: Gradient::combine(terms) })
}

/// `A⁻¹` of a column-major `r × r` matrix by Gauss–Jordan elimination with partial pivoting,
/// `None` when a pivot is exactly zero.
pub(super) fn inverse(a: &[f64], r: usize) -> Option<Vec<f64>> {
    let mut w = a.to_vec();
    let mut inv: Vec<f64> = (0..r * r).map(|t| f64::from(u8::from(t % r == t / r))).collect();
    for k in 0..r {
        let p = (k..r).max_by(|&x, &y| w[x + k * r].abs().total_cmp(&w[y + k * r].abs()))?;
        if w[p + k * r] == 0.0 {
            return None;
        }
        for l in 0..r {
            w.swap(k + l * r, p + l * r);
            inv.swap(k + l * r, p + l * r);
        }
        let pivot = w[k + k * r];
        for l in 0..r {
            w[k + l * r] /= pivot;
            inv[k + l * r] /= pivot;
        }
        for q in (0..r).filter(|&q| q != k) {
            let f = w[q + k * r];
            if f != 0.0 {
                for l in 0..r {
                    w[q + l * r] -= f * w[k + l * r];
                    inv[q + l * r] -= f * inv[k + l * r];
                }
            }
        }
    }
    Some(inv)
}

/// `r` of the columns `candidates` (each known on `rows`) chosen greedily for volume: the
/// column with the largest component orthogonal to those already chosen (Gram–Schmidt with
/// column pivoting on `A_{I,candidates}`), ties to the earlier candidate.
pub(super) fn select_columns(known: &Known, rows: &[u32], candidates: &[u32]) -> Vec<u32> {
    let r = rows.len();
    let mut residual: Vec<f64> = candidates
        .iter()
        .flat_map(|&q| rows.iter().map(move |&p| known.value(known.get(p as usize, q as usize).expect("candidate entries are known"))))
        .collect();
    let mut chosen = Vec::with_capacity(r);
    let mut taken = vec![false; candidates.len()];
    for _ in 0..r {
        let norm2 = |t: usize| residual[t * r..(t + 1) * r].iter().map(|v| v * v).sum::<f64>();
        let Some(best) = (0..candidates.len()).filter(|&t| !taken[t]).fold(None, |b: Option<(usize, f64)>, t| {
            let v = norm2(t);
            match b {
                Some((_, bv)) if bv >= v => b,
                _ => Some((t, v)),
            }
        }) else {
            break;
        };
        taken[best.0] = true;
        chosen.push(candidates[best.0]);
        let scale = best.1.sqrt();
        if scale == 0.0 {
            continue;
        }
        let q: Vec<f64> = residual[best.0 * r..(best.0 + 1) * r].iter().map(|v| v / scale).collect();
        for t in (0..candidates.len()).filter(|&t| !taken[t]) {
            let col = &mut residual[t * r..(t + 1) * r];
            let dot: f64 = col.iter().zip(&q).map(|(a, b)| a * b).sum();
            col.iter_mut().zip(&q).for_each(|(a, b)| *a -= dot * b);
        }
    }
    chosen
}
