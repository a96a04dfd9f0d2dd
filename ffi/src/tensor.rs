//! C entry points of the tensor module (`tessera::tensor`): trace-norm completion and
//! denoising, Tucker factors and core, interpretable components.
//!
//! Tensors are dense, contiguous and column-major (first index fastest) with `ndim` extents
//! `shape[0..ndim]`; a row-major C array of shape `(a, b, c)` is the column-major tensor of
//! shape `(c, b, a)`. Observations come as a dense tensor plus a byte mask, or as coordinate
//! lists (`coords[obs * ndim + k]`, 0-based). Outputs are caller-allocated and never alias
//! inputs; on any argument error nothing is written.

use crate::buffer::{self, check_disjoint, span, Span};
use crate::error::{Error, Result};
use crate::options::{self, Options};
use crate::progress::{tsr_progress, tsr_progress_fn};
use crate::status::*;
use crate::threads;
use core::ffi::c_void;
use core::ops::ControlFlow;
use faer::{Mat, Par};
use tessera_core::tensor::{self as core_tensor, CpOptions, Estimate, Method, Observations, Shape, TensorError, Termination, Weights};

/// Largest supported tensor order.
pub const TSR_TENSOR_MAX_ORDER: usize = 16;

/// Overlapped trace norm, "Constraint" (Tomioka et al. 2011).
pub const TSR_TENSOR_OVERLAPPED: u32 = 0;
/// Latent trace norm, "Mixture" (dual ADMM).
pub const TSR_TENSOR_LATENT: u32 = 1;
/// Trace norm of one unfolding, "As a matrix" (option `mode`).
pub const TSR_TENSOR_AS_MATRIX: u32 = 2;

/// `gamma_k = 1` for every mode.
pub const TSR_TENSOR_WEIGHTS_ONES: u32 = 0;
/// `gamma_k = 1/sqrt(n_k)` (with `TSR_TENSOR_LATENT`: the scaled latent norm).
pub const TSR_TENSOR_WEIGHTS_SCALED: u32 = 1;
/// `gamma_k` from the option `gamma` (`ndim` positive values).
pub const TSR_TENSOR_WEIGHTS_CUSTOM: u32 = 2;

/// Options of `tsr_tensor_complete_*`. Fill with `tsr_tensor_options_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_tensor_options {
    /// `sizeof(tsr_tensor_options)`.
    pub struct_size: u32,
    /// `TSR_TENSOR_OVERLAPPED` (default), `TSR_TENSOR_LATENT` or `TSR_TENSOR_AS_MATRIX`.
    pub method: u32,
    /// Mode (0-based) whose unfolding `TSR_TENSOR_AS_MATRIX` uses; default 0.
    pub mode: i32,
    /// `TSR_TENSOR_WEIGHTS_ONES` (default), `_SCALED` or `_CUSTOM`.
    pub weights: u32,
    /// `ndim` weights when `weights == TSR_TENSOR_WEIGHTS_CUSTOM`, else ignored (may be NULL).
    pub gamma: *const f64,
    /// `lambda >= 0`: 0 (default) fits the observed entries exactly; `lambda > 0` adds the
    /// squared loss `(1/2 lambda) ||Omega(X) - y||^2` instead.
    pub lambda: f64,
    /// ADMM penalty; 0 (default) takes the reference code's `1/(10 std y)` (overlapped, as a
    /// matrix) or `10 std y` (latent).
    pub eta: f64,
    /// Tolerance on the relative duality gap; default 1e-3.
    pub tol: f64,
    /// Iteration limit; default 2000.
    pub max_iter: i64,
    /// Relative singular value threshold of the rank estimates; default 0.01.
    pub rank_threshold: f64,
    /// Threads; 0 (default) follows `tsr_set_num_threads` and the environment.
    pub num_threads: i32,
    /// Optional progress callback, called on the calling thread after every iteration.
    pub progress: tsr_progress_fn,
    /// Passed to `progress` untouched.
    pub progress_user: *mut c_void,
}

