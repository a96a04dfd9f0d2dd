//! The losses of [`Loss`] and their gradients with respect to the output, in one pass over the
//! output.
//!
//! With `y` the last layer's output (`n × B`, one sample per column) and `B` the batch:
//! * squared error: `L = (1/2B) Σ (y − t)²`, `∂L/∂y = (y − t)/B`;
//! * softmax cross-entropy: `L = (1/B) Σ_b (m_b + ln Σ_i e^{y_ib − m_b} − y_{c_b b})` with
//!   `m_b = max_i y_ib` (so no exponential overflows), `∂L/∂y_ib = (p_ib − [i = c_b])/B` with
//!   `p_ib = e^{y_ib − m_b}/Σ_j e^{y_jb − m_b}` the softmax;
//! * logistic: `L = (1/B) Σ (max(y, 0) + ln(1 + e^{−|y|}) − t y)`, `∂L/∂y = (σ(y) − t)/B`.
//!
//! Losses are accumulated in `f64`; the gradient is rounded to the storage type (twice for the
//! softmax: `e^{y − m}`, then `p/B`).

use super::activation::{sigmoid64, softplus64};
use super::{Float, Loss, NnError};
use crate::simd::dispatch;
use crate::simd::elementary::{exp_m1_neg, ln_1p};
use crate::simd::lane::{Lane, V, W};
use faer::MatRef;

