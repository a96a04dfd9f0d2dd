//! The parameter file round-trips exactly and every damaged file is rejected with a typed
//! error (each truncation, each single-byte change, trailing bytes, the other precision);
//! specs, batches, targets and values that are wrong are reported, not computed with.

use faer::Mat;
use crate::support::*;
use tessera::nn::{Activation, Dense, Loss, Network, NnError, Sgd, SgdOptions, Spec, Targets, Trainer, Workspace};

fn sample() -> Network<f64> {
    network(spec(&[3, 4, 2], &[Activation::Gelu, Activation::Sigmoid], Loss::Logistic), 3)
}

#[test]
fn round_trip_is_bit_exact_in_both_precisions() {
    let net = sample();
    let back = Network::<f64>::from_bytes(&net.to_bytes().unwrap()).unwrap();
    assert_eq!(back.spec(), net.spec());
    assert_eq!(back.params(), net.params());
    let net32 = Network::<f32>::new(net.spec().clone(), 9);
    let back32 = Network::<f32>::from_bytes(&net32.to_bytes().unwrap()).unwrap();
    assert_eq!(back32.params(), net32.params());
    let dir = std::env::temp_dir().join(format!("tessera-nn-{}.bin", std::process::id()));
    net.save(&dir).unwrap();
    assert_eq!(Network::<f64>::load(&dir).unwrap().params(), net.params());
    std::fs::remove_file(&dir).unwrap();
    assert!(matches!(Network::<f64>::load(&dir), Err(NnError::Io(_))));
}

#[test]
fn the_header_is_as_documented() {
    let bytes = sample().to_bytes().unwrap();
    assert_eq!(&bytes[..8], b"TSRNNPAR");
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
    assert_eq!([u32_at(8), u32_at(12), u32_at(16), u32_at(20)], [1, 2, Loss::Logistic as u32, 2]);
    assert_eq!([u64_at(24), u64_at(32)], [3, 4]);
    assert_eq!(u32_at(40), Activation::Gelu as u32);
    assert_eq!([u64_at(48), u64_at(56)], [4, 2]);
    assert_eq!(u64_at(72), 26);
    assert_eq!(bytes.len(), 80 + 26 * 8 + 8);
    assert_eq!(f64::from_le_bytes(bytes[80..88].try_into().unwrap()), sample().params()[0]);
}