impl Default for tsr_tensor_options {
    fn default() -> Self {
        Self {
            struct_size: core::mem::size_of::<Self>() as u32,
            method: TSR_TENSOR_OVERLAPPED,
            mode: 0,
            weights: TSR_TENSOR_WEIGHTS_ONES,
            gamma: core::ptr::null(),
            lambda: 0.0,
            eta: 0.0,
            tol: 1e-3,
            max_iter: 2000,
            rank_threshold: 0.01,
            num_threads: 0,
            progress: None,
            progress_user: core::ptr::null_mut(),
        }
    }
}

impl Options for tsr_tensor_options {
    const MIN_SIZE: usize = core::mem::size_of::<Self>();
    const NAME: &'static str = "tsr_tensor_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_tensor_options_default(options: *mut tsr_tensor_options) -> tsr_status {
    options::write_default(options)
}

/// What a completion did. Set `struct_size = sizeof(tsr_tensor_info)` before the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_tensor_info {
    /// Set by the caller to `sizeof(tsr_tensor_info)`; only that many bytes are written.
    pub struct_size: u32,
    /// Iterations run.
    pub iterations: i64,
    /// ADMM penalty used.
    pub eta: f64,
    /// Primal objective of the estimate.
    pub objective: f64,
    /// Best dual objective found (a lower bound on the optimum).
    pub dual_objective: f64,
    /// Relative duality gap of the estimate.
    pub duality_gap: f64,
    /// Largest per-mode ADMM constraint violation (Frobenius norm).
    pub primal_residual: f64,
    /// `||Omega(X) - y||_2`.
    pub data_residual: f64,
    /// Estimated rank of every mode of the estimate (entries past `ndim` are 0).
    pub ranks: [i64; TSR_TENSOR_MAX_ORDER],
    /// Rank of each latent component (latent method) or split variable (others) in its mode.
    pub component_ranks: [i64; TSR_TENSOR_MAX_ORDER],
}

impl Default for tsr_tensor_info {
    fn default() -> Self {
        Self {
            struct_size: core::mem::size_of::<Self>() as u32,
            iterations: 0,
            eta: 0.0,
            objective: 0.0,
            dual_objective: 0.0,
            duality_gap: 0.0,
            primal_residual: 0.0,
            data_residual: 0.0,
            ranks: [0; TSR_TENSOR_MAX_ORDER],
            component_ranks: [0; TSR_TENSOR_MAX_ORDER],
        }
    }
}

impl buffer::OutputStruct for tsr_tensor_info {
    const NAME: &'static str = "tsr_tensor_info";
}

/// Options of `tsr_tensor_components_f64`. Fill with `tsr_tensor_cp_options_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_tensor_cp_options {
    /// `sizeof(tsr_tensor_cp_options)`.
    pub struct_size: u32,
    /// Number of components `R >= 1`; default 1.
    pub rank: i64,
    /// Sweep limit; default 500.
    pub max_iter: i64,
    /// Stop when the fit changes by less than this; default 1e-10.
    pub tol: f64,
    /// Seed of the starting point's random columns (used when `R > n_k`).
    pub seed: u64,
}

impl Default for tsr_tensor_cp_options {
    fn default() -> Self {
        let d = CpOptions::default();
        Self { struct_size: core::mem::size_of::<Self>() as u32, rank: d.rank as i64, max_iter: d.max_iter as i64, tol: d.tol, seed: d.seed }
    }
}

impl Options for tsr_tensor_cp_options {
    const MIN_SIZE: usize = core::mem::size_of::<Self>();
    const NAME: &'static str = "tsr_tensor_cp_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_tensor_cp_options_default(options: *mut tsr_tensor_cp_options) -> tsr_status {
    options::write_default(options)
}

