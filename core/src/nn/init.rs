//! Seeded initialisation of the parameters.
//!
//! Weights are independent normals with mean 0, drawn from [`crate::rng::SplitMix64`] seeded
//! with `seed`, layer by layer in storage order; biases are 0. The standard deviation depends
//! on the layer's activation:
//! * He et al. 2015, `√(2/n_in)`, for ReLU, leaky ReLU, softplus and GELU;
//! * Glorot & Bengio 2010, `√(2/(n_in + n_out))`, for identity, tanh and sigmoid.

use super::{Activation, Float, Spec};
use crate::rng::SplitMix64;

/// Fills `params` (laid out as [`Spec`] says) with the initialisation of `seed`.
pub fn initialise<T: Float>(spec: &Spec, seed: u64, params: &mut [T]) {
    let mut rng = SplitMix64::new(seed);
    for (l, d) in spec.layers().iter().enumerate() {
        let std = match d.activation {
            Activation::Relu | Activation::LeakyRelu | Activation::Softplus | Activation::Gelu => {
                (2.0 / d.inputs as f64).sqrt()
            }
            Activation::Identity | Activation::Tanh | Activation::Sigmoid => {
                (2.0 / (d.inputs + d.outputs) as f64).sqrt()
            }
        };
        let w = spec.weights_offset(l);
        let b = spec.bias_offset(l);
        for p in &mut params[w..b] {
            *p = T::from_f64(std * rng.normal());
        }
        params[b..b + d.outputs].fill(T::ZERO);
    }
}
