//! Poincaré-ball geometry: identities, VJPs against finite differences, layouts, threads, and
//! accuracy near the boundary against double-double references.
//!
//! One test crate per module (each file below is a module of it), so the library's generic
//! kernels are instantiated and linked once per module rather than once per file.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod boundary_accuracy;
mod distance;
mod geodesic;
mod gyration;
mod gyroplane;
mod layouts;
mod maps;
mod matvec;
mod mobius_add;
mod scalar_mul;
mod tangent;
mod transport;