pub(crate) fn tensor_error(e: TensorError) -> Error {
    let status = match &e {
        TensorError::InvalidOrder(_) | TensorError::ZeroExtent { .. } | TensorError::TooLarge => TSR_ERR_BAD_EXTENT,
        TensorError::LengthMismatch { .. } => TSR_ERR_SHAPE_MISMATCH,
        TensorError::NoObservations | TensorError::IndexOutOfRange { .. } | TensorError::DuplicateObservation { .. } => {
            TSR_ERR_DOMAIN
        }
        TensorError::NonFinite { .. } => TSR_ERR_NON_FINITE,
        TensorError::ModeOutOfRange { .. } | TensorError::InvalidParameter { .. } | TensorError::ZeroSpread => {
            TSR_ERR_INVALID_PARAMETER
        }
        TensorError::Decomposition(_) => TSR_ERR_INTERNAL,
    };
    Error::new(status, e.to_string())
}

/// Reads `ndim` and `shape`.
///
/// # Safety
/// `shape` is NULL or points to `ndim` readable `int64_t` when `1 <= ndim <= MAX_ORDER`.
unsafe fn read_shape(ndim: i32, shape: *const i64) -> Result<(Shape, Span)> {
    if ndim < 1 || ndim as usize > TSR_TENSOR_MAX_ORDER {
        return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("ndim = {ndim} is not between 1 and {TSR_TENSOR_MAX_ORDER}")));
    }
    let s = span("shape", shape, ndim as usize)?;
    // SAFETY: non-NULL, aligned, `ndim` elements by the caller's contract.
    let dims = unsafe { core::slice::from_raw_parts(shape, ndim as usize) };
    if let Some((k, &n)) = dims.iter().enumerate().find(|(_, &n)| n < 0) {
        return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("shape[{k}] = {n} is negative")));
    }
    let dims: Vec<usize> = dims.iter().map(|&n| n as usize).collect();
    Ok((Shape::new(&dims).map_err(tensor_error)?, s))
}

/// Options converted for the core, with the thread count and the callback.
struct Solve {
    method: Method,
    options: core_tensor::Options,
    threads: usize,
    progress: tsr_progress_fn,
    user: *mut c_void,
}

/// # Safety
/// `options` is NULL or a valid `tsr_tensor_options` whose `gamma` (when custom weights are
/// chosen) points to `ndim` doubles.
unsafe fn read_options(options: *const tsr_tensor_options, shape: &Shape, inputs: &mut Vec<Span>) -> Result<Solve> {
    let o = unsafe { options::read(options)? };
    let invalid = |what: String| Error::new(TSR_ERR_INVALID_PARAMETER, what);
    let method = match o.method {
        TSR_TENSOR_OVERLAPPED => Method::Overlapped,
        TSR_TENSOR_LATENT => Method::Latent,
        TSR_TENSOR_AS_MATRIX => {
            if o.mode < 0 || o.mode as usize >= shape.order() {
                return Err(invalid(format!("mode = {} is not a mode of a tensor of order {}", o.mode, shape.order())));
            }
            Method::AsMatrix { mode: o.mode as usize }
        }
        m => return Err(Error::new(TSR_ERR_INVALID_ENUM, format!("method = {m} is not a TSR_TENSOR_* method"))),
    };
    let weights = match o.weights {
        TSR_TENSOR_WEIGHTS_ONES => Weights::Ones,
        TSR_TENSOR_WEIGHTS_SCALED => Weights::Scaled,
        TSR_TENSOR_WEIGHTS_CUSTOM => {
            inputs.push(span("gamma", o.gamma, shape.order())?);
            // SAFETY: validated non-NULL and aligned; `ndim` doubles by the caller's contract.
            Weights::Custom(unsafe { core::slice::from_raw_parts(o.gamma, shape.order()) }.to_vec())
        }
        w => return Err(Error::new(TSR_ERR_INVALID_ENUM, format!("weights = {w} is not a TSR_TENSOR_WEIGHTS_* choice"))),
    };
    if o.eta.is_nan() || o.eta < 0.0 {
        return Err(invalid(format!("eta = {} must be > 0 (or 0 for the default)", o.eta)));
    }
    if o.max_iter < 1 {
        return Err(invalid(format!("max_iter = {} must be >= 1", o.max_iter)));
    }
    if o.num_threads < 0 {
        return Err(invalid(format!("num_threads = {} is negative", o.num_threads)));
    }
    let options = core_tensor::Options {
        lambda: o.lambda,
        weights,
        eta: (o.eta != 0.0).then_some(o.eta),
        tol: o.tol,
        max_iter: usize::try_from(o.max_iter).unwrap_or(usize::MAX),
        rank_threshold: o.rank_threshold,
        par: Par::Seq,
        ..core_tensor::Options::default()
    };
    Ok(Solve { method, options, threads: threads::resolve(o.num_threads), progress: o.progress, user: o.progress_user })
}

