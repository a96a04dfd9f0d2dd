//! decode(encode(v)) equals Q_s(v) bit for bit, over sizes, bucket sizes, levels, norms and
//! both element types; the quantised values have the structure Q_s prescribes.

use crate::common::Rng;
use tessera::quant::{
    decode, decode_quantized, encode, max_encoded_len, quantize, stream_info, Element, Norm, QsgdOptions, MAX_LEVELS,
};

/// A test vector of length n: normals of scale `scale`, with runs of zeros (including
/// whole buckets of 16) and some negative zeros.
fn vector(n: usize, scale: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| match (i / 16) % 5 {
            3 => 0.0,
            _ if rng.uniform() < 0.1 => -0.0,
            _ => scale * rng.normal(),
        })
        .collect()
}

fn check<T: Element>(v: &[T], o: &QsgdOptions) {
    let what = format!("n = {}, {o:?}, {}", v.len(), T::NAME);
    let q = quantize(v, o).unwrap();
    let stream = encode(v, o).unwrap();
    assert_eq!(decode_quantized::<T>(&stream).unwrap(), q, "{what}");
    let expected = q.dequantize();
    let decoded = decode::<T>(&stream).unwrap();
    let bits = |x: &[T]| x.iter().map(|e| e.to_bits64()).collect::<Vec<_>>();
    assert_eq!(bits(&decoded), bits(&expected), "{what}");
    assert_eq!(encode(v, o).unwrap(), stream, "{what}: not reproducible");
    assert!(stream.len() <= max_encoded_len::<T>(v.len(), o).unwrap().unwrap(), "{what}");
    let info = stream_info(&stream).unwrap();
    assert_eq!((info.element, info.params), (T::CODE, o.params(v.len()).unwrap()));
    // Structure: |level| ≤ s; zeros stay zero; a nonzero keeps the sign of v; |Q_i| ≤ σ.
    let s = o.levels as i64;
    for (b, chunk) in q.levels.chunks(q.params.bucket_size).enumerate() {
        let sigma = q.scales[b].to_f64();
        for (i, &l) in chunk.iter().enumerate() {
            let k = b * q.params.bucket_size + i;
            let x = v[k].to_f64();
            assert!((l as i64).abs() <= s, "{what}");
            assert!(x != 0.0 || l == 0, "{what}: zero quantised to {l}");
            assert!(l == 0 || (l < 0) == (x < 0.0), "{what}: sign at {k}");
            assert!(decoded[k].to_f64().abs() <= sigma, "{what}");
            assert!(x.abs() <= sigma, "{what}: scale below an entry");
        }
    }
}

fn options(levels: u32, bucket_size: usize, norm: Norm, seed: u64) -> QsgdOptions {
    QsgdOptions { levels, bucket_size, norm, seed }
}

#[test]
fn decode_of_encode_is_the_quantiser_over_many_shapes() {
    let mut seed = 0;
    for n in [0usize, 1, 2, 7, 64, 511, 512, 513, 1000, 4099] {
        for bucket in [0usize, 1, 3, 16, 512] {
            for levels in [1u32, 2, 3, 16, 255, 1 << 20, MAX_LEVELS] {
                for norm in [Norm::L2, Norm::Max] {
                    seed += 1;
                    let o = options(levels, bucket, norm, seed);
                    let v = vector(n, 1.0, seed);
                    check::<f64>(&v, &o);
                    check::<f32>(&v.iter().map(|&x| x as f32).collect::<Vec<_>>(), &o);
                }
            }
        }
    }
}

#[test]
fn extreme_magnitudes_round_trip() {
    for norm in [Norm::L2, Norm::Max] {
        for scale in [1e-310, 1e-200, 1e200, 1e300] {
            check::<f64>(&vector(700, scale, 5), &options(16, 64, norm, 9));
        }
        for scale in [1e-42f64, 1e-30, 1e30] {
            check::<f32>(&vector(700, scale, 6).iter().map(|&x| x as f32).collect::<Vec<_>>(), &options(16, 64, norm, 9));
        }
        check::<f64>(&[f64::MAX, -f64::MAX, 0.0], &options(4, 0, Norm::Max, 1));
        check::<f64>(&[f64::MIN_POSITIVE / 8.0, 0.0, -f64::MIN_POSITIVE / 3.0], &options(3, 0, norm, 1));
    }
}

#[test]
fn levels_on_the_grid_are_exact() {
    // |v_i| = σ k / s (max-norm, σ = 1 exactly): no rounding draw, Q_s(v) = v.
    let s = 8;
    let v: Vec<f64> = (0..=s).map(|k| if k % 2 == 0 { k as f64 / s as f64 } else { -(k as f64) / s as f64 }).collect();
    let q = quantize(&v, &options(s, 0, Norm::Max, 3)).unwrap();
    assert_eq!(q.dequantize(), v);
    assert_eq!(q.levels, (0..=s as i32).map(|k| if k % 2 == 0 { k } else { -k }).collect::<Vec<_>>());
}

#[test]
fn seeds_change_the_draws_and_buckets_are_independent_of_each_other() {
    let v = vector(2048, 1.0, 1);
    let a = quantize(&v, &options(4, 512, Norm::L2, 1)).unwrap();
    let b = quantize(&v, &options(4, 512, Norm::L2, 2)).unwrap();
    assert_ne!(a.levels, b.levels);
    // The draws of bucket 1 do not depend on bucket 0's content.
    let mut w = v.clone();
    w[..512].iter_mut().for_each(|x| *x *= 3.0);
    let c = quantize(&w, &options(4, 512, Norm::L2, 1)).unwrap();
    assert_eq!(a.levels[512..], c.levels[512..]);
}
