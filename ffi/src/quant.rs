//! C entry points of QSGD (`tessera::quant`): the stochastic quantiser Q_s and its Elias-coded,
//! checksummed stream (docs/quant.md gives the layout byte for byte).
//!
//! A rank encodes its gradient with `tsr_qsgd_encode_*` into a buffer of
//! `tsr_qsgd_max_encoded_len_*` bytes, sends the `len` bytes written, and the receiver reads
//! them back with `tsr_qsgd_decode_*` (after `tsr_qsgd_get_stream_info` if it needs the length).
//! The same seed, input and options give the same bytes on every machine and thread count.

use crate::buffer::{self, check_disjoint, span, OutputStruct};
use crate::error::{Error, Result};
use crate::options::{self, Options};
use crate::status::*;
use tessera_core::quant::{self as q, Element, Norm, QsgdOptions, QuantError};

/// Scale each bucket by its 2-norm (the paper's Q_s).
pub const TSR_QSGD_NORM_L2: u32 = 0;
/// Scale each bucket by its largest magnitude (the variant of the paper's experiments).
pub const TSR_QSGD_NORM_MAX: u32 = 1;

/// Options of the quantiser. Fill with `tsr_qsgd_options_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_qsgd_options {
    /// `sizeof(tsr_qsgd_options)`.
    pub struct_size: u32,
    /// Quantisation levels `s` in `1..=2^31 - 1`; default 16.
    pub levels: u32,
    /// Entries per bucket, each with its own scale; 0 means one bucket for the whole vector.
    /// Default 512.
    pub bucket_size: i64,
    /// `TSR_QSGD_NORM_L2` (default) or `TSR_QSGD_NORM_MAX`.
    pub norm: u32,
    /// Seed of the rounding draws; default 0.
    pub seed: u64,
}

impl Default for tsr_qsgd_options {
    fn default() -> Self {
        let d = QsgdOptions::default();
        Self { struct_size: core::mem::size_of::<Self>() as u32, levels: d.levels, bucket_size: d.bucket_size as i64, norm: TSR_QSGD_NORM_L2, seed: d.seed }
    }
}

impl Options for tsr_qsgd_options {
    const MIN_SIZE: usize = core::mem::size_of::<Self>();
    const NAME: &'static str = "tsr_qsgd_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_qsgd_options_default(options: *mut tsr_qsgd_options) -> tsr_status {
    options::write_default(options)
}

/// What a stream's header says. Set `struct_size = sizeof(tsr_qsgd_stream_info)` first.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct tsr_qsgd_stream_info {
    /// Set by the caller to `sizeof(tsr_qsgd_stream_info)`; only that many bytes are written.
    pub struct_size: u32,
    /// 1 for `float`, 2 for `double` (as `TSR_NN_F32`, `TSR_NN_F64`).
    pub dtype: u32,
    /// Length of the encoded vector.
    pub n: i64,
    pub levels: u32,
    /// `TSR_QSGD_NORM_*`.
    pub norm: u32,
    /// Entries per bucket (>= 1).
    pub bucket_size: i64,
    /// Bits of the payload (without header, padding and checksum).
    pub payload_bits: i64,
    /// Bytes of the whole stream.
    pub total_bytes: i64,
    /// `payload_bits / n`.
    pub bits_per_coordinate: f64,
}

impl OutputStruct for tsr_qsgd_stream_info {
    const NAME: &'static str = "tsr_qsgd_stream_info";
}

pub(crate) fn quant_error(e: QuantError) -> Error {
    let status = match &e {
        QuantError::InvalidParameter { .. } => TSR_ERR_INVALID_PARAMETER,
        QuantError::NonFinite { .. } => TSR_ERR_NON_FINITE,
        QuantError::NormOverflow { .. } => TSR_ERR_DOMAIN,
        QuantError::TypeMismatch { .. } => TSR_ERR_WRONG_DTYPE,
        QuantError::Truncated { .. } | QuantError::BadMagic | QuantError::UnsupportedVersion(_) | QuantError::ChecksumMismatch { .. } | QuantError::Corrupt(_) => {
            TSR_ERR_BAD_DATA
        }
    };
    Error::new(status, e.to_string())
}

