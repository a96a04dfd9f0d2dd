//! A feed-forward chain as the path-norm and group-norm routines see it: per layer a weight
//! matrix and an optional bias, nothing about activations or data.
//!
//! Layer `l = 1..L` maps `d_{l−1}` units to `d_l` units: `z_l = W_l a_{l−1} + b_l` with
//! `W_l` a `d_l × d_{l−1}` matrix (row `v` holds the weights of the edges `u → v` into unit
//! `v`) and `b_l` of length `d_l`. A bias is an edge from an always-on unit (value 1) of the
//! previous layer, as in the Path-SGD reference code, which treats biases like weights.

use faer::prelude::Reborrow;
use faer::{ColMut, ColRef, MatMut, MatRef};

/// One layer of a chain, read-only.
#[derive(Clone, Copy, Debug)]
pub struct Layer<'a, T> {
    /// `W_l`, `d_l × d_{l−1}`.
    pub weight: MatRef<'a, T>,
    /// `b_l` (length `d_l`), or `None` for a layer without bias.
    pub bias: Option<ColRef<'a, T>>,
}

/// One layer of a chain, writable (the parameters being updated, or an output of the same shape).
#[derive(Debug)]
pub struct LayerMut<'a, T> {
    pub weight: MatMut<'a, T>,
    pub bias: Option<ColMut<'a, T>>,
}

impl<'a, T> Layer<'a, T> {
    pub fn new(weight: MatRef<'a, T>, bias: Option<ColRef<'a, T>>) -> Self {
        Self { weight, bias }
    }
}

impl<'a, T> LayerMut<'a, T> {
    pub fn new(weight: MatMut<'a, T>, bias: Option<ColMut<'a, T>>) -> Self {
        Self { weight, bias }
    }

    /// A read-only view of the same layer.
    pub fn rb(&self) -> Layer<'_, T> {
        Layer { weight: self.weight.rb(), bias: self.bias.as_ref().map(|b| b.rb()) }
    }
}

/// What can be wrong with the input of a path-norm or group-norm routine.
#[derive(Debug, Clone, PartialEq)]
pub enum PathError {
    /// The chain has no layer, or a width is zero.
    EmptyChain,
    /// Layer `layer` (0-based) has `got` columns where the previous layer has `expected` outputs.
    WidthMismatch { layer: usize, expected: usize, got: usize },
    /// A bias of `got` entries for a layer of `expected` outputs.
    BiasLength { layer: usize, expected: usize, got: usize },
    /// `what` (gradients, an output) does not have the shape of the chain at layer `layer`
    /// (different extents, or a bias where the chain has none or the reverse).
    ShapeMismatch { what: &'static str, layer: usize },
    /// The chain does not have the widths the workspace was built for.
    WorkspaceMismatch,
    /// An exponent outside its domain (`p ≥ 1` finite for path norms, `p, q ∈ [1, ∞]` for
    /// group norms).
    InvalidExponent { name: &'static str, value: f64 },
}

impl core::fmt::Display for PathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::EmptyChain => write!(f, "the chain has no layer or a layer of width 0"),
            Self::WidthMismatch { layer, expected, got } => {
                write!(f, "layer {layer} has {got} inputs, the previous layer has {expected} outputs")
            }
            Self::BiasLength { layer, expected, got } => {
                write!(f, "layer {layer} has a bias of length {got}, expected {expected}")
            }
            Self::ShapeMismatch { what, layer } => {
                write!(f, "`{what}` does not have the chain's shape at layer {layer}")
            }
            Self::WorkspaceMismatch => write!(f, "the chain does not have the workspace's widths"),
            Self::InvalidExponent { name, value } => write!(f, "exponent `{name}` = {value} is out of range"),
        }
    }
}

impl std::error::Error for PathError {}

/// The widths `d_0, …, d_L` of a chain, after checking that consecutive layers fit.
pub fn widths<T>(layers: &[Layer<'_, T>]) -> Result<Vec<usize>, PathError> {
    let first = layers.first().ok_or(PathError::EmptyChain)?;
    let mut widths = vec![first.weight.ncols()];
    for (l, layer) in layers.iter().enumerate() {
        let (out, inp) = layer.weight.shape();
        let prev = widths[l];
        if inp != prev {
            return Err(PathError::WidthMismatch { layer: l, expected: prev, got: inp });
        }
        if let Some(b) = layer.bias {
            if b.nrows() != out {
                return Err(PathError::BiasLength { layer: l, expected: out, got: b.nrows() });
            }
        }
        widths.push(out);
    }
    if widths.contains(&0) {
        return Err(PathError::EmptyChain);
    }
    Ok(widths)
}

/// Checks that `layers` has exactly the widths `expected` (allocation-free).
pub(super) fn check_widths<T>(layers: &[Layer<'_, T>], expected: &[usize]) -> Result<(), PathError> {
    if layers.len() + 1 != expected.len() {
        return Err(PathError::WorkspaceMismatch);
    }
    for (l, layer) in layers.iter().enumerate() {
        if layer.weight.shape() != (expected[l + 1], expected[l]) {
            return Err(PathError::WorkspaceMismatch);
        }
        if let Some(b) = layer.bias {
            if b.nrows() != expected[l + 1] {
                return Err(PathError::BiasLength { layer: l, expected: expected[l + 1], got: b.nrows() });
            }
        }
    }
    Ok(())
}

/// Checks that `other` (gradients, an output) has the shape of `layers`, biases included.
pub(super) fn check_like<T>(
    layers: &[Layer<'_, T>],
    other: impl ExactSizeIterator<Item = (usize, usize, Option<usize>)>,
    what: &'static str,
) -> Result<(), PathError> {
    if other.len() != layers.len() {
        return Err(PathError::ShapeMismatch { what, layer: layers.len().min(other.len()) });
    }
    for (l, (layer, (rows, cols, bias))) in layers.iter().zip(other).enumerate() {
        if layer.weight.shape() != (rows, cols) || layer.bias.map(|b| b.nrows()) != bias {
            return Err(PathError::ShapeMismatch { what, layer: l });
        }
    }
    Ok(())
}

/// The shapes `(rows, cols, bias length)` of writable layers, for [`check_like`].
pub(super) fn shapes_mut<'s, T>(
    layers: &'s [LayerMut<'_, T>],
) -> impl ExactSizeIterator<Item = (usize, usize, Option<usize>)> + 's {
    layers.iter().map(|l| (l.weight.nrows(), l.weight.ncols(), l.bias.as_ref().map(|b| b.nrows())))
}
