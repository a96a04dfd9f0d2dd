//! The elementwise passes of a training step, each one pass over contiguous memory, compiled
//! for AVX-512, AVX2+FMA or the baseline at run time ([`crate::simd::dispatch`]).
//!
//! Buffers are `n × B` column-major (one sample per column, features contiguous), so a bias is
//! added to each column and a bias gradient is a sum of columns (vertical adds).

use super::activation::*;
use super::{Activation, Float};
use crate::simd::dispatch;

/// `x ← f(x + b)` for every column `x` of `z` (`b.len()` rows); when `keep` is given it
/// receives the pre-activation `x + b` (only [`Activation::needs_preactivation`] needs it).
pub fn bias_activation<T: Float>(act: Activation, bias: &[T], z: &mut [T], keep: Option<&mut [T]>) {
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
fn bias_map<T: Float>(bias: &[T], z: &mut [T], keep: Option<&mut [T]>, f: impl Fn(T) -> T) {
    let n = bias.len();
    match keep {
        None => {
            for col in z.chunks_exact_mut(n) {
                for (v, &b) in col.iter_mut().zip(bias) {
                    *v = f(*v + b);
                }
            }
        }
        Some(keep) => {
            for (col, kcol) in z.chunks_exact_mut(n).zip(keep.chunks_exact_mut(n)) {
                for ((v, k), &b) in col.iter_mut().zip(kcol).zip(bias) {
                    *k = *v + b;
                    *v = f(*k);
                }
            }
        }
    }
}

/// `d ← d ⊙ f'(z)` from the layer's output `a` (and its pre-activation `z`, empty unless
/// [`Activation::needs_preactivation`]).
pub fn activation_backward<T: Float>(act: Activation, a: &[T], z: &[T], d: &mut [T]) {
    use Activation::*;
    dispatch(
        #[inline(always)]
        || match act {
            Identity => {}
            Relu => scale_by(a, d, d_relu),
            LeakyRelu => scale_by(a, d, d_leaky_relu),
            Tanh => scale_by(a, d, d_tanh),
            Sigmoid => scale_by(a, d, d_sigmoid),
            Softplus => scale_by(a, d, d_softplus),
            Gelu => scale_by(z, d, d_gelu),
        },
    )
}

#[inline(always)]
fn scale_by<T: Float>(a: &[T], d: &mut [T], df: impl Fn(T) -> T) {
    for (g, &v) in d.iter_mut().zip(a) {
        *g *= df(v);
    }
}

/// `s ← Σ_columns d` (`s.len()` rows): the bias gradient.
pub fn column_sum<T: Float>(d: &[T], s: &mut [T]) {
    dispatch(
        #[inline(always)]
        || {
            s.fill(T::ZERO);
            for col in d.chunks_exact(s.len()) {
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