fn read_options(options: *const tsr_qsgd_options) -> Result<QsgdOptions> {
    let o = unsafe { options::read(options)? };
    let norm = match o.norm {
        TSR_QSGD_NORM_L2 => Norm::L2,
        TSR_QSGD_NORM_MAX => Norm::Max,
        n => return Err(Error::new(TSR_ERR_INVALID_ENUM, format!("norm = {n} is not a TSR_QSGD_NORM_* code"))),
    };
    if o.bucket_size < 0 {
        return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("bucket_size = {} is negative", o.bucket_size)));
    }
    Ok(QsgdOptions { levels: o.levels, bucket_size: o.bucket_size as usize, norm, seed: o.seed })
}

fn length(name: &str, n: i64) -> Result<usize> {
    if n < 0 {
        return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("{name} = {n} is negative")));
    }
    Ok(n as usize)
}

fn max_len<T: Element>(n: i64, options: *const tsr_qsgd_options, len: *mut i64) -> Result {
    let n = length("n", n)?;
    let o = read_options(options)?;
    if len.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`len` is NULL"));
    }
    span("len", len.cast_const(), 1)?;
    let bound = q::max_encoded_len::<T>(n, &o)
        .map_err(quant_error)?
        .and_then(|b| i64::try_from(b).ok())
        .ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, format!("the stream bound for n = {n} overflows")))?;
    // SAFETY: validated non-NULL, aligned output.
    unsafe { len.write(bound) };
    Ok(())
}

/// # Safety
/// As documented on the entry points.
unsafe fn encode<T: Element>(n: i64, v: *const T, options: *const tsr_qsgd_options, buf: *mut u8, capacity: i64, len: *mut i64) -> Result {
    let n = length("n", n)?;
    let capacity = length("capacity", capacity)?;
    let mut inputs = Vec::new();
    let v = unsafe { buffer::input("v", v, n, &mut inputs)? };
    let o = read_options(options)?;
    if len.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`len` is NULL"));
    }
    check_disjoint(&inputs, &[span("buf", buf.cast_const(), capacity)?, span("len", len.cast_const(), 1)?])?;
    let bytes = q::encode(v, &o).map_err(quant_error)?;
    // SAFETY: validated, disjoint output.
    unsafe { len.write(bytes.len() as i64) };
    if bytes.len() > capacity {
        return Err(Error::new(
            TSR_ERR_BAD_EXTENT,
            format!("capacity = {capacity} bytes, the stream has {} (tsr_qsgd_max_encoded_len_* bounds it)", bytes.len()),
        ));
    }
    // SAFETY: validated output of `capacity >= bytes.len()` bytes, disjoint from the input.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
    Ok(())
}

/// # Safety
/// As documented on the entry points.
unsafe fn quantize<T: Element>(n: i64, v: *const T, options: *const tsr_qsgd_options, out: *mut T) -> Result {
    let n = length("n", n)?;
    let mut inputs = Vec::new();
    let v = unsafe { buffer::input("v", v, n, &mut inputs)? };
    let o = read_options(options)?;
    check_disjoint(&inputs, &[span("out", out.cast_const(), n)?])?;
    let values = q::quantize(v, &o).map_err(quant_error)?.dequantize();
    // SAFETY: validated output of `n` elements, disjoint from the input.
    unsafe { core::ptr::copy_nonoverlapping(values.as_ptr(), out, n) };
    Ok(())
}

/// # Safety
/// As documented on the entry points.
unsafe fn decode<T: Element>(buf: *const u8, len: i64, n: i64, out: *mut T) -> Result {
    let len = length("len", len)?;
    let n = length("n", n)?;
    let mut inputs = Vec::new();
    let bytes = unsafe { buffer::input("buf", buf, len, &mut inputs)? };
    check_disjoint(&inputs, &[span("out", out.cast_const(), n)?])?;
    let info = q::stream_info(bytes).map_err(quant_error)?;
    if info.element != T::CODE {
        let held = if info.element == 1 { "f32" } else { "f64" };
        return Err(Error::new(TSR_ERR_WRONG_DTYPE, format!("the stream holds {held} values; call tsr_qsgd_decode_{held}, not _{}", T::NAME)));
    }
    if info.params.n != n {
        return Err(Error::new(TSR_ERR_SHAPE_MISMATCH, format!("n = {n}, the stream holds {} values", info.params.n)));
    }
    let values = q::decode::<T>(bytes).map_err(quant_error)?;
    // SAFETY: validated output of `n` elements, disjoint from the input.
    unsafe { core::ptr::copy_nonoverlapping(values.as_ptr(), out, n) };
    Ok(())
}

