//! Library version. The macros in the header and `tsr_version()` must agree (a test checks
//! them against each other and against the crate version).

use core::ffi::c_char;

pub const TSR_VERSION_MAJOR: u32 = 0;
pub const TSR_VERSION_MINOR: u32 = 1;
pub const TSR_VERSION_PATCH: u32 = 0;
/// `MAJOR * 1000000 + MINOR * 1000 + PATCH`.
pub const TSR_VERSION: u32 = TSR_VERSION_MAJOR * 1000000 + TSR_VERSION_MINOR * 1000 + TSR_VERSION_PATCH;

/// The run-time library version, encoded as `TSR_VERSION`.
#[no_mangle]
pub extern "C" fn tsr_version() -> u32 {
    TSR_VERSION
}

/// The run-time library version as `"MAJOR.MINOR.PATCH"`; static, never NULL.
#[no_mangle]
pub extern "C" fn tsr_version_string() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
