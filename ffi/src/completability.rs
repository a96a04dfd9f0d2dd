//! C entry points of the completability module (`tessera::completability`): which entries of a
//! partially observed rank-r matrix are determined by the observed positions, estimates of
//! them from the observed values, their first-order variances, and the phase transition.
//!
//! A mask is `nobs` coordinate pairs `(rows[e], cols[e])`, 0-based, of an `nrows × ncols`
//! matrix (or, for the closure, a dense column-major byte mask); `values[e]` and
//! `variances[e]` belong to entry `e`. Queries are coordinate pairs too. Indices out of
//! range, duplicates, an empty mask and `rank` outside `1 ≤ r < min(m, n)` are errors. Outputs
//! are caller-allocated and never alias inputs; on any error nothing is written.

use crate::buffer::{self, check_disjoint, input, span, OutputStruct, Span};
use crate::error::{Error, Result};
use crate::handle::{self, Handle, HandleHeader};
use crate::options::{self, Options};
use crate::status::*;
use crate::threads;
use tessera_core::completability::{
    self as core_c, Closure, ClosureOptions, CompletabilityError, Mask, MinorOptions, Rank1Method, Rank1Options,
    Rank1Variance,
};

/// Rank-1 estimates: the minimum-variance unbiased estimate over all paths (electrical flow).
pub const TSR_COMPLETABILITY_MIN_VARIANCE: u32 = 0;
/// Rank-1 estimates: the product along one alternating path.
pub const TSR_COMPLETABILITY_PATH: u32 = 1;

/// Rank-1 minimum-variance estimates: exact effective resistances (one Laplacian solve per
/// queried entry).
pub const TSR_COMPLETABILITY_VARIANCE_EXACT: u32 = 0;
/// Rank-1 minimum-variance estimates: effective resistances from a Johnson–Lindenstrauss
/// sketch of `sketch_dimensions` solves shared by all queries, applied only to what an exact
/// local (two-hop) lower bound misses (unbiased, relative standard deviation at most
/// `sqrt(2 / sketch_dimensions)` times that missing fraction).
pub const TSR_COMPLETABILITY_VARIANCE_SKETCH: u32 = 1;

/// Options of every `tsr_completability_*` call (each reads the fields it needs). Fill with
/// `tsr_completability_options_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_completability_options {
    /// `sizeof(tsr_completability_options)`.
    pub struct_size: u32,
    /// Threads; 0 (default) follows `tsr_set_num_threads` and the environment.
    pub num_threads: i32,
    /// Seed of the random evaluation points (closure, phase transition) and fits.
    pub seed: u64,
    /// Closure: independent random points; the rank is the largest found. Default 2.
    pub trials: i64,
    /// Rank-1 estimates: `TSR_COMPLETABILITY_MIN_VARIANCE` (default) or `_PATH`.
    pub rank1_method: u32,
    /// Rank-1 minimum-variance estimates: relative tolerance of the Laplacian solves.
    pub tol: f64,
    /// Rank-1 minimum-variance estimates: iteration limit of the Laplacian solves.
    pub max_iter: i64,
    /// Rank-1 minimum-variance estimates: `TSR_COMPLETABILITY_VARIANCE_EXACT` (default) or
    /// `_SKETCH`.
    pub rank1_variance: u32,
    /// Rank-1 sketched variances: number of solves; default 200.
    pub sketch_dimensions: i64,
    /// Rank r >= 2: most minors combined into one estimate.
    pub max_estimators: i64,
    /// Rank r >= 2: most rounds of completing entries from completed ones; default `INT64_MAX`
    /// (until a round completes nothing).
    pub max_rounds: i64,
    /// Rank r >= 2: smallest reciprocal condition number of an accepted r x r block.
    pub min_rcond: f64,
}