/// Checks a stream's header, length and checksum and describes it (the payload is checked by
/// decoding). Truncated, corrupted or foreign bytes are `TSR_ERR_BAD_DATA`.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_get_stream_info(buf: *const u8, len: i64, info: *mut tsr_qsgd_stream_info) -> tsr_status {
    crate::error::boundary(|| {
        let len = length("len", len)?;
        let bytes = unsafe { buffer::input("buf", buf, len, &mut Vec::new())? };
        if info.is_null() {
            return Err(Error::new(TSR_ERR_NULL_POINTER, "`info` is NULL"));
        }
        unsafe { buffer::info_span(info, "info")? };
        let s = q::stream_info(bytes).map_err(quant_error)?;
        let p = s.params;
        let out = tsr_qsgd_stream_info {
            struct_size: 0,
            dtype: u32::from(s.element),
            n: p.n as i64,
            levels: p.levels,
            norm: if p.norm == Norm::L2 { TSR_QSGD_NORM_L2 } else { TSR_QSGD_NORM_MAX },
            bucket_size: p.bucket_size as i64,
            payload_bits: s.payload_bits as i64,
            total_bytes: s.total_bytes() as i64,
            bits_per_coordinate: if p.n == 0 { 0.0 } else { s.payload_bits as f64 / p.n as f64 },
        };
        unsafe { buffer::write_info(info, out) };
        Ok(())
    })
}

/// Writes to `*len` an upper bound on the bytes of the stream of any `n` values with these
/// `options` (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_max_encoded_len_f32(n: i64, options: *const tsr_qsgd_options, len: *mut i64) -> tsr_status {
    crate::error::boundary(|| max_len::<f32>(n, options, len))
}

/// As `tsr_qsgd_max_encoded_len_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_max_encoded_len_f64(n: i64, options: *const tsr_qsgd_options, len: *mut i64) -> tsr_status {
    crate::error::boundary(|| max_len::<f64>(n, options, len))
}

/// Quantises `v` with Q_s (unbiased stochastic rounding, seeded) and writes its stream to
/// `buf` (`capacity` bytes), its length to `*len`. A `capacity` below the length is
/// `TSR_ERR_BAD_EXTENT` with only `*len` written. `options` may be NULL.
/// Shapes: v: n; buf: capacity.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_encode_f32(
    n: i64,
    v: *const f32,
    options: *const tsr_qsgd_options,
    buf: *mut u8,
    capacity: i64,
    len: *mut i64,
) -> tsr_status {
    crate::error::boundary(|| unsafe { encode::<f32>(n, v, options, buf, capacity, len) })
}

/// As `tsr_qsgd_encode_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_encode_f64(
    n: i64,
    v: *const f64,
    options: *const tsr_qsgd_options,
    buf: *mut u8,
    capacity: i64,
    len: *mut i64,
) -> tsr_status {
    crate::error::boundary(|| unsafe { encode::<f64>(n, v, options, buf, capacity, len) })
}

/// Decodes the `len` bytes of a stream into `out` (`n` values, which must be the stream's
/// length): exactly the Q_s(v) that was encoded. Truncated or corrupted bytes are
/// `TSR_ERR_BAD_DATA`, a stream of the other element type `TSR_ERR_WRONG_DTYPE`.
/// Shapes: buf: len; out: n.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_decode_f32(buf: *const u8, len: i64, n: i64, out: *mut f32) -> tsr_status {
    crate::error::boundary(|| unsafe { decode::<f32>(buf, len, n, out) })
}

/// As `tsr_qsgd_decode_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_decode_f64(buf: *const u8, len: i64, n: i64, out: *mut f64) -> tsr_status {
    crate::error::boundary(|| unsafe { decode::<f64>(buf, len, n, out) })
}

/// Writes Q_s(v) itself to `out`: the values the stream of `tsr_qsgd_encode_*` with the same
/// options decodes to, without coding them.
/// Shapes: v, out: n.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_quantize_f32(n: i64, v: *const f32, options: *const tsr_qsgd_options, out: *mut f32) -> tsr_status {
    crate::error::boundary(|| unsafe { quantize::<f32>(n, v, options, out) })
}

/// As `tsr_qsgd_quantize_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_qsgd_quantize_f64(n: i64, v: *const f64, options: *const tsr_qsgd_options, out: *mut f64) -> tsr_status {
    crate::error::boundary(|| unsafe { quantize::<f64>(n, v, options, out) })
}