/// Pointer wrapper for the progress hand-off between the solver thread and the caller.
struct User(*mut c_void);
// SAFETY: the pointer is only ever passed back to the caller's callback, on the caller's
// thread; it is never dereferenced by the library.
unsafe impl Send for User {}
// SAFETY: as above; shared only so that the solver's closure can hold a reference to it.
unsafe impl Sync for User {}

/// Runs the solve; the callback, if any, is always invoked on the calling thread.
fn run_solve(obs: &Observations, solve: Solve) -> Result<Estimate> {
    let Solve { method, mut options, threads, progress, user } = solve;
    let call = move |p: &core_tensor::Progress, user: &User| -> ControlFlow<()> {
        let Some(f) = progress else { return ControlFlow::Continue(()) };
        let report = tsr_progress {
            struct_size: core::mem::size_of::<tsr_progress>() as u32,
            iteration: p.iteration as i64,
            objective: p.objective,
            gap: p.duality_gap,
            residual: p.primal_residual,
        };
        // SAFETY: the caller supplied this callback and its user pointer for this call.
        if unsafe { f(user.0, &report) } != 0 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let user = User(user);
    if threads <= 1 || progress.is_none() {
        return threads::run(threads, |par| {
            options.par = par;
            let mut cb = |p: &core_tensor::Progress| call(p, &user);
            core_tensor::complete(obs, method, &options, Some(&mut cb))
        })?
        .map_err(tensor_error);
    }
    // Solve on a helper thread inside the pool; hand each progress report to this thread,
    // which calls back and returns the decision.
    let (to_caller, from_solver) = std::sync::mpsc::sync_channel::<core_tensor::Progress>(0);
    let (to_solver, from_caller) = std::sync::mpsc::sync_channel::<ControlFlow<()>>(0);
    std::thread::scope(|scope| {
        let solver = scope.spawn(move || {
            crate::error::mark_library_thread();
            threads::run(threads, move |par| {
                options.par = par;
                let mut cb = |p: &core_tensor::Progress| {
                    if to_caller.send(*p).is_err() {
                        return ControlFlow::Break(());
                    }
                    from_caller.recv().unwrap_or(ControlFlow::Break(()))
                };
                core_tensor::complete(obs, method, &options, Some(&mut cb))
            })
        });
        for p in from_solver.iter() {
            let _ = to_solver.send(call(&p, &user));
        }
        match solver.join() {
            Ok(result) => result?.map_err(tensor_error),
            Err(payload) => std::panic::resume_unwind(payload),
        }
    })
}

/// Writes the estimate and the info; maps the termination to the status.
///
/// # Safety
/// `estimate` holds `N` writable doubles; `info` is NULL or a `tsr_tensor_info` with a
/// valid `struct_size`.
unsafe fn publish(est: Estimate, estimate: *mut f64, info: *mut tsr_tensor_info) -> Result {
    // SAFETY: validated span of N doubles, disjoint from every input.
    unsafe { core::ptr::copy_nonoverlapping(est.x.as_ptr(), estimate, est.x.len()) };
    if !info.is_null() {
        let i = &est.info;
        let mut out = tsr_tensor_info {
            iterations: i.iterations as i64,
            eta: i.eta,
            objective: i.objective,
            dual_objective: i.dual_objective,
            duality_gap: i.duality_gap,
            primal_residual: i.primal_residual,
            data_residual: i.data_residual,
            ..Default::default()
        };
        for (dst, &r) in out.ranks.iter_mut().zip(&i.ranks) {
            *dst = r as i64;
        }
        for (dst, &r) in out.component_ranks.iter_mut().zip(&i.component_ranks) {
            *dst = r as i64;
        }
        // SAFETY: checked by `info_span` before solving.
        unsafe { buffer::write_info(info, out) };
    }
    match est.info.termination {
        Termination::Converged => Ok(()),
        Termination::MaxIterations => Err(Error::new(
            TSR_ERR_NOT_CONVERGED,
            format!("relative duality gap {:e} after {} iterations (estimate and info written)", est.info.duality_gap, est.info.iterations),
        )),
        Termination::Cancelled => Err(Error::new(
            TSR_ERR_CANCELLED,
            format!("cancelled by the progress callback at iteration {} (best iterate written)", est.info.iterations),
        )),
    }
}

/// Completes (or, with every entry observed, denoises) a tensor from a dense array of
/// `values` and a `mask` (entry observed where `mask != 0`; values elsewhere are not read).
/// Writes the estimate (`shape` elements) and, if `info` is not NULL, the report.
/// Returns `TSR_ERR_NOT_CONVERGED` or `TSR_ERR_CANCELLED` with the best iterate written.
/// Shapes: values, mask, estimate: prod(shape[0..ndim]), column-major.
#[no_mangle]
pub unsafe extern "C" fn tsr_tensor_complete_dense_f64(
    ndim: i32,
    shape: *const i64,
    values: *const f64,
    mask: *const u8,
    options: *const tsr_tensor_options,
    estimate: *mut f64,
    info: *mut tsr_tensor_info,
) -> tsr_status {
    crate::error::boundary(|| {
        let (shape, shape_span) = unsafe { read_shape(ndim, shape)? };
        let n = shape.len();
        let mut inputs = vec![shape_span, span("values", values, n)?, span("mask", mask, n)?];
        let solve = unsafe { read_options(options, &shape, &mut inputs)? };
        let outputs = [span("estimate", estimate.cast_const(), n)?, unsafe { buffer::info_span(info, "info")? }];
        check_disjoint(&inputs, &outputs)?;
        // SAFETY: validated spans of `n` elements.
        let (values, mask) = unsafe { (core::slice::from_raw_parts(values, n), core::slice::from_raw_parts(mask, n)) };
        let obs = Observations::from_dense(&shape, values, mask).map_err(tensor_error)?;
        let est = run_solve(&obs, solve)?;
        unsafe { publish(est, estimate, info) }
    })
}

/// Completes a tensor from `nobs` coordinate-list observations: `coords[obs * ndim + k]` is
/// the 0-based index in mode `k` of observation `obs`, `obs_values[obs]` its value. Indices
/// out of range and duplicates are errors. Otherwise as `tsr_tensor_complete_dense_f64`.
/// Shapes: coords: nobs*ndim; obs_values: nobs; estimate: prod(shape[0..ndim]).
#[no_mangle]
pub unsafe extern "C" fn tsr_tensor_complete_coo_f64(
    ndim: i32,
    shape: *const i64,
    nobs: i64,
    coords: *const i64,
    obs_values: *const f64,
    options: *const tsr_tensor_options,
    estimate: *mut f64,
    info: *mut tsr_tensor_info,
) -> tsr_status {
    crate::error::boundary(|| {
        let (shape, shape_span) = unsafe { read_shape(ndim, shape)? };
        let m = usize::try_from(nobs).map_err(|_| Error::new(TSR_ERR_BAD_EXTENT, format!("nobs = {nobs} is negative")))?;
        if m == 0 {
            return Err(tensor_error(TensorError::NoObservations));
        }
        let k = shape.order();
        let count = m.checked_mul(k).ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, "nobs * ndim overflows"))?;
        let mut inputs = vec![shape_span, span("coords", coords, count)?, span("obs_values", obs_values, m)?];
        let solve = unsafe { read_options(options, &shape, &mut inputs)? };
        let outputs = [span("estimate", estimate.cast_const(), shape.len())?, unsafe { buffer::info_span(info, "info")? }];
        check_disjoint(&inputs, &outputs)?;
        // SAFETY: validated spans.
        let (coords, values) = unsafe { (core::slice::from_raw_parts(coords, count), core::slice::from_raw_parts(obs_values, m)) };
        let obs = Observations::from_coordinates(&shape, coords, values).map_err(tensor_error)?;
        let est = run_solve(&obs, solve)?;
        unsafe { publish(est, estimate, info) }
    })
}

