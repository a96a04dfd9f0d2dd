//! Trains the dense network engine on two real datasets and checks the held-out accuracy:
//! Fashion-MNIST (Debian's `dataset-fashion-mnist`, 60 000 training and 10 000 test images)
//! with 784-256-10, and scikit-learn's bundled digits (1797 8×8 images, a seeded 80/20 split)
//! with 64-128-10. ReLU hidden layer, softmax cross-entropy, Adam with its defaults, batch 128,
//! seeded initialisation and shuffling, `f32`. Exits with status 1 if Fashion-MNIST is below
//! 85% or digits below 95%.
//!
//!     cargo run --release -p tessera-benches --bin nn_train -- \
//!         [--fashion /usr/share/datasets/fashion-mnist] [--digits .../sklearn/datasets/data/digits.csv.gz] \
//!         [--epochs 8] [--threads 1] [--only fashion|digits]

use faer::MatRef;
use std::process::{Command, ExitCode};
use std::time::Instant;
use tessera::nn::{Activation, Adam, AdamOptions, Loss, Network, Spec, Targets, Trainer, Workspace};

/// `n` samples of `d` features (sample-major, so an `d × n` column-major matrix) and labels.
struct Data {
    x: Vec<f32>,
    y: Vec<u32>,
    d: usize,
}

impl Data {
    fn len(&self) -> usize {
        self.y.len()
    }
}

fn gunzip(path: &str) -> Vec<u8> {
    let out = Command::new("gzip").arg("-dc").arg(path).output().unwrap_or_else(|e| panic!("gzip -dc {path}: {e}"));
    assert!(out.status.success(), "gzip -dc {path} failed");
    out.stdout
}

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

/// An IDX image file and its label file (LeCun's format: big-endian header, then bytes).
fn idx(images: &str, labels: &str) -> Data {
    let im = gunzip(images);
    let lb = gunzip(labels);
    assert_eq!(be32(&im, 0), 0x0803, "{images}: not an idx3 file");
    assert_eq!(be32(&lb, 0), 0x0801, "{labels}: not an idx1 file");
    let (n, d) = (be32(&im, 4), be32(&im, 8) * be32(&im, 12));
    assert_eq!(be32(&lb, 4), n);
    let x = im[16..16 + n * d].iter().map(|&p| p as f32 / 255.0).collect();
    let y = lb[8..8 + n].iter().map(|&l| l as u32).collect();
    Data { x, y, d }
}

/// scikit-learn's digits.csv.gz: 64 pixel values in 0..=16 then the label, per line.
fn digits(path: &str) -> Data {
    let text = String::from_utf8(gunzip(path)).expect("text");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Vec<f32> = line.split(',').map(|s| s.trim().parse().expect("a number")).collect();
        assert_eq!(v.len(), 65, "{path}: a line with {} values", v.len());
        x.extend(v[..64].iter().map(|p| p / 16.0));
        y.push(v[64] as u32);
    }
    Data { x, y, d: 64 }
}

