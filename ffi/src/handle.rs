//! The opaque-handle pattern: boxing, NULL-safe freeing, a best-effort liveness check, and a
//! last-error message kept per handle.

use crate::error::{boundary, Error, Result};
use crate::status::*;
use core::ffi::c_char;
use std::ffi::CString;
use std::sync::Mutex;

/// What every handle type carries.
pub(crate) trait Handle: Sized + Send {
    /// Tag stored in live handles of this kind, cleared on free.
    const MAGIC: u64;
    const KIND: &'static str;
    fn header(&self) -> &HandleHeader;
    fn header_mut(&mut self) -> &mut HandleHeader;
}

/// Common head of every handle.
pub(crate) struct HandleHeader {
    magic: u64,
    last_error: Mutex<CString>,
}

impl HandleHeader {
    pub fn new<H: Handle>() -> Self {
        Self { magic: H::MAGIC, last_error: Mutex::new(CString::default()) }
    }

    pub fn last_error_ptr(&self) -> *const c_char {
        self.last_error.lock().unwrap_or_else(|e| e.into_inner()).as_ptr()
    }
}

/// Boxes `handle` and writes it to `*out` (`out` must not be NULL; checked first).
pub(crate) fn publish<H: Handle>(out: *mut *mut H, make: impl FnOnce() -> Result<H>) -> Result {
    if out.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`out` is NULL"));
    }
    let handle = make()?;
    // SAFETY: `out` is non-NULL and, by the API contract, points to writable storage.
    unsafe { *out = Box::into_raw(Box::new(handle)) };
    Ok(())
}

/// Borrows a live handle.
///
/// # Safety
/// `ptr` is NULL or was returned by this library's constructor for `H` (a freed or foreign
/// pointer is undefined behaviour; the tag check catches some such misuse, not all).
pub(crate) unsafe fn borrow<'a, H: Handle>(ptr: *const H) -> Result<&'a H> {
    if ptr.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, format!("{} handle is NULL", H::KIND)));
    }
    if ptr as usize % core::mem::align_of::<H>() != 0 {
        return Err(Error::new(TSR_ERR_INVALID_HANDLE, format!("not a {} handle (misaligned)", H::KIND)));
    }
    let h = unsafe { &*ptr };
    if h.header().magic != H::MAGIC {
        return Err(Error::new(TSR_ERR_INVALID_HANDLE, format!("not a live {} handle", H::KIND)));
    }
    Ok(h)
}

/// Frees a handle; NULL is a no-op.
///
/// # Safety
/// As [`borrow`]; the handle must not be used afterwards.
pub(crate) unsafe fn free<H: Handle>(ptr: *mut H) {
    if unsafe { borrow::<H>(ptr) }.is_ok() {
        // SAFETY: a live handle made by `publish`, owned by the caller, given back here.
        let mut b = unsafe { Box::from_raw(ptr) };
        b.header_mut().magic = 0;
    }
}

/// [`boundary`] for a call on a handle: the message also goes to the handle's own slot.
pub(crate) fn boundary_on<H: Handle>(ptr: *const H, body: impl FnOnce(&H) -> Result) -> tsr_status {
    let mut live = false;
    let status = boundary(|| {
        let h = unsafe { borrow(ptr)? };
        live = true;
        body(h)
    });
    // SAFETY: a live handle (checked inside the boundary).
    keep_message(live.then(|| unsafe { &*ptr }), status);
    status
}

/// [`boundary_on`] for a call that changes the handle. By the API contract a handle is used by
/// one thread at a time, so no other reference to it is in use during the call.
pub(crate) fn boundary_on_mut<H: Handle>(ptr: *mut H, body: impl FnOnce(&mut H) -> Result) -> tsr_status {
    let mut live = false;
    let status = boundary(|| {
        unsafe { borrow(ptr.cast_const())? };
        live = true;
        // SAFETY: a live handle (checked above), used by this thread only.
        body(unsafe { &mut *ptr })
    });
    // SAFETY: as above; the body's borrow has ended.
    keep_message(live.then(|| unsafe { &*ptr }), status);
    status
}

/// Copies the thread's message of a call into the handle's own slot.
fn keep_message<H: Handle>(handle: Option<&H>, status: tsr_status) {
    if let Some(h) = handle {
        let msg = if status == TSR_OK { CString::default() } else {
            // SAFETY: the thread's message was just set by `boundary`.
            unsafe { std::ffi::CStr::from_ptr(crate::error::tsr_last_error_message()) }.to_owned()
        };
        *h.header().last_error.lock().unwrap_or_else(|e| e.into_inner()) = msg;
    }
}