/// Reads `ndim` ranks.
///
/// # Safety
/// `ranks` is NULL or points to `shape.order()` `int64_t`.
unsafe fn read_ranks(ranks: *const i64, shape: &Shape, inputs: &mut Vec<Span>) -> Result<Vec<usize>> {
    inputs.push(span("ranks", ranks, shape.order())?);
    // SAFETY: validated.
    let r = unsafe { core::slice::from_raw_parts(ranks, shape.order()) };
    r.iter()
        .enumerate()
        .map(|(k, &r)| {
            let split = shape.split(k);
            if r < 1 || r as u64 > split.n.min(split.cols()) as u64 {
                Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("ranks[{k}] = {r} is not between 1 and min(n_k, N/n_k) = {}", split.n.min(split.cols()))))
            } else {
                Ok(r as usize)
            }
        })
        .collect()
}

/// Validates `K` factor output pointers of `rows[k] × cols[k]` doubles each.
///
/// # Safety
/// `factors` is NULL or points to `rows.len()` pointers.
unsafe fn factor_spans(
    name: &str,
    factors: *const *mut f64,
    rows: &[usize],
    cols: &[usize],
    inputs: &mut Vec<Span>,
    outputs: &mut Vec<Span>,
) -> Result<Vec<*mut f64>> {
    // The pointer array is read, the matrices it points to are written.
    inputs.push(span(name, factors, rows.len())?);
    // SAFETY: validated non-NULL, aligned array of `K` pointers.
    let ptrs = unsafe { core::slice::from_raw_parts(factors, rows.len()) }.to_vec();
    for (k, &p) in ptrs.iter().enumerate() {
        let len = rows[k].checked_mul(cols[k]).ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, "factor size overflows"))?;
        outputs.push(span(format!("{name}[{k}]"), p.cast_const(), len)?);
    }
    Ok(ptrs)
}

