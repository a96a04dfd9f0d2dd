//! Algebraic-matroid completability: masks, closures, minor and rank-1 completion, variances.
//!
//! One test crate per module (each file below is a module of it), so the library's generic
//! kernels are instantiated and linked once per module rather than once per file.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod closure;
mod closure_phase;
mod consistency;
mod mask;
mod minors;
mod rank1;
mod variance;
