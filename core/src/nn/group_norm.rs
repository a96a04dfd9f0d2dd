//! Group norms of layers and their product over a chain, the capacity measures of Neyshabur,
//! Tomioka, Srebro 2015 ("Norm-based capacity control in neural networks", §3).
//!
//! With `w_{→v}` the vector of weights into unit `v` (row `v` of `W`, followed by the bias
//! `b_v` when the layer has one: the bias is the edge from the always-on unit, as in
//! [`super::PathNorm`]),
//!
//! ```text
//! ‖W‖_{p,q} = (Σ_v ‖w_{→v}‖_p^q)^{1/q},   μ_{p,q}(w) = Π_l ‖W_l‖_{p,q},    p, q ∈ [1, ∞],
//! ```
//!
//! `q = ∞` being the largest `‖w_{→v}‖_p` (the per-unit `ℓ_p` or max-norm case) and `p = q` the
//! entrywise `ℓ_p` norm of the layer (`p = q = 2`: Frobenius). For a single output the path
//! norm is the smallest per-unit product over rescalings,
//! `φ_p(w) = min_{w̃ ∼ w} Π_l ‖W̃_l‖_{p,∞}` (the paper's rescaling characterisation), which the
//! tests check. Sums are done in `f64`, scaled by the largest magnitude so that `|w|^p`
//! neither overflows nor underflows.

use super::chain::{Layer, PathError};
use super::Float;

fn check_exponent(name: &'static str, value: f64) -> Result<(), PathError> {
    if value >= 1.0 {
        Ok(())
    } else {
        Err(PathError::InvalidExponent { name, value })
    }
}

/// `‖x‖_p` of the values `x`, scaled by their largest magnitude `max` (`p ∈ [1, ∞]`).
fn scaled_p_norm(p: f64, max: f64, values: impl Iterator<Item = f64>) -> f64 {
    if max == 0.0 || p.is_infinite() {
        return max;
    }
    let sum: f64 = values.map(|x| (x.abs() / max).powf(p)).sum();
    max * sum.powf(1.0 / p)
}

/// `‖[W b]‖_{p,q}` of one layer (the bias as one more incoming weight of each unit).
pub fn group_norm<T: Float>(layer: Layer<'_, T>, p: f64, q: f64) -> Result<f64, PathError> {
    check_exponent("p", p)?;
    check_exponent("q", q)?;
    let w = layer.weight;
    let entry = |v: usize, u: usize| -> f64 {
        if u < w.ncols() {
            w[(v, u)].to_f64()
        } else {
            layer.bias.expect("bias column only when there is a bias")[v].to_f64()
        }
    };
    let inputs = w.ncols() + usize::from(layer.bias.is_some());
    let rows: Vec<f64> = (0..w.nrows())
        .map(|v| {
            let max = (0..inputs).map(|u| entry(v, u).abs()).fold(0.0, f64::max);
            scaled_p_norm(p, max, (0..inputs).map(|u| entry(v, u)))
        })
        .collect();
    let max = rows.iter().copied().fold(0.0, f64::max);
    Ok(scaled_p_norm(q, max, rows.iter().copied()))
}

/// The per-layer product `μ_{p,q}(w) = Π_l ‖[W_l b_l]‖_{p,q}`.
pub fn group_norm_product<T: Float>(layers: &[Layer<'_, T>], p: f64, q: f64) -> Result<f64, PathError> {
    super::chain::widths(layers)?;
    layers.iter().try_fold(1.0, |acc, &layer| Ok(acc * group_norm(layer, p, q)?))
}