/// Writes a column-major matrix to a validated output.
///
/// # Safety
/// `dst` holds `m.nrows() * m.ncols()` writable doubles.
unsafe fn write_matrix(m: &Mat<f64>, dst: *mut f64) {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            unsafe { dst.add(i + j * m.nrows()).write(m[(i, j)]) };
        }
    }
}

/// Tucker decomposition of `x` with the given `ranks` (e.g. `info.ranks` of a completion):
/// `factors[k]` receives the top `ranks[k]` left singular vectors of the mode-k unfolding
/// (`shape[k] × ranks[k]`, column-major, orthonormal columns) and `core` the core tensor
/// `x ×_1 U_1ᵀ … ×_K U_Kᵀ` (`ranks[0] × … × ranks[K-1]`). `num_threads` as in the options.
/// Shapes: x: prod(shape); core: prod(ranks); factors[k]: shape[k]*ranks[k].
#[no_mangle]
pub unsafe extern "C" fn tsr_tensor_tucker_f64(
    ndim: i32,
    shape: *const i64,
    x: *const f64,
    ranks: *const i64,
    num_threads: i32,
    core: *mut f64,
    factors: *const *mut f64,
) -> tsr_status {
    crate::error::boundary(|| {
        let (shape, shape_span) = unsafe { read_shape(ndim, shape)? };
        let mut inputs = vec![shape_span, span("x", x, shape.len())?];
        let r = unsafe { read_ranks(ranks, &shape, &mut inputs)? };
        if num_threads < 0 {
            return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("num_threads = {num_threads} is negative")));
        }
        let mut outputs = vec![span("core", core.cast_const(), r.iter().product())?];
        let ptrs = unsafe { factor_spans("factors", factors, shape.dims(), &r, &mut inputs, &mut outputs)? };
        check_disjoint(&inputs, &outputs)?;
        // SAFETY: validated span.
        let x = unsafe { core::slice::from_raw_parts(x, shape.len()) };
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(tensor_error(TensorError::NonFinite { what: "x", index }));
        }
        let t = threads::run(threads::resolve(num_threads), |par| core_tensor::tucker(x, &shape, &r, par))?.map_err(tensor_error)?;
        // SAFETY: validated, disjoint outputs of the right sizes.
        unsafe {
            core::ptr::copy_nonoverlapping(t.core.as_ptr(), core, t.core.len());
            for (u, &p) in t.factors.iter().zip(&ptrs) {
                write_matrix(u, p);
            }
        }
        Ok(())
    })
}

