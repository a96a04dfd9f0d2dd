//! The network engine: gradients, losses, optimisers, path and group norms, f-divergences,
//! parameter files and bad input, the JAX fixture, no allocation in a training step.
//!
//! One test crate per module (each file below is a module of it), so the library's generic
//! kernels are instantiated and linked once per module rather than once per file.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/counting.rs"]
mod counting;
mod chain;
mod support;

mod allocations;
mod fdiv;
mod file_and_bad_input;
mod gradients;
mod group_norm;
mod init;
mod jax_fixture;
mod optimisers;
mod path_norm;
