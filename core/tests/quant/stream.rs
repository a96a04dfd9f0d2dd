//! Bad input: invalid options and non-finite vectors are errors; truncated, padded,
//! bit-flipped and crafted streams (with a valid checksum) are rejected, never decoded.

use crate::common::Rng;
use tessera::quant::{
    crc32, decode, decode_quantized, encode, quantize, stream_info, write_omega, BitWriter, Norm, QsgdOptions, QuantError,
    HEADER_BYTES,
};

fn sample(n: usize) -> Vec<f32> {
    let mut rng = Rng::new(1);
    (0..n).map(|i| if i % 7 == 0 { 0.0 } else { rng.normal() as f32 }).collect()
}

fn opts(levels: u32, bucket_size: usize) -> QsgdOptions {
    QsgdOptions { levels, bucket_size, norm: Norm::L2, seed: 4 }
}

#[test]
fn bad_vectors_and_options_are_errors() {
    let o = QsgdOptions::default();
    assert_eq!(quantize(&[1.0f64, f64::NAN], &o), Err(QuantError::NonFinite { index: 1 }));
    assert_eq!(encode(&[0.0f32, 1.0, f32::NEG_INFINITY], &o), Err(QuantError::NonFinite { index: 2 }));
    let bad_levels = QsgdOptions { levels: 0, ..o.clone() };
    assert!(matches!(encode(&[1.0f64], &bad_levels), Err(QuantError::InvalidParameter { name: "levels", .. })));
    let too_many = QsgdOptions { levels: u32::MAX, ..o.clone() };
    assert!(matches!(quantize(&[1.0f64], &too_many), Err(QuantError::InvalidParameter { name: "levels", .. })));
    // Two entries near f32::MAX: the 2-norm overflows f32, the max-norm does not.
    let big = [3e38f32, -3e38];
    assert_eq!(encode(&big, &o), Err(QuantError::NormOverflow { bucket: 0 }));
    let max = QsgdOptions { norm: Norm::Max, ..o };
    assert_eq!(decode::<f32>(&encode(&big, &max).unwrap()).unwrap(), big.to_vec());
}

#[test]
fn the_empty_vector_round_trips() {
    let s = encode::<f64>(&[], &QsgdOptions::default()).unwrap();
    assert_eq!(s.len(), HEADER_BYTES + 4);
    assert_eq!(decode::<f64>(&s).unwrap(), Vec::<f64>::new());
}

#[test]
fn every_truncation_and_extension_is_rejected() {
    let s = encode(&sample(300), &opts(4, 64)).unwrap();
    for len in 0..s.len() {
        assert!(decode::<f32>(&s[..len]).is_err(), "prefix of {len} of {} bytes decoded", s.len());
    }
    let mut longer = s.clone();
    longer.push(0);
    assert!(matches!(decode::<f32>(&longer), Err(QuantError::Truncated { .. })));
}

#[test]
fn every_single_bit_flip_is_rejected() {
    for (n, levels, bucket) in [(300, 4, 64), (40, 1, 0), (5, 255, 2)] {
        let s = encode(&sample(n), &opts(levels, bucket)).unwrap();
        for bit in 0..s.len() * 8 {
            let mut t = s.clone();
            t[bit / 8] ^= 1 << (bit % 8);
            assert!(decode::<f32>(&t).is_err() && decode_quantized::<f32>(&t).is_err(), "flip of bit {bit} accepted");
        }
    }
}

#[test]
fn random_corruptions_are_rejected() {
    let s = encode(&sample(1000), &opts(16, 128)).unwrap();
    let mut rng = Rng::new(99);
    for _ in 0..2000 {
        let mut t = s.clone();
        for _ in 0..1 + (rng.uniform() * 8.0) as usize {
            let i = (rng.uniform() * t.len() as f64) as usize;
            t[i] ^= 1 + (rng.uniform() * 255.0) as u8;
        }
        assert!(decode::<f32>(&t).is_err());
    }
}

