//! Training-step time and inference throughput of the dense network engine, next to the time
//! of the same faer products alone (the floor the elementwise work adds to).
//!
//! For each network and batch, precision and thread count: the median (and for the step and
//! the products also the minimum) over `k` timed steps
//! (after warm-up) of a training step (forward, softmax cross-entropy, backward, SGD with
//! momentum 0.9), of its gradient pass and of an update of the whole parameter buffer on their
//! own (the step itself updates each layer right after its gradient), of the step's eight
//! products alone (forward `W A`, backward `∂Z Aᵀ` and `Wᵀ ∂Z`, same shapes and layouts, each
//! large one split over the threads by faer itself: what a caller of faer gets, where the
//! engine instead cuts rows into one-thread tasks), and of an inference pass. One JSON line
//! each, with `"peer": "tessera"`, read by `benches/nn_vs_jax.py`.
//!
//!     cargo run --release -p tessera-benches --bin nn -- [--k 20] [--threads 1,2] [--dtypes f32,f64] [--nets 64-128-10,...]

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use std::time::Instant;
use tessera::nn::{Activation, Float, Loss, Network, Sgd, SgdOptions, Spec, Targets, Trainer, Workspace, PARALLEL_MIN_MACS};

const CASES: [(&[usize], usize); 2] = [(&[784, 1024, 1024, 10], 256), (&[64, 128, 10], 32)];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median and minimum seconds of `k` calls of `f` after `k / 4 + 2` untimed ones.
fn timed(k: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..k / 4 + 2 {
        f();
    }
    let runs: Vec<f64> = (0..k)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    let min = runs.iter().copied().fold(f64::INFINITY, f64::min);
    (median(runs), min)
}

/// Median seconds of `k` calls of `f` after warm-up.
fn time(k: usize, f: impl FnMut()) -> f64 {
    timed(k, f).0
}

fn par(threads: usize, m: usize, n: usize, k: usize) -> Par {
    if threads > 1 && m * n * k >= PARALLEL_MIN_MACS {
        Par::rayon(threads)
    } else {
        Par::Seq
    }
}

/// The products of one training step, with the engine's shapes, on faer's parallel split.
fn products<T: Float>(sizes: &[usize], batch: usize, threads: usize, k: usize) -> (f64, f64) {
    let ws: Vec<Mat<T>> = sizes.windows(2).map(|w| Mat::zeros(w[1], w[0])).collect();
    let mut acts: Vec<Mat<T>> = sizes.iter().map(|&n| Mat::from_fn(n, batch, |i, j| T::from_f64(((i + j) % 7) as f64 * 0.1))).collect();
    let mut grads: Vec<Mat<T>> = sizes.iter().map(|&n| Mat::zeros(n, batch)).collect();
    let mut gw: Vec<Mat<T>> = ws.iter().map(|w| Mat::zeros(w.nrows(), w.ncols())).collect();
    timed(k, || {
        for l in 0..ws.len() {
            let (lo, hi) = acts.split_at_mut(l + 1);
            let p = par(threads, sizes[l + 1], sizes[l], batch);
            matmul(hi[0].as_mut(), Accum::Replace, ws[l].as_ref(), lo[l].as_ref(), T::ONE, p);
        }
        for l in (0..ws.len()).rev() {
            let p = par(threads, sizes[l + 1], sizes[l], batch);
            matmul(gw[l].as_mut(), Accum::Replace, grads[l + 1].as_ref(), acts[l].transpose(), T::ONE, p);
            if l > 0 {
                let (lo, hi) = grads.split_at_mut(l + 1);
                matmul(lo[l].as_mut(), Accum::Replace, ws[l].transpose(), hi[0].as_ref(), T::ONE, p);
            }
        }
    })
}

fn run<T: Float>(sizes: &[usize], batch: usize, threads: usize, k: usize) {
    let acts: Vec<u32> = (0..sizes.len() - 1).map(|l| if l + 2 < sizes.len() { Activation::Relu as u32 } else { 0 }).collect();
    let spec = Spec::from_codes(sizes, &acts, Loss::SoftmaxCrossEntropy as u32).unwrap();
    let net = Network::<T>::new(spec.clone(), 1);
    let sgd = Sgd::new(&spec, SgdOptions { learning_rate: 1e-3, momentum: 0.9 }).unwrap();
    let mut trainer = Trainer::new(net.clone(), Box::new(sgd), batch, threads).unwrap();
    let x = Mat::<T>::from_fn(sizes[0], batch, |i, j| T::from_f64(((i * 7 + j * 3) % 11) as f64 / 11.0));
    let classes = *sizes.last().unwrap() as u32;
    let labels: Vec<u32> = (0..batch as u32).map(|j| j % classes).collect();
    let (step, step_min) = timed(k, || {
        trainer.step(x.as_ref(), Targets::Labels(&labels)).unwrap();
    });
    // The step's two halves on their own: the gradient pass, and the update of the whole
    // buffer after it (which the step instead applies layer by layer, in cache).
    let backward = time(k, || {
        trainer.backward(x.as_ref(), Targets::Labels(&labels), None).unwrap();
    });
    let update = time(k, || trainer.apply(None).unwrap());
    let (prod, prod_min) = products::<T>(sizes, batch, threads, k);
    let mut ws = Workspace::new(&spec, batch, threads).unwrap();
    let xr: MatRef<'_, T> = x.as_ref();
    let infer = time(k, || {
        net.predict(xr, &mut ws).unwrap();
    });
    let name: Vec<String> = sizes.iter().map(usize::to_string).collect();
    println!(
        "{{\"peer\": \"tessera\", \"net\": \"{}\", \"batch\": {batch}, \"dtype\": \"{}\", \"threads\": {threads}, \"step_us\": {:.2}, \"step_min_us\": {:.2}, \"backward_us\": {:.2}, \"update_us\": {:.2}, \"products_us\": {:.2}, \"products_min_us\": {:.2}, \"infer_samples_per_s\": {:.0}}}",
        name.join("-"),
        T::NAME,
        step * 1e6,
        step_min * 1e6,
        backward * 1e6,
        update * 1e6,
        prod * 1e6,
        prod_min * 1e6,
        batch as f64 / infer
    );
}

fn main() {
    let (mut k, mut threads, mut dtypes) = (20usize, vec![1usize, 2], vec!["f32".to_string(), "f64".to_string()]);
    let mut nets: Option<Vec<String>> = None;
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).unwrap_or_else(|| panic!("{} needs a value", pair[0]));
        match pair[0].as_str() {
            "--k" => k = value.parse().expect("--k takes a number"),
            "--threads" => threads = value.split(',').map(|t| t.parse().expect("thread counts")).collect(),
            "--dtypes" => dtypes = value.split(',').map(str::to_owned).collect(),
            "--nets" => nets = Some(value.split(',').map(str::to_owned).collect()),
            other => panic!("unknown option {other}"),
        }
    }
    for (sizes, batch) in CASES {
        let name: Vec<String> = sizes.iter().map(usize::to_string).collect();
        if nets.as_ref().is_some_and(|n| !n.contains(&name.join("-"))) {
            continue;
        }
        for &t in &threads {
            for d in &dtypes {
                match d.as_str() {
                    "f32" => run::<f32>(sizes, batch, t, k),
                    "f64" => run::<f64>(sizes, batch, t, k),
                    other => panic!("unknown dtype {other}"),
                }
            }
        }
    }
}
