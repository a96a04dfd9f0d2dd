//! The QSGD stream (docs/quant.md gives the layout byte for byte): a 40-byte header, the
//! payload bits (Section 3.1 of the paper, per bucket) and a CRC-32 of everything before it.
//!
//! Payload, per bucket of length d: the scale in the element's IEEE bits; then, for each
//! nonzero level in increasing position, ω(gap), a sign bit (1: negative) and ω(|ζ|), where
//! the gap is the distance from the previous nonzero (its 1-based position for the first);
//! then ω(d + 1 − last position), the gap to the position just past the bucket, which ends
//! it. Every bit is consumed; anything else (a gap leaving the bucket, a level above s, a
//! nonzero under scale 0, a non-finite or negative scale, stray bits) is `Corrupt`.

use super::bits::{BitReader, BitWriter};
use super::crc32::crc32;
use super::elias::{omega_len, omega_small, read_omega, write_omega, OMEGA_TABLE_LEN};
use super::element::Element;
use super::options::{Norm, QsgdOptions, QsgdParams};
use super::quantize::{level_sink, quantize_into, value, Quantized, Sink};
use super::QuantError;

/// `TQSG`.
pub const MAGIC: [u8; 4] = *b"TQSG";
/// The stream version written and read.
pub const VERSION: u8 = 1;
/// Bytes before the payload.
pub const HEADER_BYTES: usize = 40;
/// Bytes after the payload (the CRC-32).
pub const TRAILER_BYTES: usize = 4;

/// What the header of a checked stream says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Element type code: 1 (f32) or 2 (f64).
    pub element: u8,
    pub params: QsgdParams,
    /// Bits of the payload (the encoded vector without header, padding and checksum).
    pub payload_bits: u64,
}

impl StreamInfo {
    /// Bytes of the whole stream.
    pub fn total_bytes(&self) -> usize {
        HEADER_BYTES + self.payload_bits.div_ceil(8) as usize + TRAILER_BYTES
    }
}

fn element_name(code: u8) -> &'static str {
    match code {
        1 => "f32",
        _ => "f64",
    }
}

/// Writes the payload of a quantised vector.
struct BitSink {
    w: BitWriter,
    last: usize,
}

impl<T: Element> Sink<T> for BitSink {
    fn begin(&mut self, scale: T) {
        self.w.put(scale.to_bits64(), T::BITS);
        self.last = 0;
    }
    #[inline]
    fn nonzero(&mut self, pos: usize, negative: bool, level: u32) {
        write_omega(&mut self.w, (pos + 1 - self.last) as u64);
        self.w.put(negative as u64, 1);
        write_omega(&mut self.w, level as u64);
        self.last = pos + 1;
    }
    /// ω(gap), sign and ω(level) in one write, and nothing for a zero level, without a branch
    /// on the level when gap and level have table codewords.
    #[inline(always)]
    fn entry(&mut self, pos: usize, negative: bool, level: u32) {
        let gap = pos + 1 - self.last;
        if gap >= OMEGA_TABLE_LEN || level as usize >= OMEGA_TABLE_LEN {
            if level > 0 {
                <Self as Sink<T>>::nonzero(self, pos, negative, level);
            }
            return;
        }
        let (gap_code, gap_len) = omega_small(gap);
        let (level_code, level_len) = omega_small(level.max(1) as usize);
        let code = (((gap_code << 1) | negative as u64) << level_len) | level_code;
        let nonzero = level > 0;
        self.w.put(if nonzero { code } else { 0 }, if nonzero { gap_len + 1 + level_len } else { 0 });
        self.last = if nonzero { pos + 1 } else { self.last };
    }
    fn end(&mut self, len: usize) {
        write_omega(&mut self.w, (len + 1 - self.last) as u64);
    }
}

