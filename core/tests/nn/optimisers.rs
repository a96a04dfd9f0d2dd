//! The optimisers against their closed forms: SGD with momentum and Adam over a few steps with
//! constant gradients, where `v_t`, `m_t` and the bias-corrected updates have sums in closed
//! form; and the trainer applies the optimiser to the gradient it computed.

use crate::support::*;
use tessera::nn::{Activation, Adam, AdamOptions, Loss, Network, NnError, Optimiser, Sgd, SgdOptions, Targets, Trainer, Workspace};

fn tiny() -> tessera::nn::Spec {
    spec(&[2, 1], &[Activation::Identity], Loss::SquaredError)
}

#[test]
fn sgd_with_momentum_sums_a_geometric_series() {
    // Constant g: v_t = g (1 − μᵗ)/(1 − μ), θ_t = θ₀ − η g Σ_{s≤t} (1 − μˢ)/(1 − μ).
    let (eta, mu) = (0.1, 0.5);
    let mut sgd = Sgd::<f64>::new(&tiny(), SgdOptions { learning_rate: eta, momentum: mu }).unwrap();
    let g = [1.0, -2.0, 0.25];
    let mut p = [0.5, 0.0, -1.0];
    for t in 1..=4 {
        sgd.step(&tiny(), &mut p, &g);
        let s: f64 = (1..=t).map(|s| (1.0 - mu.powi(s)) / (1.0 - mu)).sum();
        for k in 0..3 {
            let want = [0.5, 0.0, -1.0][k] - eta * g[k] * s;
            assert!((p[k] - want).abs() < 1e-15, "step {t}, parameter {k}: {} vs {want}", p[k]);
        }
    }
}

#[test]
fn adam_bias_correction_makes_constant_gradient_steps_exactly_alpha() {
    // Constant g: m_t = g(1 − β₁ᵗ), v_t = g²(1 − β₂ᵗ), so m̂ = g, v̂ = g² and every step moves
    // θ by −α g/(|g| + ε).
    let o = AdamOptions::default();
    let mut adam = Adam::<f64>::new(&tiny(), o).unwrap();
    let g = [3.0, -1e-3, 0.0];
    let mut p = [0.0; 3];
    for t in 1..=5 {
        adam.step(&tiny(), &mut p, &g);
        for k in 0..3 {
            let want = -(t as f64) * o.learning_rate * g[k] / (g[k].abs() + o.epsilon);
            assert!((p[k] - want).abs() < 1e-15, "step {t}, parameter {k}: {} vs {want}", p[k]);
        }
    }
}

#[test]
fn adam_second_step_with_changing_gradient() {
    // g₁ = 1, g₂ = −1 by hand: m₂ = −0.1·0.9·… spelled out from Algorithm 1.
    let o = AdamOptions { learning_rate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8 };
    let mut adam = Adam::<f64>::new(&tiny(), o).unwrap();
    let mut p = [0.0; 3];
    adam.step(&tiny(), &mut p, &[1.0, 1.0, 1.0]);
    adam.step(&tiny(), &mut p, &[-1.0, -1.0, -1.0]);
    let (m1, v1) = (0.1, 0.01);
    let theta1 = -0.1 * (m1 / 0.1) / ((v1 / 0.01f64).sqrt() + 1e-8);
    let m2 = 0.9 * m1 - 0.1;
    let v2 = 0.99 * v1 + 0.01;
    let theta2 = theta1 - 0.1 * (m2 / (1.0 - 0.81)) / ((v2 / (1.0 - 0.9801f64)).sqrt() + 1e-8);
    assert!((p[0] - theta2).abs() < 1e-15, "{} vs {theta2}", p[0]);
}

#[test]
fn options_are_checked() {
    let bad = SgdOptions { learning_rate: -1.0, ..SgdOptions::default() };
    assert!(matches!(Sgd::<f32>::new(&tiny(), bad), Err(NnError::InvalidParameter { name: "learning_rate", .. })));
    let bad = SgdOptions { momentum: 1.0, ..SgdOptions::default() };
    assert!(matches!(Sgd::<f32>::new(&tiny(), bad), Err(NnError::InvalidParameter { name: "momentum", .. })));
    let bad = AdamOptions { beta2: f64::NAN, ..AdamOptions::default() };
    assert!(matches!(Adam::<f32>::new(&tiny(), bad), Err(NnError::InvalidParameter { name: "beta2", .. })));
    let bad = AdamOptions { epsilon: 0.0, ..AdamOptions::default() };
    assert!(matches!(Adam::<f32>::new(&tiny(), bad), Err(NnError::InvalidParameter { name: "epsilon", .. })));
}

