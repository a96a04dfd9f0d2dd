//! Status codes. Grouped by kind; a code is never renumbered and a retired one stays reserved.

use core::ffi::c_char;

/// Result of every fallible call: `TSR_OK` or one of the `TSR_ERR_*` codes.
pub type tsr_status = u32;

/// Success.
pub const TSR_OK: tsr_status = 0;

// Argument errors (1..99): nothing was written.
/// A pointer that must not be NULL was NULL (a view's pointer may be NULL only when it is empty).
pub const TSR_ERR_NULL_POINTER: tsr_status = 1;
/// A view's pointer is not aligned for its element type.
pub const TSR_ERR_MISALIGNED: tsr_status = 2;
/// A negative extent, or extents whose product or memory span overflows.
pub const TSR_ERR_BAD_EXTENT: tsr_status = 3;
/// A stride that overflows, or an output view whose elements overlap (e.g. a zero stride).
pub const TSR_ERR_BAD_STRIDE: tsr_status = 4;
/// Shapes of the arguments do not agree.
pub const TSR_ERR_SHAPE_MISMATCH: tsr_status = 5;
/// An output overlaps an input or another output.
pub const TSR_ERR_ALIASING: tsr_status = 6;
/// A NaN or infinity in an input where it would poison the result.
pub const TSR_ERR_NON_FINITE: tsr_status = 7;
/// An input outside the domain of the operation (e.g. a point outside the Poincaré ball).
pub const TSR_ERR_DOMAIN: tsr_status = 8;
/// A scalar parameter out of its range (e.g. curvature c <= 0, a negative thread count).
pub const TSR_ERR_INVALID_PARAMETER: tsr_status = 9;
/// An integer that encodes a choice has no meaning.
pub const TSR_ERR_INVALID_ENUM: tsr_status = 10;
/// An options struct whose `struct_size` is smaller than the first published version.
pub const TSR_ERR_STRUCT_SIZE: tsr_status = 11;
/// A handle that is not a live handle of the expected kind.
pub const TSR_ERR_INVALID_HANDLE: tsr_status = 12;
/// Serialized data (a network parameter file, a QSGD stream) that is truncated, corrupted or
/// not in a format and version this library reads.
pub const TSR_ERR_BAD_DATA: tsr_status = 13;
/// A call for one element type (`_f32`, `_f64`) on a handle or stream holding the other.
pub const TSR_ERR_WRONG_DTYPE: tsr_status = 14;

// Numerical outcomes (100..199): the best iterate and the info struct are written.
/// An iterative method stopped at its iteration limit before meeting its tolerance.
pub const TSR_ERR_NOT_CONVERGED: tsr_status = 100;
/// The progress callback asked to stop.
pub const TSR_ERR_CANCELLED: tsr_status = 101;

// Resource errors (200..299).
/// An allocation failed.
pub const TSR_ERR_OUT_OF_MEMORY: tsr_status = 200;
/// The thread pool could not be created.
pub const TSR_ERR_THREADS: tsr_status = 201;
/// A file could not be opened, read or written (the message has the system's reason).
pub const TSR_ERR_IO: tsr_status = 202;

// Internal errors (900..).
/// A bug inside the library (a caught panic); the message says where.
pub const TSR_ERR_INTERNAL: tsr_status = 900;

/// Static, NUL-terminated name of a status code (`"TSR_OK"`, `"TSR_ERR_DOMAIN"`, ...);
/// `"TSR_ERR_UNKNOWN"` for a code this version does not define. Never NULL.
#[no_mangle]
pub extern "C" fn tsr_status_str(status: tsr_status) -> *const c_char {
    status_name(status).as_ptr().cast()
}

/// The name of `status` with its terminating NUL.
pub(crate) fn status_name(status: tsr_status) -> &'static str {
    match status {
        TSR_OK => "TSR_OK\0",
        TSR_ERR_NULL_POINTER => "TSR_ERR_NULL_POINTER\0",
        TSR_ERR_MISALIGNED => "TSR_ERR_MISALIGNED\0",
        TSR_ERR_BAD_EXTENT => "TSR_ERR_BAD_EXTENT\0",
        TSR_ERR_BAD_STRIDE => "TSR_ERR_BAD_STRIDE\0",
        TSR_ERR_SHAPE_MISMATCH => "TSR_ERR_SHAPE_MISMATCH\0",
        TSR_ERR_ALIASING => "TSR_ERR_ALIASING\0",
        TSR_ERR_NON_FINITE => "TSR_ERR_NON_FINITE\0",
        TSR_ERR_DOMAIN => "TSR_ERR_DOMAIN\0",
        TSR_ERR_INVALID_PARAMETER => "TSR_ERR_INVALID_PARAMETER\0",
        TSR_ERR_INVALID_ENUM => "TSR_ERR_INVALID_ENUM\0",
        TSR_ERR_STRUCT_SIZE => "TSR_ERR_STRUCT_SIZE\0",
        TSR_ERR_INVALID_HANDLE => "TSR_ERR_INVALID_HANDLE\0",
        TSR_ERR_BAD_DATA => "TSR_ERR_BAD_DATA\0",
        TSR_ERR_WRONG_DTYPE => "TSR_ERR_WRONG_DTYPE\0",
        TSR_ERR_NOT_CONVERGED => "TSR_ERR_NOT_CONVERGED\0",
        TSR_ERR_CANCELLED => "TSR_ERR_CANCELLED\0",
        TSR_ERR_OUT_OF_MEMORY => "TSR_ERR_OUT_OF_MEMORY\0",
        TSR_ERR_THREADS => "TSR_ERR_THREADS\0",
        TSR_ERR_IO => "TSR_ERR_IO\0",
        TSR_ERR_INTERNAL => "TSR_ERR_INTERNAL\0",
        _ => "TSR_ERR_UNKNOWN\0",
    }
}
