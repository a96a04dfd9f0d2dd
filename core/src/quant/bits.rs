//! Bit strings, most significant bit first: bit `i` of a string is bit `7 − i mod 8` of byte
//! `⌊i/8⌋`; the last byte is padded with zero bits.

use super::QuantError;

/// Appends bits to a byte vector.
pub struct BitWriter {
    out: Vec<u8>,
    /// Pending bits, right-aligned; `fill < 64` of them.
    acc: u64,
    fill: u32,
}

impl Default for BitWriter {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl BitWriter {
    /// A writer appending to `out` (which may already hold whole bytes, e.g. a header).
    pub fn new(out: Vec<u8>) -> Self {
        Self { out, acc: 0, fill: 0 }
    }

    /// Appends the `len ≤ 64` low bits of `value` (the higher bits must be zero).
    #[inline]
    pub fn put(&mut self, value: u64, len: u32) {
        debug_assert!(len <= 64 && (len == 64 || value >> len == 0));
        let free = 64 - self.fill;
        if len < free {
            self.acc = (self.acc << len) | value;
            self.fill += len;
        } else {
            let rest = len - free;
            let word = if free == 64 { value } else { (self.acc << free) | (value >> rest) };
            self.out.extend_from_slice(&word.to_be_bytes());
            self.acc = if rest == 0 { 0 } else { value & (u64::MAX >> (64 - rest)) };
            self.fill = rest;
        }
    }

    /// Bits written so far (including those of the bytes the vector started with).
    pub fn bit_len(&self) -> u64 {
        self.out.len() as u64 * 8 + self.fill as u64
    }

    /// The bytes, the last one padded with zeros.
    pub fn finish(mut self) -> Vec<u8> {
        let bytes = self.fill.div_ceil(8);
        let word = if self.fill == 0 { 0 } else { self.acc << (64 - self.fill) };
        self.out.extend_from_slice(&word.to_be_bytes()[..bytes as usize]);
        self.out
    }
}

/// Reads the first `len` bits of a byte slice; reading past them is an error.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    pos: u64,
    len: u64,
}

impl<'a> BitReader<'a> {
    /// A reader of the first `len ≤ 8 · bytes.len()` bits of `bytes`.
    pub fn new(bytes: &'a [u8], len: u64) -> Self {
        assert!(len <= bytes.len() as u64 * 8, "bit length beyond the bytes");
        Self { bytes, pos: 0, len }
    }

    /// Bits not yet read.
    pub fn remaining(&self) -> u64 {
        self.len - self.pos
    }

    /// 64 bits from bit `pos` on (zeros past the end of the bytes).
    #[inline]
    fn peek64(&self) -> u64 {
        let i = (self.pos / 8) as usize;
        let word = match self.bytes.get(i..i + 8) {
            Some(b) => u64::from_be_bytes(b.try_into().unwrap()),
            None => {
                let mut b = [0u8; 8];
                let tail = &self.bytes[i.min(self.bytes.len())..];
                b[..tail.len()].copy_from_slice(tail);
                u64::from_be_bytes(b)
            }
        };
        let shift = (self.pos % 8) as u32;
        if shift == 0 {
            word
        } else {
            let next = self.bytes.get(i + 8).copied().unwrap_or(0) as u64;
            (word << shift) | (next >> (8 - shift))
        }
    }

    /// The next `len` bits (`1 ≤ len ≤ 64`, at most [`Self::remaining`]) without consuming
    /// them.
    #[inline]
    pub(crate) fn peek(&self, len: u32) -> u64 {
        debug_assert!((1..=64).contains(&len) && len as u64 <= self.remaining());
        self.peek64() >> (64 - len)
    }

    /// Consumes `len ≤` [`Self::remaining`] bits.
    #[inline]
    pub(crate) fn skip(&mut self, len: u32) {
        debug_assert!(len as u64 <= self.remaining());
        self.pos += len as u64;
    }

    /// The next `len ≤ 64` bits as an integer.
    #[inline]
    pub fn get(&mut self, len: u32) -> Result<u64, QuantError> {
        debug_assert!(len <= 64);
        if (len as u64) > self.remaining() {
            return Err(QuantError::Corrupt("a code runs past the end of the payload"));
        }
        if len == 0 {
            return Ok(0);
        }
        let v = self.peek64() >> (64 - len);
        self.pos += len as u64;
        Ok(v)
    }
}
