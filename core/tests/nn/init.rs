//! Seeded initialisation: reproducible, zero biases, and normal weights with each layer's
//! documented spread (He for ReLU-like activations, Glorot for the others).

use crate::support::*;
use tessera::nn::{Activation, Loss, Network};

#[test]
fn initialisation_is_seeded_with_the_documented_spread() {
    let acts = [Activation::Relu, Activation::Tanh, Activation::Gelu];
    let spec = spec(&[300, 200, 150, 10], &acts, Loss::SoftmaxCrossEntropy);
    let a = Network::<f64>::new(spec.clone(), 11);
    assert_eq!(a.params(), Network::<f64>::new(spec.clone(), 11).params());
    assert_ne!(a.params(), Network::<f64>::new(spec.clone(), 12).params());
    // f32 draws the same normals, rounded.
    let a32 = Network::<f32>::new(spec.clone(), 11);
    assert!(a.params().iter().zip(a32.params()).all(|(&p, &q)| p as f32 == q));
    for (l, d) in spec.layers().iter().enumerate() {
        assert!(a.bias(l).iter().all(|&b| b == 0.0));
        let w = a.weights(l);
        let n = (d.inputs * d.outputs) as f64;
        let (mut sum, mut sq) = (0.0, 0.0);
        for j in 0..w.ncols() {
            for i in 0..w.nrows() {
                sum += w[(i, j)];
                sq += w[(i, j)] * w[(i, j)];
            }
        }
        let want = match d.activation {
            Activation::Relu | Activation::Gelu => 2.0 / d.inputs as f64,
            _ => 2.0 / (d.inputs + d.outputs) as f64,
        };
        // Mean within 5 standard errors of 0; variance within 5 standard errors (√(2/n) of
        // it, for normals) of the documented one: He and Glorot differ by 25% or more here.
        assert!((sum / n).abs() < 5.0 * (want / n).sqrt(), "layer {l}: mean {}", sum / n);
        let var = sq / n;
        assert!((var / want - 1.0).abs() < 5.0 * (2.0 / n).sqrt(), "layer {l}: variance {var}, want {want}");
    }
}