/// Encodes Q_s(v): the same draws as [`super::quantize`] with the same options, so
/// `decode(encode(v)) == quantize(v).dequantize()` bit for bit.
pub fn encode<T: Element>(v: &[T], options: &QsgdOptions) -> Result<Vec<u8>, QuantError> {
    let params = options.params(v.len())?;
    let mut sink = BitSink { w: BitWriter::new(vec![0; HEADER_BYTES]), last: 0 };
    quantize_into(v, &params, options.seed, &mut sink)?;
    let payload_bits = sink.w.bit_len() - 8 * HEADER_BYTES as u64;
    let mut out = sink.w.finish();
    out[..HEADER_BYTES].copy_from_slice(&header(T::CODE, &params, payload_bits));
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

fn header(element: u8, p: &QsgdParams, payload_bits: u64) -> [u8; HEADER_BYTES] {
    let mut h = [0u8; HEADER_BYTES];
    h[0..4].copy_from_slice(&MAGIC);
    h[4] = VERSION;
    h[5] = element;
    h[6] = match p.norm {
        Norm::L2 => 0,
        Norm::Max => 1,
    };
    h[8..16].copy_from_slice(&(p.n as u64).to_le_bytes());
    h[16..24].copy_from_slice(&(p.bucket_size as u64).to_le_bytes());
    h[24..28].copy_from_slice(&p.levels.to_le_bytes());
    h[32..40].copy_from_slice(&payload_bits.to_le_bytes());
    h
}

/// Checks a stream's header, length, checksum and padding, and returns what its header
/// says (the payload is checked by decoding it).
pub fn stream_info(bytes: &[u8]) -> Result<StreamInfo, QuantError> {
    if bytes.len() < HEADER_BYTES + TRAILER_BYTES {
        return Err(QuantError::Truncated { expected: HEADER_BYTES + TRAILER_BYTES, got: bytes.len() });
    }
    if bytes[0..4] != MAGIC {
        return Err(QuantError::BadMagic);
    }
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
    let payload_bits = u64_at(32);
    let expected = payload_bits
        .div_ceil(8)
        .checked_add((HEADER_BYTES + TRAILER_BYTES) as u64)
        .and_then(|e| usize::try_from(e).ok())
        .unwrap_or(usize::MAX);
    if bytes.len() != expected {
        return Err(QuantError::Truncated { expected, got: bytes.len() });
    }
    let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_BYTES);
    let stored = u32::from_le_bytes(trailer.try_into().unwrap());
    let computed = crc32(body);
    if stored != computed {
        return Err(QuantError::ChecksumMismatch { stored, computed });
    }
    if bytes[4] != VERSION {
        return Err(QuantError::UnsupportedVersion(bytes[4]));
    }
    let element = bytes[5];
    if element != 1 && element != 2 {
        return Err(QuantError::Corrupt("unknown element type"));
    }
    let norm = match bytes[6] {
        0 => Norm::L2,
        1 => Norm::Max,
        _ => return Err(QuantError::Corrupt("unknown norm")),
    };
    if bytes[7] != 0 || bytes[28..32] != [0; 4] {
        return Err(QuantError::Corrupt("reserved header bytes are not zero"));
    }
    let size = |x: u64| usize::try_from(x).map_err(|_| QuantError::Corrupt("a size exceeds the address space"));
    let levels = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let params = QsgdParams { n: size(u64_at(8))?, levels, bucket_size: size(u64_at(16))?, norm }
        .checked()
        .map_err(|_| QuantError::Corrupt("levels or bucket size out of range"))?;
    let pad = (payload_bits % 8) as u32;
    if pad != 0 && body[body.len() - 1] & (0xff >> pad) != 0 {
        return Err(QuantError::Corrupt("padding bits are not zero"));
    }
    Ok(StreamInfo { element, params, payload_bits })
}

/// [`stream_info`] for a stream of element type `T`.
fn info_for<T: Element>(bytes: &[u8]) -> Result<StreamInfo, QuantError> {
    let info = stream_info(bytes)?;
    if info.element != T::CODE {
        return Err(QuantError::TypeMismatch { stream: element_name(info.element), requested: T::NAME });
    }
    Ok(info)
}

