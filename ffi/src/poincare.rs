//! C entry points of the Poincaré-ball module (`tessera::hyperbolic`).
//!
//! A `tsr_poincare` handle holds the curvature and the options; every operation takes it
//! first, then its input views, then its output views. Batches are `n × d` views with one
//! point per row (row-major C arrays and Fortran/Julia `d × n` arrays both give contiguous
//! rows); per-point scalars are `n × 1`. Inputs may broadcast a row with a zero row stride.
//! Input points must lie strictly inside the ball (`TSR_ERR_DOMAIN` otherwise), except for
//! `project`. Outputs never alias inputs.

use crate::error::{Error, Result};
use crate::handle::{self, Handle, HandleHeader};
use crate::options::{self, Options};
use crate::status::*;
use crate::threads;
use crate::view::*;
use faer::{MatMut, MatRef, Par};
use tessera_core::hyperbolic::{HyperbolicError, PoincareBall, Real};

/// Options of a Poincaré ball. Fill with `tsr_poincare_options_default` before changing fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_poincare_options {
    /// `sizeof(tsr_poincare_options)`, set by `tsr_poincare_options_default`.
    pub struct_size: u32,
    /// Threads for operations on this ball; 0 (default) follows `tsr_set_num_threads` and the
    /// environment.
    pub num_threads: i32,
}

impl Default for tsr_poincare_options {
    fn default() -> Self {
        Self { struct_size: core::mem::size_of::<Self>() as u32, num_threads: 0 }
    }
}

impl Options for tsr_poincare_options {
    const MIN_SIZE: usize = 8;
    const NAME: &'static str = "tsr_poincare_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_poincare_options_default(options: *mut tsr_poincare_options) -> tsr_status {
    options::write_default(options)
}

/// A Poincaré ball of curvature `-c`, with its options. Opaque.
pub struct tsr_poincare {
    header: HandleHeader,
    ball: PoincareBall,
    num_threads: i32,
}

impl Handle for tsr_poincare {
    const MAGIC: u64 = 0x7473_725f_706f_696e; // "tsr_poin"
    const KIND: &'static str = "tsr_poincare";
    fn header(&self) -> &HandleHeader {
        &self.header
    }
    fn header_mut(&mut self) -> &mut HandleHeader {
        &mut self.header
    }
}

/// Creates the ball of curvature `-c` (`c` finite and > 0). `options` may be NULL.
/// Free with `tsr_poincare_free`.
#[no_mangle]
pub extern "C" fn tsr_poincare_new(
    c: f64,
    options: *const tsr_poincare_options,
    out: *mut *mut tsr_poincare,
) -> tsr_status {
    crate::error::boundary(|| {
        handle::publish(out, || {
            let opts = unsafe { options::read(options)? };
            if opts.num_threads < 0 {
                return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("num_threads = {} is negative", opts.num_threads)));
            }
            let ball = PoincareBall::new(c).map_err(hyperbolic_error)?;
            Ok(tsr_poincare { header: HandleHeader::new::<tsr_poincare>(), ball, num_threads: opts.num_threads })
        })
    })
}

/// Frees a ball; NULL is a no-op.
#[no_mangle]
pub extern "C" fn tsr_poincare_free(ball: *mut tsr_poincare) {
    let _ = crate::error::boundary(|| {
        unsafe { handle::free(ball) };
        Ok(())
    });
}

/// The curvature parameter `c` of `ball` (NaN for a NULL or invalid handle).
#[no_mangle]
pub extern "C" fn tsr_poincare_c(ball: *const tsr_poincare) -> f64 {
    unsafe { handle::borrow(ball) }.map_or(f64::NAN, |b| b.ball.c())
}

/// Message of the last failed call on `ball` (`""` after a success, or for a NULL handle).
/// Valid until the next call on `ball`.
#[no_mangle]
pub extern "C" fn tsr_poincare_last_error_message(ball: *const tsr_poincare) -> *const core::ffi::c_char {
    match unsafe { handle::borrow(ball) } {
        Ok(b) => b.header.last_error_ptr(),
        Err(_) => c"".as_ptr(),
    }
}

