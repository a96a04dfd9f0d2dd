//! Shared helpers of the network tests: seeded data and a naive reference forward pass.
#![allow(dead_code)]

use faer::Mat;
use tessera::nn::{Activation, Dense, Loss, Network, Spec, LEAKY_SLOPE};

/// xorshift-based uniform in `[lo, hi)`.
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
    pub fn below(&mut self, n: u32) -> u32 {
        (self.uniform(0.0, n as f64) as u32).min(n - 1)
    }
    pub fn mat(&mut self, rows: usize, cols: usize, lo: f64, hi: f64) -> Mat<f64> {
        Mat::from_fn(rows, cols, |_, _| self.uniform(lo, hi))
    }
}

pub fn spec(sizes: &[usize], acts: &[Activation], loss: Loss) -> Spec {
    let layers = sizes
        .windows(2)
        .zip(acts)
        .map(|(w, &activation)| Dense { inputs: w[0], outputs: w[1], activation })
        .collect();
    Spec::new(layers, loss).unwrap()
}

/// A network with random (not zero) biases, so that every parameter matters.
pub fn network(spec: Spec, seed: u64) -> Network<f64> {
    let mut net = Network::<f64>::new(spec, seed);
    let mut d = Draw::new(seed + 1);
    for p in net.params_mut() {
        *p += d.uniform(-0.2, 0.2);
    }
    net
}

/// The activation from its definition, with the standard library's functions.
pub fn act_ref(a: Activation, z: f64) -> f64 {
    match a {
        Activation::Identity => z,
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu => {
            if z > 0.0 {
                z
            } else {
                LEAKY_SLOPE * z
            }
        }
        Activation::Tanh => z.tanh(),
        Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
        Activation::Softplus => z.exp().ln_1p(),
        Activation::Gelu => 0.5 * z * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (z + 0.044715 * z * z * z)).tanh()),
    }
}

/// Forward pass by plain loops over `net`'s weights and biases.
pub fn forward_ref(net: &Network<f64>, x: &Mat<f64>) -> Mat<f64> {
    let mut a = x.clone();
    for (l, d) in net.spec().layers().iter().enumerate() {
        let w = net.weights(l);
        let b = net.bias(l);
        a = Mat::from_fn(d.outputs, a.ncols(), |i, j| {
            let z = (0..d.inputs).map(|k| w[(i, k)] * a[(k, j)]).sum::<f64>() + b[i];
            act_ref(d.activation, z)
        });
    }
    a
}