/// The interpretability heuristic of Tomioka, Hayashi, Kashima (2011): Tucker decomposition of
/// `x` with `ranks`, a rank-R CP decomposition of the small core by alternating least squares
/// (R = `options->rank`), mapped back: `x ≈ Σ_c weights[c] l_1c ∘ … ∘ l_Kc` with unit-norm
/// loadings `loadings[k]` (`shape[k] × R`, column-major). `fit` (may be NULL) receives
/// `1 − ||core − CP||/||core||`.
/// Shapes: x: prod(shape); weights: R; loadings[k]: shape[k]*R.
#[no_mangle]
pub unsafe extern "C" fn tsr_tensor_components_f64(
    ndim: i32,
    shape: *const i64,
    x: *const f64,
    ranks: *const i64,
    options: *const tsr_tensor_cp_options,
    weights: *mut f64,
    loadings: *const *mut f64,
    fit: *mut f64,
) -> tsr_status {
    crate::error::boundary(|| {
        let (shape, shape_span) = unsafe { read_shape(ndim, shape)? };
        let mut inputs = vec![shape_span, span("x", x, shape.len())?];
        let r = unsafe { read_ranks(ranks, &shape, &mut inputs)? };
        let o = unsafe { options::read(options)? };
        if o.rank < 1 || o.max_iter < 1 || !(o.tol >= 0.0) {
            return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("CP options rank = {}, max_iter = {}, tol = {} (need rank >= 1, max_iter >= 1, tol >= 0)", o.rank, o.max_iter, o.tol)));
        }
        let rank = usize::try_from(o.rank).map_err(|_| Error::new(TSR_ERR_BAD_EXTENT, "rank too large"))?;
        let mut outputs = vec![span("weights", weights.cast_const(), rank)?];
        let ptrs = unsafe { factor_spans("loadings", loadings, shape.dims(), &vec![rank; shape.order()], &mut inputs, &mut outputs)? };
        if !fit.is_null() {
            outputs.push(span("fit", fit.cast_const(), 1)?);
        }
        check_disjoint(&inputs, &outputs)?;
        // SAFETY: validated span.
        let x = unsafe { core::slice::from_raw_parts(x, shape.len()) };
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(tensor_error(TensorError::NonFinite { what: "x", index }));
        }
        let cp_options = CpOptions { rank, max_iter: o.max_iter as usize, tol: o.tol, seed: o.seed };
        let t = core_tensor::tucker(x, &shape, &r, Par::Seq).map_err(tensor_error)?;
        let cp = core_tensor::tucker_components(&t, &cp_options).map_err(tensor_error)?;
        // SAFETY: validated, disjoint outputs of the right sizes.
        unsafe {
            core::ptr::copy_nonoverlapping(cp.weights.as_ptr(), weights, rank);
            for (f, &p) in cp.factors.iter().zip(&ptrs) {
                write_matrix(f, p);
            }
            if !fit.is_null() {
                fit.write(cp.fit);
            }
        }
        Ok(())
    })
}