/// SplitMix64, for the shuffles.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (((z ^ (z >> 31)) as u128 * n as u128) >> 64) as usize
    }
    fn shuffle(&mut self, v: &mut [usize]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

fn subset(data: &Data, idx: &[usize]) -> Data {
    let d = data.d;
    Data { x: idx.iter().flat_map(|&i| data.x[i * d..(i + 1) * d].iter().copied()).collect(), y: idx.iter().map(|&i| data.y[i]).collect(), d }
}

fn accuracy(net: &Network<f32>, data: &Data, ws: &mut Workspace<f32>) -> f64 {
    let (d, b) = (data.d, ws.max_batch());
    let mut correct = 0;
    for start in (0..data.len()).step_by(b) {
        let n = b.min(data.len() - start);
        let x = MatRef::from_column_major_slice(&data.x[start * d..(start + n) * d], d, n);
        let y = net.predict(x, ws).expect("finite outputs");
        for j in 0..n {
            let col = y.col(j);
            let best = (0..y.nrows()).max_by(|&a, &c| col[a].total_cmp(&col[c])).unwrap();
            correct += (best as u32 == data.y[start + j]) as usize;
        }
    }
    correct as f64 / data.len() as f64
}

/// Trains `d-hidden-classes` for `epochs` epochs; returns the test accuracy.
fn train(name: &str, train: &Data, test: &Data, hidden: usize, epochs: usize, threads: usize) -> f64 {
    let classes = 1 + *train.y.iter().max().unwrap() as usize;
    let spec = Spec::from_codes(&[train.d, hidden, classes], &[Activation::Relu as u32, 0], Loss::SoftmaxCrossEntropy as u32).unwrap();
    let net = Network::<f32>::new(spec.clone(), 20261201);
    let adam = Adam::new(&spec, AdamOptions::default()).unwrap();
    const BATCH: usize = 128;
    let mut trainer = Trainer::new(net, Box::new(adam), BATCH, threads).unwrap();
    let mut rng = Rng(7);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let (mut xb, mut yb) = (vec![0f32; BATCH * train.d], vec![0u32; BATCH]);
    let t0 = Instant::now();
    let mut steps = 0;
    for epoch in 0..epochs {
        rng.shuffle(&mut order);
        let mut total = 0.0;
        for chunk in order.chunks(BATCH) {
            for (k, &i) in chunk.iter().enumerate() {
                xb[k * train.d..(k + 1) * train.d].copy_from_slice(&train.x[i * train.d..(i + 1) * train.d]);
                yb[k] = train.y[i];
            }
            let x = MatRef::from_column_major_slice(&xb[..chunk.len() * train.d], train.d, chunk.len());
            total += trainer.step(x, Targets::Labels(&yb[..chunk.len()])).unwrap() * chunk.len() as f64;
            steps += 1;
        }
        eprintln!("{name}: epoch {} mean training loss {:.4}", epoch + 1, total / train.len() as f64);
    }
    let secs = t0.elapsed().as_secs_f64();
    let mut ws = Workspace::new(&spec, 1000, threads).unwrap();
    let acc = accuracy(trainer.network(), test, &mut ws);
    println!(
        "{name}: {}-{hidden}-{classes}, {epochs} epochs, {steps} steps in {secs:.2} s ({:.0} µs/step): test accuracy {:.2}% on {} samples",
        train.d,
        secs * 1e6 / steps as f64,
        acc * 100.0,
        test.len()
    );
    acc
}

fn main() -> ExitCode {
    let mut fashion = "/usr/share/datasets/fashion-mnist".to_string();
    let mut digits_path = None;
    let (mut epochs, mut threads, mut only) = (8, 1, None);
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let value = pair.get(1).unwrap_or_else(|| panic!("{} needs a value", pair[0])).clone();
        match pair[0].as_str() {
            "--fashion" => fashion = value,
            "--digits" => digits_path = Some(value),
            "--epochs" => epochs = value.parse().expect("--epochs takes a number"),
            "--threads" => threads = value.parse().expect("--threads takes a number"),
            "--only" => only = Some(value),
            other => panic!("unknown option {other}"),
        }
    }
    let mut ok = true;
    if only.as_deref() != Some("digits") {
        let f = |s: &str| format!("{fashion}/{s}-ubyte.gz");
        let tr = idx(&f("train-images-idx3"), &f("train-labels-idx1"));
        let te = idx(&f("t10k-images-idx3"), &f("t10k-labels-idx1"));
        let acc = train("fashion-mnist", &tr, &te, 256, epochs, threads);
        ok &= acc >= 0.85;
    }
    if only.as_deref() != Some("fashion") {
        let path = digits_path.expect("--digits PATH (sklearn/datasets/data/digits.csv.gz)");
        let all = digits(&path);
        let mut order: Vec<usize> = (0..all.len()).collect();
        Rng(11).shuffle(&mut order);
        let cut = all.len() * 4 / 5;
        let acc = train("digits", &subset(&all, &order[..cut]), &subset(&all, &order[cut..]), 128, 4 * epochs, threads);
        ok &= acc >= 0.95;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("accuracy below the target (85% Fashion-MNIST, 95% digits)");
        ExitCode::FAILURE
    }
}