/// What a loss compares the output with.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a, T> {
    /// One target vector per sample, `n_L × B` (for [`Loss::SquaredError`] and
    /// [`Loss::Logistic`]).
    Values(MatRef<'a, T>),
    /// One class label in `0..n_L` per sample (for [`Loss::SoftmaxCrossEntropy`]).
    Labels(&'a [u32]),
}

/// Checks that `targets` suit `loss` for a batch of `batch` outputs of size `n`.
pub fn check_targets<T: Float>(loss: Loss, targets: &Targets<'_, T>, n: usize, batch: usize) -> Result<(), NnError> {
    match (loss, targets) {
        (Loss::SoftmaxCrossEntropy, Targets::Labels(c)) => {
            if c.len() != batch {
                return Err(NnError::LengthMismatch { what: "labels", expected: batch, got: c.len() });
            }
            match c.iter().position(|&l| l as usize >= n) {
                Some(s) => Err(NnError::LabelOutOfRange { sample: s, label: c[s], classes: n }),
                None => Ok(()),
            }
        }
        (Loss::SquaredError | Loss::Logistic, Targets::Values(t)) => {
            if t.shape() != (n, batch) {
                return Err(NnError::ShapeMismatch { what: "targets", expected: (n, batch), got: t.shape() });
            }
            for j in 0..batch {
                let col = t.col(j);
                for i in 0..n {
                    let v = col[i];
                    if !v.is_finite() {
                        return Err(NnError::NonFinite { what: "targets", index: i + j * n });
                    }
                    if loss == Loss::Logistic && !(0.0..=1.0).contains(&v.to_f64()) {
                        return Err(NnError::TargetOutOfRange { index: i + j * n, value: v.to_f64() });
                    }
                }
            }
            Ok(())
        }
        (Loss::SoftmaxCrossEntropy, _) => Err(NnError::WrongTargets { loss: loss.name(), expected: "class labels" }),
        _ => Err(NnError::WrongTargets { loss: loss.name(), expected: "target values" }),
    }
}

/// The loss of the outputs `y` (`n × B`, contiguous) against checked `targets`, and
/// `d = ∂L/∂y`.
pub fn loss_gradient<T: Float>(loss: Loss, y: &[T], n: usize, targets: &Targets<'_, T>, d: &mut [T]) -> f64 {
    let batch = y.len() / n;
    let inv_b = 1.0 / batch as f64;
    dispatch(
        #[inline(always)]
        || match (loss, targets) {
            (Loss::SoftmaxCrossEntropy, Targets::Labels(c)) => softmax_ce(y, n, c, inv_b, d) * inv_b,
            (_, Targets::Values(t)) => {
                let mut total = 0.0;
                for (j, (yc, dc)) in y.chunks_exact(n).zip(d.chunks_exact_mut(n)).enumerate() {
                    let tc = t.col(j);
                    for i in 0..n {
                        let (v, tv) = (yc[i].to_f64(), tc[i].to_f64());
                        let (l, g) = if loss == Loss::SquaredError {
                            (0.5 * (v - tv) * (v - tv), v - tv)
                        } else {
                            (softplus64(v) - tv * v, sigmoid64(v) - tv)
                        };
                        total += l;
                        dc[i] = T::from_f64(g * inv_b);
                    }
                }
                total * inv_b
            }
            _ => unreachable!("targets are checked against the loss"),
        },
    )
}

/// Softmax cross-entropy of a batch: returns `Σ_b (lse(y_b) − y_{c_b b})` and writes
/// `d = (p − e_c)/B`.
///
/// [`W`] samples at a time, one per lane: row `r` of the eight columns is one tile, so the
/// maxima, exponentials and sums (in row order, as column by column) are vertical and every
/// exponential and `ln s` is evaluated for eight samples at once, whatever `n` is (lanes past the
/// end of the batch repeat its last sample and are not stored). The exponentials are stored
/// (rounded to `T`) and rescaled in place: one exponential per element, at the price of a second
/// rounding of `p` (at most one ulp of `T` in all).
#[inline(always)]
fn softmax_ce<T: Float>(y: &[T], n: usize, labels: &[u32], inv_b: f64, d: &mut [T]) -> f64 {
    let batch = labels.len();
    let mut total = 0.0;
    for b0 in (0..batch).step_by(W) {
        let w = W.min(batch - b0);
        let start: [usize; W] = core::array::from_fn(|l| (b0 + l.min(w - 1)) * n);
        let row = |r: usize| V(core::array::from_fn(|l| y[start[l] + r].to_f64()));
        let mut m = row(0);
        for r in 1..n {
            m = m.max(row(r));
        }
        let mut s = V::splat(0.0);
        for r in 0..n {
            let e = exp_m1_neg(row(r) - m).1;
            s += e;
            for (l, &at) in start.iter().enumerate().take(w) {
                d[at + r] = T::from_f64(e.0[l]);
            }
        }
        // ln s with s ∈ [1, n]: ln(1 + (s − 1)).
        let ln_s = ln_1p(s - V::splat(1.0));
        for (l, &at) in start.iter().enumerate().take(w) {
            let c = labels[b0 + l] as usize;
            let dc = &mut d[at..at + n];
            let scale = T::from_f64(inv_b / s.0[l]);
            for g in dc.iter_mut() {
                *g *= scale;
            }
            dc[c] = T::from_f64(dc[c].to_f64() - inv_b);
            total += m.0[l] + ln_s.0[l] - y[at + c].to_f64();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Softmax cross-entropy of one column in plain `f64` with `std`'s `exp` and `ln`.
    fn reference(y: &[f64], c: usize) -> (f64, Vec<f64>) {
        let m = y.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let s: f64 = y.iter().map(|v| (v - m).exp()).sum();
        let p = y.iter().map(|v| (v - m).exp() / s).collect();
        (m + s.ln() - y[c], p)
    }

    /// Against the reference for batches that are and are not multiples of [`W`], with outputs
    /// far apart (some exponentials underflow).
    fn agrees<T: Float>(tol: f64) {
        let mut rng = SplitMix64::new(7);
        for (n, batch) in [(1, 5), (3, 1), (10, 32), (7, 64), (13, 65), (8, 130)] {
            let y: Vec<T> = (0..n * batch)
                .map(|i| {
                    let u = rng.unit() - 0.5;
                    T::from_f64(if i % 11 == 3 { 800.0 * u } else { 8.0 * u })
                })
                .collect();
            let labels: Vec<u32> = (0..batch).map(|b| ((b * 5 + 1) % n) as u32).collect();
            let mut d = vec![T::ZERO; n * batch];
            let loss = loss_gradient(Loss::SoftmaxCrossEntropy, &y, n, &Targets::Labels(&labels), &mut d);
            let inv_b = 1.0 / batch as f64;
            let mut expected = 0.0;
            for b in 0..batch {
                let col: Vec<f64> = y[b * n..(b + 1) * n].iter().map(|v| v.to_f64()).collect();
                let c = labels[b] as usize;
                let (l, p) = reference(&col, c);
                expected += l * inv_b;
                for i in 0..n {
                    let want = (p[i] - if i == c { 1.0 } else { 0.0 }) * inv_b;
                    let got = d[b * n + i].to_f64();
                    assert!((got - want).abs() <= tol * inv_b, "n {n} batch {batch} ({i}, {b}): {got} vs {want}");
                }
            }
            assert!((loss - expected).abs() <= 1e-13 * expected.abs().max(1.0), "n {n} batch {batch}: {loss} vs {expected}");
        }
    }

    #[test]
    fn softmax_cross_entropy_matches_a_direct_evaluation() {
        agrees::<f64>(1e-15);
        agrees::<f32>(3e-7);
    }
}