pub(crate) fn hyperbolic_error(e: HyperbolicError) -> Error {
    let status = match e {
        HyperbolicError::InvalidCurvature(_) => TSR_ERR_INVALID_PARAMETER,
        HyperbolicError::NonFinite { .. } => TSR_ERR_NON_FINITE,
        HyperbolicError::OutsideBall { .. } | HyperbolicError::ZeroNormal { .. } => TSR_ERR_DOMAIN,
    };
    Error::new(status, e.to_string())
}

/// Symbolic extent of an argument; equal symbols must have equal values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dim {
    /// Number of points.
    N,
    /// Dimension of the ball.
    D,
    /// Number of gyroplanes.
    K,
    /// Columns of a Möbius matrix (input dimension).
    P,
    /// Rows of a Möbius matrix (output dimension).
    Q,
    /// Fixed extent 1.
    One,
}

impl Dim {
    fn describe(self) -> &'static str {
        match self {
            Dim::N => "n (the number of points)",
            Dim::D => "d (the dimension)",
            Dim::K => "k (the number of gyroplanes)",
            Dim::P => "p (the matrix's columns)",
            Dim::Q => "q (the matrix's rows)",
            Dim::One => "1",
        }
    }
}

/// One argument: its name, view and expected `rows × cols`.
pub(crate) struct Arg<T> {
    name: &'static str,
    view: RawView<T>,
    shape: (Dim, Dim),
}

pub(crate) fn arg<T>(name: &'static str, view: impl Into<RawView<T>>, rows: Dim, cols: Dim) -> Arg<T> {
    Arg { name, view: view.into(), shape: (rows, cols) }
}

/// Checks every view and that all extents agree with their symbols.
fn check_shapes<T>(args: &[(&Arg<T>, bool)]) -> Result<Vec<Checked<T>>> {
    let mut bound: Vec<(Dim, usize, &'static str)> = vec![(Dim::One, 1, "")];
    let mut out = Vec::with_capacity(args.len());
    for &(a, writable) in args {
        let v = a.view.check(a.name, writable)?;
        for (dim, value, axis) in [(a.shape.0, v.nrows, "rows"), (a.shape.1, v.ncols, "columns")] {
            match bound.iter().find(|(d, _, _)| *d == dim) {
                Some(&(_, want, first)) if want != value => {
                    let whose = if dim == Dim::One { String::new() } else { format!(" as `{first}` implies") };
                    return Err(Error::new(
                        TSR_ERR_SHAPE_MISMATCH,
                        format!("`{}` has {value} {axis}, expected {}{whose}, i.e. {want}", a.name, dim.describe()),
                    ));
                }
                Some(_) => {}
                None => bound.push((dim, value, a.name)),
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// Validates all arguments, then runs `op` on the ball's thread count.
pub(crate) fn call<T: Real, const NI: usize, const NO: usize>(
    ball: *const tsr_poincare,
    inputs: [Arg<T>; NI],
    outputs: [Arg<T>; NO],
    op: impl FnOnce(&PoincareBall, [MatRef<'_, T>; NI], [MatMut<'_, T>; NO], Par) -> core::result::Result<(), HyperbolicError> + Send,
) -> tsr_status {
    handle::boundary_on(ball, |b| {
        let all: Vec<(&Arg<T>, bool)> = inputs.iter().map(|a| (a, false)).chain(outputs.iter().map(|a| (a, true))).collect();
        let checked = check_shapes(&all)?;
        let named = |args: &[Arg<T>], views: &[Checked<T>]| -> Vec<(&'static str, Checked<T>)> {
            args.iter().zip(views).map(|(a, v)| (a.name, *v)).collect()
        };
        let (ins, outs) = checked.split_at(NI);
        check_no_aliasing(&named(&inputs, ins), &named(&outputs, outs))?;
        // SAFETY: each view was validated against the caller's contract (live memory of the
        // stated extent), outputs are non-self-overlapping and disjoint from everything else.
        let in_refs: [MatRef<'_, T>; NI] = core::array::from_fn(|i| unsafe { ins[i].as_ref() });
        let out_muts: [MatMut<'_, T>; NO] = core::array::from_fn(|i| unsafe { outs[i].as_mut() });
        let ball = b.ball;
        threads::run(threads::resolve(b.num_threads), move |par| op(&ball, in_refs, out_muts, par))?
            .map_err(hyperbolic_error)
    })
}
