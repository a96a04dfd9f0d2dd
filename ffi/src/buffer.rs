//! Caller buffers at the boundary: their spans (for NULL, alignment, size and aliasing
//! checks, before anything is read or written) and versioned output structs.

use crate::error::{Error, Result};
use crate::status::*;

/// A caller buffer: name, start address and length in bytes.
pub(crate) struct Span {
    pub name: String,
    pub start: usize,
    pub bytes: usize,
}

/// Checks that `ptr` is aligned for `len` elements of `T` and non-NULL unless `len` is 0, and
/// returns its span.
pub(crate) fn span<T>(name: impl Into<String>, ptr: *const T, len: usize) -> Result<Span> {
    let name = name.into();
    if ptr.is_null() && len == 0 {
        return Ok(Span { name, start: 0, bytes: 0 });
    }
    if ptr.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, format!("`{name}` is NULL")));
    }
    if (ptr as usize) % core::mem::align_of::<T>() != 0 {
        return Err(Error::new(TSR_ERR_MISALIGNED, format!("`{name}` is not aligned for its element type")));
    }
    let bytes = len
        .checked_mul(core::mem::size_of::<T>())
        .filter(|&b| b <= isize::MAX as usize && (ptr as usize).checked_add(b).is_some())
        .ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, format!("`{name}` would span more memory than can be addressed")))?;
    Ok(Span { name, start: ptr as usize, bytes })
}

/// `len` elements of an input array, validated by [`span`] and recorded in `inputs`.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable elements that outlive `'a`.
pub(crate) unsafe fn input<'a, T>(name: &str, ptr: *const T, len: usize, inputs: &mut Vec<Span>) -> Result<&'a [T]> {
    inputs.push(span(name, ptr, len)?);
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-NULL and aligned (checked), `len` elements by the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Fails if an output overlaps an input or another output.
pub(crate) fn check_disjoint(inputs: &[Span], outputs: &[Span]) -> Result {
    let overlaps = |a: &Span, b: &Span| a.bytes > 0 && b.bytes > 0 && a.start < b.start + b.bytes && b.start < a.start + a.bytes;
    for (i, out) in outputs.iter().enumerate() {
        if let Some(other) = inputs.iter().chain(&outputs[..i]).find(|s| overlaps(out, s)) {
            return Err(Error::new(TSR_ERR_ALIASING, format!("output `{}` overlaps `{}`", out.name, other.name)));
        }
    }
    Ok(())
}

/// A versioned output struct: `struct_size` first, set by the caller.
pub(crate) trait OutputStruct: Copy + Default {
    const NAME: &'static str;
}

/// Checks an output struct's `struct_size`; returns its span (empty when `ptr` is NULL).
///
/// # Safety
/// `ptr` is NULL or points to at least 4 readable bytes.
pub(crate) unsafe fn info_span<T: OutputStruct>(ptr: *mut T, name: &str) -> Result<Span> {
    if ptr.is_null() {
        return Ok(Span { name: name.into(), start: 0, bytes: 0 });
    }
    let size = unsafe { ptr.cast::<u32>().read_unaligned() } as usize;
    if size < core::mem::size_of::<T>() {
        return Err(Error::new(TSR_ERR_STRUCT_SIZE, format!("{name}->struct_size = {size} is smaller than sizeof({})", T::NAME)));
    }
    span(name, ptr.cast_const(), 1)
}

/// Writes `value` to an output struct checked by [`info_span`] (a no-op when `ptr` is NULL),
/// keeping the caller's `struct_size`.
///
/// # Safety
/// `ptr` is NULL or was accepted by [`info_span`].
pub(crate) unsafe fn write_info<T: OutputStruct>(ptr: *mut T, mut value: T) {
    if ptr.is_null() {
        return;
    }
    let size = (unsafe { ptr.cast::<u32>().read_unaligned() } as usize).min(core::mem::size_of::<T>());
    // SAFETY: `struct_size` is the first field of every output struct.
    unsafe { (&mut value as *mut T).cast::<u32>().write(size as u32) };
    // SAFETY: the caller's struct holds at least `size` writable bytes.
    unsafe { core::ptr::copy_nonoverlapping((&value as *const T).cast::<u8>(), ptr.cast::<u8>(), size) };
}
