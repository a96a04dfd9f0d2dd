//! The options-struct pattern: `struct_size` first, defaults from `tsr_<x>_options_default`,
//! and only the first `struct_size` bytes read, so callers built against an older, shorter
//! struct keep working. A NULL options pointer means all defaults.

use crate::error::{Error, Result};
use crate::status::*;

/// An options struct of the C ABI.
pub(crate) trait Options: Copy + Default {
    /// Size of the first published version of the struct: anything smaller is an error.
    const MIN_SIZE: usize;
    const NAME: &'static str;
}

/// Reads caller options over the defaults.
///
/// # Safety
/// `ptr` is NULL or points to at least `struct_size` readable bytes (its first field).
pub(crate) unsafe fn read<O: Options>(ptr: *const O) -> Result<O> {
    let mut opts = O::default();
    if ptr.is_null() {
        return Ok(opts);
    }
    let size = unsafe { ptr.cast::<u32>().read_unaligned() } as usize;
    if size < O::MIN_SIZE {
        return Err(Error::new(
            TSR_ERR_STRUCT_SIZE,
            format!("{}.struct_size = {size} is smaller than {} (call {}_default first)", O::NAME, O::MIN_SIZE, O::NAME),
        ));
    }
    let n = size.min(core::mem::size_of::<O>());
    // SAFETY: the caller provides `size >= n` bytes; `O` is a plain repr(C) struct of integers
    // and floats, valid for any bytes.
    unsafe { core::ptr::copy_nonoverlapping(ptr.cast::<u8>(), (&mut opts as *mut O).cast::<u8>(), n) };
    Ok(opts)
}

/// Writes the defaults to `*out`.
pub(crate) fn write_default<O: Options>(out: *mut O) -> tsr_status {
    crate::error::boundary(|| {
        if out.is_null() {
            return Err(Error::new(TSR_ERR_NULL_POINTER, format!("{} pointer is NULL", O::NAME)));
        }
        // SAFETY: non-NULL, points to a caller-owned struct of this type.
        unsafe { out.write(O::default()) };
        Ok(())
    })
}