#[test]
fn every_truncation_and_every_byte_change_is_rejected() {
    let bytes = sample().to_bytes().unwrap();
    for n in 0..bytes.len() {
        assert!(matches!(Network::<f64>::from_bytes(&bytes[..n]), Err(NnError::Truncated { .. })), "truncated to {n}");
    }
    for k in 0..bytes.len() {
        for flip in [0x01u8, 0x80] {
            let mut b = bytes.clone();
            b[k] ^= flip;
            assert!(Network::<f64>::from_bytes(&b).is_err(), "byte {k} ^ {flip:#x} accepted");
        }
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(Network::<f64>::from_bytes(&long).unwrap_err(), NnError::TrailingBytes(1));
    assert_eq!(Network::<f32>::from_bytes(&bytes).unwrap_err(), NnError::WrongDtype { expected: 1, got: 2 });
    let mut b = bytes.clone();
    b[0] = b'X';
    assert_eq!(Network::<f64>::from_bytes(&b).unwrap_err(), NnError::BadMagic);
    let mut b = bytes.clone();
    b[8] = 2;
    assert_eq!(Network::<f64>::from_bytes(&b).unwrap_err(), NnError::UnsupportedVersion(2));
    let mut b = bytes;
    b[100] ^= 4;
    assert_eq!(Network::<f64>::from_bytes(&b).unwrap_err(), NnError::ChecksumMismatch);
}

#[test]
fn bad_specs() {
    let d = |inputs, outputs| Dense { inputs, outputs, activation: Activation::Relu };
    assert_eq!(Spec::new(vec![], Loss::SquaredError).unwrap_err(), NnError::NoLayers);
    assert_eq!(Spec::new(vec![d(3, 0)], Loss::SquaredError).unwrap_err(), NnError::ZeroSize { layer: 0 });
    assert_eq!(
        Spec::new(vec![d(3, 4), d(5, 2)], Loss::SquaredError).unwrap_err(),
        NnError::SizesDoNotChain { layer: 0, outputs: 4, next_inputs: 5 }
    );
    assert_eq!(Spec::from_codes(&[3, 4], &[7], 0).unwrap_err(), NnError::UnknownActivation(7));
    assert_eq!(Spec::from_codes(&[3, 4], &[0], 3).unwrap_err(), NnError::UnknownLoss(3));
    assert!(matches!(Spec::from_codes(&[3, 4, 2], &[0], 0), Err(NnError::LengthMismatch { .. })));
    assert_eq!(Spec::from_codes(&[3], &[], 0).unwrap_err(), NnError::NoLayers);
    assert_eq!(Spec::new(vec![d(usize::MAX / 2, 4)], Loss::SquaredError).unwrap_err(), NnError::TooLarge);
    let s = Spec::from_codes(&[3, 4, 2], &[1, 0], 1).unwrap();
    assert_eq!(s.num_params(), 3 * 4 + 4 + 4 * 2 + 2);
    assert_eq!([s.weights_offset(1), s.bias_offset(1)], [16, 24]);
}

#[test]
fn bad_batches_targets_and_values() {
    let mut net = network(spec(&[3, 4, 2], &[Activation::Relu, Activation::Identity], Loss::SoftmaxCrossEntropy), 4);
    let mut ws = Workspace::new(net.spec(), 4, 1).unwrap();
    let mut g = vec![0.0; net.spec().num_params()];
    let x = Mat::<f64>::from_fn(3, 4, |i, j| (i + j) as f64 * 0.1);
    let lg = |net: &Network<f64>, ws: &mut Workspace<f64>, g: &mut [f64], x: &Mat<f64>, t: Targets<'_, f64>| {
        net.loss_gradient(x.as_ref(), t, ws, g, None).unwrap_err()
    };
    assert_eq!(lg(&net, &mut ws, &mut g, &x, Targets::Labels(&[0, 1, 2, 0])), NnError::LabelOutOfRange { sample: 2, label: 2, classes: 2 });
    assert!(matches!(lg(&net, &mut ws, &mut g, &x, Targets::Labels(&[0, 1])), NnError::LengthMismatch { what: "labels", .. }));
    let t = Mat::<f64>::zeros(2, 4);
    assert!(matches!(lg(&net, &mut ws, &mut g, &x, Targets::Values(t.as_ref())), NnError::WrongTargets { .. }));
    let x5 = Mat::<f64>::zeros(3, 5);
    assert_eq!(lg(&net, &mut ws, &mut g, &x5, Targets::Labels(&[0; 5])), NnError::BatchTooLarge { batch: 5, max: 4 });
    let x0 = Mat::<f64>::zeros(3, 0);
    assert_eq!(lg(&net, &mut ws, &mut g, &x0, Targets::Labels(&[])), NnError::EmptyBatch);
    let x2 = Mat::<f64>::zeros(2, 4);
    assert!(matches!(lg(&net, &mut ws, &mut g, &x2, Targets::Labels(&[0; 4])), NnError::ShapeMismatch { what: "input", .. }));
    let mut xn = x.clone();
    xn[(1, 2)] = f64::NAN;
    assert_eq!(lg(&net, &mut ws, &mut g, &xn, Targets::Labels(&[0; 4])), NnError::NonFinite { what: "input", index: 7 });
    // A non-finite parameter written through the view is found when the outputs are.
    net.params_mut()[5] = f64::INFINITY;
    assert_eq!(lg(&net, &mut ws, &mut g, &x, Targets::Labels(&[0; 4])), NnError::NonFinite { what: "params", index: 5 });
    assert_eq!(net.predict(x.as_ref(), &mut ws).unwrap_err(), NnError::NonFinite { what: "params", index: 5 });
    assert!(Network::from_params(net.spec().clone(), net.params().to_vec()).is_err());
    assert!(matches!(Network::from_params(net.spec().clone(), vec![0.0; 3]), Err(NnError::LengthMismatch { .. })));

    let lnet = network(spec(&[3, 2], &[Activation::Identity], Loss::Logistic), 5);
    let mut lws = Workspace::new(lnet.spec(), 4, 1).unwrap();
    let mut lgrad = vec![0.0; lnet.spec().num_params()];
    let mut t = Mat::<f64>::zeros(2, 4);
    t[(1, 1)] = 1.5;
    assert_eq!(lg(&lnet, &mut lws, &mut lgrad, &x, Targets::Values(t.as_ref())), NnError::TargetOutOfRange { index: 3, value: 1.5 });
    t[(1, 1)] = f64::NAN;
    assert_eq!(lg(&lnet, &mut lws, &mut lgrad, &x, Targets::Values(t.as_ref())), NnError::NonFinite { what: "targets", index: 3 });
    assert!(matches!(lg(&lnet, &mut lws, &mut lgrad, &x, Targets::Labels(&[0; 4])), NnError::WrongTargets { .. }));
    assert_eq!(lnet.predict(x.as_ref(), &mut ws).unwrap_err(), NnError::WorkspaceMismatch);
    assert!(matches!(Workspace::<f64>::new(lnet.spec(), 0, 1), Err(NnError::InvalidParameter { name: "max_batch", .. })));
    assert!(matches!(Workspace::<f64>::new(lnet.spec(), 1, 0), Err(NnError::InvalidParameter { name: "threads", .. })));
}