#[test]
fn header_checks_name_the_problem() {
    let s = encode(&sample(10), &opts(4, 0)).unwrap();
    assert!(matches!(decode::<f64>(&s), Err(QuantError::TypeMismatch { stream: "f32", requested: "f64" })));
    let mut t = s.clone();
    t[0] = b'X';
    assert_eq!(decode::<f32>(&t), Err(QuantError::BadMagic));
    let mut t = s.clone();
    t[20] ^= 1;
    assert!(matches!(decode::<f32>(&t), Err(QuantError::ChecksumMismatch { .. })));
    assert_eq!(decode::<f32>(&resealed(&s, |h| h[4] = 2)), Err(QuantError::UnsupportedVersion(2)));
    for edit in [
        (|h: &mut [u8]| h[5] = 3) as fn(&mut [u8]),
        |h| h[6] = 2,
        |h| h[7] = 1,
        |h| h[30] = 1,
        |h| h[24..28].fill(0),
        |h| h[16..24].fill(0),
    ] {
        assert!(matches!(decode::<f32>(&resealed(&s, edit)), Err(QuantError::Corrupt(_))));
    }
}

/// `stream` with its header edited and the checksum recomputed.
fn resealed(stream: &[u8], edit: fn(&mut [u8])) -> Vec<u8> {
    let mut t = stream[..stream.len() - 4].to_vec();
    edit(&mut t[..HEADER_BYTES]);
    let crc = crc32(&t);
    t.extend_from_slice(&crc.to_le_bytes());
    t
}

/// A stream with the header of an f32 stream of n = 4, s = 4, one bucket, and the payload
/// written by `payload` (with a valid checksum).
fn crafted(payload: impl FnOnce(&mut BitWriter)) -> Vec<u8> {
    let base = encode(&[1.0f32, 0.0, -2.0, 0.5], &opts(4, 0)).unwrap();
    let mut w = BitWriter::new(base[..HEADER_BYTES].to_vec());
    payload(&mut w);
    let bits = w.bit_len() - 8 * HEADER_BYTES as u64;
    let mut t = w.finish();
    t[32..40].copy_from_slice(&bits.to_le_bytes());
    let crc = crc32(&t);
    t.extend_from_slice(&crc.to_le_bytes());
    t
}

fn scale(w: &mut BitWriter, x: f32) {
    w.put(x.to_bits() as u64, 32);
}

/// One nonzero at 1-based position `pos` of level `level`, then the end of a bucket of 4.
fn one_nonzero(w: &mut BitWriter, pos: u64, level: u64) {
    write_omega(w, pos);
    w.put(0, 1);
    write_omega(w, level);
    write_omega(w, 5 - pos);
}

#[test]
fn crafted_payloads_with_valid_checksums_are_rejected() {
    // The baseline crafted stream decodes.
    let ok = crafted(|w| {
        scale(w, 2.0);
        one_nonzero(w, 2, 4);
    });
    assert_eq!(decode::<f32>(&ok).unwrap(), vec![0.0, 2.0, 0.0, 0.0]);
    let corrupt = |t: Vec<u8>| matches!(decode::<f32>(&t), Err(QuantError::Corrupt(_)));
    assert!(corrupt(crafted(|w| {
        scale(w, 2.0);
        one_nonzero(w, 2, 5); // level 5 > s = 4
    })));
    assert!(corrupt(crafted(|w| {
        scale(w, 2.0);
        write_omega(w, 6); // a gap past the end of the bucket
    })));
    assert!(corrupt(crafted(|w| {
        scale(w, 0.0);
        one_nonzero(w, 1, 1); // a nonzero under scale 0
    })));
    for bad in [-1.0f32, f32::NAN, f32::INFINITY, -0.0] {
        assert!(corrupt(crafted(|w| {
            scale(w, bad);
            write_omega(w, 5);
        })));
    }
    assert!(corrupt(crafted(|w| {
        scale(w, 2.0);
        write_omega(w, 5);
        w.put(0, 3); // stray bits after the last bucket
    })));
    assert!(corrupt(crafted(|w| scale(w, 2.0)))); // the bucket never ends
    // Nonzero padding bits: set the last bit of the final byte of a 38-bit payload.
    let mut t = crafted(|w| {
        scale(w, 2.0);
        write_omega(w, 5);
    });
    let last = t.len() - 5;
    t[last] |= 1;
    let body = t.len() - 4;
    let crc = crc32(&t[..body]);
    t[body..].copy_from_slice(&crc.to_le_bytes());
    assert!(corrupt(t));
    assert!(stream_info(&ok).is_ok());
}
