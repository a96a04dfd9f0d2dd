//! A training step, an inference pass and a vector-Jacobian product allocate nothing once the
//! trainer and workspace exist (heap allocations counted by a wrapper around the system
//! allocator, per thread), for both precisions, every activation and loss, and with large
//! products.

use crate::counting::{self, allocations};
use faer::Mat;
use crate::support::*;
use tessera::nn::{Activation, Adam, AdamOptions, Float, Loss, Network, Optimiser, PathSgd, PathSgdOptions, Sgd, SgdOptions, Targets, Trainer, Workspace};

#[derive(Clone, Copy, Debug)]
enum Opt {
    Sgd,
    Adam,
    PathSgd,
}

/// Allocations of `steps` training steps, an inference pass and a VJP after a first warm-up step.
fn allocations_after_warm_up<T: Float>(sizes: &[usize], acts: &[Activation], loss: Loss, batch: usize, threads: usize, opt: Opt) -> usize {
    let spec = spec(sizes, acts, loss);
    let net = Network::<T>::new(spec.clone(), 1);
    let opt: Box<dyn Optimiser<T>> = match opt {
        Opt::Sgd => Box::new(Sgd::new(&spec, SgdOptions::default()).unwrap()),
        Opt::Adam => Box::new(Adam::new(&spec, AdamOptions::default()).unwrap()),
        Opt::PathSgd => Box::new(PathSgd::new(&spec, PathSgdOptions::default()).unwrap()),
    };
    let mut trainer = Trainer::new(net, opt, batch, threads).unwrap();
    let n = *sizes.last().unwrap();
    let mut d = Draw::new(2);
    let x = Mat::<T>::from_fn(sizes[0], batch, |_, _| T::from_f64(d.uniform(-1.0, 1.0)));
    let labels: Vec<u32> = (0..batch as u32).map(|j| j % n as u32).collect();
    let t = Mat::<T>::from_fn(n, batch, |i, j| T::from_f64(((i + j) % 2) as f64));
    let targets = || if loss == Loss::SoftmaxCrossEntropy { Targets::Labels(&labels) } else { Targets::Values(t.as_ref()) };
    let mut ws = Workspace::<T>::new(&spec, batch, threads).unwrap();
    let mut g = vec![T::ZERO; spec.num_params()];
    let mut gx = Mat::<T>::zeros(sizes[0], batch);
    trainer.step(x.as_ref(), targets()).unwrap();
    trainer.network().vjp(x.as_ref(), t.as_ref(), &mut ws, &mut g, Some(gx.as_mut())).unwrap();
    let before = allocations();
    for _ in 0..3 {
        trainer.step(x.as_ref(), targets()).unwrap();
    }
    let (net, tws) = trainer.parts();
    net.predict(x.as_ref(), tws).unwrap();
    net.vjp(x.as_ref(), t.as_ref(), &mut ws, &mut g, Some(gx.as_mut())).unwrap();
    allocations() - before
}

#[test]
fn small_networks_allocate_nothing_per_step() {
    for a in Activation::ALL {
        for loss in [Loss::SquaredError, Loss::SoftmaxCrossEntropy, Loss::Logistic] {
            let acts = [a, Activation::Identity];
            for opt in [Opt::Sgd, Opt::Adam, Opt::PathSgd] {
                assert_eq!(allocations_after_warm_up::<f64>(&[6, 9, 4], &acts, loss, 7, 1, opt), 0, "{a:?} {loss:?} {opt:?} f64");
                assert_eq!(allocations_after_warm_up::<f32>(&[6, 9, 4], &acts, loss, 7, 1, opt), 0, "{a:?} {loss:?} {opt:?} f32");
            }
        }
    }
}

#[test]
fn large_products_allocate_nothing_per_step() {
    // faer packs operands of large products in buffers of its own, without allocating.
    let acts = [Activation::Relu, Activation::Identity];
    assert_eq!(allocations_after_warm_up::<f32>(&[256, 256, 10], &acts, Loss::SoftmaxCrossEntropy, 128, 1, Opt::Sgd), 0);
    assert_eq!(allocations_after_warm_up::<f64>(&[784, 1024, 10], &acts, Loss::SoftmaxCrossEntropy, 256, 1, Opt::Adam), 0);
    assert_eq!(allocations_after_warm_up::<f32>(&[784, 256, 10], &acts, Loss::SoftmaxCrossEntropy, 64, 1, Opt::PathSgd), 0);
}

/// On two threads the large products are cut into one-thread tasks by `rayon::join` (jobs on
/// the stack), as is the update: neither worker allocates, for every optimiser and with the
/// first layer's weight gradient cut into row blocks or beside the input gradient.
#[test]
fn two_thread_steps_allocate_nothing() {
    let counter = counting::new_counter();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).start_handler(move |_| counting::attach(counter)).build().unwrap();
    let acts = [Activation::Relu, Activation::Identity];
    for opt in [Opt::Sgd, Opt::Adam, Opt::PathSgd] {
        let f32s = pool.install(|| allocations_after_warm_up::<f32>(&[784, 1024, 10], &acts, Loss::SoftmaxCrossEntropy, 256, 2, opt));
        let f64s = pool.install(|| allocations_after_warm_up::<f64>(&[300, 520, 130], &acts, Loss::SquaredError, 64, 2, opt));
        assert_eq!((f32s, f64s), (0, 0), "{opt:?}");
    }
}