impl Default for tsr_completability_options {
    fn default() -> Self {
        let (c, r1, mi) = (ClosureOptions::default(), Rank1Options::default(), MinorOptions::default());
        let (rank1_variance, sketch_dimensions) = match r1.variance {
            Rank1Variance::Exact => (TSR_COMPLETABILITY_VARIANCE_EXACT, DEFAULT_SKETCH_DIMENSIONS),
            Rank1Variance::Sketch { dimensions, .. } => (TSR_COMPLETABILITY_VARIANCE_SKETCH, saturating_i64(dimensions)),
        };
        Self {
            struct_size: core::mem::size_of::<Self>() as u32,
            num_threads: 0,
            seed: c.seed,
            trials: saturating_i64(c.trials),
            rank1_method: match r1.method {
                Rank1Method::MinVariance => TSR_COMPLETABILITY_MIN_VARIANCE,
                Rank1Method::Path => TSR_COMPLETABILITY_PATH,
            },
            tol: r1.tol,
            max_iter: saturating_i64(r1.max_iter),
            rank1_variance,
            sketch_dimensions,
            max_estimators: saturating_i64(mi.max_estimators),
            max_rounds: saturating_i64(mi.max_rounds),
            min_rcond: mi.min_reciprocal_condition,
        }
    }
}

/// A core count as a C `int64_t` (`usize::MAX`, "no limit", becomes `INT64_MAX`).
fn saturating_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Default `sketch_dimensions` (relative standard deviation of the variances at most 0.1).
const DEFAULT_SKETCH_DIMENSIONS: i64 = 200;

impl Options for tsr_completability_options {
    const MIN_SIZE: usize = core::mem::size_of::<Self>();
    const NAME: &'static str = "tsr_completability_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_completability_options_default(options: *mut tsr_completability_options) -> tsr_status {
    options::write_default(options)
}

/// Options converted for the core.
struct Settings {
    threads: usize,
    closure: ClosureOptions,
    rank1: Rank1Options,
    minors: MinorOptions,
}

/// # Safety
/// `options` is NULL or points to a `tsr_completability_options` of `struct_size` bytes.
unsafe fn read_options(options: *const tsr_completability_options) -> Result<Settings> {
    let o = unsafe { options::read(options)? };
    let invalid = |what: String| Error::new(TSR_ERR_INVALID_PARAMETER, what);
    if o.num_threads < 0 {
        return Err(invalid(format!("num_threads = {} is negative", o.num_threads)));
    }
    let positive = |name: &str, v: i64| {
        usize::try_from(v).ok().filter(|&v| v >= 1).ok_or_else(|| invalid(format!("{name} = {v} must be >= 1")))
    };
    let method = match o.rank1_method {
        TSR_COMPLETABILITY_MIN_VARIANCE => Rank1Method::MinVariance,
        TSR_COMPLETABILITY_PATH => Rank1Method::Path,
        m => return Err(Error::new(TSR_ERR_INVALID_ENUM, format!("rank1_method = {m} is not a TSR_COMPLETABILITY_* method"))),
    };
    let variance = match o.rank1_variance {
        TSR_COMPLETABILITY_VARIANCE_EXACT => Rank1Variance::Exact,
        TSR_COMPLETABILITY_VARIANCE_SKETCH => {
            Rank1Variance::Sketch { dimensions: positive("sketch_dimensions", o.sketch_dimensions)?, seed: o.seed }
        }
        v => return Err(Error::new(TSR_ERR_INVALID_ENUM, format!("rank1_variance = {v} is not a TSR_COMPLETABILITY_VARIANCE_* choice"))),
    };
    if !(o.tol > 0.0 && o.tol < 1.0) {
        return Err(invalid(format!("tol = {} must be in (0, 1)", o.tol)));
    }
    if !(o.min_rcond >= 0.0 && o.min_rcond < 1.0) {
        return Err(invalid(format!("min_rcond = {} must be in [0, 1)", o.min_rcond)));
    }
    Ok(Settings {
        threads: threads::resolve(o.num_threads),
        closure: ClosureOptions { seed: o.seed, trials: positive("trials", o.trials)? },
        rank1: Rank1Options { method, tol: o.tol, max_iter: positive("max_iter", o.max_iter)?, variance },
        minors: MinorOptions {
            max_estimators: positive("max_estimators", o.max_estimators)?,
            max_rounds: positive("max_rounds", o.max_rounds)?,
            min_reciprocal_condition: o.min_rcond,
        },
    })
}

