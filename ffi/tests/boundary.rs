//! The panic boundary, the last-error messages and the handle checks, through the C ABI.

use std::ffi::CStr;
use tessera::poincare::*;
use tessera::poincare_ops::*;
use tessera::status::*;
use tessera::view::*;

fn last_message() -> String {
    unsafe { CStr::from_ptr(tessera::tsr_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn forced_panics_become_internal_errors() {
    for worker in [0, 1] {
        assert_eq!(tessera::debug::tsr_debug_force_panic(worker), TSR_ERR_INTERNAL);
        let msg = last_message();
        assert!(msg.starts_with("internal error"), "{msg}");
        assert!(msg.contains("rows"), "the panic's own message is kept: {msg}");
    }
    // The process and the library carry on.
    let mut ball = core::ptr::null_mut();
    assert_eq!(tsr_poincare_new(1.0, core::ptr::null(), &mut ball), TSR_OK);
    assert_eq!(last_message(), "");
    tsr_poincare_free(ball);
}

#[test]
fn handle_misuse_is_reported() {
    let x = [0.1f64, 0.2];
    let mut out = [7.0f64; 2];
    let xr = tsr_matref_f64 { ptr: x.as_ptr(), nrows: 1, ncols: 2, row_stride: 2, col_stride: 1 };
    let om = tsr_matmut_f64 { ptr: out.as_mut_ptr(), nrows: 1, ncols: 2, row_stride: 2, col_stride: 1 };
    assert_eq!(tsr_poincare_mobius_add_f64(core::ptr::null(), xr, xr, om), TSR_ERR_NULL_POINTER);
    assert!(last_message().contains("NULL"));
    let fake = [0u64; 8];
    assert_eq!(tsr_poincare_mobius_add_f64(fake.as_ptr().cast(), xr, xr, om), TSR_ERR_INVALID_HANDLE);
    assert_eq!(out, [7.0; 2]);
    tsr_poincare_free(core::ptr::null_mut());
}

#[test]
fn handle_keeps_its_own_message() {
    let mut ball = core::ptr::null_mut();
    assert_eq!(tsr_poincare_new(0.5, core::ptr::null(), &mut ball), TSR_OK);
    let outside = [2.0f64, 0.0];
    let mut out = [0.0f64; 2];
    let xr = tsr_matref_f64 { ptr: outside.as_ptr(), nrows: 1, ncols: 2, row_stride: 2, col_stride: 1 };
    let om = tsr_matmut_f64 { ptr: out.as_mut_ptr(), nrows: 1, ncols: 2, row_stride: 2, col_stride: 1 };
    assert_eq!(tsr_poincare_mobius_add_f64(ball, xr, xr, om), TSR_ERR_DOMAIN);
    let own = unsafe { CStr::from_ptr(tsr_poincare_last_error_message(ball)) }.to_string_lossy().into_owned();
    assert_eq!(own, last_message());
    assert!(own.contains("not strictly inside"), "{own}");
    // A later failure elsewhere does not touch the handle's message.
    assert_eq!(tsr_poincare_new(-1.0, core::ptr::null(), &mut core::ptr::null_mut()), TSR_ERR_INVALID_PARAMETER);
    let still = unsafe { CStr::from_ptr(tsr_poincare_last_error_message(ball)) }.to_string_lossy().into_owned();
    assert_eq!(still, own);
    assert_eq!(tsr_poincare_c(ball), 0.5);
    tsr_poincare_free(ball);
}

#[test]
fn options_struct_size_is_checked() {
    let mut opts = tsr_poincare_options { struct_size: 0, num_threads: 0 };
    assert_eq!(tsr_poincare_options_default(&mut opts), TSR_OK);
    assert_eq!(opts.struct_size as usize, core::mem::size_of::<tsr_poincare_options>());
    let mut ball = core::ptr::null_mut();
    for bad in [0u32, 4] {
        let o = tsr_poincare_options { struct_size: bad, num_threads: 0 };
        assert_eq!(tsr_poincare_new(1.0, &o, &mut ball), TSR_ERR_STRUCT_SIZE);
        assert!(ball.is_null());
    }
    let o = tsr_poincare_options { struct_size: 8, num_threads: -2 };
    assert_eq!(tsr_poincare_new(1.0, &o, &mut ball), TSR_ERR_INVALID_PARAMETER);
    assert!(ball.is_null());
}

#[test]
fn every_status_has_a_name() {
    let codes = [
        TSR_OK, TSR_ERR_NULL_POINTER, TSR_ERR_MISALIGNED, TSR_ERR_BAD_EXTENT, TSR_ERR_BAD_STRIDE,
        TSR_ERR_SHAPE_MISMATCH, TSR_ERR_ALIASING, TSR_ERR_NON_FINITE, TSR_ERR_DOMAIN,
        TSR_ERR_INVALID_PARAMETER, TSR_ERR_INVALID_ENUM, TSR_ERR_STRUCT_SIZE, TSR_ERR_INVALID_HANDLE,
        TSR_ERR_BAD_DATA, TSR_ERR_WRONG_DTYPE, TSR_ERR_IO,
        TSR_ERR_NOT_CONVERGED, TSR_ERR_CANCELLED, TSR_ERR_OUT_OF_MEMORY, TSR_ERR_THREADS, TSR_ERR_INTERNAL,
    ];
    for code in codes {
        let name = unsafe { CStr::from_ptr(tsr_status_str(code)) }.to_str().unwrap();
        assert!(name.starts_with("TSR_") && name != "TSR_ERR_UNKNOWN", "{code} -> {name}");
    }
    let unknown = unsafe { CStr::from_ptr(tsr_status_str(12345)) }.to_str().unwrap();
    assert_eq!(unknown, "TSR_ERR_UNKNOWN");
}
