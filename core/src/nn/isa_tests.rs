//! A training step gives the same bits on every instruction set this CPU has: the elementwise
//! passes (bias and activation, the loss and its gradient, softmax included, the activation
//! derivatives, the bias sums) and the optimiser updates are compiled for AVX-512, AVX2+FMA and
//! the baseline, and perform the same operations in the same order on each.

use super::{Activation, Adam, AdamOptions, Dense, Float, Loss, Network, PathSgd, PathSgdOptions, Sgd, SgdOptions, Spec, Targets, Trainer};
use crate::rng::SplitMix64 as Rng;
use crate::simd::{with_isa_cap, Isa};
use faer::Mat;

/// Loss, gradient, input gradient, predictions and the parameters after two steps of each
/// optimiser, as bits, for a 6–13–`out` network with hidden activation `hidden` and output
/// activation `output` (batch 11: full vectors and tails on every instruction set).
fn step_bits<T: Float>(hidden: Activation, output: Activation, loss: Loss) -> Vec<u64> {
    let (n_in, n_hid, n_out, batch) = (6, 13, 4, 11);
    let layers = vec![
        Dense { inputs: n_in, outputs: n_hid, activation: hidden },
        Dense { inputs: n_hid, outputs: n_out, activation: output },
    ];
    let spec = Spec::new(layers, loss).expect("a valid spec");
    let mut rng = Rng::new(7);
    let x = Mat::<T>::from_fn(n_in, batch, |_, _| T::from_f64(2.0 * rng.normal()));
    let values = Mat::<T>::from_fn(n_out, batch, |_, _| T::from_f64(rng.unit()));
    let labels: Vec<u32> = (0..batch as u32).map(|j| j % n_out as u32).collect();
    let targets = || if loss == Loss::SoftmaxCrossEntropy { Targets::Labels(&labels) } else { Targets::Values(values.as_ref()) };
    let mut bits: Vec<u64> = Vec::new();
    let mut keep = |v: &[T]| bits.extend(v.iter().map(|t| t.to_f64().to_bits()));
    let optimisers: [Box<dyn super::Optimiser<T>>; 3] = [
        Box::new(Sgd::new(&spec, SgdOptions::default()).expect("valid")),
        Box::new(Adam::new(&spec, AdamOptions::default()).expect("valid")),
        Box::new(PathSgd::new(&spec, PathSgdOptions::default()).expect("valid")),
    ];
    for opt in optimisers {
        let mut trainer = Trainer::new(Network::<T>::new(spec.clone(), 3), opt, batch, 1).expect("valid");
        let mut input_grad = Mat::<T>::zeros(n_in, batch);
        let l = trainer.backward(x.as_ref(), targets(), Some(input_grad.as_mut())).expect("finite");
        keep(&[T::from_f64(l)]);
        keep(trainer.gradient());
        for j in 0..batch {
            keep(input_grad.col(j).try_as_col_major().expect("contiguous").as_slice());
        }
        for _ in 0..2 {
            trainer.step(x.as_ref(), targets()).expect("finite");
        }
        keep(trainer.network().params());
        let (net, ws) = trainer.parts();
        let y = net.predict(x.as_ref(), ws).expect("finite").to_owned();
        for j in 0..batch {
            keep(y.col(j).try_as_col_major().expect("contiguous").as_slice());
        }
    }
    bits
}

#[test]
fn training_steps_give_the_same_bits_on_every_instruction_set() {
    let cases = Activation::ALL.iter().flat_map(|&h| {
        [(Activation::Identity, Loss::SoftmaxCrossEntropy), (Activation::Identity, Loss::Logistic), (h, Loss::SquaredError)]
            .map(|(o, l)| (h, o, l))
    });
    for (hidden, output, loss) in cases {
        let want = (step_bits::<f64>(hidden, output, loss), step_bits::<f32>(hidden, output, loss));
        for isa in Isa::available() {
            let got = with_isa_cap(isa, || (step_bits::<f64>(hidden, output, loss), step_bits::<f32>(hidden, output, loss)));
            assert!(got == want, "{isa:?}: {hidden:?} hidden, {output:?} output, {loss:?}");
        }
    }
}