pub(crate) fn completability_error(e: CompletabilityError) -> Error {
    use CompletabilityError::*;
    let status = match &e {
        ZeroExtent { .. } | TooLarge => TSR_ERR_BAD_EXTENT,
        LengthMismatch { .. } => TSR_ERR_SHAPE_MISMATCH,
        NoObservations
        | IndexOutOfRange { .. }
        | DuplicateEntry { .. }
        | ZeroValue { .. }
        | InconsistentZero { .. }
        | NonPositiveVariance { .. } => TSR_ERR_DOMAIN,
        NonFinite { .. } => TSR_ERR_NON_FINITE,
        InvalidRank { .. } | InvalidParameter { .. } => TSR_ERR_INVALID_PARAMETER,
        NotConverged { .. } => TSR_ERR_NOT_CONVERGED,
        Decomposition(_) => TSR_ERR_INTERNAL,
    };
    Error::new(status, e.to_string())
}

/// A non-negative `int64_t` count or extent.
fn extent(name: &str, v: i64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::new(TSR_ERR_BAD_EXTENT, format!("{name} = {v} is negative")))
}

/// The rank, checked against the matrix (the core repeats the check for its own callers).
fn rank_of(rank: i64, nrows: usize, ncols: usize) -> Result<usize> {
    usize::try_from(rank)
        .ok()
        .filter(|&r| r >= 1 && r < nrows.min(ncols))
        .ok_or_else(|| {
            Error::new(
                TSR_ERR_INVALID_PARAMETER,
                format!("rank {rank} is invalid for a {nrows} x {ncols} matrix: it must satisfy 1 <= r < min(m, n)"),
            )
        })
}

/// The mask of `nobs` coordinate pairs.
///
/// # Safety
/// `rows` and `cols` are NULL or point to `nobs` readable `int64_t`.
unsafe fn read_mask(nrows: i64, ncols: i64, nobs: i64, rows: *const i64, cols: *const i64, inputs: &mut Vec<Span>) -> Result<Mask> {
    let (m, n, count) = (extent("nrows", nrows)?, extent("ncols", ncols)?, extent("nobs", nobs)?);
    if count == 0 {
        return Err(completability_error(CompletabilityError::NoObservations));
    }
    let (rows, cols) = unsafe { (input("rows", rows, count, inputs)?, input("cols", cols, count, inputs)?) };
    Mask::from_coordinates(m, n, rows, cols).map_err(completability_error)
}

/// `nqueries` coordinate pairs inside the matrix of `mask`.
///
/// # Safety
/// `qrows` and `qcols` are NULL or point to `nqueries` readable `int64_t`.
unsafe fn read_queries(mask_shape: (usize, usize), nqueries: i64, qrows: *const i64, qcols: *const i64, inputs: &mut Vec<Span>) -> Result<Vec<(usize, usize)>> {
    let count = extent("nqueries", nqueries)?;
    let (qrows, qcols) = unsafe { (input("qrows", qrows, count, inputs)?, input("qcols", qcols, count, inputs)?) };
    let inside = |q: usize, axis: &str, index: i64, extent: usize| {
        usize::try_from(index).ok().filter(|&i| i < extent).ok_or_else(|| {
            Error::new(TSR_ERR_DOMAIN, format!("query {q} has {axis} index {index}, outside 0..{extent} (indices are 0-based)"))
        })
    };
    (0..count)
        .map(|q| Ok((inside(q, "row", qrows[q], mask_shape.0)?, inside(q, "column", qcols[q], mask_shape.1)?)))
        .collect()
}