#[test]
fn trainer_step_is_gradient_then_update() {
    let net = network(spec(&[3, 4, 2], &[Activation::Tanh, Activation::Identity], Loss::SoftmaxCrossEntropy), 5);
    let mut d = Draw::new(6);
    let x = d.mat(3, 4, -1.0, 1.0);
    let labels = [0, 1, 1, 0];
    let mut ws = Workspace::new(net.spec(), 4, 1).unwrap();
    let mut g = vec![0.0; net.spec().num_params()];
    let l = net.loss_gradient(x.as_ref(), Targets::Labels(&labels), &mut ws, &mut g, None).unwrap();
    let o = SgdOptions { learning_rate: 0.3, momentum: 0.0 };
    let sgd = Sgd::new(net.spec(), o).unwrap();
    let mut trainer = Trainer::new(net.clone(), Box::new(sgd), 4, 1).unwrap();
    assert_eq!(trainer.step(x.as_ref(), Targets::Labels(&labels)).unwrap(), l);
    for (k, (&after, &before)) in trainer.network().params().iter().zip(net.params()).enumerate() {
        assert_eq!(after, before - 0.3 * g[k], "parameter {k}");
    }
    // A bad batch leaves the parameters alone.
    let before = trainer.network().params().to_vec();
    assert!(trainer.step(x.as_ref(), Targets::Labels(&[0, 1, 2, 0])).is_err());
    assert_eq!(trainer.network().params(), &before[..]);
    let _: Network<f64> = trainer.into_network();
}

/// The elementwise optimisers cut over threads give the bits of one thread.
#[test]
fn parallel_updates_are_the_sequential_updates() {
    let spec = spec(&[300, 700, 5], &[Activation::Relu, Activation::Identity], Loss::SquaredError);
    let n = spec.num_params();
    let mut d = Draw::new(12);
    let grads: Vec<Vec<f64>> = (0..3).map(|_| (0..n).map(|_| d.uniform(-1.0, 1.0)).collect()).collect();
    let start: Vec<f64> = (0..n).map(|_| d.uniform(-1.0, 1.0)).collect();
    let run = |parts: usize, adam: bool| {
        let mut opt: Box<dyn Optimiser<f64>> = if adam {
            Box::new(Adam::new(&spec, AdamOptions::default()).unwrap())
        } else {
            Box::new(Sgd::new(&spec, SgdOptions::default()).unwrap())
        };
        let mut p = start.clone();
        for g in &grads {
            opt.step_parallel(&spec, &mut p, g, parts);
        }
        p
    };
    for adam in [false, true] {
        let one = run(1, adam);
        assert_ne!(one, start);
        for parts in [2, 3, 8] {
            assert_eq!(run(parts, adam), one, "adam={adam} parts={parts}");
        }
    }
}

/// `Trainer::step` updates each layer right after its gradient; the bits are those of the
/// gradient pass followed by one update of the whole buffer, for SGD and Adam, on one thread
/// and on two (where the 400 × 700 layer's update, 280 700 parameters, is split), called on a
/// pool's worker and from outside any pool (where the step moves to a worker of the global one).
#[test]
fn layerwise_step_is_backward_then_whole_buffer_update() {
    let spec = spec(&[400, 700, 5], &[Activation::Tanh, Activation::Identity], Loss::SoftmaxCrossEntropy);
    assert!(spec.layer_params(0).len() >= tessera::nn::PARALLEL_MIN_PARAMS);
    let net = network(spec.clone(), 5);
    let mut d = Draw::new(13);
    let x = d.mat(400, 6, -1.0, 1.0);
    let labels = [0, 4, 2, 1, 3, 0];
    let optimiser = |adam: bool| -> Box<dyn Optimiser<f64>> {
        if adam {
            Box::new(Adam::new(&spec, AdamOptions::default()).unwrap())
        } else {
            Box::new(Sgd::new(&spec, SgdOptions::default()).unwrap())
        }
    };
    for adam in [false, true] {
        for (threads, on_pool) in [(1, true), (2, true), (2, false)] {
            let mut fused = Trainer::new(net.clone(), optimiser(adam), 6, threads).unwrap();
            let mut split = Trainer::new(net.clone(), optimiser(adam), 6, threads).unwrap();
            for _ in 0..3 {
                let mut step = || fused.step(x.as_ref(), Targets::Labels(&labels)).unwrap();
                let a = if on_pool { crate::common::in_two_threads(step) } else { step() };
                let b = split.backward(x.as_ref(), Targets::Labels(&labels), None).unwrap();
                crate::common::in_two_threads(|| split.apply(None).unwrap());
                assert_eq!(a.to_bits(), b.to_bits());
                assert_eq!(fused.gradient(), split.gradient());
            }
            assert_ne!(fused.network().params(), net.params());
            assert_eq!(fused.network().params(), split.network().params(), "adam={adam} threads={threads} on_pool={on_pool}");
        }
    }
}
