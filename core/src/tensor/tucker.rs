//! Rank estimation, Tucker factors and core, and the interpretability heuristic of Tomioka,
//! Hayashi, Kashima (2011): a small CP decomposition of the Tucker core mapped back through
//! the factors.

use super::cp::{cp_als, Cp, CpOptions};
use super::shape::Shape;
use super::svt::ModeSpectrum;
use super::unfold::mode_product;
use super::TensorError;
use faer::{Mat, Par};

/// Number of singular values above `threshold · σ_max` (`sigma` nonincreasing; 0 for a zero
/// matrix).
pub fn numerical_rank(sigma: &[f64], threshold: f64) -> usize {
    match sigma.first() {
        Some(&max) if max > 0.0 => sigma.iter().take_while(|&&s| s > threshold * max).count(),
        _ => 0,
    }
}

/// `X ≈ C ×_1 U_1 ×_2 … ×_K U_K` with orthonormal `U_k` (`n_k × r_k`), the top left singular
/// vectors of `X_(k)`, and core `C = X ×_1 U_1ᵀ … ×_K U_Kᵀ` (exact when `r_k` is the rank of
/// every unfolding).
#[derive(Clone, Debug, PartialEq)]
pub struct Tucker {
    pub factors: Vec<Mat<f64>>,
    pub core: Vec<f64>,
    pub core_shape: Shape,
}

/// Tucker factors and core of `x` for ranks `1 ≤ r_k ≤ min(n_k, N/n_k)`.
pub fn tucker(x: &[f64], shape: &Shape, ranks: &[usize], par: Par) -> Result<Tucker, TensorError> {
    if x.len() != shape.len() {
        return Err(TensorError::LengthMismatch { what: "tensor", expected: shape.len(), got: x.len() });
    }
    if ranks.len() != shape.order() {
        return Err(TensorError::LengthMismatch { what: "ranks", expected: shape.order(), got: ranks.len() });
    }
    let mut factors = Vec::with_capacity(ranks.len());
    for (k, &r) in ranks.iter().enumerate() {
        let split = shape.split(k);
        if r == 0 || r > split.n.min(split.cols()) {
            return Err(TensorError::InvalidParameter {
                name: "rank",
                value: r as f64,
                requirement: "between 1 and min(n_k, N/n_k) in every mode",
            });
        }
        factors.push(ModeSpectrum::new(shape, k, par).left_singular_vectors(x, r)?);
    }
    let (mut core, mut core_shape) = (x.to_vec(), shape.clone());
    for (k, u) in factors.iter().enumerate() {
        (core, core_shape) = mode_product(&core, &core_shape, k, u.transpose(), par)?;
    }
    Ok(Tucker { factors, core, core_shape })
}

/// Interpretable components: a rank-`R` CP decomposition `C ≈ Σ_c w_c f_1c ∘ … ∘ f_Kc` of the
/// Tucker core, mapped back to loadings `U_k F_k` (`n_k × R`), so that
/// `X ≈ Σ_c w_c (U_1 f_1c) ∘ … ∘ (U_K f_Kc)`.
pub fn tucker_components(tucker: &Tucker, options: &CpOptions) -> Result<Cp, TensorError> {
    let cp = cp_als(&tucker.core, &tucker.core_shape, options)?;
    let factors = tucker.factors.iter().zip(&cp.factors).map(|(u, f)| u * f).collect();
    Ok(Cp { factors, ..cp })
}