/// The closure of a mask at rank r, with its summary. Opaque; one thread at a time.
pub struct tsr_completability_closure {
    header: HandleHeader,
    closure: Closure,
}

impl Handle for tsr_completability_closure {
    const MAGIC: u64 = 0x7473_725f_636c_6f73; // "tsr_clos"
    const KIND: &'static str = "tsr_completability_closure";
    fn header(&self) -> &HandleHeader {
        &self.header
    }
    fn header_mut(&mut self) -> &mut HandleHeader {
        &mut self.header
    }
}

/// Summary of a closure. Set `struct_size = sizeof(tsr_completability_info)` before the call.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct tsr_completability_info {
    /// Set by the caller to `sizeof(tsr_completability_info)`; only that many bytes are written.
    pub struct_size: u32,
    /// 1 when every entry is determined (`jacobian_rank == full_rank`), else 0.
    pub finitely_completable: i32,
    /// The rank r.
    pub rank: i64,
    /// Generic rank of the Jacobian of `(U, V) -> (U V^T)_Omega`.
    pub jacobian_rank: i64,
    /// `r (m + n - r)`, the dimension of the rank-r matrices.
    pub full_rank: i64,
    /// `full_rank - jacobian_rank`: how many more generic observations could be needed.
    pub deficiency: i64,
    /// Connected components of the bipartite row/column graph of the mask.
    pub components: i64,
    /// Rows removed by r-core pruning (fewer than r observations, iterated).
    pub pruned_rows: i64,
    /// Columns removed by r-core pruning.
    pub pruned_cols: i64,
}

impl OutputStruct for tsr_completability_info {
    const NAME: &'static str = "tsr_completability_info";
}

/// Builds the handle (shared by the coordinate and the dense constructors).
fn new_closure(mask: &Mask, rank: i64, settings: Settings) -> Result<tsr_completability_closure> {
    let rank = rank_of(rank, mask.nrows(), mask.ncols())?;
    let closure = threads::run(settings.threads, |par| core_c::closure(mask, rank, &settings.closure, par))?
        .map_err(completability_error)?;
    Ok(tsr_completability_closure { header: HandleHeader::new::<tsr_completability_closure>(), closure })
}

/// Decides, with probability one (exact arithmetic over a prime field at random points, see
/// docs/completability.md), which entries of an `nrows × ncols` matrix of rank `rank` are
/// determined up to finitely many values by the `nobs` observed positions `(rows[e], cols[e])`.
/// Reads `seed`, `trials` and `num_threads` of `options` (may be NULL). Free the handle with
/// `tsr_completability_closure_free`.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_closure_new(
    nrows: i64,
    ncols: i64,
    nobs: i64,
    rows: *const i64,
    cols: *const i64,
    rank: i64,
    options: *const tsr_completability_options,
    out: *mut *mut tsr_completability_closure,
) -> tsr_status {
    crate::error::boundary(|| {
        handle::publish(out, || {
            let mask = unsafe { read_mask(nrows, ncols, nobs, rows, cols, &mut Vec::new())? };
            new_closure(&mask, rank, unsafe { read_options(options)? })
        })
    })
}

/// As `tsr_completability_closure_new`, from a dense column-major byte mask of
/// `nrows * ncols` bytes (`mask[i + j * nrows] != 0`: entry `(i, j)` observed).
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_closure_new_dense(
    nrows: i64,
    ncols: i64,
    mask: *const u8,
    rank: i64,
    options: *const tsr_completability_options,
    out: *mut *mut tsr_completability_closure,
) -> tsr_status {
    crate::error::boundary(|| {
        handle::publish(out, || {
            let (m, n) = (extent("nrows", nrows)?, extent("ncols", ncols)?);
            let len = m.checked_mul(n).ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, "nrows * ncols overflows"))?;
            let bytes = unsafe { input("mask", mask, len, &mut Vec::new())? };
            let mask = Mask::from_dense(m, n, bytes).map_err(completability_error)?;
            new_closure(&mask, rank, unsafe { read_options(options)? })
        })
    })
}

