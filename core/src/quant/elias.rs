//! Elias ω ("recursive") coding of positive integers (Elias 1975), the integer code of QSGD.
//!
//! ω(k): start from the single bit `0`; while k > 1, put the binary form of k in front and
//! continue with k ← (its length − 1). So ω(1) = `0`, ω(2) = `10 0`, ω(3) = `11 0`,
//! ω(4) = `10 100 0`, and |ω(k)| = 1 + Σ (⌊log₂ kⱼ⌋ + 1) over the chain k, ⌊log₂ k⌋, … > 1,
//! about log k + log log k + … + 1. Decoding reads groups while they start with a `1`: a
//! group starting at value m holds m + 1 bits; codewords of `k < 64` (12 bits at most: every
//! QSGD gap of a dense bucket and level up to 63) are instead read by one table lookup.

use super::bits::{BitReader, BitWriter};
use super::QuantError;

/// Bits of ⌊log₂ k⌋ + 1 of `k ≥ 1`.
#[inline]
fn bit_width(k: u64) -> u32 {
    64 - k.leading_zeros()
}

/// Codewords of `k < OMEGA_TABLE_LEN` are looked up, not built: `OMEGA_TABLE[k]` is
/// `code << 8 | length` (codes of at most 17 bits; entry 0 is unused).
pub(crate) const OMEGA_TABLE_LEN: usize = 1024;
static OMEGA_TABLE: [u32; OMEGA_TABLE_LEN] = omega_table();

const fn omega_table() -> [u32; OMEGA_TABLE_LEN] {
    let mut table = [0u32; OMEGA_TABLE_LEN];
    let mut k = 1;
    while k < OMEGA_TABLE_LEN {
        // Groups are prepended: the terminal `0`, then k, then its chain.
        let (mut code, mut len, mut m) = (0u32, 1u32, k as u32);
        while m > 1 {
            let width = 32 - m.leading_zeros();
            code |= m << len;
            len += width;
            m = width - 1;
        }
        table[k] = code << 8 | len;
        k += 1;
    }
    table
}

/// Codewords of at most this many bits (those of `k < 64`) are decoded by one lookup.
const DECODE_BITS: u32 = 12;

/// `OMEGA_DECODE[w]`, for the next `DECODE_BITS` bits `w` of a stream: `k << 8 | |ω(k)|` if
/// they start with the codeword of some `k < 64`, else 0. ω is a prefix code, so every
/// window starting with ω(k) holds k.
static OMEGA_DECODE: [u32; 1 << DECODE_BITS] = omega_decode_table();

const fn omega_decode_table() -> [u32; 1 << DECODE_BITS] {
    let mut table = [0u32; 1 << DECODE_BITS];
    let mut k = 1;
    while k < 64 {
        let (code, len) = (OMEGA_TABLE[k] >> 8, OMEGA_TABLE[k] & 0xff);
        let free = DECODE_BITS - len;
        let mut rest = 0;
        while rest < 1 << free {
            table[((code << free) | rest) as usize] = (k as u32) << 8 | len;
            rest += 1;
        }
        k += 1;
    }
    table
}

/// ω(k) as (bits, length) for `1 ≤ k < OMEGA_TABLE_LEN`.
#[inline(always)]
pub(crate) fn omega_small(k: usize) -> (u64, u32) {
    let e = OMEGA_TABLE[k];
    ((e >> 8) as u64, e & 0xff)
}

/// Appends ω(k), `k ≥ 1`.
#[inline]
pub fn write_omega(w: &mut BitWriter, k: u64) {
    debug_assert!(k >= 1);
    if k < OMEGA_TABLE_LEN as u64 {
        let (code, len) = omega_small(k as usize);
        return w.put(code, len);
    }
    // The chain k, width(k) − 1, … > 1 has at most 5 links for a u64 (64 → 63 → 5 → 2).
    let mut chain = [0u64; 6];
    let (mut links, mut m) = (0, k);
    while m > 1 {
        chain[links] = m;
        links += 1;
        m = (bit_width(m) - 1) as u64;
    }
    for &m in chain[..links].iter().rev() {
        w.put(m, bit_width(m));
    }
    w.put(0, 1);
}

/// Reads one ω codeword; an overlong codeword (a value ≥ 2⁶⁴) or one that runs past the
/// end is an error.
#[inline]
pub fn read_omega(r: &mut BitReader) -> Result<u64, QuantError> {
    if r.remaining() >= DECODE_BITS as u64 {
        let e = OMEGA_DECODE[r.peek(DECODE_BITS) as usize];
        if e != 0 {
            r.skip(e & 0xff);
            return Ok((e >> 8) as u64);
        }
    }
    let mut m = 1u64;
    while r.get(1)? == 1 {
        if m >= 64 {
            return Err(QuantError::Corrupt("an Elias code exceeds 64 bits"));
        }
        m = (1 << m) | r.get(m as u32)?;
    }
    Ok(m)
}

/// |ω(k)|, the length in bits of the codeword of `k ≥ 1`.
pub fn omega_len(k: u64) -> u32 {
    let (mut len, mut m) = (1, k);
    while m > 1 {
        len += bit_width(m);
        m = (bit_width(m) - 1) as u64;
    }
    len
}