/// Replays the payload of a stream checked by [`info_for`] into `sink`.
fn parse<T: Element>(bytes: &[u8], info: &StreamInfo, sink: &mut impl Sink<T>) -> Result<(), QuantError> {
    let p = info.params;
    let mut r = BitReader::new(&bytes[HEADER_BYTES..bytes.len() - TRAILER_BYTES], info.payload_bits);
    for len in p.bucket_lens() {
        let bits = r.get(T::BITS)?;
        let scale = T::from_bits64(bits);
        if bits >> (T::BITS - 1) != 0 || !scale.to_f64().is_finite() {
            return Err(QuantError::Corrupt("a bucket scale is negative or not finite"));
        }
        sink.begin(scale);
        let mut pos = 0usize;
        loop {
            let next = read_omega(&mut r)?.checked_add(pos as u64).filter(|&x| x <= len as u64 + 1);
            let next = next.ok_or(QuantError::Corrupt("a position gap leaves the bucket"))? as usize;
            if next == len + 1 {
                break;
            }
            let negative = r.get(1)? == 1;
            let level = read_omega(&mut r)?;
            if level > p.levels as u64 {
                return Err(QuantError::Corrupt("a level exceeds s"));
            }
            if scale.to_f64() == 0.0 {
                return Err(QuantError::Corrupt("a nonzero level in a bucket of scale 0"));
            }
            sink.nonzero(next - 1, negative, level as u32);
            pos = next;
        }
        sink.end(len);
    }
    if r.remaining() != 0 {
        return Err(QuantError::Corrupt("bits left after the last bucket"));
    }
    Ok(())
}

/// Writes dequantised values.
struct ValueSink<T> {
    out: Vec<T>,
    start: usize,
    scale: f64,
    levels: u32,
}

impl<T: Element> Sink<T> for ValueSink<T> {
    fn begin(&mut self, scale: T) {
        self.scale = scale.to_f64();
    }
    #[inline]
    fn nonzero(&mut self, pos: usize, negative: bool, level: u32) {
        self.out[self.start + pos] = value(self.scale, negative, level, self.levels);
    }
    fn end(&mut self, len: usize) {
        self.start += len;
    }
}

/// Decodes a stream to Q_s(v). Errors: anything [`stream_info`] rejects, another element
/// type, a corrupted payload.
pub fn decode<T: Element>(bytes: &[u8]) -> Result<Vec<T>, QuantError> {
    let info = info_for::<T>(bytes)?;
    let mut sink = ValueSink { out: vec![T::ZERO; info.params.n], start: 0, scale: 0.0, levels: info.params.levels };
    parse(bytes, &info, &mut sink)?;
    Ok(sink.out)
}

/// Decodes a stream to its scales and signed levels.
pub fn decode_quantized<T: Element>(bytes: &[u8]) -> Result<Quantized<T>, QuantError> {
    let info = info_for::<T>(bytes)?;
    let mut sink = level_sink(info.params);
    parse(bytes, &info, &mut sink)?;
    Ok(sink.into())
}

/// An upper bound on the encoded length in bytes of any vector of length `n` with these
/// options (every entry a nonzero of level s: per entry at most 4 + |ω(s)| bits, since
/// |ω(g)| ≤ g + 2 bounds the gaps; per bucket the scale and 3 bits). `None` on overflow.
pub fn max_encoded_len<T: Element>(n: usize, options: &QsgdOptions) -> Result<Option<usize>, QuantError> {
    let p = options.params(n)?;
    let per_entry = 4 + omega_len(p.levels as u64) as u128;
    let bits = p.buckets() as u128 * (T::BITS as u128 + 3) + n as u128 * per_entry;
    let bytes = bits.div_ceil(8) + (HEADER_BYTES + TRAILER_BYTES) as u128;
    Ok(usize::try_from(bytes).ok().filter(|&b| b <= isize::MAX as usize))
}