/// Frees a closure; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_closure_free(closure: *mut tsr_completability_closure) {
    unsafe { handle::free(closure) }
}

/// Message of the last failed call on `closure` (`""` after a success, or for a NULL handle).
/// Valid until the next call on `closure`.
#[no_mangle]
pub extern "C" fn tsr_completability_closure_last_error_message(closure: *const tsr_completability_closure) -> *const core::ffi::c_char {
    match unsafe { handle::borrow(closure) } {
        Ok(h) => h.header.last_error_ptr(),
        Err(_) => c"".as_ptr(),
    }
}

/// Writes the closure's summary to `info`.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_closure_info(
    closure: *const tsr_completability_closure,
    info: *mut tsr_completability_info,
) -> tsr_status {
    handle::boundary_on(closure, |h| {
        if info.is_null() {
            return Err(Error::new(TSR_ERR_NULL_POINTER, "`info` is NULL"));
        }
        unsafe { buffer::info_span(info, "info")? };
        let c = &h.closure;
        let (pruned_rows, pruned_cols) = c.pruned();
        let summary = tsr_completability_info {
            struct_size: 0,
            finitely_completable: i32::from(c.is_finitely_completable()),
            rank: c.rank() as i64,
            jacobian_rank: c.jacobian_rank() as i64,
            full_rank: c.full_rank() as i64,
            deficiency: c.deficiency() as i64,
            components: c.components() as i64,
            pruned_rows: pruned_rows as i64,
            pruned_cols: pruned_cols as i64,
        };
        unsafe { buffer::write_info(info, summary) };
        Ok(())
    })
}

/// For each of `nqueries` entries `(qrows[q], qcols[q])`, writes `completable[q] = 1` when it
/// is in the closure (observed entries are), else 0.
/// Shapes: qrows, qcols, completable: nqueries.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_closure_query(
    closure: *const tsr_completability_closure,
    nqueries: i64,
    qrows: *const i64,
    qcols: *const i64,
    completable: *mut u8,
) -> tsr_status {
    handle::boundary_on(closure, |h| {
        let c = &h.closure;
        let mut inputs = Vec::new();
        let queries = unsafe { read_queries((c.nrows(), c.ncols()), nqueries, qrows, qcols, &mut inputs)? };
        check_disjoint(&inputs, &[span("completable", completable.cast_const(), queries.len())?])?;
        for (q, &(i, j)) in queries.iter().enumerate() {
            // SAFETY: validated output of `nqueries` bytes, disjoint from the inputs.
            unsafe { completable.add(q).write(u8::from(c.contains(i, j))) };
        }
        Ok(())
    })
}

/// Writes the whole closure: `completable[i + j * nrows] = 1` when entry `(i, j)` is in it.
/// Shapes: completable: nrows*ncols, column-major.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_closure_dense(
    closure: *const tsr_completability_closure,
    completable: *mut u8,
) -> tsr_status {
    handle::boundary_on(closure, |h| {
        let c = &h.closure;
        let len = c.nrows().checked_mul(c.ncols()).ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, "nrows * ncols overflows"))?;
        span("completable", completable.cast_const(), len)?;
        // SAFETY: validated output of `len` bytes.
        let out = unsafe { core::slice::from_raw_parts_mut(completable, len) };
        c.fill_dense(out);
        Ok(())
    })
}

