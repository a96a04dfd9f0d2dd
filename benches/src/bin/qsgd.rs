//! QSGD encode and decode throughput, in GB/s of input (`n` values of `f32` or `f64`), with
//! the bits per coordinate against Theorem 3.2's bound, for the paper's configurations, and
//! the limit in the same run: the rate of one streaming read of the same input (a one-pass
//! encoder cannot beat it). One JSON line per configuration, with `"peer": "tessera"`, read by
//! `benches/qsgd_vs_torch.py`.
//!
//! Median of `k` timed calls after a warm-up, one thread, N(0, 1) input (a gradient-like
//! dense vector; every entry nonzero before quantisation).
//!
//!     cargo run --release -p tessera-benches --bin qsgd -- [--k 5] [--n 10000000]

use std::time::Instant;
use tessera::quant::{decode, encode, paper_bits_bound, quantize, stream_info, Element, Norm, QsgdOptions};

fn median_of(k: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..k.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Standard normal draws by Box–Muller from a SplitMix64 stream (seeded).
fn gaussian(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| (-2.0 * (1.0 - next()).ln()).sqrt() * (std::f64::consts::TAU * next()).cos()).collect()
}

/// Σ|v_i|, in 16 independent sums (so the pass runs at the read bandwidth, not at the
/// latency of one chain of additions).
fn read_pass<T: Element>(v: &[T]) -> f64 {
    let mut acc = [0.0f64; 16];
    let chunks = v.chunks_exact(16);
    let tail: f64 = chunks.remainder().iter().map(|x| x.to_f64().abs()).sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x.to_f64().abs();
        }
    }
    acc.iter().sum::<f64>() + tail
}

fn run<T: Element>(v: &[T], k: usize) {
    let bytes_in = (v.len() * core::mem::size_of::<T>()) as f64;
    let t_read = median_of(k, || {
        std::hint::black_box(read_pass(std::hint::black_box(v)));
    });
    // The paper's experiments: 2-bit (s = 1) with buckets of 128, 4-bit (s = 7) and 8-bit
    // (s = 127) with buckets of 512; plus the library default, s = 16, buckets of 512.
    for (levels, bucket) in [(1u32, 128usize), (7, 512), (16, 512), (127, 512)] {
        let o = QsgdOptions { levels, bucket_size: bucket, norm: Norm::L2, seed: 1 };
        let stream = encode(v, &o).expect("finite input");
        let info = stream_info(&stream).expect("valid stream");
        let t_enc = median_of(k, || drop(encode(v, &o).expect("finite input")));
        let t_dec = median_of(k, || drop(decode::<T>(&stream).expect("valid stream")));
        let t_q = median_of(k, || drop(quantize(v, &o).expect("finite input")));
        let bits = info.payload_bits as f64 / v.len() as f64;
        let bound = paper_bits_bound(&info.params, T::BITS) / v.len() as f64;
        println!(
            "{{\"peer\": \"tessera\", \"dtype\": \"{}\", \"levels\": {levels}, \"bucket\": {bucket}, \"n\": {}, \"encode_gbs\": {:.4}, \"decode_gbs\": {:.4}, \"quantize_gbs\": {:.4}, \"read_gbs\": {:.4}, \"bits\": {bits:.4}, \"bound\": {bound:.4}}}",
            T::NAME,
            v.len(),
            bytes_in / t_enc / 1e9,
            bytes_in / t_dec / 1e9,
            bytes_in / t_q / 1e9,
            bytes_in / t_read / 1e9,
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut k, mut n) = (5usize, 10_000_000usize);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{a} needs a number"));
        match a.as_str() {
            "--k" => k = value,
            "--n" => n = value,
            _ => panic!("unknown argument {a} (use --k, --n)"),
        }
    }
    let v = gaussian(n, 7);
    run::<f32>(&v.iter().map(|&x| x as f32).collect::<Vec<_>>(), k);
    run::<f64>(&v, k);
}
