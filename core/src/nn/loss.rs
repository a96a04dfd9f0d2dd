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
            (Loss::SoftmaxCrossEntropy, Targets::Labels(c)) => {
                let mut total = 0.0;
                for ((yc, dc), &label) in y.chunks_exact(n).zip(d.chunks_exact_mut(n)).zip(c.iter()) {
                    total += softmax_ce_column(yc, label as usize, inv_b, dc);
                }
                total * inv_b
            }
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

/// One sample of softmax cross-entropy: returns `lse(y) − y_c` and writes `(p − e_c)/B`.
#[inline(always)]
fn softmax_ce_column<T: Float>(y: &[T], c: usize, inv_b: f64, d: &mut [T]) -> f64 {
    let m = y.iter().fold(f64::NEG_INFINITY, |m, v| m.max(v.to_f64()));
    // The exponentials are stored (rounded to `T`) and rescaled in place: one exponential per
    // element, at the price of a second rounding of `p` (at most one ulp of `T` in all).
    let mut s = 0.0;
    for (g, v) in d.iter_mut().zip(y) {
        let e = exp_m1_neg(v.to_f64() - m).1;
        s += e;
        *g = T::from_f64(e);
    }
    let scale = T::from_f64(inv_b / s);
    for g in d.iter_mut() {
        *g *= scale;
    }
    d[c] = T::from_f64(d[c].to_f64() - inv_b);
    // ln s with s ∈ [1, n]: ln(1 + (s − 1)).
    m + ln_1p(s - 1.0) - y[c].to_f64()
}