/// Estimates `nqueries` entries of a rank-`rank` matrix from its `nobs` observed `values`
/// (`variances` of the observations, or NULL for unit variances). Rank 1: the minimum-variance
/// (electrical-flow) or single-path estimate, by `options->rank1_method`; rank r >= 2: minors
/// `A_iJ A_IJ^-1 A_Ij` of observed and already completed entries, combined with weights for
/// their correlations. Writes `estimate[q]` and, when not NULL, its first-order `variance[q]`
/// and the number `estimators[q]` of estimates combined. An entry the method cannot determine
/// gets `estimate = NaN`, `variance = +Inf`, `estimators = 0`; this is not an error.
/// Shapes: rows, cols, values, variances: nobs; qrows, qcols, estimate, variance, estimators: nqueries.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_complete_f64(
    nrows: i64,
    ncols: i64,
    nobs: i64,
    rows: *const i64,
    cols: *const i64,
    values: *const f64,
    variances: *const f64,
    rank: i64,
    nqueries: i64,
    qrows: *const i64,
    qcols: *const i64,
    options: *const tsr_completability_options,
    estimate: *mut f64,
    variance: *mut f64,
    estimators: *mut i64,
) -> tsr_status {
    crate::error::boundary(|| {
        let mut inputs = Vec::new();
        let problem = unsafe {
            read_problem(nrows, ncols, nobs, rows, cols, values, variances, rank, nqueries, qrows, qcols, options, &mut inputs)?
        };
        let nq = problem.queries.len();
        let mut outputs = vec![span("estimate", estimate.cast_const(), nq)?];
        if !variance.is_null() {
            outputs.push(span("variance", variance.cast_const(), nq)?);
        }
        if !estimators.is_null() {
            outputs.push(span("estimators", estimators.cast_const(), nq)?);
        }
        check_disjoint(&inputs, &outputs)?;
        let Problem { mask, values, variances, rank, queries, settings } = problem;
        let estimates = threads::run(settings.threads, |par| {
            if rank == 1 {
                core_c::complete_rank1(&mask, values, variances, &queries, &settings.rank1, par)
            } else {
                core_c::complete_minors(&mask, values, variances, rank, &queries, &settings.minors, par)
            }
        })?
        .map_err(completability_error)?;
        for (q, e) in estimates.iter().enumerate() {
            // SAFETY: validated, disjoint outputs of `nqueries` elements (the optional ones
            // only when not NULL).
            unsafe {
                estimate.add(q).write(e.value);
                if !variance.is_null() {
                    variance.add(q).write(e.variance);
                }
                if !estimators.is_null() {
                    estimators.add(q).write(i64::from(e.estimators));
                }
            }
        }
        Ok(())
    })
}

/// First-order variance `g^T (J^T Sigma^-1 J)^+ g` of `nqueries` entries for any estimator
/// that fits a rank-`rank` matrix to the observations (`variances` as in
/// `tsr_completability_complete_f64`), evaluated at a fit of the observed `values`;
/// `variance[q] = +Inf` exactly when the entry is not completable.
/// Shapes: rows, cols, values, variances: nobs; qrows, qcols, variance: nqueries.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_variance_f64(
    nrows: i64,
    ncols: i64,
    nobs: i64,
    rows: *const i64,
    cols: *const i64,
    values: *const f64,
    variances: *const f64,
    rank: i64,
    nqueries: i64,
    qrows: *const i64,
    qcols: *const i64,
    options: *const tsr_completability_options,
    variance: *mut f64,
) -> tsr_status {
    crate::error::boundary(|| {
        let mut inputs = Vec::new();
        let problem = unsafe {
            read_problem(nrows, ncols, nobs, rows, cols, values, variances, rank, nqueries, qrows, qcols, options, &mut inputs)?
        };
        check_disjoint(&inputs, &[span("variance", variance.cast_const(), problem.queries.len())?])?;
        let Problem { mask, values, variances, rank, queries, settings } = problem;
        let out = threads::run(settings.threads, |par| core_c::first_order_variance(&mask, values, variances, rank, &queries, par))?
            .map_err(completability_error)?;
        // SAFETY: validated output of `nqueries` doubles, disjoint from the inputs.
        unsafe { core::ptr::copy_nonoverlapping(out.as_ptr(), variance, out.len()) };
        Ok(())
    })
}