/// A non-finite parameter whose effect the activation hides (a NaN or −∞ weight into a ReLU
/// unit, which maps both to 0, so every output stays finite) is reported by every call that
/// reads the parameters, and nothing is written: not the outputs, the gradients, the input
/// gradient nor the parameters.
#[test]
fn hidden_non_finite_parameters_are_reported_by_every_call() {
    let net = network(spec(&[3, 4, 2], &[Activation::Relu, Activation::Identity], Loss::SoftmaxCrossEntropy), 6);
    let x = Mat::<f64>::from_fn(3, 4, |i, j| 0.25 + 0.5 * ((i + j) % 3) as f64);
    let labels = [0, 1, 1, 0];
    for bad in [f64::NAN, f64::NEG_INFINITY] {
        // W_0[1, 0]: hidden unit 1, whose pre-activation is then NaN or −∞ for positive inputs.
        let mut params = net.params().to_vec();
        params[1] = bad;
        let mut broken = net.clone();
        broken.params_mut().copy_from_slice(&params);
        let want = NnError::NonFinite { what: "params", index: 1 };
        let mut ws = Workspace::new(net.spec(), 4, 1).unwrap();
        assert_eq!(broken.predict(x.as_ref(), &mut ws).unwrap_err(), want);
        let mut grad = vec![7.0; net.spec().num_params()];
        let mut input_grad = Mat::<f64>::from_fn(3, 4, |_, _| 7.0);
        let e = broken.loss_gradient(x.as_ref(), Targets::Labels(&labels), &mut ws, &mut grad, Some(input_grad.as_mut()));
        assert_eq!(e.unwrap_err(), want);
        let up = Mat::<f64>::from_fn(2, 4, |_, _| 1.0);
        assert_eq!(broken.vjp(x.as_ref(), up.as_ref(), &mut ws, &mut grad, Some(input_grad.as_mut())).unwrap_err(), want);
        assert!(grad.iter().all(|&g| g == 7.0) && input_grad.col_iter().all(|c| c.iter().all(|&g| g == 7.0)));
        assert_eq!(broken.to_bytes().unwrap_err(), want);
        let sgd = Sgd::new(net.spec(), SgdOptions::default()).unwrap();
        let mut trainer = Trainer::new(broken, Box::new(sgd), 4, 1).unwrap();
        assert_eq!(trainer.step(x.as_ref(), Targets::Labels(&labels)).unwrap_err(), want);
        assert_eq!(trainer.apply(None).unwrap_err(), want);
        assert_eq!(trainer.apply(Some(&vec![0.5; net.spec().num_params()])).unwrap_err(), want);
        let kept = trainer.network().params();
        assert!(kept.iter().zip(&params).all(|(a, b)| a.to_bits() == b.to_bits()));
        // The same network with a finite weight there trains, so it was the parameter.
        trainer.network_mut().params_mut()[1] = 0.5;
        assert!(trainer.step(x.as_ref(), Targets::Labels(&labels)).is_ok());
    }
}
