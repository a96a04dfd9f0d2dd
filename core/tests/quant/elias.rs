//! Elias-ω codes against hand-computed codewords and round trips; the bit writer/reader;
//! CRC-32 against published check values and a bitwise implementation.

use crate::common::Rng;
use tessera::quant::{crc32, omega_len, read_omega, write_omega, BitReader, BitWriter, QuantError};

/// The codeword of `k` as a string of '0'/'1'.
fn codeword(k: u64) -> String {
    let mut w = BitWriter::default();
    write_omega(&mut w, k);
    let len = w.bit_len() as usize;
    let bytes = w.finish();
    (0..len).map(|i| if bytes[i / 8] >> (7 - i % 8) & 1 == 1 { '1' } else { '0' }).collect()
}

#[test]
fn codewords_match_hand_computed_ones() {
    // ω(k): the binary form of k, preceded by ω's chain of (length − 1)s, then a 0.
    let table = [
        (1, "0"),
        (2, "100"),
        (3, "110"),
        (4, "101000"),
        (5, "101010"),
        (7, "101110"),
        (8, "1110000"),
        (15, "1111110"),
        (16, "10100100000"),
        (17, "10100100010"),
        (100, "1011011001000"),
        (1000, "11100111111010000"),
    ];
    for (k, code) in table {
        assert_eq!(codeword(k), code, "ω({k})");
        assert_eq!(omega_len(k) as usize, code.len(), "|ω({k})|");
    }
    // 2^64 − 1: 64 ones, preceded by ω-chain 63 = 111111, 5 = 101, 2 = 10.
    let max = codeword(u64::MAX);
    assert_eq!(max, format!("10101111111{}0", "1".repeat(64)));
}

fn round_trip(values: &[u64]) {
    let mut w = BitWriter::default();
    for &k in values {
        write_omega(&mut w, k);
    }
    let bits = w.bit_len();
    assert_eq!(bits, values.iter().map(|&k| omega_len(k) as u64).sum::<u64>());
    let bytes = w.finish();
    let mut r = BitReader::new(&bytes, bits);
    for &k in values {
        assert_eq!(read_omega(&mut r).unwrap(), k);
    }
    assert_eq!(r.remaining(), 0);
}

#[test]
fn every_integer_up_to_2_16_round_trips() {
    round_trip(&(1..=1u64 << 16).collect::<Vec<_>>());
}

/// The codewords of the table lookup (k < 64) and their neighbours, mixed, and short ones at
/// the end of the payload, where fewer bits are left than a lookup reads.
#[test]
fn small_codes_round_trip_to_the_end_of_the_payload() {
    let mut values: Vec<u64> = (0..3000u64).map(|i| 1 + (i * 7919 + i * i) % 70).collect();
    values.extend([63, 64, 65, 1, 2, 1, 3, 1]);
    round_trip(&values);
    for end in [vec![1], vec![2, 1], vec![63], vec![7, 1, 1]] {
        round_trip(&end);
    }
}

#[test]
fn large_integers_round_trip() {
    let mut values = vec![u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) - 1, 1 << 32, (1 << 32) + 1, u32::MAX as u64];
    for e in 1..64 {
        values.extend([(1u64 << e) - 1, 1u64 << e, (1u64 << e) + 1]);
    }
    let mut rng = Rng::new(7);
    for _ in 0..10_000 {
        let shift = (rng.uniform() * 64.0) as u32;
        values.push(((rng.uniform() * 2f64.powi(53)) as u64).rotate_left(shift).max(1));
    }
    round_trip(&values);
}

#[test]
fn gap_codes_are_at_most_g_plus_2_bits() {
    // The premise of max_encoded_len (beyond 2^16, |ω(g)| < 3 log2 g is far below g).
    for g in 1..=1u64 << 16 {
        assert!(omega_len(g) as u64 <= g + 2, "|ω({g})| = {}", omega_len(g));
    }
    assert!(omega_len(u64::MAX) == 76);
}

#[test]
fn mixed_width_writes_read_back() {
    let mut rng = Rng::new(11);
    let items: Vec<(u64, u32)> = (0..20_000)
        .map(|_| {
            let len = (rng.uniform() * 65.0) as u32;
            let v = if len == 0 { 0 } else { ((rng.uniform() * 2f64.powi(53)) as u64 ^ ((rng.uniform() * 2f64.powi(53)) as u64) << 11) >> (64 - len) };
            (v, len)
        })
        .collect();
    let mut w = BitWriter::default();
    for &(v, len) in &items {
        w.put(v, len);
    }
    let bits = w.bit_len();
    let bytes = w.finish();
    assert_eq!(bytes.len() as u64, bits.div_ceil(8));
    let mut r = BitReader::new(&bytes, bits);
    for &(v, len) in &items {
        assert_eq!(r.get(len).unwrap(), v);
    }
    assert!(r.get(1).is_err());
}

#[test]
fn bad_codes_are_errors() {
    // Truncated: "10" is the start of ω(2) = "100" (the reader stops at the bit length).
    let mut r = BitReader::new(&[0b1000_0000], 2);
    assert!(matches!(read_omega(&mut r), Err(QuantError::Corrupt(_))));
    // Overlong: groups that keep starting with 1 beyond 64 bits.
    let ones = [0xffu8; 32];
    let mut r = BitReader::new(&ones, 256);
    assert!(matches!(read_omega(&mut r), Err(QuantError::Corrupt(_))));
}

/// Bit-at-a-time CRC-32 (the definition), to check the table-driven one.
fn crc32_bitwise(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn crc32_matches_check_values() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"a"), 0xe8b7_be43);
    assert_eq!(crc32(b"abc"), 0x3524_41c2);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414f_a339);
    let mut rng = Rng::new(3);
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len).map(|_| (rng.uniform() * 256.0) as u8).collect();
        assert_eq!(crc32(&bytes), crc32_bitwise(&bytes), "length {len}");
    }
}