/// The arguments shared by the estimating entry points: a mask with its observed values and
/// optional variances, the rank, the queries and the options.
struct Problem<'a> {
    mask: Mask,
    values: &'a [f64],
    variances: Option<&'a [f64]>,
    rank: usize,
    queries: Vec<(usize, usize)>,
    settings: Settings,
}

/// # Safety
/// `rows`, `cols`, `values` and `variances` are NULL or point to `nobs` readable elements
/// (`variances` may be NULL), `qrows` and `qcols` to `nqueries`, `options` as in
/// [`read_options`].
#[allow(clippy::too_many_arguments)]
unsafe fn read_problem<'a>(
    nrows: i64,
    ncols: i64,
    nobs: i64,
    rows: *const i64,
    cols: *const i64,
    values: *const f64,
    variances: *const f64,
    rank: i64,
    nqueries: i64,
    qrows: *const i64,
    qcols: *const i64,
    options: *const tsr_completability_options,
    inputs: &mut Vec<Span>,
) -> Result<Problem<'a>> {
    let mask = unsafe { read_mask(nrows, ncols, nobs, rows, cols, inputs)? };
    let rank = rank_of(rank, mask.nrows(), mask.ncols())?;
    let values = unsafe { input("values", values, mask.len(), inputs)? };
    let variances = if variances.is_null() { None } else { Some(unsafe { input("variances", variances, mask.len(), inputs)? }) };
    let queries = unsafe { read_queries((mask.nrows(), mask.ncols()), nqueries, qrows, qcols, inputs)? };
    let settings = unsafe { read_options(options)? };
    Ok(Problem { mask, values, variances, rank, queries, settings })
}

/// The completability phase transition: for each `x[p]`, `trials` masks of an `n × n` matrix
/// with `round(x[p] · r(2n − r))` positions drawn uniformly without replacement; writes the
/// mean fraction of the `n²` entries in the rank-`rank` closure to `fraction[p]` and, when
/// not NULL, the number of fully completable trials to `fully_completable[p]`. Reads `seed`
/// and `num_threads` of `options`.
/// Shapes: x, fraction, fully_completable: npoints.
#[no_mangle]
pub unsafe extern "C" fn tsr_completability_phase_transition(
    n: i64,
    rank: i64,
    npoints: i64,
    x: *const f64,
    trials: i64,
    options: *const tsr_completability_options,
    fraction: *mut f64,
    fully_completable: *mut i64,
) -> tsr_status {
    crate::error::boundary(|| {
        let size = extent("n", n)?;
        let rank = rank_of(rank, size, size)?;
        let mut inputs = Vec::new();
        let xs = unsafe { input("x", x, extent("npoints", npoints)?, &mut inputs)? };
        if let Some(p) = xs.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("x[{p}] = {} must be finite and >= 0", xs[p])));
        }
        let trials = usize::try_from(trials)
            .ok()
            .filter(|&t| t >= 1)
            .ok_or_else(|| Error::new(TSR_ERR_INVALID_PARAMETER, format!("trials = {trials} must be >= 1")))?;
        let settings = unsafe { read_options(options)? };
        let mut outputs = vec![span("fraction", fraction.cast_const(), xs.len())?];
        if !fully_completable.is_null() {
            outputs.push(span("fully_completable", fully_completable.cast_const(), xs.len())?);
        }
        check_disjoint(&inputs, &outputs)?;
        let seed = settings.closure.seed;
        let points = threads::run(settings.threads, |par| core_c::phase_transition(size, rank, xs, trials, seed, par))?
            .map_err(completability_error)?;
        for (p, point) in points.iter().enumerate() {
            // SAFETY: validated, disjoint outputs of `npoints` elements.
            unsafe {
                fraction.add(p).write(point.fraction);
                if !fully_completable.is_null() {
                    fully_completable.add(p).write(point.fully_completable as i64);
                }
            }
        }
        Ok(())
    })
}
