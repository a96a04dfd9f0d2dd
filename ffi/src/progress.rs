//! The progress callback of long-running solvers (docs/abi.md): called on the calling thread
//! after every iteration; a non-zero return cancels the solve.

/// What a solver reports after each iteration.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct tsr_progress {
    /// `sizeof(tsr_progress)`; fields are only ever appended.
    pub struct_size: u32,
    /// Iterations done (1-based).
    pub iteration: i64,
    /// Current objective value (see the solver's documentation for its exact meaning).
    pub objective: f64,
    /// The quantity the stopping rule compares with the tolerance (for the tensor solvers the
    /// relative duality gap).
    pub gap: f64,
    /// A secondary residual (for the ADMM solvers the largest constraint violation).
    pub residual: f64,
}

/// A progress callback: `user` is passed through untouched; return non-zero to cancel.
pub type tsr_progress_fn = Option<unsafe extern "C" fn(user: *mut core::ffi::c_void, progress: *const tsr_progress) -> i32>;
