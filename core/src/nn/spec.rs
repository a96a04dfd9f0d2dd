//! What a network is: its layers, their activations, its loss, and where each parameter lives
//! in the one contiguous parameter buffer.

use super::NnError;

/// The elementwise function after a layer's affine map. The codes are those of the file format
/// (and of the C ABI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Activation {
    /// `z`.
    Identity = 0,
    /// `max(z, 0)`; the derivative at 0 is taken as 0.
    Relu = 1,
    /// `z` for `z > 0`, else `LEAKY_SLOPE·z`.
    LeakyRelu = 2,
    /// `tanh z`.
    Tanh = 3,
    /// `1/(1 + e⁻ᶻ)`.
    Sigmoid = 4,
    /// `ln(1 + eᶻ)`.
    Softplus = 5,
    /// The tanh form `½z(1 + tanh(√(2/π)(z + 0.044715 z³)))` (Hendrycks & Gimpel 2016; the
    /// default of `jax.nn.gelu`), not the erf form.
    Gelu = 6,
}

/// Slope of [`Activation::LeakyRelu`] for negative arguments (the default of PyTorch and JAX).
pub const LEAKY_SLOPE: f64 = 0.01;

impl Activation {
    /// Every activation, in the order of their codes.
    pub const ALL: [Self; 7] = {
        use Activation::*;
        [Identity, Relu, LeakyRelu, Tanh, Sigmoid, Softplus, Gelu]
    };

    pub fn from_code(code: u32) -> Result<Self, NnError> {
        Self::ALL
            .into_iter()
            .find(|a| *a as u32 == code)
            .ok_or(NnError::UnknownActivation(code))
    }

    /// Whether the backward pass needs the pre-activation `z` (all others differentiate from
    /// the output `a` alone, so only these layers keep `z`).
    pub fn needs_preactivation(self) -> bool {
        self == Activation::Gelu
    }
}

/// The training objective on the last layer's output `y` (`n_L × B`), averaged over the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Loss {
    /// `(1/B) Σ_b ½‖y_b − t_b‖²` against target values `t`.
    SquaredError = 0,
    /// `(1/B) Σ_b (log Σ_i e^{y_ib} − y_{c_b b})` against class labels `c_b`: `y` are logits.
    SoftmaxCrossEntropy = 1,
    /// `(1/B) Σ_b Σ_i (ln(1 + e^{y_ib}) − t_ib y_ib)` against targets `t ∈ [0, 1]`: binary
    /// cross-entropy of `σ(y)`, one independent label per output.
    Logistic = 2,
}

impl Loss {
    pub fn from_code(code: u32) -> Result<Self, NnError> {
        use Loss::*;
        [SquaredError, SoftmaxCrossEntropy, Logistic]
            .into_iter()
            .find(|l| *l as u32 == code)
            .ok_or(NnError::UnknownLoss(code))
    }

    pub fn name(self) -> &'static str {
        match self {
            Loss::SquaredError => "squared-error",
            Loss::SoftmaxCrossEntropy => "softmax cross-entropy",
            Loss::Logistic => "logistic",
        }
    }
}

/// One affine layer `a = f(W x + b)`, `W` of `outputs × inputs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
}

/// A validated network description, with its parameter layout.
///
/// # Parameter layout
/// One contiguous buffer holds the layers in order; layer `l` is its weights `W_l` followed by
/// its bias `b_l`:
///
/// ```text
/// [ W_0 (n_1 × n_0, column-major) | b_0 (n_1) | W_1 (n_2 × n_1) | b_1 (n_2) | … ]
/// ```
///
/// `W_l[i, j]` (output `i`, input `j`) is at `offset(l) + i + j·n_{l+1}`: a column of `W_l` is
/// the fan-out of one input. Read as row-major, the same memory is the `n_l × n_{l+1}`
/// "kernel" of flax/JAX (`y = x·K + b`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    layers: Vec<Dense>,
    loss: Loss,
    offsets: Vec<usize>,
    len: usize,
}

impl Spec {
    /// Checks that the layers are non-empty and chain, and lays out the parameters.
    pub fn new(layers: Vec<Dense>, loss: Loss) -> Result<Self, NnError> {
        if layers.is_empty() {
            return Err(NnError::NoLayers);
        }
        let mut offsets = Vec::with_capacity(layers.len());
        let mut len = 0usize;
        for (l, d) in layers.iter().enumerate() {
            if d.inputs == 0 || d.outputs == 0 {
                return Err(NnError::ZeroSize { layer: l });
            }
            if let Some(next) = layers.get(l + 1) {
                if next.inputs != d.outputs {
                    return Err(NnError::SizesDoNotChain { layer: l, outputs: d.outputs, next_inputs: next.inputs });
                }
            }
            offsets.push(len);
            let n = d.inputs.checked_add(1).and_then(|k| k.checked_mul(d.outputs)).ok_or(NnError::TooLarge)?;
            len = len.checked_add(n).ok_or(NnError::TooLarge)?;
        }
        if len > isize::MAX as usize / 8 {
            return Err(NnError::TooLarge);
        }
        Ok(Self { layers, loss, offsets, len })
    }

    /// A chain `sizes[0] → sizes[1] → …` with one activation per layer (codes as in
    /// [`Activation`]): the form the C ABI passes.
    pub fn from_codes(sizes: &[usize], activations: &[u32], loss: u32) -> Result<Self, NnError> {
        if sizes.len() < 2 {
            return Err(NnError::NoLayers);
        }
        if activations.len() != sizes.len() - 1 {
            return Err(NnError::LengthMismatch { what: "activations", expected: sizes.len() - 1, got: activations.len() });
        }
        let layers = sizes
            .windows(2)
            .zip(activations)
            .map(|(w, &a)| Ok(Dense { inputs: w[0], outputs: w[1], activation: Activation::from_code(a)? }))
            .collect::<Result<Vec<_>, NnError>>()?;
        Self::new(layers, Loss::from_code(loss)?)
    }

    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    pub fn loss(&self) -> Loss {
        self.loss
    }

    pub fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs
    }

    /// Number of parameters (length of the parameter buffer).
    pub fn num_params(&self) -> usize {
        self.len
    }

    /// Start of layer `l`'s weights in the parameter buffer.
    pub fn weights_offset(&self, l: usize) -> usize {
        self.offsets[l]
    }

    /// Layer `l`'s weights and bias, a contiguous range of the parameter buffer.
    pub fn layer_params(&self, l: usize) -> core::ops::Range<usize> {
        let d = self.layers[l];
        self.offsets[l]..self.offsets[l] + (d.inputs + 1) * d.outputs
    }

    /// Start of layer `l`'s bias in the parameter buffer.
    pub fn bias_offset(&self, l: usize) -> usize {
        self.offsets[l] + self.layers[l].inputs * self.layers[l].outputs
    }
}
